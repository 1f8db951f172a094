//! The per-connection loop of the server: read ahead, answer in order, coalesce writes.
//!
//! One [`Conn`] serves one transport until it closes. What it does, in order, for each
//! request:
//!
//! 1. **Read ahead.** Request heads are parsed in place from one read buffer. When the
//!    buffer holds no complete request, the responses buffered so far are written in
//!    one write (after one more non-waiting read, in case more requests arrived); so
//!    a burst of pipelined requests is answered by a burst of responses.
//! 2. **Call the handler** with a request body that streams from the connection's
//!    read half ([`RequestBody`]). `Expect: 100-continue` is answered with
//!    `100 Continue` when that body is first read, or just before the head of a
//!    streamed 2xx response (which may be made of that body), never after a final
//!    head. While the handler is pending,
//!    the responses already buffered are written.
//! 3. **Frame the response**: `Content-Length` for a body of known length, chunked
//!    for a stream (close-delimited for an HTTP/1.0 peer); no body for HEAD, 1xx, 204
//!    and 304; a plain 2xx to CONNECT unframed, then the close (its peer reads a tunnel); `Date` from a per-second cache; `Connection: close` when the connection
//!    ends after it, `Connection: keep-alive` to an HTTP/1.0 peer that keeps it.
//! 4. **Finish the request body**: the body given to the handler stops working, and
//!    what it left unread is drained (bounded by `max_drain`; past it, or when the
//!    peer was never told `100 Continue`, the connection closes instead).
//! 5. **Keep alive** by RFC 9112 §9.3: HTTP/1.1 without `close`, HTTP/1.0 with
//!    `keep-alive`, and neither the response nor a shutdown saying otherwise.
//!
//! A malformed request gets its status (400, 413, 414, 431, 501, 505; 408 for a head
//! that came too slowly) and a **lingering close**: write side shut, input read and
//! discarded for a short while, then close, so the peer reads the error rather than a
//! reset. A handler error or panic becomes a 500 and the connection goes on when the
//! request's framing is intact.
//!
//! The state shared with request bodies and expert streams is in `shared.rs`; this
//! file is not the accept loop (`serve.rs`) nor the wire format (`h1`).

use std::any::Any;
use std::future::Future;
use std::io;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use futures_util::future::poll_fn;
use futures_util::{FutureExt, StreamExt};
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, DATE, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};

use crate::body::{Body, TransferEncoding};
use crate::error::{Error, ErrorKind, Limit, Malformed, Result};
use crate::h1::recent::RecentFields;
use crate::h1::{self, BodyLength, Decoded, Encoder, ParsedRequest};
use crate::runtime::{BoxTransport, Runtime, Timer};
use crate::server::config::ServerConfig;
use crate::server::date::{DateCache, WallClock, DATE_LINE};
use crate::server::handler::{ConnInfo, Expert, Handler, Next, Reply, Upgraded};
use crate::server::min_rate::Budget;
use crate::server::respond::TEXT_PLAIN_UTF8;
use crate::server::shared::{lock, RequestBody, Shared};
use crate::server::shutdown::Watch;

/// Runs a handler's `conn_closed` exactly once, when dropped.
struct ClosedGuard<H: Handler> {
    handler: Arc<H>,
    info: ConnInfo,
}

impl<H: Handler> Drop for ClosedGuard<H> {
    fn drop(&mut self) {
        let handler = &self.handler;
        let info = &self.info;
        if std::panic::catch_unwind(AssertUnwindSafe(|| handler.conn_closed(info))).is_err() {
            log::error!("{info:?}: conn_closed panicked");
        }
    }
}

/// How waiting for a head ended.
enum Head {
    /// A request, left where the caller asked (not carried here: a request head is
    /// large, and each move of it is a copy).
    Request,
    /// The peer left or idled out, or the server is stopping: close quietly.
    Idle,
    /// A request that cannot be served: answer with its status, then close.
    Bad(Error),
    /// The transport failed: drop it.
    Broken,
}

/// What the connection does after a request.
enum Step {
    Continue,
    /// Close, lingering (reading and discarding) when the peer may still be sending.
    Close {
        linger: bool,
    },
    Broken,
}

/// What reading ahead and writing found while waiting for a head.
enum Ahead {
    /// Bytes came: look again.
    Again,
    Broken,
    /// What is owed must leave first and the peer does not take it at once.
    Flush,
    /// All written: wait for the peer's bytes. `polled`: the read was polled in this
    /// task poll already and pended (its wake-up is registered).
    Wait {
        polled: bool,
    },
}

/// How a wait is bounded (see [`wait`]).
struct Wait<'a, D: FnMut() -> Instant> {
    /// The deadline, computed once the wait did not end at once.
    deadline: D,
    /// Stop waiting when the server starts draining, or evicts the connection.
    watch: Option<&'a Watch>,
    /// The condition was polled already in this task poll, and pended: the first poll
    /// starts with the timer.
    polled: bool,
}

/// Polls `poll` on the shared state until it is ready, the runtime clock reaches the
/// wait's deadline, or (with a watch) the connection is told to stop. The clock and the
/// timer are touched only by a wait that does not end at once.
async fn wait<T, D: FnMut() -> Instant>(
    shared: &Mutex<Shared>,
    timer: &mut Pin<Box<dyn Timer>>,
    armed: &mut Option<Instant>,
    when: Wait<'_, D>,
    mut poll: impl FnMut(&mut Shared, &mut Context<'_>) -> Poll<T>,
) -> Waited<T> {
    let Wait {
        mut deadline,
        watch,
        mut polled,
    } = when;
    let mut at: Option<Instant> = None;
    poll_fn(|cx| {
        if !std::mem::take(&mut polled) {
            if let Poll::Ready(v) = poll(&mut lock(shared), cx) {
                return Poll::Ready(Waited::Done(v));
            }
        }
        let at = *at.get_or_insert_with(&mut deadline);
        if poll_deadline(timer, armed, at, cx).is_ready() {
            return Poll::Ready(Waited::Timeout);
        }
        if let Some(w) = watch {
            if w.poll_stopping(cx).is_ready() {
                return Poll::Ready(Waited::Stopped);
            }
        }
        Poll::Pending
    })
    .await
}

/// Whether `buf` holds nothing but complete empty lines (CRLF), or nothing.
fn only_empty_lines(buf: &[u8]) -> bool {
    h1::parse::leading_empty_lines(buf) == buf.len()
}

/// How a bounded wait ended.
enum Waited<T> {
    Done(T),
    Timeout,
    Stopped,
}

/// One connection being served. See the module docs.
pub(crate) struct Conn<H: Handler> {
    rt: Runtime,
    shared: Arc<Mutex<Shared>>,
    info: ConnInfo,
    handler: Arc<H>,
    config: Arc<ServerConfig>,
    date: DateCache,
    timer: Pin<Box<dyn Timer>>,
    /// When `timer` fires, if it is set and has not fired yet (see [`poll_deadline`]).
    armed: Option<Instant>,
    watch: Option<Watch>,
    started: Instant,
    /// Responses in the write buffer since the last flush.
    buffered: usize,
    /// The header map of the last response written, cleared: the next request's
    /// fields go into it (no allocation per request for the request's header map).
    spare_headers: HeaderMap,
    /// The last requests' `Host` value and target, reused while they repeat.
    recent: RecentFields,
    /// Waiting on the peer to take the write buffer, against the write minimum rate.
    write_budget: Budget,
    _closed: ClosedGuard<H>,
}

impl<H: Handler> Conn<H> {
    pub(crate) fn new(
        rt: Runtime,
        io: BoxTransport,
        info: ConnInfo,
        handler: Arc<H>,
        config: Arc<ServerConfig>,
        clock: WallClock,
        watch: Option<Watch>,
    ) -> Conn<H> {
        let now = rt.now();
        Conn {
            shared: Arc::new(Mutex::new(Shared::new(io, config.max_request_body))),
            date: DateCache::new(clock),
            timer: rt.timer(now),
            armed: None,
            started: now,
            buffered: 0,
            spare_headers: HeaderMap::new(),
            recent: RecentFields::default(),
            write_budget: Budget::default(),
            _closed: ClosedGuard {
                handler: handler.clone(),
                info: info.clone(),
            },
            rt,
            info,
            handler,
            config,
            watch,
        }
    }

    /// Serves the connection until it closes.
    pub(crate) async fn run(mut self) {
        let mut first = true;
        // Where `read_head` leaves the request: moved once less than through `Head`.
        let mut next = None;
        loop {
            match self.read_head(first, &mut next).await {
                Head::Request => {}
                Head::Idle => return self.close(false).await,
                Head::Bad(e) => return self.answer_bad(e).await,
                Head::Broken => return,
            }
            first = false;
            match self.exchange(&mut next).await {
                Step::Continue => {}
                Step::Close { linger } => return self.close(linger).await,
                Step::Broken => return,
            }
        }
    }

    /// Whether the server is draining, or evicted this connection to make room.
    fn stopping(&self) -> bool {
        self.watch.as_ref().is_some_and(|w| w.stopping())
    }

    /// Polls `poll` until it is ready, the runtime clock reaches `deadline`, or (when
    /// `stoppable`) the server starts draining.
    async fn wait<T>(
        &mut self,
        deadline: Instant,
        stoppable: bool,
        poll: impl FnMut(&mut Shared, &mut Context<'_>) -> Poll<T>,
    ) -> Waited<T> {
        let watch = if stoppable { self.watch.as_ref() } else { None };
        let when = Wait {
            deadline: || deadline,
            watch,
            polled: false,
        };
        wait(&self.shared, &mut self.timer, &mut self.armed, when, poll).await
    }

    /// Writes everything buffered; each wait for the peer to take bytes is bounded by
    /// the write timeout, and all of them by the write minimum rate. The clock is read
    /// only when the peer does not take the bytes at once.
    async fn flush(&mut self) -> io::Result<()> {
        self.buffered = 0;
        let rate = self.config.write_min_rate;
        let write_timeout = self.config.write_timeout;
        loop {
            let mut before = None;
            let budget = &mut self.write_budget;
            let rt = &self.rt;
            let when = Wait {
                deadline: || {
                    let now = rt.now();
                    budget.begin(now);
                    let deadline = now + write_timeout;
                    budget.deadline(rate).map_or(deadline, |d| deadline.min(d))
                },
                watch: None,
                polled: false,
            };
            let waited = wait(
                &self.shared,
                &mut self.timer,
                &mut self.armed,
                when,
                |s, cx| {
                    before.get_or_insert(s.unwritten());
                    s.poll_flush(cx)
                },
            )
            .await;
            match waited {
                Waited::Done(r) => {
                    self.write_budget.reset();
                    return r;
                }
                Waited::Timeout | Waited::Stopped => {
                    let before = before.unwrap_or(0);
                    let left = lock(&self.shared).unwritten();
                    let now = self.rt.now();
                    self.write_budget.end(now);
                    self.write_budget.moved(before.saturating_sub(left) as u64);
                    if left == before {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "peer did not read the response in time",
                        ));
                    }
                    if self.write_budget.exhausted(rate, now) {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "peer read the response below the minimum rate",
                        ));
                    }
                }
            }
        }
    }

    /// Reads ahead once without waiting (more pipelined requests may be there already,
    /// and their responses can join this write) unless `full`, then writes what is
    /// owed: one lock, and the clock is not read unless the peer does not take it.
    fn read_ahead_and_write(&mut self, cx: &mut Context<'_>, full: bool) -> Ahead {
        let mut s = lock(&self.shared);
        let mut polled = false;
        if !full {
            match s.poll_fill(cx) {
                Poll::Ready(Ok(_)) => return Ahead::Again,
                Poll::Ready(Err(_)) => return Ahead::Broken,
                Poll::Pending => polled = true,
            }
        }
        match s.poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                self.buffered = 0;
                self.write_budget.reset();
                Ahead::Wait { polled }
            }
            Poll::Ready(Err(_)) => Ahead::Broken,
            Poll::Pending => Ahead::Flush,
        }
    }

    /// Waits for the next complete request head (see the module docs, step 1).
    /// The request is left in `next`.
    async fn read_head(&mut self, first: bool, next: &mut Option<ParsedRequest>) -> Head {
        // When the head began: its first byte, or the accept for a first request.
        let mut head_start: Option<Instant> = None;
        // When the idle wait began (read lazily, once): bytes that begin no request
        // (empty lines) do not extend it.
        let mut idle_from: Option<Instant> = None;
        loop {
            let (owed, full) = {
                let mut s = lock(&self.shared);
                let full = self.buffered >= self.config.max_buffered_responses
                    || s.unwritten() >= self.config.max_write_buffer;
                let owed = s.has_unwritten();
                if full && !owed {
                    // Everything left already (a large body is written as it goes).
                    self.buffered = 0;
                }
                // Enough responses held: they leave now, whatever is still to be read.
                if !(full && owed) {
                    if !s.rbuf.is_empty() {
                        match h1::parse::take_request_recent(
                            &mut s.rbuf,
                            &self.config.limits,
                            &mut self.spare_headers,
                            Some(&mut self.recent),
                        ) {
                            Ok(Some(p)) => {
                                *next = Some(p);
                                return Head::Request;
                            }
                            Ok(None) => {}
                            Err(e) => return Head::Bad(e),
                        }
                        // Empty lines before a request line are not a request begun
                        // (RFC 9112 §2.2): after them the connection is still idle, under
                        // the keep-alive timeout, not the head's.
                        if head_start.is_none() && !only_empty_lines(&s.rbuf) {
                            head_start = Some(if first { self.started } else { self.rt.now() });
                        }
                    }
                    if s.read_eof {
                        // Empty lines before a request line are ignored (RFC 9112
                        // §2.2): a stream ending after only those ended between requests.
                        return if only_empty_lines(&s.rbuf) {
                            Head::Idle
                        } else {
                            Head::Bad(Error::malformed(Malformed::TruncatedHead))
                        };
                    }
                }
                (owed, full)
            };
            let mut polled = false;
            if owed {
                match poll_fn(|cx| Poll::Ready(self.read_ahead_and_write(cx, full))).await {
                    Ahead::Again => continue,
                    Ahead::Broken => return Head::Broken,
                    Ahead::Flush => {
                        if self.flush().await.is_err() {
                            return Head::Broken;
                        }
                        continue;
                    }
                    Ahead::Wait { polled: p } => polled = p,
                }
                if full {
                    continue;
                }
            }
            let idle = head_start.is_none();
            if idle && self.stopping() {
                return Head::Idle;
            }
            let (start, timeout) = match head_start {
                Some(t) => (Some(t), self.config.header_read_timeout),
                None if first => (Some(self.started), self.config.header_read_timeout),
                None => (idle_from, self.config.keep_alive_timeout),
            };
            // Idle (no byte of a request yet): the accept loop may evict it for room.
            let watch = if idle { self.watch.as_ref() } else { None };
            if let Some(w) = watch {
                w.set_idle(first);
            }
            let rt = &self.rt;
            let when = Wait {
                deadline: || {
                    start.unwrap_or_else(|| *idle_from.get_or_insert_with(|| rt.now())) + timeout
                },
                watch,
                polled,
            };
            let waited = wait(
                &self.shared,
                &mut self.timer,
                &mut self.armed,
                when,
                |s, cx| s.poll_fill(cx),
            )
            .await;
            if let Some(w) = watch {
                w.set_busy();
            }
            match waited {
                Waited::Done(Ok(_)) => {}
                Waited::Done(Err(_)) => return Head::Broken,
                Waited::Timeout if idle => return Head::Idle,
                Waited::Timeout => {
                    return Head::Bad(
                        Error::timeout().with_context("request head not received in time"),
                    )
                }
                Waited::Stopped => return Head::Idle,
            }
        }
    }

    /// One request (`read_head` left it in `next`): handler, response, end of the request
    /// body. The request is taken from `next` here rather than passed in, which would move
    /// it once more.
    async fn exchange(&mut self, next: &mut Option<ParsedRequest>) -> Step {
        let Some(ParsedRequest {
            head,
            body: length,
            keep_alive,
            expect_continue,
            ..
        }) = next.take()
        else {
            return Step::Broken;
        };
        let version = head.version();
        let method = head.method().clone();
        if let (BodyLength::Fixed(n), Some(max)) = (&length, self.config.max_request_body) {
            if *n > max {
                self.answer_bad(Error::limit(Limit::BodyBytes)).await;
                return Step::Broken;
            }
        }
        let body = match length {
            BodyLength::Fixed(0) => Body::empty(),
            length => {
                let known = match length {
                    BodyLength::Fixed(n) => Some(n),
                    _ => None,
                };
                let generation = {
                    let mut s = lock(&self.shared);
                    s.start_body(length, expect_continue, &self.config);
                    s.generation
                };
                let stream = RequestBody::new(
                    self.shared.clone(),
                    generation,
                    self.rt.clock().clone(),
                    self.config.body_read_timeout,
                );
                Body::from_body_stream(Box::pin(stream), known)
            }
        };
        // The handler's future is polled here rather than in a nested one (which would
        // be one more state to build and move per request); while it is pending, the
        // responses already buffered are written.
        let reply = match self.call_handler(head, body) {
            Ok(fut) => {
                let mut fut = std::pin::pin!(AssertUnwindSafe(fut).catch_unwind());
                let shared = &self.shared;
                let mut write_failed = false;
                let mut pended = false;
                let outcome = poll_fn(|cx| {
                    if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                        return Poll::Ready(out);
                    }
                    pended = true;
                    if !write_failed {
                        let mut s = lock(shared);
                        if s.has_unwritten() {
                            if let Poll::Ready(Err(_)) = s.poll_flush(cx) {
                                write_failed = true;
                            }
                        }
                    }
                    Poll::Pending
                })
                .await;
                if pended && !lock(&self.shared).has_unwritten() {
                    self.buffered = 0;
                }
                outcome.unwrap_or_else(|panic| Err(panic_error(panic)))
            }
            Err(e) => Err(e),
        };
        // One match on the handler's outcome, so that the response is not moved out of
        // `Ok` and then out of `Reply` on its way to `respond`.
        let response = match reply {
            Ok(Reply::Response(r)) if !r.status().is_informational() => r,
            Ok(Reply::Expert(expert)) => return self.expert(expert).await,
            Ok(Reply::Response(r)) => {
                // An interim or switching status needs an expert response; as a final
                // answer it would leave the peer waiting.
                log::error!(
                    "{:?}: handler answered {} as a final response; use an expert response",
                    self.info,
                    r.status()
                );
                plain_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Err(e) => {
                let failed = lock(&self.shared).body_failed;
                let status = failed.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                if failed.is_none() {
                    log::error!("{:?}: handler failed: {e}", self.info);
                } else {
                    log::debug!("{:?}: request body failed: {e}", self.info);
                }
                plain_response(status)
            }
        };
        // The head (and a body in memory) is written at once; only what remains to send
        // or read needs a future.
        match self.respond(response, version, &method, keep_alive) {
            Rest::Done(step) => step,
            rest => self.respond_rest(rest).await,
        }
    }

    /// Calls the handler, turning a panic into an error.
    fn call_handler(&self, head: Request<()>, body: Body) -> Result<H::Future> {
        let handler = &self.handler;
        let info = self.info.clone();
        std::panic::catch_unwind(AssertUnwindSafe(move || handler.call(info, head, body)))
            .map_err(panic_error)
    }

    /// Frames and writes a response head, and the body when it is in memory and small;
    /// returns what remains to do (see [`Conn::respond_rest`]).
    fn respond(
        &mut self,
        response: Response<Body>,
        version: Version,
        method: &Method,
        keep_alive: bool,
    ) -> Rest {
        let is_head = *method == Method::HEAD;
        let is_connect = *method == Method::CONNECT;
        let (mut parts, body) = response.into_parts();
        let status = parts.status;
        let mut keep = keep_alive && !self.stopping();
        let headers = &mut parts.headers;
        // The fields the server decides on, as the handler set them: one pass over the
        // names, then lookups and edits only for those present (usually none).
        let set = SetFields::of(headers);
        if set.connection && h1::connection_has(headers, "close") {
            keep = false;
        }
        let no_body = status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
        let mut encoder = None;
        let mut framing = Framing::None;
        if no_body {
            if set.transfer_encoding {
                headers.remove(TRANSFER_ENCODING);
            }
            if set.content_length && status != StatusCode::NOT_MODIFIED {
                headers.remove(CONTENT_LENGTH);
            }
        } else if is_connect && status.is_success() {
            // A 2xx to CONNECT starts a tunnel (RFC 9110 §9.3.6): no framing fields, the
            // peer takes what follows the head as tunnel bytes. A plain response carries
            // no tunnel, so its body goes out raw and the connection then closes.
            set.remove_framing(headers);
            keep = false;
            encoder = Some(Encoder::CloseDelimited);
        } else {
            let wants_chunked = set.transfer_encoding;
            match body.transfer_encoding() {
                TransferEncoding::Fixed(n) if !wants_chunked => {
                    // A HEAD answer with an empty body may state the length a GET
                    // would have.
                    if set.content_length {
                        // The handler's field is replaced in place; with none, the
                        // server writes its own after the handler's.
                        if !(is_head && n == 0) {
                            headers.insert(CONTENT_LENGTH, HeaderValue::from(n));
                        }
                    } else {
                        framing = Framing::Length(n);
                    }
                    encoder = Some(Encoder::for_length(TransferEncoding::Fixed(n)));
                }
                _ if version == Version::HTTP_11 => {
                    if wants_chunked {
                        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
                    } else {
                        framing = Framing::Chunked;
                    }
                    if set.content_length {
                        headers.remove(CONTENT_LENGTH);
                    }
                    encoder = Some(Encoder::Chunked);
                }
                _ => {
                    // HTTP/1.0 has no chunked coding: the end of the body is the close.
                    set.remove_framing(headers);
                    keep = false;
                    encoder = Some(Encoder::CloseDelimited);
                }
            }
        }
        // A body in memory (the common small answer) goes out with its head, under the
        // same lock; any other is polled by `send_body`.
        let whole = match (&encoder, body.as_slice()) {
            (Some(Encoder::Fixed { remaining }), Some(b))
                if !is_head && b.len() as u64 == *remaining && b.len() < DIRECT_WRITE_MIN =>
            {
                Some(b)
            }
            _ => None,
        };
        let mut written_whole = None;
        let written = {
            let mut guard = lock(&self.shared);
            let s = &mut *guard;
            if s.body_failed.is_some() {
                keep = false;
            }
            // `100 Continue` can only precede the final head (RFC 9110 §15.2). A
            // streamed success may be made of the request body (an echo, a proxy): ask
            // for the body now, or the peer waits for the 100 while we wait for it.
            if s.continue_pending
                && s.decoder.is_some()
                && status.is_success()
                && !is_head
                && body.is_stream()
            {
                s.queue_continue();
            }
            if let Some(decoder) = &s.decoder {
                // The peer was never asked for the body: it may not send it.
                if s.continue_pending {
                    keep = false;
                }
                // More unread body than may be drained: close rather than read it.
                if let Some(rest) = decoder.remaining() {
                    let buffered = s.rbuf.len() as u64;
                    if rest.saturating_sub(buffered) > self.config.max_drain {
                        keep = false;
                    }
                }
            }
            let mut connection = connection_value(keep, version);
            if let Some(value) = connection {
                // The handler's field is replaced in place.
                if set.connection {
                    headers.insert(CONNECTION, HeaderValue::from_static(value));
                    connection = None;
                }
            }
            let date =
                (self.config.date_header && !set.date).then(|| self.date.line(self.rt.now()));
            let written =
                write_framed_head(&mut s.wbuf, status, headers, framing, connection, date);
            // The final head is queued: a `100 Continue` after it would land inside
            // this response. A body read from now on waits for the peer without asking.
            s.continue_pending = false;
            if let (Ok(()), Some(b)) = (&written, whole) {
                s.wbuf.extend_from_slice(b);
                written_whole = Some(end_body(s, keep));
            }
            written
        };
        if let Err(e) = written {
            log::error!("{:?}: handler's response cannot be sent: {e}", self.info);
            self.write_500();
            keep = false;
            encoder = None;
        }
        self.recycle(&mut parts.headers);
        drop(parts);
        self.buffered += 1;
        match written_whole {
            Some(Some(step)) => Rest::Done(after_body(step, keep)),
            Some(None) => Rest::Drain { keep },
            None => Rest::Send {
                body,
                encoder: encoder.filter(|_| !is_head),
                keep,
            },
        }
    }

    /// What [`Conn::respond`] left to do: send the body, then finish the request body.
    async fn respond_rest(&mut self, rest: Rest) -> Step {
        match rest {
            Rest::Done(step) => step,
            Rest::Drain { keep } => after_body(self.drain_body().await, keep),
            Rest::Send {
                body,
                encoder,
                keep,
            } => {
                if let Some(encoder) = encoder {
                    match self.send_body(body, encoder).await {
                        Ok(()) => {}
                        Err(SendError::Io) => return Step::Broken,
                        Err(SendError::Body(e)) => {
                            log::error!(
                                "{:?}: response body failed after its head was sent: {e}",
                                self.info
                            );
                            return Step::Close { linger: true };
                        }
                    }
                }
                after_body(self.finish_body(keep).await, keep)
            }
        }
    }

    /// Keeps a written response's header map, emptied, for the next request's fields
    /// (unless it grew large: an idle connection should not hold much). `headers` is
    /// left with the previous spare.
    fn recycle(&mut self, headers: &mut HeaderMap) {
        if headers.capacity() <= SPARE_HEADERS_MAX
            && headers.capacity() > self.spare_headers.capacity()
        {
            headers.clear();
            std::mem::swap(&mut self.spare_headers, headers);
        }
    }

    /// Writes a response head into the write buffer; on a head that cannot be sent
    /// (a bad header from the handler), writes a 500 instead and returns false.
    fn write_head(&mut self, status: StatusCode, headers: &HeaderMap) -> bool {
        let mut s = lock(&self.shared);
        let mark = s.wbuf.len();
        match h1::write_response_head(status, Version::HTTP_11, headers, &mut s.wbuf) {
            Ok(()) => true,
            Err(e) => {
                s.wbuf.truncate(mark);
                drop(s);
                log::error!("{:?}: handler's response cannot be sent: {e}", self.info);
                self.write_500();
                false
            }
        }
    }

    /// Writes a bodiless 500 that closes the connection: the answer when the
    /// handler's own head cannot be sent.
    fn write_500(&mut self) {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        h.insert(CONNECTION, HeaderValue::from_static("close"));
        self.add_date(&mut h);
        let mut s = lock(&self.shared);
        let _ = h1::write_response_head(
            StatusCode::INTERNAL_SERVER_ERROR,
            Version::HTTP_11,
            &h,
            &mut s.wbuf,
        );
    }

    fn add_date(&mut self, headers: &mut HeaderMap) {
        if self.config.date_header && !headers.contains_key(DATE) {
            headers.insert(DATE, self.date.header(self.rt.now()));
        }
    }

    /// Streams a response body into the write buffer, writing whenever the buffer
    /// is full or the body has nothing ready.
    async fn send_body(&mut self, mut body: Body, mut encoder: Encoder) -> Result<(), SendError> {
        let shared = &self.shared;
        let high = self.config.max_write_buffer;
        let write_timeout = self.config.write_timeout;
        let rate = self.config.write_min_rate;
        let clock = self.rt.clock().clone();
        let timer = &mut self.timer;
        let armed = &mut self.armed;
        let budget = &mut self.write_budget;
        let mut stalled: Option<usize> = None;
        poll_fn(|cx| loop {
            {
                let mut s = lock(shared);
                // A chunk written without copying must be out before the body is
                // polled again (whatever comes next is appended to the buffer).
                if s.unwritten() >= high || s.direct.is_some() {
                    let before = s.unwritten();
                    match s.poll_flush(cx) {
                        Poll::Ready(Ok(())) => {
                            stalled = None;
                            budget.reset();
                        }
                        Poll::Ready(Err(_)) => return Poll::Ready(Err(SendError::Io)),
                        Poll::Pending => {
                            let left = s.unwritten();
                            drop(s);
                            if stalled != Some(left) || left != before {
                                // Progress, or a new wait: a full write timeout, within
                                // what the minimum rate leaves.
                                let now = clock.now();
                                budget.moved(stalled.unwrap_or(before).saturating_sub(left) as u64);
                                budget.begin(now);
                                stalled = Some(left);
                                let mut deadline = now + write_timeout;
                                if let Some(d) = budget.deadline(rate) {
                                    deadline = deadline.min(d);
                                }
                                timer.as_mut().reset(deadline);
                                *armed = Some(deadline);
                            }
                            if timer.as_mut().poll(cx).is_ready() {
                                *armed = None;
                                return Poll::Ready(Err(SendError::Io));
                            }
                            return Poll::Pending;
                        }
                    }
                }
            }
            match body.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    let mut s = lock(shared);
                    if chunk.len() >= DIRECT_WRITE_MIN {
                        // Large: written from the chunk itself, after what is buffered.
                        match encoder.encode_external(chunk.len()) {
                            Ok(true) => {
                                s.direct = Some(chunk);
                                continue;
                            }
                            Ok(false) => {}
                            Err(e) => return Poll::Ready(Err(SendError::Body(e))),
                        }
                    }
                    if let Err(e) = encoder.encode(&chunk, &mut s.wbuf) {
                        return Poll::Ready(Err(SendError::Body(e)));
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(SendError::Body(e))),
                Poll::Ready(None) => {
                    let mut s = lock(shared);
                    return Poll::Ready(encoder.finish(None, &mut s.wbuf).map_err(SendError::Body));
                }
                Poll::Pending => {
                    let mut s = lock(shared);
                    if s.has_unwritten() {
                        if let Poll::Ready(Err(_)) = s.poll_flush(cx) {
                            return Poll::Ready(Err(SendError::Io));
                        }
                    }
                    return Poll::Pending;
                }
            }
        })
        .await
    }

    /// Ends the current request body: the handler's copy stops working, and what it
    /// left unread is drained when the connection is kept (bounded in bytes and time).
    async fn finish_body(&mut self, keep: bool) -> Step {
        let ended = end_body(&mut lock(&self.shared), keep);
        match ended {
            Some(step) => step,
            None => self.drain_body().await,
        }
    }

    /// Reads and discards what the handler left of the request body, once
    /// [`end_body`] found some (bounded in bytes and time).
    async fn drain_body(&mut self) -> Step {
        let mut drained: u64 = 0;
        loop {
            {
                let mut guard = lock(&self.shared);
                let s = &mut *guard;
                loop {
                    let Some(decoder) = s.decoder.as_mut() else {
                        return Step::Continue;
                    };
                    match decoder.decode(&mut s.rbuf) {
                        Ok(Decoded::Data(data)) => {
                            drained += data.len() as u64;
                            s.body_budget.moved(data.len() as u64);
                            if drained > self.config.max_drain {
                                return Step::Close { linger: true };
                            }
                        }
                        Ok(Decoded::Done) => {
                            s.decoder = None;
                            return Step::Continue;
                        }
                        Ok(Decoded::NeedMore) => break,
                        Err(_) => return Step::Close { linger: true },
                    }
                }
                if s.read_eof {
                    return Step::Close { linger: false };
                }
            }
            // Read while the response is still being written: a peer may read it
            // only once it has written its whole body.
            let now = self.rt.now();
            let mut deadline = now + self.config.body_read_timeout;
            {
                let mut s = lock(&self.shared);
                s.body_budget.begin(now);
                if let Some(d) = s.body_budget.deadline(s.body_min_rate) {
                    deadline = deadline.min(d);
                }
            }
            let read = self
                .wait(deadline, false, |s, cx| {
                    if s.has_unwritten() {
                        if let Poll::Ready(Err(e)) = s.poll_flush(cx) {
                            return Poll::Ready(Err(e));
                        }
                    }
                    s.poll_fill(cx)
                })
                .await;
            lock(&self.shared).body_budget.end(self.rt.now());
            match read {
                Waited::Done(Ok(_)) => {}
                Waited::Done(Err(_)) => return Step::Broken,
                Waited::Timeout | Waited::Stopped => return Step::Close { linger: true },
            }
        }
    }

    /// Writes an expert head, finishes the request body, then hands the raw stream to
    /// the expert handler.
    async fn expert(&mut self, expert: Expert) -> Step {
        let Expert { head, run } = expert;
        let (mut parts, ()) = head.into_parts();
        self.add_date(&mut parts.headers);
        if !self.write_head(parts.status, &parts.headers) {
            let _ = self.finish_body(false).await;
            return Step::Close { linger: true };
        }
        self.buffered += 1;
        // A body the peer was never asked for (`100 Continue` unsent) cannot be
        // drained before the raw stream is handed over: the peer may never send it.
        let unasked = {
            let s = lock(&self.shared);
            s.continue_pending && s.decoder.is_some()
        };
        match self.finish_body(!unasked).await {
            Step::Continue => {}
            other => return other,
        }
        if self.flush().await.is_err() {
            return Step::Broken;
        }
        let generation = lock(&self.shared).generation;
        let upgraded = Upgraded {
            shared: self.shared.clone(),
            generation,
        };
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(move || run(upgraded))) {
            Ok(fut) => AssertUnwindSafe(fut).catch_unwind().await,
            Err(panic) => Err(panic),
        };
        lock(&self.shared).generation += 1;
        match outcome {
            Ok(Ok(Next::Continue)) => Step::Continue,
            Ok(Ok(Next::Close)) => Step::Close { linger: false },
            Ok(Err(e)) => {
                log::warn!("{:?}: expert handler failed: {e}", self.info);
                Step::Close { linger: false }
            }
            Err(panic) => {
                let e = panic_error(panic);
                log::error!("{:?}: expert handler failed: {e}", self.info);
                Step::Close { linger: false }
            }
        }
    }

    /// Answers a request that cannot be served with its status, then closes with a
    /// lingering close. No handler sees the request.
    async fn answer_bad(&mut self, e: Error) {
        let status = e.status().unwrap_or(StatusCode::BAD_REQUEST);
        log::debug!("{:?}: bad request ({status}): {e}", self.info);
        let reason = status.canonical_reason().unwrap_or("Error").as_bytes();
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN_UTF8));
        h.insert(CONTENT_LENGTH, HeaderValue::from(reason.len()));
        h.insert(CONNECTION, HeaderValue::from_static("close"));
        self.add_date(&mut h);
        {
            let mut s = lock(&self.shared);
            s.generation += 1;
            s.decoder = None;
            if h1::write_response_head(status, Version::HTTP_11, &h, &mut s.wbuf).is_ok() {
                s.wbuf.extend_from_slice(reason);
            }
        }
        self.close(true).await
    }

    /// Flushes, shuts the write side, and when `linger`, reads and discards the input
    /// for a short while (bounded in time and bytes) so that the peer reads what was
    /// written rather than a reset.
    async fn close(&mut self, linger: bool) {
        if self.flush().await.is_err() {
            return;
        }
        let deadline = self.rt.now() + self.config.write_timeout;
        match self
            .wait(deadline, false, |s, cx| s.poll_half_close(cx))
            .await
        {
            Waited::Done(Ok(())) => {}
            _ => return,
        }
        if !linger {
            return;
        }
        let deadline = self.rt.now() + self.config.linger_timeout;
        let mut discarded: u64 = 0;
        while discarded <= self.config.max_linger_bytes {
            let read = self
                .wait(deadline, false, |s, cx| {
                    s.rbuf.clear();
                    s.poll_fill(cx)
                })
                .await;
            match read {
                Waited::Done(Ok(n)) if n > 0 => discarded += n as u64,
                _ => break,
            }
        }
        lock(&self.shared).rbuf.clear();
    }
}

/// Ends the current request body: the handler's copy stops working. The step when
/// that is all (no body left, or the connection closes), `None` when what is left of
/// it is to be drained (see [`Conn::drain_body`]).
fn end_body(s: &mut Shared, keep: bool) -> Option<Step> {
    s.generation += 1;
    s.continue_pending = false;
    // A wait the handler began and gave up is not the peer's doing.
    s.body_budget.forget_wait();
    if s.decoder.is_none() {
        return Some(Step::Continue);
    }
    if !keep {
        return Some(Step::Close { linger: true });
    }
    None
}

/// Writes a response head with the fields the server adds itself (framing,
/// `Connection`, the `Date` line when given) after the handler's; nothing when the
/// handler's fields cannot be sent.
fn write_framed_head(
    dst: &mut Vec<u8>,
    status: StatusCode,
    headers: &HeaderMap,
    framing: Framing,
    connection: Option<&'static str>,
    date: Option<&[u8; DATE_LINE]>,
) -> Result<()> {
    h1::write::write_response_start(status, Version::HTTP_11, headers, dst)?;
    // The server's own fields: made here, nothing to check.
    match framing {
        Framing::Length(len) => {
            let mut digits = [0u8; 20];
            dst.extend_from_slice(b"content-length: ");
            dst.extend_from_slice(decimal(len, &mut digits));
            dst.extend_from_slice(b"\r\n");
        }
        Framing::Chunked => dst.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        Framing::None => {}
    }
    if let Some(c) = connection {
        dst.extend_from_slice(b"connection: ");
        dst.extend_from_slice(c.as_bytes());
        dst.extend_from_slice(b"\r\n");
    }
    if let Some(line) = date {
        dst.extend_from_slice(line);
    }
    dst.extend_from_slice(b"\r\n");
    Ok(())
}

/// Why a response body could not be sent.
/// What remains of a response once its head is written (see [`Conn::respond`]).
enum Rest {
    /// Nothing: the next step.
    Done(Step),
    /// The body went out with the head; the request body's rest is to be read.
    Drain { keep: bool },
    /// The body (none for a HEAD or a head that failed) is to be sent, then the
    /// request body finished.
    Send {
        body: Body,
        encoder: Option<Encoder>,
        keep: bool,
    },
}

/// The step after a response whose request body ended with `step`: a connection
/// that may not be kept closes (lingering) even when the exchange went well.
fn after_body(step: Step, keep: bool) -> Step {
    match step {
        Step::Continue if keep => Step::Continue,
        Step::Continue => Step::Close { linger: true },
        other => other,
    }
}

enum SendError {
    /// The transport failed or stalled past the write timeout.
    Io,
    /// The body's stream failed, or gave a different length than it stated.
    Body(Error),
}

/// Polls `timer` for `deadline`. `armed` is when the timer fires if it is set and has
/// not fired yet (`None`: fired, or not known). A timer set for an earlier instant is
/// left alone, and set again for `deadline` when it fires early: a run of waits with
/// later and later deadlines (keep-alive, write timeouts) moves the timer once per
/// timeout instead of once per wait. It is ready only once the clock reached
/// `deadline`.
fn poll_deadline(
    timer: &mut Pin<Box<dyn Timer>>,
    armed: &mut Option<Instant>,
    deadline: Instant,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if armed.map_or(true, |at| at > deadline) {
        timer.as_mut().reset(deadline);
        *armed = Some(deadline);
    }
    loop {
        std::task::ready!(timer.as_mut().poll(cx));
        if armed.take().map_or(true, |at| at >= deadline) {
            return Poll::Ready(());
        }
        timer.as_mut().reset(deadline);
        *armed = Some(deadline);
    }
}

/// The `Connection` value the server sets on a response (replacing the handler's):
/// `close` when the connection ends after it, `keep-alive` to an HTTP/1.0 peer when
/// it does not; otherwise none (the handler's, if any, goes out).
fn connection_value(keep: bool, version: Version) -> Option<&'static str> {
    if !keep {
        Some("close")
    } else if version == Version::HTTP_10 {
        Some("keep-alive")
    } else {
        None
    }
}

/// Response body chunks this large or larger are written from the chunk itself (with
/// what is buffered before them, in one vectored write), not copied to the buffer.
const DIRECT_WRITE_MIN: usize = 16 * 1024;

/// The largest header map kept between requests (in fields).
const SPARE_HEADERS_MAX: usize = 64;

/// Which of the fields the server decides on a response carries from its handler.
#[derive(Clone, Copy, Default)]
struct SetFields {
    transfer_encoding: bool,
    content_length: bool,
    connection: bool,
    date: bool,
}

impl SetFields {
    /// One pass over the names of `headers` (a standard name compares as a small
    /// integer).
    fn of(headers: &HeaderMap) -> SetFields {
        let mut set = SetFields::default();
        for name in headers.keys() {
            if *name == TRANSFER_ENCODING {
                set.transfer_encoding = true;
            } else if *name == CONTENT_LENGTH {
                set.content_length = true;
            } else if *name == CONNECTION {
                set.connection = true;
            } else if *name == DATE {
                set.date = true;
            }
        }
        set
    }

    /// Removes the handler's framing fields: the body goes out to the close.
    fn remove_framing(&self, headers: &mut HeaderMap) {
        if self.transfer_encoding {
            headers.remove(TRANSFER_ENCODING);
        }
        if self.content_length {
            headers.remove(CONTENT_LENGTH);
        }
    }
}

/// How the server frames a response body in its head.
#[derive(Clone, Copy)]
enum Framing {
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// No framing field (no body, a body to the close, or the handler's own).
    None,
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// A plain-text response with the status's reason as body.
fn plain_response(status: StatusCode) -> Response<Body> {
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut response = Response::new(Body::from(reason));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN_UTF8));
    response
}

/// The error for a handler panic, with the panic's message (logged by the caller).
fn panic_error(panic: Box<dyn Any + Send>) -> Error {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    Error::new(ErrorKind::Handler).with_context(format!("handler panicked: {message}"))
}

/// Serves HTTP/1.1 on one accepted transport until it closes, then runs
/// [`Handler::conn_closed`]. What `serve` runs on each connection (the TLS handshake
/// of `ServerConfig::tls` included); call it directly to serve streams accepted some
/// other way (an in-memory pipe, say).
///
/// ```
/// use std::sync::Arc;
/// use cohttp_core::runtime::{Addr, BoxTransport, Runtime};
/// use cohttp_core::server::{respond_string, serve_connection, ConnInfo, ServerConfig};
/// use cohttp_core::{Body, Error};
/// use http::{Request, StatusCode};
///
/// async fn one(rt: Runtime, io: BoxTransport) {
///     let handler = |_: ConnInfo, _: Request<()>, _: Body| async {
///         Ok::<_, Error>(respond_string(StatusCode::OK, "hello"))
///     };
///     let info = ConnInfo::new(1, Addr::Named("peer".into()), None);
///     serve_connection(rt, io, info, Arc::new(handler), Arc::new(ServerConfig::default())).await
/// }
/// ```
pub async fn serve_connection<H: Handler>(
    rt: Runtime,
    io: BoxTransport,
    info: ConnInfo,
    handler: Arc<H>,
    config: Arc<ServerConfig>,
) {
    let Some((io, info)) = crate::server::tls::start(&rt, io, info, &config).await else {
        return;
    };
    let wall = config.date_origin.unwrap_or_else(SystemTime::now);
    let clock = WallClock::new(wall, rt.now());
    Conn::new(rt, io, info, handler, config, clock, None)
        .run()
        .await
}

impl<H: Handler> std::fmt::Debug for Conn<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = lock(&self.shared);
        f.debug_struct("Conn")
            .field("info", &self.info)
            .field("buffered_read", &s.rbuf.len())
            .field("unwritten", &s.unwritten())
            .field("reading_body", &s.decoder.is_some())
            .field("read_eof", &s.read_eof)
            .finish()
    }
}
