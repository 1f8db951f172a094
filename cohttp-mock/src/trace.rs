//! The event trace: what happened in a world, in order.
//!
//! Every step that matters for determinism is recorded here: tasks spawned, polled and
//! completed, connections made and accepted, bytes moved, faults fired, timers fired.
//! Two runs of the same program with the same seed record equal traces, which is how the
//! determinism of the executor is tested. This file only stores events; the executor,
//! clock and network record them.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Which end of a connection an event concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The connecting end (the stream `connect` returned, or the first of a `duplex` pair).
    Client,
    /// The accepting end (the stream a listener yielded, or the second of a `duplex` pair).
    Server,
}

impl Side {
    /// The other end.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

/// One recorded step of a world. Task 0 is the future given to `Sim::block_on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A task was spawned.
    Spawn {
        /// The new task's id.
        task: u64,
    },
    /// A task (or the `block_on` future, task 0) was polled.
    Poll {
        /// The task polled.
        task: u64,
    },
    /// A spawned task ran to completion.
    Complete {
        /// The task that finished.
        task: u64,
    },
    /// A listener was bound.
    Listen {
        /// The address, as displayed.
        addr: String,
    },
    /// A connection was made to a listener.
    Connect {
        /// The connection id (as in `ConnStats::id`).
        conn: u64,
        /// The address connected to, as displayed.
        to: String,
    },
    /// A listener handed out a connection.
    Accept {
        /// The connection id.
        conn: u64,
    },
    /// A write moved bytes into the connection.
    Write {
        /// The connection id.
        conn: u64,
        /// The end that wrote.
        side: Side,
        /// How many bytes.
        bytes: usize,
    },
    /// A read moved bytes out of the connection.
    Read {
        /// The connection id.
        conn: u64,
        /// The end that read.
        side: Side,
        /// How many bytes.
        bytes: usize,
    },
    /// One end half-closed its write side (`poll_close`).
    Shutdown {
        /// The connection id.
        conn: u64,
        /// The end that shut its write side.
        side: Side,
    },
    /// One end was dropped (both its directions close).
    Drop {
        /// The connection id.
        conn: u64,
        /// The end dropped.
        side: Side,
    },
    /// An injected fault took effect.
    Fault {
        /// The connection id.
        conn: u64,
        /// What happened, e.g. `"close to_client after 10"`.
        what: String,
    },
    /// A timer reached its deadline and woke its task.
    TimerFired {
        /// The timer's id, in order of creation.
        timer: u64,
        /// Virtual time since the world's creation.
        at: Duration,
    },
}

/// The most events kept; older ones are dropped first (a run of the full step budget
/// would otherwise hold hundreds of megabytes).
const CAPACITY: usize = 1 << 20;

/// The ordered, bounded record of a world's events.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    events: Mutex<Log>,
}

#[derive(Debug, Default)]
struct Log {
    events: VecDeque<Event>,
    dropped: u64,
}

impl Trace {
    fn lock(&self) -> MutexGuard<'_, Log> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends an event.
    pub(crate) fn record(&self, event: Event) {
        let mut log = self.lock();
        if log.events.len() == CAPACITY {
            log.events.pop_front();
            log.dropped += 1;
        }
        log.events.push_back(event);
    }

    /// All events kept, oldest first.
    pub(crate) fn events(&self) -> Vec<Event> {
        self.lock().events.iter().cloned().collect()
    }

    /// The last `n` events, one per line, for panic messages.
    pub(crate) fn tail(&self, n: usize) -> String {
        let log = self.lock();
        let skip = log.events.len().saturating_sub(n);
        let mut out = String::new();
        for e in log.events.iter().skip(skip) {
            out.push_str(&format!("  {e:?}\n"));
        }
        out
    }
}
