//! The writer task of a client connection: turns queued requests into bytes on the wire.
//!
//! It takes every request it may write at once (see `persistence.rs`), frames them into one
//! buffer and writes that buffer in as few writes as the transport allows; a streamed body is
//! framed as its chunks come, the buffer going out whenever the stream has nothing ready. It
//! knows which request each byte belongs to, so a failed write fails exactly the request it
//! hit (I/O error) and the ones behind it (retry, not written). Reading is `reader.rs`.

use std::sync::Arc;
use std::task::Poll;

use futures_util::io::{AsyncWrite, AsyncWriteExt, WriteHalf};
use futures_util::{FutureExt, StreamExt};
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::uri::{Authority, Scheme};
use http::{HeaderValue, Method, Version};

use crate::body::{Body, TransferEncoding};
use crate::error::{Error, Malformed};
use crate::h1;
use crate::runtime::BoxTransport;

use super::connection::{InFlight, Phase, Shared};
use super::persistence::{self, Next};
use super::target::{missing_host, request_target};

/// Flush when this much is buffered, even in the middle of a batch.
const FLUSH_AT: usize = 256 * 1024;

/// One request taken from the waiting queue.
struct Job {
    seq: u64,
    req: http::Request<Body>,
    last: bool,
}

/// The output buffer and which request each of its bytes belongs to.
struct Out {
    buf: Vec<u8>,
    /// `(seq, offset in buf where that request starts)`, in order.
    marks: Vec<(u64, usize)>,
    /// The `Host` value last derived from a request's URI, for the next requests to the
    /// same scheme and authority (usually all of a connection's).
    host: Option<HostFor>,
}

/// A `Host` value (see [`missing_host`]) and the scheme and authority it was derived from.
/// The scheme and authority are kept as the URI's own parts (clones share their bytes),
/// and compared as written: `Host` is sent as written, so case matters here.
struct HostFor {
    scheme: Option<Scheme>,
    authority: Option<Authority>,
    host: String,
}

impl HostFor {
    /// Whether `uri` names the same scheme and authority, byte for byte.
    fn matches(&self, uri: &http::Uri) -> bool {
        self.scheme.as_ref().map(Scheme::as_str) == uri.scheme_str()
            && self.authority.as_ref().map(Authority::as_str)
                == uri.authority().map(Authority::as_str)
    }
}

/// Why a request could not be written.
enum JobError {
    /// The request itself is at fault and none of its bytes went out: only it fails.
    Request(Error),
    /// The connection can no longer be written (bytes of `seq` went out, or the write
    /// failed): `seq` fails with the error, the requests behind it are retried.
    Connection(u64, Error),
}

pub(crate) async fn run(shared: Arc<Shared>, mut wr: WriteHalf<BoxTransport>) {
    let mut out = Out {
        buf: Vec::with_capacity(16 * 1024),
        marks: Vec::new(),
        host: None,
    };
    // Reused from batch to batch (drained each time), like `out`.
    let mut jobs = Vec::new();
    loop {
        if !next_batch(&shared, &mut jobs).await {
            break;
        }
        let mut last_written = false;
        let mut broken = None;
        for job in jobs.drain(..) {
            if let Some(seq) = broken {
                let _ = seq;
                fail_one(&shared, job.seq, Error::retry(false));
                continue;
            }
            let (seq, last) = (job.seq, job.last);
            match write_job(&shared, job, &mut out, &mut wr).await {
                Ok(()) => last_written |= last,
                Err(JobError::Request(e)) => fail_one(&shared, seq, e),
                Err(JobError::Connection(seq, e)) => {
                    broken_connection(&shared, seq, e);
                    broken = Some(seq);
                }
            }
        }
        if broken.is_none() {
            if let Err(JobError::Connection(seq, e)) = flush(&shared, &mut out, &mut wr).await {
                broken_connection(&shared, seq, e);
                broken = Some(seq);
            }
        }
        if broken.is_some() {
            return;
        }
        if last_written {
            {
                let mut s = shared.lock();
                s.writes_done = true;
                s.fail_waiting();
            }
            shared.end_if_drained();
            break;
        }
    }
    let shut_down = shared.lock().phase == Phase::Closing;
    if shared.config.half_close_on_shutdown && shut_down {
        let _ = wr.close().await;
    }
}

/// Waits until there is something to write; takes it from the waiting queue into the in
/// flight one (so the reader can match its response), into `jobs` (empty on entry).
/// `false`: nothing more will be written.
async fn next_batch(shared: &Arc<Shared>, jobs: &mut Vec<Job>) -> bool {
    futures_util::future::poll_fn(|cx| {
        let mut s = shared.lock();
        let before = s.waiting.len();
        s.waiting.retain(|w| !w.reply.is_canceled());
        if s.waiting.len() != before {
            s.bump();
        }
        match persistence::next(&s) {
            Next::Stop => {
                if s.phase != Phase::Ended && !s.waiting.is_empty() {
                    s.fail_waiting();
                }
                Poll::Ready(false)
            }
            Next::Wait => {
                s.writer_waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Next::Take(n) => {
                jobs.reserve(n);
                for _ in 0..n {
                    let Some(w) = s.waiting.pop_front() else {
                        break;
                    };
                    let remaining = s.waiting.len();
                    let last = persistence::is_last(&s, remaining)
                        || h1::connection_has(w.req.headers(), "close");
                    s.in_flight.push_back(InFlight {
                        seq: w.seq,
                        method: w.req.method().clone(),
                        reply: Some(w.reply),
                        written: false,
                        written_at: None,
                    });
                    s.started += 1;
                    jobs.push(Job {
                        seq: w.seq,
                        req: w.req,
                        last,
                    });
                    if last {
                        break;
                    }
                }
                s.bump();
                Poll::Ready(true)
            }
        }
    })
    .await
}

/// Whether a method's requests carry a body by convention (so an empty one is announced with
/// `Content-Length: 0`).
fn expects_body(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET
            | Method::HEAD
            | Method::DELETE
            | Method::OPTIONS
            | Method::CONNECT
            | Method::TRACE
    )
}

/// How the request body is framed: the caller's framing headers win, else the body's own.
async fn framing(
    shared: &Arc<Shared>,
    req: &mut http::Request<Body>,
    out: &mut Out,
    wr: &mut WriteHalf<BoxTransport>,
) -> std::result::Result<TransferEncoding, JobError> {
    let headers = req.headers();
    if let Some(te) = headers.get(TRANSFER_ENCODING) {
        let chunked_last = te
            .to_str()
            .ok()
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        if !chunked_last || headers.get_all(TRANSFER_ENCODING).iter().count() > 1 {
            return Err(JobError::Request(Error::usage(
                "a request's Transfer-Encoding must be exactly `chunked`",
            )));
        }
        return Ok(TransferEncoding::Chunked);
    }
    if let Some(cl) = headers.get(CONTENT_LENGTH) {
        let n = cl
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                JobError::Request(
                    Error::malformed(Malformed::InvalidUserHeader)
                        .with_context("Content-Length is not a number"),
                )
            })?;
        return Ok(TransferEncoding::Fixed(n));
    }
    let encoding = req.body().transfer_encoding();
    let chunked_ok = persistence::chunked_allowed(&shared.lock());
    match encoding {
        TransferEncoding::Chunked if !chunked_ok => {
            // Persistence (and so chunked support) not known: measure the body. The bytes
            // already framed go out first, so they do not wait on the caller's stream.
            flush(shared, out, wr).await?;
            let n = req.body_mut().length().await.map_err(JobError::Request)?;
            Ok(TransferEncoding::Fixed(n))
        }
        e => Ok(e),
    }
}

/// Frames one request into `out` (flushing when it grows large or a stream body waits).
async fn write_job(
    shared: &Arc<Shared>,
    job: Job,
    out: &mut Out,
    wr: &mut WriteHalf<BoxTransport>,
) -> std::result::Result<(), JobError> {
    let Job { seq, mut req, last } = job;
    // Both are taken once the headers are final, just before the head is written (they
    // borrow from the request); a streamed body is checked first, before it is measured.
    if req.body().is_stream() {
        missing_host(&req, &shared.default_host).map_err(JobError::Request)?;
        request_target(&req).map_err(JobError::Request)?;
    }
    let version = req.version();
    if version != Version::HTTP_11 && version != Version::HTTP_10 {
        return Err(JobError::Request(Error::usage(
            "only HTTP/1.0 and HTTP/1.1 requests can be sent",
        )));
    }
    let encoding = framing(shared, &mut req, out, wr).await?;
    let has_framing =
        req.headers().contains_key(TRANSFER_ENCODING) || req.headers().contains_key(CONTENT_LENGTH);
    if !has_framing {
        match encoding {
            TransferEncoding::Fixed(0) if !expects_body(req.method()) => {}
            TransferEncoding::Fixed(n) => {
                req.headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from(n));
            }
            TransferEncoding::Chunked => {
                req.headers_mut()
                    .insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
            }
        }
    }
    if last && !h1::connection_has(req.headers(), "close") {
        req.headers_mut()
            .append(CONNECTION, HeaderValue::from_static("close"));
    }
    let start = out.buf.len();
    if let Err(e) = write_head(&req, &shared.default_host, &mut out.host, &mut out.buf) {
        out.buf.truncate(start);
        return Err(JobError::Request(e));
    }
    out.marks.push((seq, start));
    let mut encoder = h1::Encoder::for_length(encoding);
    let mut body = req.into_body();
    // Whether bytes of this request already went to the transport.
    let mut flushed = false;
    loop {
        let next = match body.next().now_or_never() {
            Some(n) => n,
            None => {
                flush_within(shared, out, wr, seq, &mut flushed).await?;
                body.next().await
            }
        };
        match next {
            Some(Ok(chunk)) => {
                if let Err(e) = encoder.encode(&chunk, &mut out.buf) {
                    return Err(abandon(out, flushed, seq, start, e));
                }
                if out.buf.len() >= FLUSH_AT {
                    flush_within(shared, out, wr, seq, &mut flushed).await?;
                }
            }
            Some(Err(e)) => return Err(abandon(out, flushed, seq, start, e)),
            None => break,
        }
    }
    if let Err(e) = encoder.finish(None, &mut out.buf) {
        return Err(abandon(out, flushed, seq, start, e));
    }
    Ok(())
}

/// Appends the request head to `buf`, with a `Host` field first when the caller gave none
/// (RFC 9110 §7.2: a user agent sends `Host` as the first field), written straight from the
/// URI rather than added to the request's header map.
/// `cache` keeps the last `Host` value derived from a URI: deriving it takes the URI's
/// authority apart, and a connection's requests usually share one.
fn write_head(
    req: &http::Request<Body>,
    default_host: &str,
    cache: &mut Option<HostFor>,
    buf: &mut Vec<u8>,
) -> crate::Result<()> {
    let target = request_target(req)?;
    let host = if req.headers().contains_key(HOST) {
        None
    } else {
        match cache {
            Some(c) if c.matches(req.uri()) => Some(c.host.as_str()),
            _ => {
                let host = missing_host(req, default_host)?.map(|h| h.into_owned());
                let uri = req.uri();
                *cache = host.map(|host| HostFor {
                    scheme: uri.scheme().cloned(),
                    authority: uri.authority().cloned(),
                    host,
                });
                cache.as_ref().map(|c| c.host.as_str())
            }
        }
    };
    h1::write_request_head_with_host(
        req.method(),
        &target,
        req.version(),
        host,
        req.headers(),
        buf,
    )
}

/// Flushes in the middle of request `seq`; the bytes still to come are still its own.
async fn flush_within(
    shared: &Arc<Shared>,
    out: &mut Out,
    wr: &mut WriteHalf<BoxTransport>,
    seq: u64,
    flushed: &mut bool,
) -> std::result::Result<(), JobError> {
    flush(shared, out, wr).await?;
    *flushed = true;
    out.marks.push((seq, 0));
    Ok(())
}

/// A request whose body failed: if none of its bytes went out yet, drop them and fail only
/// the request; otherwise the connection cannot be resynchronised.
fn abandon(out: &mut Out, flushed: bool, seq: u64, start: usize, e: Error) -> JobError {
    if flushed {
        return JobError::Connection(seq, e);
    }
    out.buf.truncate(start);
    out.marks.pop();
    JobError::Request(e)
}

/// Writes the whole buffer, marking each request written as its first byte goes out.
async fn flush(
    shared: &Arc<Shared>,
    out: &mut Out,
    wr: &mut WriteHalf<BoxTransport>,
) -> std::result::Result<(), JobError> {
    let mut done = 0;
    let mut marked = 0;
    let result = loop {
        if done == out.buf.len() {
            break wr.flush().await;
        }
        let rest = out.buf.get(done..).unwrap_or_default();
        match futures_util::future::poll_fn(|cx| std::pin::Pin::new(&mut *wr).poll_write(cx, rest))
            .await
        {
            Ok(0) => break Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                done += n;
                let now = shared.rt.now();
                let mut s = shared.lock();
                while let Some(&(seq, start)) = out.marks.get(marked) {
                    if start >= done {
                        break;
                    }
                    if let Some(f) = s.in_flight.iter_mut().find(|f| f.seq == seq) {
                        f.written = true;
                        f.written_at = Some(now);
                    }
                    marked += 1;
                }
                if let Some(w) = s.reader_waker.take() {
                    w.wake();
                }
            }
            Err(e) => break Err(e),
        }
    };
    let failed_at = done;
    // The request whose bytes a failed write carried.
    let carried = match result {
        Ok(()) => None,
        Err(_) => out
            .marks
            .iter()
            .rev()
            .find(|&&(_, start)| start <= failed_at)
            .or_else(|| out.marks.first())
            .copied(),
    };
    // Cleared, not replaced: both keep their room for the next batch.
    out.marks.clear();
    out.buf.clear();
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let seq = carried.map_or(u64::MAX, |(seq, _)| seq);
            let err = if super::reader::is_abort_kind(e.kind()) {
                // The peer closed (broken pipe: the write-side counterpart of end of
                // stream) or reset the connection: the retry error, written when some of
                // the request went out (RFC 9112 §9.3.1).
                let went_out = carried.is_some_and(|(_, start)| start < failed_at);
                Error::retry(went_out)
                    .with_context(
                        "the peer closed or reset the connection while the request was written",
                    )
                    .with_source(e)
            } else {
                Error::from(e).with_context("could not write the request")
            };
            Err(JobError::Connection(seq, err))
        }
    }
}

/// Fails one request taken by the writer (nothing of it was written).
fn fail_one(shared: &Arc<Shared>, seq: u64, e: Error) {
    let reply = {
        let mut s = shared.lock();
        let pos = s.in_flight.iter().position(|f| f.seq == seq);
        let f = pos.and_then(|p| s.in_flight.remove(p));
        s.bump();
        f.and_then(|f| f.reply)
    };
    if let Some(r) = reply {
        let _ = r.send(Err(e));
    }
    shared.end_if_drained();
}

/// The connection can no longer be written: `seq` fails with `e`, the requests behind it and
/// the waiting ones with the retry error (not written). Earlier requests keep their chance of
/// an answer; the connection ends once they have it.
fn broken_connection(shared: &Arc<Shared>, seq: u64, e: Error) {
    let mut replies = Vec::new();
    {
        let mut s = shared.lock();
        s.writes_done = true;
        if let Some(pos) = s.in_flight.iter().position(|f| f.seq == seq) {
            let behind: Vec<InFlight> = s.in_flight.drain(pos..).collect();
            let mut first = Some(e);
            for f in behind {
                let err = first.take().unwrap_or_else(|| Error::retry(false));
                if let Some(r) = f.reply {
                    replies.push((r, err));
                }
            }
        }
        s.fail_waiting();
    }
    for (r, err) in replies {
        let _ = r.send(Err(err));
    }
    shared.end_if_drained();
}
