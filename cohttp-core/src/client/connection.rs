//! [`Connection`]: one HTTP/1.1 client connection, possibly pipelined.
//!
//! The handle is returned at once; the connection is established in the background, then a
//! writer task (`writer.rs`) and a reader task (`reader.rs`) run it through the runtime's
//! spawning. Requests wait in a *waiting* queue until written, then in an *in flight* queue
//! until their response has been read off the wire; responses are matched to requests in
//! order. This file holds the handle, the shared state both tasks work on, and the one place
//! where a connection ends ([`Shared::terminate`]): the `finalise` hook runs there, exactly
//! once, before the outstanding requests fail. Persistence rules are in `persistence.rs`.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::Instant;

use bytes::BytesMut;
use futures_channel::oneshot;
use futures_util::io::AsyncReadExt;

use crate::body::Body;
use crate::error::{Error, ErrorKind, Malformed, Result, TlsFailure};
use crate::runtime::{BoxFuture, BoxTransport, Ctx, Endpoint, Runtime};

use super::call::Call;
use super::config::ConnectionConfig;
use super::target::{host_of, port_of};
use super::{reader, writer};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The answer a caller waits for.
pub(crate) type Reply = oneshot::Sender<Result<http::Response<Body>>>;

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Establishing the transport; requests are queued.
    Connecting,
    /// Accepting and writing requests.
    Open,
    /// Shut down: no new requests; the queued ones are still written and answered.
    Closing,
    /// Ended: nothing is written or read any more.
    Ended,
}

/// How a connection ended, which decides how its outstanding requests fail.
#[derive(Debug)]
pub(crate) enum End {
    /// The peer or we closed in an orderly way: in flight → retry(written), waiting →
    /// retry(not written).
    Graceful,
    /// `close()`: in flight → Closed (when written), waiting → retry(not written).
    Closed,
    /// A failure every queued request shares (connect error, unparseable response).
    Failed(Error),
    /// Reading failed (other than an abort): requests written get the error (the server may
    /// have acted on them), the ones none of whose bytes went out the retry error (not
    /// written).
    ReadFailed(Error),
    /// The peer aborted the connection (reset, abort, broken pipe) while reading. The
    /// requests still waiting for a response head got none of it: like an orderly end
    /// (RFC 9112 §9.3.1), in flight → retry(written), waiting → retry(not written); a
    /// response body being read gets the error.
    Reset(Error),
    /// The response head timeout: in flight → Timeout (when written), waiting → retry.
    HeadTimeout,
}

/// A request not yet written.
pub(crate) struct Waiting {
    pub(crate) seq: u64,
    pub(crate) req: http::Request<Body>,
    pub(crate) reply: Reply,
}

/// A request handed to the writer, until its response has been read off the wire.
pub(crate) struct InFlight {
    pub(crate) seq: u64,
    pub(crate) method: http::Method,
    /// `None` once the response head was delivered (or the caller gave up).
    pub(crate) reply: Option<Reply>,
    /// Whether any of its bytes went out.
    pub(crate) written: bool,
    /// When its bytes started going out.
    pub(crate) written_at: Option<Instant>,
}

/// What the handle, the writer and the reader share.
pub(crate) struct State {
    pub(crate) phase: Phase,
    pub(crate) persistent: Option<bool>,
    pub(crate) waiting: VecDeque<Waiting>,
    pub(crate) in_flight: VecDeque<InFlight>,
    /// Requests handed to the writer so far.
    pub(crate) started: u64,
    /// The writer will write nothing more (a `close` request went out, a write failed, a
    /// non-persistent connection's one request went out, or the protocol was upgraded).
    pub(crate) writes_done: bool,
    /// The transport was established.
    established: bool,
    next_seq: u64,
    events: u64,
    watchers: Vec<Waker>,
    /// Woken only when the connection turns idle (nothing queued) or ends.
    idle_watchers: Vec<Waker>,
    pub(crate) writer_waker: Option<Waker>,
    pub(crate) reader_waker: Option<Waker>,
    task_wakers: Vec<Waker>,
    handles: usize,
    failure: Option<Error>,
    /// The failure every request shares (a connect error, say), for late callers.
    failed_with: Option<Error>,
}

impl State {
    /// Wakes whoever watches the queues (`notify`, `ready`, the tasks).
    pub(crate) fn bump(&mut self) {
        self.events = self.events.wrapping_add(1);
        for w in self.watchers.drain(..) {
            w.wake();
        }
        if !self.idle_watchers.is_empty()
            && ((self.waiting.is_empty() && self.in_flight.is_empty())
                || self.phase == Phase::Ended)
        {
            for w in self.idle_watchers.drain(..) {
                w.wake();
            }
        }
        if let Some(w) = self.writer_waker.take() {
            w.wake();
        }
        if let Some(w) = self.reader_waker.take() {
            w.wake();
        }
    }

    /// Fails every waiting request with the retry error (not written).
    pub(crate) fn fail_waiting(&mut self) {
        for w in self.waiting.drain(..) {
            let _ = w.reply.send(Err(Error::retry(false)));
        }
        self.bump();
    }
}

/// The state of one connection, shared by its handles, its tasks and its response bodies.
pub(crate) struct Shared {
    pub(crate) id: u64,
    pub(crate) rt: Runtime,
    pub(crate) config: ConnectionConfig,
    /// `Host` for requests whose URI has no authority.
    pub(crate) default_host: String,
    state: Mutex<State>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("phase", &s.phase)
            .field("persistent", &s.persistent)
            .field("waiting", &s.waiting.len())
            .field("in_flight", &s.in_flight.len())
            .finish()
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The error a response body gets when its connection ended under it.
    pub(crate) fn failure(&self) -> Error {
        match &self.lock().failure {
            Some(e) => e.duplicate(),
            None => Error::closed().with_context("connection closed inside a response body"),
        }
    }

    /// Ends the connection (once): stops both tasks, runs `finalise`, then fails every
    /// outstanding request as `end` says.
    pub(crate) fn terminate(self: &Arc<Shared>, end: End) {
        let (waiting, in_flight) = {
            let mut s = self.lock();
            if s.phase == Phase::Ended {
                return;
            }
            s.phase = Phase::Ended;
            s.writes_done = true;
            if let End::Failed(e) = &end {
                s.failed_with = Some(e.duplicate());
            }
            s.failure = Some(match &end {
                End::Failed(e) | End::ReadFailed(e) | End::Reset(e) => e.duplicate(),
                End::HeadTimeout => Error::timeout(),
                End::Closed => Error::closed(),
                End::Graceful => Error::malformed(Malformed::TruncatedBody),
            });
            let waiting: Vec<Waiting> = s.waiting.drain(..).collect();
            let in_flight: Vec<InFlight> = s.in_flight.drain(..).collect();
            s.bump();
            for w in s.task_wakers.drain(..) {
                w.wake();
            }
            (waiting, in_flight)
        };
        log::debug!(target: "cohttp::client", "connection {} ended: {end:?}", self.id);
        if let Some(hook) = &self.config.finalise {
            let handle = Connection::from_shared(self.clone());
            hook(&handle);
        }
        for w in waiting {
            let e = match &end {
                End::Failed(e) => e.duplicate(),
                _ => Error::retry(false),
            };
            let _ = w.reply.send(Err(e));
        }
        for f in in_flight {
            let Some(reply) = f.reply else { continue };
            let e = match (&end, f.written) {
                (End::Failed(e), _) => e.duplicate(),
                (_, false) => Error::retry(false),
                (End::ReadFailed(e), true) => e.duplicate(),
                (End::Graceful, true) => Error::retry(true),
                (End::Reset(e), true) => Error::retry(true)
                    .with_context("the connection was reset before the response began")
                    .with_source(e.duplicate()),
                (End::Closed, true) => Error::closed(),
                (End::HeadTimeout, true) => {
                    Error::timeout().with_context("no response head in time")
                }
            };
            let _ = reply.send(Err(e));
        }
    }

    /// Ends the connection in an orderly way if it is shut down and nothing is outstanding.
    pub(crate) fn end_if_drained(self: &Arc<Shared>) {
        let done = {
            let s = self.lock();
            s.phase != Phase::Ended
                && s.in_flight.is_empty()
                && ((s.phase == Phase::Closing && s.waiting.is_empty()) || s.writes_done)
        };
        if done {
            self.terminate(End::Graceful);
        }
    }

    /// Runs `task` until it completes or the connection ends.
    pub(crate) fn until_ended<F>(self: &Arc<Shared>, task: F) -> impl Future<Output = ()> + Send
    where
        F: Future<Output = ()> + Send,
    {
        let shared = self.clone();
        let mut task = Box::pin(task);
        futures_util::future::poll_fn(move |cx| {
            {
                let mut s = shared.lock();
                if s.phase == Phase::Ended {
                    return Poll::Ready(());
                }
                s.task_wakers.retain(|w| !w.will_wake(cx.waker()));
                s.task_wakers.push(cx.waker().clone());
            }
            task.as_mut().poll(cx)
        })
    }

    /// Starts the reader and writer on an established transport.
    fn start(self: &Arc<Shared>, transport: BoxTransport, buffered: BytesMut) {
        {
            let mut s = self.lock();
            if s.phase == Phase::Ended {
                return;
            }
            s.established = true;
            if s.phase == Phase::Connecting {
                s.phase = Phase::Open;
            }
            s.bump();
        }
        let (rd, wr) = transport.split();
        let shared = self.clone();
        self.rt
            .spawn(self.until_ended(reader::run(shared.clone(), rd, buffered)));
        self.rt.spawn(self.until_ended(writer::run(shared, wr)));
    }
}

/// The future of [`Connection::call`]. Dropping it before the answer cancels the call; a
/// connection left with no handle and only cancelled calls is closed, so it does not wait
/// forever for answers nobody wants.
struct Pending {
    rx: oneshot::Receiver<Result<http::Response<Body>>>,
    shared: Arc<Shared>,
    done: bool,
}

impl Future for Pending {
    type Output = Result<http::Response<Body>>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Self::Output> {
        let r = std::task::ready!(std::pin::Pin::new(&mut self.rx).poll(cx));
        self.done = true;
        Poll::Ready(match r {
            Ok(r) => r,
            Err(_) => Err(Error::retry(false).with_context("request dropped by connection")),
        })
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        self.rx.close();
        let unwanted = {
            let s = self.shared.lock();
            s.handles == 0
                && s.phase != Phase::Ended
                && s.waiting.iter().all(|w| w.reply.is_canceled())
                && s.in_flight
                    .iter()
                    .all(|f| f.reply.as_ref().is_some_and(|r| r.is_canceled()))
        };
        if unwanted {
            self.shared.terminate(End::Closed);
        }
    }
}

/// What a connection is made to reach.
enum Target {
    Endpoint(Endpoint),
    /// A URI's host and port; `tls` for `https` (and `wss`), verified as `host`.
    Uri {
        host: String,
        port: u16,
        tls: bool,
    },
}

/// Whether requests to `uri` run over TLS: its scheme is `https` or `wss`.
pub(crate) fn uses_tls(uri: &http::Uri) -> bool {
    uri.scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss"))
}

/// The error for a TLS destination in a build without the `tls` feature.
pub(crate) fn tls_unavailable(what: impl fmt::Display) -> Error {
    Error::new(ErrorKind::Tls(TlsFailure::Unavailable))
        .with_context(format!("cannot reach {what} over TLS"))
}

/// Runs the client TLS handshake over `stream` with the settings of `ctx`
/// (`Ctx::tls_client`), verifying the server as `server_name` (sent as SNI).
async fn secure(stream: BoxTransport, server_name: &str, ctx: &Ctx) -> Result<BoxTransport> {
    #[cfg(feature = "tls")]
    return crate::tls::connect(stream, server_name, ctx.tls_client()).await;
    #[cfg(not(feature = "tls"))]
    {
        let _ = (stream, ctx);
        Err(tls_unavailable(server_name))
    }
}

/// One HTTP/1.1 client connection, possibly pipelined. See the module docs and
/// `DESIGN.md` ("Connection").
///
/// Cloning gives another handle to the same connection. When the last handle is dropped the
/// connection shuts down by itself: the requests already queued are still answered, then it
/// closes.
///
/// # Examples
///
/// ```no_run
/// use cohttp_core::client::{Connection, ConnectionConfig};
/// use cohttp_core::{Body, Runtime};
///
/// async fn two(rt: &Runtime) -> cohttp_core::Result<()> {
///     let uri: http::Uri = "http://example.test/".parse().unwrap();
///     let conn = Connection::create_uri(rt, &uri, ConnectionConfig::new())?;
///     let a = conn.call(http::Request::get("/a").body(Body::empty()).unwrap());
///     let b = conn.call(http::Request::get("/b").body(Body::empty()).unwrap());
///     let (a, b) = (a.await?, b.await?);
///     println!("{} {}", a.into_body().to_string().await?, b.into_body().to_string().await?);
///     Ok(())
/// }
/// ```
pub struct Connection {
    shared: Arc<Shared>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl Clone for Connection {
    fn clone(&self) -> Connection {
        Connection::from_shared(self.shared.clone())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let last = {
            let mut s = self.shared.lock();
            s.handles -= 1;
            s.handles == 0
        };
        if last {
            self.shutdown();
        }
    }
}

impl Connection {
    fn from_shared(shared: Arc<Shared>) -> Connection {
        shared.lock().handles += 1;
        Connection { shared }
    }

    fn new_shared(rt: &Runtime, config: ConnectionConfig, host: String) -> Arc<Shared> {
        let persistent = config.persistent;
        let default_host = config.host.clone().unwrap_or(host);
        Arc::new(Shared {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            rt: rt.clone(),
            config,
            default_host,
            state: Mutex::new(State {
                phase: Phase::Connecting,
                persistent,
                waiting: VecDeque::new(),
                in_flight: VecDeque::new(),
                started: 0,
                writes_done: false,
                established: false,
                next_seq: 0,
                events: 0,
                watchers: Vec::new(),
                idle_watchers: Vec::new(),
                writer_waker: None,
                reader_waker: None,
                task_wakers: Vec::new(),
                handles: 0,
                failure: None,
                failed_with: None,
            }),
        })
    }

    fn create_target(rt: &Runtime, target: Target, config: ConnectionConfig) -> Connection {
        let host = match &target {
            Target::Endpoint(Endpoint::Tcp { host, port, .. }) | Target::Uri { host, port, .. } => {
                if *port == 80 {
                    host.clone()
                } else if host.contains(':') && !host.starts_with('[') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                }
            }
            Target::Endpoint(Endpoint::Named(n)) => n.clone(),
            Target::Endpoint(Endpoint::Unix(_)) => "localhost".to_string(),
        };
        let shared = Connection::new_shared(rt, config, host);
        let conn = Connection::from_shared(shared.clone());
        let task = async move {
            let rt = shared.rt.clone();
            let ctx = shared.config.ctx.clone();
            // Resolving, connecting and the TLS handshake share the connect timeout.
            let connecting = async {
                let (endpoint, tls_name) = match target {
                    Target::Endpoint(e) => (e, None),
                    Target::Uri { host, port, tls } => {
                        let endpoint = rt.resolve(&ctx, &host, port).await?;
                        (endpoint, tls.then_some(host))
                    }
                };
                let stream = rt.connect(&ctx, &endpoint).await?;
                match tls_name {
                    Some(name) => secure(stream, &name, &ctx).await,
                    None => Ok(stream),
                }
            };
            let result = match shared.config.connect_timeout {
                Some(d) => match rt.timeout(d, connecting).await {
                    Ok(r) => r,
                    Err(e) => Err(e.with_context("could not connect in time")),
                },
                None => connecting.await,
            };
            match result {
                Ok(t) => shared.start(t, BytesMut::new()),
                Err(e) => shared.terminate(End::Failed(e)),
            }
        };
        let guard = conn.shared.clone();
        rt.spawn(guard.until_ended(task));
        conn
    }

    /// A handle at once; connects to `endpoint` in the background (through
    /// [`Runtime::connect`]). Requests made before the connection is up are queued.
    pub fn create(rt: &Runtime, endpoint: Endpoint, config: ConnectionConfig) -> Connection {
        Connection::create_target(rt, Target::Endpoint(endpoint), config)
    }

    /// A handle at once; resolves the URI's host (through [`Runtime::resolve`], honouring the
    /// config's [`Ctx`](crate::runtime::Ctx) overrides) and connects in the background.
    ///
    /// An `https` (or `wss`) URI connects with TLS (port 443 unless the URI says
    /// otherwise): the URI's host is sent as SNI and the server's certificate is verified
    /// against it with the context's TLS settings (`Ctx::tls_client`); the handshake
    /// counts in the connect timeout, and its failure (an untrusted certificate, say) is
    /// the connect error every queued request gets, of kind
    /// [`ErrorKind::Tls`](crate::ErrorKind::Tls).
    ///
    /// Fails at once when the URI has no host, or is `https` in a build without the `tls`
    /// feature ([`TlsFailure::Unavailable`]).
    pub fn create_uri(
        rt: &Runtime,
        uri: &http::Uri,
        config: ConnectionConfig,
    ) -> Result<Connection> {
        let host = uri.host().ok_or_else(|| {
            Error::malformed(Malformed::InvalidUri).with_context(format!("no host in {uri}"))
        })?;
        let tls = uses_tls(uri);
        if tls && cfg!(not(feature = "tls")) {
            return Err(tls_unavailable(uri));
        }
        let target = Target::Uri {
            host: host.to_string(),
            port: port_of(uri),
            tls,
        };
        let mut config = config;
        if config.host.is_none() {
            config.host = host_of(uri);
        }
        Ok(Connection::create_target(rt, target, config))
    }

    /// Creates a connection to `endpoint` and waits until it is established.
    pub async fn connect(
        rt: &Runtime,
        endpoint: Endpoint,
        config: ConnectionConfig,
    ) -> Result<Connection> {
        let conn = Connection::create(rt, endpoint, config);
        conn.ready().await?;
        Ok(conn)
    }

    /// A connection over an already open stream (a CONNECT tunnel, say).
    pub fn from_transport(
        rt: &Runtime,
        transport: BoxTransport,
        config: ConnectionConfig,
    ) -> Connection {
        Connection::from_transport_buffered(rt, transport, BytesMut::new(), config)
    }

    /// A connection over an already open stream, with bytes already read from it (past a
    /// handshake's response head, say) that are parsed before anything else.
    pub fn from_transport_buffered(
        rt: &Runtime,
        transport: BoxTransport,
        buffered: BytesMut,
        config: ConnectionConfig,
    ) -> Connection {
        let shared = Connection::new_shared(rt, config, "localhost".to_string());
        let conn = Connection::from_shared(shared.clone());
        shared.start(transport, buffered);
        conn
    }

    /// Waits until the connection is established (`Ok`), or has failed to be (`Err`, the
    /// connect error). A connection that ended after being established is `Ok`.
    pub async fn ready(&self) -> Result<()> {
        loop {
            let seen = {
                let s = self.shared.lock();
                if s.established {
                    return Ok(());
                }
                if s.phase == Phase::Ended {
                    return Err(match &s.failure {
                        Some(e) => e.duplicate(),
                        None => Error::closed(),
                    });
                }
                s.events
            };
            self.changed_since(seen).await;
        }
    }

    fn changed_since(&self, seen: u64) -> impl Future<Output = ()> + Send + 'static {
        let shared = self.shared.clone();
        futures_util::future::poll_fn(move |cx| {
            let mut s = shared.lock();
            if s.events != seen {
                return Poll::Ready(());
            }
            s.watchers.push(cx.waker().clone());
            Poll::Pending
        })
    }

    /// Queues a request. The returned future resolves exactly once, with the response (its
    /// body streamed from the wire) or an error (see `DESIGN.md`: retry, closed, I/O,
    /// malformed, timeout). The request is queued at once, before the future is polled.
    ///
    /// A request without a `Host` header gets one (see [`TargetForm`](super::TargetForm)).
    pub fn call(
        &self,
        req: http::Request<Body>,
    ) -> impl Future<Output = Result<http::Response<Body>>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        {
            let mut s = self.shared.lock();
            match s.phase {
                Phase::Connecting | Phase::Open if !s.writes_done => {
                    let seq = s.next_seq;
                    s.next_seq += 1;
                    s.waiting.push_back(Waiting {
                        seq,
                        req,
                        reply: tx,
                    });
                    s.bump();
                }
                _ => {
                    // A connection that failed (could not connect, say) tells late
                    // callers why; one that ended in order asks for a new connection.
                    let e = match &s.failed_with {
                        Some(e) => e.duplicate(),
                        None => {
                            Error::retry(false).with_context("connection no longer takes requests")
                        }
                    };
                    let _ = tx.send(Err(e));
                }
            }
        }
        Pending {
            rx,
            shared: self.shared.clone(),
            done: false,
        }
    }

    /// Requests waiting to be written plus requests in flight.
    pub fn length(&self) -> usize {
        let s = self.shared.lock();
        s.waiting.len() + s.in_flight.len()
    }

    /// Requests written whose response has not been read off the wire yet.
    pub fn in_flight(&self) -> usize {
        self.shared.lock().in_flight.len()
    }

    /// Resolves when [`length`](Connection::length) changes or the connection closes (or any
    /// other change of state; check again after it resolves).
    pub fn notify(&self) -> impl Future<Output = ()> + Send + 'static {
        let seen = {
            let s = self.shared.lock();
            if s.phase == Phase::Ended {
                return futures_util::future::Either::Left(futures_util::future::ready(()));
            }
            s.events
        };
        futures_util::future::Either::Right(self.changed_since(seen))
    }

    /// Resolves once nothing is queued (waiting or in flight) or the connection has ended;
    /// woken by those changes only, not by every change as [`notify`](Connection::notify)
    /// is (the pool's idle watcher waits on this while the connection is busy).
    pub(crate) fn until_idle(&self) -> impl Future<Output = ()> + Send + 'static {
        let shared = self.shared.clone();
        futures_util::future::poll_fn(move |cx| {
            let mut s = shared.lock();
            if (s.waiting.is_empty() && s.in_flight.is_empty()) || s.phase == Phase::Ended {
                return Poll::Ready(());
            }
            s.idle_watchers.retain(|w| !w.will_wake(cx.waker()));
            s.idle_watchers.push(cx.waker().clone());
            Poll::Pending
        })
    }

    /// Whether the connection takes no new requests (shut down, closed, ended or failed).
    pub fn is_closed(&self) -> bool {
        let s = self.shared.lock();
        !matches!(s.phase, Phase::Connecting | Phase::Open) || s.writes_done
    }

    /// `None` when the connection takes no new requests, else its
    /// [`length`](Connection::length): both under one lock, for the pool's choice.
    pub(crate) fn load(&self) -> Option<usize> {
        let s = self.shared.lock();
        if !matches!(s.phase, Phase::Connecting | Phase::Open) || s.writes_done {
            return None;
        }
        Some(s.waiting.len() + s.in_flight.len())
    }

    /// Whether the connection is open with nothing queued.
    pub fn is_idle(&self) -> bool {
        !self.is_closed() && self.length() == 0
    }

    /// The persistence known so far: `None` until the first response decides it (when it was
    /// not given).
    pub fn persistent(&self) -> Option<bool> {
        self.shared.lock().persistent
    }

    /// No new requests; the last queued one is sent with `Connection: close` and the
    /// responses still arrive. The connection closes once they are read.
    pub fn shutdown(&self) {
        {
            let mut s = self.shared.lock();
            if matches!(s.phase, Phase::Connecting | Phase::Open) {
                s.phase = Phase::Closing;
                s.bump();
            }
        }
        self.shared.end_if_drained();
    }

    /// Closes at once: waiting requests fail with the retry error (not written), requests in
    /// flight with the closed error (they may have been processed), an open response body
    /// with the closed error.
    pub fn close(&self) {
        self.shared.terminate(End::Closed);
    }

    /// A number unique to this connection in this process (for logs and caches).
    pub fn id(&self) -> u64 {
        self.shared.id
    }
}

impl Call for Connection {
    fn call(&self, req: http::Request<Body>) -> BoxFuture<'_, Result<http::Response<Body>>> {
        Box::pin(Connection::call(self, req))
    }
}
