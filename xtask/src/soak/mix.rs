//! What the soak sends and what it must get back: the categories of the mixed load, a small
//! seeded random generator, the requests of each category built as raw bytes (valid ones, cut
//! ones, malformed ones) and the expectation each valid one must meet, byte for byte.
//!
//! Pure data: no socket here (the connections are in `load.rs`). The routes are the demo
//! service's (`cohttp-core/src/testkit/demo.rs`): `/plaintext`, `/json`, `/bytes/N`, `/stream/N`,
//! and an echo of `METHOD TARGET VERSION\nBODY:` plus the request body for any other target
//! (read whole before answering when under 64 KiB, streamed back otherwise).

use bytes::Bytes;

use crate::bench::validate::{Expect, Framing};

/// A category of the load; each request sent is counted under exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Sequential requests on a keep-alive connection (GETs of every route, POSTs with a
    /// `Content-Length` body); also the valid requests before an abort or a malformed one.
    KeepAlive,
    /// Batches of 16 requests written at once, answered in order.
    Pipelined,
    /// POSTs with a chunked body, echoed.
    ChunkedUpload,
    /// POSTs with `Expect: 100-continue`: the body goes only after `100 Continue`.
    ExpectContinue,
    /// Part of a head, or a head and part of its body, then a close or a reset.
    AbortedRequest,
    /// Part of a large response read, then a close or a reset.
    AbortedResponse,
    /// A request the server must refuse with its 4xx/5xx and a close.
    Malformed,
}

impl Kind {
    /// Every category, in report order.
    pub const ALL: [Kind; 7] = [
        Kind::KeepAlive,
        Kind::Pipelined,
        Kind::ChunkedUpload,
        Kind::ExpectContinue,
        Kind::AbortedRequest,
        Kind::AbortedResponse,
        Kind::Malformed,
    ];

    /// Index into per-category arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Kind::KeepAlive => "keep-alive",
            Kind::Pipelined => "pipelined-16",
            Kind::ChunkedUpload => "chunked-upload",
            Kind::ExpectContinue => "expect-100-continue",
            Kind::AbortedRequest => "aborted-mid-request",
            Kind::AbortedResponse => "aborted-mid-response",
            Kind::Malformed => "malformed",
        }
    }

    /// Relative weight of a connection of this category. Per request, keep-alive and
    /// pipelined connections carry the bulk; the one-request connections (aborts, malformed)
    /// are each about 2-3% of requests.
    fn weight(self) -> u64 {
        match self {
            Kind::KeepAlive => 10,
            Kind::Pipelined => 9,
            Kind::ChunkedUpload => 18,
            Kind::ExpectContinue => 16,
            Kind::AbortedRequest | Kind::AbortedResponse | Kind::Malformed => 20,
        }
    }
}

/// Requests in one pipelined batch.
pub const DEPTH: usize = 16;

/// A seeded xorshift64* generator: enough for picking routes and sizes, reproducible per seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value; mixed so that nearby seeds differ).
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed: never zero in practice, and zero is mapped away.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)).max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }

    /// A body size: mostly small, sometimes tens of KiB, rarely up to 128 KiB (past the
    /// echo's read-ahead, so that it streams).
    pub fn body_size(&mut self) -> usize {
        let n = match self.next_u64() % 100 {
            0..=79 => self.range(0, 1024),
            80..=97 => self.range(1025, 16 * 1024),
            _ => self.range(16 * 1024, 128 * 1024),
        };
        n as usize
    }

    /// A category, by the weights of [`Kind::weight`].
    pub fn kind(&mut self) -> Kind {
        let total: u64 = Kind::ALL.iter().map(|k| k.weight()).sum();
        let mut pick = self.next_u64() % total;
        for k in Kind::ALL {
            if pick < k.weight() {
                return k;
            }
            pick -= k.weight();
        }
        Kind::KeepAlive
    }
}

/// A valid request and what it must get.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The whole request (head and body).
    pub bytes: Vec<u8>,
    /// The answer it must get.
    pub expect: Expect,
}

/// How much of a body the demo's echo reads before answering: a body shorter than this is
/// answered whole (`Content-Length`), a longer one streams back in the request's framing.
const ECHO_READ_AHEAD: usize = 64 * 1024;

/// The framing of the echo of a chunked body of `len` bytes.
fn echo_of_chunked(len: usize) -> Framing {
    if len < ECHO_READ_AHEAD {
        Framing::Length
    } else {
        Framing::Chunked
    }
}

/// The echo's body for a request: `METHOD TARGET HTTP/1.1\nBODY:` and the request body.
fn echoed(method: &str, target: &str, body: &[u8]) -> Bytes {
    let mut out = format!("{method} {target} HTTP/1.1\nBODY:").into_bytes();
    out.extend_from_slice(body);
    out.into()
}

/// A random valid request on a kept connection: one of the demo's routes, or a POST echoed.
/// `small` keeps bodies under 4 KiB (for pipelined batches).
pub fn simple(rng: &mut Rng, host: &str, small: bool) -> Exchange {
    let get = |target: &str| format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes();
    let size = |rng: &mut Rng| {
        if small {
            rng.range(0, 4096) as usize
        } else {
            rng.body_size()
        }
    };
    match rng.next_u64() % 7 {
        0 => Exchange {
            bytes: get("/plaintext"),
            expect: Expect::exact(&b"Hello, World!"[..], Framing::Length),
        },
        1 => Exchange {
            bytes: get("/json"),
            expect: Expect::exact(&br#"{"message":"Hello, World!"}"#[..], Framing::Length),
        },
        2 => {
            let n = size(rng);
            Exchange {
                bytes: get(&format!("/bytes/{n}")),
                expect: Expect::repeated(b'x', n as u64, Framing::Length),
            }
        }
        3 => {
            let n = size(rng);
            Exchange {
                bytes: get(&format!("/stream/{n}")),
                expect: Expect::repeated(b'x', n as u64, Framing::Chunked),
            }
        }
        4 => {
            let target = format!("/echo/{}?q={}", rng.range(0, 999), rng.next_u64());
            Exchange {
                bytes: get(&target),
                expect: Expect::exact(echoed("GET", &target, b""), Framing::Length),
            }
        }
        _ => {
            let n = size(rng);
            let body = rng.bytes(n);
            let mut bytes = format!(
                "POST /echo HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            bytes.extend_from_slice(&body);
            Exchange {
                bytes,
                expect: Expect::exact(echoed("POST", "/echo", &body), Framing::Length),
            }
        }
    }
}

/// `body` in the chunked coding: random chunk sizes (1 to 8 KiB), sometimes with a chunk
/// extension, and sometimes a trailer field.
pub fn chunked(rng: &mut Rng, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut rest = body;
    while !rest.is_empty() {
        let n = (rng.range(1, 8192) as usize).min(rest.len());
        let ext = if rng.chance(10) { ";soak=1" } else { "" };
        out.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    out.extend_from_slice(b"0\r\n");
    if rng.chance(10) {
        out.extend_from_slice(b"X-Soak-Trailer: 1\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A chunked upload to the echo: the head and the coded body, and the echo it must get
/// (chunked too when the body is too long for the echo to read it whole first).
pub fn chunked_upload(rng: &mut Rng, host: &str) -> Exchange {
    let target = format!("/upload/{}", rng.range(0, 999));
    let n = rng.body_size();
    let body = rng.bytes(n);
    let mut bytes =
        format!("POST {target} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n")
            .into_bytes();
    bytes.extend_from_slice(&chunked(rng, &body));
    Exchange {
        bytes,
        expect: Expect::exact(echoed("POST", &target, &body), echo_of_chunked(body.len())),
    }
}

/// The interim response a server sends to ask for a body.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// A POST with `Expect: 100-continue` to the echo: its head, then (after `100 Continue`) its
/// body, `Content-Length` or chunked; never empty (an empty body is never asked for).
pub fn expect_continue(rng: &mut Rng, host: &str) -> (Vec<u8>, Exchange) {
    let target = format!("/continue/{}", rng.range(0, 999));
    let n = rng.body_size().max(1);
    let body = rng.bytes(n);
    let (framing, coded, expect) = if rng.chance(50) {
        (
            format!("Content-Length: {}", body.len()),
            body.clone(),
            Framing::Length,
        )
    } else {
        (
            "Transfer-Encoding: chunked".to_string(),
            chunked(rng, &body),
            echo_of_chunked(body.len()),
        )
    };
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: {host}\r\nExpect: 100-continue\r\n{framing}\r\n\r\n"
    )
    .into_bytes();
    let exchange = Exchange {
        bytes: coded,
        expect: Expect::exact(echoed("POST", &target, &body), expect),
    };
    (head, exchange)
}

/// A request cut short: what is sent before the close or reset.
pub fn cut_request(rng: &mut Rng, host: &str) -> Vec<u8> {
    match rng.next_u64() % 3 {
        // Part of a head.
        0 => {
            let head = simple(rng, host, true).bytes;
            let end = head
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(head.len(), |p| p + 3);
            let cut = rng.range(1, end as u64) as usize;
            head[..cut].to_vec()
        }
        // A head and part of a `Content-Length` body.
        1 => {
            let len = rng.range(1, 256 * 1024) as usize;
            let mut out =
                format!("POST /echo HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len}\r\n\r\n")
                    .into_bytes();
            let sent = rng.range(0, len as u64 - 1) as usize;
            out.extend_from_slice(&rng.bytes(sent));
            out
        }
        // A head and part of a chunked body (cut anywhere in the coding).
        _ => {
            let mut out = format!(
                "POST /echo HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            .into_bytes();
            let n = rng.range(1, 64 * 1024) as usize;
            let body = rng.bytes(n);
            let coded = chunked(rng, &body);
            // Short of the final CRLF, so never a complete body.
            let cut = rng.range(0, coded.len() as u64 - 1) as usize;
            out.extend_from_slice(&coded[..cut]);
            out
        }
    }
}

/// A large response to read in part: the request, what it must be, and how many bytes of it
/// (head and body) to read before leaving.
pub fn cut_response(rng: &mut Rng, host: &str) -> (Exchange, usize) {
    let n = rng.range(256 * 1024, 4 * 1024 * 1024);
    let (route, framing) = if rng.chance(70) {
        ("bytes", Framing::Length)
    } else {
        ("stream", Framing::Chunked)
    };
    let bytes = format!("GET /{route}/{n} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes();
    let read = rng.range(1, n / 2) as usize;
    (
        Exchange {
            bytes,
            expect: Expect::repeated(b'x', n, framing),
        },
        read,
    )
}

/// A malformed request and the refusal it must get (status and reason phrase, which is also
/// the body), drawn from a fixed table of framing, syntax and limit violations.
pub fn malformed(rng: &mut Rng, host: &str) -> Exchange {
    const BAD: u16 = 400;
    let h = host;
    let table: [(Vec<u8>, u16); 17] = [
        (b"GARBAGE\r\n\r\n".to_vec(), BAD),
        (format!("GET / HTTP/2.0\r\nHost: {h}\r\n\r\n").into(), 505),
        (format!("GET / HTTP/1.1\r\nHost : {h}\r\n\r\n").into(), BAD),
        (
            format!("POST / HTTP/1.1\r\nHost: {h}\r\nContent-Length: abc\r\n\r\n").into(),
            BAD,
        ),
        (
            format!(
                "POST / HTTP/1.1\r\nHost: {h}\r\nContent-Length: 3\r\n\
                 Transfer-Encoding: chunked\r\n\r\n"
            )
            .into(),
            BAD,
        ),
        (
            format!("POST / HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: gzip\r\n\r\n").into(),
            BAD,
        ),
        (
            format!("GET /{} HTTP/1.1\r\nHost: {h}\r\n\r\n", "a".repeat(9000)).into(),
            414,
        ),
        (
            format!(
                "GET / HTTP/1.1\r\nHost: {h}\r\n{}\r\n",
                "X-A: b\r\n".repeat(200)
            )
            .into(),
            431,
        ),
        (
            format!("GET / HTTP/1.1\r\nHost: {h}\r\nX: a\0b\r\n\r\n").into(),
            BAD,
        ),
        (
            format!("POST / HTTP/1.1\r\nHost: {h}\r\nContent-Length: 1, 2\r\n\r\n").into(),
            BAD,
        ),
        (b"GET / HTTP/1.1\r\n\r\n".to_vec(), BAD),
        (
            format!("GET / HTTP/1.1\r\nHost: {h}\r\nHost: other\r\n\r\n").into(),
            BAD,
        ),
        (
            format!("GET / HTTP/1.1\r\nHost: {h}\r\nX-A: b\r\n folded\r\n\r\n").into(),
            BAD,
        ),
        (
            format!("GET /\x7f HTTP/1.1\r\nHost: {h}\r\n\r\n").into(),
            BAD,
        ),
        (
            format!(
                "GET / HTTP/1.1\r\nHost: {h}\r\nX: {}\r\n\r\n",
                "a".repeat(70_000)
            )
            .into(),
            431,
        ),
        (format!("GET / HTTP/1.1\nHost: {h}\n\n").into(), BAD),
        (
            format!("GET http://[::1 HTTP/1.1\r\nHost: {h}\r\n\r\n").into(),
            BAD,
        ),
    ];
    let pick = (rng.next_u64() % table.len() as u64) as usize;
    let (bytes, status) = table[pick].clone();
    let reason = match status {
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Bad Request",
    };
    Exchange {
        bytes,
        expect: Expect::refused(status, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::validate::ResponseStream;

    #[test]
    fn same_seed_gives_the_same_requests() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(
                simple(&mut a, "h", false).bytes,
                simple(&mut b, "h", false).bytes
            );
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn every_category_is_drawn() {
        let mut rng = Rng::new(1);
        let mut seen = [0u32; 7];
        for _ in 0..10_000 {
            seen[rng.kind().index()] += 1;
        }
        assert!(seen.iter().all(|&n| n > 300), "{seen:?}");
    }

    #[test]
    fn chunked_coding_decodes_to_the_body() {
        let mut rng = Rng::new(3);
        for n in [0usize, 1, 8191, 8192, 8193, 50_000] {
            let body = rng.bytes(n);
            let coded = chunked(&mut rng, &body);
            // Decode with the response checker: a chunked response with this coding.
            let mut resp = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
            resp.extend_from_slice(&coded);
            let mut s = ResponseStream::new(Expect::exact(body, Framing::Chunked));
            assert_eq!(s.feed(&resp).map(|p| p.completed), Ok(1), "n = {n}");
        }
    }

    #[test]
    fn simple_requests_are_well_formed_heads() {
        let mut rng = Rng::new(5);
        for _ in 0..500 {
            let ex = simple(&mut rng, "127.0.0.1:1", false);
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut req = httparse::Request::new(&mut headers);
            let Ok(httparse::Status::Complete(len)) = req.parse(&ex.bytes) else {
                panic!(
                    "not a complete head: {:?}",
                    String::from_utf8_lossy(&ex.bytes)
                );
            };
            let body = ex.bytes.len() - len;
            let declared = req
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map_or(0, |h| {
                    std::str::from_utf8(h.value).unwrap().parse().unwrap()
                });
            assert_eq!(body, declared);
        }
    }

    #[test]
    fn cut_requests_are_never_complete() {
        let mut rng = Rng::new(9);
        for _ in 0..500 {
            let cut = cut_request(&mut rng, "h");
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&cut) {
                Ok(httparse::Status::Partial) => {}
                Ok(httparse::Status::Complete(len)) => assert!(
                    len < cut.len() || {
                        // A complete head: its body must be cut short.
                        req.headers.iter().any(|h| {
                            h.name.eq_ignore_ascii_case("content-length")
                                || h.name.eq_ignore_ascii_case("transfer-encoding")
                        })
                    }
                ),
                Err(e) => panic!("a cut request must be a valid prefix: {e}"),
            }
        }
    }

    #[test]
    fn malformed_requests_expect_a_refusal_and_a_close() {
        let mut rng = Rng::new(11);
        for _ in 0..200 {
            let ex = malformed(&mut rng, "h");
            assert!(ex.expect.close);
            assert!(matches!(ex.expect.status, 400 | 414 | 431 | 505));
        }
    }
}
