//! The load generators' response checker (bench and soak): an incremental parser of a stream of
//! HTTP/1.1 responses on one connection, which validates each against what the request must
//! get (status, framing, `Connection: close` or not, body length, and the exact body where it
//! is known).
//!
//! Either one expectation for every response ([`ResponseStream::new`]), or one per response,
//! queued as the requests are sent ([`ResponseStream::queued`] and [`ResponseStream::push`]),
//! for a connection mixing routes. It takes bytes as they were read, in any split (a head cut
//! anywhere, several pipelined responses in one read, a 1 MiB body over many reads), and never
//! buffers a body: body bytes are compared or counted and consumed. It is not a general HTTP
//! client parser: a response without `Content-Length` or chunked framing is an error here, and so
//! is `Connection: close` unless expected, because the load generators drive keep-alive traffic.

use std::collections::VecDeque;
use std::fmt;

use bytes::Bytes;

/// Largest response head accepted, in bytes.
pub const MAX_HEAD: usize = 8 * 1024;
/// Largest trailer line accepted after a last chunk, in bytes.
const MAX_TRAILER_LINE: usize = 8 * 1024;

/// What the body of each response must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyCheck {
    /// Exactly these bytes.
    Exact(Bytes),
    /// This many bytes, content not checked.
    Length(u64),
    /// This many bytes, every one equal to the given byte.
    Repeated(u8, u64),
}

/// How the body of each response must be framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` or `Transfer-Encoding: chunked`, either.
    Any,
    /// `Content-Length` only.
    Length,
    /// `Transfer-Encoding: chunked` only.
    Chunked,
}

/// What every response on the connection must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// Status code.
    pub status: u16,
    /// Body check.
    pub body: BodyCheck,
    /// Body framing.
    pub framing: Framing,
    /// The response must say `Connection: close` (true) or must not (false).
    pub close: bool,
}

impl Expect {
    /// The answer to `GET /plaintext`: 200, body `Hello, World!`.
    pub fn plaintext() -> Self {
        Self {
            status: 200,
            body: BodyCheck::Exact(Bytes::from_static(b"Hello, World!")),
            framing: Framing::Any,
            close: false,
        }
    }

    /// The answer to `GET /bytes/N`: 200, `Content-Length: N`.
    pub fn bytes(n: u64) -> Self {
        Self {
            status: 200,
            body: BodyCheck::Length(n),
            framing: Framing::Length,
            close: false,
        }
    }

    /// The answer to `GET /stream/N`: 200, chunked, N bytes in all.
    pub fn stream(n: u64) -> Self {
        Self {
            status: 200,
            body: BodyCheck::Length(n),
            framing: Framing::Chunked,
            close: false,
        }
    }

    /// A 200 with exactly `body`, framed as `framing`, the connection kept.
    pub fn exact(body: impl Into<Bytes>, framing: Framing) -> Self {
        Self {
            status: 200,
            body: BodyCheck::Exact(body.into()),
            framing,
            close: false,
        }
    }

    /// A 200 with `n` bytes all equal to `byte`, framed as `framing`, the connection kept.
    pub fn repeated(byte: u8, n: u64, framing: Framing) -> Self {
        Self {
            status: 200,
            body: BodyCheck::Repeated(byte, n),
            framing,
            close: false,
        }
    }

    /// The answer to a request the server refuses: `status`, `Content-Length` framing, the
    /// status's reason phrase as the body, and `Connection: close`.
    pub fn refused(status: u16, reason: &'static str) -> Self {
        Self {
            status,
            body: BodyCheck::Exact(Bytes::from_static(reason.as_bytes())),
            framing: Framing::Length,
            close: true,
        }
    }
}

/// Why a response was rejected. The connection cannot be used after one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// The head does not parse.
    Head(String),
    /// The head is longer than [`MAX_HEAD`].
    HeadTooLarge,
    /// Not `HTTP/1.1`.
    Version,
    /// Another status than the expected one.
    Status(u16),
    /// The server announced it will close the connection.
    ConnectionClose,
    /// Neither `Content-Length` nor chunked.
    NoFraming,
    /// Both `Content-Length` and `Transfer-Encoding`, differing `Content-Length`s, or a
    /// `Content-Length` that is not a number.
    BadFraming,
    /// A framing other than the expected one.
    WrongFraming,
    /// A transfer coding other than `chunked`.
    UnknownCoding,
    /// The body has the wrong length.
    BodyLength {
        /// Expected length.
        expected: u64,
        /// Length seen (so far, when it overflows).
        got: u64,
    },
    /// The body has the right length but other bytes.
    BodyMismatch,
    /// A malformed chunk size line, chunk end, or trailer.
    BadChunk,
    /// A response to no request (the queue of expectations is empty).
    Unrequested,
    /// `Connection: close` expected but absent.
    NoConnectionClose,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head(e) => write!(f, "response head does not parse: {e}"),
            Self::HeadTooLarge => write!(f, "response head over {MAX_HEAD} bytes"),
            Self::Version => write!(f, "response is not HTTP/1.1"),
            Self::Status(s) => write!(f, "unexpected status {s}"),
            Self::ConnectionClose => write!(f, "server sent `Connection: close`"),
            Self::NoFraming => write!(f, "response has neither Content-Length nor chunked"),
            Self::BadFraming => write!(f, "conflicting or malformed Content-Length"),
            Self::WrongFraming => write!(f, "unexpected body framing"),
            Self::UnknownCoding => write!(f, "transfer coding other than chunked"),
            Self::BodyLength { expected, got } => {
                write!(f, "body length {got}, expected {expected}")
            }
            Self::BodyMismatch => write!(f, "body differs from the expected bytes"),
            Self::BadChunk => write!(f, "malformed chunked framing"),
            Self::Unrequested => write!(f, "a response to no request"),
            Self::NoConnectionClose => write!(f, "`Connection: close` expected, absent"),
        }
    }
}

/// What one call to [`ResponseStream::feed`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the input used; the caller drops them and keeps the rest for the next call.
    pub consumed: usize,
    /// Responses completed and valid.
    pub completed: usize,
}

/// Where the parser is in the current response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for (the rest of) a head; unconsumed head bytes stay with the caller.
    Head,
    /// In a `Content-Length` body, this many bytes to go.
    Fixed { remaining: u64 },
    /// In a chunk-size line: value so far, hex digits seen, inside an extension.
    ChunkSize { size: u64, digits: u8, ext: bool },
    /// After the CR ending a chunk-size line.
    ChunkSizeLf { size: u64 },
    /// In chunk data, this many bytes to go.
    ChunkData { remaining: u64 },
    /// Expecting the CR after chunk data.
    ChunkDataCr,
    /// Expecting the LF after chunk data.
    ChunkDataLf,
    /// In a trailer line (or the final empty line) after the last chunk.
    Trailer { len: usize },
    /// After the CR ending a trailer line; `empty` when that line was the final empty one.
    TrailerLf { empty: bool },
}

/// Incremental parser and validator of the responses on one connection.
#[derive(Clone, Debug)]
pub struct ResponseStream {
    expect: Expect,
    /// In queued mode, what the next responses must be, in order.
    queue: Option<VecDeque<Expect>>,
    state: State,
    body_seen: u64,
}

impl ResponseStream {
    /// A parser expecting every response to match `expect`.
    pub fn new(expect: Expect) -> Self {
        Self {
            expect,
            queue: None,
            state: State::Head,
            body_seen: 0,
        }
    }

    /// A parser taking one expectation per response, given with [`push`](Self::push)
    /// before the response arrives; a response with none queued is an error.
    pub fn queued() -> Self {
        Self {
            queue: Some(VecDeque::new()),
            ..Self::new(Expect::bytes(0))
        }
    }

    /// Queues what the next unanswered request must get (queued mode; ignored otherwise).
    pub fn push(&mut self, expect: Expect) {
        if let Some(q) = &mut self.queue {
            q.push_back(expect);
        }
    }

    /// Responses expected and not yet complete (queued mode; 0 otherwise).
    pub fn outstanding(&self) -> usize {
        self.queue.as_ref().map_or(0, VecDeque::len) + usize::from(!self.is_idle())
    }

    /// True between responses: no part of one has been consumed.
    pub fn is_idle(&self) -> bool {
        self.state == State::Head
    }

    /// Parses as much of `input` as possible. Unconsumed bytes (an incomplete head) must be
    /// given again, followed by what is read next.
    pub fn feed(&mut self, input: &[u8]) -> Result<Progress, Invalid> {
        let mut pos = 0;
        let mut completed = 0;
        loop {
            match self.state {
                State::Head => {
                    match self.head(&input[pos..])? {
                        None => break,
                        Some(n) => pos += n,
                    }
                    // A response with an empty body completes with its head.
                    if self.state == (State::Fixed { remaining: 0 }) {
                        self.finish()?;
                        completed += 1;
                    }
                }
                State::Fixed { remaining } | State::ChunkData { remaining } => {
                    let avail = input.len() - pos;
                    if avail == 0 {
                        break;
                    }
                    let take = usize::try_from(remaining).map_or(avail, |r| r.min(avail));
                    self.body(&input[pos..pos + take])?;
                    pos += take;
                    let left = remaining - take as u64;
                    self.state = match self.state {
                        State::Fixed { .. } if left == 0 => {
                            self.finish()?;
                            completed += 1;
                            State::Head
                        }
                        State::Fixed { .. } => State::Fixed { remaining: left },
                        _ if left == 0 => State::ChunkDataCr,
                        _ => State::ChunkData { remaining: left },
                    };
                }
                _ => {
                    let Some(&byte) = input.get(pos) else { break };
                    pos += 1;
                    if self.framing_byte(byte)? {
                        completed += 1;
                    }
                }
            }
        }
        Ok(Progress {
            consumed: pos,
            completed,
        })
    }

    /// Steps the chunked framing states (size line, data end, trailer) by one byte; true when
    /// that byte ended the response.
    fn framing_byte(&mut self, byte: u8) -> Result<bool, Invalid> {
        self.state = match self.state {
            State::ChunkSize { size, digits, ext } => match (byte, ext) {
                (b'\r', _) if digits == 0 => return Err(Invalid::BadChunk),
                (b'\r', _) => State::ChunkSizeLf { size },
                (b';', _) => State::ChunkSize {
                    size,
                    digits,
                    ext: true,
                },
                (_, true) => self.state,
                (_, false) => {
                    let d = (byte as char).to_digit(16).ok_or(Invalid::BadChunk)?;
                    let size = size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(u64::from(d)))
                        .ok_or(Invalid::BadChunk)?;
                    State::ChunkSize {
                        size,
                        digits: digits.saturating_add(1),
                        ext,
                    }
                }
            },
            State::ChunkSizeLf { size: 0 } if byte == b'\n' => State::Trailer { len: 0 },
            State::ChunkSizeLf { size } if byte == b'\n' => State::ChunkData { remaining: size },
            State::ChunkDataCr if byte == b'\r' => State::ChunkDataLf,
            State::ChunkDataLf if byte == b'\n' => State::ChunkSize {
                size: 0,
                digits: 0,
                ext: false,
            },
            State::Trailer { len } => match byte {
                b'\r' => State::TrailerLf { empty: len == 0 },
                b'\n' => return Err(Invalid::BadChunk),
                _ if len >= MAX_TRAILER_LINE => return Err(Invalid::BadChunk),
                _ => State::Trailer { len: len + 1 },
            },
            State::TrailerLf { empty: true } if byte == b'\n' => {
                self.finish()?;
                return Ok(true);
            }
            State::TrailerLf { empty: false } if byte == b'\n' => State::Trailer { len: 0 },
            _ => return Err(Invalid::BadChunk),
        };
        Ok(false)
    }

    /// Parses one head from the start of `input`; `None` when it is not complete yet.
    fn head(&mut self, input: &[u8]) -> Result<Option<usize>, Invalid> {
        if input.is_empty() {
            return Ok(None);
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let parsed = resp.parse(input);
        if matches!(parsed, Ok(httparse::Status::Complete(_))) {
            if let Some(q) = &mut self.queue {
                self.expect = q.pop_front().ok_or(Invalid::Unrequested)?;
            }
        }
        let len = match parsed {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if input.len() > MAX_HEAD => {
                return Err(Invalid::HeadTooLarge)
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(Invalid::Head(e.to_string())),
        };
        if len > MAX_HEAD {
            return Err(Invalid::HeadTooLarge);
        }
        if resp.version != Some(1) {
            return Err(Invalid::Version);
        }
        let status = resp.code.unwrap_or(0);
        if status != self.expect.status {
            return Err(Invalid::Status(status));
        }
        let mut length: Option<u64> = None;
        let mut chunked = false;
        let mut close = false;
        for h in resp.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                let n = std::str::from_utf8(h.value)
                    .ok()
                    .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or(Invalid::BadFraming)?;
                if length.is_some_and(|l| l != n) {
                    return Err(Invalid::BadFraming);
                }
                length = Some(n);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                if !h.value.eq_ignore_ascii_case(b"chunked") || chunked {
                    return Err(Invalid::UnknownCoding);
                }
                chunked = true;
            } else if h.name.eq_ignore_ascii_case("connection")
                && h.value
                    .split(|&b| b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
            {
                close = true;
            }
        }
        match (close, self.expect.close) {
            (true, false) => return Err(Invalid::ConnectionClose),
            (false, true) => return Err(Invalid::NoConnectionClose),
            _ => {}
        }
        self.body_seen = 0;
        self.state = match (length, chunked, self.expect.framing) {
            (Some(_), true, _) => return Err(Invalid::BadFraming),
            (None, false, _) => return Err(Invalid::NoFraming),
            (Some(_), _, Framing::Chunked) | (None, _, Framing::Length) => {
                return Err(Invalid::WrongFraming)
            }
            (Some(n), _, _) => {
                let expected = self.expected_len();
                if n != expected {
                    return Err(Invalid::BodyLength { expected, got: n });
                }
                State::Fixed { remaining: n }
            }
            (None, true, _) => State::ChunkSize {
                size: 0,
                digits: 0,
                ext: false,
            },
        };
        Ok(Some(len))
    }

    fn expected_len(&self) -> u64 {
        match &self.expect.body {
            BodyCheck::Exact(b) => b.len() as u64,
            BodyCheck::Length(n) | BodyCheck::Repeated(_, n) => *n,
        }
    }

    /// Checks body bytes as they arrive.
    fn body(&mut self, bytes: &[u8]) -> Result<(), Invalid> {
        let expected = self.expected_len();
        let start = self.body_seen;
        self.body_seen += bytes.len() as u64;
        if self.body_seen > expected {
            return Err(Invalid::BodyLength {
                expected,
                got: self.body_seen,
            });
        }
        match &self.expect.body {
            BodyCheck::Exact(want) => {
                // In range: body_seen <= expected == want.len().
                let from = start as usize;
                if want.get(from..from + bytes.len()) != Some(bytes) {
                    return Err(Invalid::BodyMismatch);
                }
            }
            BodyCheck::Repeated(byte, _) => {
                if bytes.iter().any(|b| b != byte) {
                    return Err(Invalid::BodyMismatch);
                }
            }
            BodyCheck::Length(_) => {}
        }
        Ok(())
    }

    /// Ends the current response: the whole body must have been seen.
    fn finish(&mut self) -> Result<(), Invalid> {
        let expected = self.expected_len();
        if self.body_seen != expected {
            return Err(Invalid::BodyLength {
                expected,
                got: self.body_seen,
            });
        }
        self.body_seen = 0;
        self.state = State::Head;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &[u8] =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nHello, World!";

    /// Feeds `input` in pieces of `step` bytes as a reader would, keeping unconsumed bytes.
    fn feed_in_steps(s: &mut ResponseStream, input: &[u8], step: usize) -> Result<usize, Invalid> {
        let mut pending = Vec::new();
        let mut done = 0;
        for piece in input.chunks(step) {
            pending.extend_from_slice(piece);
            let p = s.feed(&pending)?;
            pending.drain(..p.consumed);
            done += p.completed;
        }
        assert!(pending.is_empty(), "left over: {pending:?}");
        Ok(done)
    }

    #[test]
    fn one_plaintext_response_in_one_read() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let p = s.feed(OK).unwrap();
        assert_eq!(
            p,
            Progress {
                consumed: OK.len(),
                completed: 1
            }
        );
        assert!(s.is_idle());
    }

    #[test]
    fn sixteen_pipelined_responses_split_at_every_offset() {
        let all = OK.repeat(16);
        for step in 1..=all.len() {
            let mut s = ResponseStream::new(Expect::plaintext());
            assert_eq!(feed_in_steps(&mut s, &all, step), Ok(16), "step {step}");
            assert!(s.is_idle());
        }
    }

    #[test]
    fn incomplete_head_is_not_consumed() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let p = s.feed(&OK[..20]).unwrap();
        assert_eq!(p, Progress::default());
    }

    #[test]
    fn response_split_inside_body_completes_on_second_read() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let cut = OK.len() - 5;
        let p = s.feed(&OK[..cut]).unwrap();
        assert_eq!((p.consumed, p.completed), (cut, 0));
        assert!(!s.is_idle());
        let p = s.feed(&OK[cut..]).unwrap();
        assert_eq!((p.consumed, p.completed), (5, 1));
    }

    #[test]
    fn wrong_plaintext_body_is_rejected() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let bad = b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nHello, world!";
        assert_eq!(s.feed(bad), Err(Invalid::BodyMismatch));
    }

    #[test]
    fn wrong_content_length_is_rejected_at_the_head() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let bad = b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nHello, World";
        assert_eq!(
            s.feed(bad),
            Err(Invalid::BodyLength {
                expected: 13,
                got: 12
            })
        );
    }

    #[test]
    fn status_other_than_expected_is_rejected() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let bad = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(s.feed(bad), Err(Invalid::Status(404)));
    }

    #[test]
    fn close_delimited_body_is_rejected() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let bad = b"HTTP/1.1 200 OK\r\n\r\nHello, World!";
        assert_eq!(s.feed(bad), Err(Invalid::NoFraming));
    }

    #[test]
    fn connection_close_is_rejected() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let bad = b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\ncontent-length: 13\r\n\r\nHello, World!";
        assert_eq!(s.feed(bad), Err(Invalid::ConnectionClose));
    }

    #[test]
    fn length_and_chunked_together_are_rejected() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let bad = b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\ntransfer-encoding: chunked\r\n\r\n";
        assert_eq!(s.feed(bad), Err(Invalid::BadFraming));
    }

    #[test]
    fn http10_response_is_rejected() {
        let mut s = ResponseStream::new(Expect::plaintext());
        assert_eq!(
            s.feed(b"HTTP/1.0 200 OK\r\ncontent-length: 13\r\n\r\nHello, World!"),
            Err(Invalid::Version)
        );
    }

    #[test]
    fn oversized_head_is_rejected() {
        let mut s = ResponseStream::new(Expect::plaintext());
        let mut head = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
        head.resize(MAX_HEAD + 10, b'a');
        assert_eq!(s.feed(&head), Err(Invalid::HeadTooLarge));
    }

    #[test]
    fn chunked_plaintext_split_at_every_offset() {
        let resp: &[u8] = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nHello\r\n8;x=y\r\n, World!\r\n0\r\nx-t: 1\r\n\r\n";
        let all = resp.repeat(3);
        for step in 1..=all.len() {
            let mut s = ResponseStream::new(Expect::plaintext());
            assert_eq!(feed_in_steps(&mut s, &all, step), Ok(3), "step {step}");
        }
    }

    #[test]
    fn chunked_stream_counts_body_bytes() {
        let mut s = ResponseStream::new(Expect::stream(20));
        let resp = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\na\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n";
        assert_eq!(s.feed(resp).map(|p| p.completed), Ok(1));
    }

    #[test]
    fn chunked_stream_too_short_is_rejected() {
        let mut s = ResponseStream::new(Expect::stream(20));
        let resp =
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n";
        assert_eq!(
            s.feed(resp),
            Err(Invalid::BodyLength {
                expected: 20,
                got: 10
            })
        );
    }

    #[test]
    fn chunk_size_without_digits_is_rejected() {
        let mut s = ResponseStream::new(Expect::stream(0));
        let resp = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\r\n";
        assert_eq!(s.feed(resp), Err(Invalid::BadChunk));
    }

    #[test]
    fn chunk_size_overflow_is_rejected() {
        let mut s = ResponseStream::new(Expect::stream(0));
        let resp = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1ffffffffffffffff\r\n";
        assert_eq!(s.feed(resp), Err(Invalid::BadChunk));
    }

    #[test]
    fn chunked_where_length_expected_is_rejected() {
        let mut s = ResponseStream::new(Expect::bytes(5));
        let resp = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(s.feed(resp), Err(Invalid::WrongFraming));
    }

    #[test]
    fn large_fixed_body_is_consumed_without_buffering() {
        let n = 1 << 20;
        let mut s = ResponseStream::new(Expect::bytes(n));
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {n}\r\n\r\n");
        let p = s.feed(head.as_bytes()).unwrap();
        assert_eq!((p.consumed, p.completed), (head.len(), 0));
        let block = vec![b'x'; 65536];
        let mut done = 0;
        for _ in 0..16 {
            let p = s.feed(&block).unwrap();
            assert_eq!(p.consumed, block.len());
            done += p.completed;
        }
        assert_eq!(done, 1);
        assert!(s.is_idle());
    }

    #[test]
    fn fixed_body_followed_by_next_head_in_same_read() {
        let mut s = ResponseStream::new(Expect::bytes(3));
        let two = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nab";
        let p = s.feed(two).unwrap();
        assert_eq!((p.consumed, p.completed), (two.len(), 1));
        assert_eq!(s.feed(b"c").map(|p| p.completed), Ok(1));
    }

    #[test]
    fn queued_expectations_check_each_pipelined_response_in_turn() {
        let mut s = ResponseStream::queued();
        s.push(Expect::plaintext());
        s.push(Expect::repeated(b'x', 3, Framing::Length));
        s.push(Expect::exact(&b"ab"[..], Framing::Chunked));
        assert_eq!(s.outstanding(), 3);
        let all: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nHello, World!\
HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nxxx\
HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
        for step in 1..=all.len() {
            let mut s = s.clone();
            assert_eq!(feed_in_steps(&mut s, all, step), Ok(3), "step {step}");
            assert_eq!(s.outstanding(), 0);
        }
    }

    #[test]
    fn response_with_nothing_queued_is_rejected() {
        let mut s = ResponseStream::queued();
        assert_eq!(s.feed(OK), Err(Invalid::Unrequested));
    }

    #[test]
    fn repeated_body_with_another_byte_is_rejected() {
        let mut s = ResponseStream::new(Expect::repeated(b'x', 3, Framing::Length));
        let bad = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nxyx";
        assert_eq!(s.feed(bad), Err(Invalid::BodyMismatch));
    }

    #[test]
    fn refusal_must_announce_the_close() {
        let ok = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\nconnection: close\r\n\r\nBad Request";
        let mut s = ResponseStream::new(Expect::refused(400, "Bad Request"));
        assert_eq!(s.feed(ok).map(|p| p.completed), Ok(1));
        let kept = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\n\r\nBad Request";
        let mut s = ResponseStream::new(Expect::refused(400, "Bad Request"));
        assert_eq!(s.feed(kept), Err(Invalid::NoConnectionClose));
    }

    #[test]
    fn empty_body_completes_with_its_head() {
        let mut s = ResponseStream::new(Expect::bytes(0));
        let two = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(s.feed(two).map(|p| p.completed), Ok(2));
    }
}
