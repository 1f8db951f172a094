//! Micro-benchmarks of the wire format (`cohttp_core::h1`): request head parsing,
//! response head serializing, chunked decoding and chunked encoding.
//!
//! `cargo bench -p cohttp-core` runs them; criterion reports the time per message
//! (one iteration is one message) and the throughput in bytes per second of wire
//! bytes. `cargo bench -p cohttp-core -- parse` runs the ones whose name holds `parse`.
//! These are not the server's figures (`cargo xtask bench` measures those, against
//! hyper); they show where the per-message costs of the sans-I/O layer are.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use bytes::{Bytes, BytesMut};
use cohttp_core::h1::{
    parse_request, take_request, write_response_head, BodyLength, Decoded, Decoder, Encoder, Limits,
};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, DATE, SERVER};
use http::{HeaderMap, HeaderValue, StatusCode, Version};

/// What the bench's load generator sends.
const SMALL_REQUEST: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

/// A browser's request: a longer target and a dozen fields.
const BROWSER_REQUEST: &[u8] =
    b"GET /articles/2026/11/some-article-title?utm_source=feed&page=2 HTTP/1.1\r\n\
Host: www.example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: en-GB,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Referer: https://www.example.com/articles/\r\n\
Connection: keep-alive\r\n\
Cookie: session=4f2a9c0e8b7d6a5f4e3d2c1b0a998877; theme=dark; consent=1\r\n\
Upgrade-Insecure-Requests: 1\r\n\
Sec-Fetch-Dest: document\r\n\
Sec-Fetch-Mode: navigate\r\n\
Sec-Fetch-Site: same-origin\r\n\
Priority: u=0, i\r\n\r\n";

fn parse(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("request head parse");
    for (name, input) in [("small", SMALL_REQUEST), ("browser", BROWSER_REQUEST)] {
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(format!("parse_request/{name}"), |b| {
            b.iter(|| {
                let p = parse_request(black_box(input), &limits);
                assert!(matches!(p, Ok(Some(_))));
                p
            })
        });
        // The server's way: split off a shared buffer, fields into a reused map. The
        // buffer is made outside the timing; the map is kept across iterations.
        let mut spare = HeaderMap::with_capacity(16);
        g.bench_function(format!("take_request/{name}"), |b| {
            b.iter_batched_ref(
                || BytesMut::from(input),
                |buf| {
                    let p = take_request(buf, &limits, &mut spare);
                    match p {
                        Ok(Some(p)) => {
                            // Handed back as a server does with its response's map.
                            let mut h = p.head.into_parts().0.headers;
                            h.clear();
                            spare = h;
                        }
                        _ => panic!("the request must parse"),
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn serialize(c: &mut Criterion) {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from_static("13"));
    headers.insert(SERVER, HeaderValue::from_static("cohttp"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        DATE,
        HeaderValue::from_static("Tue, 24 Nov 2026 23:00:00 GMT"),
    );
    let mut out = Vec::with_capacity(1024);
    write_response_head(StatusCode::OK, Version::HTTP_11, &headers, &mut out).unwrap();
    let len = out.len() as u64;
    let mut g = c.benchmark_group("response head serialize");
    g.throughput(Throughput::Bytes(len));
    g.bench_function("write_response_head/5 fields", |b| {
        b.iter(|| {
            out.clear();
            write_response_head(
                black_box(StatusCode::OK),
                Version::HTTP_11,
                black_box(&headers),
                &mut out,
            )
            .unwrap();
        })
    });
    g.finish();
}

/// A chunked body of `chunks` chunks of `size` bytes, and its payload length.
fn chunked_body(chunks: usize, size: usize) -> (Bytes, u64) {
    let mut wire = Vec::new();
    let mut enc = Encoder::Chunked;
    let data = vec![b'x'; size];
    for _ in 0..chunks {
        enc.encode(&data, &mut wire).unwrap();
    }
    enc.finish(None, &mut wire).unwrap();
    (Bytes::from(wire), (chunks * size) as u64)
}

fn chunked_decode(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("chunked decode");
    for (chunks, size) in [(16, 64), (16, 4096)] {
        let (wire, payload) = chunked_body(chunks, size);
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function(format!("{chunks} x {size} B"), |b| {
            b.iter_batched_ref(
                || BytesMut::from(&wire[..]),
                |buf| {
                    let mut d = Decoder::new(BodyLength::Chunked, &limits);
                    let mut got = 0u64;
                    loop {
                        match d.decode(buf) {
                            Ok(Decoded::Data(b)) => got += b.len() as u64,
                            Ok(Decoded::Done) => break,
                            other => panic!("unexpected {other:?}"),
                        }
                    }
                    assert_eq!(got, payload);
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn chunked_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("chunked encode");
    for (chunks, size) in [(16, 64), (16, 4096)] {
        let data = vec![b'x'; size];
        let (wire, _) = chunked_body(chunks, size);
        let mut out = Vec::with_capacity(wire.len());
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function(format!("{chunks} x {size} B"), |b| {
            b.iter(|| {
                out.clear();
                let mut enc = Encoder::Chunked;
                for _ in 0..chunks {
                    enc.encode(black_box(&data), &mut out).unwrap();
                }
                enc.finish(None, &mut out).unwrap();
                assert_eq!(out.len(), wire.len());
            })
        });
    }
    g.finish();
}

criterion_group!(benches, parse, serialize, chunked_decode, chunked_encode);
criterion_main!(benches);
