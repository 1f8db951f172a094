//! Automatic retries: [`RetryPolicy`] says when a failed request is sent again, by
//! RFC 9112 §9.3.1; [`retry_call`] does it.
//!
//! This file decides and replays; choosing the connection for each attempt is the
//! caller's (a [`Cache`](super::Cache) chooses anew each time).
//!
//! Only the retry error ([`ErrorKind::Retry`]) is ever retried: the connection closed,
//! or the peer reset it, before the response began (a reset after the response head
//! arrived is an I/O error on the body, never retried). Then:
//! - a request whose bytes never went out (`written: false`) is always retried;
//! - a request that went out (`written: true`) is retried only when its method is
//!   idempotent (`GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`, `DELETE`), unless the caller
//!   opted in with [`RetryPolicy::retry_written`]: the server may have acted on it;
//! - a request with a streamed body is never replayed (its bytes are gone): it fails with
//!   the retry error, and the caller sends it again with a new body;
//! - [`RetryPolicy::retries`] counts extra attempts: 2 means at most 3 tries.
//!
//! ```
//! use cohttp_core::client::RetryPolicy;
//! use cohttp_core::Error;
//! use http::Method;
//!
//! let policy = RetryPolicy::new(2);
//! assert!(policy.allows(&Error::retry(false), &Method::POST));
//! assert!(policy.allows(&Error::retry(true), &Method::GET));
//! assert!(!policy.allows(&Error::retry(true), &Method::POST));
//! assert!(policy.retry_written(true).allows(&Error::retry(true), &Method::POST));
//! assert!(!policy.allows(&Error::closed(), &Method::GET));
//! ```

use std::future::Future;

use http::{Method, Request, Response};

use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};

/// When a request that failed with the retry error is sent again. See the module docs.
///
/// `Copy`. The default is the seed's: 2 extra attempts, written non-idempotent
/// requests not retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    retries: usize,
    retry_written: bool,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy::new(2)
    }
}

impl RetryPolicy {
    /// At most `retries` extra attempts; written non-idempotent requests not retried.
    pub fn new(retries: usize) -> RetryPolicy {
        RetryPolicy {
            retries,
            retry_written: false,
        }
    }

    /// No retry at all.
    pub fn never() -> RetryPolicy {
        RetryPolicy::new(0)
    }

    /// Opts in (`true`) to retrying requests that were written whatever their method
    /// (a `POST` the server may already have acted on, say).
    pub fn retry_written(mut self, yes: bool) -> RetryPolicy {
        self.retry_written = yes;
        self
    }

    /// The number of extra attempts.
    pub fn retries(&self) -> usize {
        self.retries
    }

    /// Whether written non-idempotent requests are retried too.
    pub fn retries_written(&self) -> bool {
        self.retry_written
    }

    /// Whether a request of `method` that failed with `err` may be sent again (attempts
    /// left and body replayability aside).
    pub fn allows(&self, err: &Error, method: &Method) -> bool {
        match err.kind() {
            ErrorKind::Retry { written: false } => true,
            ErrorKind::Retry { written: true } => self.retry_written || is_idempotent(method),
            _ => false,
        }
    }
}

/// Whether `method` is idempotent (RFC 9110 §9.2.2): sending it twice has the effect of
/// sending it once.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Sends `req` with `attempt`, and again (a copy of it) as `policy` allows while
/// `attempt` fails with the retry error. Returns the last outcome.
///
/// A request with a streamed body is sent once: its failure is returned as is.
///
/// ```
/// # futures_executor::block_on(async {
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use cohttp_core::client::{retry_call, RetryPolicy};
/// use cohttp_core::{Body, Error};
///
/// let tries = AtomicUsize::new(0);
/// let req = http::Request::get("http://a.test/").body(Body::empty()).unwrap();
/// let out = retry_call(RetryPolicy::new(2), req, |_req| {
///     let n = tries.fetch_add(1, Ordering::SeqCst);
///     async move {
///         if n < 2 { Err(Error::retry(true)) } else { Ok(http::Response::new(Body::empty())) }
///     }
/// })
/// .await;
/// assert!(out.is_ok());
/// assert_eq!(tries.load(Ordering::SeqCst), 3);
/// # });
/// ```
pub async fn retry_call<F, Fut>(
    policy: RetryPolicy,
    req: Request<Body>,
    mut attempt: F,
) -> Result<Response<Body>>
where
    F: FnMut(Request<Body>) -> Fut,
    Fut: Future<Output = Result<Response<Body>>>,
{
    let template = Replay::of(&req);
    let method = req.method().clone();
    let mut next = req;
    let mut left = policy.retries;
    loop {
        let err = match attempt(next).await {
            Ok(resp) => return Ok(resp),
            Err(e) => e,
        };
        if left == 0 || !policy.allows(&err, &method) {
            return Err(err);
        }
        let Some(template) = &template else {
            log::debug!(target: "cohttp::client", "not retrying {method}: its body was a stream ({err})");
            return Err(err);
        };
        left -= 1;
        log::debug!(target: "cohttp::client", "retrying {method} {} ({err})", template.parts.uri);
        next = template.make();
    }
}

/// What it takes to send a request again: its head and a replayable copy of its body.
pub(crate) struct Replay {
    parts: http::request::Parts,
    body: Body,
}

impl Replay {
    /// `None` when the body is a stream.
    pub(crate) fn of(req: &Request<Body>) -> Option<Replay> {
        let body = req.body().try_clone()?;
        // `Request` has no clone of its head alone; rebuild one from a bodiless copy.
        let mut head = Request::new(());
        *head.method_mut() = req.method().clone();
        *head.uri_mut() = req.uri().clone();
        *head.version_mut() = req.version();
        *head.headers_mut() = req.headers().clone();
        *head.extensions_mut() = req.extensions().clone();
        let (parts, ()) = head.into_parts();
        Some(Replay { parts, body })
    }

    /// A fresh copy of the request.
    pub(crate) fn make(&self) -> Request<Body> {
        let body = self.body.try_clone().unwrap_or_default();
        Request::from_parts(self.parts.clone(), body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn run(
        policy: RetryPolicy,
        req: Request<Body>,
        errors: Vec<Error>,
    ) -> (Result<Response<Body>>, usize, Vec<String>) {
        let tries = AtomicUsize::new(0);
        let bodies = std::sync::Mutex::new(Vec::new());
        let errors = std::sync::Mutex::new(errors.into_iter());
        let out = futures_executor::block_on(retry_call(policy, req, |req| {
            tries.fetch_add(1, Ordering::SeqCst);
            let next = errors.lock().unwrap().next();
            let bodies = &bodies;
            async move {
                let text = req.into_body().to_string().await.unwrap_or_default();
                bodies.lock().unwrap().push(text);
                match next {
                    Some(e) => Err(e),
                    None => Ok(Response::new(Body::empty())),
                }
            }
        }));
        let n = tries.load(Ordering::SeqCst);
        (out, n, bodies.into_inner().unwrap())
    }

    fn req(method: Method, body: Body) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri("http://a.test/x")
            .header("x-one", "1")
            .body(body)
            .unwrap()
    }

    #[test]
    fn unwritten_requests_are_always_retried() {
        let (out, n, bodies) = run(
            RetryPolicy::new(2),
            req(Method::POST, Body::from("data")),
            vec![Error::retry(false), Error::retry(false)],
        );
        assert!(out.is_ok());
        assert_eq!(n, 3);
        assert_eq!(bodies, ["data", "data", "data"]);
    }

    #[test]
    fn retries_count_extra_attempts() {
        let (out, n, _) = run(
            RetryPolicy::new(2),
            req(Method::GET, Body::empty()),
            (0..5).map(|_| Error::retry(true)).collect(),
        );
        assert!(out.unwrap_err().is_retry());
        assert_eq!(n, 3);
        let (out, n, _) = run(
            RetryPolicy::never(),
            req(Method::GET, Body::empty()),
            vec![Error::retry(false)],
        );
        assert!(out.unwrap_err().is_retry());
        assert_eq!(n, 1);
    }

    #[test]
    fn written_post_is_not_retried_unless_opted_in() {
        let (out, n, _) = run(
            RetryPolicy::new(2),
            req(Method::POST, Body::from("x")),
            vec![Error::retry(true)],
        );
        assert!(matches!(
            out.unwrap_err().kind(),
            ErrorKind::Retry { written: true }
        ));
        assert_eq!(n, 1);
        let (out, n, _) = run(
            RetryPolicy::new(2).retry_written(true),
            req(Method::POST, Body::from("x")),
            vec![Error::retry(true)],
        );
        assert!(out.is_ok());
        assert_eq!(n, 2);
    }

    #[test]
    fn written_idempotent_methods_are_retried() {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ] {
            let (out, n, _) = run(
                RetryPolicy::default(),
                req(m.clone(), Body::empty()),
                vec![Error::retry(true)],
            );
            assert!(out.is_ok(), "{m}");
            assert_eq!(n, 2, "{m}");
        }
        assert!(!is_idempotent(&Method::PATCH));
        assert!(!is_idempotent(&Method::CONNECT));
    }

    #[test]
    fn streamed_body_is_never_replayed() {
        let stream = futures_util::stream::iter([Ok::<_, Error>(bytes::Bytes::from("s"))]);
        let (out, n, _) = run(
            RetryPolicy::new(2),
            req(Method::PUT, Body::from_stream(stream)),
            vec![Error::retry(false)],
        );
        assert!(matches!(
            out.unwrap_err().kind(),
            ErrorKind::Retry { written: false }
        ));
        assert_eq!(n, 1);
    }

    #[test]
    fn other_errors_are_not_retried() {
        for e in [
            Error::closed(),
            Error::timeout(),
            Error::new(ErrorKind::Io),
            Error::new(ErrorKind::Proxy(http::StatusCode::BAD_GATEWAY)),
        ] {
            let kind = e.kind().clone();
            let (out, n, _) = run(
                RetryPolicy::new(2),
                req(Method::GET, Body::empty()),
                vec![e],
            );
            assert_eq!(out.unwrap_err().kind(), &kind);
            assert_eq!(n, 1);
        }
    }

    #[test]
    fn replay_keeps_the_head() {
        #[derive(Clone, Debug, PartialEq)]
        struct Tag(u8);
        let mut r = req(Method::PUT, Body::from_chunks(["a", "b"]));
        r.extensions_mut().insert(Tag(7));
        *r.version_mut() = http::Version::HTTP_10;
        let replay = Replay::of(&r).unwrap();
        let copy = replay.make();
        assert_eq!(copy.method(), Method::PUT);
        assert_eq!(copy.uri(), "http://a.test/x");
        assert_eq!(copy.version(), http::Version::HTTP_10);
        assert_eq!(copy.headers()["x-one"], "1");
        assert_eq!(copy.extensions().get::<Tag>(), Some(&Tag(7)));
        let body = futures_executor::block_on(copy.into_body().to_string()).unwrap();
        assert_eq!(body, "ab");
    }
}
