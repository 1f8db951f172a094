//! [`pipe`]: copies bytes both ways between two streams, for `CONNECT` tunnels.
//!
//! Each direction copies until its reader ends, then half-closes the other side's
//! writer, so a peer that shuts its write side is seen as such at the far end, while
//! the other direction goes on. The whole tunnel ends when both directions have ended,
//! or fails at the first I/O error, or after `idle` without a byte moving either way.
//!
//! This file moves bytes; it does not parse them.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::future::{poll_fn, try_join};
use futures_util::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// Bytes moved per read.
const PIPE_BUFFER: usize = 16 * 1024;

/// What a finished tunnel moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Piped {
    /// Bytes copied from `a` to `b`.
    pub a_to_b: u64,
    /// Bytes copied from `b` to `a`.
    pub b_to_a: u64,
}

/// The last time a byte moved, shared by both directions.
#[derive(Clone)]
struct Activity(Arc<Mutex<Instant>>);

impl Activity {
    fn touch(&self, now: Instant) {
        if let Ok(mut last) = self.0.lock() {
            *last = now;
        }
    }

    fn last(&self) -> Option<Instant> {
        self.0.lock().ok().map(|last| *last)
    }
}

/// Copies `a` → `b` and `b` → `a` at once, with half-close propagation (see the module
/// docs). Fails with a timeout error after `idle` with no byte moved either way.
pub async fn pipe<A, B>(rt: &Runtime, a: A, b: B, idle: Duration) -> Result<Piped>
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let activity = Activity(Arc::new(Mutex::new(rt.now())));
    let (a_read, a_write) = a.split();
    let (b_read, b_write) = b.split();
    let (a_to_b, b_to_a) = try_join(
        copy_half(rt, &activity, idle, a_read, b_write),
        copy_half(rt, &activity, idle, b_read, a_write),
    )
    .await?;
    Ok(Piped { a_to_b, b_to_a })
}

async fn copy_half<R, W>(
    rt: &Runtime,
    activity: &Activity,
    idle: Duration,
    mut from: R,
    mut to: W,
) -> Result<u64>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; PIPE_BUFFER];
    let mut total: u64 = 0;
    loop {
        let n = idle_bounded(rt, activity, idle, from.read(&mut buf)).await??;
        if n == 0 {
            idle_bounded(rt, activity, idle, to.close()).await??;
            return Ok(total);
        }
        let data = buf.get(..n).unwrap_or_default();
        activity.touch(rt.now());
        idle_bounded(rt, activity, idle, to.write_all(data)).await??;
        activity.touch(rt.now());
        total += n as u64;
    }
}

/// Runs `fut` until it completes, or until `idle` passed since the last activity of
/// either direction.
async fn idle_bounded<F: Future>(
    rt: &Runtime,
    activity: &Activity,
    idle: Duration,
    fut: F,
) -> Result<F::Output> {
    let mut fut = std::pin::pin!(fut);
    // Each round either completes, fails, or waits for a deadline that moved later
    // because bytes moved meanwhile: bounded by the traffic itself.
    loop {
        let last = activity.last().unwrap_or_else(|| rt.now());
        let mut timer = rt.timer(last + idle);
        let done = poll_fn(|cx| {
            if let Poll::Ready(v) = fut.as_mut().poll(cx) {
                return Poll::Ready(Some(v));
            }
            timer.as_mut().poll(cx).map(|()| None)
        })
        .await;
        match done {
            Some(v) => return Ok(v),
            None => {
                let moved = activity.last().is_some_and(|now_last| now_last > last);
                if !moved {
                    return Err(Error::timeout().with_context(format!("tunnel idle for {idle:?}")));
                }
            }
        }
    }
}
