//! The world: one executor, one virtual clock, one in-memory network, one trace.
//!
//! [`Sim`] ties the parts together and owns the run loop: poll a ready task (chosen by
//! the seeded executor); when none is ready, jump the clock to the next timer; when there
//! is no timer either while the `block_on` future is not done, panic with a deadlock
//! report. Each part lives in its own file; this one only sequences them.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use cohttp_core::runtime::{BoxFuture, Runtime, Spawn};

use crate::clock::Clock;
use crate::executor::{Executor, MAIN};
use crate::faults::Faults;
use crate::net::MockNet;
use crate::stream::MockStream;
use crate::trace::{Event, Trace};

/// A deterministic world: a single-threaded executor, a virtual clock and an in-memory
/// network. Cloning shares the world.
///
/// Everything runs on the thread that calls [`block_on`](Sim::block_on) (or
/// [`run_until_idle`](Sim::run_until_idle)); no thread is started and no real time is
/// read after creation. The seed picks which ready task runs next, so the same seed
/// gives the same interleaving and the same [`trace`](Sim::trace).
///
/// Spawned tasks hold the world alive; a world whose tasks never finish is freed only with
/// the process (fine for tests).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cohttp_mock::Sim;
///
/// let sim = Sim::new(7);
/// let rt = sim.runtime();
/// let answer = sim.block_on(async {
///     let task = sim.spawn(async { 6 * 7 });
///     rt.sleep(Duration::from_secs(3600)).await; // virtual: returns at once
///     task.await
/// });
/// assert_eq!(answer, 42);
/// assert_eq!(sim.elapsed(), Duration::from_secs(3600));
/// ```
#[derive(Clone)]
pub struct Sim {
    world: Arc<World>,
}

struct World {
    seed: u64,
    exec: Executor,
    clock: Clock,
    trace: Arc<Trace>,
    net: MockNet,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.world.seed)
            .field("elapsed", &self.elapsed())
            .field("live_tasks", &self.live_tasks())
            .finish()
    }
}

/// A spawned task's output, as a future. Dropping the handle detaches the task (it runs on).
pub struct JoinHandle<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

struct Slot<T> {
    output: Option<T>,
    finished: bool,
    waker: Option<Waker>,
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> JoinHandle<T> {
    /// Whether the task has completed.
    pub fn is_finished(&self) -> bool {
        self.slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .finished
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.output.take() {
            Some(v) => Poll::Ready(v),
            None => {
                // A finished task's output can be taken once; polling again waits forever
                // (and the world reports the deadlock).
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Sim {
    /// A new world whose scheduling is fixed by `seed`.
    pub fn new(seed: u64) -> Sim {
        let trace = Arc::new(Trace::default());
        let clock = Clock::new(trace.clone());
        let net = MockNet::new(clock.clone(), trace.clone());
        Sim {
            world: Arc::new(World {
                seed,
                exec: Executor::new(seed),
                clock,
                trace,
                net,
            }),
        }
    }

    /// The seed this world was made with.
    pub fn seed(&self) -> u64 {
        self.world.seed
    }

    /// The `cohttp_core` runtime backed by this world: the in-memory network, the virtual
    /// clock and this executor. Pass it to the client and the server.
    pub fn runtime(&self) -> Runtime {
        Runtime::new(
            Arc::new(self.world.net.clone()),
            Arc::new(self.world.clock.clone()),
            Arc::new(self.clone()),
        )
    }

    /// The in-memory network of this world.
    pub fn net(&self) -> MockNet {
        self.world.net.clone()
    }

    /// Spawns a task on this world; the handle is a future of its output.
    pub fn spawn<F>(&self, f: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        let slot = Arc::new(Mutex::new(Slot {
            output: None,
            finished: false,
            waker: None,
        }));
        let tx = slot.clone();
        self.world.exec.spawn(
            Box::pin(async move {
                let v = f.await;
                let waker = {
                    let mut s = tx.lock().unwrap_or_else(PoisonError::into_inner);
                    s.output = Some(v);
                    s.finished = true;
                    s.waker.take()
                };
                if let Some(w) = waker {
                    w.wake();
                }
            }),
            &self.world.trace,
        );
        JoinHandle { slot }
    }

    /// Sets the step budget: how many polls and timer fires, counted from the world's
    /// creation, before a run panics as runaway (default 10 million).
    pub fn set_step_budget(&self, steps: u64) {
        self.world.exec.set_budget(steps);
    }

    /// Runs the world until `f` completes, polling `f` (which need not be `Send` or
    /// `'static`) on this thread together with the spawned tasks.
    ///
    /// When no task is ready, virtual time jumps to the next timer.
    ///
    /// # Panics
    ///
    /// With a message starting `deadlock:` and the tail of the trace when no task is ready,
    /// no timer is pending and `f` is not done; past the step budget; when called from
    /// inside one of the world's own tasks.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        let w = &*self.world;
        let _running = w.exec.enter();
        let mut f = pin!(f);
        let waker = w.exec.waker(MAIN);
        let mut cx = Context::from_waker(&waker);
        w.exec.wake(MAIN);
        loop {
            match w.exec.pick() {
                Some(MAIN) => {
                    w.exec.count_step(&w.trace);
                    w.trace.record(Event::Poll { task: MAIN });
                    if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                        return v;
                    }
                }
                Some(id) => {
                    w.exec.count_step(&w.trace);
                    w.exec.poll_task(id, &w.trace);
                }
                None => {
                    if w.clock.fire_next() {
                        w.exec.count_step(&w.trace);
                    } else {
                        panic!(
                            "deadlock: the block_on future is pending, no task is ready and no \
                             timer is pending (virtual time {:?}, live tasks {:?}); last events:\n{}",
                            w.clock.elapsed(),
                            w.exec.live_ids(),
                            w.trace.tail(40)
                        );
                    }
                }
            }
        }
    }

    /// Runs every ready task until none is ready, without moving the clock.
    ///
    /// # Panics
    ///
    /// Past the step budget, or when called from inside one of the world's own tasks.
    pub fn run_until_idle(&self) {
        let w = &*self.world;
        let _running = w.exec.enter();
        while let Some(id) = w.exec.pick() {
            if id != MAIN {
                w.exec.count_step(&w.trace);
                w.exec.poll_task(id, &w.trace);
            }
        }
    }

    /// Advances virtual time by `d`.
    ///
    /// Called from outside the world, it fires the timers due in order, running the tasks
    /// they wake (and the timers those set) before moving on, then runs until idle at the
    /// new time. Called from inside a task, it only moves the clock and wakes the timers
    /// due; the running loop does the rest.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
    /// use std::time::Duration;
    /// use cohttp_mock::Sim;
    ///
    /// let sim = Sim::new(1);
    /// let rt = sim.runtime();
    /// let ticks = Arc::new(AtomicU32::new(0));
    /// let t = ticks.clone();
    /// sim.spawn(async move {
    ///     loop {
    ///         rt.sleep(Duration::from_secs(1)).await;
    ///         t.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// });
    /// sim.advance(Duration::from_millis(3500));
    /// assert_eq!(ticks.load(Ordering::Relaxed), 3);
    /// ```
    pub fn advance(&self, d: Duration) {
        let w = &*self.world;
        let target = w.clock.elapsed() + d;
        if w.exec.is_running() {
            w.clock.advance_to(target);
            return;
        }
        loop {
            self.run_until_idle();
            match w.clock.next_deadline() {
                Some(next) if next <= target => {
                    w.exec.count_step(&w.trace);
                    w.clock.advance_to(next);
                }
                _ => break,
            }
        }
        w.clock.advance_to(target);
        self.run_until_idle();
    }

    /// The virtual current instant.
    pub fn now(&self) -> Instant {
        self.world.clock.instant()
    }

    /// Virtual time since the world was created.
    pub fn elapsed(&self) -> Duration {
        self.world.clock.elapsed()
    }

    /// Spawned tasks that have not completed.
    pub fn live_tasks(&self) -> usize {
        self.world.exec.live_tasks()
    }

    /// The events recorded so far, oldest first (the last million are kept).
    pub fn trace(&self) -> Vec<Event> {
        self.world.trace.events()
    }
}

impl Spawn for Sim {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.world.exec.spawn(task, &self.world.trace);
    }
}

/// An in-memory connection with `faults` and no listener: `(client, server)`.
///
/// It is counted in `MockNet::connections` under the name `"duplex"`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use cohttp_mock::{duplex, Faults, Sim};
///
/// let sim = Sim::new(2);
/// let faults = Faults::none().one_byte_io().delay_each_read(Duration::from_millis(1));
/// let (mut client, mut server) = duplex(&sim, faults);
/// sim.block_on(async move {
///     client.write_all(b"abc").await.unwrap();
///     let mut got = [0u8; 3];
///     server.read_exact(&mut got).await.unwrap();
///     assert_eq!(&got, b"abc");
/// });
/// assert_eq!(sim.elapsed(), Duration::from_millis(3)); // three delayed one-byte reads
/// assert_eq!(sim.net().connections()[0].client_writes, 3);
/// ```
pub fn duplex(sim: &Sim, faults: Faults) -> (MockStream, MockStream) {
    sim.world.net.pair("duplex".to_string(), faults)
}
