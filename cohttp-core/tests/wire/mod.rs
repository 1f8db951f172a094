//! Shared harness of the `h1` wire-format vector tests (`h1_*.rs`): runs every parse over the whole
//! buffer, fed byte by byte, and (for small inputs) split at every single point, and
//! checks that each way gives the same outcome.
//!
//! What "the same outcome" means here:
//!
//! - **Heads** ([`request`], [`response`]): the parser is called on every prefix of the
//!   input (a growing buffer, one byte appended at a time). Every prefix shorter than the
//!   head must answer `Ok(None)`; from `head_len` on it must answer the same parsed head
//!   as the whole buffer. For a rejected input, the prefixes answer `Ok(None)` until the
//!   first point the error is decidable, and from there on the *same* error, up to and
//!   including the whole buffer; no prefix may ever parse.
//! - **Streams** ([`requests`], [`responses`]): a connection's bytes are read as a
//!   sequence of messages (head, then the body through [`Decoder`], then the next head
//!   from the bytes left over), with the end of input taken as the peer closing. The list
//!   of messages (heads, body bytes, trailers) and how the stream ended must be identical
//!   whether the bytes come in one piece, one byte at a time, or cut at any one point.
//! - **Bodies** ([`chunked`], [`decode_all_ways`]): the [`Decoder`] alone, over the whole
//!   body and over 1-byte increments; data, trailers, bytes left after the body, and the
//!   error are compared.
//!
//! This is test support, not a parser: it only drives the public `h1` API.
#![allow(dead_code)]

use bytes::BytesMut;
use cohttp_core::h1::{
    parse_request, parse_response, response_body_length, BodyLength, Decoded, Decoder, Limits,
    ParsedRequest, ParsedResponse, RawTarget,
};
use cohttp_core::{Error, ErrorKind, Limit, Malformed};
use http::{HeaderMap, Method, StatusCode, Version};

/// Inputs at most this long are also split at every single point.
const EVERY_SPLIT_MAX: usize = 1024;

/// A body length, comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// `Content-Length`, or no body (0).
    Fixed(u64),
    /// Chunked.
    Chunked,
    /// Until the peer closes.
    Close,
}

impl From<&BodyLength> for Len {
    fn from(b: &BodyLength) -> Len {
        match b {
            BodyLength::Fixed(n) => Len::Fixed(*n),
            BodyLength::Chunked => Len::Chunked,
            BodyLength::CloseDelimited => Len::Close,
        }
    }
}

impl Len {
    /// Back to the API's type.
    pub fn to_body_length(self) -> BodyLength {
        match self {
            Len::Fixed(n) => BodyLength::Fixed(n),
            Len::Chunked => BodyLength::Chunked,
            Len::Close => BodyLength::CloseDelimited,
        }
    }
}

/// Header fields in order, names lowercase, values as bytes.
pub type Fields = Vec<(String, Vec<u8>)>;

fn fields(map: &HeaderMap) -> Fields {
    map.iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect()
}

/// A parsed request head, comparable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Req {
    /// The method as sent.
    pub method: String,
    /// The `Uri` as the `http` crate renders it.
    pub uri: String,
    /// The [`RawTarget`] extension, when present.
    pub raw_target: Option<String>,
    /// The version.
    pub version: Version,
    /// The header fields.
    pub headers: Fields,
    /// Bytes the head used.
    pub head_len: usize,
    /// The body length.
    pub body: Len,
    /// Whether the connection persists after this request.
    pub keep_alive: bool,
    /// Whether the client waits for `100 Continue`.
    pub expect_continue: bool,
}

impl Req {
    fn of(p: &ParsedRequest) -> Req {
        Req {
            method: p.head.method().as_str().to_owned(),
            uri: p.head.uri().to_string(),
            raw_target: p.head.extensions().get::<RawTarget>().map(|r| r.0.clone()),
            version: p.head.version(),
            headers: fields(p.head.headers()),
            head_len: p.head_len,
            body: Len::from(&p.body),
            keep_alive: p.keep_alive,
            expect_continue: p.expect_continue,
        }
    }

    /// Every value of the header `name`, in order.
    pub fn values(&self, name: &str) -> Vec<&[u8]> {
        values(&self.headers, name)
    }
}

/// A parsed response head, comparable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resp {
    /// The status.
    pub status: StatusCode,
    /// The version.
    pub version: Version,
    /// The header fields.
    pub headers: Fields,
    /// Bytes the head used.
    pub head_len: usize,
    /// Whether the connection persists after this response (by its head alone).
    pub keep_alive: bool,
}

impl Resp {
    fn of(p: &ParsedResponse) -> Resp {
        Resp {
            status: p.head.status(),
            version: p.head.version(),
            headers: fields(p.head.headers()),
            head_len: p.head_len,
            keep_alive: p.keep_alive,
        }
    }

    /// Every value of the header `name`, in order.
    pub fn values(&self, name: &str) -> Vec<&[u8]> {
        values(&self.headers, name)
    }
}

fn values<'a>(headers: &'a Fields, name: &str) -> Vec<&'a [u8]> {
    headers
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
        .collect()
}

/// The error kind and the status a server answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The kind.
    pub kind: ErrorKind,
    /// `Error::status()`.
    pub status: Option<StatusCode>,
}

impl Failure {
    fn of(e: &Error) -> Failure {
        Failure {
            kind: e.kind().clone(),
            status: e.status(),
        }
    }
}

/// Shorthand for a malformed-message kind.
pub fn malformed(m: Malformed) -> ErrorKind {
    ErrorKind::Malformed(m)
}

/// Shorthand for a limit kind.
pub fn limit(l: Limit) -> ErrorKind {
    ErrorKind::Limit(l)
}

/// Runs `parse` on every prefix of `input` and checks the prefix rules above; returns
/// the outcome on the whole buffer.
fn head_all_prefixes<T: std::fmt::Debug + PartialEq>(
    input: &[u8],
    parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, Failure>,
) -> Result<Option<T>, Failure> {
    let whole = parse(input);
    match &whole {
        Ok(Some((t, head_len))) => {
            assert!(*head_len <= input.len(), "head_len past the buffer");
            for end in 0..input.len() {
                let got = parse(&input[..end]);
                if end < *head_len {
                    assert!(
                        matches!(got, Ok(None)),
                        "prefix of {end} bytes (head is {head_len}) gave {got:?}, want Ok(None)"
                    );
                } else {
                    match got {
                        Ok(Some((g, l))) => {
                            assert_eq!(l, *head_len, "head_len differs at prefix {end}");
                            assert_eq!(&g, t, "parsed head differs at prefix {end}");
                        }
                        other => panic!("prefix of {end} bytes gave {other:?}, want the head"),
                    }
                }
            }
        }
        Ok(None) => {
            for end in 0..input.len() {
                let got = parse(&input[..end]);
                assert!(
                    matches!(got, Ok(None)),
                    "prefix of {end} bytes of an incomplete head gave {got:?}"
                );
            }
        }
        Err(want) => {
            let mut first_error = None;
            for end in 0..input.len() {
                match parse(&input[..end]) {
                    Ok(None) => assert!(
                        first_error.is_none(),
                        "prefix of {end} bytes went back to Ok(None) after the error at {first_error:?}"
                    ),
                    Ok(Some(got)) => {
                        panic!("prefix of {end} bytes parsed ({got:?}) but the whole fails with {want:?}")
                    }
                    Err(got) => {
                        assert_eq!(&got, want, "prefix of {end} bytes gave another error");
                        first_error.get_or_insert(end);
                    }
                }
            }
        }
    }
    whole.map(|o| o.map(|(t, _)| t))
}

fn parse_req(input: &[u8], limits: &Limits) -> Result<Option<(Req, usize)>, Failure> {
    parse_request(input, limits)
        .map(|o| o.map(|p| (Req::of(&p), p.head_len)))
        .map_err(|e| Failure::of(&e))
}

fn parse_resp(input: &[u8], limits: &Limits) -> Result<Option<(Resp, usize)>, Failure> {
    parse_response(input, limits)
        .map(|o| o.map(|p| (Resp::of(&p), p.head_len)))
        .map_err(|e| Failure::of(&e))
}

/// Parses a request head whole and byte by byte; the outcome (`Ok(None)` = incomplete).
pub fn request_with(input: &[u8], limits: &Limits) -> Result<Option<Req>, Failure> {
    head_all_prefixes(input, |b| parse_req(b, limits))
}

/// [`request_with`] default limits.
pub fn request(input: &[u8]) -> Result<Option<Req>, Failure> {
    request_with(input, &Limits::default())
}

/// A request head that must parse (whole and byte by byte alike).
#[track_caller]
pub fn request_ok(input: &[u8]) -> Req {
    request_ok_with(input, &Limits::default())
}

/// [`request_ok`] with limits.
#[track_caller]
pub fn request_ok_with(input: &[u8], limits: &Limits) -> Req {
    match request_with(input, limits) {
        Ok(Some(r)) => r,
        other => panic!("{:?}: want a parsed head, got {other:?}", show(input)),
    }
}

/// A request head that must fail with `kind`, answered with `status`.
#[track_caller]
pub fn request_fails(input: &[u8], kind: ErrorKind, status: u16) {
    request_fails_with(input, &Limits::default(), kind, status)
}

/// [`request_fails`] with limits.
#[track_caller]
pub fn request_fails_with(input: &[u8], limits: &Limits, kind: ErrorKind, status: u16) {
    let want = Failure {
        kind,
        status: Some(StatusCode::from_u16(status).expect("a status")),
    };
    match request_with(input, limits) {
        Err(got) => assert_eq!(got, want, "{:?}", show(input)),
        other => panic!("{:?}: want {want:?}, got {other:?}", show(input)),
    }
}

/// Parses a response head whole and byte by byte.
pub fn response_with(input: &[u8], limits: &Limits) -> Result<Option<Resp>, Failure> {
    head_all_prefixes(input, |b| parse_resp(b, limits))
}

/// A response head that must parse.
#[track_caller]
pub fn response_ok(input: &[u8]) -> Resp {
    match response_with(input, &Limits::default()) {
        Ok(Some(r)) => r,
        other => panic!("{:?}: want a parsed head, got {other:?}", show(input)),
    }
}

/// A response head that must fail with `kind` (a client has no status to answer;
/// `Error::status()` is still compared with `status`, the status a proxy would map it to).
#[track_caller]
pub fn response_fails(input: &[u8], kind: ErrorKind, status: u16) {
    let want = Failure {
        kind,
        status: Some(StatusCode::from_u16(status).expect("a status")),
    };
    match response_with(input, &Limits::default()) {
        Err(got) => assert_eq!(got, want, "{:?}", show(input)),
        other => panic!("{:?}: want {want:?}, got {other:?}", show(input)),
    }
}

/// The input as text, for failure messages.
pub fn show(input: &[u8]) -> String {
    input.escape_ascii().to_string()
}

// ---------------------------------------------------------------------------------------
// Bodies.

/// What a body decoder produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyOutcome {
    /// The body bytes, concatenated.
    pub data: Vec<u8>,
    /// Trailer fields (chunked only; empty when none).
    pub trailers: Fields,
    /// Bytes of the input left after the body.
    pub rest: Vec<u8>,
    /// Whether the decoder finished (a `Done`, or end of input accepted as the end).
    pub done: bool,
}

fn trailer_fields(dec: &mut Decoder) -> Fields {
    dec.trailers().map(|t| fields(&t)).unwrap_or_default()
}

/// Decodes `input` as a body of `len`, fed in pieces of the given sizes (the last piece
/// takes what is left). With `eof`, the end of input is the peer closing.
pub fn decode_in_pieces(
    len: Len,
    input: &[u8],
    pieces: &[usize],
    limits: &Limits,
    eof: bool,
) -> Result<BodyOutcome, Failure> {
    let mut dec = Decoder::new(len.to_body_length(), limits);
    let mut buf = BytesMut::new();
    let mut data = Vec::new();
    let mut fed = 0;
    let mut piece = pieces.iter().copied();
    let mut done = false;
    // Bounded: each round feeds at least one byte or ends.
    'feed: loop {
        loop {
            match dec.decode(&mut buf).map_err(|e| Failure::of(&e))? {
                Decoded::Data(b) => {
                    assert!(!b.is_empty(), "Decoded::Data must not be empty");
                    data.extend_from_slice(&b);
                }
                Decoded::NeedMore => break,
                Decoded::Done => {
                    done = true;
                    break 'feed;
                }
            }
        }
        if fed == input.len() {
            break;
        }
        let n = piece.next().unwrap_or(input.len() - fed).max(1);
        let end = (fed + n).min(input.len());
        buf.extend_from_slice(&input[fed..end]);
        fed = end;
    }
    let mut rest = buf.to_vec();
    rest.extend_from_slice(&input[fed..]);
    if !done && eof {
        dec.decode_eof().map_err(|e| Failure::of(&e))?;
        done = true;
    }
    if done {
        assert!(dec.is_done(), "decoder says Done but is_done() is false");
    }
    Ok(BodyOutcome {
        data,
        trailers: trailer_fields(&mut dec),
        rest,
        done,
    })
}

/// Decodes a body whole and byte by byte (and cut at each point when small); asserts the
/// outcomes agree and returns it.
#[track_caller]
pub fn decode_all_ways(
    len: Len,
    input: &[u8],
    limits: &Limits,
    eof: bool,
) -> Result<BodyOutcome, Failure> {
    let whole = decode_in_pieces(len, input, &[input.len()], limits, eof);
    let bytewise = decode_in_pieces(len, input, &vec![1; input.len()], limits, eof);
    assert_eq!(bytewise, whole, "byte by byte differs: {:?}", show(input));
    if input.len() <= EVERY_SPLIT_MAX {
        for cut in 1..input.len() {
            let split = decode_in_pieces(len, input, &[cut, input.len() - cut], limits, eof);
            assert_eq!(split, whole, "cut at {cut} differs: {:?}", show(input));
        }
    }
    whole
}

/// A chunked body, no end of input: decoded every way.
#[track_caller]
pub fn chunked(input: &[u8]) -> Result<BodyOutcome, Failure> {
    decode_all_ways(Len::Chunked, input, &Limits::default(), false)
}

/// A chunked body that must decode; returns the outcome.
#[track_caller]
pub fn chunked_ok(input: &[u8]) -> BodyOutcome {
    match chunked(input) {
        Ok(o) => o,
        Err(e) => panic!("{:?}: want a body, got {e:?}", show(input)),
    }
}

/// A chunked body that must fail with `kind` answered with `status`.
#[track_caller]
pub fn chunked_fails_with(input: &[u8], limits: &Limits, kind: ErrorKind, status: u16) {
    let want = Failure {
        kind,
        status: Some(StatusCode::from_u16(status).expect("a status")),
    };
    match decode_all_ways(Len::Chunked, input, limits, false) {
        Err(got) => assert_eq!(got, want, "{:?}", show(input)),
        Ok(o) => panic!("{:?}: want {want:?}, got {o:?}", show(input)),
    }
}

/// [`chunked_fails_with`] default limits.
#[track_caller]
pub fn chunked_fails(input: &[u8], kind: ErrorKind, status: u16) {
    chunked_fails_with(input, &Limits::default(), kind, status)
}

// ---------------------------------------------------------------------------------------
// Streams of messages.

/// One message read from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<H> {
    /// The head.
    pub head: H,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The trailer fields.
    pub trailers: Fields,
}

/// How a stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// At a message boundary with no bytes left.
    Clean,
    /// Inside a head: these many bytes of an incomplete head were left.
    InHead(usize),
    /// With an error.
    Failed(Failure),
}

enum State<H> {
    Head,
    Body(H, Decoder, Vec<u8>),
}

/// Reads a stream of messages fed in pieces of the given sizes (the rest in one piece),
/// then ends it as the peer closing. `head` parses a head at the front of the buffer and
/// gives the head, its length and its body length; `decoder` makes the body's decoder
/// (a server's for requests, a client's for responses).
fn read_stream<H: Clone>(
    input: &[u8],
    pieces: &[usize],
    limits: &Limits,
    decoder: fn(BodyLength, &Limits) -> Decoder,
    mut head: impl FnMut(&[u8], usize) -> Result<Option<(H, usize, Len)>, Failure>,
) -> (Vec<Message<H>>, End) {
    let mut out = Vec::new();
    let mut buf = BytesMut::new();
    let mut state = State::Head;
    let mut fed = 0;
    let mut piece = pieces.iter().copied();
    loop {
        // Consume what the buffer holds.
        loop {
            match &mut state {
                State::Head => {
                    if buf.is_empty() {
                        break;
                    }
                    match head(&buf, out.len()) {
                        Ok(None) => break,
                        Ok(Some((h, head_len, len))) => {
                            let _ = buf.split_to(head_len);
                            state =
                                State::Body(h, decoder(len.to_body_length(), limits), Vec::new());
                        }
                        Err(f) => return (out, End::Failed(f)),
                    }
                }
                State::Body(_, dec, data) => match dec.decode(&mut buf) {
                    Ok(Decoded::Data(b)) => {
                        assert!(!b.is_empty(), "Decoded::Data must not be empty");
                        data.extend_from_slice(&b);
                    }
                    Ok(Decoded::NeedMore) => break,
                    Ok(Decoded::Done) => {
                        if let State::Body(h, mut dec, body) =
                            std::mem::replace(&mut state, State::Head)
                        {
                            let trailers = trailer_fields(&mut dec);
                            out.push(Message {
                                head: h,
                                body,
                                trailers,
                            });
                        }
                    }
                    Err(e) => return (out, End::Failed(Failure::of(&e))),
                },
            }
        }
        if fed == input.len() {
            break;
        }
        let n = piece.next().unwrap_or(input.len() - fed).max(1);
        let end = (fed + n).min(input.len());
        buf.extend_from_slice(&input[fed..end]);
        fed = end;
    }
    // The peer closes.
    match state {
        State::Head if buf.is_empty() => (out, End::Clean),
        State::Head => (out, End::InHead(buf.len())),
        State::Body(h, mut dec, body) => match dec.decode_eof() {
            Ok(()) => {
                let trailers = trailer_fields(&mut dec);
                out.push(Message {
                    head: h,
                    body,
                    trailers,
                });
                (out, End::Clean)
            }
            Err(e) => (out, End::Failed(Failure::of(&e))),
        },
    }
}

/// Reads a stream every way (whole, byte by byte, cut at each point when small) and
/// asserts the outcomes agree.
fn stream_all_ways<H: Clone + PartialEq + std::fmt::Debug>(
    input: &[u8],
    run: impl Fn(&[usize]) -> (Vec<Message<H>>, End),
) -> (Vec<Message<H>>, End) {
    let whole = run(&[input.len()]);
    let bytewise = run(&vec![1; input.len()]);
    assert_eq!(bytewise, whole, "byte by byte differs: {:?}", show(input));
    if input.len() <= EVERY_SPLIT_MAX {
        for cut in 1..input.len() {
            let split = run(&[cut, input.len() - cut]);
            assert_eq!(split, whole, "cut at {cut} differs: {:?}", show(input));
        }
    }
    whole
}

/// Reads requests from `input` fed in pieces of these sizes.
pub fn requests_in_pieces(
    input: &[u8],
    pieces: &[usize],
    limits: &Limits,
) -> (Vec<Message<Req>>, End) {
    read_stream(input, pieces, limits, Decoder::new, |b, _| {
        parse_req(b, limits).map(|o| {
            o.map(|(r, l)| {
                let len = r.body;
                (r, l, len)
            })
        })
    })
}

/// Reads the requests of a connection every way; returns the messages and the end.
pub fn requests(input: &[u8]) -> (Vec<Message<Req>>, End) {
    requests_with(input, &Limits::default())
}

/// [`requests`] with limits.
pub fn requests_with(input: &[u8], limits: &Limits) -> (Vec<Message<Req>>, End) {
    stream_all_ways(input, |pieces| requests_in_pieces(input, pieces, limits))
}

/// Reads responses from `input` fed in pieces; `methods[i]` is the method of the request
/// the i-th response answers (interim 1xx responses answer the same request as the final
/// one, so give its method again).
pub fn responses_in_pieces(
    input: &[u8],
    methods: &[Method],
    pieces: &[usize],
    limits: &Limits,
) -> (Vec<Message<Resp>>, End) {
    read_stream(input, pieces, limits, Decoder::for_response, |b, index| {
        let parsed = parse_response(b, limits).map_err(|e| Failure::of(&e))?;
        let Some(p) = parsed else { return Ok(None) };
        let method = methods.get(index).cloned().unwrap_or(Method::GET);
        let len = response_body_length(&method, &p.head).map_err(|e| Failure::of(&e))?;
        Ok(Some((Resp::of(&p), p.head_len, Len::from(&len))))
    })
}

/// Reads the responses of a connection every way.
pub fn responses(input: &[u8], methods: &[Method]) -> (Vec<Message<Resp>>, End) {
    let limits = Limits::default();
    stream_all_ways(input, |pieces| {
        responses_in_pieces(input, methods, pieces, &limits)
    })
}

/// The body length of a response to `method`, after parsing its head every way.
#[track_caller]
pub fn response_length(method: Method, input: &[u8]) -> Result<Len, Failure> {
    let r = response_ok(input);
    let p = parse_response(input, &Limits::default())
        .expect("parsed above")
        .expect("complete above");
    assert_eq!(Resp::of(&p), r);
    response_body_length(&method, &p.head)
        .map(|l| Len::from(&l))
        .map_err(|e| Failure::of(&e))
}
