//! Body vectors for the `h1` decoder and encoder: chunked framing (RFC 9112 §7.1) —
//! sizes, extensions, the CRLF after data, trailers, limits — and fixed-length and
//! close-delimited bodies. Every decode also runs byte by byte and cut at each point
//! (see `wire`), with the same data, trailers, leftover bytes and error.

mod wire;

use cohttp_core::body::TransferEncoding;
use cohttp_core::h1::{Encoder, Limits};
use cohttp_core::{Limit, Malformed::*};
use http::{HeaderMap, HeaderValue};
use wire::*;

fn body(o: &BodyOutcome) -> &[u8] {
    &o.data
}

// ---------------------------------------------------------------------------------------
// Chunk sizes: 1*HEXDIG, any case, leading zeros allowed, no sign, prefix, space or overflow.

#[test]
fn chunked_two_chunks_and_last_chunk() {
    let o = chunked_ok(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    assert_eq!(body(&o), b"hello world");
    assert!(o.done);
    assert!(o.rest.is_empty());
    assert!(o.trailers.is_empty());
}

#[test]
fn chunked_hex_sizes_in_either_case() {
    let o = chunked_ok(
        b"A\r\n0123456789\r\na\r\nabcdefghij\r\n1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
    );
    assert_eq!(o.data.len(), 10 + 10 + 31);
}

#[test]
fn chunked_size_with_leading_zeros() {
    let o = chunked_ok(b"0005\r\nhello\r\n0\r\n\r\n");
    assert_eq!(body(&o), b"hello");
}

#[test]
fn chunked_last_chunk_of_several_zeros() {
    let o = chunked_ok(b"2\r\nab\r\n000\r\n\r\n");
    assert_eq!(body(&o), b"ab");
    assert!(o.done);
}

#[test]
fn chunked_bytes_after_the_body_stay_in_the_buffer() {
    let o = chunked_ok(b"1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
    assert_eq!(body(&o), b"x");
    assert_eq!(o.rest, b"GET / HTTP/1.1\r\n");
}

#[test]
fn chunked_size_of_sixteen_hex_digits_waits_for_data() {
    // u64::MAX fits: the decoder hands out what has come and waits for the rest.
    let o = chunked_ok(b"ffffffffffffffff\r\nabc");
    assert_eq!(body(&o), b"abc");
    assert!(!o.done);
}

#[test]
fn chunked_data_containing_crlf_and_digits_is_data() {
    let o = chunked_ok(b"7\r\n0\r\n\r\nab\r\n0\r\n\r\n");
    assert_eq!(body(&o), b"0\r\n\r\nab");
}

#[test]
fn chunked_rejects_non_hex_size() {
    chunked_fails(b"5g\r\nhello\r\n0\r\n\r\n", malformed(ChunkSize), 400);
}

#[test]
fn chunked_rejects_0x_prefix() {
    chunked_fails(b"0x5\r\nhello\r\n0\r\n\r\n", malformed(ChunkSize), 400);
}

#[test]
fn chunked_rejects_size_overflow() {
    // 17 significant hex digits do not fit in 64 bits.
    chunked_fails(
        b"10000000000000000\r\nhello\r\n0\r\n\r\n",
        malformed(ChunkSize),
        400,
    );
}

#[test]
fn chunked_rejects_negative_size() {
    chunked_fails(b"-5\r\nhello\r\n0\r\n\r\n", malformed(ChunkSize), 400);
}

#[test]
fn chunked_rejects_leading_space_in_size() {
    chunked_fails(b" 5\r\nhello\r\n0\r\n\r\n", malformed(ChunkSize), 400);
}

#[test]
fn chunked_rejects_empty_size() {
    chunked_fails(b"\r\nhello\r\n0\r\n\r\n", malformed(ChunkSize), 400);
}

#[test]
fn chunked_rejects_text_after_size_without_semicolon() {
    // After the size only BWS then `;` may follow: the text is a malformed extension.
    chunked_fails(
        b"2 erfrferferf\r\naa\r\n0\r\n\r\n",
        malformed(ChunkExtension),
        400,
    );
}

#[test]
fn chunked_rejects_whitespace_after_size_without_extension() {
    // RFC 9112 §7.1.1: BWS only precedes `;`; nothing may follow the size but an
    // extension. llhttp refuses this by default too (a leniency flag allows it).
    chunked_fails(b"5 \r\nhello\r\n0\r\n\r\n", malformed(ChunkExtension), 400);
    chunked_fails(b"5\r\nhello\r\n0\t\r\n\r\n", malformed(ChunkExtension), 400);
}

#[test]
fn chunked_rejects_whitespace_after_an_extension() {
    chunked_fails(
        b"5;a=b \r\nhello\r\n0\r\n\r\n",
        malformed(ChunkExtension),
        400,
    );
    chunked_fails(
        b"5;a=\"b\"\t\r\nhello\r\n0\r\n\r\n",
        malformed(ChunkExtension),
        400,
    );
}

#[test]
fn chunked_rejects_whitespace_after_an_extension_name_without_value() {
    // The same rule as after a value: BWS may follow a name only before `=` (or a next
    // `;`), so `5;a ` ends its line with whitespace the grammar does not have.
    chunked_fails(
        b"5;a \r\nhello\r\n0\r\n\r\n",
        malformed(ChunkExtension),
        400,
    );
    chunked_fails(
        b"5\r\nhello\r\n0;a\t\r\n\r\n",
        malformed(ChunkExtension),
        400,
    );
    // Before a next `;`, the same whitespace is BWS and stays allowed.
    let o = chunked_ok(b"5;a ;b\t;c=d\r\nhello\r\n0\r\n\r\n");
    assert_eq!(body(&o), b"hello");
}

#[test]
fn chunked_accepts_size_with_many_leading_zeros() {
    // 1*HEXDIG: the value decides overflow, not the digit count.
    let o = chunked_ok(b"000000000000000000005\r\nhello\r\n0\r\n\r\n");
    assert_eq!(body(&o), b"hello");
}

#[test]
fn chunked_rejects_missing_last_chunk_size() {
    // The body ends with an empty line where `0` belongs.
    chunked_fails(b"2\r\naa\r\n\r\n", malformed(ChunkSize), 400);
}

// ---------------------------------------------------------------------------------------
// Chunk extensions (§7.1.1): accepted and ignored when well-formed, bounded in length.

#[test]
fn chunked_accepts_extension_name_alone() {
    let o = chunked_ok(b"5;name\r\nhello\r\n0\r\n\r\n");
    assert_eq!(body(&o), b"hello");
}

#[test]
fn chunked_accepts_several_token_extensions() {
    let o = chunked_ok(b"5;a=b;c=d;e\r\nhello\r\n0;last=1\r\n\r\n");
    assert_eq!(body(&o), b"hello");
}

#[test]
fn chunked_accepts_quoted_string_extension() {
    let o = chunked_ok(b"5;a=\"x; y \\\"z\\\" \\\\\";b=\"\"\r\nhello\r\n0\r\n\r\n");
    assert_eq!(body(&o), b"hello");
}

#[test]
fn chunked_accepts_whitespace_around_extension_parts() {
    // BWS is allowed before `;` and around `=`.
    let o = chunked_ok(b"5 ; a = b\t;c\r\nhello\r\n0\r\n\r\n");
    assert_eq!(body(&o), b"hello");
}

#[test]
fn chunked_rejects_empty_extension_name() {
    chunked_fails(b"2;\r\naa\r\n0\r\n\r\n", malformed(ChunkExtension), 400);
}

#[test]
fn chunked_rejects_extension_with_empty_value() {
    chunked_fails(b"2;a=\r\naa\r\n0\r\n\r\n", malformed(ChunkExtension), 400);
}

#[test]
fn chunked_rejects_unterminated_quoted_extension() {
    chunked_fails(
        b"5;a=\"abc\";b=\"def; ghi\r\nhello\r\n0\r\n\r\n",
        malformed(ChunkExtension),
        400,
    );
}

#[test]
fn chunked_rejects_control_char_in_extension() {
    chunked_fails(
        b"5;a=b\x01c\r\nhello\r\n0\r\n\r\n",
        malformed(ChunkExtension),
        400,
    );
}

fn small_ext_limits() -> Limits {
    Limits {
        max_chunk_ext: 16,
        ..Limits::default()
    }
}

#[test]
fn chunked_extension_over_limit_is_rejected() {
    let input = format!("5;{}\r\nhello\r\n0\r\n\r\n", "e".repeat(40));
    chunked_fails_with(
        input.as_bytes(),
        &small_ext_limits(),
        limit(Limit::ChunkExtension),
        400,
    );
}

#[test]
fn chunked_extension_over_limit_fails_before_the_line_ends() {
    let input = format!("5;{}", "e".repeat(40));
    chunked_fails_with(
        input.as_bytes(),
        &small_ext_limits(),
        limit(Limit::ChunkExtension),
        400,
    );
}

#[test]
fn chunked_extension_within_limit_is_accepted() {
    let input = b"5;eeeeeeeeeeeeee\r\nhello\r\n0\r\n\r\n";
    let o = decode_all_ways(Len::Chunked, input, &small_ext_limits(), false).unwrap();
    assert_eq!(body(&o), b"hello");
}

// ---------------------------------------------------------------------------------------
// Line ends in chunk framing: CRLF only; the CRLF after data is required.

#[test]
fn chunked_rejects_bare_lf_after_size() {
    chunked_fails(b"5\nhello\r\n0\r\n\r\n", malformed(BareLineEnd), 400);
}

#[test]
fn chunked_rejects_bare_lf_after_extension() {
    chunked_fails(b"5;a\nhello\r\n0\r\n\r\n", malformed(BareLineEnd), 400);
}

#[test]
fn chunked_rejects_bare_cr_after_size() {
    chunked_fails(b"5\rhello\r\n0\r\n\r\n", malformed(BareLineEnd), 400);
}

#[test]
fn chunked_rejects_missing_crlf_after_data() {
    chunked_fails(b"5\r\nhello0\r\n\r\n", malformed(ChunkEnd), 400);
}

#[test]
fn chunked_rejects_bare_lf_after_data() {
    chunked_fails(b"5\r\nhello\n0\r\n\r\n", malformed(ChunkEnd), 400);
}

#[test]
fn chunked_rejects_extra_bytes_after_data() {
    // The chunk is longer than its size says: never resynchronise on the next CRLF.
    chunked_fails(b"3\r\nhello\r\n0\r\n\r\n", malformed(ChunkEnd), 400);
}

// ---------------------------------------------------------------------------------------
// Trailers (§7.1.2): kept, well-formed, bounded.

#[test]
fn chunked_keeps_trailers() {
    let o = chunked_ok(b"3\r\nabc\r\n0\r\nX-A: 1\r\nX-B:  two \r\nx-a: 3\r\n\r\n");
    assert_eq!(body(&o), b"abc");
    assert_eq!(
        o.trailers,
        vec![
            ("x-a".to_owned(), b"1".to_vec()),
            ("x-a".to_owned(), b"3".to_vec()),
            ("x-b".to_owned(), b"two".to_vec()),
        ]
    );
}

#[test]
fn chunked_trailers_over_limit_are_431() {
    let limits = Limits {
        max_trailer_bytes: 32,
        ..Limits::default()
    };
    let input = format!("0\r\nX-Long: {}\r\n\r\n", "t".repeat(40));
    chunked_fails_with(input.as_bytes(), &limits, limit(Limit::TrailerBytes), 431);
}

#[test]
fn chunked_incomplete_trailers_over_limit_fail_at_once() {
    let limits = Limits {
        max_trailer_bytes: 32,
        ..Limits::default()
    };
    let input = format!("0\r\nX-Long: {}", "t".repeat(40));
    chunked_fails_with(input.as_bytes(), &limits, limit(Limit::TrailerBytes), 431);
}

#[test]
fn chunked_rejects_bare_lf_ending_the_trailer_section() {
    chunked_fails(b"5\r\nhello\r\n0\r\n\n", malformed(BareLineEnd), 400);
}

#[test]
fn chunked_rejects_bare_lf_in_trailer_line() {
    chunked_fails(b"0\r\nX: 1\n\r\n", malformed(BareLineEnd), 400);
}

#[test]
fn chunked_rejects_trailer_without_colon() {
    chunked_fails(b"0\r\nNoColon\r\n\r\n", malformed(Trailer), 400);
}

#[test]
fn chunked_rejects_whitespace_before_colon_in_trailer() {
    chunked_fails(b"0\r\nX : 1\r\n\r\n", malformed(Trailer), 400);
}

#[test]
fn chunked_rejects_obs_fold_in_trailer() {
    chunked_fails(b"0\r\nX: 1\r\n 2\r\n\r\n", malformed(Trailer), 400);
}

#[test]
fn request_trailer_obs_fold_is_400_while_a_response_one_is_unfolded() {
    // RFC 9112 §5.2: a server refuses obs-fold in a request (trailers included); only a
    // user agent reading a response replaces it with SP.
    let (msgs, end) = requests(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n 2\r\n\r\n",
    );
    assert!(msgs.is_empty());
    assert!(
        matches!(&end, End::Failed(f) if f.kind == malformed(Trailer) && f.status == Some(http::StatusCode::BAD_REQUEST)),
        "{end:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Ends of stream.

#[test]
fn chunked_cut_inside_data_is_truncated_on_close() {
    let r = decode_all_ways(Len::Chunked, b"5\r\nhel", &Limits::default(), true);
    assert_eq!(r.unwrap_err().kind, malformed(TruncatedBody));
}

#[test]
fn chunked_cut_before_final_crlf_is_truncated_on_close() {
    let r = decode_all_ways(
        Len::Chunked,
        b"5\r\nhello\r\n0\r\n",
        &Limits::default(),
        true,
    );
    assert_eq!(r.unwrap_err().kind, malformed(TruncatedBody));
}

#[test]
fn fixed_body_stops_at_its_length() {
    let o = decode_all_ways(Len::Fixed(5), b"helloGET", &Limits::default(), false).unwrap();
    assert_eq!(body(&o), b"hello");
    assert_eq!(o.rest, b"GET");
    assert!(o.done);
}

#[test]
fn fixed_zero_body_is_done_at_once() {
    let o = decode_all_ways(Len::Fixed(0), b"next", &Limits::default(), false).unwrap();
    assert!(o.data.is_empty());
    assert_eq!(o.rest, b"next");
    assert!(o.done);
}

#[test]
fn fixed_body_cut_short_is_truncated_on_close() {
    let r = decode_all_ways(Len::Fixed(10), b"hello", &Limits::default(), true);
    assert_eq!(r.unwrap_err().kind, malformed(TruncatedBody));
}

#[test]
fn close_delimited_body_ends_at_close() {
    let o = decode_all_ways(
        Len::Close,
        b"all of it\r\n0\r\n\r\n",
        &Limits::default(),
        true,
    )
    .unwrap();
    assert_eq!(body(&o), b"all of it\r\n0\r\n\r\n");
    assert!(o.done);
}

#[test]
fn fixed_decoder_counts_remaining_bytes() {
    use bytes::BytesMut;
    use cohttp_core::h1::{BodyLength, Decoded, Decoder};
    let mut d = Decoder::new(BodyLength::Fixed(5), &Limits::default());
    assert_eq!(d.remaining(), Some(5));
    let mut buf = BytesMut::from(&b"hel"[..]);
    assert!(matches!(d.decode(&mut buf).unwrap(), Decoded::Data(b) if &b[..] == b"hel"));
    assert_eq!(d.remaining(), Some(2));
    assert!(!d.is_done());
    assert!(matches!(d.decode(&mut buf).unwrap(), Decoded::NeedMore));
}

// ---------------------------------------------------------------------------------------
// Encoder.

#[test]
fn chunked_encoder_frames_chunks_and_skips_empty_ones() {
    let mut e = Encoder::for_length(TransferEncoding::Chunked);
    let mut out = Vec::new();
    e.encode(b"hello", &mut out).unwrap();
    e.encode(b"", &mut out).unwrap();
    e.encode(&[b'x'; 26], &mut out).unwrap();
    e.finish(None, &mut out).unwrap();
    let mut want = b"5\r\nhello\r\n1a\r\n".to_vec();
    want.extend_from_slice(&[b'x'; 26]);
    want.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(out, want);
    let o = chunked_ok(&out);
    assert_eq!(o.data.len(), 31);
}

#[test]
fn chunked_encoder_writes_trailers() {
    let mut e = Encoder::for_length(TransferEncoding::Chunked);
    let mut trailers = HeaderMap::new();
    trailers.insert("x-checksum", HeaderValue::from_static("abc"));
    let mut out = Vec::new();
    e.encode(b"data", &mut out).unwrap();
    e.finish(Some(&trailers), &mut out).unwrap();
    assert_eq!(out, b"4\r\ndata\r\n0\r\nx-checksum: abc\r\n\r\n");
    let o = chunked_ok(&out);
    assert_eq!(o.trailers, vec![("x-checksum".to_owned(), b"abc".to_vec())]);
}

#[test]
fn fixed_encoder_refuses_bytes_past_the_length() {
    let mut e = Encoder::for_length(TransferEncoding::Fixed(3));
    let mut out = Vec::new();
    e.encode(b"ab", &mut out).unwrap();
    assert!(e.encode(b"cd", &mut out).is_err());
}

#[test]
fn fixed_encoder_refuses_to_finish_short() {
    let mut e = Encoder::for_length(TransferEncoding::Fixed(3));
    let mut out = Vec::new();
    e.encode(b"ab", &mut out).unwrap();
    assert!(e.finish(None, &mut out).is_err());
    e.encode(b"c", &mut out).unwrap();
    e.finish(None, &mut out).unwrap();
    assert_eq!(out, b"abc");
}

// ---------------------------------------------------------------------------------------
// More chunk-line and end-of-stream cases.

#[test]
fn chunked_rejects_nul_in_size_line() {
    chunked_fails(b"5\x00\r\nhello\r\n0\r\n\r\n", malformed(ChunkSize), 400);
}

#[test]
fn chunked_rejects_quoted_extension_cut_by_line_end() {
    chunked_fails(b"0;a=\"x\r\ny\"\r\n\r\n", malformed(ChunkExtension), 400);
}

#[test]
fn chunked_size_line_of_leading_zeros_over_limit_is_rejected() {
    // The chunk line bound covers the size digits too, so padding cannot run forever.
    let input = format!("{}5\r\nhello\r\n0\r\n\r\n", "0".repeat(40));
    chunked_fails_with(
        input.as_bytes(),
        &small_ext_limits(),
        limit(Limit::ChunkExtension),
        400,
    );
}

#[test]
fn chunked_cut_inside_crlf_after_data_is_truncated_on_close() {
    let r = decode_all_ways(Len::Chunked, b"5\r\nhello\r", &Limits::default(), true);
    assert_eq!(r.unwrap_err().kind, malformed(TruncatedBody));
}

#[test]
fn chunked_cut_inside_trailers_is_truncated_on_close() {
    let r = decode_all_ways(Len::Chunked, b"0\r\nX: 1\r\n", &Limits::default(), true);
    assert_eq!(r.unwrap_err().kind, malformed(TruncatedBody));
}

#[test]
fn chunked_trailer_with_obs_text_value_is_kept() {
    let o = chunked_ok(b"0\r\nX: caf\xc3\xa9\r\n\r\n");
    assert_eq!(o.trailers, vec![("x".to_owned(), b"caf\xc3\xa9".to_vec())]);
}
