//! The head targets: `h1::parse_request` and `h1::parse_response` over arbitrary bytes.
//!
//! Invariants, under the default limits and under [`tight_limits`](crate::tight_limits):
//!
//! - no panic;
//! - a parsed head used at most the bytes it was given (`head_len ≤ len`);
//! - the outcome does not depend on how the bytes arrived: feeding the buffer one byte at
//!   a time (re-parsing the growing prefix, as a connection does after each read) answers
//!   "incomplete" until one point and from there the same outcome as the whole buffer; a
//!   parsed head is decided exactly at `head_len`, so re-parsing the prefix
//!   `..head_len` gives the same head, and an error stays the same error as more bytes
//!   arrive;
//! - `take_request` and `take_response` (the zero-copy forms the server and the client
//!   use) answer exactly as `parse_request` and `parse_response`, and take the head's
//!   bytes, no more, off the buffer; `take_request` leaves nothing of the header map it
//!   reuses in the new head.
//!
//! Not checked here: what the parsed fields are (the wire vectors in
//! `cohttp-core/tests/h1_*.rs` say that).

use bytes::BytesMut;
use cohttp_core::h1::{
    connection_has, parse_request, parse_response, response_body_length, take_request,
    take_response, BodyLength, Limits, ParsedRequest, ParsedResponse, RawTarget,
};
use cohttp_core::{ErrorKind, Result};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version};

/// What one parse answered, in a comparable form.
#[derive(Debug, PartialEq)]
enum Outcome<H> {
    Incomplete,
    Parsed(H),
    Failed(ErrorKind),
}

#[derive(Debug, PartialEq)]
struct Req {
    method: Method,
    uri: String,
    raw_target: Option<RawTarget>,
    version: Version,
    headers: HeaderMap,
    head_len: usize,
    body: BodyLength,
    keep_alive: bool,
    expect_continue: bool,
}

#[derive(Debug, PartialEq)]
struct Res {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    head_len: usize,
    keep_alive: bool,
}

/// Fuzz target `request_head`: see the module docs.
pub fn request_head(data: &[u8]) {
    for limits in [Limits::default(), crate::tight_limits()] {
        check_split_independence(data, |buf| parse_req(buf, &limits), |r| r.head_len);
        let parsed = parse_req(data, &limits);
        let mut buf = BytesMut::from(data);
        let mut spare = HeaderMap::new();
        spare.insert(
            "x-left-over",
            HeaderValue::from_static("from the last response"),
        );
        let taken = req_outcome(take_request(&mut buf, &limits, &mut spare));
        check_taken(data, &parsed, &taken, buf.len(), |r| r.head_len);
    }
}

/// Fuzz target `response_head`: see the module docs. Also asks the body length of every
/// parsed head for the methods that change it (no panic).
pub fn response_head(data: &[u8]) {
    for limits in [Limits::default(), crate::tight_limits()] {
        check_split_independence(data, |buf| parse_res(buf, &limits), |r| r.head_len);
        let parsed = parse_res(data, &limits);
        let mut buf = BytesMut::from(data);
        let taken = res_outcome(take_response(&mut buf, &limits));
        check_taken(data, &parsed, &taken, buf.len(), |r| r.head_len);
    }
}

/// A `take_*` answered as the matching `parse_*`: same outcome, and on a parsed head,
/// exactly `head_len` bytes gone from the buffer (none when incomplete).
fn check_taken<H: std::fmt::Debug + PartialEq>(
    data: &[u8],
    parsed: &Outcome<H>,
    taken: &Outcome<H>,
    left: usize,
    head_len: impl Fn(&H) -> usize,
) {
    assert_eq!(parsed, taken, "take and parse differ on {data:?}");
    match taken {
        Outcome::Parsed(h) => assert_eq!(left, data.len() - head_len(h), "{data:?}"),
        Outcome::Incomplete => assert_eq!(left, data.len(), "{data:?}"),
        Outcome::Failed(_) => {}
    }
}

fn parse_req(buf: &[u8], limits: &Limits) -> Outcome<Req> {
    req_outcome(parse_request(buf, limits))
}

fn req_outcome(result: Result<Option<ParsedRequest>>) -> Outcome<Req> {
    match result {
        Ok(None) => Outcome::Incomplete,
        Err(e) => Outcome::Failed(e.kind().clone()),
        Ok(Some(p)) => {
            let _ = connection_has(p.head.headers(), "close");
            Outcome::Parsed(Req {
                method: p.head.method().clone(),
                uri: p.head.uri().to_string(),
                raw_target: p.head.extensions().get::<RawTarget>().cloned(),
                version: p.head.version(),
                headers: p.head.headers().clone(),
                head_len: p.head_len,
                body: p.body,
                keep_alive: p.keep_alive,
                expect_continue: p.expect_continue,
            })
        }
    }
}

fn parse_res(buf: &[u8], limits: &Limits) -> Outcome<Res> {
    res_outcome(parse_response(buf, limits))
}

fn res_outcome(result: Result<Option<ParsedResponse>>) -> Outcome<Res> {
    match result {
        Ok(None) => Outcome::Incomplete,
        Err(e) => Outcome::Failed(e.kind().clone()),
        Ok(Some(p)) => {
            for method in [Method::GET, Method::HEAD, Method::CONNECT, Method::POST] {
                let _ = response_body_length(&method, &p.head);
            }
            Outcome::Parsed(Res {
                status: p.head.status(),
                version: p.head.version(),
                headers: p.head.headers().clone(),
                head_len: p.head_len,
                keep_alive: p.keep_alive,
            })
        }
    }
}

/// The shared invariants of both head parsers (see the module docs).
fn check_split_independence<H: std::fmt::Debug + PartialEq>(
    data: &[u8],
    parse: impl Fn(&[u8]) -> Outcome<H>,
    head_len: impl Fn(&H) -> usize,
) {
    let whole = parse(data);
    if let Outcome::Parsed(h) = &whole {
        assert!(
            head_len(h) <= data.len(),
            "head_len {} is past the {} bytes given",
            head_len(h),
            data.len()
        );
    }

    // One byte at a time: incomplete until `decided`, then the same as the whole buffer.
    let mut decided = None;
    for end in 0..=data.len() {
        let o = parse(&data[..end]);
        if o != Outcome::Incomplete {
            assert_eq!(
                o,
                whole,
                "fed byte by byte, the prefix of {end} bytes answers differently from all {} bytes",
                data.len()
            );
            decided = Some(end);
            break;
        }
    }
    match (&whole, decided) {
        (Outcome::Incomplete, None) => {}
        (Outcome::Parsed(h), Some(end)) => {
            assert_eq!(
                end,
                head_len(h),
                "a head of {} bytes was already decided after {end}",
                head_len(h)
            );
        }
        (Outcome::Failed(_), Some(end)) => {
            // Once decided, an error stays the same error as more bytes come.
            let mid = end + (data.len() - end) / 2;
            assert_eq!(
                parse(&data[..mid]),
                whole,
                "the error decided at {end} bytes changed at {mid}"
            );
        }
        (whole, decided) => {
            panic!("fed byte by byte: decided at {decided:?}, but the whole buffer gives {whole:?}")
        }
    }
}
