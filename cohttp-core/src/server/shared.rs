//! The state one server connection shares between its loop, the current request
//! body and an expert handler's raw stream: [`Shared`], and the request body stream
//! given to handlers, [`RequestBody`].
//!
//! The transport, the read buffer and the write buffer live in one [`Shared`] value
//! behind a mutex, created once per connection and locked only inside non-blocking
//! polls (never across a poll of handler code). A generation number, bumped when a
//! request is done, makes a request body or an expert stream kept past its time fail
//! instead of stealing the next request's bytes.
//!
//! This file holds the buffer mechanics; the protocol decisions are in `conn.rs`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::stream::Stream;
use http::StatusCode;

use crate::error::{Error, Limit, Result};
use crate::h1::{self, BodyLength, Decoded, Decoder};
use crate::runtime::{BoxTransport, Sleep, Timer};
use crate::server::config::ServerConfig;
use crate::server::min_rate::{Budget, MinRate};

/// Bytes asked of each read of the transport.
pub(crate) const READ_SIZE: usize = 8 * 1024;

/// What the server writes when a request body is first read under `Expect: 100-continue`.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Locks the shared state of a connection. Only the server's own non-blocking code
/// runs under this lock, so a poisoned lock is still consistent and is used as is.
pub(crate) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The state of one connection shared by its loop, the current request body and an
/// expert handler's stream.
pub(crate) struct Shared {
    pub(crate) io: BoxTransport,
    /// Bytes read and not yet consumed.
    pub(crate) rbuf: BytesMut,
    /// Bytes to write; `wbuf[..wpos]` are written already.
    pub(crate) wbuf: Vec<u8>,
    pub(crate) wpos: usize,
    /// A large body chunk to write after `wbuf`, without copying it there (what is
    /// left of it). Nothing is appended to `wbuf` while it is set.
    pub(crate) direct: Option<Bytes>,
    /// Whether the transport needs a flush after the last writes.
    pub(crate) unflushed: bool,
    /// The peer shut its write side.
    pub(crate) read_eof: bool,
    /// Bumped when a request is done: a body or an expert stream of an older
    /// generation fails.
    pub(crate) generation: u64,
    /// The current request body's decoder, while the body is not finished.
    pub(crate) decoder: Option<Decoder>,
    /// `100 Continue` is owed before the first read of the body.
    pub(crate) continue_pending: bool,
    /// `100 Continue` is in the write buffer, not yet all written.
    pub(crate) continue_queued: bool,
    /// Body bytes read by the handler, against `max_body`.
    pub(crate) body_read: u64,
    pub(crate) max_body: Option<u64>,
    /// Reading the body failed: the framing of the connection is lost. The status is
    /// the answer if the handler fails on it.
    pub(crate) body_failed: Option<StatusCode>,
    /// The current request body's minimum rate, and its waiting so far against it.
    pub(crate) body_min_rate: Option<MinRate>,
    pub(crate) body_budget: Budget,
}

impl Shared {
    pub(crate) fn new(io: BoxTransport, max_body: Option<u64>) -> Shared {
        Shared {
            io,
            // Both grow to what the connection needs and keep that capacity: an idle
            // connection holds about one request and one response of room.
            rbuf: BytesMut::new(),
            wbuf: Vec::new(),
            wpos: 0,
            direct: None,
            unflushed: false,
            read_eof: false,
            generation: 0,
            decoder: None,
            continue_pending: false,
            continue_queued: false,
            body_read: 0,
            max_body,
            body_failed: None,
            body_min_rate: None,
            body_budget: Budget::default(),
        }
    }

    pub(crate) fn has_unwritten(&self) -> bool {
        self.wpos < self.wbuf.len() || self.direct.is_some() || self.unflushed
    }

    pub(crate) fn unwritten(&self) -> usize {
        self.wbuf.len() - self.wpos + self.direct.as_ref().map_or(0, Bytes::len)
    }

    /// Reads once into the read buffer. `Ok(0)` is the end of the stream.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.read_eof {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(h1::io::poll_read_buf(
            &mut self.io,
            cx,
            &mut self.rbuf,
            READ_SIZE
        ))?;
        if n == 0 {
            self.read_eof = true;
        }
        Poll::Ready(Ok(n))
    }

    /// Writes the whole write buffer, then flushes the transport.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let buffered = &self.wbuf[self.wpos..];
            let n = match &self.direct {
                // The buffered bytes and the chunk after them in one write.
                Some(chunk) if !buffered.is_empty() => {
                    let bufs = [io::IoSlice::new(buffered), io::IoSlice::new(chunk)];
                    ready!(Pin::new(&mut self.io).poll_write_vectored(cx, &bufs))?
                }
                Some(chunk) => ready!(Pin::new(&mut self.io).poll_write(cx, chunk))?,
                None if !buffered.is_empty() => {
                    ready!(Pin::new(&mut self.io).poll_write(cx, buffered))?
                }
                None => break,
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.unflushed = true;
            let from_buffer = n.min(self.wbuf.len() - self.wpos);
            self.wpos += from_buffer;
            if let Some(chunk) = self.direct.as_mut() {
                chunk.advance((n - from_buffer).min(chunk.len()));
                if chunk.is_empty() {
                    self.direct = None;
                }
            }
        }
        self.wbuf.clear();
        self.wpos = 0;
        self.continue_queued = false;
        if self.unflushed {
            ready!(Pin::new(&mut self.io).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Flushes, then shuts the write side of the transport.
    pub(crate) fn poll_half_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_flush(cx))?;
        Pin::new(&mut self.io).poll_close(cx)
    }

    /// A raw read for an expert handler: buffered bytes first, then the transport.
    pub(crate) fn poll_read_raw(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if !self.rbuf.is_empty() {
            let n = buf.len().min(self.rbuf.len());
            buf[..n].copy_from_slice(&self.rbuf[..n]);
            self.rbuf.advance(n);
            return Poll::Ready(Ok(n));
        }
        if self.read_eof {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(Pin::new(&mut self.io).poll_read(cx, buf))?;
        if n == 0 && !buf.is_empty() {
            self.read_eof = true;
        }
        Poll::Ready(Ok(n))
    }

    /// A raw write for an expert handler, after anything still buffered.
    pub(crate) fn poll_write_raw(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_flush(cx))?;
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    /// Starts the body of a new request, in a new generation.
    pub(crate) fn start_body(
        &mut self,
        length: BodyLength,
        expect_continue: bool,
        config: &ServerConfig,
    ) {
        self.generation += 1;
        self.decoder = Some(Decoder::new(length, &config.limits));
        self.continue_pending = expect_continue;
        self.body_read = 0;
        self.body_failed = None;
        self.body_min_rate = config.body_min_rate;
        self.body_budget.reset();
    }

    /// Queues `100 Continue`: the peer is asked for the body it announced.
    pub(crate) fn queue_continue(&mut self) {
        self.continue_pending = false;
        self.continue_queued = true;
        self.wbuf.extend_from_slice(CONTINUE);
    }

    /// Marks the body failed with `e`; its framing is lost.
    pub(crate) fn fail_body(&mut self, e: &Error) {
        self.decoder = None;
        self.body_failed = Some(e.status().unwrap_or(StatusCode::BAD_REQUEST));
    }

    /// The next chunk of the current request body.
    pub(crate) fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Poll::Ready(None);
            };
            match decoder.decode(&mut self.rbuf) {
                Ok(Decoded::Data(data)) => {
                    self.body_read += data.len() as u64;
                    if self.max_body.is_some_and(|max| self.body_read > max) {
                        let e = Error::limit(Limit::BodyBytes);
                        self.fail_body(&e);
                        return Poll::Ready(Some(Err(e)));
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
                Ok(Decoded::Done) => {
                    self.decoder = None;
                    return Poll::Ready(None);
                }
                Ok(Decoded::NeedMore) => {}
                Err(e) => {
                    self.fail_body(&e);
                    return Poll::Ready(Some(Err(e)));
                }
            }
            if self.continue_pending {
                self.queue_continue();
            }
            // What is owed to the peer goes out while waiting for it. `100 Continue`
            // must have left before the body can be expected; other bytes (earlier
            // responses, a response streamed from this body) need not block reading,
            // or a peer that reads only after writing would deadlock with us.
            if self.has_unwritten() {
                match self.poll_flush(cx) {
                    Poll::Ready(Err(e)) => {
                        let e = Error::from(e);
                        self.fail_body(&e);
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Pending if self.continue_queued => return Poll::Pending,
                    _ => {}
                }
            }
            match ready!(self.poll_fill(cx)) {
                Ok(0) => {
                    let end = match self.decoder.as_mut() {
                        Some(d) => d.decode_eof(),
                        None => Ok(()),
                    };
                    return match end {
                        Ok(()) => {
                            self.decoder = None;
                            Poll::Ready(None)
                        }
                        Err(e) => {
                            self.fail_body(&e);
                            Poll::Ready(Some(Err(e)))
                        }
                    };
                }
                Ok(_) => {}
                Err(e) => {
                    let e = Error::from(e);
                    self.fail_body(&e);
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

/// The body of a request as given to the handler: a stream over the connection's
/// shared read state, valid for one generation, each wait bounded by the body read
/// timeout and all of them together by the body's minimum rate (`min_rate.rs`).
pub(crate) struct RequestBody {
    shared: Arc<Mutex<Shared>>,
    generation: u64,
    clock: Arc<dyn Sleep>,
    timeout: Duration,
    timer: Option<Pin<Box<dyn Timer>>>,
    done: bool,
}

impl RequestBody {
    /// The body of the request of `generation`; each wait for bytes is bounded by
    /// `timeout` on `clock`.
    pub(crate) fn new(
        shared: Arc<Mutex<Shared>>,
        generation: u64,
        clock: Arc<dyn Sleep>,
        timeout: Duration,
    ) -> RequestBody {
        RequestBody {
            shared,
            generation,
            clock,
            timeout,
            timer: None,
            done: false,
        }
    }
}

impl Stream for RequestBody {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        let polled = {
            let mut shared = lock(&this.shared);
            if shared.generation != this.generation {
                this.done = true;
                return Poll::Ready(Some(Err(
                    Error::closed().with_context("request body read after its response was sent")
                )));
            }
            let polled = shared.poll_body(cx);
            match &polled {
                Poll::Pending if !shared.body_budget.waiting() => {
                    // A new wait: a full timeout, within what the minimum rate leaves.
                    let now = this.clock.now();
                    shared.body_budget.begin(now);
                    let mut deadline = now + this.timeout;
                    if let Some(d) = shared.body_budget.deadline(shared.body_min_rate) {
                        deadline = deadline.min(d);
                    }
                    match this.timer.as_mut() {
                        Some(timer) => timer.as_mut().reset(deadline),
                        None => this.timer = Some(this.clock.timer(deadline)),
                    }
                }
                Poll::Pending => {}
                Poll::Ready(item) => {
                    if shared.body_budget.waiting() {
                        shared.body_budget.end(this.clock.now());
                    }
                    if let Some(Ok(data)) = item {
                        shared.body_budget.moved(data.len() as u64);
                    }
                }
            }
            if let Poll::Ready(Some(Err(_)) | None) = polled {
                this.done = true;
            }
            polled
        };
        match polled {
            Poll::Ready(item) => Poll::Ready(item),
            Poll::Pending => {
                let Some(timer) = this.timer.as_mut() else {
                    return Poll::Pending;
                };
                ready!(timer.as_mut().poll(cx));
                this.done = true;
                let mut shared = lock(&this.shared);
                let slow = shared
                    .body_budget
                    .exhausted(shared.body_min_rate, this.clock.now());
                let e = Error::timeout().with_context(if slow {
                    "the request body arrived below the minimum rate"
                } else {
                    "reading the request body"
                });
                shared.fail_body(&e);
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A transport that takes at most 7 bytes per write, across the slices of a
    /// vectored write, into a shared sink.
    struct Trickle(Arc<Mutex<Vec<u8>>>, Arc<AtomicUsize>);

    impl AsyncRead for Trickle {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(0))
        }
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.poll_write_vectored(cx, &[io::IoSlice::new(buf)])
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.1.fetch_add(1, Ordering::Relaxed);
            let mut sink = self.0.lock().unwrap();
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(7 - n);
                sink.extend_from_slice(&b[..take]);
                n += take;
                if n == 7 {
                    break;
                }
            }
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn direct_chunk_leaves_after_the_buffer_across_short_vectored_writes() {
        let sink = Arc::new(Mutex::new(Vec::new()));
        let writes = Arc::new(AtomicUsize::new(0));
        let mut s = Shared::new(Box::new(Trickle(sink.clone(), writes.clone())), None);
        s.wbuf.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        s.direct = Some(Bytes::from_static(b"a body written without a copy"));
        assert_eq!(s.unwritten(), 19 + 29);
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        assert!(matches!(s.poll_flush(&mut cx), Poll::Ready(Ok(()))));
        assert_eq!(
            &sink.lock().unwrap()[..],
            &b"HTTP/1.1 200 OK\r\n\r\na body written without a copy"[..]
        );
        assert_eq!(writes.load(Ordering::Relaxed), 7);
        assert!(s.direct.is_none() && !s.has_unwritten() && s.unwritten() == 0);
    }
}
