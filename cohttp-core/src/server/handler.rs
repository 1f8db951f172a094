//! The handler API: what the server calls for each request, and what it answers.
//!
//! A [`Handler`] gets the connection's [`ConnInfo`], the request head and its streamed
//! [`Body`], and returns a [`Reply`]: either a response with a body, or an [`Expert`]
//! response, whose head the server writes before handing the raw stream ([`Upgraded`])
//! to the handler (upgrades, tunnels, hand-written framing). Closures
//! `Fn(ConnInfo, Request<()>, Body) -> impl Future<Output = Result<R, E>>` are handlers,
//! and so is any type implementing the trait (which can also watch connections close).
//!
//! This file holds the types only; the connection loop that drives them is in
//! `conn.rs`.
//!
//! ```
//! use cohttp_core::server::{respond_string, ConnInfo};
//! use cohttp_core::{Body, Error};
//! use http::{Request, StatusCode};
//!
//! let handler = |conn: ConnInfo, req: Request<()>, body: Body| async move {
//!     let text = body.to_string().await?;
//!     let answer = format!("{} {} from {}: {text}", req.method(), req.uri(), conn.peer());
//!     Ok::<_, Error>(respond_string(StatusCode::OK, answer))
//! };
//! # fn is_handler<H: cohttp_core::server::Handler>(_: &H) {}
//! # is_handler(&handler);
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use http::{Request, Response};

use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::runtime::{Addr, BoxFuture};
use crate::server::shared::{lock, Shared};

/// Who is on the other end of a connection: its id and addresses.
///
/// Cloning is cheap (one reference count); the same value is given to every request
/// of the connection and to [`Handler::conn_closed`].
#[derive(Clone)]
pub struct ConnInfo {
    inner: Arc<ConnInfoInner>,
}

struct ConnInfoInner {
    id: u64,
    peer: Addr,
    local: Option<Addr>,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsInfo>,
}

impl ConnInfo {
    /// Information for connection number `id` with a peer at `peer`, accepted on `local`.
    ///
    /// `serve` numbers its connections from 1 in accept order.
    pub fn new(id: u64, peer: Addr, local: Option<Addr>) -> ConnInfo {
        ConnInfo {
            inner: Arc::new(ConnInfoInner {
                id,
                peer,
                local,
                #[cfg(feature = "tls")]
                tls: None,
            }),
        }
    }

    /// The same information, for a connection that runs over TLS with what its
    /// handshake negotiated (feature `tls`).
    #[cfg(feature = "tls")]
    pub fn with_tls(self, tls: crate::tls::TlsInfo) -> ConnInfo {
        let i = &self.inner;
        ConnInfo {
            inner: Arc::new(ConnInfoInner {
                id: i.id,
                peer: i.peer.clone(),
                local: i.local.clone(),
                tls: Some(tls),
            }),
        }
    }

    /// Whether the connection runs over TLS (HTTPS).
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.inner.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// What the TLS handshake negotiated (the SNI name the client asked for, ALPN), for
    /// a connection over TLS (feature `tls`).
    #[cfg(feature = "tls")]
    pub fn tls(&self) -> Option<&crate::tls::TlsInfo> {
        self.inner.tls.as_ref()
    }

    /// The connection's id, unique within one server.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The peer's address.
    pub fn peer(&self) -> &Addr {
        &self.inner.peer
    }

    /// The local address the connection was accepted on, when known.
    pub fn local(&self) -> Option<&Addr> {
        self.inner.local.as_ref()
    }
}

impl fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection {} from {}", self.inner.id, self.inner.peer)?;
        if self.is_tls() {
            f.write_str(" (TLS)")?;
        }
        Ok(())
    }
}

/// What a handler answers with.
pub enum Reply {
    /// A response and its body, framed by the server (`Content-Length` or chunked).
    Response(Response<Body>),
    /// An expert response: the head is written as given, then the handler speaks on
    /// the raw stream.
    Expert(Expert),
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Response(r) => f.debug_tuple("Response").field(r).finish(),
            Reply::Expert(e) => f.debug_tuple("Expert").field(e).finish(),
        }
    }
}

impl From<Response<Body>> for Reply {
    fn from(r: Response<Body>) -> Reply {
        Reply::Response(r)
    }
}

impl From<Expert> for Reply {
    fn from(e: Expert) -> Reply {
        Reply::Expert(e)
    }
}

/// What the connection does after an expert handler is done with the raw stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read the next request from the stream, as HTTP/1.1.
    Continue,
    /// Close the connection.
    Close,
}

type ExpertRun = Box<dyn FnOnce(Upgraded) -> BoxFuture<'static, Result<Next>> + Send>;

/// An expert response: a head written as given (no framing header is added; `Date`
/// is), then a function that gets the raw stream.
///
/// ```
/// use cohttp_core::server::{Expert, Next};
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use http::{Response, StatusCode};
///
/// let head = Response::builder()
///     .status(StatusCode::SWITCHING_PROTOCOLS)
///     .header("connection", "upgrade")
///     .header("upgrade", "echo")
///     .body(())
///     .unwrap();
/// let expert = Expert::new(head, |mut io| async move {
///     let mut line = [0u8; 4];
///     io.read_exact(&mut line).await?;
///     io.write_all(&line).await?;
///     Ok(Next::Close)
/// });
/// ```
pub struct Expert {
    pub(crate) head: Response<()>,
    pub(crate) run: ExpertRun,
}

impl Expert {
    /// An expert response with this head, then `run` on the raw stream. `run`'s answer
    /// says whether HTTP goes on afterwards; an error or a panic closes the connection.
    pub fn new<F, Fut>(head: Response<()>, run: F) -> Expert
    where
        F: FnOnce(Upgraded) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Next>> + Send + 'static,
    {
        Expert {
            head,
            run: Box::new(move |io| Box::pin(run(io))),
        }
    }

    /// The head to be written.
    pub fn head(&self) -> &Response<()> {
        &self.head
    }
}

impl fmt::Debug for Expert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expert").field("head", &self.head).finish()
    }
}

/// The raw stream given to an [`Expert`] handler, after its head was written.
///
/// Reads first return what the server had already read past the request, then read
/// the transport; writes go straight to the transport; `close` half-closes its write
/// side. It stops working (every operation fails) once the expert handler returned.
pub struct Upgraded {
    pub(crate) shared: Arc<Mutex<Shared>>,
    pub(crate) generation: u64,
}

impl fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgraded")
            .field("generation", &self.generation)
            .finish()
    }
}

impl Upgraded {
    fn with<T>(&self, f: impl FnOnce(&mut Shared) -> Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        let mut shared = lock(&self.shared);
        if shared.generation != self.generation {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the expert handler already returned; its stream is closed",
            )));
        }
        f(&mut shared)
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.with(|s| s.poll_read_raw(cx, buf))
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.with(|s| s.poll_write_raw(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|s| s.poll_flush(cx))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|s| s.poll_half_close(cx))
    }
}

/// Answers requests. Implemented by closures (see the module docs) and by types that
/// want more, such as [`conn_closed`](Handler::conn_closed).
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use futures_util::future::{BoxFuture, FutureExt};
/// use cohttp_core::server::{respond_string, ConnInfo, Handler, Reply};
/// use cohttp_core::{Body, Result};
/// use http::{Request, StatusCode};
///
/// /// Counts the connections that ended.
/// #[derive(Default)]
/// struct Counter {
///     closed: AtomicU64,
/// }
///
/// impl Handler for Counter {
///     type Future = BoxFuture<'static, Result<Reply>>;
///
///     fn call(&self, conn: ConnInfo, _: Request<()>, _: Body) -> Self::Future {
///         let text = format!("you are connection {}", conn.id());
///         async move { Ok(respond_string(StatusCode::OK, text).into()) }.boxed()
///     }
///
///     fn conn_closed(&self, _: &ConnInfo) {
///         self.closed.fetch_add(1, Ordering::Relaxed);
///     }
/// }
/// ```
///
/// The handler is shared by every connection of a server (`Sync`); each call gets
/// its own future. An `Err` answer, or a panic in `call` or its future, becomes a
/// `500 Internal Server Error` (or the status of the request body's own error, when
/// reading the body is what failed), and is logged.
pub trait Handler: Send + Sync + 'static {
    /// The future of one answer.
    type Future: Future<Output = Result<Reply>> + Send + 'static;

    /// Answers one request. `body` is the request's body, streamed from the
    /// connection: a body left unread is drained (bounded) once the response is sent,
    /// and stops working then.
    fn call(&self, conn: ConnInfo, request: Request<()>, body: Body) -> Self::Future;

    /// Runs exactly once per connection, after it closed, whatever way it ended.
    fn conn_closed(&self, conn: &ConnInfo) {
        let _ = conn;
    }
}

impl<F, Fut, R, E> Handler for F
where
    F: Fn(ConnInfo, Request<()>, Body) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<R, E>> + Send + 'static,
    R: Into<Reply> + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    type Future = futures_util::future::Map<Fut, fn(std::result::Result<R, E>) -> Result<Reply>>;

    fn call(&self, conn: ConnInfo, request: Request<()>, body: Body) -> Self::Future {
        let convert: fn(std::result::Result<R, E>) -> Result<Reply> = convert_answer::<R, E>;
        futures_util::FutureExt::map(self(conn, request, body), convert)
    }
}

/// Maps a closure's answer into a [`Reply`], and its error into an [`Error`] of kind
/// [`ErrorKind::Handler`] (a cohttp [`Error`] is kept as it is).
fn convert_answer<R, E>(answer: std::result::Result<R, E>) -> Result<Reply>
where
    R: Into<Reply>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    answer.map(Into::into).map_err(|e| into_error(e.into()))
}

fn into_error(e: Box<dyn std::error::Error + Send + Sync>) -> Error {
    match e.downcast::<Error>() {
        Ok(e) => *e,
        Err(e) => Error::new(ErrorKind::Handler).with_source(e),
    }
}
