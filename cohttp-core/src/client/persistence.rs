//! Persistence of a client connection (RFC 9112 §9.3): when the writer may write, whether a
//! request is the connection's last, and what a response teaches about the connection.
//!
//! Pure decisions on the shared state; no I/O. Known persistent: pipeline everything queued.
//! Known not persistent: one request, sent with `Connection: close`. Unknown: the first
//! request alone, then wait for the first response to decide.

use super::connection::{Phase, State};

/// What the writer may do next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Nothing to write yet; wait for a change.
    Wait,
    /// Write this many of the waiting requests, in order.
    Take(usize),
    /// The writer is done: nothing more will be written on this connection.
    Stop,
}

/// What the writer may do, given the state.
pub(crate) fn next(s: &State) -> Next {
    if s.phase == Phase::Ended || s.writes_done {
        return Next::Stop;
    }
    if s.waiting.is_empty() {
        return if s.phase == Phase::Closing {
            Next::Stop
        } else {
            Next::Wait
        };
    }
    match s.persistent {
        Some(true) => Next::Take(s.waiting.len()),
        _ if s.started == 0 => Next::Take(1),
        // Not persistent: the one request went out (the writer marks writes done after it).
        Some(false) => Next::Stop,
        // Unknown: wait for the first response to decide.
        None => Next::Wait,
    }
}

/// Whether the request about to be written must carry `Connection: close`: the connection is
/// not persistent, or it is shut down and this is the last queued request.
pub(crate) fn is_last(s: &State, remaining_after: usize) -> bool {
    s.persistent == Some(false) || (s.phase == Phase::Closing && remaining_after == 0)
}

/// Whether a request body of unknown length may be sent chunked: only once the peer is known
/// to keep connections (an HTTP/1.1 peer); before that it is measured and sent with a length.
pub(crate) fn chunked_allowed(s: &State) -> bool {
    s.persistent == Some(true)
}

/// Learns from a final response head. `keep_alive` is the response's own verdict
/// (HTTP/1.1 without `close`, HTTP/1.0 with `keep-alive`); `upgraded` is a 101 or a 2xx to
/// CONNECT, after which the connection carries no more HTTP. Returns whether the connection
/// ends after this response (nothing more is written; waiting requests must be failed).
pub(crate) fn on_response(s: &mut State, keep_alive: bool, upgraded: bool) -> bool {
    if s.persistent.is_none() {
        s.persistent = Some(keep_alive);
    }
    let last = !keep_alive || upgraded;
    if last {
        s.writes_done = true;
    }
    last
}
