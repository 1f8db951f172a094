//! The virtual clock and its timers.
//!
//! Time is an offset from an `Instant` captured when the world is created; it moves only
//! when the run loop finds no task ready (it jumps to the earliest pending timer) or when
//! the test calls `Sim::advance`. Timers register their deadline and waker when polled and
//! are woken, in order of creation, when the clock reaches them. This file knows nothing
//! of tasks: it only keeps time and wakes wakers.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use cohttp_core::runtime::{Sleep, Timer};

use crate::trace::{Event, Trace};

/// A shared handle to one world's virtual clock. Cloning shares the clock.
#[derive(Clone)]
pub(crate) struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    base: Instant,
    trace: Arc<Trace>,
    state: Mutex<State>,
}

struct State {
    /// Virtual time since `base`.
    offset: Duration,
    /// Timers polled and pending: id → (deadline as an offset, waker).
    pending: BTreeMap<u64, (Duration, Waker)>,
    next_id: u64,
}

impl Clock {
    pub(crate) fn new(trace: Arc<Trace>) -> Clock {
        Clock {
            inner: Arc::new(Inner {
                base: Instant::now(),
                trace,
                state: Mutex::new(State {
                    offset: Duration::ZERO,
                    pending: BTreeMap::new(),
                    next_id: 0,
                }),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Virtual time since creation.
    pub(crate) fn elapsed(&self) -> Duration {
        self.lock().offset
    }

    /// The virtual instant.
    pub(crate) fn instant(&self) -> Instant {
        self.inner.base + self.elapsed()
    }

    fn offset_of(&self, deadline: Instant) -> Duration {
        deadline.saturating_duration_since(self.inner.base)
    }

    /// The earliest deadline of a pending timer.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.lock().pending.values().map(|(d, _)| *d).min()
    }

    /// Jumps to the earliest pending deadline (if it is ahead) and wakes every timer due.
    /// Returns false when no timer is pending.
    pub(crate) fn fire_next(&self) -> bool {
        let Some(next) = self.next_deadline() else {
            return false;
        };
        self.advance_to(next);
        true
    }

    /// Moves time forward to `target` (never back) and wakes every timer due.
    pub(crate) fn advance_to(&self, target: Duration) {
        let due: Vec<(u64, Waker)> = {
            let mut s = self.lock();
            if target > s.offset {
                s.offset = target;
            }
            let now = s.offset;
            let ids: Vec<u64> = s
                .pending
                .iter()
                .filter(|(_, (d, _))| *d <= now)
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| s.pending.remove(&id).map(|(_, w)| (id, w)))
                .collect()
        };
        let at = self.elapsed();
        for (timer, waker) in due {
            self.inner.trace.record(Event::TimerFired { timer, at });
            waker.wake();
        }
    }

    /// A timer completing when the clock reaches `deadline`.
    pub(crate) fn timer_at(&self, deadline: Instant) -> MockTimer {
        let id = {
            let mut s = self.lock();
            let id = s.next_id;
            s.next_id += 1;
            id
        };
        MockTimer {
            clock: self.clone(),
            id,
            deadline: self.offset_of(deadline),
        }
    }
}

impl Sleep for Clock {
    fn now(&self) -> Instant {
        self.instant()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(self.timer_at(deadline))
    }
}

/// A timer on the virtual clock. Dropping it cancels it.
pub(crate) struct MockTimer {
    clock: Clock,
    id: u64,
    deadline: Duration,
}

impl Future for MockTimer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut s = this.clock.lock();
        if s.offset >= this.deadline {
            s.pending.remove(&this.id);
            return Poll::Ready(());
        }
        match s.pending.get_mut(&this.id) {
            Some((d, w)) => {
                *d = this.deadline;
                if !w.will_wake(cx.waker()) {
                    *w = cx.waker().clone();
                }
            }
            None => {
                s.pending
                    .insert(this.id, (this.deadline, cx.waker().clone()));
            }
        }
        Poll::Pending
    }
}

impl Timer for MockTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = this.clock.offset_of(deadline);
        if let Some((d, _)) = this.clock.lock().pending.get_mut(&this.id) {
            *d = this.deadline;
        }
    }
}

impl Drop for MockTimer {
    fn drop(&mut self) {
        self.clock.lock().pending.remove(&self.id);
    }
}
