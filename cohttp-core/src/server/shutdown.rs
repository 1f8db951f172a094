//! Graceful shutdown state shared by a server's accept loop and its connections.
//!
//! [`Shutdown`] holds the server's phase (running, draining, aborting) and counts its
//! live connections. Each connection holds a [`Watch`], a slot through which it is
//! woken when the phase changes, and an [`Active`] guard that counts it while it
//! lives. The accept loop waits on the count (for the connection limit, and for the
//! last connection to end after a stop).
//!
//! This file has no I/O and no clock; the deadlines are applied by `serve.rs`.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_util::task::AtomicWaker;

/// The phase of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Serving.
    Running = 0,
    /// Stopped accepting: requests in flight finish, idle connections close.
    Draining = 1,
    /// The graceful deadline passed: every connection is dropped.
    Aborting = 2,
}

/// Shared shutdown state; cloning shares it.
#[derive(Clone, Default)]
pub(crate) struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    phase: AtomicU8,
    watchers: Mutex<Slots>,
    active: AtomicUsize,
    server: AtomicWaker,
}

#[derive(Default)]
struct Slots {
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Shutdown {
    pub(crate) fn new() -> Shutdown {
        Shutdown::default()
    }

    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.inner
            .watchers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        match self.inner.phase.load(Ordering::Acquire) {
            0 => Phase::Running,
            1 => Phase::Draining,
            _ => Phase::Aborting,
        }
    }

    /// Moves to `phase` (never back) and wakes every watcher.
    pub(crate) fn enter(&self, phase: Phase) {
        self.inner.phase.fetch_max(phase as u8, Ordering::AcqRel);
        let wakers: Vec<Waker> = self
            .slots()
            .wakers
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for w in wakers {
            w.wake();
        }
    }

    /// A slot to be woken on phase changes.
    pub(crate) fn watch(&self) -> Watch {
        let mut slots = self.slots();
        let key = match slots.free.pop() {
            Some(k) => k,
            None => {
                slots.wakers.push(None);
                slots.wakers.len() - 1
            }
        };
        Watch {
            shutdown: self.clone(),
            key,
        }
    }

    /// Counts one live connection until the guard is dropped.
    pub(crate) fn active(&self) -> Active {
        self.inner.active.fetch_add(1, Ordering::AcqRel);
        Active {
            shutdown: self.clone(),
        }
    }

    /// The number of live connections.
    pub(crate) fn active_count(&self) -> usize {
        self.inner.active.load(Ordering::Acquire)
    }

    /// Ready once fewer than `n` connections are live (the accept loop's waker).
    pub(crate) fn poll_active_below(&self, n: usize, cx: &mut Context<'_>) -> Poll<()> {
        if self.active_count() < n {
            return Poll::Ready(());
        }
        self.inner.server.register(cx.waker());
        if self.active_count() < n {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// A connection's slot for phase-change wake-ups; freed on drop.
pub(crate) struct Watch {
    shutdown: Shutdown,
    key: usize,
}

impl Watch {
    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        self.shutdown.phase()
    }

    /// Ready once the phase is at least `phase`.
    pub(crate) fn poll_phase(&self, phase: Phase, cx: &mut Context<'_>) -> Poll<()> {
        if self.phase() >= phase {
            return Poll::Ready(());
        }
        {
            let mut slots = self.shutdown.slots();
            if let Some(slot) = slots.wakers.get_mut(self.key) {
                match slot {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *slot = Some(cx.waker().clone()),
                }
            }
        }
        if self.phase() >= phase {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut slots = self.shutdown.slots();
        if let Some(slot) = slots.wakers.get_mut(self.key) {
            *slot = None;
            slots.free.push(self.key);
        }
    }
}

/// Counts a live connection; dropping it wakes the accept loop.
pub(crate) struct Active {
    shutdown: Shutdown,
}

impl Drop for Active {
    fn drop(&mut self) {
        self.shutdown.inner.active.fetch_sub(1, Ordering::AcqRel);
        self.shutdown.inner.server.wake();
    }
}
