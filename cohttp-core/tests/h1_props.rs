//! Property tests of the `h1` wire format (proptest):
//!
//! - random bodies, cut into chunks at random boundaries, with random trailers, go
//!   through the chunked `Encoder` and back through the `Decoder` fed in random pieces,
//!   and come out exactly (data, trailers, and the bytes that follow the body);
//! - hand-framed chunked bodies with random extensions, size case and leading zeros
//!   decode to the same data;
//! - a valid pipelined stream of several random requests (fixed, chunked and empty
//!   bodies), written with `write_request_head` and the `Encoder`, read back from random
//!   splits of the stream, gives the same sequence of requests and bodies as was written
//!   and as the whole buffer gives.

mod wire;

use cohttp_core::body::TransferEncoding;
use cohttp_core::h1::{write_request_head, Encoder, Limits};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};
use proptest::prelude::*;
use wire::*;

fn pieces() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..64, 0..64)
}

fn trailers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("x-[a-z]{1,8}", "[!-~]([ -~]{0,14}[!-~])?"), 0..4)
}

fn header_map(fields: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in fields {
        map.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

fn sorted(mut f: Fields) -> Fields {
    f.sort();
    f
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn chunked_round_trip_at_random_boundaries(
        body in prop::collection::vec(any::<u8>(), 0..2048),
        cuts in prop::collection::vec(0usize..2048, 0..16),
        trailer_fields in trailers(),
        feed in pieces(),
        after in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        // Cut the body into chunks (empty ones included: the encoder skips them).
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut wire = Vec::new();
        let mut enc = Encoder::for_length(TransferEncoding::Chunked);
        let mut start = 0;
        for &c in cuts.iter().chain(std::iter::once(&body.len())) {
            enc.encode(&body[start..c], &mut wire).unwrap();
            start = c;
        }
        let map = header_map(&trailer_fields);
        enc.finish(if map.is_empty() { None } else { Some(&map) }, &mut wire).unwrap();
        let body_len = wire.len();
        wire.extend_from_slice(&after);

        let out = decode_in_pieces(Len::Chunked, &wire, &feed, &Limits::default(), false).unwrap();
        prop_assert_eq!(&out.data, &body);
        prop_assert!(out.done);
        prop_assert_eq!(&out.rest, &after);
        let want: Fields = trailer_fields
            .iter()
            .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
            .collect();
        prop_assert_eq!(sorted(out.trailers.clone()), sorted(want));

        // Byte by byte gives the same.
        let bytewise = decode_in_pieces(
            Len::Chunked, &wire, &vec![1; wire.len()], &Limits::default(), false,
        ).unwrap();
        prop_assert_eq!(bytewise, out);
        prop_assert!(body_len <= wire.len());
    }

    #[test]
    fn fixed_round_trip_at_random_boundaries(
        body in prop::collection::vec(any::<u8>(), 0..2048),
        cuts in prop::collection::vec(0usize..2048, 0..16),
        feed in pieces(),
        after in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut wire = Vec::new();
        let mut enc = Encoder::for_length(TransferEncoding::Fixed(body.len() as u64));
        let mut start = 0;
        for &c in cuts.iter().chain(std::iter::once(&body.len())) {
            enc.encode(&body[start..c], &mut wire).unwrap();
            start = c;
        }
        enc.finish(None, &mut wire).unwrap();
        prop_assert_eq!(&wire, &body);
        wire.extend_from_slice(&after);
        let out = decode_in_pieces(
            Len::Fixed(body.len() as u64), &wire, &feed, &Limits::default(), false,
        ).unwrap();
        prop_assert_eq!(&out.data, &body);
        prop_assert_eq!(&out.rest, &after);
        prop_assert!(out.done);
    }

    #[test]
    fn hand_framed_chunks_with_extensions_decode_exactly(
        chunks in prop::collection::vec(
            (
                prop::collection::vec(any::<u8>(), 1..200),
                0usize..3,          // leading zeros
                any::<bool>(),      // upper-case hex
                prop::collection::vec(("[a-z!#$%&'*+.^_`|~0-9-]{1,6}", prop::option::of("[a-z0-9]{1,5}|\"([ a-z;=]|\\\\[\"\\\\a-z]){0,6}\"")), 0..3),
            ),
            0..8,
        ),
        feed in pieces(),
    ) {
        let mut wire = Vec::new();
        let mut body = Vec::new();
        for (data, zeros, upper, exts) in &chunks {
            let size = if *upper { format!("{:X}", data.len()) } else { format!("{:x}", data.len()) };
            wire.extend_from_slice("0".repeat(*zeros).as_bytes());
            wire.extend_from_slice(size.as_bytes());
            for (name, value) in exts {
                wire.push(b';');
                wire.extend_from_slice(name.as_bytes());
                if let Some(v) = value {
                    wire.push(b'=');
                    wire.extend_from_slice(v.as_bytes());
                }
            }
            wire.extend_from_slice(b"\r\n");
            wire.extend_from_slice(data);
            wire.extend_from_slice(b"\r\n");
            body.extend_from_slice(data);
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        let out = decode_in_pieces(Len::Chunked, &wire, &feed, &Limits::default(), false).unwrap();
        prop_assert_eq!(&out.data, &body);
        prop_assert!(out.done);
        prop_assert!(out.rest.is_empty());
    }
}

/// One request of a generated stream.
#[derive(Debug, Clone)]
struct Spec {
    method: Method,
    path: String,
    fields: Vec<(String, String)>,
    body: Vec<u8>,
    framing: Framing,
    /// Size of each write of the body (so chunked bodies have several chunks).
    part: usize,
    close: bool,
}

#[derive(Debug, Clone, Copy)]
enum Framing {
    None,
    Fixed,
    Chunked,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::sample::select(vec![
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ]),
        "(/[a-zA-Z0-9._~%-]{0,8}){1,3}(\\?[a-z0-9=&]{0,10})?",
        prop::collection::vec(("x-[a-z]{1,10}", "[!-~]([ -~]{0,20}[!-~])?"), 0..5),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::sample::select(vec![Framing::None, Framing::Fixed, Framing::Chunked]),
        1usize..100,
    )
        .prop_map(|(method, path, fields, body, framing, part)| {
            let body = match framing {
                Framing::None => Vec::new(),
                _ => body,
            };
            Spec {
                method,
                path,
                fields,
                body,
                framing,
                part,
                close: false,
            }
        })
}

fn write_stream(specs: &[Spec]) -> Vec<u8> {
    let mut wire = Vec::new();
    for s in specs {
        let mut headers = header_map(&s.fields);
        headers.insert("host", HeaderValue::from_static("example.test"));
        if s.close {
            headers.insert("connection", HeaderValue::from_static("close"));
        }
        let framing = match s.framing {
            Framing::None => None,
            Framing::Fixed => {
                headers.insert("content-length", HeaderValue::from(s.body.len()));
                Some(TransferEncoding::Fixed(s.body.len() as u64))
            }
            Framing::Chunked => {
                headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
                Some(TransferEncoding::Chunked)
            }
        };
        write_request_head(&s.method, &s.path, Version::HTTP_11, &headers, &mut wire).unwrap();
        if let Some(te) = framing {
            let mut enc = Encoder::for_length(te);
            for part in s.body.chunks(s.part) {
                enc.encode(part, &mut wire).unwrap();
            }
            enc.finish(None, &mut wire).unwrap();
        }
    }
    wire
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn pipelined_requests_read_the_same_at_any_split(
        mut specs in prop::collection::vec(spec(), 1..6),
        feed in pieces(),
    ) {
        if let Some(last) = specs.last_mut() {
            last.close = true;
        }
        let wire = write_stream(&specs);
        let limits = Limits::default();
        let (whole, whole_end) = requests_in_pieces(&wire, &[wire.len()], &limits);
        prop_assert_eq!(&whole_end, &End::Clean);
        prop_assert_eq!(whole.len(), specs.len());
        for (m, s) in whole.iter().zip(&specs) {
            prop_assert_eq!(m.head.method.as_str(), s.method.as_str());
            prop_assert_eq!(&m.head.uri, &s.path);
            prop_assert_eq!(&m.body, &s.body);
            prop_assert_eq!(m.head.keep_alive, !s.close);
            for (n, v) in &s.fields {
                prop_assert!(m.head.values(n).contains(&v.as_bytes()), "{} missing", n);
            }
        }
        let (split, split_end) = requests_in_pieces(&wire, &feed, &limits);
        prop_assert_eq!(&split, &whole);
        prop_assert_eq!(&split_end, &whole_end);
        let (bytewise, bytewise_end) = requests_in_pieces(&wire, &vec![1; wire.len()], &limits);
        prop_assert_eq!(&bytewise, &whole);
        prop_assert_eq!(&bytewise_end, &whole_end);
    }
}
