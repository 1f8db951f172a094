//! [`Cache`]: connections kept per endpoint and reused, pipelined, retried; and
//! [`CacheConfig`], the options shared by every cache with the seed's defaults.
//!
//! This file holds the cache's options and its request path (proxy rewriting, retries).
//! The choice of a connection, persistence learning and idle expiry are in `pool.rs`;
//! `CONNECT` tunnels are [`Tunnel`](super::Tunnel); per-scheme proxies and `no_proxy`
//! are [`Proxy`](super::Proxy).
//!
//! How a request is served (DESIGN.md, "Connection caches"):
//! - connections are kept per endpoint (scheme, host, port of the request URI — or of
//!   the proxy when one is set);
//! - for each request: an idle connection first; else a new one while the endpoint has
//!   fewer than `parallel`; else the shallowest one while its queue is shorter than
//!   `depth`; else wait for a connection to change. A closed connection is never chosen;
//! - the first connection to an endpoint starts with unknown persistence; once one has
//!   answered as persistent, new ones pipeline at once;
//! - a connection idle for `keep` is closed, on the runtime's clock;
//! - a request that failed with the retry error is sent again on a connection chosen
//!   anew, by [`RetryPolicy`] (RFC 9112 §9.3.1), at most `retry` more times.
//!
//! With a direct proxy set, every request goes to the proxy in absolute form
//! (`GET http://host/path HTTP/1.1`), with the proxy headers added.
//!
//! # Examples
//!
//! ```no_run
//! # async fn demo(rt: cohttp_core::Runtime) -> cohttp_core::Result<()> {
//! use std::time::Duration;
//! use cohttp_core::client::{Cache, CacheConfig, Call};
//! use cohttp_core::Body;
//!
//! let cache = Cache::new(&rt, CacheConfig::new().parallel(2).keep(Duration::from_secs(5)));
//! let req = http::Request::get("http://example.test/").body(Body::empty()).unwrap();
//! let resp = cache.call(req).await?;
//! println!("{}", resp.into_body().to_string().await?);
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::Duration;

use http::header::HeaderMap;
use http::{Method, Request, Response};

use super::call::Call;
use super::config::ConnectionConfig;
use super::connection::Connection;
use super::pool::{Connector, Key, Pool, PoolConfig};
use super::proxy_config::ProxyServer;
use super::retry::{retry_call, RetryPolicy};
use super::target::TargetForm;
use crate::body::Body;
use crate::error::Result;
use crate::runtime::{BoxFuture, Runtime};

/// The options of a connection cache, with the seed's defaults: `keep` 60 s, `retry` 2,
/// `parallel` 4, `depth` 100, no proxy.
///
/// Cloning copies the options. Builder style:
///
/// ```
/// use std::time::Duration;
/// use cohttp_core::client::CacheConfig;
///
/// let config = CacheConfig::new().keep(Duration::from_secs(10)).parallel(1).depth(16);
/// assert_eq!(config.get_depth(), 16);
/// assert_eq!(CacheConfig::new().get_retry().retries(), 2);
/// ```
#[derive(Clone)]
pub struct CacheConfig {
    keep: Duration,
    retry: RetryPolicy,
    parallel: usize,
    depth: usize,
    proxy: Option<ProxyServer>,
    proxy_headers: HeaderMap,
    connection: ConnectionConfig,
}

impl Default for CacheConfig {
    fn default() -> CacheConfig {
        CacheConfig {
            keep: Duration::from_secs(60),
            retry: RetryPolicy::new(2),
            parallel: 4,
            depth: 100,
            proxy: None,
            proxy_headers: HeaderMap::new(),
            connection: ConnectionConfig::default(),
        }
    }
}

impl fmt::Debug for CacheConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheConfig")
            .field("keep", &self.keep)
            .field("retry", &self.retry)
            .field("parallel", &self.parallel)
            .field("depth", &self.depth)
            .field("proxy", &self.proxy)
            .field("proxy_headers", &self.proxy_headers.len())
            .finish_non_exhaustive()
    }
}

impl CacheConfig {
    /// The seed's defaults.
    pub fn new() -> CacheConfig {
        CacheConfig::default()
    }

    /// How long a connection may stay idle before it is closed (default 60 s).
    pub fn keep(mut self, keep: Duration) -> CacheConfig {
        self.keep = keep;
        self
    }

    /// Extra attempts for a request that failed with the retry error (default 2: at
    /// most 3 tries). Keeps the written-request opt-in as set.
    pub fn retry(mut self, retries: usize) -> CacheConfig {
        self.retry = RetryPolicy::new(retries).retry_written(self.retry.retries_written());
        self
    }

    /// The whole retry policy (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> CacheConfig {
        self.retry = policy;
        self
    }

    /// Opts in to retrying written requests whatever their method (default off: only
    /// idempotent methods are retried once written).
    pub fn retry_written(mut self, yes: bool) -> CacheConfig {
        self.retry = self.retry.retry_written(yes);
        self
    }

    /// Connections kept per endpoint (default 4; at least 1).
    pub fn parallel(mut self, parallel: usize) -> CacheConfig {
        self.parallel = parallel.max(1);
        self
    }

    /// Requests queued on one connection (default 100; at least 1).
    pub fn depth(mut self, depth: usize) -> CacheConfig {
        self.depth = depth.max(1);
        self
    }

    /// Sends every request through this direct proxy, in absolute form.
    pub fn proxy(mut self, proxy: ProxyServer) -> CacheConfig {
        self.proxy = Some(proxy);
        self
    }

    /// Headers sent to the proxy: added to each request through a direct proxy, and to
    /// the `CONNECT` of a [`Tunnel`](super::Tunnel).
    pub fn proxy_headers(mut self, headers: HeaderMap) -> CacheConfig {
        self.proxy_headers = headers;
        self
    }

    /// The configuration of the connections the cache makes (context, limits,
    /// timeouts...). Its persistence setting is overridden by the cache.
    pub fn connection(mut self, config: ConnectionConfig) -> CacheConfig {
        self.connection = config;
        self
    }

    /// The idle time before a connection is closed.
    pub fn get_keep(&self) -> Duration {
        self.keep
    }

    /// The retry policy.
    pub fn get_retry(&self) -> RetryPolicy {
        self.retry
    }

    /// Connections kept per endpoint.
    pub fn get_parallel(&self) -> usize {
        self.parallel
    }

    /// Requests queued per connection.
    pub fn get_depth(&self) -> usize {
        self.depth
    }

    /// The direct proxy, if any.
    pub fn get_proxy(&self) -> Option<&ProxyServer> {
        self.proxy.as_ref()
    }

    /// The headers sent to proxies.
    pub fn get_proxy_headers(&self) -> &HeaderMap {
        &self.proxy_headers
    }

    /// The configuration of new connections.
    pub fn get_connection(&self) -> &ConnectionConfig {
        &self.connection
    }

    /// The same options without a direct proxy.
    pub(crate) fn without_proxy(mut self) -> CacheConfig {
        self.proxy = None;
        self
    }

    pub(crate) fn pool_config(&self) -> PoolConfig {
        PoolConfig {
            keep: self.keep,
            parallel: self.parallel,
            depth: self.depth,
            connection: self.connection.clone(),
        }
    }
}

/// A connection cache: connections kept per endpoint. See the module docs.
///
/// Cloning shares the cache. When the last clone is dropped, its connections are shut
/// down (responses in flight still arrive).
#[derive(Clone)]
pub struct Cache {
    pool: Pool,
    retry: RetryPolicy,
    /// The direct proxy, with the headers each request carries to it.
    proxy: Option<(Key, HeaderMap)>,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("retry", &self.retry)
            .field("proxy", &self.proxy.as_ref().map(|(k, _)| k.to_string()))
            .finish_non_exhaustive()
    }
}

/// Makes plain connections: resolve the key's host, connect.
struct Direct;

impl Connector for Direct {
    fn connect(
        &self,
        rt: &Runtime,
        key: &Key,
        config: ConnectionConfig,
    ) -> BoxFuture<'static, Result<Connection>> {
        let made = key
            .uri()
            .and_then(|uri| Connection::create_uri(rt, &uri, config));
        Box::pin(async move { made })
    }
}

impl Cache {
    /// A cache on `rt` with `config`.
    pub fn new(rt: &Runtime, config: CacheConfig) -> Cache {
        let proxy = config.proxy.as_ref().map(|p| {
            let key = Key {
                scheme: "http".into(),
                host: p.host().to_string(),
                port: p.port(),
            };
            (key, p.headers(&config.proxy_headers))
        });
        Cache {
            pool: Pool::new(rt.clone(), config.pool_config(), Box::new(Direct)),
            retry: config.retry,
            proxy,
        }
    }

    /// A cache with the seed's defaults.
    pub fn with_defaults(rt: &Runtime) -> Cache {
        Cache::new(rt, CacheConfig::new())
    }

    /// The open connections to the endpoint of `uri` (its scheme, host and port), or to
    /// the proxy when one is set. For tests and monitoring.
    pub fn connections_to(&self, uri: &http::Uri) -> Result<Vec<Connection>> {
        Ok(self.pool.connections(&self.key_for(uri)?))
    }

    /// Whether a connection to the endpoint of `uri` has answered as persistent, so that
    /// new ones pipeline at once.
    pub fn knows_persistent(&self, uri: &http::Uri) -> Result<bool> {
        Ok(self.pool.knows_persistent(&self.key_for(uri)?))
    }

    /// Closes every connection at once: waiting requests fail with the retry error,
    /// requests in flight with the closed error.
    pub fn close(&self) {
        self.pool.close_all()
    }

    fn key_for(&self, uri: &http::Uri) -> Result<Key> {
        match &self.proxy {
            Some((key, _)) => Ok(key.clone()),
            None => Key::of(uri),
        }
    }

    async fn send(&self, req: Request<Body>) -> Result<Response<Body>> {
        // The key is checked before anything is sent: a URI without a host fails at once.
        let direct_key = Key::of(req.uri())?;
        let key = match &self.proxy {
            Some((key, _)) => key.clone(),
            None => direct_key,
        };
        let req = match &self.proxy {
            Some((_, headers)) => to_proxy(req, headers),
            None => req,
        };
        retry_call(self.retry, req, |req| self.pool.call(&key, req)).await
    }
}

/// A request rewritten for a direct proxy: absolute form (except `CONNECT` and
/// `OPTIONS *`, whose forms are their own), the proxy headers added unless given.
pub(crate) fn to_proxy(mut req: Request<Body>, proxy_headers: &HeaderMap) -> Request<Body> {
    let own_form = req.method() == Method::CONNECT
        || (req.method() == Method::OPTIONS && req.uri().path() == "*");
    if !own_form && req.extensions().get::<TargetForm>().is_none() {
        req.extensions_mut().insert(TargetForm::Absolute);
    }
    for name in proxy_headers.keys() {
        if !req.headers().contains_key(name) {
            for value in proxy_headers.get_all(name) {
                req.headers_mut().append(name.clone(), value.clone());
            }
        }
    }
    req
}

impl Call for Cache {
    fn call(&self, req: Request<Body>) -> BoxFuture<'_, Result<Response<Body>>> {
        Box::pin(self.send(req))
    }
}
