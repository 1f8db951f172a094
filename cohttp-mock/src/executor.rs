//! The deterministic single-threaded executor: tasks, wakers and the ready queue.
//!
//! Tasks are boxed `Send` futures kept in a map by id. A task's waker pushes its id on
//! the ready queue; the world's run loop (in `sim.rs`) asks [`Executor::pick`] for the
//! next id, and the choice among the ready ids is made by a seeded generator, so the same
//! seed gives the same interleaving. Nothing here uses threads or real time, and nothing
//! here advances the clock: that is the run loop's decision when no task is ready.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use crate::rng::Rng;
use crate::trace::{Event, Trace};

/// The id of the future given to `Sim::block_on`; spawned tasks count from 1.
pub(crate) const MAIN: u64 = 0;

/// A spawned task.
pub(crate) type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The default step budget: polls (and timer fires) before a run is declared runaway.
pub(crate) const DEFAULT_BUDGET: u64 = 10_000_000;

/// Tasks, the ready queue and the scheduling generator of one world.
pub(crate) struct Executor {
    state: Mutex<State>,
    ready: Arc<ReadyQueue>,
}

struct State {
    /// Live tasks; `None` while the task is being polled (taken out so that it can
    /// spawn without deadlocking on this lock).
    tasks: BTreeMap<u64, Option<(Task, Waker)>>,
    next_id: u64,
    rng: Rng,
    steps: u64,
    budget: u64,
    running: bool,
}

/// Ids of woken tasks, in the order they were woken, without duplicates.
#[derive(Default)]
struct ReadyQueue {
    ids: Mutex<Ready>,
}

#[derive(Default)]
struct Ready {
    order: Vec<u64>,
    queued: HashSet<u64>,
}

impl ReadyQueue {
    fn lock(&self) -> MutexGuard<'_, Ready> {
        self.ids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, id: u64) {
        let mut r = self.lock();
        if r.queued.insert(id) {
            r.order.push(id);
        }
    }
}

struct TaskWaker {
    id: u64,
    queue: Arc<ReadyQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.queue.push(self.id);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.queue.push(self.id);
    }
}

/// Marks the executor as running until dropped (also on panic).
pub(crate) struct Running<'a> {
    exec: &'a Executor,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.exec.lock().running = false;
        let mut r = self.exec.ready.lock();
        if r.queued.remove(&MAIN) {
            r.order.retain(|&id| id != MAIN);
        }
    }
}

impl Executor {
    pub(crate) fn new(seed: u64) -> Executor {
        Executor {
            state: Mutex::new(State {
                tasks: BTreeMap::new(),
                next_id: MAIN + 1,
                rng: Rng::new(seed),
                steps: 0,
                budget: DEFAULT_BUDGET,
                running: false,
            }),
            ready: Arc::new(ReadyQueue::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A waker that makes task `id` ready.
    pub(crate) fn waker(&self, id: u64) -> Waker {
        Waker::from(Arc::new(TaskWaker {
            id,
            queue: self.ready.clone(),
        }))
    }

    /// Makes task `id` ready.
    pub(crate) fn wake(&self, id: u64) {
        self.ready.push(id);
    }

    /// Adds a task, ready to run; returns its id.
    pub(crate) fn spawn(&self, task: Task, trace: &Trace) -> u64 {
        let id = {
            let mut s = self.lock();
            let id = s.next_id;
            s.next_id += 1;
            let waker = self.waker(id);
            s.tasks.insert(id, Some((task, waker)));
            id
        };
        trace.record(Event::Spawn { task: id });
        self.ready.push(id);
        id
    }

    /// Enters the run loop; panics if it is already running (a `block_on` inside a task).
    pub(crate) fn enter(&self) -> Running<'_> {
        let mut s = self.lock();
        assert!(
            !s.running,
            "cohttp_mock: Sim::block_on or run_until_idle called from inside the world's own tasks"
        );
        s.running = true;
        Running { exec: self }
    }

    /// Whether the run loop is active (so a caller inside a task must not run it again).
    pub(crate) fn is_running(&self) -> bool {
        self.lock().running
    }

    /// Removes and returns one ready id, chosen by the seeded generator.
    pub(crate) fn pick(&self) -> Option<u64> {
        let mut r = self.ready.lock();
        if r.order.is_empty() {
            return None;
        }
        let len = r.order.len();
        let i = (self.lock().rng.below(len as u64) as usize).min(len - 1);
        let id = r.order.swap_remove(i);
        r.queued.remove(&id);
        Some(id)
    }

    /// Counts one step against the budget; panics with the trace tail past it.
    pub(crate) fn count_step(&self, trace: &Trace) {
        let (steps, budget) = {
            let mut s = self.lock();
            s.steps += 1;
            (s.steps, s.budget)
        };
        if steps > budget {
            panic!(
                "cohttp_mock: step budget of {budget} polls exceeded (a task spins or time \
                 never stops advancing); last events:\n{}",
                trace.tail(30)
            );
        }
    }

    /// Sets the step budget (counted from the world's creation).
    pub(crate) fn set_budget(&self, budget: u64) {
        self.lock().budget = budget;
    }

    /// Polls spawned task `id` once, if it is still live.
    pub(crate) fn poll_task(&self, id: u64, trace: &Trace) {
        let taken = match self.lock().tasks.get_mut(&id) {
            Some(slot) => slot.take(),
            None => None,
        };
        let Some((mut task, waker)) = taken else {
            return;
        };
        trace.record(Event::Poll { task: id });
        let mut cx = Context::from_waker(&waker);
        match task.as_mut().poll(&mut cx) {
            Poll::Ready(()) => {
                self.lock().tasks.remove(&id);
                trace.record(Event::Complete { task: id });
            }
            Poll::Pending => {
                if let Some(slot) = self.lock().tasks.get_mut(&id) {
                    *slot = Some((task, waker));
                }
            }
        }
    }

    /// Spawned tasks not yet completed.
    pub(crate) fn live_tasks(&self) -> usize {
        self.lock().tasks.len()
    }

    /// The ids of the spawned tasks not yet completed, for deadlock reports.
    pub(crate) fn live_ids(&self) -> Vec<u64> {
        self.lock().tasks.keys().copied().collect()
    }
}
