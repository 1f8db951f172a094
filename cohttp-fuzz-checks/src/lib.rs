//! # cohttp-fuzz-checks
//!
//! The invariants of cohttp's fuzz targets, written once and run two ways: by the
//! cargo-fuzz targets in `fuzz/` (under libFuzzer, with coverage guidance) and by this
//! crate's `tests/fuzz_corpus.rs`, which replays every saved corpus file as an ordinary
//! `cargo test` on the stable toolchain, with no fuzzing engine.
//!
//! Each check takes the fuzzer's raw bytes and panics (with a message naming the broken
//! invariant) when cohttp misbehaves; a panic is what the engine reports as a crash.
//! What each target feeds and asserts is documented on its function:
//!
//! - [`request_head`], [`response_head`]: `h1::parse_request` / `h1::parse_response`;
//! - [`chunked`]: `h1::Decoder` over a chunked body cut into arbitrary pieces;
//! - [`client_connection`]: a pipelined `client::Connection` on `cohttp-mock` fed
//!   arbitrary response bytes;
//! - [`server_connection`]: one `server::serve_connection` on `cohttp-mock` fed
//!   arbitrary request bytes in arbitrary pieces;
//! - [`round_trip`]: arbitrary request and response heads with bodies, written by
//!   `h1::write_*_head` + `Encoder` and read back by the parser + `Decoder`.
//!
//! This crate is test support, not part of the library: it is never published, and it
//! asserts rather than returns errors.
//!
//! Why a crate of its own rather than a `testkit` module of `cohttp-core`: the
//! connection targets run on `cohttp-mock`, which depends on `cohttp-core`, so they
//! cannot live inside it; and the `arbitrary` dependency stays out of the library.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod chunked;
mod client_connection;
mod heads;
mod round_trip;
mod server_connection;

pub use chunked::chunked;
pub use client_connection::client_connection;
pub use heads::{request_head, response_head};
pub use round_trip::round_trip;
pub use server_connection::server_connection;

/// A fuzz target's check: panics when an invariant breaks.
pub type Check = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and of its corpus
/// directory `fuzz/corpus/<name>/`.
pub const TARGETS: &[(&str, Check)] = &[
    ("request_head", request_head),
    ("response_head", response_head),
    ("chunked", chunked),
    ("client_connection", client_connection),
    ("round_trip", round_trip),
    ("server_connection", server_connection),
];

/// The limits every target runs under besides the defaults: small enough that fuzz
/// inputs reach each limit's code path.
pub fn tight_limits() -> cohttp_core::h1::Limits {
    cohttp_core::h1::Limits {
        max_start_line: 40,
        max_headers: 4,
        max_head_bytes: 160,
        max_chunk_ext: 12,
        max_trailer_bytes: 48,
    }
}
