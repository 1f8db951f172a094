//! [`Proxy`]: a cache that routes each request by [`ProxyConfig`]: direct, through a
//! direct proxy, or through a `CONNECT` tunnel.
//!
//! This file only routes. The choice of a proxy (per-scheme proxies, the default proxy,
//! `no_proxy`) is [`ProxyConfig::proxy_for`]; the connections are kept by a
//! [`Cache`] per proxy (and one for direct requests) and a [`Tunnel`] per proxy.
//!
//! - a host exempted by `no_proxy`, or a scheme with no proxy: direct;
//! - `https`: through a [`Tunnel`] to its proxy (`CONNECT host:443`), so the proxy never
//!   sees the request;
//! - every other scheme: through its proxy as a direct proxy, the request in absolute
//!   form;
//! - a scheme's own proxy beats the default one;
//! - the proxy headers go to the proxy only: on `CONNECT` for tunnels, on each request
//!   for direct proxies.
//!
//! ```no_run
//! # async fn demo(rt: cohttp_core::Runtime) -> cohttp_core::Result<()> {
//! use cohttp_core::client::{CacheConfig, Call, Proxy, ProxyConfig};
//! use cohttp_core::Body;
//!
//! let proxy = Proxy::new(&rt, ProxyConfig::from_env()?, CacheConfig::new());
//! let req = http::Request::get("http://example.test/").body(Body::empty()).unwrap();
//! let resp = proxy.call(req).await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use http::{Request, Response};

use super::cache::{Cache, CacheConfig};
use super::call::Call;
use super::proxy_config::{ProxyConfig, ProxyServer};
use super::tunnel::{Tunnel, TunnelTls};
use crate::body::Body;
use crate::error::Result;
use crate::runtime::{BoxFuture, Runtime};

/// The schemes that go through a tunnel rather than a direct proxy.
const TUNNEL_SCHEMES: &[&str] = &["https", "wss"];

/// Routes requests by a [`ProxyConfig`]. See the module docs.
///
/// Cloning shares the caches.
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

struct Inner {
    config: ProxyConfig,
    direct: Cache,
    /// By proxy URI, made when first used.
    via: std::sync::Mutex<HashMap<String, Route>>,
    rt: Runtime,
    cache: CacheConfig,
    tls: Option<Arc<dyn TunnelTls>>,
}

#[derive(Clone)]
enum Route {
    Direct(Cache),
    Tunnel(Tunnel),
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Which way a request goes, for [`Proxy::route_of`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyRoute {
    /// Straight to the origin.
    Direct,
    /// Through this direct proxy, in absolute form.
    Forward(ProxyServer),
    /// Through a `CONNECT` tunnel of this proxy.
    Tunnel(ProxyServer),
}

impl Proxy {
    /// Routes by `config`; every cache it makes has the options of `cache` (whose own
    /// `proxy` is ignored). `https` through a tunnel carries this crate's TLS to the
    /// origin, with the settings of `cache`'s context (see [`Tunnel`]).
    pub fn new(rt: &Runtime, config: ProxyConfig, cache: CacheConfig) -> Proxy {
        Proxy::build(rt, config, cache, None)
    }

    /// Like [`new`](Proxy::new), with `tls` for `https` inside tunnels instead of this
    /// crate's own (see [`TunnelTls`]).
    pub fn with_tls(
        rt: &Runtime,
        config: ProxyConfig,
        cache: CacheConfig,
        tls: Arc<dyn TunnelTls>,
    ) -> Proxy {
        Proxy::build(rt, config, cache, Some(tls))
    }

    fn build(
        rt: &Runtime,
        config: ProxyConfig,
        cache: CacheConfig,
        tls: Option<Arc<dyn TunnelTls>>,
    ) -> Proxy {
        let cache = cache.proxy_headers(config.proxy_headers().clone());
        let direct = Cache::new(rt, cache.clone().without_proxy());
        Proxy {
            inner: Arc::new(Inner {
                config,
                direct,
                via: std::sync::Mutex::new(HashMap::new()),
                rt: rt.clone(),
                cache,
                tls,
            }),
        }
    }

    /// The configuration requests are routed by.
    pub fn config(&self) -> &ProxyConfig {
        &self.inner.config
    }

    /// Which way a request to `uri` goes.
    pub fn route_of(&self, uri: &http::Uri) -> ProxyRoute {
        match self.inner.config.proxy_for(uri) {
            None => ProxyRoute::Direct,
            Some(p) if tunnels(uri) => ProxyRoute::Tunnel(p.clone()),
            Some(p) => ProxyRoute::Forward(p.clone()),
        }
    }

    fn route(&self, route: ProxyRoute) -> Route {
        let (server, tunnel) = match route {
            ProxyRoute::Direct => return Route::Direct(self.inner.direct.clone()),
            ProxyRoute::Forward(p) => (p, false),
            ProxyRoute::Tunnel(p) => (p, true),
        };
        let name = format!("{}{}", if tunnel { "tunnel " } else { "" }, server.uri());
        let mut via = self.inner.via.lock().unwrap_or_else(|e| e.into_inner());
        via.entry(name)
            .or_insert_with(|| {
                let i = &self.inner;
                if tunnel {
                    Route::Tunnel(match &i.tls {
                        Some(tls) => Tunnel::with_tls(&i.rt, server, i.cache.clone(), tls.clone()),
                        None => Tunnel::new(&i.rt, server, i.cache.clone()),
                    })
                } else {
                    Route::Direct(Cache::new(&i.rt, i.cache.clone().proxy(server)))
                }
            })
            .clone()
    }

    async fn send(&self, req: Request<Body>) -> Result<Response<Body>> {
        match self.route(self.route_of(req.uri())) {
            Route::Direct(cache) => cache.call(req).await,
            Route::Tunnel(tunnel) => tunnel.call(req).await,
        }
    }
}

fn tunnels(uri: &http::Uri) -> bool {
    let scheme = uri.scheme_str().unwrap_or("http");
    TUNNEL_SCHEMES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
}

impl Call for Proxy {
    fn call(&self, req: Request<Body>) -> BoxFuture<'_, Result<Response<Body>>> {
        Box::pin(self.send(req))
    }
}
