//! [`ForwardProxy`]: the handler of a forward proxy.
//!
//! - An absolute-form request (`GET http://host/path HTTP/1.1`) is forwarded through a
//!   connection cache ([`Cache`] by default, any [`Call`] can be given): hop-by-hop
//!   fields removed ([`remove_hop_by_hop`]), `Host` set from the target, `Via` added
//!   (and to the response too), the request body streamed up and the response body
//!   streamed back.
//! - `CONNECT host:port` opens a TCP connection to the target and answers `200`; the
//!   bytes are then [`pipe`]d both ways until both sides have closed (half-closes
//!   propagated), an error, or the idle timeout.
//! - Loops are refused with `508 Loop Detected`: a request whose `Via` already names
//!   this proxy's pseudonym (unique per value), and a `CONNECT` to the proxy's own
//!   listening address.
//! - A request in origin-form (not meant for a proxy), a scheme other than `http`
//!   (and `https` with the `tls` feature), gets `400`. An upstream that cannot be
//!   reached, or that answers with a malformed response, gets `502`; one that does not
//!   answer in time `504`.
//!
//! There is no access control: bound to anything but loopback, this is an open proxy.
//!
//! ```no_run
//! # async fn demo(rt: cohttp_core::Runtime) -> cohttp_core::Result<()> {
//! use cohttp_core::proxy::ForwardProxy;
//! use cohttp_core::runtime::Addr;
//! use cohttp_core::server::{serve, ServerConfig};
//!
//! let proxy = ForwardProxy::new(&rt);
//! let addr = Addr::Tcp("127.0.0.1:3128".parse().unwrap());
//! serve(&rt, addr, proxy, ServerConfig::default(), std::future::pending()).await
//! # }
//! ```

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::header::{EXPECT, HOST};
use http::{Method, Request, Response, StatusCode, Uri, Version};

use crate::body::Body;
use crate::client::{Cache, CacheConfig, Call};
use crate::error::{Error, ErrorKind, Malformed, Result};
use crate::proxy::hop::{add_via, remove_hop_by_hop, via_names};
use crate::proxy::pipe::pipe;
use crate::runtime::{Addr, BoxFuture, Ctx, Runtime};
use crate::server::{respond_error, ConnInfo, Expert, Handler, Next, Reply};

/// A forward proxy handler. See the module docs.
///
/// Cloning shares it (its cache included).
#[derive(Clone)]
pub struct ForwardProxy {
    inner: Arc<Inner>,
}

struct Inner {
    rt: Runtime,
    upstream: Arc<dyn Call>,
    ctx: Ctx,
    pseudonym: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    tunnel_idle: Duration,
}

impl fmt::Debug for ForwardProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForwardProxy")
            .field("pseudonym", &self.inner.pseudonym)
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("response_timeout", &self.inner.response_timeout)
            .field("tunnel_idle", &self.inner.tunnel_idle)
            .finish_non_exhaustive()
    }
}

impl ForwardProxy {
    /// A proxy on `rt` forwarding through a [`Cache`] with the default options, with a
    /// fresh pseudonym (`cohttp-proxy-<16 hex digits>`). Timeouts: connect 10 s,
    /// response head 60 s, tunnel idle 300 s.
    pub fn new(rt: &Runtime) -> ForwardProxy {
        let random = RandomState::new().build_hasher().finish();
        ForwardProxy {
            inner: Arc::new(Inner {
                rt: rt.clone(),
                upstream: Arc::new(Cache::new(rt, CacheConfig::new())),
                ctx: Ctx::new(),
                pseudonym: format!("cohttp-proxy-{random:016x}"),
                connect_timeout: Duration::from_secs(10),
                response_timeout: Duration::from_secs(60),
                tunnel_idle: Duration::from_secs(300),
            }),
        }
    }

    /// Forwards plain requests through `upstream` instead of the default cache.
    pub fn upstream(self, upstream: impl Call + 'static) -> ForwardProxy {
        let upstream: Arc<dyn Call> = Arc::new(upstream);
        self.with(|i| i.upstream = upstream)
    }

    /// The name this proxy gives itself in `Via` (a token; default: unique per value).
    pub fn pseudonym(self, name: impl Into<String>) -> ForwardProxy {
        let name = name.into();
        self.with(|i| i.pseudonym = name)
    }

    /// Resolver overrides and bind address for `CONNECT` targets.
    pub fn ctx(self, ctx: Ctx) -> ForwardProxy {
        self.with(|i| i.ctx = ctx)
    }

    /// How long connecting a `CONNECT` target may take (default 10 s).
    pub fn connect_timeout(self, d: Duration) -> ForwardProxy {
        self.with(|i| i.connect_timeout = d)
    }

    /// How long the upstream may take to send a response head (default 60 s); past
    /// it the client gets `504`.
    pub fn response_timeout(self, d: Duration) -> ForwardProxy {
        self.with(|i| i.response_timeout = d)
    }

    /// How long a tunnel may stay without a byte moving before it is closed (default
    /// 300 s).
    pub fn tunnel_idle_timeout(self, d: Duration) -> ForwardProxy {
        self.with(|i| i.tunnel_idle = d)
    }

    /// The name this proxy gives itself in `Via`.
    pub fn get_pseudonym(&self) -> &str {
        &self.inner.pseudonym
    }

    fn with(self, f: impl FnOnce(&mut Inner)) -> ForwardProxy {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            rt: shared.rt.clone(),
            upstream: shared.upstream.clone(),
            ctx: shared.ctx.clone(),
            pseudonym: shared.pseudonym.clone(),
            connect_timeout: shared.connect_timeout,
            response_timeout: shared.response_timeout,
            tunnel_idle: shared.tunnel_idle,
        });
        f(&mut inner);
        ForwardProxy {
            inner: Arc::new(inner),
        }
    }

    /// The answer to one request received by the proxy.
    ///
    /// # Errors
    ///
    /// None in practice: every failure is answered with its status. The `Result` is
    /// the handler contract's.
    pub async fn answer(&self, conn: &ConnInfo, req: Request<()>, body: Body) -> Result<Reply> {
        if via_names(req.headers(), &self.inner.pseudonym) {
            return Ok(loop_detected().into());
        }
        if req.method() == Method::CONNECT {
            return Ok(self.connect(conn, req.uri()).await);
        }
        let scheme_ok = match req.uri().scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => true,
            Some(s) if s.eq_ignore_ascii_case("https") => cfg!(feature = "tls"),
            _ => false,
        };
        if !scheme_ok || req.uri().authority().is_none() {
            let why = if req.uri().scheme().is_none() {
                "this is a proxy: send requests in absolute form (http://host/path)"
            } else {
                "unsupported scheme for a proxy request"
            };
            return Ok(respond_error(StatusCode::BAD_REQUEST, why).into());
        }
        Ok(self.forward(req, body).await.into())
    }

    async fn forward(&self, req: Request<()>, body: Body) -> Response<Body> {
        let (parts, ()) = req.into_parts();
        let received = parts.version;
        let mut headers = parts.headers;
        remove_hop_by_hop(&mut headers);
        // The body was already asked for (100 Continue) by reading it here; the host
        // comes from the target (RFC 9112 §3.2.2).
        headers.remove(EXPECT);
        headers.remove(HOST);
        add_via(&mut headers, received, &self.inner.pseudonym);
        let mut out = Request::new(body);
        *out.method_mut() = parts.method;
        *out.uri_mut() = parts.uri;
        *out.version_mut() = Version::HTTP_11;
        *out.headers_mut() = headers;
        let target = out.uri().clone();
        let rt = &self.inner.rt;
        let answer = rt
            .timeout(self.inner.response_timeout, self.inner.upstream.call(out))
            .await
            .and_then(|r| r);
        match answer {
            Ok(resp) => {
                let (mut parts, body) = resp.into_parts();
                remove_hop_by_hop(&mut parts.headers);
                add_via(&mut parts.headers, parts.version, &self.inner.pseudonym);
                parts.version = Version::HTTP_11;
                Response::from_parts(parts, body)
            }
            Err(e) => {
                log::info!("proxy: {target}: {e}");
                upstream_failure(&e, &target)
            }
        }
    }

    async fn connect(&self, conn: &ConnInfo, target: &Uri) -> Reply {
        let Some(authority) = target.authority() else {
            return respond_error(StatusCode::BAD_REQUEST, "CONNECT needs host:port").into();
        };
        let (host, Some(port)) = (authority.host(), authority.port_u16()) else {
            return respond_error(StatusCode::BAD_REQUEST, "CONNECT needs host:port").into();
        };
        if is_self(conn, host, port) {
            return loop_detected().into();
        }
        let rt = self.inner.rt.clone();
        let ctx = &self.inner.ctx;
        let connected = rt
            .timeout(self.inner.connect_timeout, async {
                let endpoint = rt.resolve(ctx, host, port).await?;
                rt.connect(ctx, &endpoint).await
            })
            .await
            .and_then(|r| r);
        let upstream = match connected {
            Ok(io) => io,
            Err(e) => {
                log::info!("proxy: CONNECT {authority}: {e}");
                return upstream_failure(&e, target).into();
            }
        };
        let idle = self.inner.tunnel_idle;
        let head = Response::builder()
            .status(StatusCode::OK)
            .body(())
            .unwrap_or_default();
        let what = authority.to_string();
        Expert::new(head, move |client| async move {
            match pipe(&rt, client, upstream, idle).await {
                Ok(moved) => log::debug!(
                    "proxy: tunnel to {what} closed ({} bytes up, {} down)",
                    moved.a_to_b,
                    moved.b_to_a
                ),
                Err(e) => log::debug!("proxy: tunnel to {what} ended: {e}"),
            }
            Ok(Next::Close)
        })
        .into()
    }
}

/// `508 Loop Detected`.
fn loop_detected() -> Response<Body> {
    respond_error(
        StatusCode::LOOP_DETECTED,
        "request loops through this proxy",
    )
}

/// The answer for a request the upstream did not answer: `504` on a timeout, `400`
/// for a target that cannot be requested, `502` otherwise.
fn upstream_failure(e: &Error, target: &Uri) -> Response<Body> {
    let status = match e.kind() {
        ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorKind::Malformed(Malformed::InvalidUri) | ErrorKind::Usage => StatusCode::BAD_REQUEST,
        _ => StatusCode::BAD_GATEWAY,
    };
    respond_error(status, &format!("{target}: {e}"))
}

/// Whether `host:port` is the address this connection was accepted on (or, for a
/// wildcard listener, a loopback or the same port on any local address).
fn is_self(conn: &ConnInfo, host: &str, port: u16) -> bool {
    let Some(Addr::Tcp(local)) = conn.local() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = bare.parse::<IpAddr>() else {
        return bare.eq_ignore_ascii_case("localhost") && port == local.port();
    };
    same_socket(*local, SocketAddr::new(ip, port))
}

fn same_socket(local: SocketAddr, target: SocketAddr) -> bool {
    if local.port() != target.port() {
        return false;
    }
    local.ip() == target.ip()
        || (local.ip().is_unspecified()
            && (target.ip().is_loopback() || target.ip().is_unspecified()))
}

impl Handler for ForwardProxy {
    type Future = BoxFuture<'static, Result<Reply>>;

    fn call(&self, conn: ConnInfo, request: Request<()>, body: Body) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.answer(&conn, request, body).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_addresses_include_wildcards_and_loopback() {
        let any: SocketAddr = "0.0.0.0:3128".parse().unwrap();
        let lo: SocketAddr = "127.0.0.1:3128".parse().unwrap();
        assert!(same_socket(lo, lo));
        assert!(same_socket(any, lo));
        assert!(!same_socket(lo, "127.0.0.1:80".parse().unwrap()));
        assert!(!same_socket(lo, "127.0.0.2:3128".parse().unwrap()));
    }
}
