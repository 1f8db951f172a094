//! Timeouts of the high-level client, on the runtime's clock ([`Sleep`](crate::runtime::Sleep)).
//!
//! [`Timeouts`] names the three bounds a [`Client`](super::Client) applies: establishing a
//! connection, waiting for a response head, and an optional total per request (which also
//! bounds reading the response body). The connect and head bounds are enforced by the
//! connection itself ([`ConnectionConfig`](super::ConnectionConfig)); this file holds the
//! settings and the total deadline's wrappers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::Stream;

use crate::body::{Body, BodyStream};
use crate::error::{Error, Result};
use crate::runtime::{Runtime, Timer};

/// The bounds a client applies. All are off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the connection.
    pub connect: Option<Duration>,
    /// From a request being written to its response head.
    pub head: Option<Duration>,
    /// A whole request: connecting, sending, the response head and the response body.
    pub total: Option<Duration>,
}

/// Runs `fut`, failing with a timeout error at `deadline`.
pub(crate) async fn before<T>(
    rt: &Runtime,
    deadline: Instant,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    let left = deadline.saturating_duration_since(rt.now());
    match rt.timeout(left, fut).await {
        Ok(r) => r,
        Err(e) => Err(e.with_context("request took longer than its total timeout")),
    }
}

/// A body that fails with a timeout error if it is still being read at `deadline`.
pub(crate) fn body_before(rt: &Runtime, deadline: Instant, body: Body) -> Body {
    let length = body.known_length();
    let stream = DeadlineStream {
        inner: body.into_stream(),
        timer: rt.timer(deadline),
        expired: false,
    };
    Body::from_body_stream(Box::pin(stream), length)
}

struct DeadlineStream {
    inner: BodyStream,
    timer: Pin<Box<dyn Timer>>,
    expired: bool,
}

impl Stream for DeadlineStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = self.inner.as_mut().poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            self.expired = true;
            return Poll::Ready(Some(Err(
                Error::timeout().with_context("response body not read within the total timeout")
            )));
        }
        Poll::Pending
    }
}
