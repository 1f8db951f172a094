//! The runtime contract: what a backend supplies so the protocol logic can run on it.
//!
//! A backend implements three small, object-safe traits:
//!
//! - [`Net`]: resolve a host name, connect a TCP or Unix stream, listen and accept;
//! - [`Sleep`]: read the clock and make timers (the mock backend's clock is virtual,
//!   which is why `now()` is part of the contract rather than `Instant::now()`);
//! - [`Spawn`]: start a detached task (the client connection runs its reader and writer
//!   as background tasks, so a caller never drives hidden futures by hand).
//!
//! [`Runtime`] bundles one of each behind `Arc`s; it is cheap to clone and is what the
//! client and the server take. Everything protocol-specific (trying every resolved
//! address, host overrides, TLS) is written once here in the core, on top of these.
//!
//! # Stream semantics every backend honours
//!
//! A [`Transport`] is an `AsyncRead + AsyncWrite` byte stream. Its `poll_close` must
//! **half-close the write side** (a TCP `shutdown(Write)`), leaving the read side open so
//! that the responses to a finished request stream can still be read. Dropping the
//! stream closes both sides. TCP streams should have `TCP_NODELAY` set: the protocol
//! code coalesces its writes itself.
//!
//! # Example: a runtime from three parts
//!
//! ```
//! use std::sync::Arc;
//! use cohttp_core::runtime::{Runtime, Net, Sleep, Spawn};
//!
//! fn make(net: Arc<dyn Net>, sleep: Arc<dyn Sleep>, spawn: Arc<dyn Spawn>) -> Runtime {
//!     Runtime::new(net, sleep, spawn)
//! }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};

use crate::error::{Error, ErrorKind, Result};

/// A boxed, sendable future, the return type of the object-safe runtime methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A byte stream to a peer: what [`Net`] connects and accepts.
///
/// Blanket-implemented for every `AsyncRead + AsyncWrite + Send + Unpin + 'static`.
/// See the module docs for what `poll_close` must do.
pub trait Transport: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Transport for T {}

/// A boxed [`Transport`].
pub type BoxTransport = Box<dyn Transport>;

/// An address a server listens on, or a peer's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix domain socket path (empty for an unnamed peer).
    Unix(PathBuf),
    /// A name in an in-memory address space (the mock backend's).
    Named(String),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp(a) => write!(f, "{a}"),
            Addr::Unix(p) => write!(f, "unix:{}", p.display()),
            Addr::Named(n) => write!(f, "mem:{n}"),
        }
    }
}

impl From<SocketAddr> for Addr {
    fn from(a: SocketAddr) -> Addr {
        Addr::Tcp(a)
    }
}

/// Where a request goes: what a URI resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A TCP host and port, with the addresses the host resolved to, tried in order.
    Tcp {
        /// The host as written in the URI (used for `Host`, SNI and pooling).
        host: String,
        /// The port.
        port: u16,
        /// The resolved addresses.
        addrs: Vec<SocketAddr>,
    },
    /// A Unix domain socket.
    Unix(PathBuf),
    /// A name in an in-memory address space (the mock backend's).
    Named(String),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port, .. } => {
                if host.contains(':') && !host.starts_with('[') {
                    write!(f, "[{host}]:{port}")
                } else {
                    write!(f, "{host}:{port}")
                }
            }
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
            Endpoint::Named(n) => write!(f, "mem:{n}"),
        }
    }
}

/// A listening socket: yields accepted streams with their peer addresses.
pub trait Listener: Send + 'static {
    /// Polls for the next accepted connection.
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(BoxTransport, Addr)>>;

    /// The address this listener is bound to (with the real port when 0 was asked).
    fn local_addr(&self) -> io::Result<Addr>;
}

impl dyn Listener {
    /// Waits for the next accepted connection.
    pub fn accept(&mut self) -> impl Future<Output = io::Result<(BoxTransport, Addr)>> + '_ {
        futures_util::future::poll_fn(move |cx| self.poll_accept(cx))
    }
}

/// What one accept yields: the stream and the peer's address.
pub type Accepted = io::Result<(BoxTransport, Addr)>;

/// A [`Listener`] for runtimes whose `accept` is an `async fn` (async-std, smol): it
/// polls one boxed accept future at a time, made by `accept` when the previous one is
/// done.
///
/// ```
/// use cohttp_core::runtime::{Addr, FnListener, Listener};
///
/// let l = FnListener::new(Addr::Named("never".into()), || {
///     Box::pin(std::future::pending())
/// });
/// assert_eq!(l.local_addr().unwrap(), Addr::Named("never".into()));
/// ```
pub struct FnListener {
    local: Addr,
    accept: Box<dyn Fn() -> BoxFuture<'static, Accepted> + Send>,
    pending: Option<BoxFuture<'static, Accepted>>,
}

impl FnListener {
    /// A listener bound to `local` whose accepts come from `accept`.
    pub fn new(
        local: Addr,
        accept: impl Fn() -> BoxFuture<'static, Accepted> + Send + 'static,
    ) -> FnListener {
        FnListener {
            local,
            accept: Box::new(accept),
            pending: None,
        }
    }
}

impl Listener for FnListener {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<Accepted> {
        let fut = self.pending.get_or_insert_with(|| (self.accept)());
        let r = fut.as_mut().poll(cx);
        if r.is_ready() {
            self.pending = None;
        }
        r
    }

    fn local_addr(&self) -> io::Result<Addr> {
        Ok(self.local.clone())
    }
}

/// How to reach and accept peers. Implemented once per runtime.
///
/// Methods take plain addresses; host overrides, trying every resolved address and TLS
/// are done by the core ([`Runtime::connect`]).
pub trait Net: Send + Sync + 'static {
    /// Resolves a host name to socket addresses (through the runtime's resolver).
    fn resolve(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>>;

    /// Connects a TCP stream to `addr`, binding the local side to `bind` when given.
    fn connect_tcp(
        &self,
        addr: SocketAddr,
        bind: Option<SocketAddr>,
    ) -> BoxFuture<'static, io::Result<BoxTransport>>;

    /// Connects to a Unix domain socket. Backends without Unix sockets return
    /// `io::ErrorKind::Unsupported`.
    fn connect_unix(&self, path: PathBuf) -> BoxFuture<'static, io::Result<BoxTransport>>;

    /// Connects to a name in an in-memory address space. Only the mock backend has one;
    /// the default answers `io::ErrorKind::Unsupported`.
    fn connect_named(&self, name: String) -> BoxFuture<'static, io::Result<BoxTransport>> {
        let _ = name;
        Box::pin(async { Err(io::Error::from(io::ErrorKind::Unsupported)) })
    }

    /// Listens on `addr`.
    fn listen(&self, addr: Addr) -> BoxFuture<'static, io::Result<Box<dyn Listener>>>;
}

/// A timer from [`Sleep::timer`]: a future that completes at its deadline, and can be
/// moved to another deadline without allocating a new one.
pub trait Timer: Future<Output = ()> + Send {
    /// Moves the deadline; the timer completes at the new one (at once if it is past).
    fn reset(self: Pin<&mut Self>, deadline: Instant);
}

/// The clock and timers of a runtime.
pub trait Sleep: Send + Sync + 'static {
    /// The current instant on this runtime's clock (virtual on the mock backend).
    fn now(&self) -> Instant;

    /// A timer that completes when [`now`](Sleep::now) reaches `deadline`.
    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>>;
}

/// Starting detached tasks.
pub trait Spawn: Send + Sync + 'static {
    /// Starts `task` in the background; it runs to completion whether or not anyone waits.
    fn spawn(&self, task: BoxFuture<'static, ()>);

    /// Runs a blocking job (file I/O, say) where it does not stall the runtime's
    /// workers. The default runs it in place; backends with a blocking pool override it.
    fn spawn_blocking(&self, job: Box<dyn FnOnce() + Send>) {
        job()
    }
}

/// Settings for reaching peers: host overrides, local bind address, TLS settings
/// (feature `tls`).
///
/// The counterpart of the seed's conduit context. An override maps a host (or
/// `host:port`) to an endpoint, for example a Unix socket:
///
/// ```
/// use cohttp_core::runtime::{Ctx, Endpoint};
///
/// let ctx = Ctx::new().with_override("api.local", Endpoint::Unix("/run/api.sock".into()));
/// assert!(ctx.override_for("api.local", 80).is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    overrides: HashMap<String, Endpoint>,
    bind: Option<SocketAddr>,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsClient>,
}

impl Ctx {
    /// A context with no overrides and no bind address.
    pub fn new() -> Ctx {
        Ctx::default()
    }

    /// Maps `host` (or `host:port`, which takes precedence) to `endpoint`.
    pub fn with_override(mut self, host: impl Into<String>, endpoint: Endpoint) -> Ctx {
        self.overrides
            .insert(host.into().to_ascii_lowercase(), endpoint);
        self
    }

    /// Binds the local side of outgoing TCP connections to `addr`.
    pub fn with_bind(mut self, addr: SocketAddr) -> Ctx {
        self.bind = Some(addr);
        self
    }

    /// Uses `tls` for `https` connections instead of the default
    /// ([`TlsClient::new`](crate::tls::TlsClient::new): the `webpki-roots` store).
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, tls: crate::tls::TlsClient) -> Ctx {
        self.tls = Some(tls);
        self
    }

    /// The TLS settings set with [`with_tls`](Ctx::with_tls), if any.
    #[cfg(feature = "tls")]
    pub fn tls(&self) -> Option<&crate::tls::TlsClient> {
        self.tls.as_ref()
    }

    /// The TLS settings to use: those set with [`with_tls`](Ctx::with_tls), else the
    /// shared default. What a client passes to [`crate::tls::connect`] over a tunnel.
    #[cfg(feature = "tls")]
    pub fn tls_client(&self) -> &crate::tls::TlsClient {
        self.tls
            .as_ref()
            .unwrap_or_else(|| crate::tls::TlsClient::shared_default())
    }

    /// The local bind address, if set.
    pub fn bind(&self) -> Option<SocketAddr> {
        self.bind
    }

    /// The override for `host:port` or `host`, if any.
    pub fn override_for(&self, host: &str, port: u16) -> Option<&Endpoint> {
        if self.overrides.is_empty() {
            return None;
        }
        let host = host.to_ascii_lowercase();
        self.overrides
            .get(&format!("{host}:{port}"))
            .or_else(|| self.overrides.get(&host))
    }
}

/// One of each runtime part; what the client and the server run on.
///
/// Cloning is cheap (three `Arc`s). Backends offer a ready-made one
/// (`cohttp_tokio::runtime()`, say); the mock backend's is deterministic.
#[derive(Clone)]
pub struct Runtime {
    net: Arc<dyn Net>,
    sleep: Arc<dyn Sleep>,
    spawn: Arc<dyn Spawn>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime from its three parts.
    pub fn new(net: Arc<dyn Net>, sleep: Arc<dyn Sleep>, spawn: Arc<dyn Spawn>) -> Runtime {
        Runtime { net, sleep, spawn }
    }

    /// The networking part.
    pub fn net(&self) -> &Arc<dyn Net> {
        &self.net
    }

    /// The clock part.
    pub fn clock(&self) -> &Arc<dyn Sleep> {
        &self.sleep
    }

    /// The spawning part.
    pub fn spawner(&self) -> &Arc<dyn Spawn> {
        &self.spawn
    }

    /// Starts a detached task.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.spawn.spawn(Box::pin(task))
    }

    /// Runs a blocking job off the runtime's workers and waits for its result.
    pub async fn blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = futures_channel::oneshot::channel();
        self.spawn.spawn_blocking(Box::new(move || {
            let _ = tx.send(job());
        }));
        rx.await
            .map_err(|_| Error::new(ErrorKind::Io).with_context("blocking job was dropped"))
    }

    /// The current instant on this runtime's clock.
    pub fn now(&self) -> Instant {
        self.sleep.now()
    }

    /// A timer completing at `deadline`.
    pub fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        self.sleep.timer(deadline)
    }

    /// Waits for `duration`.
    pub async fn sleep(&self, duration: Duration) {
        self.sleep.timer(self.sleep.now() + duration).await
    }

    /// Runs `fut`, failing with [`ErrorKind::Timeout`] if it takes longer than `duration`.
    pub async fn timeout<T>(&self, duration: Duration, fut: impl Future<Output = T>) -> Result<T> {
        let timer = self.sleep.timer(self.sleep.now() + duration);
        let mut fut = std::pin::pin!(fut);
        let mut timer = timer;
        futures_util::future::poll_fn(|cx| {
            if let Poll::Ready(v) = fut.as_mut().poll(cx) {
                return Poll::Ready(Ok(v));
            }
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(Error::timeout())),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Resolves `host:port` to an endpoint: a [`Ctx`] override if there is one, an IP
    /// literal as itself, otherwise through the runtime's resolver.
    pub async fn resolve(&self, ctx: &Ctx, host: &str, port: u16) -> Result<Endpoint> {
        if let Some(e) = ctx.override_for(host, port) {
            return Ok(e.clone());
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs =
            match bare.parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, port)],
                Err(_) => self.net.resolve(bare, port).await.map_err(|e| {
                    Error::from(e).with_context(format!("could not resolve {host}"))
                })?,
            };
        if addrs.is_empty() {
            return Err(Error::new(ErrorKind::Io)
                .with_context(format!("could not resolve {host}: no addresses")));
        }
        Ok(Endpoint::Tcp {
            host: host.to_string(),
            port,
            addrs,
        })
    }

    /// Connects to `endpoint`, trying every resolved address in order; the error names
    /// the endpoint and the last failure.
    pub async fn connect(&self, ctx: &Ctx, endpoint: &Endpoint) -> Result<BoxTransport> {
        let fail = |e: io::Error| {
            let reason = describe_io(&e);
            Error::from(e).with_context(format!("could not connect to {endpoint}: {reason}"))
        };
        match endpoint {
            Endpoint::Tcp { addrs, .. } => {
                let mut last = io::Error::new(io::ErrorKind::NotFound, "no addresses");
                for addr in addrs {
                    match self.net.connect_tcp(*addr, ctx.bind()).await {
                        Ok(s) => return Ok(s),
                        Err(e) => last = e,
                    }
                }
                Err(fail(last))
            }
            Endpoint::Unix(path) => self.net.connect_unix(path.clone()).await.map_err(fail),
            Endpoint::Named(name) => self.net.connect_named(name.clone()).await.map_err(fail),
        }
    }

    /// Connects to `endpoint` (as [`connect`](Runtime::connect) does) and runs a TLS
    /// handshake over the stream with the settings of `ctx`
    /// ([`Ctx::tls_client`]), verifying the server as `server_name`.
    ///
    /// This is what the client calls for an `https` URI, with the URI's host as
    /// `server_name` (the endpoint may be an override, a Unix socket say, that carries no
    /// host). Through a CONNECT tunnel, the client calls [`crate::tls::connect`] on the
    /// tunnel stream instead. Neither has a deadline of its own: bound them with
    /// [`timeout`](Runtime::timeout).
    #[cfg(feature = "tls")]
    pub async fn connect_tls(
        &self,
        ctx: &Ctx,
        endpoint: &Endpoint,
        server_name: &str,
    ) -> Result<BoxTransport> {
        let stream = self.connect(ctx, endpoint).await?;
        crate::tls::connect(stream, server_name, ctx.tls_client()).await
    }

    /// Listens on `addr`.
    pub async fn listen(&self, addr: Addr) -> Result<Box<dyn Listener>> {
        let what = format!("could not listen on {addr}");
        self.net.listen(addr).await.map_err(|e| {
            let reason = describe_io(&e);
            Error::from(e).with_context(format!("{what}: {reason}"))
        })
    }
}

/// A short lower-case description of an I/O error, as curl words them.
fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::TimedOut => "timed out".into(),
        io::ErrorKind::NotFound => "not found".into(),
        io::ErrorKind::Unsupported => "not supported by this backend".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_prefer_host_and_port() {
        let ctx = Ctx::new()
            .with_override("a.test", Endpoint::Named("any".into()))
            .with_override("A.test:8080", Endpoint::Named("eighty".into()));
        assert_eq!(
            ctx.override_for("a.TEST", 8080),
            Some(&Endpoint::Named("eighty".into()))
        );
        assert_eq!(
            ctx.override_for("a.test", 81),
            Some(&Endpoint::Named("any".into()))
        );
        assert_eq!(ctx.override_for("b.test", 81), None);
    }

    #[test]
    fn endpoints_display_with_brackets_for_ipv6() {
        let e = Endpoint::Tcp {
            host: "::1".into(),
            port: 80,
            addrs: vec![],
        };
        assert_eq!(e.to_string(), "[::1]:80");
        assert_eq!(Addr::Named("kv".into()).to_string(), "mem:kv");
    }
}
