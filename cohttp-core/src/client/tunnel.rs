//! [`Tunnel`]: requests carried through an HTTP proxy by `CONNECT host:port` (RFC 9110
//! §9.3.6), with connections kept per destination like a [`Cache`](super::Cache).
//!
//! For each new connection the tunnel opens a stream to the proxy, sends
//! `CONNECT host:port HTTP/1.1` with `Host` and the proxy headers (these go to the proxy
//! only: never on the requests inside the tunnel), and reads the proxy's answer. A 2xx
//! answer opens the tunnel: the stream is handed to a [`Connection`], and the requests
//! ride it in origin form, as to the destination itself. Any other answer fails the
//! request with [`ErrorKind::Proxy`](crate::ErrorKind::Proxy) carrying the status.
//!
//! Choice of a connection, `parallel`, `depth`, `keep`, persistence learning and retries
//! are the cache's (see [`CacheConfig`]), per destination.
//!
//! # TLS
//!
//! `https` (and `wss`) destinations get TLS inside the tunnel, end to end with the
//! origin: the proxy only relays encrypted bytes. The handshake runs through
//! [`TunnelTls`], which wraps the tunnelled stream before the first request. By default
//! (feature `tls`) that is this crate's TLS with the settings of the connection
//! configuration's context (`Ctx::tls_client`), the destination's host as SNI;
//! [`Tunnel::with_tls`] plugs in another. Opening the tunnel and the handshake share
//! the connect timeout. Without TLS (the `tls` feature off and no [`TunnelTls`] given),
//! an `https` request through a tunnel fails with
//! [`TlsFailure::Unavailable`](crate::TlsFailure::Unavailable) before anything is sent,
//! rather than going out in clear text; other schemes ride the tunnel as they are.
//!
//! ```no_run
//! # async fn demo(rt: cohttp_core::Runtime) -> cohttp_core::Result<()> {
//! use cohttp_core::client::{CacheConfig, Call, ProxyServer, Tunnel};
//! use cohttp_core::Body;
//!
//! let proxy = ProxyServer::parse("proxy.internal:3128")?;
//! let tunnel = Tunnel::new(&rt, proxy, CacheConfig::new());
//! let req = http::Request::get("http://example.test/").body(Body::empty()).unwrap();
//! let resp = tunnel.call(req).await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::BytesMut;
use http::header::{HeaderMap, HeaderValue, HOST};
use http::{Method, Request, Response, Version};

use super::cache::CacheConfig;
use super::call::Call;
use super::config::ConnectionConfig;
use super::connection::{tls_unavailable, Connection};
use super::pool::{Connector, Key, Pool};
use super::proxy_config::ProxyServer;
use super::retry::{retry_call, RetryPolicy};
use crate::body::Body;
use crate::error::{Error, ErrorKind, Malformed, Result};
use crate::h1;
use crate::runtime::{BoxFuture, BoxTransport, Runtime};

/// Wraps the stream of an open tunnel in TLS for an `https` destination: the seam where
/// TLS plugs in (see the module docs).
pub trait TunnelTls: Send + Sync + 'static {
    /// Returns the stream to speak HTTP over, after a TLS handshake with `host` (the
    /// destination's name, for SNI and certificate checks).
    fn wrap(&self, host: &str, stream: BoxTransport) -> BoxFuture<'static, Result<BoxTransport>>;
}

/// Requests through `CONNECT` tunnels of one proxy. See the module docs.
///
/// Cloning shares the tunnels. When the last clone is dropped, they are shut down.
#[derive(Clone)]
pub struct Tunnel {
    pool: Pool,
    retry: RetryPolicy,
    proxy: ProxyServer,
}

impl fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tunnel")
            .field("proxy", &self.proxy)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Makes tunnelled connections.
struct Connect {
    proxy: ProxyServer,
    /// Sent on `CONNECT`.
    headers: HeaderMap,
    /// The configuration of the stream to the proxy (context, connect timeout).
    to_proxy: ConnectionConfig,
    tls: Option<Arc<dyn TunnelTls>>,
}

impl Connector for Connect {
    fn connect(
        &self,
        rt: &Runtime,
        key: &Key,
        config: ConnectionConfig,
    ) -> BoxFuture<'static, Result<Connection>> {
        let rt = rt.clone();
        let key = key.clone();
        let proxy = self.proxy.clone();
        let headers = self.headers.clone();
        let tls = self.tls.clone();
        let timeout = self.to_proxy.get_connect_timeout();
        let ctx = self.to_proxy.get_ctx().clone();
        let secure = matches!(key.scheme.as_str(), "https" | "wss");
        Box::pin(async move {
            let tls = match (secure, tls) {
                (true, None) => return Err(tls_unavailable(&key)),
                (true, Some(tls)) => Some(tls),
                (false, _) => None,
            };
            // Opening the tunnel and the TLS handshake share the connect timeout.
            let open = async {
                let endpoint = rt.resolve(&ctx, proxy.host(), proxy.port()).await?;
                let mut stream = rt.connect(&ctx, &endpoint).await?;
                let buffered = handshake(&mut stream, &key, &headers).await?;
                let Some(tls) = tls else {
                    return Ok::<_, Error>((stream, buffered));
                };
                if !buffered.is_empty() {
                    // TLS starts with the client's hello: bytes before it are not TLS.
                    return Err(Error::malformed(Malformed::UnexpectedResponse)
                        .with_context("proxy sent bytes after its CONNECT answer"));
                }
                let host = key.host.trim_start_matches('[').trim_end_matches(']');
                Ok((tls.wrap(host, stream).await?, buffered))
            };
            let (stream, buffered) = match timeout {
                Some(d) => rt.timeout(d, open).await.and_then(|r| r)?,
                None => open.await?,
            };
            Ok(Connection::from_transport_buffered(
                &rt, stream, buffered, config,
            ))
        })
    }
}

/// Sends `CONNECT` for `key` on `stream` and reads the proxy's answer. Returns the bytes
/// read past the answer's head (the start of the tunnel's traffic).
async fn handshake(
    stream: &mut BoxTransport,
    key: &Key,
    proxy_headers: &HeaderMap,
) -> Result<BytesMut> {
    let authority = key.authority();
    let mut headers = proxy_headers.clone();
    let host = HeaderValue::from_str(&authority).map_err(|e| {
        Error::malformed(Malformed::InvalidUri)
            .with_context(format!("CONNECT {authority}"))
            .with_source(e)
    })?;
    headers.insert(HOST, host);
    let mut out = Vec::new();
    h1::write_request_head(
        &Method::CONNECT,
        &authority,
        Version::HTTP_11,
        &headers,
        &mut out,
    )?;
    h1::io::write_all(stream, &out).await?;

    let limits = h1::Limits::default();
    let mut buf = BytesMut::with_capacity(1024);
    // Bounded: every pass reads bytes, and the head parser fails past its size limits.
    loop {
        match h1::parse_response(&buf, &limits)? {
            Some(parsed) => {
                let status = parsed.head.status();
                let _ = buf.split_to(parsed.head_len);
                if status.is_informational() {
                    continue;
                }
                if !status.is_success() {
                    return Err(Error::new(ErrorKind::Proxy(status))
                        .with_context(format!("proxy refused CONNECT {authority}")));
                }
                return Ok(buf);
            }
            None => {
                let n = h1::io::read_buf(stream, &mut buf, 1024).await?;
                if n == 0 {
                    return Err(Error::malformed(Malformed::TruncatedHead)
                        .with_context(format!("proxy closed during CONNECT {authority}")));
                }
            }
        }
    }
}

impl Tunnel {
    /// Tunnels through `proxy`, with `config`'s options (its `proxy` is ignored: the
    /// tunnel's proxy is `proxy`; its proxy headers go on `CONNECT`). `https` tunnels
    /// carry this crate's TLS with the settings of `config`'s context (see the module
    /// docs).
    pub fn new(rt: &Runtime, proxy: ProxyServer, config: CacheConfig) -> Tunnel {
        let tls = default_tls(&config);
        Tunnel::build(rt, proxy, config, tls)
    }

    /// Like [`new`](Tunnel::new), wrapping `https` tunnels in TLS with `tls`.
    pub fn with_tls(
        rt: &Runtime,
        proxy: ProxyServer,
        config: CacheConfig,
        tls: Arc<dyn TunnelTls>,
    ) -> Tunnel {
        Tunnel::build(rt, proxy, config, Some(tls))
    }

    fn build(
        rt: &Runtime,
        proxy: ProxyServer,
        config: CacheConfig,
        tls: Option<Arc<dyn TunnelTls>>,
    ) -> Tunnel {
        let connector = Connect {
            headers: proxy.headers(config.get_proxy_headers()),
            proxy: proxy.clone(),
            to_proxy: config.get_connection().clone(),
            tls,
        };
        Tunnel {
            pool: Pool::new(rt.clone(), config.pool_config(), Box::new(connector)),
            retry: config.get_retry(),
            proxy,
        }
    }

    /// The proxy this tunnel goes through.
    pub fn proxy(&self) -> &ProxyServer {
        &self.proxy
    }

    /// The open tunnelled connections to the destination of `uri`.
    pub fn connections_to(&self, uri: &http::Uri) -> Result<Vec<Connection>> {
        Ok(self.pool.connections(&Key::of(uri)?))
    }

    /// Closes every tunnel at once.
    pub fn close(&self) {
        self.pool.close_all()
    }

    async fn send(&self, req: Request<Body>) -> Result<Response<Body>> {
        let key = Key::of(req.uri())?;
        retry_call(self.retry, req, |req| self.pool.call(&key, req)).await
    }
}

/// The TLS of `https` tunnels unless another is given: the crate's own, with the
/// settings of the connection configuration's context.
pub(crate) fn default_tls(config: &CacheConfig) -> Option<Arc<dyn TunnelTls>> {
    #[cfg(feature = "tls")]
    return Some(Arc::new(
        config.get_connection().get_ctx().tls_client().clone(),
    ));
    #[cfg(not(feature = "tls"))]
    {
        let _ = config;
        None
    }
}

/// This crate's TLS as the tunnel's: [`crate::tls::connect`] with these settings.
#[cfg(feature = "tls")]
impl TunnelTls for crate::tls::TlsClient {
    fn wrap(&self, host: &str, stream: BoxTransport) -> BoxFuture<'static, Result<BoxTransport>> {
        let tls = self.clone();
        let host = host.to_string();
        Box::pin(async move { crate::tls::connect(stream, &host, &tls).await })
    }
}

impl Call for Tunnel {
    fn call(&self, req: Request<Body>) -> BoxFuture<'_, Result<Response<Body>>> {
        Box::pin(self.send(req))
    }
}
