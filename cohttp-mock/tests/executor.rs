//! The executor: spawning, joining, deadlock detection, step budget, determinism.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cohttp_mock::{Event, Sim};
use futures_util::future::poll_fn;
use std::task::Poll;

/// Returns `Pending` once (waking itself), so other ready tasks get a chance to run.
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

#[test]
fn spawn_from_inside_a_task_runs_the_inner_task() {
    let sim = Sim::new(1);
    let s2 = sim.clone();
    let out = sim.block_on(async move {
        let outer = s2.clone().spawn(async move {
            let inner = s2.spawn(async { 21 });
            inner.await * 2
        });
        outer.await
    });
    assert_eq!(out, 42);
    assert_eq!(sim.live_tasks(), 0);
    let spawns = sim
        .trace()
        .iter()
        .filter(|e| matches!(e, Event::Spawn { .. }))
        .count();
    assert_eq!(spawns, 2);
}

#[test]
fn runtime_spawn_runs_detached_tasks_to_completion() {
    let sim = Sim::new(2);
    let rt = sim.runtime();
    let hits = Arc::new(Mutex::new(0));
    let h = hits.clone();
    sim.block_on(async move {
        for _ in 0..3 {
            let h = h.clone();
            rt.spawn(async move { *h.lock().unwrap() += 1 });
        }
    });
    // block_on returned as soon as its own future was done; the detached tasks may wait.
    sim.run_until_idle();
    assert_eq!(*hits.lock().unwrap(), 3);
    assert_eq!(sim.live_tasks(), 0);
}

#[test]
fn live_tasks_counts_tasks_that_are_still_waiting() {
    let sim = Sim::new(3);
    let rt = sim.runtime();
    let (tx, rx) = futures_channel::oneshot::channel::<()>();
    sim.spawn(async move {
        let _ = rx.await;
    });
    sim.run_until_idle();
    assert_eq!(sim.live_tasks(), 1);
    drop(tx);
    sim.run_until_idle();
    assert_eq!(sim.live_tasks(), 0);
    drop(rt);
}

#[test]
fn runtime_blocking_runs_the_job_in_place() {
    let sim = Sim::new(4);
    let rt = sim.runtime();
    let v = sim.block_on(async { rt.blocking(|| 5 + 5).await.unwrap() });
    assert_eq!(v, 10);
}

#[test]
#[should_panic(expected = "deadlock")]
fn waiting_on_a_channel_nobody_sends_on_is_a_deadlock() {
    let sim = Sim::new(5);
    let (_tx, rx) = futures_channel::oneshot::channel::<()>();
    let _ = sim.block_on(rx);
}

#[test]
#[should_panic(expected = "deadlock")]
fn two_tasks_waiting_on_each_other_are_a_deadlock() {
    let sim = Sim::new(6);
    let (tx_a, rx_a) = futures_channel::oneshot::channel::<()>();
    let (tx_b, rx_b) = futures_channel::oneshot::channel::<()>();
    let a = sim.spawn(async move {
        let _ = rx_b.await;
        let _ = tx_a.send(());
    });
    sim.spawn(async move {
        let _ = rx_a.await;
        let _ = tx_b.send(());
    });
    sim.block_on(a);
}

#[test]
#[should_panic(expected = "step budget")]
fn a_spinning_task_hits_the_step_budget() {
    let sim = Sim::new(7);
    sim.set_step_budget(1_000);
    sim.block_on(async {
        loop {
            yield_now().await;
        }
    });
}

#[test]
#[should_panic(expected = "step budget")]
fn an_endless_timer_loop_hits_the_step_budget() {
    let sim = Sim::new(8);
    sim.set_step_budget(500);
    let rt = sim.runtime();
    sim.block_on(async {
        loop {
            rt.sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Five tasks each record their id at three yield points: the order is the interleaving.
fn racy_order(seed: u64) -> (Vec<u64>, Vec<Event>) {
    let sim = Sim::new(seed);
    let log = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..5u64)
        .map(|i| {
            let log = log.clone();
            sim.spawn(async move {
                for _ in 0..3 {
                    log.lock().unwrap().push(i);
                    yield_now().await;
                }
            })
        })
        .collect();
    sim.block_on(async move {
        for h in handles {
            h.await;
        }
    });
    let order = log.lock().unwrap().clone();
    (order, sim.trace())
}

#[test]
fn same_seed_gives_the_same_interleaving_and_trace() {
    for seed in [0, 1, 99, u64::MAX] {
        let (a, ta) = racy_order(seed);
        let (b, tb) = racy_order(seed);
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        assert_eq!(a.len(), 15);
    }
}

#[test]
fn different_seeds_give_different_interleavings() {
    let orders: std::collections::HashSet<Vec<u64>> = (0..20).map(|s| racy_order(s).0).collect();
    assert!(
        orders.len() > 5,
        "only {} distinct interleavings",
        orders.len()
    );
}

#[test]
#[should_panic(expected = "from inside")]
fn block_on_inside_block_on_is_refused() {
    let sim = Sim::new(9);
    let inner = sim.clone();
    sim.block_on(async move { inner.block_on(async {}) });
}

#[test]
fn join_handle_reports_finished() {
    let sim = Sim::new(10);
    let h = sim.spawn(async { "done" });
    assert!(!h.is_finished());
    sim.run_until_idle();
    assert!(h.is_finished());
    assert_eq!(sim.block_on(h), "done");
}
