//! [`NoCache`]: a new connection for every request, closed once its response body has
//! been consumed.
//!
//! The simplest cache, and the default of a `Client`: nothing is kept between requests,
//! so nothing needs closing when it is dropped. Each connection is created non-persistent
//! (the request carries `Connection: close`) and ends after its one response; the
//! response body holds the connection until it is read to its end or dropped.
//!
//! By default nothing is retried (as the seed's no-cache); [`NoCache::retry`] opts in to
//! retries by [`RetryPolicy`], each on a new connection.
//!
//! ```no_run
//! # async fn demo(rt: cohttp_core::Runtime) -> cohttp_core::Result<()> {
//! use cohttp_core::client::{Call, NoCache};
//! use cohttp_core::Body;
//!
//! let cache = NoCache::new(&rt);
//! let req = http::Request::get("http://example.test/").body(Body::empty()).unwrap();
//! let body = cache.call(req).await?.into_body().to_string().await?;
//! # Ok(()) }
//! ```

use http::{Request, Response};

use super::call::Call;
use super::config::ConnectionConfig;
use super::connection::Connection;
use super::retry::{retry_call, RetryPolicy};
use crate::body::Body;
use crate::error::Result;
use crate::runtime::{BoxFuture, Runtime};

/// A connection per request. See the module docs.
///
/// Cloning copies the settings; there is no shared state.
#[derive(Clone, Debug)]
pub struct NoCache {
    rt: Runtime,
    config: ConnectionConfig,
    retry: RetryPolicy,
}

impl NoCache {
    /// Connections with the default [`ConnectionConfig`], no retries.
    pub fn new(rt: &Runtime) -> NoCache {
        NoCache::with_config(rt, ConnectionConfig::default())
    }

    /// Connections with `config` (its persistence is overridden: each connection takes
    /// one request).
    pub fn with_config(rt: &Runtime, config: ConnectionConfig) -> NoCache {
        NoCache {
            rt: rt.clone(),
            config: config.persistent(Some(false)),
            retry: RetryPolicy::never(),
        }
    }

    /// Retries requests that failed with the retry error, by `policy`, each on a new
    /// connection.
    pub fn retry(mut self, policy: RetryPolicy) -> NoCache {
        self.retry = policy;
        self
    }

    async fn send(&self, req: Request<Body>) -> Result<Response<Body>> {
        retry_call(self.retry, req, |req| {
            let made = Connection::create_uri(&self.rt, req.uri(), self.config.clone());
            async move {
                // Our handle goes when this returns; the response body keeps the
                // connection until it is consumed, then the connection ends.
                made?.call(req).await
            }
        })
        .await
    }
}

impl Call for NoCache {
    fn call(&self, req: Request<Body>) -> BoxFuture<'_, Result<Response<Body>>> {
        Box::pin(self.send(req))
    }
}
