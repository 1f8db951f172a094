//! In-memory duplex streams with fault injection.
//!
//! A connection is two bounded byte pipes, one per direction, shared by its two ends
//! ([`MockStream`]s). A writer waits when its pipe is full (backpressure), a reader waits
//! when it is empty; `poll_close` half-closes the writer's direction (the peer reads the
//! buffered bytes, then end of stream); dropping an end closes both directions (the peer
//! reads end of stream and its writes fail with `BrokenPipe`). The connection's
//! [`Faults`] are applied here. Listening and connecting are in `net.rs`, not here.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};

use crate::clock::{Clock, MockTimer};
use crate::faults::{Cut, CutKind, Faults};
use crate::trace::{Event, Side, Trace};

/// Statistics of one connection: write calls and bytes, each way.
///
/// A write call counts when it moved at least one byte (`poll_write` or
/// `poll_write_vectored` returning `Ok(n)` with `n > 0`), which is what "at most K
/// writes on the wire" tests assert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnStats {
    /// The connection id, in order of creation within the world.
    pub id: u64,
    /// The name the connection was made to (a listener name, host, path or `"duplex"`).
    pub name: String,
    /// Write calls by the client that moved bytes.
    pub client_writes: usize,
    /// Bytes written by the client (client → server).
    pub client_bytes: u64,
    /// Write calls by the server that moved bytes.
    pub server_writes: usize,
    /// Bytes written by the server (server → client).
    pub server_bytes: u64,
}

/// One direction of a connection.
struct Pipe {
    buf: VecDeque<u8>,
    cap: usize,
    /// Bytes accepted from the writer, ever.
    written: u64,
    /// Bytes handed to the reader, ever.
    read: u64,
    /// Write calls that moved bytes.
    writes: usize,
    /// The writer has half-closed or dropped: the reader sees end of stream after `buf`.
    shut: bool,
    /// The reader has dropped: writes fail with `BrokenPipe`.
    reader_gone: bool,
    cut: Option<Cut>,
    cut_fired: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

impl Pipe {
    fn new(cap: usize, cut: Option<Cut>) -> Pipe {
        Pipe {
            buf: VecDeque::new(),
            cap,
            written: 0,
            read: 0,
            writes: 0,
            shut: false,
            reader_gone: false,
            cut,
            cut_fired: false,
            read_waker: None,
            write_waker: None,
        }
    }

    fn wake_reader(&mut self) {
        if let Some(w) = self.read_waker.take() {
            w.wake();
        }
    }

    fn wake_writer(&mut self) {
        if let Some(w) = self.write_waker.take() {
            w.wake();
        }
    }

    /// The cut if its allowance is spent; records it the first time.
    fn spent_cut(&mut self, conn: &Conn, dir: &str) -> Option<CutKind> {
        let cut = self.cut?;
        if self.written < cut.after && self.read < cut.after {
            return None;
        }
        if !self.cut_fired {
            self.cut_fired = true;
            let what = match cut.kind {
                CutKind::Close => "close",
                CutKind::Reset => "reset",
            };
            conn.trace.record(Event::Fault {
                conn: conn.id,
                what: format!("{what} {dir} after {}", cut.after),
            });
        }
        Some(cut.kind)
    }

    /// Bytes the writer may still send before the cut.
    fn allowance(&self) -> u64 {
        match self.cut {
            Some(cut) => cut.after.saturating_sub(self.written),
            None => u64::MAX,
        }
    }
}

/// The state both ends of a connection share.
pub(crate) struct Conn {
    id: u64,
    name: String,
    faults: Faults,
    trace: Arc<Trace>,
    clock: Clock,
    state: Mutex<Pipes>,
}

struct Pipes {
    to_server: Pipe,
    to_client: Pipe,
    stop_fired: [bool; 2],
}

impl Pipes {
    /// (the pipe `side` reads, the pipe `side` writes).
    fn ends(&mut self, side: Side) -> (&mut Pipe, &mut Pipe) {
        match side {
            Side::Client => (&mut self.to_client, &mut self.to_server),
            Side::Server => (&mut self.to_server, &mut self.to_client),
        }
    }
}

fn dir_written_by(side: Side) -> &'static str {
    match side {
        Side::Client => "to_server",
        Side::Server => "to_client",
    }
}

impl Conn {
    fn lock(&self) -> MutexGuard<'_, Pipes> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The connection's statistics so far.
    pub(crate) fn stats(&self) -> ConnStats {
        let s = self.lock();
        ConnStats {
            id: self.id,
            name: self.name.clone(),
            client_writes: s.to_server.writes,
            client_bytes: s.to_server.written,
            server_writes: s.to_client.writes,
            server_bytes: s.to_client.written,
        }
    }

    fn read_limit(&self, side: Side) -> Option<u64> {
        match side {
            Side::Client => self.faults.client_read_limit,
            Side::Server => self.faults.server_read_limit,
        }
    }

    fn poll_read(
        &self,
        side: Side,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut guard = self.lock();
        let pipes = &mut *guard;
        let limit = self.read_limit(side);
        let (incoming, _) = pipes.ends(side);
        let mut max = out.len();
        if let Some(limit) = limit {
            let left = limit.saturating_sub(incoming.read);
            if left == 0 {
                let slot = match side {
                    Side::Client => 0,
                    Side::Server => 1,
                };
                if !pipes.stop_fired[slot] {
                    pipes.stop_fired[slot] = true;
                    self.trace.record(Event::Fault {
                        conn: self.id,
                        what: format!("{side} stops reading after {limit}"),
                    });
                }
                // Never woken: this end has stopped reading for good.
                return Poll::Pending;
            }
            max = max.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        let (incoming, _) = pipes.ends(side);
        if self.faults.one_byte {
            max = 1;
        }
        if !incoming.buf.is_empty() {
            let n = max.min(incoming.buf.len());
            for (dst, src) in out.iter_mut().zip(incoming.buf.drain(..n)) {
                *dst = src;
            }
            incoming.read += n as u64;
            incoming.wake_writer();
            self.trace.record(Event::Read {
                conn: self.id,
                side,
                bytes: n,
            });
            return Poll::Ready(Ok(n));
        }
        match incoming.spent_cut(self, dir_written_by(side.peer())) {
            Some(CutKind::Close) => return Poll::Ready(Ok(0)),
            Some(CutKind::Reset) => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "connection reset by peer (injected fault)",
                )))
            }
            None => {}
        }
        if incoming.shut {
            return Poll::Ready(Ok(0));
        }
        incoming.read_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    fn poll_write(
        &self,
        side: Side,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut guard = self.lock();
        let (_, outgoing) = guard.ends(side);
        if outgoing.shut {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after the write side was closed",
            )));
        }
        if outgoing.reader_gone {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the peer has closed the connection",
            )));
        }
        let dir = dir_written_by(side);
        match outgoing.spent_cut(self, dir) {
            Some(CutKind::Close) => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the connection was closed (injected fault)",
                )))
            }
            Some(CutKind::Reset) => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "connection reset by peer (injected fault)",
                )))
            }
            None => {}
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        let space = outgoing.cap.saturating_sub(outgoing.buf.len());
        if space == 0 {
            outgoing.write_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let mut n = total
            .min(space)
            .min(usize::try_from(outgoing.allowance()).unwrap_or(usize::MAX));
        if self.faults.one_byte {
            n = n.min(1);
        }
        let mut left = n;
        for b in bufs {
            let take = left.min(b.len());
            outgoing.buf.extend(b.iter().take(take));
            left -= take;
            if left == 0 {
                break;
            }
        }
        outgoing.written += n as u64;
        outgoing.writes += 1;
        self.trace.record(Event::Write {
            conn: self.id,
            side,
            bytes: n,
        });
        // Record the cut as soon as it is reached.
        let _ = outgoing.spent_cut(self, dir);
        outgoing.wake_reader();
        Poll::Ready(Ok(n))
    }

    fn shutdown(&self, side: Side) {
        let mut guard = self.lock();
        let (_, outgoing) = guard.ends(side);
        if !outgoing.shut {
            outgoing.shut = true;
            outgoing.wake_reader();
            self.trace.record(Event::Shutdown {
                conn: self.id,
                side,
            });
        }
    }

    fn drop_end(&self, side: Side) {
        let mut guard = self.lock();
        let (incoming, outgoing) = guard.ends(side);
        outgoing.shut = true;
        outgoing.wake_reader();
        incoming.reader_gone = true;
        incoming.buf.clear();
        incoming.wake_writer();
        self.trace.record(Event::Drop {
            conn: self.id,
            side,
        });
    }
}

/// Makes a connection and its two ends: `(client, server)`.
pub(crate) fn connection(
    id: u64,
    name: String,
    faults: Faults,
    clock: Clock,
    trace: Arc<Trace>,
) -> (Arc<Conn>, MockStream, MockStream) {
    let cap = faults.capacity();
    let conn = Arc::new(Conn {
        id,
        name,
        state: Mutex::new(Pipes {
            to_server: Pipe::new(cap, faults.to_server),
            to_client: Pipe::new(cap, faults.to_client),
            stop_fired: [false; 2],
        }),
        faults,
        trace,
        clock,
    });
    let client = MockStream::new(conn.clone(), Side::Client);
    let server = MockStream::new(conn.clone(), Side::Server);
    (conn, client, server)
}

/// One end of an in-memory connection: `AsyncRead + AsyncWrite + Send + Unpin`.
///
/// `poll_close` half-closes this end's write side: the peer reads what was written, then
/// end of stream, and this end can still read. Dropping it closes both directions: the
/// peer reads end of stream and its writes fail with `BrokenPipe`. `poll_flush` has
/// nothing to do (bytes are in the peer's buffer as soon as a write returns).
///
/// # Examples
///
/// ```
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use cohttp_mock::{duplex, Faults, Sim};
///
/// let sim = Sim::new(1);
/// let (mut client, mut server) = duplex(&sim, Faults::none());
/// sim.block_on(async move {
///     client.write_all(b"ping").await.unwrap();
///     client.close().await.unwrap();
///     let mut got = Vec::new();
///     server.read_to_end(&mut got).await.unwrap();
///     assert_eq!(got, b"ping");
/// });
/// ```
pub struct MockStream {
    conn: Arc<Conn>,
    side: Side,
    delay: Option<MockTimer>,
    delay_done: bool,
}

impl std::fmt::Debug for MockStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockStream")
            .field("conn", &self.conn.id)
            .field("side", &self.side)
            .finish_non_exhaustive()
    }
}

impl MockStream {
    fn new(conn: Arc<Conn>, side: Side) -> MockStream {
        MockStream {
            conn,
            side,
            delay: None,
            delay_done: false,
        }
    }

    /// The connection id (as in [`ConnStats::id`] and the trace).
    pub fn id(&self) -> u64 {
        self.conn.id
    }

    /// Which end this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The connection's statistics so far.
    pub fn stats(&self) -> ConnStats {
        self.conn.stats()
    }
}

impl AsyncRead for MockStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(d) = this.conn.faults.read_delay {
            if !this.delay_done {
                let clock = &this.conn.clock;
                let timer = this
                    .delay
                    .get_or_insert_with(|| clock.timer_at(clock.instant() + d));
                if Pin::new(timer).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.delay = None;
                this.delay_done = true;
            }
        }
        let r = this.conn.poll_read(this.side, cx, buf);
        if r.is_ready() {
            this.delay_done = false;
        }
        r
    }
}

impl AsyncWrite for MockStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.conn.poll_write(self.side, cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.conn.poll_write(self.side, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.conn.shutdown(self.side);
        Poll::Ready(Ok(()))
    }
}

impl Drop for MockStream {
    fn drop(&mut self) {
        self.conn.drop_end(self.side);
    }
}
