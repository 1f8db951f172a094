//! The reader task of a client connection: parses responses off the wire, in order, from one
//! buffer, and hands each to the request it answers.
//!
//! A head is matched to the oldest request in flight. Interim responses (1xx other than 101)
//! are skipped (surfaced through the `on_interim` hook and a debug log). A response to `HEAD`,
//! a 204, a 304 and a 2xx to `CONNECT` have no body; a 101 or a 2xx to `CONNECT` end HTTP on the
//! connection, and the rest of the stream is that response's body. The body is decoded here and
//! handed over through `incoming.rs`; the next head is read only once the body is off the wire.
//! A body dropped unread is drained here, bounded in bytes and time. A reset (or abort) of
//! the connection ends it like an end of stream for the requests still waiting for a head
//! (the retry error), and like an I/O error for a body being read. So does a `408` closing a
//! reused connection (a timeout of the server racing our request). Writing is `writer.rs`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use bytes::BytesMut;
use futures_util::io::ReadHalf;
use http::{Method, StatusCode};

use crate::body::Body;
use crate::error::{Error, ErrorKind, Malformed, Result};
use crate::h1::{self, BodyLength, Decoded, Decoder};
use crate::runtime::{BoxTransport, Timer};

use super::connection::{End, Phase, Shared};
use super::incoming::{self, BodySender, Frame};
use super::persistence;

/// What one wait for bytes gave.
enum Got {
    Data,
    Eof,
    Timeout,
}

/// How a response body ended.
enum BodyEnd {
    /// Complete; the connection goes on.
    Complete,
    /// The stream ended (with the body, or cutting it short: the holder got an error).
    Eof,
    /// A dropped body went past the drain bound: the connection closes.
    DrainExceeded,
}

pub(crate) async fn run(shared: Arc<Shared>, mut rd: ReadHalf<BoxTransport>, mut buf: BytesMut) {
    let end = match read_loop(&shared, &mut rd, &mut buf).await {
        Ok(end) => end,
        Err(e) if is_abort(&e) => End::Reset(e),
        Err(e) if matches!(e.kind(), ErrorKind::Io) => End::ReadFailed(e),
        Err(e) => End::Failed(e),
    };
    shared.terminate(end);
}

/// Whether `e` is the peer aborting the connection (a reset, an abort, a broken pipe):
/// like an orderly end of stream, the requests still waiting for their response head
/// got no byte of it and may be sent again (RFC 9112 §9.3.1).
pub(crate) fn is_abort(e: &Error) -> bool {
    if !matches!(e.kind(), ErrorKind::Io) {
        return false;
    }
    let io = std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>());
    io.is_some_and(|io| is_abort_kind(io.kind()))
}

/// The I/O error kinds of a peer aborting the connection.
pub(crate) fn is_abort_kind(kind: std::io::ErrorKind) -> bool {
    matches!(
        kind,
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
    )
}

/// The stream ended inside a response head. No response can be made of a partial head,
/// so this is the orderly end of stream before any response (RFC 9112 §9.3.1): the retry
/// error (written) for the requests in flight, not written for the waiting ones, and an
/// idempotent request is sent again. Bytes with no request in flight are an error.
fn eof_inside_head(shared: &Arc<Shared>) -> Result<End> {
    if shared.lock().in_flight.is_empty() {
        return Err(Error::malformed(Malformed::TruncatedHead));
    }
    log::debug!(target: "cohttp::client", "connection {}: end of stream inside a response head", shared.id);
    Ok(End::Graceful)
}

/// A `408` that closes a reused connection: the server timed out waiting for a request
/// head it never received whole (its idle or head timeout racing our request), so the
/// request is answered by nobody. RFC 9110 §15.5.9 lets the client repeat it; like an
/// orderly close before the response (and as browsers do), the requests in flight get the
/// retry error (written) and the waiting ones the retry error (not written), so that an
/// idempotent request is sent again on a new connection. A `408` on a connection's first
/// request is that request's answer and is delivered as such.
fn unsolicited_timeout(shared: &Arc<Shared>) -> End {
    log::debug!(target: "cohttp::client",
        "connection {}: 408 and close on a reused connection; the request may be sent again",
        shared.id);
    End::Graceful
}

fn read_error(e: std::io::Error) -> Error {
    Error::from(e).with_context("could not read the response")
}

async fn read_loop(
    shared: &Arc<Shared>,
    rd: &mut ReadHalf<BoxTransport>,
    buf: &mut BytesMut,
) -> Result<End> {
    let limits = shared.config.limits.clone();
    // Final responses read on this connection: past the first, it is a reused one.
    let mut answered: u64 = 0;
    // The last body's hand-off, for the next body once its holder let go of it.
    let mut spare = incoming::Spare::default();
    loop {
        let mut timer: Option<Pin<Box<dyn Timer>>> = None;
        let (parsed, framing) = loop {
            if !buf.is_empty() {
                if let Some(p) = h1::parse::take_framed_response(buf, &limits)? {
                    break p;
                }
            }
            match read_head_bytes(shared, rd, buf, &mut timer).await? {
                Got::Data => {}
                Got::Eof if buf.is_empty() => return Ok(End::Graceful),
                Got::Eof => return eof_inside_head(shared),
                Got::Timeout => return Ok(End::HeadTimeout),
            }
        };
        let method = match shared.lock().in_flight.front() {
            Some(f) => f.method.clone(),
            None => {
                return Err(Error::malformed(Malformed::UnexpectedResponse)
                    .with_context(format!("status {}", parsed.head.status())))
            }
        };
        // The head is off `buf` already (its field values slice it), and its framing read.
        let status = parsed.head.status();
        if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
            log::debug!(target: "cohttp::client", "connection {}: interim response {status}", shared.id);
            if let Some(hook) = &shared.config.on_interim {
                hook(&parsed.head);
            }
            continue;
        }
        if status == StatusCode::REQUEST_TIMEOUT && answered > 0 && !parsed.keep_alive {
            return Ok(unsolicited_timeout(shared));
        }
        let upgraded = status == StatusCode::SWITCHING_PROTOCOLS
            || (method == Method::CONNECT && status.is_success());
        let length = if upgraded {
            BodyLength::CloseDelimited
        } else {
            framing.body_length(&method, status, parsed.head.version())?
        };
        let (reply, last) = {
            let mut s = shared.lock();
            let last = persistence::on_response(&mut s, parsed.keep_alive, upgraded);
            if last {
                s.fail_waiting();
            }
            s.bump();
            (s.in_flight.front_mut().and_then(|f| f.reply.take()), last)
        };
        let (parts, ()) = parsed.head.into_parts();
        let outcome = if matches!(length, BodyLength::Fixed(0)) {
            if let Some(r) = reply {
                let _ = r.send(Ok(http::Response::from_parts(parts, Body::empty())));
            }
            BodyEnd::Complete
        } else {
            let (tx, incoming) = incoming::channel(shared.clone(), &mut spare);
            let known = match length {
                BodyLength::Fixed(n) => Some(n),
                _ => None,
            };
            let response = http::Response::from_parts(
                parts,
                Body::from_body_stream(Box::pin(incoming), known),
            );
            let delivered = match reply {
                Some(r) => match r.send(Ok(response)) {
                    Ok(()) => true,
                    Err(unwanted) => {
                        tx.quiet();
                        drop(unwanted);
                        false
                    }
                },
                None => false,
            };
            if !delivered {
                log::debug!(target: "cohttp::client", "connection {}: response to a cancelled call discarded", shared.id);
            }
            let end = read_body(shared, rd, buf, length, &tx).await?;
            tx.finish(&mut spare);
            end
        };
        {
            let mut s = shared.lock();
            s.in_flight.pop_front();
            s.bump();
        }
        answered += 1;
        match outcome {
            // RFC 9112 §9.6: after a response that closes the connection, nothing more is
            // read; whatever follows on the wire answers no request of ours, and the requests
            // still in flight fail with the retry error (written).
            BodyEnd::Complete if last => return Ok(End::Graceful),
            BodyEnd::Complete => {}
            BodyEnd::Eof => return Ok(End::Graceful),
            BodyEnd::DrainExceeded => {
                log::warn!(target: "cohttp::client",
                    "connection {}: dropped response body past the drain bound; closing the connection",
                    shared.id);
                return Ok(End::Graceful);
            }
        }
        shared.end_if_drained();
        if shared.lock().phase == Phase::Ended {
            return Ok(End::Graceful);
        }
    }
}

/// Reads more bytes while waiting for a response head; the head timeout runs once a request
/// is in flight.
async fn read_head_bytes(
    shared: &Arc<Shared>,
    rd: &mut ReadHalf<BoxTransport>,
    buf: &mut BytesMut,
    timer: &mut Option<Pin<Box<dyn Timer>>>,
) -> Result<Got> {
    futures_util::future::poll_fn(|cx| {
        if let Some(d) = shared.config.head_timeout {
            if timer.is_none() {
                let mut s = shared.lock();
                let since = s.in_flight.front().map(|f| f.written_at);
                match since {
                    Some(Some(at)) => *timer = Some(shared.rt.timer(at.max(shared.rt.now()) + d)),
                    _ => s.reader_waker = Some(cx.waker().clone()),
                }
            }
            if let Some(t) = timer.as_mut() {
                if t.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Ok(Got::Timeout));
                }
            }
        }
        match h1::io::poll_read_buf(&mut *rd, cx, buf, h1::io::MAX_READ) {
            Poll::Ready(Ok(0)) => Poll::Ready(Ok(Got::Eof)),
            Poll::Ready(Ok(_)) => Poll::Ready(Ok(Got::Data)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(read_error(e))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// The drain of a body its holder dropped.
struct Drain {
    drained: u64,
    timer: Pin<Box<dyn Timer>>,
}

impl Drain {
    fn start(shared: &Shared) -> Drain {
        let deadline: Instant = shared.rt.now() + shared.config.drain_timeout;
        Drain {
            drained: 0,
            timer: shared.rt.timer(deadline),
        }
    }
}

/// Decodes one body off the wire into `tx`, draining it if the holder is gone.
async fn read_body(
    shared: &Arc<Shared>,
    rd: &mut ReadHalf<BoxTransport>,
    buf: &mut BytesMut,
    length: BodyLength,
    tx: &BodySender,
) -> Result<BodyEnd> {
    let limit = shared.config.drain_limit;
    let mut decoder = Decoder::for_response(length, &shared.config.limits);
    let mut drain: Option<Drain> = None;
    loop {
        if drain.is_none() && tx.is_gone() {
            drain = Some(Drain::start(shared));
        }
        match decoder.decode(buf) {
            Err(e) => {
                tx.send(Frame::Error(e.duplicate()));
                return Err(e);
            }
            Ok(Decoded::Data(data)) => match drain.as_mut() {
                None => {
                    let n = data.len() as u64;
                    if !tx.send_data(data).await {
                        let mut d = Drain::start(shared);
                        d.drained = n;
                        drain = Some(d);
                    }
                }
                Some(d) => d.drained += data.len() as u64,
            },
            Ok(Decoded::Done) => {
                tx.send(Frame::End);
                return Ok(BodyEnd::Complete);
            }
            Ok(Decoded::NeedMore) => match read_body_bytes(rd, buf, tx, &mut drain, shared).await {
                Ok(Got::Data) => {}
                Ok(Got::Eof) => {
                    match decoder.decode_eof() {
                        Ok(()) => tx.send(Frame::End),
                        Err(e) => tx.send(Frame::Error(e)),
                    }
                    return Ok(BodyEnd::Eof);
                }
                Ok(Got::Timeout) => return Ok(BodyEnd::DrainExceeded),
                Err(e) => {
                    tx.send(Frame::Error(e.duplicate()));
                    return Err(e);
                }
            },
        }
        if drain.as_ref().is_some_and(|d| d.drained > limit) {
            return Ok(BodyEnd::DrainExceeded);
        }
    }
}

/// Reads more body bytes; notices the holder dropping the body, and bounds the drain in time.
async fn read_body_bytes(
    rd: &mut ReadHalf<BoxTransport>,
    buf: &mut BytesMut,
    tx: &BodySender,
    drain: &mut Option<Drain>,
    shared: &Shared,
) -> Result<Got> {
    futures_util::future::poll_fn(|cx| {
        if drain.is_none() && tx.poll_gone(cx) {
            *drain = Some(Drain::start(shared));
        }
        if let Some(d) = drain.as_mut() {
            if d.timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(Got::Timeout));
            }
        }
        match h1::io::poll_read_buf(&mut *rd, cx, buf, h1::io::MAX_READ) {
            Poll::Ready(Ok(0)) => Poll::Ready(Ok(Got::Eof)),
            Poll::Ready(Ok(_)) => Poll::Ready(Ok(Got::Data)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(read_error(e))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
