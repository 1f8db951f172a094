//! `framing_*`: how the client's reader delimits a response body from the framing it read
//! with the head, and that a head whose framing is invalid fails the call with the very
//! error the parser gives for it (`h1::parse_response`, `h1::response_body_length`).

mod common;

use cohttp_core::h1::{parse_response, response_body_length, Limits};
use cohttp_core::{Body, Error, ErrorKind, Malformed};
use cohttp_mock::Sim;
use common::{handler, start_server, Options, Reply, Req};
use http::{Method, Request};

fn req(method: Method, path: &str) -> Request<Body> {
    let mut r = Request::new(Body::empty());
    *r.method_mut() = method;
    *r.uri_mut() = path.parse().unwrap();
    r
}

/// Serves `raw` to every request, on one connection per call; returns what the call gave
/// (the body as text when it had one).
fn call_with(seed: u64, method: Method, raw: &'static [u8]) -> Result<String, Error> {
    let sim = Sim::new(seed);
    let rt = sim.runtime();
    sim.block_on(async {
        start_server(
            &rt,
            "app",
            handler(move |_: &Req| Reply::RawThenClose(raw.to_vec())),
            Options::default(),
        )
        .await;
        let conn = common::persistent_app_connection(&rt);
        let res = conn.call(req(method, "/")).await?;
        res.into_body().to_string().await
    })
}

/// The error the parser gives for `raw` answering `method`.
fn parser_error(method: &Method, raw: &[u8]) -> Error {
    match parse_response(raw, &Limits::default()) {
        Err(e) => e,
        Ok(p) => response_body_length(method, &p.unwrap().head).unwrap_err(),
    }
}

fn assert_same_error(got: Result<String, Error>, method: Method, raw: &[u8]) {
    let want = parser_error(&method, raw);
    let got = got.unwrap_err();
    assert_eq!(got.kind(), want.kind(), "{got}");
    assert!(
        got.to_string().contains(&want.to_string()),
        "{got} / {want}"
    );
}

#[test]
fn framing_differing_content_lengths_fail_the_call_with_the_parser_error() {
    let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
    for (seed, method) in [(80, Method::GET), (81, Method::HEAD)] {
        let got = call_with(seed, method.clone(), raw);
        assert_same_error(got, method, raw);
    }
    assert_eq!(
        parser_error(&Method::GET, raw).kind(),
        &ErrorKind::Malformed(Malformed::ContentLength)
    );
}

#[test]
fn framing_content_length_with_transfer_encoding_fails_the_call() {
    let raw =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\ncontent-length: 2\r\n\r\n0\r\n\r\n";
    assert_same_error(call_with(82, Method::GET, raw), Method::GET, raw);
    assert_eq!(
        parser_error(&Method::GET, raw).kind(),
        &ErrorKind::Malformed(Malformed::ContentLengthWithTransferEncoding)
    );
}

#[test]
fn framing_chunked_twice_fails_a_get_but_not_a_head() {
    let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n";
    assert_same_error(call_with(83, Method::GET, raw), Method::GET, raw);
    assert_eq!(
        parser_error(&Method::GET, raw).kind(),
        &ErrorKind::Malformed(Malformed::TransferEncoding)
    );
    // A response to HEAD has no body, whatever its framing fields say.
    assert_eq!(call_with(84, Method::HEAD, raw).unwrap(), "");
}

#[test]
fn framing_field_names_match_in_any_case_and_only_exactly() {
    let raw = b"HTTP/1.1 200 OK\r\ncONTENT-lENGTH: 2\r\n\r\nhi, and more";
    assert_eq!(call_with(85, Method::GET, raw).unwrap(), "hi");
    // Not Content-Length: the body runs to the close.
    let raw = b"HTTP/1.1 200 OK\r\nContent_Length: 2\r\n\r\nhi, and more";
    assert_eq!(call_with(86, Method::GET, raw).unwrap(), "hi, and more");
    let raw = b"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    assert_eq!(call_with(87, Method::GET, raw).unwrap(), "hi");
}

#[test]
fn framing_http10_with_transfer_encoding_is_read_to_the_close() {
    let raw = b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    assert_eq!(
        call_with(88, Method::GET, raw).unwrap(),
        "2\r\nhi\r\n0\r\n\r\n"
    );
}
