//! Response vectors for the `h1` parser: status lines, header rules, persistence and the
//! message body length of RFC 9112 §6.3 for each kind of response (HEAD, 1xx, 204, 304,
//! 2xx to CONNECT, chunked, close-delimited), each with its exact outcome and each also
//! run byte by byte (see `wire`).

mod wire;

use cohttp_core::h1::write_response_head;
use cohttp_core::{Limit, Malformed::*};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version};
use wire::*;

macro_rules! rejects {
    ($($(#[$m:meta])* $name:ident: $input:expr => $kind:expr, $status:literal;)*) => {$(
        $(#[$m])*
        #[test]
        fn $name() {
            response_fails($input, $kind, $status);
        }
    )*};
}

fn length(method: Method, input: &[u8]) -> Len {
    response_length(method, input).expect("a body length")
}

// ---------------------------------------------------------------------------------------
// §4 status line: HTTP-version SP 3DIGIT SP [ reason-phrase ].

#[test]
fn response_status_line_and_fields_are_parsed() {
    let r = response_ok(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX: a\r\n\r\n");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.version, Version::HTTP_11);
    assert_eq!(r.values("x"), [b"a"]);
    assert_eq!(r.head_len, 51);
}

#[test]
fn response_empty_reason_after_space_is_accepted() {
    let r = response_ok(b"HTTP/1.1 200 \r\n\r\n");
    assert_eq!(r.status, StatusCode::OK);
}

#[test]
fn response_missing_reason_phrase_is_accepted() {
    // RFC 9112 §4 asks for `SP [ reason-phrase ]`, so `HTTP/1.1 200` without the SP is
    // strictly invalid; but the reason phrase carries nothing a client may act on (a client
    // SHOULD ignore it), it cannot affect framing, and servers do send this. Like h11 and
    // httparse we accept it, as an empty reason.
    let r = response_ok(b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(r.status, StatusCode::OK);
}

#[test]
fn response_reason_with_obs_text_is_accepted() {
    let r = response_ok(b"HTTP/1.1 200 Tr\xe8s bien\r\n\r\n");
    assert_eq!(r.status, StatusCode::OK);
}

#[test]
fn response_unregistered_status_code_is_accepted() {
    let r = response_ok(b"HTTP/1.1 599 Custom\r\n\r\n");
    assert_eq!(r.status.as_u16(), 599);
}

rejects! {
    response_rejects_two_digit_status:
        b"HTTP/1.1 20 OK\r\n\r\n" => malformed(Status), 400;
    response_rejects_four_digit_status:
        b"HTTP/1.1 2000 OK\r\n\r\n" => malformed(Status), 400;
    response_rejects_status_with_letter:
        b"HTTP/1.1 2x0 OK\r\n\r\n" => malformed(Status), 400;
    response_rejects_status_below_100:
        b"HTTP/1.1 099 Low\r\n\r\n" => malformed(Status), 400;
    response_rejects_nul_in_reason:
        b"HTTP/1.1 200 O\x00K\r\n\r\n" => malformed(StartLine), 400;
    response_rejects_http2_version_with_505:
        b"HTTP/2.0 200 OK\r\n\r\n" => malformed(UnsupportedVersion), 505;
    response_rejects_lowercase_http_name:
        b"http/1.1 200 OK\r\n\r\n" => malformed(Version), 400;
    response_rejects_missing_space_after_version:
        b"HTTP/1.1200 OK\r\n\r\n" => malformed(Version), 400;
    response_rejects_bare_lf_after_status_line:
        b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n" => malformed(BareLineEnd), 400;
    response_rejects_lf_only_response:
        b"HTTP/1.1 200 OK\nContent-Length: 0\n\n" => malformed(BareLineEnd), 400;
    response_rejects_bare_cr_in_header_value:
        b"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n" => malformed(BareLineEnd), 400;
    response_rejects_whitespace_before_colon:
        b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello" => malformed(HeaderName), 400;
    /// Even where obs-fold is unfolded, a first field line cannot continue anything (§2.2).
    response_rejects_leading_whitespace_on_first_header_line:
        b"HTTP/1.1 200 OK\r\n Content-Length: 5\r\n\r\nhello" => malformed(ObsFold), 400;
    response_rejects_nul_in_header_value:
        b"HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n" => malformed(HeaderValue), 400;
}

#[test]
fn response_status_line_over_limit_is_rejected() {
    let limits = cohttp_core::h1::Limits {
        max_start_line: 24,
        ..Default::default()
    };
    let input = format!("HTTP/1.1 200 {}\r\n\r\n", "o".repeat(40));
    match response_with(input.as_bytes(), &limits) {
        Err(f) => {
            assert_eq!(f.kind, limit(Limit::StatusLine));
            assert_eq!(f.status, Some(StatusCode::BAD_REQUEST));
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// §5.2 obs-fold in responses: a user agent MUST replace each obs-fold with SP before
// interpreting the value, so the client unfolds instead of failing.

#[test]
fn response_obs_fold_is_replaced_with_space() {
    let r = response_ok(b"HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\n\tc\r\nContent-Length: 0\r\n\r\n");
    let v = r.values("x-long");
    assert_eq!(v.len(), 1);
    let text = std::str::from_utf8(v[0]).unwrap();
    assert_eq!(
        text.split_ascii_whitespace().collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert!(!v[0].contains(&b'\r') && !v[0].contains(&b'\n'));
}

// ---------------------------------------------------------------------------------------
// §6.3 response body length.

#[test]
fn response_head_has_no_body_even_with_content_length() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    assert_eq!(length(Method::HEAD, input), Len::Fixed(0));
    assert_eq!(length(Method::GET, input), Len::Fixed(10));
}

#[test]
fn response_head_has_no_body_even_when_chunked() {
    assert_eq!(
        length(
            Method::HEAD,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        ),
        Len::Fixed(0)
    );
}

#[test]
fn response_204_has_no_body_even_with_content_length() {
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
        ),
        Len::Fixed(0)
    );
}

#[test]
fn response_304_has_no_body_even_with_content_length() {
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"
        ),
        Len::Fixed(0)
    );
}

#[test]
fn response_1xx_has_no_body() {
    for code in [b"100", b"101", b"103"] {
        let mut input = b"HTTP/1.1 ".to_vec();
        input.extend_from_slice(code);
        input.extend_from_slice(b" X\r\nContent-Length: 10\r\n\r\n");
        assert_eq!(length(Method::GET, &input), Len::Fixed(0));
    }
}

#[test]
fn response_2xx_to_connect_has_no_body() {
    assert_eq!(
        length(
            Method::CONNECT,
            b"HTTP/1.1 200 Connection Established\r\nContent-Length: 10\r\n\r\n"
        ),
        Len::Fixed(0)
    );
}

#[test]
fn response_non_2xx_to_connect_has_a_body() {
    assert_eq!(
        length(
            Method::CONNECT,
            b"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 5\r\n\r\n"
        ),
        Len::Fixed(5)
    );
}

#[test]
fn response_final_chunked_coding_is_chunked() {
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
        ),
        Len::Chunked
    );
}

#[test]
fn response_transfer_encoding_not_ending_in_chunked_is_close_delimited() {
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
        ),
        Len::Close
    );
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"
        ),
        Len::Close
    );
}

#[test]
fn response_without_length_is_close_delimited() {
    assert_eq!(length(Method::GET, b"HTTP/1.1 200 OK\r\n\r\n"), Len::Close);
}

#[test]
fn response_identical_content_length_list_is_accepted() {
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n"
        ),
        Len::Fixed(7)
    );
}

rejects! {
    response_rejects_content_length_with_transfer_encoding:
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        => malformed(ContentLengthWithTransferEncoding), 400;
    response_rejects_differing_content_lengths:
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n" => malformed(ContentLength), 400;
    response_rejects_signed_content_length:
        b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n" => malformed(ContentLength), 400;
}

#[test]
fn response_transfer_encoding_in_http10_is_close_delimited() {
    // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing, and the
    // connection closes after it. For a request that is a 400 (a request body cannot be
    // close-delimited); a response is read the one way HTTP/1.0 framing allows, to the
    // close, so the chunk framing shows up verbatim in the body.
    let input = b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n";
    assert_eq!(length(Method::GET, input), Len::Close);
    let (msgs, end) = responses(input, &[Method::GET]);
    assert_eq!(end, End::Clean);
    assert_eq!(msgs[0].body, b"2\r\nab\r\n0\r\n\r\n");
    assert!(!msgs[0].head.keep_alive);
}

#[test]
fn response_http_1_2_is_read_as_http_1_1() {
    // RFC 9110 §2.5, as for requests.
    let r = response_ok(b"HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(r.version, Version::HTTP_11);
    assert!(r.keep_alive);
}

// ---------------------------------------------------------------------------------------
// §9.3 persistence as the head says.

fn keep_alive(input: &[u8]) -> bool {
    response_ok(input).keep_alive
}

#[test]
fn response_http11_keeps_alive_by_default() {
    assert!(keep_alive(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
}

#[test]
fn response_http11_close_token_in_list_ends_connection() {
    assert!(!keep_alive(
        b"HTTP/1.1 200 OK\r\nConnection: Upgrade, cLoSe\r\n\r\n"
    ));
}

#[test]
fn response_http10_closes_by_default() {
    assert!(!keep_alive(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
}

#[test]
fn response_http10_keep_alive_token_keeps_alive() {
    assert!(keep_alive(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
    ));
}

// ---------------------------------------------------------------------------------------
// Streams of responses.

#[test]
fn response_stream_interim_then_final_then_head_then_chunked() {
    let input = b"HTTP/1.1 100 Continue\r\n\r\n\
        HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc\
        HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n\
        HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\nT: 1\r\n\r\n\
        HTTP/1.1 204 No Content\r\n\r\n";
    let methods = [
        Method::PUT,
        Method::PUT,
        Method::HEAD,
        Method::POST,
        Method::DELETE,
    ];
    let (msgs, end) = responses(input, &methods);
    assert_eq!(end, End::Clean);
    let got: Vec<(u16, &[u8])> = msgs
        .iter()
        .map(|m| (m.head.status.as_u16(), m.body.as_slice()))
        .collect();
    assert_eq!(
        got,
        [
            (100, &b""[..]),
            (200, b"abc"),
            (200, b""),
            (201, b"xyz"),
            (204, b"")
        ]
    );
    assert_eq!(msgs[3].trailers, vec![("t".to_owned(), b"1".to_vec())]);
}

#[test]
fn response_trailer_obs_fold_is_replaced_with_space() {
    // RFC 9112 §5.2: a user agent replaces each obs-fold in a response with SP, in the
    // trailer section as in the head (the field-line rule is the same, §7.1.2). The next
    // response on the connection is read as usual after it.
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
        2\r\nhi\r\n0\r\nX-Sum: a\r\n  b\r\n\tc\r\nY: 1\r\n \r\nZ: z\r\n\r\n\
        HTTP/1.1 204 No Content\r\n\r\n";
    let (msgs, end) = responses(input, &[Method::GET, Method::GET]);
    assert_eq!(end, End::Clean);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].body, b"hi");
    assert_eq!(
        msgs[0].trailers,
        vec![
            ("x-sum".to_owned(), b"a b c".to_vec()),
            ("y".to_owned(), b"1".to_vec()),
            ("z".to_owned(), b"z".to_vec()),
        ]
    );
    assert_eq!(msgs[1].head.status, StatusCode::NO_CONTENT);
}

#[test]
fn response_trailer_starting_with_whitespace_continues_nothing() {
    // The first trailer line cannot be an obs-fold: there is no field to continue.
    let (msgs, end) = responses(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n X: 1\r\n\r\n",
        &[Method::GET],
    );
    assert!(msgs.is_empty());
    assert!(
        matches!(&end, End::Failed(f) if f.kind == malformed(Trailer)),
        "{end:?}"
    );
}

#[test]
fn response_close_delimited_body_runs_to_the_close() {
    let (msgs, end) = responses(
        b"HTTP/1.0 200 OK\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        &[Method::GET],
    );
    assert_eq!(end, End::Clean);
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        msgs[0].body,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
    );
}

#[test]
fn response_chunked_body_cut_short_is_truncated() {
    let (msgs, end) = responses(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        &[Method::GET],
    );
    assert!(msgs.is_empty());
    assert!(
        matches!(&end, End::Failed(f) if f.kind == malformed(TruncatedBody)),
        "{end:?}"
    );
}

#[test]
fn response_bad_chunk_line_fails_the_stream() {
    let (msgs, end) = responses(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloHTTP/1.1 200 OK\r\n\r\n",
        &[Method::GET, Method::GET],
    );
    assert!(msgs.is_empty());
    assert!(
        matches!(&end, End::Failed(f) if f.kind == malformed(ChunkEnd)),
        "{end:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Writing response heads.

#[test]
fn write_response_head_is_exact() {
    let mut headers = HeaderMap::new();
    headers.insert("content-length", HeaderValue::from_static("2"));
    let mut out = Vec::new();
    write_response_head(StatusCode::NOT_FOUND, Version::HTTP_11, &headers, &mut out).unwrap();
    assert_eq!(out, b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n");
    let r = response_ok(&out);
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[test]
fn write_response_head_for_unregistered_status_parses_back() {
    let mut out = Vec::new();
    let status = StatusCode::from_u16(599).unwrap();
    write_response_head(status, Version::HTTP_10, &HeaderMap::new(), &mut out).unwrap();
    let r = response_ok(&out);
    assert_eq!(r.status, status);
    assert_eq!(r.version, Version::HTTP_10);
}

// ---------------------------------------------------------------------------------------
// More framing cases.

#[test]
fn response_chunked_twice_fails_the_stream() {
    let (msgs, end) = responses(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        &[Method::GET],
    );
    assert!(msgs.is_empty());
    assert!(
        matches!(&end, End::Failed(f) if f.kind == malformed(TransferEncoding)),
        "{end:?}"
    );
}

#[test]
fn response_304_has_no_body_even_when_chunked() {
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
        ),
        Len::Fixed(0)
    );
}

#[test]
fn response_unknown_coding_before_chunked_is_still_chunk_framed() {
    // Framing depends only on the final coding (§6.3 rule 4); the unknown inner coding
    // is the application's business (the body comes out still coded).
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: pigeons, chunked\r\n\r\n"
        ),
        Len::Chunked
    );
}

#[test]
fn response_content_length_with_leading_zeros() {
    assert_eq!(
        length(
            Method::GET,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0007\r\n\r\n"
        ),
        Len::Fixed(7)
    );
}

rejects! {
    response_rejects_nul_in_folded_value:
        b"HTTP/1.1 200 OK\r\nX: a\r\n b\x00\r\n\r\n" => malformed(HeaderValue), 400;
    response_rejects_empty_transfer_encoding:
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n" => malformed(TransferEncoding), 400;
}

#[test]
fn response_pipelined_fixed_then_close_delimited() {
    let (msgs, end) = responses(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
          HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nrest of stream",
        &[Method::GET, Method::GET],
    );
    assert_eq!(end, End::Clean);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].body, b"A");
    assert!(msgs[0].head.keep_alive);
    assert_eq!(msgs[1].body, b"rest of stream");
    assert!(!msgs[1].head.keep_alive);
}
