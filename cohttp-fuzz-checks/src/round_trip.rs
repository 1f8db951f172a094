//! The `round_trip` target: arbitrary request and response heads with bodies, written
//! for the wire and read back.
//!
//! The fuzzer's bytes are decoded by `arbitrary` into a [`Message`] description, which
//! becomes an `http` request or response head (method, origin-form target, version,
//! fields, status) and a body in pieces, framed by `Content-Length` or, on HTTP/1.1, by
//! chunked coding with trailer fields. Descriptions `http` cannot represent (a method or
//! field name that is not a token, a value with control bytes) are skipped, as are values
//! with leading or trailing whitespace (the parser rightly trims it).
//!
//! Invariants: writing succeeds (`h1::write_request_head` / `write_response_head` and the
//! `Encoder`), and `h1::parse_request` / `parse_response` + `Decoder` read back exactly
//! the same head, fields in the same order, the same body and trailers, using every byte.

use arbitrary::{Arbitrary, Unstructured};
use bytes::BytesMut;
use cohttp_core::body::TransferEncoding;
use cohttp_core::h1::{
    parse_request, parse_response, response_body_length, write_request_head, write_response_head,
    BodyLength, Decoded, Decoder, Encoder, Limits,
};
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, Method, StatusCode, Uri, Version};

/// The characters a generated request target is made of: a sample of RFC 3986 `pchar`,
/// `/` and `?` (no `%`, whose escapes `http` checks, and no `#`).
const TARGET_CHARS: &[u8] = b"abcxyzABCXYZ0189-._~!$&'()*+,;=:@/?";

/// The description of one message, as `arbitrary` draws it.
#[derive(Arbitrary, Debug)]
struct Message {
    request: bool,
    method: MethodDesc,
    path: Vec<u8>,
    http10: bool,
    status: u16,
    fields: Vec<(Vec<u8>, Vec<u8>)>,
    chunked: bool,
    body: Vec<Vec<u8>>,
    trailers: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Arbitrary, Debug)]
enum MethodDesc {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Other(Vec<u8>),
}

/// Fuzz target `round_trip`: see the module docs.
pub fn round_trip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(msg) = Message::arbitrary(&mut u) else {
        return;
    };
    let version = if msg.http10 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let chunked = msg.chunked && version == Version::HTTP_11;
    let Some(mut fields) = field_map(&msg.fields, 60) else {
        return;
    };
    let Some(trailers) = field_map(&msg.trailers, 20) else {
        return;
    };
    let trailers = if chunked && !trailers.is_empty() {
        Some(trailers)
    } else {
        None
    };
    let limits = Limits::default();

    let mut wire = Vec::new();
    let bodiless;
    if msg.request {
        let method = match &msg.method {
            MethodDesc::Get => Method::GET,
            MethodDesc::Head => Method::HEAD,
            MethodDesc::Post => Method::POST,
            MethodDesc::Put => Method::PUT,
            MethodDesc::Delete => Method::DELETE,
            MethodDesc::Options => Method::OPTIONS,
            MethodDesc::Other(m) => match Method::from_bytes(m) {
                // CONNECT takes an authority-form target, not a path.
                Ok(m) if m != Method::CONNECT => m,
                _ => return,
            },
        };
        let target: String = std::iter::once('/')
            .chain(
                msg.path
                    .iter()
                    .map(|&b| TARGET_CHARS[b as usize % TARGET_CHARS.len()] as char),
            )
            .collect();
        let Ok(uri) = target.parse::<Uri>() else {
            return;
        };
        fields.insert(HOST, HeaderValue::from_static("fuzz.test"));
        bodiless = false;
        frame(&mut fields, chunked, &msg.body, bodiless);
        write_request_head(&method, &target, version, &fields, &mut wire)
            .expect("a request head made of valid parts is written");
        let head_len = wire.len();
        let body_at = wire.len();
        encode_body(chunked, &msg.body, trailers.as_ref(), bodiless, &mut wire);

        let parsed = parse_request(&wire, &limits)
            .unwrap_or_else(|e| panic!("written request refused: {e}\n{:?}", show(&wire)))
            .unwrap_or_else(|| panic!("written request incomplete\n{:?}", show(&wire)));
        assert_eq!(parsed.head_len, head_len, "head length");
        assert_eq!(parsed.head.method(), method, "method");
        assert_eq!(parsed.head.uri(), &uri, "target");
        assert_eq!(parsed.head.version(), version, "version");
        assert_eq!(parsed.head.headers(), &fields, "fields");
        check_body(&wire[body_at..], parsed.body, &msg.body, trailers, &limits);
    } else {
        let Ok(status) = StatusCode::from_u16(msg.status % 1000) else {
            return;
        };
        bodiless = status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        if bodiless && (chunked || msg.body.iter().any(|c| !c.is_empty())) {
            return;
        }
        frame(&mut fields, chunked, &msg.body, bodiless);
        write_response_head(status, version, &fields, &mut wire)
            .expect("a response head made of valid parts is written");
        let head_len = wire.len();
        encode_body(chunked, &msg.body, trailers.as_ref(), bodiless, &mut wire);

        let parsed = parse_response(&wire, &limits)
            .unwrap_or_else(|e| panic!("written response refused: {e}\n{:?}", show(&wire)))
            .unwrap_or_else(|| panic!("written response incomplete\n{:?}", show(&wire)));
        assert_eq!(parsed.head_len, head_len, "head length");
        assert_eq!(parsed.head.status(), status, "status");
        assert_eq!(parsed.head.version(), version, "version");
        assert_eq!(parsed.head.headers(), &fields, "fields");
        let length = response_body_length(&Method::GET, &parsed.head)
            .unwrap_or_else(|e| panic!("written response has no body length: {e}"));
        check_body(&wire[head_len..], length, &msg.body, trailers, &limits);
    }
}

/// The fields `http` accepts, at most `max` of them, without the framing fields (this
/// target sets those itself) and without values the parser would trim.
fn field_map(pairs: &[(Vec<u8>, Vec<u8>)], max: usize) -> Option<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs.iter().take(max) {
        let name = HeaderName::from_bytes(name).ok()?;
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING || name == HOST {
            return None;
        }
        let trimmed = |b: &u8| *b == b' ' || *b == b'\t';
        if value.first().is_some_and(trimmed) || value.last().is_some_and(trimmed) {
            return None;
        }
        map.append(name, HeaderValue::from_bytes(value).ok()?);
    }
    Some(map)
}

/// Adds the framing field the body needs.
fn frame(fields: &mut HeaderMap, chunked: bool, body: &[Vec<u8>], bodiless: bool) {
    if bodiless {
        return;
    }
    if chunked {
        fields.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    } else {
        let len: usize = body.iter().map(Vec::len).sum();
        fields.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
}

fn encode_body(
    chunked: bool,
    body: &[Vec<u8>],
    trailers: Option<&HeaderMap>,
    bodiless: bool,
    wire: &mut Vec<u8>,
) {
    if bodiless {
        return;
    }
    let mut encoder = if chunked {
        Encoder::for_length(TransferEncoding::Chunked)
    } else {
        Encoder::for_length(TransferEncoding::Fixed(
            body.iter().map(|c| c.len() as u64).sum(),
        ))
    };
    for chunk in body {
        encoder.encode(chunk, wire).expect("a body chunk is framed");
    }
    encoder
        .finish(trailers, wire)
        .expect("the end of the body is framed");
}

/// Decodes the body bytes and compares them, the trailers and what is left.
fn check_body(
    wire: &[u8],
    length: BodyLength,
    body: &[Vec<u8>],
    trailers: Option<HeaderMap>,
    limits: &Limits,
) {
    let mut decoder = Decoder::new(length, limits);
    let mut buf = BytesMut::from(wire);
    let mut got = Vec::new();
    for _ in 0..=wire.len() + 1 {
        match decoder.decode(&mut buf) {
            Ok(Decoded::Data(d)) => got.extend_from_slice(&d),
            Ok(Decoded::Done) => {
                assert_eq!(got, body.concat(), "body");
                assert_eq!(decoder.trailers(), trailers, "trailers");
                assert!(buf.is_empty(), "{} bytes left after the body", buf.len());
                return;
            }
            Ok(Decoded::NeedMore) => panic!("written body incomplete\n{:?}", show(wire)),
            Err(e) => panic!("written body refused: {e}\n{:?}", show(wire)),
        }
    }
    panic!("the decoder did not finish a written body");
}

fn show(wire: &[u8]) -> String {
    String::from_utf8_lossy(wire).into_owned()
}
