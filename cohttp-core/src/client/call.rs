//! The [`Call`] trait: anything that answers HTTP requests.
//!
//! A [`Connection`](super::Connection) answers on one connection; a connection cache answers
//! by choosing (or making) connections; a [`Client`](super::Client) answers through its cache.
//! This file holds only the trait and its forwarding implementations.

use std::sync::Arc;

use crate::body::Body;
use crate::error::Result;
use crate::runtime::BoxFuture;

/// Anything that answers requests: a connection, a connection cache, a client.
///
/// The response body is a wire stream: it is not buffered, and stays on the connection until
/// read. Read it, or drop it (a dropped unread body is drained, bounded, and a warning logged).
///
/// # Examples
///
/// ```
/// use cohttp_core::client::Call;
/// use cohttp_core::Body;
///
/// async fn fetch(c: &dyn Call) -> cohttp_core::Result<String> {
///     let req = http::Request::get("http://example.test/").body(Body::empty()).unwrap();
///     c.call(req).await?.into_body().to_string().await
/// }
/// ```
pub trait Call: Send + Sync {
    /// Sends `req` and resolves with its response (head read, body streamed) or an error.
    fn call(&self, req: http::Request<Body>) -> BoxFuture<'_, Result<http::Response<Body>>>;
}

impl<T: Call + ?Sized> Call for Arc<T> {
    fn call(&self, req: http::Request<Body>) -> BoxFuture<'_, Result<http::Response<Body>>> {
        (**self).call(req)
    }
}

impl<T: Call + ?Sized> Call for Box<T> {
    fn call(&self, req: http::Request<Body>) -> BoxFuture<'_, Result<http::Response<Body>>> {
        (**self).call(req)
    }
}

impl<T: Call + ?Sized> Call for &T {
    fn call(&self, req: http::Request<Body>) -> BoxFuture<'_, Result<http::Response<Body>>> {
        (**self).call(req)
    }
}
