//! Request vectors for the `h1` parser: malformed and edge-case request heads and
//! request streams, each with its exact outcome (parsed fields, or the error kind and the
//! status a server answers), each also run byte by byte (see `wire`).
//!
//! Cases are grouped by RFC 9112 section. Cases learnt from llhttp's and h11's test
//! suites, hyper's server tests and the HTTP Garden's findings; the tests are ours.

mod wire;

use cohttp_core::h1::{write_request_head, Limits};
use cohttp_core::{ErrorKind, Limit, Malformed::*};
use http::{HeaderMap, HeaderValue, Method, Version};
use wire::*;

/// One named test per rejected request head: `name: bytes => kind, status;`.
macro_rules! rejects {
    ($($(#[$m:meta])* $name:ident: $input:expr => $kind:expr, $status:literal;)*) => {$(
        $(#[$m])*
        #[test]
        fn $name() {
            request_fails($input, $kind, $status);
        }
    )*};
}

// ---------------------------------------------------------------------------------------
// §2.2 line endings: bare CR and bare LF are rejected (the RFC's MAY for a lone LF is not
// taken: a lone LF is the classic desync between a lenient and a strict hop).

rejects! {
    request_rejects_bare_lf_after_request_line:
        b"GET / HTTP/1.1\nHost: a\r\n\r\n" => malformed(BareLineEnd), 400;
    request_rejects_bare_lf_in_header_line:
        b"GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n" => malformed(BareLineEnd), 400;
    request_rejects_lf_only_request:
        b"GET / HTTP/1.1\nHost: a\n\n" => malformed(BareLineEnd), 400;
    request_rejects_bare_lf_as_end_of_head:
        b"GET / HTTP/1.1\r\nHost: a\r\n\n" => malformed(BareLineEnd), 400;
    request_rejects_bare_cr_inside_header_value:
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n" => malformed(BareLineEnd), 400;
    request_rejects_bare_cr_as_line_end:
        b"GET / HTTP/1.1\rHost: a\r\n\r\n" => malformed(BareLineEnd), 400;
    request_rejects_bare_cr_before_end_of_head:
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\r\n" => malformed(BareLineEnd), 400;
}

#[test]
fn request_ignores_one_leading_empty_line() {
    // §2.2: a server SHOULD ignore at least one empty line before the request line.
    let r = request_ok(b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.method, "GET");
    assert_eq!(r.uri, "/");
    assert_eq!(r.head_len, 29);
}

// ---------------------------------------------------------------------------------------
// §3 request line: method SP request-target SP HTTP-version, single SPs, no tabs.

rejects! {
    request_rejects_two_spaces_after_method:
        b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(StartLine), 400;
    request_rejects_two_spaces_before_version:
        b"GET /  HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(StartLine), 400;
    request_rejects_tabs_in_request_line:
        b"GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n" => malformed(StartLine), 400;
    request_rejects_space_after_version:
        b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n" => malformed(StartLine), 400;
    request_rejects_http09_request_line:
        b"GET /\r\n\r\n" => malformed(StartLine), 400;
    request_rejects_request_line_without_target:
        b"GET HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(StartLine), 400;
    request_rejects_empty_method:
        b" / HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(StartLine), 400;
    request_rejects_asterisk_with_extension_method:
        b"M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_rejects_invalid_token_char_in_method:
        b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Method), 400;
    request_rejects_non_ascii_method:
        b"G\xc3\x89T / HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Method), 400;
}

#[test]
fn request_accepts_lowercase_method_as_extension_method() {
    // Methods are case-sensitive tokens (RFC 9110 §9.1): `get` is not GET, but is valid.
    let r = request_ok(b"get / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.method, "get");
    assert_ne!(r.method, Method::GET.as_str());
}

#[test]
fn request_accepts_extension_method_with_token_chars() {
    let r = request_ok(b"M-SEARCH! / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.method, "M-SEARCH!");
}

// ---------------------------------------------------------------------------------------
// §2.3 HTTP-version = HTTP-name "/" DIGIT "." DIGIT, HTTP-name case-sensitive.

rejects! {
    request_rejects_http2_version_with_505:
        b"GET / HTTP/2.0\r\nHost: a\r\n\r\n" => malformed(UnsupportedVersion), 505;
    request_rejects_http3_version_with_505:
        b"GET / HTTP/3.0\r\nHost: a\r\n\r\n" => malformed(UnsupportedVersion), 505;
    request_rejects_http09_version_with_505:
        b"GET / HTTP/0.9\r\nHost: a\r\n\r\n" => malformed(UnsupportedVersion), 505;
    request_rejects_leading_zero_in_version:
        b"GET / HTTP/01.1\r\nHost: a\r\n\r\n" => malformed(Version), 400;
    request_rejects_two_digit_minor_version:
        b"GET / HTTP/1.10\r\nHost: a\r\n\r\n" => malformed(Version), 400;
    request_rejects_version_without_minor:
        b"GET / HTTP/1\r\nHost: a\r\n\r\n" => malformed(Version), 400;
    request_rejects_lowercase_http_name:
        b"GET / http/1.1\r\nHost: a\r\n\r\n" => malformed(Version), 400;
    request_rejects_garbage_version:
        b"GET / FTP/1.1\r\nHost: a\r\n\r\n" => malformed(Version), 400;
}

#[test]
fn request_http_1_2_is_processed_as_http_1_1() {
    // RFC 9110 §2.5: a recipient that implements major version 1 and receives a higher
    // minor version SHOULD process the message as if it were the highest minor version
    // it conforms to. So HTTP/1.2 is read as HTTP/1.1 — Host rules and persistence
    // included — rather than refused with 505 (which would be wrong: 1.x is compatible).
    let r = request_ok(b"GET / HTTP/1.2\r\nHost: a\r\n\r\n");
    assert_eq!(r.version, Version::HTTP_11);
    assert!(r.keep_alive);
    request_fails(b"GET / HTTP/1.9\r\n\r\n", malformed(Host), 400);
}

#[test]
fn request_http10_without_host_is_accepted() {
    let r = request_ok(b"GET /x HTTP/1.0\r\n\r\n");
    assert_eq!(r.version, Version::HTTP_10);
    assert_eq!(r.body, Len::Fixed(0));
    assert!(!r.keep_alive);
}

// ---------------------------------------------------------------------------------------
// §3.2 request target forms, by method.

#[test]
fn request_connect_accepts_authority_form() {
    let r = request_ok(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert_eq!(r.method, "CONNECT");
    assert_eq!(r.uri, "example.com:443");
    assert_eq!(r.raw_target, None);
}

#[test]
fn request_options_accepts_asterisk_form() {
    let r = request_ok(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.uri, "*");
    assert_eq!(r.raw_target, None);
}

#[test]
fn request_origin_form_keeps_path_and_query() {
    let r = request_ok(b"GET /a/b%20c?x=1&y=%2F HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.uri, "/a/b%20c?x=1&y=%2F");
    assert_eq!(r.raw_target, None);
}

#[test]
fn request_absolute_form_keeps_raw_target() {
    let r = request_ok(b"GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_eq!(r.uri, "http://example.com/a?b=c");
    assert_eq!(r.raw_target.as_deref(), Some("http://example.com/a?b=c"));
}

#[test]
fn request_absolute_form_without_path_keeps_target_as_sent() {
    let r = request_ok(b"GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_eq!(r.raw_target.as_deref(), Some("http://example.com"));
}

#[test]
fn request_absolute_form_with_differing_host_is_accepted() {
    // §3.2.2: the server uses the target's authority and ignores Host; not an error.
    let r = request_ok(b"GET http://example.com/ HTTP/1.1\r\nHost: other.example\r\n\r\n");
    assert_eq!(r.raw_target.as_deref(), Some("http://example.com/"));
    assert_eq!(r.values("host"), [b"other.example"]);
}

rejects! {
    request_connect_rejects_origin_form:
        b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_connect_rejects_authority_without_port:
        b"CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n" => malformed(Target), 400;
    request_connect_rejects_absolute_form:
        b"CONNECT http://example.com:443/ HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_get_rejects_asterisk_form:
        b"GET * HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_get_rejects_authority_form:
        b"GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_rejects_relative_target:
        b"GET a/b HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_rejects_fragment_in_target:
        b"GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_rejects_control_char_in_target:
        b"GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_rejects_non_ascii_in_target:
        b"GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
}

// ---------------------------------------------------------------------------------------
// §5 field syntax: token names, no whitespace before the colon, no obs-fold in requests,
// no CTLs in values.

rejects! {
    request_rejects_whitespace_before_colon:
        b"GET / HTTP/1.1\r\nHost : a\r\n\r\n" => malformed(HeaderName), 400;
    request_rejects_tab_before_colon:
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n" => malformed(HeaderName), 400;
    /// §2.2: whitespace between the start line and the first field: refused, as obs-fold
    /// with nothing to fold onto.
    request_rejects_leading_whitespace_on_first_header_line:
        b"GET / HTTP/1.1\r\n Host: a\r\n\r\n" => malformed(ObsFold), 400;
    request_rejects_obs_fold:
        b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n" => malformed(ObsFold), 400;
    request_rejects_obs_fold_with_tab:
        b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n" => malformed(ObsFold), 400;
    request_rejects_obs_fold_of_transfer_encoding:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n" => malformed(ObsFold), 400;
    request_rejects_nul_in_header_value:
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n" => malformed(HeaderValue), 400;
    request_rejects_control_char_in_header_value:
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n" => malformed(HeaderValue), 400;
    request_rejects_del_in_header_value:
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n" => malformed(HeaderValue), 400;
    request_rejects_invalid_token_char_in_header_name:
        b"GET / HTTP/1.1\r\nHost: a\r\nX(a): b\r\n\r\n" => malformed(HeaderName), 400;
    request_rejects_quote_in_header_name:
        b"GET / HTTP/1.1\r\nHost: a\r\nX\"a: b\r\n\r\n" => malformed(HeaderName), 400;
    request_rejects_empty_header_name:
        b"GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n" => malformed(HeaderName), 400;
    request_rejects_header_line_without_colon:
        b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n" => malformed(HeaderName), 400;
    request_rejects_non_ascii_header_name:
        b"GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: b\r\n\r\n" => malformed(HeaderName), 400;
}

#[test]
fn request_accepts_obs_text_in_header_value() {
    let r = request_ok(b"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9 \xff\r\n\r\n");
    assert_eq!(r.values("x"), [b"caf\xc3\xa9 \xff".as_slice()]);
}

#[test]
fn request_accepts_tab_inside_header_value() {
    let r = request_ok(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n");
    assert_eq!(r.values("x"), [b"a\tb"]);
}

#[test]
fn request_trims_whitespace_around_header_value() {
    let r = request_ok(b"GET / HTTP/1.1\r\nHost: a\r\nX: \t a b \t\r\n\r\n");
    assert_eq!(r.values("x"), [b"a b"]);
}

#[test]
fn request_accepts_empty_header_value() {
    let r = request_ok(b"GET / HTTP/1.1\r\nHost: a\r\nX:\r\nY: \r\n\r\n");
    assert_eq!(r.values("x"), [b""]);
    assert_eq!(r.values("y"), [b""]);
}

#[test]
fn request_keeps_repeated_fields_in_order() {
    let r = request_ok(b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: y\r\nx: 2\r\n\r\n");
    assert_eq!(r.values("x"), [b"1", b"2"]);
    assert_eq!(r.headers.len(), 4);
}

// ---------------------------------------------------------------------------------------
// §3.2 Host: exactly one in HTTP/1.1, a valid uri-host [":" port].

rejects! {
    request_http11_without_host_is_400:
        b"GET / HTTP/1.1\r\nX: a\r\n\r\n" => malformed(Host), 400;
    request_http11_with_two_hosts_is_400:
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" => malformed(Host), 400;
    request_http11_with_two_identical_hosts_is_400:
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n" => malformed(Host), 400;
    request_http10_with_two_hosts_is_400:
        b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n" => malformed(Host), 400;
    request_host_with_space_is_400:
        b"GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n" => malformed(Host), 400;
    request_host_with_path_is_400:
        b"GET / HTTP/1.1\r\nHost: example.com/a\r\n\r\n" => malformed(Host), 400;
    request_host_with_userinfo_is_400:
        b"GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n" => malformed(Host), 400;
    request_host_with_non_numeric_port_is_400:
        b"GET / HTTP/1.1\r\nHost: example.com:8o\r\n\r\n" => malformed(Host), 400;
    request_absolute_form_without_host_is_400:
        b"GET http://example.com/ HTTP/1.1\r\n\r\n" => malformed(Host), 400;
}

#[test]
fn request_accepts_empty_host() {
    // §3.2: a client sends an empty Host when the target URI has no authority.
    let r = request_ok(b"GET / HTTP/1.1\r\nHost:\r\n\r\n");
    assert_eq!(r.values("host"), [b""]);
}

#[test]
fn request_accepts_ipv6_host_with_port() {
    let r = request_ok(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    assert_eq!(r.values("host"), [b"[::1]:8080"]);
}

// ---------------------------------------------------------------------------------------
// §6.2, §6.3 Content-Length: 1*DIGIT; identical repeats tolerated, anything else is 400.

rejects! {
    request_rejects_content_length_with_plus_sign:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello" => malformed(ContentLength), 400;
    request_rejects_negative_content_length:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\nhello" => malformed(ContentLength), 400;
    request_rejects_hex_content_length:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello" => malformed(ContentLength), 400;
    request_rejects_content_length_with_inner_space:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\nhello" => malformed(ContentLength), 400;
    request_rejects_decimal_point_content_length:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5.0\r\n\r\nhello" => malformed(ContentLength), 400;
    request_rejects_empty_content_length:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n" => malformed(ContentLength), 400;
    request_rejects_overflowing_content_length:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n" => malformed(ContentLength), 400;
    request_rejects_differing_content_length_list:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello" => malformed(ContentLength), 400;
    request_rejects_differing_duplicate_content_lengths:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello" => malformed(ContentLength), 400;
    request_rejects_content_length_list_with_empty_element:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\nhello" => malformed(ContentLength), 400;
}

#[test]
fn request_accepts_identical_content_length_list() {
    let r = request_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n");
    assert_eq!(r.body, Len::Fixed(5));
}

#[test]
fn request_accepts_identical_duplicate_content_lengths() {
    let r =
        request_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n");
    assert_eq!(r.body, Len::Fixed(5));
}

#[test]
fn request_accepts_content_length_with_leading_zeros() {
    let r = request_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\n");
    assert_eq!(r.body, Len::Fixed(5));
}

#[test]
fn request_accepts_largest_content_length() {
    let r =
        request_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n");
    assert_eq!(r.body, Len::Fixed(u64::MAX));
}

#[test]
fn request_get_with_content_length_has_a_body() {
    let (msgs, end) = requests(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(end, End::Clean);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].head.body, Len::Fixed(5));
    assert_eq!(msgs[0].body, b"hello");
}

#[test]
fn request_without_length_has_no_body_and_next_bytes_are_a_request() {
    // §6.3 rule 7: a request with neither CL nor TE has a zero-length body.
    let (msgs, end) =
        requests(b"POST /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(end, End::Clean);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].head.body, Len::Fixed(0));
    assert!(msgs[0].body.is_empty());
    assert_eq!(msgs[1].head.uri, "/b");
}

// ---------------------------------------------------------------------------------------
// §6.1 Transfer-Encoding on requests.

rejects! {
    request_rejects_content_length_with_transfer_encoding:
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        => malformed(ContentLengthWithTransferEncoding), 400;
    request_rejects_transfer_encoding_with_content_length:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
        => malformed(ContentLengthWithTransferEncoding), 400;
    request_rejects_chunked_followed_by_gzip:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_gzip_alone:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_unknown_coding_alone:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: pigeons\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_unknown_coding_before_chunked_with_501:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: pigeons, chunked\r\n\r\n" => malformed(UnknownTransferCoding), 501;
    request_rejects_gzip_before_chunked_with_501:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" => malformed(UnknownTransferCoding), 501;
    request_rejects_chunked_twice:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_chunked_twice_across_fields:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_transfer_encoding_fields_ending_not_chunked:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_empty_transfer_encoding:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_chunked_with_parameter:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_chunked_glued_to_other_text:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n" => malformed(TransferEncoding), 400;
    request_rejects_vertical_tab_after_chunked:
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n\r\n" => malformed(HeaderValue), 400;
    /// §6.1: an HTTP/1.0 message with Transfer-Encoding MUST be treated as faulty framing.
    request_rejects_transfer_encoding_in_http10:
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" => malformed(TransferEncoding), 400;
}

#[test]
fn request_accepts_chunked_in_any_case() {
    // Transfer codings are case-insensitive (RFC 9110 §7.8 via RFC 9112 §7).
    let r = request_ok(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n");
    assert_eq!(r.body, Len::Chunked);
}

#[test]
fn request_accepts_chunked_with_surrounding_whitespace() {
    let r = request_ok(b"POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: \t chunked \t\r\n\r\n");
    assert_eq!(r.body, Len::Chunked);
}

#[test]
fn request_underscore_transfer_encoding_is_not_framing() {
    // `Transfer_Encoding` is a valid but different field name: it frames nothing, so the
    // chunked-looking bytes after the head are the next (here malformed) request.
    let (msgs, end) =
        requests(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].head.body, Len::Fixed(0));
    assert!(matches!(end, End::Failed(_)), "{end:?}");
}

#[test]
fn request_chunked_body_is_decoded_with_trailers() {
    let (msgs, end) = requests(
        b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n",
    );
    assert_eq!(end, End::Clean);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].body, b"hello world");
    assert_eq!(msgs[0].trailers, vec![("x-sum".to_owned(), b"11".to_vec())]);
}

// ---------------------------------------------------------------------------------------
// Limits: 414 for the request line, 431 for the head; an incomplete head already past a
// limit fails at once instead of waiting.

fn small_limits() -> Limits {
    Limits {
        max_start_line: 32,
        max_headers: 3,
        max_head_bytes: 96,
        ..Limits::default()
    }
}

#[test]
fn request_line_over_limit_is_414() {
    let line = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(40));
    request_fails_with(
        line.as_bytes(),
        &small_limits(),
        limit(Limit::RequestLine),
        414,
    );
}

#[test]
fn request_line_over_limit_fails_before_the_line_ends() {
    let line = format!("GET /{}", "a".repeat(40));
    request_fails_with(
        line.as_bytes(),
        &small_limits(),
        limit(Limit::RequestLine),
        414,
    );
}

#[test]
fn request_line_under_limit_parses() {
    // 32 bytes exactly, CRLF excluded.
    let line = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(18));
    assert_eq!(line.find('\r'), Some(32));
    request_ok_with(line.as_bytes(), &small_limits());
}

#[test]
fn request_with_too_many_headers_is_431() {
    request_fails_with(
        b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
        &small_limits(),
        limit(Limit::HeaderCount),
        431,
    );
}

#[test]
fn request_with_as_many_headers_as_allowed_parses() {
    let r = request_ok_with(
        b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n",
        &small_limits(),
    );
    assert_eq!(r.headers.len(), 3);
}

#[test]
fn request_head_over_byte_limit_is_431() {
    let head = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "v".repeat(80));
    request_fails_with(
        head.as_bytes(),
        &small_limits(),
        limit(Limit::HeaderBytes),
        431,
    );
}

#[test]
fn request_incomplete_head_over_byte_limit_fails_at_once() {
    let head = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}", "v".repeat(100));
    request_fails_with(
        head.as_bytes(),
        &small_limits(),
        limit(Limit::HeaderBytes),
        431,
    );
}

#[test]
fn request_head_exactly_at_byte_limit_parses_with_body_after_it() {
    let pad = 96 - b"GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n".len();
    let head = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(pad)
    );
    assert_eq!(head.len(), 96);
    let mut input = head.into_bytes();
    input.extend_from_slice(b"GET / HTTP/1.1\r\n");
    let r = request_ok_with(&input, &small_limits());
    assert_eq!(r.head_len, 96);
}

// ---------------------------------------------------------------------------------------
// §9.3 persistence: HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive`.

fn keep_alive(input: &[u8]) -> bool {
    request_ok(input).keep_alive
}

#[test]
fn request_http11_keeps_alive_by_default() {
    assert!(keep_alive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
}

#[test]
fn request_http11_close_token_ends_connection() {
    assert!(!keep_alive(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    ));
}

#[test]
fn request_close_token_found_case_insensitively_in_list() {
    assert!(!keep_alive(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n"
    ));
}

#[test]
fn request_close_token_found_in_second_connection_field() {
    assert!(!keep_alive(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nConnection: CLOSE\r\n\r\n"
    ));
}

#[test]
fn request_token_containing_close_is_not_close() {
    assert!(keep_alive(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, xclose\r\n\r\n"
    ));
}

#[test]
fn request_http10_closes_by_default() {
    assert!(!keep_alive(b"GET / HTTP/1.0\r\n\r\n"));
}

#[test]
fn request_http10_keep_alive_token_keeps_alive() {
    assert!(keep_alive(
        b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
    ));
}

#[test]
fn request_close_wins_over_keep_alive() {
    assert!(!keep_alive(
        b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"
    ));
    assert!(!keep_alive(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"
    ));
}

// ---------------------------------------------------------------------------------------
// Expect: 100-continue (RFC 9110 §10.1.1).

#[test]
fn request_expect_100_continue_is_detected() {
    let r = request_ok(
        b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
    );
    assert!(r.expect_continue);
}

#[test]
fn request_expect_100_continue_is_case_insensitive() {
    let r = request_ok(
        b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nexpect: 100-Continue\r\n\r\n",
    );
    assert!(r.expect_continue);
}

#[test]
fn request_expect_in_http10_is_ignored() {
    // RFC 9110 §10.1.1: a server MUST ignore a 100-continue expectation in HTTP/1.0.
    let r = request_ok(b"PUT / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    assert!(!r.expect_continue);
}

#[test]
fn request_other_expectation_is_not_continue() {
    let r = request_ok(
        b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continuez\r\n\r\n",
    );
    assert!(!r.expect_continue);
}

// ---------------------------------------------------------------------------------------
// Streams: pipelining and ends of stream.

#[test]
fn request_pipelined_requests_in_one_buffer() {
    let input = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\
        POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\
        POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n\
        GET /4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let (msgs, end) = requests(input);
    assert_eq!(end, End::Clean);
    let got: Vec<(&str, &[u8], bool)> = msgs
        .iter()
        .map(|m| (m.head.uri.as_str(), m.body.as_slice(), m.head.keep_alive))
        .collect();
    assert_eq!(
        got,
        [
            ("/1", &b""[..], true),
            ("/2", b"abc", true),
            ("/3", b"de", true),
            ("/4", b"", false)
        ]
    );
}

#[test]
fn request_pipelined_error_after_a_valid_request() {
    let (msgs, end) = requests(
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
    );
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].head.uri, "/1");
    assert_eq!(
        end,
        End::Failed(Failure {
            kind: malformed(ContentLength),
            status: Some(http::StatusCode::BAD_REQUEST)
        })
    );
}

#[test]
fn request_smuggled_cl_te_request_is_refused_not_split() {
    // The CL.TE classic: a hop using CL would see one request, one using TE two.
    let (msgs, end) = requests(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
    );
    assert!(msgs.is_empty());
    assert!(matches!(
        end,
        End::Failed(Failure {
            kind: ErrorKind::Malformed(ContentLengthWithTransferEncoding),
            ..
        })
    ));
}

#[test]
fn request_fixed_body_cut_short_is_truncated_body() {
    let (msgs, end) = requests(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello");
    assert!(msgs.is_empty());
    assert_eq!(
        end,
        End::Failed(Failure {
            kind: malformed(TruncatedBody),
            status: Some(http::StatusCode::BAD_REQUEST)
        })
    );
}

#[test]
fn request_incomplete_head_is_left_in_buffer() {
    let (msgs, end) = requests(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHo");
    assert_eq!(msgs.len(), 1);
    assert_eq!(end, End::InHead(22));
}

// ---------------------------------------------------------------------------------------
// Writing request heads.

#[test]
fn write_request_head_is_exact() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.com"));
    headers.append("x-a", HeaderValue::from_static("1"));
    let mut out = Vec::new();
    write_request_head(&Method::POST, "/p?q", Version::HTTP_11, &headers, &mut out).unwrap();
    assert_eq!(
        out,
        b"POST /p?q HTTP/1.1\r\nhost: example.com\r\nx-a: 1\r\n\r\n"
    );
    let r = request_ok(&out);
    assert_eq!(r.uri, "/p?q");
}

#[test]
fn write_request_head_refuses_target_with_space_or_line_break() {
    // A target with SP or CR/LF would split the request line or the request itself.
    let headers = HeaderMap::new();
    for target in ["/a b", "/a\r\nX: y", "/a\x00"] {
        let mut out = Vec::new();
        let e = write_request_head(&Method::GET, target, Version::HTTP_11, &headers, &mut out)
            .unwrap_err();
        assert_eq!(e.kind(), &malformed(InvalidUri), "{target:?}");
    }
}

// ---------------------------------------------------------------------------------------
// More targets, Host values, NULs and limits.

rejects! {
    /// RFC 9110 §4.2.4: userinfo in an http(s) URI SHOULD be treated as an error.
    request_rejects_userinfo_in_absolute_form:
        b"GET http://user:pw@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n" => malformed(Target), 400;
    request_connect_rejects_userinfo:
        b"CONNECT user@example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" => malformed(Target), 400;
    request_rejects_unsafe_chars_in_target:
        b"GET /a\"b<c> HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_rejects_absolute_form_without_authority:
        b"GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(Target), 400;
    request_rejects_nul_in_request_line:
        b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n" => malformed(StartLine), 400;
    request_rejects_nul_in_header_name:
        b"GET / HTTP/1.1\r\nX\x00: a\r\nHost: a\r\n\r\n" => malformed(HeaderName), 400;
    request_host_with_unclosed_ip_literal_is_400:
        b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n" => malformed(Host), 400;
    request_host_with_bad_percent_encoding_is_400:
        b"GET / HTTP/1.1\r\nHost: ex%4gmple.com\r\n\r\n" => malformed(Host), 400;
    request_host_with_only_a_port_is_400:
        b"GET / HTTP/1.1\r\nHost: :80\r\n\r\n" => malformed(Host), 400;
}

#[test]
fn request_connect_accepts_ipv6_authority() {
    let r = request_ok(b"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
    assert_eq!(r.uri, "[::1]:443");
}

#[test]
fn request_absolute_form_with_scheme_port_and_query_keeps_raw_target() {
    let r =
        request_ok(b"GET https://example.com:8443/x?y HTTP/1.1\r\nHost: example.com:8443\r\n\r\n");
    assert_eq!(
        r.raw_target.as_deref(),
        Some("https://example.com:8443/x?y")
    );
}

#[test]
fn request_double_slash_path_is_origin_form_not_authority() {
    // `//a/b` is an absolute-path with an empty first segment, not a network-path.
    let r = request_ok(b"GET //a/b HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(r.uri, "//a/b");
    assert_eq!(r.raw_target, None);
}

#[test]
fn request_query_may_hold_slashes_and_question_marks() {
    let r = request_ok(b"GET /a?b?c/d HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(r.uri, "/a?b?c/d");
}

#[test]
fn request_accepts_host_with_percent_encoding_and_port() {
    let r = request_ok(b"GET / HTTP/1.1\r\nHost: ex%41mple.com:8080\r\n\r\n");
    assert_eq!(r.values("host"), [b"ex%41mple.com:8080"]);
}

#[test]
fn request_accepts_content_length_with_surrounding_whitespace() {
    let r = request_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \t 5 \t\r\n\r\n");
    assert_eq!(r.body, Len::Fixed(5));
}

#[test]
fn request_content_length_zero_is_no_body() {
    let r = request_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(r.body, Len::Fixed(0));
}

#[test]
fn request_only_empty_lines_is_incomplete() {
    assert_eq!(request(b"\r\n\r\n"), Ok(None));
}

#[test]
fn request_with_too_many_headers_fails_before_the_head_ends() {
    request_fails_with(
        b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n",
        &small_limits(),
        limit(Limit::HeaderCount),
        431,
    );
}

#[test]
fn request_pipelined_after_chunked_body_with_extensions_and_trailers() {
    let (msgs, end) = requests(
        b"PUT /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
          3;x=\"y;z\"\r\nabc\r\n0;last\r\nT: 1\r\n\r\n\
          DELETE /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxy",
    );
    assert_eq!(end, End::Clean);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].body, b"abc");
    assert_eq!(msgs[0].trailers, vec![("t".to_owned(), b"1".to_vec())]);
    assert_eq!(msgs[1].head.method, "DELETE");
    assert_eq!(msgs[1].body, b"xy");
}

#[test]
fn request_bad_chunk_size_fails_the_stream_after_earlier_requests() {
    let (msgs, end) = requests(
        b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n\
          POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n",
    );
    assert_eq!(msgs.len(), 1);
    assert!(
        matches!(&end, End::Failed(f) if f.kind == malformed(ChunkSize)),
        "{end:?}"
    );
}
