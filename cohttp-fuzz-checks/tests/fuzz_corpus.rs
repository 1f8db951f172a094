//! Replays the saved fuzz corpora (`fuzz/corpus/<target>/*`) through the same checks
//! the fuzz targets run, as ordinary tests: CI needs no fuzzing engine, and an input
//! that once broke an invariant keeps being checked. The crashes the fuzzers found are
//! also kept below as named regression tests, with their bytes.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use cohttp_fuzz_checks::{Check, TARGETS};

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// Runs `target`'s check over every file of its corpus; fails naming each bad file.
fn replay(target: &str) {
    let check: Check = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, c)| *c)
        .expect("a known target");
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus {} is empty", dir.display());
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("a readable corpus file");
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} inputs of {target} broke an invariant:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}

#[test]
fn corpus_request_head() {
    replay("request_head");
}

#[test]
fn corpus_response_head() {
    replay("response_head");
}

#[test]
fn corpus_chunked() {
    replay("chunked");
}

#[test]
fn corpus_client_connection() {
    replay("client_connection");
}

#[test]
fn corpus_round_trip() {
    replay("round_trip");
}

#[test]
fn corpus_server_connection() {
    replay("server_connection");
}

#[test]
fn every_target_has_a_replay_test() {
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "request_head",
            "response_head",
            "chunked",
            "client_connection",
            "round_trip",
            "server_connection"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Crashes found by the fuzzers, each with its bytes and what was wrong.

/// `client_connection` header: 3 requests (HEAD, HEAD, POST), persistent, seed 0,
/// the peer writing 3-byte pieces.
const PIPELINED_HEAD_HEAD_POST: [u8; 5] = [2, 1, 0b10_01_01, 0, 2];

/// Found by the seeds: after an HTTP/1.0 response without keep-alive, the client went on
/// reading the next response for the next pipelined request, instead of ending the
/// connection (RFC 9112 §9.6) and failing the rest with the retry error.
#[test]
fn client_reads_nothing_after_an_http10_response_without_keep_alive() {
    let mut input = PIPELINED_HEAD_HEAD_POST.to_vec();
    input.extend_from_slice(b"HTTP/1.0 200 OK\r\n\r\n");
    input.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    cohttp_fuzz_checks::client_connection(&input);
}

/// Same, with `Connection: close` among other tokens, in mixed case.
#[test]
fn client_reads_nothing_after_a_connection_close_response() {
    let mut input = PIPELINED_HEAD_HEAD_POST.to_vec();
    input.extend_from_slice(b"HTTP/1.1 200 OK\r\nConnection: Upgrade, cLoSe\r\n\r\n");
    input.extend_from_slice(b"HTTP/1.1 200 OK\r\nConnection: Upgrade, cLoSe\r\n\r\n");
    cohttp_fuzz_checks::client_connection(&input);
}

/// Found by `chunked`: the chunk line `le\n...` was refused as `ChunkSize` when read byte
/// by byte (`l` is no hex digit) but as `BareLineEnd` when read whole (the LF has no CR);
/// the error now names the first offending byte whatever the read boundaries.
#[test]
fn chunk_line_error_is_the_first_offending_byte_whatever_the_split() {
    cohttp_fuzz_checks::chunked(b"\0le\nh\r5lo!\r");
}

/// The same ordering between a bare CR in a trailer line and the trailer size limit
/// (48 bytes under the tight limits): a CR met before the limit is the error.
#[test]
fn trailer_bare_cr_before_the_limit_whatever_the_split() {
    let mut input = b"\x000\r\n\rX".to_vec();
    input.extend_from_slice(&[b'a'; 60]);
    input.extend_from_slice(b"\r\n\r\n");
    cohttp_fuzz_checks::chunked(&input);
    let mut input = b"\x000\r\n".to_vec();
    input.extend_from_slice(&[b'a'; 60]);
    input.extend_from_slice(b"\rX\r\n\r\n");
    cohttp_fuzz_checks::chunked(&input);
}

/// Found by `chunked`: a trailer line longer than the limit, with a bare CR past the
/// limit and an LF without CR: byte by byte the limit is met first, whole the line end
/// was; now the limit, whatever the split.
#[test]
fn trailer_limit_before_a_late_bad_line_end_whatever_the_split() {
    let mut input = b"\x000\r\nNEnl".to_vec();
    input.extend_from_slice(&[0; 50]);
    input.extend_from_slice(b"\rooo\n\r\n");
    cohttp_fuzz_checks::chunked(&input);
}

/// Found by the `server_connection` seeds: a plain `200` with a body answering `CONNECT`
/// went out with `Content-Length`, but a client reads a 2xx to CONNECT as the start of a
/// tunnel (RFC 9110 §9.3.6: no framing fields), so the body bytes were read as the next
/// response. Now the head carries no framing, the body goes raw, and the connection closes.
#[test]
fn server_answers_connect_with_an_unframed_2xx_then_closes() {
    let mut input = vec![0, 0x7F];
    input.extend_from_slice(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    cohttp_fuzz_checks::server_connection(&input);
}

/// Found by `request_head`: a 41-byte request line (the tight limit is 40) ending in a
/// bare CR: byte by byte, the line limit was passed before the byte after the CR came
/// (`RequestLine`); whole, the parser looked past the CR first (`BareLineEnd`). The head
/// scan no longer looks ahead.
#[test]
fn request_line_limit_before_a_bare_cr_whatever_the_split() {
    cohttp_fuzz_checks::request_head(
        b"GET https://exampleo.cm:8443/x?y HTTP/1.1\rle.cost: exple.com:8:443\r\n\r\n",
    );
}

/// Found by `server_connection` (LeakSanitizer): the check's own client kept its write
/// side open with a task pending forever, so the world (tasks ↔ runtime) leaked. The
/// client now closes once the server is done, and no task may remain.
#[test]
fn server_connection_check_leaves_no_task_when_the_client_keeps_its_side_open() {
    cohttp_fuzz_checks::server_connection(b"\0\xffGET / HTTP/1.1\nHost: a\r\n\r\n");
}
