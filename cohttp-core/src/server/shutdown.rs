//! Graceful shutdown and connection-limit state shared by a server's accept loop and its
//! connections.
//!
//! [`Shutdown`] holds the server's phase (running, draining, aborting) and counts its
//! live connections. Each connection holds a [`Watch`], a slot through which it is
//! woken when the phase changes or when it is evicted, and an [`Active`] guard that
//! counts it while it lives. The accept loop waits on the count (for the connection
//! limit, and for the last connection to end after a stop).
//!
//! At the connection limit the accept loop makes room by evicting an idle connection,
//! new silent ones before kept-alive ones, each the one idle longest (see `serve.rs` for
//! the policy): a connection marks itself idle
//! ([`Watch::set_idle`]) while it waits for the first byte of a request, and busy again
//! after; marking is an atomic stamp on the connection's own slot (the stamps count
//! the turns to idle, so no clock is read), and each slot has its own waker: the hot
//! path takes no shared lock. The accept loop scans the slots only while at the limit.
//!
//! This file has no I/O and no clock; the deadlines are applied by `serve.rs`.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

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
#[derive(Clone)]
pub(crate) struct Shutdown {
    inner: Arc<Inner>,
}

struct Inner {
    phase: AtomicU8,
    watchers: Mutex<Slots>,
    active: AtomicUsize,
    /// Evicted connections still alive (closing): not counted against the limit.
    evicted: AtomicUsize,
    /// The accept loop waits at the limit: a connection turning idle wakes it.
    full: AtomicBool,
    server: AtomicWaker,
    /// Turns to idle so far, all connections together: the source of idle stamps.
    idle_turns: AtomicU64,
}

/// What the accept loop may see of one connection.
#[derive(Default)]
struct SlotState {
    /// When the connection began to wait for a request, as the rank of that turn to
    /// idle among all connections' (from 1; plus [`KEPT`] for a connection that was
    /// already answered); 0 while it is not idle. Ranks order connections as the time
    /// they turned idle would, without reading a clock.
    idle_since: AtomicU64,
    /// The connection was told to close to make room.
    evicted: AtomicBool,
    /// Woken on phase changes and eviction.
    waker: AtomicWaker,
}

/// Added to the idle stamps of connections that were already answered: new silent
/// connections, which have proven nothing, are evicted before any of them.
const KEPT: u64 = 1 << 62;

#[derive(Default)]
struct Slots {
    states: Vec<Option<Arc<SlotState>>>,
    free: Vec<usize>,
}

impl Shutdown {
    /// New state, running, with no connection.
    pub(crate) fn new() -> Shutdown {
        Shutdown {
            inner: Arc::new(Inner {
                phase: AtomicU8::new(Phase::Running as u8),
                watchers: Mutex::default(),
                active: AtomicUsize::new(0),
                evicted: AtomicUsize::new(0),
                full: AtomicBool::new(false),
                server: AtomicWaker::new(),
                idle_turns: AtomicU64::new(0),
            }),
        }
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
        let states: Vec<Arc<SlotState>> = self.slots().states.iter().flatten().cloned().collect();
        for state in states {
            state.waker.wake();
        }
    }

    /// A slot to be woken on phase changes and eviction.
    pub(crate) fn watch(&self) -> Watch {
        let state = Arc::new(SlotState::default());
        let mut slots = self.slots();
        let key = match slots.free.pop() {
            Some(k) => k,
            None => {
                slots.states.push(None);
                slots.states.len() - 1
            }
        };
        if let Some(slot) = slots.states.get_mut(key) {
            *slot = Some(state.clone());
        }
        Watch {
            shutdown: self.clone(),
            key,
            state,
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

    /// The live connections that count against the limit (the evicted ones, closing,
    /// do not).
    pub(crate) fn counted(&self) -> usize {
        self.active_count()
            .saturating_sub(self.inner.evicted.load(Ordering::Acquire))
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

    /// Ready once a new connection can be taken: fewer than `max` counted, or an idle
    /// one that could be evicted for it.
    pub(crate) fn poll_room(&self, max: usize, cx: &mut Context<'_>) -> Poll<()> {
        if self.counted() < max || self.oldest_idle().is_some() {
            return Poll::Ready(());
        }
        self.inner.server.register(cx.waker());
        self.inner.full.store(true, Ordering::SeqCst);
        if self.counted() < max || self.oldest_idle().is_some() {
            self.inner.full.store(false, Ordering::SeqCst);
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The slot of the connection to evict, not yet evicted: the new silent one idle
    /// longest, else the kept-alive one idle longest.
    fn oldest_idle(&self) -> Option<usize> {
        let slots = self.slots();
        let mut best: Option<(u64, usize)> = None;
        for (key, state) in slots.states.iter().enumerate() {
            let Some(state) = state else { continue };
            let since = state.idle_since.load(Ordering::SeqCst);
            if since == 0 || state.evicted.load(Ordering::Acquire) {
                continue;
            }
            if best.map_or(true, |(b, _)| since < b) {
                best = Some((since, key));
            }
        }
        best.map(|(_, key)| key)
    }

    /// Evicts the connection idle longest: it is woken and closes. Whether there was
    /// one.
    pub(crate) fn evict_oldest_idle(&self) -> bool {
        let Some(key) = self.oldest_idle() else {
            return false;
        };
        let state = {
            let slots = self.slots();
            let Some(Some(state)) = slots.states.get(key) else {
                return false;
            };
            if state.evicted.swap(true, Ordering::AcqRel) {
                return false;
            }
            self.inner.evicted.fetch_add(1, Ordering::AcqRel);
            state.clone()
        };
        state.waker.wake();
        true
    }
}

/// A connection's slot for phase-change and eviction wake-ups; freed on drop.
pub(crate) struct Watch {
    shutdown: Shutdown,
    key: usize,
    state: Arc<SlotState>,
}

impl Watch {
    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        self.shutdown.phase()
    }

    /// Whether the connection should end: the server is draining, or evicted it.
    pub(crate) fn stopping(&self) -> bool {
        self.phase() >= Phase::Draining || self.state.evicted.load(Ordering::Acquire)
    }

    /// The connection waits for the first byte of a request from now on (of its first
    /// request when `first`): it may be evicted to make room. Wakes the accept loop if
    /// it waits at the limit.
    pub(crate) fn set_idle(&self, first: bool) {
        let turn = self
            .shutdown
            .inner
            .idle_turns
            .fetch_add(1, Ordering::Relaxed);
        let stamp = turn.min(KEPT - 2) + 1;
        let stamp = if first { stamp } else { stamp + KEPT };
        self.state.idle_since.store(stamp, Ordering::SeqCst);
        if self.shutdown.inner.full.load(Ordering::SeqCst) {
            self.shutdown.inner.full.store(false, Ordering::SeqCst);
            self.shutdown.inner.server.wake();
        }
    }

    /// The connection is no longer idle (bytes came, or it ends).
    pub(crate) fn set_busy(&self) {
        self.state.idle_since.store(0, Ordering::Release);
    }

    /// Ready once the phase is at least `phase`.
    pub(crate) fn poll_phase(&self, phase: Phase, cx: &mut Context<'_>) -> Poll<()> {
        if self.phase() >= phase {
            return Poll::Ready(());
        }
        self.register(cx);
        if self.phase() >= phase {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Ready once the connection should end (see [`Watch::stopping`]).
    pub(crate) fn poll_stopping(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.stopping() {
            return Poll::Ready(());
        }
        self.register(cx);
        if self.stopping() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn register(&self, cx: &mut Context<'_>) {
        self.state.waker.register(cx.waker());
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if self.state.evicted.load(Ordering::Acquire) {
            self.shutdown.inner.evicted.fetch_sub(1, Ordering::AcqRel);
        }
        let mut slots = self.shutdown.slots();
        if let Some(state) = slots.states.get_mut(self.key) {
            *state = None;
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
