//! The `chunked` target: `h1::Decoder` over a chunked body cut into arbitrary pieces.
//!
//! Input layout: byte 0 is `h`; the next `h % 8` bytes are a cut pattern (piece sizes
//! `b + 1`, cycled); the rest is the bytes on the wire from the start of the chunked body.
//!
//! Invariants, under the default limits and under [`tight_limits`](crate::tight_limits):
//!
//! - no panic, and no decoder loop (every call consumes, yields or asks for more);
//! - `Decoded::Data` is never empty, and the decoded bytes are no more than the input;
//! - split independence: the whole buffer at once, one byte at a time and the cut pattern
//!   give the same data, the same end (done, or the same error kind, at end of input
//!   included), the same trailers and the same bytes left after the body.

use bytes::BytesMut;
use cohttp_core::h1::{BodyLength, Decoded, Decoder, Limits};
use cohttp_core::ErrorKind;
use http::HeaderMap;

/// How decoding one body ended, in a comparable form.
#[derive(Debug, PartialEq)]
enum End {
    /// `Decoded::Done`, with the trailers and the bytes left after the body.
    Done {
        trailers: Option<HeaderMap>,
        left: Vec<u8>,
    },
    /// An error, from `decode` or from `decode_eof` at the end of the input.
    Failed(ErrorKind),
}

#[derive(Debug, PartialEq)]
struct Decoding {
    data: Vec<u8>,
    end: End,
}

/// Fuzz target `chunked`: see the module docs.
pub fn chunked(input: &[u8]) {
    let Some((&h, rest)) = input.split_first() else {
        return;
    };
    let n = (h % 8) as usize;
    let (pattern, wire) = rest.split_at(n.min(rest.len()));
    let pattern: Vec<usize> = pattern.iter().map(|&b| b as usize + 1).collect();

    for limits in [Limits::default(), crate::tight_limits()] {
        let whole = decode_in_pieces(wire, &[wire.len().max(1)], &limits);
        assert!(
            whole.data.len() <= wire.len(),
            "decoded {} bytes out of {}",
            whole.data.len(),
            wire.len()
        );
        let bytewise = decode_in_pieces(wire, &[1], &limits);
        assert_eq!(bytewise, whole, "byte-by-byte decoding differs from whole");
        if !pattern.is_empty() {
            let cut = decode_in_pieces(wire, &pattern, &limits);
            assert_eq!(cut, whole, "decoding cut as {pattern:?} differs from whole");
        }
    }
}

/// Decodes `wire` as a chunked body, handing it to the decoder in pieces of the sizes
/// `cuts` gives (cycled), and the end of input as the peer closing.
fn decode_in_pieces(wire: &[u8], cuts: &[usize], limits: &Limits) -> Decoding {
    let mut decoder = Decoder::new(BodyLength::Chunked, limits);
    let mut buf = BytesMut::new();
    let mut fed = 0;
    let mut cut = cuts.iter().cycle();
    let mut data = Vec::new();
    // Each round yields data, feeds at least one byte or ends: bounded by the input.
    let budget = 2 * wire.len() + 8;
    for _ in 0..budget {
        match decoder.decode(&mut buf) {
            Ok(Decoded::Data(d)) => {
                assert!(!d.is_empty(), "Decoded::Data with no bytes");
                data.extend_from_slice(&d);
            }
            Ok(Decoded::Done) => {
                assert!(decoder.is_done(), "Done, but is_done() is false");
                let mut left = buf.to_vec();
                left.extend_from_slice(&wire[fed..]);
                let trailers = decoder.trailers();
                return Decoding {
                    data,
                    end: End::Done { trailers, left },
                };
            }
            Ok(Decoded::NeedMore) => {
                if fed == wire.len() {
                    let end = match decoder.decode_eof() {
                        Ok(()) => panic!("end of input accepted as the end of a chunked body"),
                        Err(e) => End::Failed(e.kind().clone()),
                    };
                    return Decoding { data, end };
                }
                let take = (*cut.next().unwrap_or(&1)).min(wire.len() - fed);
                buf.extend_from_slice(&wire[fed..fed + take]);
                fed += take;
            }
            Err(e) => {
                return Decoding {
                    data,
                    end: End::Failed(e.kind().clone()),
                }
            }
        }
    }
    panic!("the decoder neither ended nor consumed its input in {budget} calls");
}
