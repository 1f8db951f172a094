//! The virtual clock: timers, resets, timeouts, and when time moves.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cohttp_core::ErrorKind;
use cohttp_mock::{Event, Sim};

const MS: Duration = Duration::from_millis(1);

#[test]
fn sleeping_jumps_virtual_time_to_the_deadline() {
    let sim = Sim::new(1);
    let rt = sim.runtime();
    let start = sim.now();
    sim.block_on(async { rt.sleep(Duration::from_secs(30)).await });
    assert_eq!(sim.elapsed(), Duration::from_secs(30));
    assert_eq!(sim.now() - start, Duration::from_secs(30));
    assert_eq!(rt.now(), sim.now());
}

#[test]
fn timers_fire_in_deadline_order() {
    let sim = Sim::new(2);
    let rt = sim.runtime();
    let fired = Arc::new(Mutex::new(Vec::new()));
    for ms in [30u64, 10, 20] {
        let (rt, fired) = (rt.clone(), fired.clone());
        sim.spawn(async move {
            rt.sleep(MS * ms as u32).await;
            fired.lock().unwrap().push((ms, rt.now()));
        });
    }
    sim.block_on(async { rt.sleep(MS * 100).await });
    let fired = fired.lock().unwrap().clone();
    let order: Vec<u64> = fired.iter().map(|f| f.0).collect();
    assert_eq!(order, [10, 20, 30]);
    let start = sim.now() - MS * 100;
    assert!(fired.iter().all(|(ms, at)| *at - start == MS * *ms as u32));
}

#[test]
fn a_reset_timer_fires_at_its_new_deadline() {
    let sim = Sim::new(3);
    let rt = sim.runtime();
    sim.block_on(async {
        let mut timer = rt.timer(rt.now() + MS * 50);
        // Poll it once so it registers, then move it later.
        let first = futures_util::poll!(timer.as_mut());
        assert!(first.is_pending());
        timer.as_mut().reset(rt.now() + MS * 200);
        timer.await;
    });
    assert_eq!(sim.elapsed(), MS * 200);
}

#[test]
fn a_timer_reset_into_the_past_fires_without_moving_time() {
    let sim = Sim::new(4);
    let rt = sim.runtime();
    sim.block_on(async {
        let mut timer = rt.timer(rt.now() + MS * 50);
        assert!(futures_util::poll!(timer.as_mut()).is_pending());
        timer.as_mut().reset(rt.now());
        timer.await;
    });
    assert_eq!(sim.elapsed(), Duration::ZERO);
}

#[test]
fn timeout_fails_with_a_timeout_error_at_the_virtual_deadline() {
    let sim = Sim::new(5);
    let rt = sim.runtime();
    let r = sim.block_on(async {
        let never = futures_util::future::pending::<()>();
        rt.timeout(Duration::from_secs(5), never).await
    });
    assert_eq!(r.unwrap_err().kind(), &ErrorKind::Timeout);
    assert_eq!(sim.elapsed(), Duration::from_secs(5));
}

#[test]
fn timeout_returns_the_value_when_the_future_is_faster() {
    let sim = Sim::new(6);
    let rt = sim.runtime();
    let r = sim.block_on(async {
        rt.timeout(Duration::from_secs(5), async {
            rt.sleep(Duration::from_secs(1)).await;
            7
        })
        .await
    });
    assert_eq!(r.unwrap(), 7);
    assert_eq!(sim.elapsed(), Duration::from_secs(1));
}

#[test]
fn time_does_not_move_while_a_task_is_ready() {
    let sim = Sim::new(7);
    let rt = sim.runtime();
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    let rt2 = rt.clone();
    sim.spawn(async move {
        // Busy but cooperative work: many steps, no timer.
        for _ in 0..100 {
            futures_util::future::ready(()).await;
        }
        *s.lock().unwrap() = Some(rt2.now());
    });
    sim.block_on(async { rt.sleep(MS).await });
    let start = sim.now() - MS;
    assert_eq!(
        seen.lock().unwrap().map(|t| t - start),
        Some(Duration::ZERO)
    );
}

#[test]
fn advance_fires_due_timers_in_order_and_runs_their_tasks() {
    let sim = Sim::new(8);
    let rt = sim.runtime();
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let (rt2, t2) = (rt.clone(), ticks.clone());
    let start = sim.now();
    sim.spawn(async move {
        for _ in 0..5 {
            rt2.sleep(MS * 10).await;
            t2.lock().unwrap().push(rt2.now() - start);
        }
    });
    sim.advance(MS * 35);
    assert_eq!(*ticks.lock().unwrap(), [MS * 10, MS * 20, MS * 30]);
    assert_eq!(sim.elapsed(), MS * 35);
    sim.advance(MS * 100);
    assert_eq!(ticks.lock().unwrap().len(), 5);
    assert_eq!(sim.live_tasks(), 0);
}

#[test]
fn timer_fires_are_traced_with_their_virtual_time() {
    let sim = Sim::new(9);
    let rt = sim.runtime();
    sim.block_on(async { rt.sleep(MS * 42).await });
    assert!(sim.trace().contains(&Event::TimerFired {
        timer: 0,
        at: MS * 42
    }));
}

#[test]
fn a_dropped_timer_does_not_keep_time_moving() {
    let sim = Sim::new(10);
    let rt = sim.runtime();
    sim.block_on(async {
        let mut t = rt.timer(rt.now() + Duration::from_secs(100));
        assert!(futures_util::poll!(t.as_mut()).is_pending());
        drop(t);
        rt.sleep(MS).await;
    });
    sim.run_until_idle();
    assert_eq!(sim.elapsed(), MS);
}
