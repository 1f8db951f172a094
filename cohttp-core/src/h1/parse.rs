//! Request and response heads, and the message body length, by RFC 9112.
//!
//! Parsing is strict by default, to resist request smuggling: line ends must be CRLF
//! (§2.2), field names are tokens with no whitespace before the colon (§5.1), obs-fold
//! is refused in requests (§5.2), `Content-Length` and `Transfer-Encoding` may not
//! both be present and `Content-Length` values must agree (§6.1–6.3), a request's final
//! transfer coding must be `chunked`, and an HTTP/1.1 request needs exactly one valid
//! `Host` (§3.2). The tokenizing is `httparse`'s: for responses by `httparse` itself, for
//! requests by `request_head.rs`, which reads by its rules (the server's hot path, without
//! its header array); this module adds the rules they leave to their caller and builds
//! the `http` crate's types.
//!
//! A parse function returns `Ok(None)` while the head is incomplete, and an error as
//! soon as the bytes so far are wrong or over a limit, so the result does not depend on
//! how the input was split across reads.

use std::mem::MaybeUninit;

use bytes::{Buf, Bytes, BytesMut};
use http::header::{
    self, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING,
};
use http::uri::PathAndQuery;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, Version};
use httparse::Status;

use super::limits::Limits;
use super::recent::{HostValue, Recent, RecentFields};
use super::request_head::{read_field_line, read_request_line, FieldLine, RequestLine, Span};
use crate::error::{Error, Limit, Malformed, Result};
use crate::vocab::syntax::is_tchar;

/// How the body of a message is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// Exactly this many bytes (`0`: no body).
    Fixed(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the connection closes (responses only).
    CloseDelimited,
}

/// A parsed request head.
#[derive(Debug)]
pub struct ParsedRequest {
    /// Method, target, version and fields.
    pub head: Request<()>,
    /// How many bytes of the buffer the head used, through its empty line.
    pub head_len: usize,
    /// How the request body is delimited (never close-delimited).
    pub body: BodyLength,
    /// Whether the connection may stay open after this request (RFC 9112 §9.3).
    pub keep_alive: bool,
    /// Whether the request carries `Expect: 100-continue` (HTTP/1.1 only).
    pub expect_continue: bool,
}

impl ParsedRequest {
    /// A request still to be read, whose head took `head_len` bytes: `GET /`, no fields.
    fn empty(head_len: usize) -> ParsedRequest {
        ParsedRequest {
            head: Request::new(()),
            head_len,
            body: BodyLength::Fixed(0),
            keep_alive: false,
            expect_continue: false,
        }
    }
}

/// A parsed response head.
#[derive(Debug)]
pub struct ParsedResponse {
    /// Status, version and fields.
    pub head: Response<()>,
    /// How many bytes of the buffer the head used, through its empty line.
    pub head_len: usize,
    /// Whether the server lets the connection stay open (RFC 9112 §9.3).
    pub keep_alive: bool,
}

/// The request target exactly as it was sent, kept as an extension of the parsed
/// request when the [`Uri`] cannot reproduce it byte for byte (absolute-form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTarget(pub String);

/// Parses a request head from the start of `buf`.
///
/// `Ok(None)`: the head is not complete yet. Empty lines before the request line are
/// skipped (RFC 9112 §2.2) and counted in `head_len`.
///
/// ```
/// use cohttp_core::h1::{parse_request, Limits};
/// use cohttp_core::{ErrorKind, Malformed};
///
/// let e = parse_request(b"GET / HTTP/1.1\r\n\r\n", &Limits::default()).unwrap_err();
/// assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::Host));
/// assert_eq!(e.status().unwrap(), 400);
/// ```
pub fn parse_request(buf: &[u8], limits: &Limits) -> Result<Option<ParsedRequest>> {
    let Some((skip, scan)) = scan_request(buf, limits)? else {
        return Ok(None);
    };
    let head = &buf[skip..skip + scan.head_len];
    build_request(head, None, &scan, skip, limits, None)
}

/// Like [`parse_request`], but on a complete head also takes it off the front of `buf`,
/// and copies nothing: the target and the field values are slices of the head's bytes
/// (which stay allocated while any of them lives), and the fields go into `fields`,
/// cleared first and then taken (its capacity is reused: a server passes the header
/// map of the response it just wrote). The same rules apply, with the same errors.
///
/// On an error, the bytes of the head may have been taken off `buf`.
///
/// ```
/// use bytes::BytesMut;
/// use cohttp_core::h1::{take_request, Limits};
/// use http::HeaderMap;
///
/// let mut buf = BytesMut::from(&b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b"[..]);
/// let mut spare = HeaderMap::new();
/// let p = take_request(&mut buf, &Limits::default(), &mut spare).unwrap().unwrap();
/// assert_eq!(p.head.uri(), "/a");
/// assert_eq!(&buf[..], b"GET /b");
/// assert!(take_request(&mut buf, &Limits::default(), &mut spare).unwrap().is_none());
/// ```
pub fn take_request(
    buf: &mut BytesMut,
    limits: &Limits,
    fields: &mut HeaderMap,
) -> Result<Option<ParsedRequest>> {
    take_request_recent(buf, limits, fields, None)
}

/// [`take_request`] for a connection that remembers its last `Host` value and target
/// (`recent`): a request that repeats them reuses the values already checked (see
/// [`RecentFields`]). The request built is the same either way.
pub(crate) fn take_request_recent(
    buf: &mut BytesMut,
    limits: &Limits,
    fields: &mut HeaderMap,
    recent: Option<&mut RecentFields>,
) -> Result<Option<ParsedRequest>> {
    let mut lines = [CleanField::default(); CLEAN_FIELDS];
    if let Some(clean) = read_clean_head(buf, limits, &mut lines) {
        buf.advance(clean.skip);
        let head = buf.split_to(clean.head_len).freeze();
        return build_clean_request(&clean, &lines, &head, fields, recent);
    }
    let Some((skip, scan)) = scan_request(buf, limits)? else {
        return Ok(None);
    };
    buf.advance(skip);
    let head = buf.split_to(scan.head_len).freeze();
    build_request(&head, Some(&head), &scan, skip, limits, Some(fields))
}

/// How many field lines [`read_clean_head`] keeps track of; a head with more goes the
/// general way.
const CLEAN_FIELDS: usize = 16;

/// Where a field line [`read_clean_head`] read is, in the bytes after `skip`: its name's
/// start and end, its value's start and end. Positions fit in 16 bits (a head that does
/// not goes the general way): the array of them, made for every request, stays small
/// (zeroing 16 pairs of [`Span`]s, 512 bytes, was a `memset` call per request).
type CleanField = [u16; 4];

/// A [`FieldLine`] as a [`CleanField`], if its positions fit.
fn compact((name, value): FieldLine) -> Option<CleanField> {
    let at = |i: usize| u16::try_from(i).ok();
    Some([
        at(name.start())?,
        at(name.end())?,
        at(value.start())?,
        at(value.end())?,
    ])
}

/// A complete request head read in one pass, every line of it well-formed, ended by CRLF
/// and within the limits: where its parts are, in the bytes after `skip` (its field
/// lines are in an array beside it).
struct CleanHead {
    /// Bytes of empty lines before the request line.
    skip: usize,
    /// Bytes of the head after `skip`, through the empty line.
    head_len: usize,
    line: RequestLine,
    /// How many field lines the head has.
    count: usize,
}

/// The server's one pass over a request head, for the common case.
///
/// The general way scans the head for its end (`scan_head`: line ends, NUL, obs-fold,
/// limits), then reads it (`request_head.rs`). Here the reader runs first, on the
/// buffer, and the head is taken only if every line it read is what `scan_head`'s fast
/// path takes without a second look (no CR, LF or NUL inside, ended by CRLF, within
/// the limits), up to the empty line: the scan would then have found this same end, and
/// reading the head alone gives what was read here. Anything else (incomplete, refused,
/// a line end or a limit not met, an `HTTP/1.x` to rewrite, more than [`CLEAN_FIELDS`]
/// fields) is `None`, and the general way answers, exactly as before. The field lines go
/// into `fields`, in order.
fn read_clean_head(
    buf: &[u8],
    limits: &Limits,
    fields: &mut [CleanField; CLEAN_FIELDS],
) -> Option<CleanHead> {
    let skip = leading_empty_lines(buf);
    if skip > limits.max_head_bytes {
        return None;
    }
    let b = buf.get(skip..)?;
    // The reader also skips bare LFs before the request line; scan_head refuses them.
    if matches!(b.first(), None | Some(b'\r' | b'\n')) {
        return None;
    }
    // A line that ends at `end` (after its line end) ended with CRLF, within the limit.
    let clean_end =
        |end: usize| end <= limits.max_head_bytes && end >= 2 && b.get(end - 2) == Some(&b'\r');
    let (line, mut at) = match read_request_line(b) {
        Ok(Status::Complete(read)) => read,
        _ => return None,
    };
    if !clean_end(at) || line.end > limits.max_start_line {
        return None;
    }
    let mut count = 0;
    loop {
        match read_field_line(b, at) {
            Ok(Status::Complete((None, end))) if clean_end(end) => {
                return Some(CleanHead {
                    skip,
                    head_len: end,
                    line,
                    count,
                });
            }
            Ok(Status::Complete((Some(field), next)))
                if clean_end(next) && count < limits.max_headers =>
            {
                *fields.get_mut(count)? = compact(field)?;
                count += 1;
                at = next;
            }
            _ => return None,
        }
    }
}

/// Builds the request [`read_clean_head`] read, from the head's bytes `head`, into the
/// `spare` map (see [`build_request`]).
fn build_clean_request(
    clean: &CleanHead,
    fields: &[CleanField],
    head: &Bytes,
    spare: &mut HeaderMap,
    mut recent: Option<&mut RecentFields>,
) -> Result<Option<ParsedRequest>> {
    let mut parsed = ParsedRequest::empty(clean.skip + clean.head_len);
    let mut pending = take_map(&mut parsed.head, Some(spare), clean.count);
    let map = parsed.head.headers_mut();
    let mut seen = Seen::default();
    for &[name_start, name_end, value_start, value_end] in fields.iter().take(clean.count) {
        if pending.is_some() {
            break;
        }
        let name = Span::new(name_start.into(), name_end.into());
        let (start, end) = (usize::from(value_start), usize::from(value_end));
        // The positions are the reader's, in `head`: the slice is in bounds.
        let value = head.get(start..end).unwrap_or_default();
        let host = recent.as_deref_mut().map(|r| &mut r.host);
        pending = add_field_bytes(
            map,
            &mut seen,
            name.of(head),
            value,
            || head.slice(start..end),
            host,
        )
        .err();
    }
    let target = clean.line.target;
    let target = TargetBytes {
        bytes: || head.slice(target.start()..target.end()),
        recent: recent.map(|r| &mut r.target),
    };
    finish_request(&mut parsed, &clean.line, head, seen, pending, target)?;
    Ok(Some(parsed))
}

/// Readies `request`'s map for `fields` fields; more than a map can hold is the pending
/// error returned. With `spare`, the map is that one (emptied; the request's own empty
/// map is left in its place), so no map is made per request.
fn take_map(
    request: &mut Request<()>,
    spare: Option<&mut HeaderMap>,
    fields: usize,
) -> Option<Error> {
    if let Some(spare) = spare {
        // The server's spare map comes cleared already (`clear` walks the whole index).
        if !spare.is_empty() {
            spare.clear();
        }
        std::mem::swap(request.headers_mut(), spare);
    }
    request
        .headers_mut()
        .try_reserve(fields)
        .err()
        .map(|_| Error::limit(Limit::HeaderCount))
}

/// Skips the empty lines before a request line and finds the end of the head.
fn scan_request(buf: &[u8], limits: &Limits) -> Result<Option<(usize, Scan)>> {
    let skip = leading_empty_lines(buf);
    if skip > limits.max_head_bytes {
        return Err(Error::limit(Limit::HeaderBytes));
    }
    Ok(scan_head(&buf[skip..], limits, Limit::RequestLine, Side::Request)?.map(|s| (skip, s)))
}

/// Builds a request from its complete head `buf` (`scan` found its end). With `shared`
/// (the same bytes, shared), the target and field values are slices of it; otherwise
/// copies. With `spare`, the fields go into that map, cleared first, and the request's
/// own empty map is left in its place.
fn build_request(
    buf: &[u8],
    shared: Option<&Bytes>,
    scan: &Scan,
    skip: usize,
    limits: &Limits,
    spare: Option<&mut HeaderMap>,
) -> Result<Option<ParsedRequest>> {
    let start_line = &buf[..scan.start_line_len];
    let compat = higher_minor_version(start_line, Side::Request)
        .map(|i| with_minor_one(&buf[..scan.head_len], i));
    // A rewritten head is a copy: slices of it cannot share the original's bytes.
    let shared = if compat.is_some() { None } else { shared };
    let to_bytes = |s: &[u8]| match shared {
        Some(b) => b.slice_ref(s),
        None => Bytes::copy_from_slice(s),
    };
    let head_bytes = compat.as_deref().unwrap_or(&buf[..scan.head_len]);
    let syntax = |e| map_httparse(e, Side::Request, start_line);
    // scan_head saw the empty line, so a partial answer cannot happen.
    let partial = || Error::malformed(Malformed::StartLine);
    let (line, mut at) = match read_request_line(head_bytes).map_err(syntax)? {
        Status::Complete(read) => read,
        Status::Partial => return Err(partial()),
    };

    // The fields are built in place in the request's map (after a swap with the spare
    // one, if any): no second map to make and drop. They are built as their lines are
    // read, but what building finds wrong is answered in the order it always was: after
    // any syntax error of the whole head, and after the method and the target.
    let mut parsed = ParsedRequest::empty(skip + scan.head_len);
    let mut pending = take_map(&mut parsed.head, spare, scan.fields);
    let map = parsed.head.headers_mut();
    let mut seen = Seen::default();
    let mut count = 0;
    loop {
        match read_field_line(head_bytes, at).map_err(syntax)? {
            Status::Partial => return Err(partial()),
            Status::Complete((None, _)) => break,
            Status::Complete((Some((name, value)), next)) => {
                if count == limits.max_headers {
                    return Err(syntax(httparse::Error::TooManyHeaders));
                }
                count += 1;
                if pending.is_none() {
                    pending = add_field(
                        map,
                        &mut seen,
                        name.of(head_bytes),
                        value.of(head_bytes),
                        &to_bytes,
                    )
                    .err();
                }
                at = next;
            }
        }
    }

    let target = TargetBytes {
        bytes: || to_bytes(line.target.of(head_bytes)),
        recent: None,
    };
    finish_request(&mut parsed, &line, head_bytes, seen, pending, target)?;
    Ok(Some(parsed))
}

/// The rest of a request once its head is read and its fields are in `head`'s map (or
/// `pending` says what building them found wrong): the method, the version, the target,
/// framing, `Host`, persistence, set in `parsed` (made by [`ParsedRequest::empty`] and
/// returned by the caller: the ~250-byte request is built where it is returned, not
/// moved there).
fn finish_request(
    parsed: &mut ParsedRequest,
    line: &RequestLine,
    head_bytes: &[u8],
    seen: Seen<'_>,
    pending: Option<Error>,
    target: TargetBytes<'_, impl FnOnce() -> Bytes>,
) -> Result<()> {
    let head = &mut parsed.head;
    let method = match line.method.of(head_bytes) {
        b"GET" => Method::GET,
        m => Method::from_bytes(m).map_err(|_| Error::malformed(Malformed::Method))?,
    };
    let version = match line.minor {
        0 => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let (uri, raw_target) = parse_target(
        &method,
        line.target.of(head_bytes),
        line.target_ascii,
        target,
    )?;
    if let Some(e) = pending {
        return Err(e);
    }
    let fields = head.headers();
    let framing = if seen.transfer_encoding || seen.content_length {
        request_framing(fields, version)?
    } else {
        BodyLength::Fixed(0)
    };
    check_host(&seen, version)?;

    let keep_alive = if seen.connection {
        keep_alive(version, fields)
    } else {
        version == Version::HTTP_11
    };
    let expect_continue = seen.expect
        && version == Version::HTTP_11
        && fields
            .get_all(EXPECT)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));

    *head.method_mut() = method;
    *head.uri_mut() = uri;
    *head.version_mut() = version;
    if let Some(raw) = raw_target {
        head.extensions_mut().insert(raw);
    }
    parsed.body = framing;
    parsed.keep_alive = keep_alive;
    parsed.expect_continue = expect_continue;
    Ok(())
}

/// Parses a response head from the start of `buf`.
///
/// `Ok(None)`: the head is not complete yet. Interim (1xx) responses are returned like
/// any other; the caller skips them. Obs-fold in a response is unfolded into spaces
/// (RFC 9112 §5.2).
///
/// ```
/// use cohttp_core::h1::{parse_response, Limits};
///
/// let r = parse_response(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", &Limits::default())
///     .unwrap()
///     .unwrap();
/// assert_eq!(r.head.status(), 200);
/// assert!(r.keep_alive);
/// ```
pub fn parse_response(buf: &[u8], limits: &Limits) -> Result<Option<ParsedResponse>> {
    let Some(scan) = scan_head(buf, limits, Limit::StatusLine, Side::Response)? else {
        return Ok(None);
    };
    let (parsed, _) = build_response(buf, None, &scan, limits)?;
    Ok(Some(parsed))
}

/// Like [`parse_response`], but takes the head off the front of `buf` (`head_len` bytes,
/// already gone when this returns a response) and the field values are slices of it, not
/// copies (the client's reader uses this).
///
/// ```
/// use bytes::BytesMut;
/// use cohttp_core::h1::{take_response, Limits};
///
/// let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"[..]);
/// let r = take_response(&mut buf, &Limits::default()).unwrap().unwrap();
/// assert_eq!(r.head.headers()["content-length"], "2");
/// assert_eq!(&buf[..], b"hi");
/// ```
pub fn take_response(buf: &mut BytesMut, limits: &Limits) -> Result<Option<ParsedResponse>> {
    Ok(take_framed_response(buf, limits)?.map(|(parsed, _)| parsed))
}

/// [`take_response`], with the framing the head declares (read while its fields were, so
/// the client's reader finds the body length without looking the fields up again).
pub(crate) fn take_framed_response(
    buf: &mut BytesMut,
    limits: &Limits,
) -> Result<Option<(ParsedResponse, ResponseFraming)>> {
    let Some(scan) = scan_head(buf, limits, Limit::StatusLine, Side::Response)? else {
        return Ok(None);
    };
    let head = buf.split_to(scan.head_len).freeze();
    build_response(&head, Some(&head), &scan, limits).map(Some)
}

/// Builds a response from its complete head `buf` (`scan` found its end). With `shared`
/// (the same bytes, shared), field values are slices of it; otherwise copies.
fn build_response(
    buf: &[u8],
    shared: Option<&Bytes>,
    scan: &Scan,
    limits: &Limits,
) -> Result<(ParsedResponse, ResponseFraming)> {
    let start_line = &buf[..scan.start_line_len];
    let rewritten = match (
        scan.obs_fold,
        higher_minor_version(start_line, Side::Response),
    ) {
        (false, None) => None,
        (true, None) => Some(unfold(&buf[..scan.head_len])),
        (fold, Some(i)) => {
            let head = with_minor_one(&buf[..scan.head_len], i);
            Some(if fold { unfold(&head) } else { head })
        }
    };
    let head_bytes = rewritten.as_deref().unwrap_or(&buf[..scan.head_len]);
    // A rewritten head is a copy: slices of it cannot share the original's bytes.
    let shared = if rewritten.is_some() { None } else { shared };
    let to_bytes = |s: &[u8]| match shared {
        Some(b) => b.slice_ref(s),
        None => Bytes::copy_from_slice(s),
    };

    // The header array is left uninitialized (httparse fills what it parses; `parse` would
    // first have 100 entries initialized), with the configuration `parse` uses.
    let mut storage = [MaybeUninit::<httparse::Header<'_>>::uninit(); 100];
    let mut heap;
    let headers: &mut [MaybeUninit<httparse::Header<'_>>] = if limits.max_headers <= storage.len() {
        &mut storage[..limits.max_headers]
    } else {
        heap = vec![MaybeUninit::uninit(); limits.max_headers];
        &mut heap
    };
    let mut res = httparse::Response::new(&mut []);
    let status = httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut res, head_bytes, headers)
        .map_err(|e| map_httparse(e, Side::Response, start_line))?;
    if status.is_partial() {
        return Err(Error::malformed(Malformed::StartLine));
    }
    let version = match res.version {
        Some(0) => Version::HTTP_10,
        Some(1) => Version::HTTP_11,
        _ => return Err(Error::malformed(Malformed::Version)),
    };
    let code = res.code.unwrap_or(0);
    if !(100..=999).contains(&code) {
        return Err(Error::malformed(Malformed::Status));
    }
    let status = StatusCode::from_u16(code).map_err(|_| Error::malformed(Malformed::Status))?;
    // The fields go straight into the head's own (empty) map.
    let mut head = Response::new(());
    let raw: &[httparse::Header<'_>] = res.headers;
    let seen = build_headers(raw, head.headers_mut(), &to_bytes)?;
    // The framing fields are read from the raw fields just validated (the same values, in
    // the same order as the map holds them), and only when the head has them: no look-up.
    let framing = ResponseFraming::read(
        seen.transfer_encoding,
        seen.content_length,
        raw_values(raw, "transfer-encoding"),
        raw_values(raw, "content-length"),
    )?;
    let keep_alive = if seen.connection {
        keep_alive(version, head.headers())
    } else {
        version == Version::HTTP_11
    };
    *head.status_mut() = status;
    *head.version_mut() = version;
    let parsed = ParsedResponse {
        head,
        head_len: scan.head_len,
        keep_alive,
    };
    Ok((parsed, framing))
}

/// The values (trimmed, as the field map holds them) of the raw fields named `name`
/// (lowercase letters and `-`), in order. The raw names are valid tokens (the map took
/// them): setting bit 0x20 of a token byte gives a lowercase letter or `-` only from that
/// letter in either case or from `-`, so this compares as `eq_ignore_ascii_case`, cheaper.
fn raw_values<'a>(
    raw: &'a [httparse::Header<'a>],
    name: &'static str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    raw.iter()
        .take_while(|h| !h.name.is_empty())
        .filter(move |h| {
            h.name.len() == name.len()
                && h.name.bytes().zip(name.bytes()).all(|(a, b)| a | 0x20 == b)
        })
        .map(|h| trim(h.value))
}

/// What a response head declares about its body, whatever the request: the transfer
/// codings (then no `Content-Length`: both are refused) or the one `Content-Length`.
/// Reading it applies the method-independent framing rules (with their errors); the
/// body length then depends on the request method and the status ([`Self::body_length`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResponseFraming {
    codings: Option<Codings>,
    content_length: Option<u64>,
}

impl ResponseFraming {
    /// Reads the framing from the `Transfer-Encoding` and `Content-Length` values (read
    /// only when `has_te`, `has_cl` say the head has such fields): `Content-Length` with
    /// `Transfer-Encoding` is refused, codings must be well-formed, `Content-Length` values
    /// must agree.
    fn read<'a>(
        has_te: bool,
        has_cl: bool,
        te: impl Iterator<Item = &'a [u8]>,
        cl: impl Iterator<Item = &'a [u8]>,
    ) -> Result<ResponseFraming> {
        if has_te {
            if has_cl {
                return Err(Error::malformed(
                    Malformed::ContentLengthWithTransferEncoding,
                ));
            }
            return Ok(ResponseFraming {
                codings: Some(codings_in(te)?),
                content_length: None,
            });
        }
        let content_length = if has_cl { content_length_in(cl)? } else { None };
        Ok(ResponseFraming {
            codings: None,
            content_length,
        })
    }

    /// Reads the framing from a head's field map.
    fn of_headers(headers: &HeaderMap) -> Result<ResponseFraming> {
        ResponseFraming::read(
            headers.contains_key(TRANSFER_ENCODING),
            headers.contains_key(CONTENT_LENGTH),
            headers
                .get_all(TRANSFER_ENCODING)
                .iter()
                .map(|v| v.as_bytes()),
            headers.get_all(CONTENT_LENGTH).iter().map(|v| v.as_bytes()),
        )
    }

    /// The body length of this response (`status`, `version`) to a request with
    /// `method`, by RFC 9112 §6.3 (see [`response_body_length`]).
    pub(crate) fn body_length(
        &self,
        method: &Method,
        status: StatusCode,
        version: Version,
    ) -> Result<BodyLength> {
        if has_no_body(method, status) {
            return Ok(BodyLength::Fixed(0));
        }
        if let Some(codings) = self.codings {
            if version == Version::HTTP_10 {
                // RFC 9112 §6.1: framing of an HTTP/1.0 message with Transfer-Encoding is
                // faulty; read it to the close.
                return Ok(BodyLength::CloseDelimited);
            }
            return match codings.last {
                Coding::Chunked if codings.chunked == 1 => Ok(BodyLength::Chunked),
                Coding::Chunked => Err(Error::malformed(Malformed::TransferEncoding)),
                _ => Ok(BodyLength::CloseDelimited),
            };
        }
        Ok(match self.content_length {
            Some(n) => BodyLength::Fixed(n),
            None => BodyLength::CloseDelimited,
        })
    }
}

/// Whether a response with `status` to a request with `method` has no body, whatever
/// its fields say: to `HEAD`, a 1xx, 204 or 304, a 2xx to `CONNECT`.
fn has_no_body(method: &Method, status: StatusCode) -> bool {
    method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || (method == Method::CONNECT && status.is_success())
}

/// The body length of a response to a request with `method` (RFC 9112 §6.3).
///
/// A response to `HEAD`, a 1xx, 204 or 304, and a 2xx to `CONNECT` have no body;
/// `Transfer-Encoding` ending in `chunked` is chunked, and not ending in it is
/// close-delimited; otherwise `Content-Length`, or close-delimited without one.
///
/// ```
/// use cohttp_core::h1::{response_body_length, BodyLength};
/// use http::{Method, Response};
///
/// let mut r = Response::new(());
/// r.headers_mut().insert("content-length", "5".parse().unwrap());
/// assert_eq!(response_body_length(&Method::GET, &r).unwrap(), BodyLength::Fixed(5));
/// assert_eq!(response_body_length(&Method::HEAD, &r).unwrap(), BodyLength::Fixed(0));
/// ```
pub fn response_body_length(method: &Method, head: &Response<()>) -> Result<BodyLength> {
    if has_no_body(method, head.status()) {
        return Ok(BodyLength::Fixed(0));
    }
    ResponseFraming::of_headers(head.headers())?.body_length(method, head.status(), head.version())
}

/// Whether the `Connection` fields hold `token` (case-insensitive, in comma lists,
/// across every `Connection` field).
///
/// ```
/// use cohttp_core::h1::connection_has;
/// use http::HeaderMap;
///
/// let mut h = HeaderMap::new();
/// h.append("connection", "Upgrade, Close".parse().unwrap());
/// assert!(connection_has(&h, "close"));
/// assert!(!connection_has(&h, "keep-alive"));
/// ```
pub fn connection_has(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|t| trim(t).eq_ignore_ascii_case(token.as_bytes()))
}

// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

struct Scan {
    /// Bytes of the head, through the empty line.
    head_len: usize,
    /// Field lines (obs-fold continuation lines not counted).
    fields: usize,
    /// Bytes of the start line, without its CRLF.
    start_line_len: usize,
    /// A field line began with whitespace (responses only; requests are refused).
    obs_fold: bool,
}

/// Counts the bytes of empty lines (CRLF) before a request line.
pub(crate) fn leading_empty_lines(buf: &[u8]) -> usize {
    let mut i = 0;
    while buf.len() >= i + 2 && buf[i] == b'\r' && buf[i + 1] == b'\n' {
        i += 2;
    }
    i
}

/// Finds the end of the head, checking line ends, obs-fold and the limits on the way.
/// `Ok(None)`: more bytes are needed.
fn scan_head(buf: &[u8], limits: &Limits, start_limit: Limit, side: Side) -> Result<Option<Scan>> {
    let mut line_start = 0;
    let mut start_line_len = None;
    let mut fields = 0usize;
    let mut obs_fold = false;
    // Fast path: whole lines free of anything the byte loop below would refuse (a
    // CR, LF or NUL before the line's CRLF; a limit passed) are taken a line at a time,
    // by a search for the first CR, LF or NUL. The first line that is not such a line
    // (or not complete yet) goes to the byte loop, which then sees exactly the state it
    // would have reached by itself: the answer does not change, only its cost.
    while let Some(at) = buf[line_start..]
        .iter()
        .position(|&b| matches!(b, b'\r' | b'\n' | 0))
    {
        let cr = line_start + at;
        if buf[cr] != b'\r' || buf.get(cr + 1) != Some(&b'\n') || cr + 2 > limits.max_head_bytes {
            break;
        }
        let line_len = cr - line_start;
        match start_line_len {
            None => {
                if line_len == 0 || line_len > limits.max_start_line {
                    break;
                }
                start_line_len = Some(line_len);
            }
            Some(s) if line_len == 0 => {
                return Ok(Some(Scan {
                    head_len: cr + 2,
                    fields,
                    start_line_len: s,
                    obs_fold,
                }));
            }
            Some(_) if matches!(buf[line_start], b' ' | b'\t') => {
                if side == Side::Request || fields == 0 {
                    break;
                }
                obs_fold = true;
            }
            Some(_) => {
                if fields >= limits.max_headers {
                    break;
                }
                fields += 1;
            }
        }
        line_start = cr + 2;
    }
    let mut i = line_start;
    while i < buf.len() {
        // A CR not followed by LF is refused at the byte after it, never by looking
        // ahead: every check here looks only at bytes up to `i`, so the answer for a
        // prefix is the one a byte-by-byte reader gets, whatever the read boundaries.
        if i > 0 && buf[i - 1] == b'\r' && buf[i] != b'\n' {
            return Err(Error::malformed(Malformed::BareLineEnd));
        }
        match buf[i] {
            b'\n' => {
                if i == 0 || buf[i - 1] != b'\r' {
                    return Err(Error::malformed(Malformed::BareLineEnd));
                }
                let line_len = i - 1 - line_start;
                match start_line_len {
                    None => {
                        if line_len > limits.max_start_line {
                            return Err(Error::limit(start_limit));
                        }
                        if line_len == 0 {
                            return Err(Error::malformed(Malformed::StartLine));
                        }
                        start_line_len = Some(line_len);
                    }
                    Some(s) => {
                        if line_len == 0 {
                            return Ok(Some(Scan {
                                head_len: i + 1,
                                fields,
                                start_line_len: s,
                                obs_fold,
                            }));
                        }
                        if matches!(buf[line_start], b' ' | b'\t') {
                            // A line starting with whitespace: obs-fold (RFC 9112 §5.2),
                            // or, right after the start line, the §2.2 case: refused.
                            if side == Side::Request || fields == 0 {
                                return Err(Error::malformed(Malformed::ObsFold));
                            }
                            obs_fold = true;
                        } else {
                            fields += 1;
                            if fields > limits.max_headers {
                                return Err(Error::limit(Limit::HeaderCount));
                            }
                        }
                    }
                }
                line_start = i + 1;
            }
            0 => {
                return Err(Error::malformed(if start_line_len.is_none() {
                    Malformed::StartLine
                } else if buf[line_start..i].contains(&b':')
                    || matches!(buf.get(line_start), Some(b' ' | b'\t'))
                {
                    Malformed::HeaderValue
                } else {
                    Malformed::HeaderName
                }));
            }
            _ => {}
        }
        i += 1;
        if start_line_len.is_none() && i - line_start > limits.max_start_line + 1 {
            return Err(Error::limit(start_limit));
        }
        if i > limits.max_head_bytes {
            return Err(Error::limit(Limit::HeaderBytes));
        }
    }
    Ok(None)
}

/// Replaces each obs-fold (CRLF followed by whitespace) with spaces.
fn unfold(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len());
    let mut i = 0;
    while i < head.len() {
        if head[i] == b'\r'
            && head.get(i + 1) == Some(&b'\n')
            && matches!(head.get(i + 2), Some(b' ' | b'\t'))
        {
            out.extend_from_slice(b"  ");
            i += 2;
        } else {
            out.push(head[i]);
            i += 1;
        }
    }
    out
}

/// Where the minor digit of an `HTTP/1.x` version with `x` above 1 sits in the start
/// line, if it has one.
///
/// RFC 9110 §2.5: a recipient that implements major version 1 and receives a higher
/// minor version SHOULD process the message as the highest minor version it conforms to.
/// Such a message is therefore read as HTTP/1.1 (its rules for Host and persistence
/// included), not refused with 505: 1.x versions are compatible by definition.
fn higher_minor_version(start_line: &[u8], side: Side) -> Option<usize> {
    let (at, token) = match side {
        Side::Request => {
            let sp = start_line.iter().rposition(|&b| b == b' ')?;
            (sp + 1, &start_line[sp + 1..])
        }
        Side::Response => (0, start_line.get(..8)?),
    };
    match token {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'2'..=b'9'] => {
            if side == Side::Response && !matches!(start_line.get(8), Some(b' ')) {
                return None;
            }
            Some(at + 7)
        }
        _ => None,
    }
}

/// A copy of `head` with the version's minor digit (at `at`) made `1`.
fn with_minor_one(head: &[u8], at: usize) -> Vec<u8> {
    let mut v = head.to_vec();
    if let Some(d) = v.get_mut(at) {
        *d = b'1';
    }
    v
}

fn map_httparse(e: httparse::Error, side: Side, start_line: &[u8]) -> Error {
    use httparse::Error as E;
    match e {
        E::HeaderName => Error::malformed(Malformed::HeaderName),
        E::HeaderValue => Error::malformed(Malformed::HeaderValue),
        // Line ends were checked before httparse ran (every LF has its CR), so a
        // "new line" error means something else stood where the start line had to end
        // (`HTTP/1.10`, a space after the version...).
        E::NewLine => Error::malformed(match side {
            Side::Request => classify_request_line(start_line),
            Side::Response => classify_version(start_line, side),
        }),
        E::Status => Error::malformed(Malformed::Status),
        E::TooManyHeaders => Error::limit(Limit::HeaderCount),
        E::Token => match side {
            Side::Request => Error::malformed(classify_request_line(start_line)),
            Side::Response => Error::malformed(Malformed::StartLine),
        },
        E::Version => Error::malformed(classify_version(start_line, side)),
    }
}

/// Names what is wrong with a request line httparse refused: its shape (a separator
/// other than one SP, a missing part), the method, the target or the version.
fn classify_request_line(line: &[u8]) -> Malformed {
    if line.first() == Some(&b' ') || line.contains(&b'\t') {
        return Malformed::StartLine;
    }
    let mut parts = line.split(|&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Malformed::Method;
    }
    match (parts.next(), parts.next(), parts.next()) {
        (Some(target), Some(_), None) if !target.is_empty() => {
            if target.iter().any(|&b| b <= b' ' || b >= 0x7f) {
                Malformed::Target
            } else {
                classify_version(line, Side::Request)
            }
        }
        _ => Malformed::StartLine,
    }
}

/// A well-formed version other than 1.0 and 1.1 is unsupported (505); anything else
/// in the version's place is malformed (400).
fn classify_version(line: &[u8], side: Side) -> Malformed {
    let token = match side {
        Side::Request => {
            let mut parts = line.split(|&b| b == b' ');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(_), Some(_), Some(v), None) => v,
                _ => return Malformed::StartLine,
            }
        }
        Side::Response => line.split(|&b| b == b' ').next().unwrap_or_default(),
    };
    match token {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Malformed::UnsupportedVersion
        }
        _ => Malformed::Version,
    }
}

/// Which of the fields that framing, persistence and `Host` depend on a head has: when
/// one is absent, its rule needs no look-up; `Host` is checked from here.
#[derive(Default, Clone, Copy)]
struct Seen<'a> {
    transfer_encoding: bool,
    content_length: bool,
    connection: bool,
    expect: bool,
    /// How many `Host` fields (counting stops at 2), and the value of the first.
    hosts: u8,
    host: &'a [u8],
    /// Whether the first `Host` value is valid, when already known (see [`HostValue`]).
    host_valid: Option<bool>,
}

/// A field name that one of the head's rules looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Host,
    TransferEncoding,
    ContentLength,
    Connection,
    Expect,
    Other,
}

/// Field names browsers and proxies send that the `http` crate has no constant for:
/// made once here, so that a request carrying them allocates nothing for its names
/// (`HeaderName::from_bytes` copies a name it does not know).
const PRIORITY: HeaderName = HeaderName::from_static("priority");
const SEC_CH_UA: HeaderName = HeaderName::from_static("sec-ch-ua");
const SEC_CH_UA_MOBILE: HeaderName = HeaderName::from_static("sec-ch-ua-mobile");
const SEC_CH_UA_PLATFORM: HeaderName = HeaderName::from_static("sec-ch-ua-platform");
const SEC_FETCH_DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");
const SEC_FETCH_MODE: HeaderName = HeaderName::from_static("sec-fetch-mode");
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
const SEC_FETCH_USER: HeaderName = HeaderName::from_static("sec-fetch-user");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
const X_REQUESTED_WITH: HeaderName = HeaderName::from_static("x-requested-with");

/// A field name matched directly: its lowercase spelling, the name, its rule.
type Known = (&'static [u8], HeaderName, Field);

/// The directly matched names, by length (statics: made once, never dropped).
static KNOWN_4: [Known; 1] = [(b"host", HOST, Field::Host)];
static KNOWN_6: [Known; 4] = [
    (b"accept", header::ACCEPT, Field::Other),
    (b"expect", EXPECT, Field::Expect),
    (b"cookie", header::COOKIE, Field::Other),
    (b"origin", header::ORIGIN, Field::Other),
];
static KNOWN_7: [Known; 1] = [(b"referer", header::REFERER, Field::Other)];
static KNOWN_8: [Known; 1] = [(b"priority", PRIORITY, Field::Other)];
static KNOWN_9: [Known; 2] = [
    (b"sec-ch-ua", SEC_CH_UA, Field::Other),
    (b"x-real-ip", X_REAL_IP, Field::Other),
];
static KNOWN_10: [Known; 2] = [
    (b"connection", CONNECTION, Field::Connection),
    (b"user-agent", header::USER_AGENT, Field::Other),
];
static KNOWN_12: [Known; 1] = [(b"content-type", header::CONTENT_TYPE, Field::Other)];
static KNOWN_13: [Known; 2] = [
    (b"cache-control", header::CACHE_CONTROL, Field::Other),
    (b"authorization", header::AUTHORIZATION, Field::Other),
];
static KNOWN_14: [Known; 5] = [
    (b"content-length", CONTENT_LENGTH, Field::ContentLength),
    (b"sec-fetch-dest", SEC_FETCH_DEST, Field::Other),
    (b"sec-fetch-mode", SEC_FETCH_MODE, Field::Other),
    (b"sec-fetch-site", SEC_FETCH_SITE, Field::Other),
    (b"sec-fetch-user", SEC_FETCH_USER, Field::Other),
];
static KNOWN_15: [Known; 3] = [
    (b"accept-encoding", header::ACCEPT_ENCODING, Field::Other),
    (b"accept-language", header::ACCEPT_LANGUAGE, Field::Other),
    (b"x-forwarded-for", X_FORWARDED_FOR, Field::Other),
];
static KNOWN_16: [Known; 2] = [
    (b"sec-ch-ua-mobile", SEC_CH_UA_MOBILE, Field::Other),
    (b"x-requested-with", X_REQUESTED_WITH, Field::Other),
];
static KNOWN_17: [Known; 2] = [
    (
        b"transfer-encoding",
        TRANSFER_ENCODING,
        Field::TransferEncoding,
    ),
    (b"x-forwarded-proto", X_FORWARDED_PROTO, Field::Other),
];
static KNOWN_18: [Known; 1] = [(b"sec-ch-ua-platform", SEC_CH_UA_PLATFORM, Field::Other)];
static KNOWN_25: [Known; 1] = [(
    b"upgrade-insecure-requests",
    header::UPGRADE_INSECURE_REQUESTS,
    Field::Other,
)];

/// The name of a field, with which rule it feeds. The names most requests carry are
/// matched here directly (case-insensitively, as `HeaderName::from_bytes` lowercases
/// them, so the name is the same); any other goes through `HeaderName::from_bytes`.
/// Every name of a [`Field`] other than `Other` is among the direct ones.
fn field_name(name: &[u8]) -> Result<(HeaderName, Field)> {
    let known: &[Known] = match name.len() {
        4 => &KNOWN_4,
        6 => &KNOWN_6,
        7 => &KNOWN_7,
        8 => &KNOWN_8,
        9 => &KNOWN_9,
        10 => &KNOWN_10,
        12 => &KNOWN_12,
        13 => &KNOWN_13,
        14 => &KNOWN_14,
        15 => &KNOWN_15,
        16 => &KNOWN_16,
        17 => &KNOWN_17,
        18 => &KNOWN_18,
        25 => &KNOWN_25,
        _ => &[],
    };
    for (lower, header, field) in known {
        if eq_lowercase(name, lower) {
            return Ok((header.clone(), *field));
        }
    }
    let header =
        HeaderName::from_bytes(name).map_err(|_| Error::malformed(Malformed::HeaderName))?;
    Ok((header, Field::Other))
}

/// Whether `name` is `lower` but for the case of its letters (`name.eq_ignore_ascii_case
/// (lower)`), for `lower` of lowercase ASCII: compared 8 (or 4) bytes at a time, the
/// last word overlapping the one before it.
fn eq_lowercase(name: &[u8], lower: &[u8]) -> bool {
    let n = lower.len();
    if name.len() != n {
        return false;
    }
    if n >= 8 {
        let word = |b: &[u8], i: usize| {
            b.get(i..i + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map_or(0, u64::from_le_bytes)
        };
        let mut i = 0;
        while i + 8 < n {
            if !word_eq_lowercase(word(name, i), word(lower, i)) {
                return false;
            }
            i += 8;
        }
        word_eq_lowercase(word(name, n - 8), word(lower, n - 8))
    } else if n >= 4 {
        let half = |b: &[u8], i: usize| {
            b.get(i..i + 4)
                .and_then(|w| <[u8; 4]>::try_from(w).ok())
                .map_or(0, |w| u64::from(u32::from_le_bytes(w)))
        };
        word_eq_lowercase(half(name, 0), half(lower, 0))
            && word_eq_lowercase(half(name, n - 4), half(lower, n - 4))
    } else {
        name.eq_ignore_ascii_case(lower)
    }
}

/// [`eq_lowercase`] for one word: `lower`'s bytes are ASCII (below 0x80), lowercase.
/// Where `lower` has a letter, `0x20` is set in `name`'s byte before comparing, which
/// makes exactly that letter's two cases equal to it; elsewhere the bytes must be equal.
fn word_eq_lowercase(name: u64, lower: u64) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    // 0x80 in each byte from `a` on, and (no carry: bytes below 0x80) each above `z`.
    let from_a = lower.wrapping_add(ONES * (0x80 - u64::from(b'a')));
    let above_z = lower.wrapping_add(ONES * (0x80 - u64::from(b'z') - 1));
    let letters = (from_a & !above_z & (ONES << 7)) >> 2;
    name | letters == lower
}

/// Builds the `http` crate's field map into `map` (empty), validating names and values.
fn build_headers<'a>(
    raw: &[httparse::Header<'a>],
    map: &mut HeaderMap,
    to_bytes: &dyn Fn(&[u8]) -> Bytes,
) -> Result<Seen<'a>> {
    let count = raw.iter().take_while(|h| !h.name.is_empty()).count();
    // More fields than a header map holds: over any sensible limit.
    map.try_reserve(count)
        .map_err(|_| Error::limit(Limit::HeaderCount))?;
    let mut seen = Seen::default();
    for h in &raw[..count] {
        add_field(map, &mut seen, h.name.as_bytes(), trim(h.value), to_bytes)?;
    }
    Ok(seen)
}

/// Validates one field and appends it to `map`, noting in `seen` what it is. `value` has
/// no leading or trailing whitespace (the readers leave none).
fn add_field<'a>(
    map: &mut HeaderMap,
    seen: &mut Seen<'a>,
    name: &[u8],
    value: &'a [u8],
    to_bytes: &dyn Fn(&[u8]) -> Bytes,
) -> Result<()> {
    add_field_bytes(map, seen, name, value, || to_bytes(value), None)
}

/// [`add_field`] with the value's bytes shared or copied by `bytes` (the same as `raw`).
/// With `recent_host`, a `Host` value that repeats the connection's reuses the value
/// already checked.
fn add_field_bytes<'a>(
    map: &mut HeaderMap,
    seen: &mut Seen<'a>,
    name: &[u8],
    raw: &'a [u8],
    bytes: impl FnOnce() -> Bytes,
    recent_host: Option<&mut Recent<HostValue>>,
) -> Result<()> {
    let (name, field) = field_name(name)?;
    let checked = |v: std::result::Result<HeaderValue, _>| {
        v.map_err(|_| Error::malformed(Malformed::HeaderValue))
    };
    let mut host_valid = None;
    let value = match (field, recent_host) {
        (Field::Host, Some(recent)) => {
            let host = recent.value(
                raw,
                || {
                    let value = checked(HeaderValue::from_maybe_shared(bytes()))?;
                    Ok(HostValue { value, valid: None })
                },
                || {
                    let value = checked(HeaderValue::from_bytes(raw))?;
                    let valid = Some(host_valid_or_empty(raw));
                    Ok(HostValue { value, valid })
                },
            )?;
            host_valid = host.valid;
            host.value
        }
        _ => checked(HeaderValue::from_maybe_shared(bytes()))?,
    };
    match field {
        Field::Host => {
            if seen.hosts == 0 {
                seen.host = raw;
                seen.host_valid = host_valid;
            }
            seen.hosts = seen.hosts.saturating_add(1).min(2);
        }
        Field::TransferEncoding => seen.transfer_encoding = true,
        Field::ContentLength => seen.content_length = true,
        Field::Connection => seen.connection = true,
        Field::Expect => seen.expect = true,
        Field::Other => {}
    }
    map.append(name, value);
    Ok(())
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Where a request target's value comes from: `bytes` makes its bytes shared or copied;
/// `recent`, a connection's last origin-form target, when it has one.
struct TargetBytes<'r, F> {
    bytes: F,
    recent: Option<&'r mut Recent<PathAndQuery>>,
}

/// Parses the request target for `method` into a [`Uri`], by RFC 9112 §3.2: CONNECT
/// takes authority-form only, `*` goes with OPTIONS only, and every other request
/// takes origin-form or absolute-form.
///
/// `target` is as the request line reader gives it: no SP, control or DEL, and
/// `ascii` says whether it is all ASCII; `source` makes it shared or copied.
fn parse_target(
    method: &Method,
    target: &[u8],
    ascii: bool,
    source: TargetBytes<'_, impl FnOnce() -> Bytes>,
) -> Result<(Uri, Option<RawTarget>)> {
    let TargetBytes { bytes, recent } = source;
    let bad = || Error::malformed(Malformed::Target);
    if ascii && *method != Method::CONNECT && target.first() == Some(&b'/') {
        // origin-form, visible ASCII (the reader's): what `Uri::from_maybe_shared` makes
        // of a target starting with `/` (a path and query, nothing else), without its
        // dispatch on the target's form. It validates every byte, and cuts a fragment
        // off: a shorter path is a target with a `#`, refused as below.
        let shared = || PathAndQuery::from_maybe_shared(bytes()).map_err(|_| bad());
        let path = match recent {
            Some(recent) => recent.value(target, shared, || {
                PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(target)).map_err(|_| bad())
            })?,
            None => shared()?,
        };
        if path.as_str().len() != target.len() {
            return Err(bad());
        }
        return Ok((Uri::from(path), None));
    }
    // Visible ASCII only (RFC 3986 has no raw non-ASCII), and no fragment: neither
    // origin-form nor absolute-form carries one (RFC 9112 §3.2), and `Uri` would drop it
    // silently, letting two hops see two different targets.
    if target.is_empty() || target.iter().any(|&b| b <= b' ' || b >= 0x7f || b == b'#') {
        return Err(bad());
    }
    if *method == Method::CONNECT {
        let uri = Uri::from_maybe_shared(bytes()).map_err(|_| bad())?;
        let auth = uri.authority().ok_or_else(bad)?;
        if uri.scheme().is_some()
            || uri.path_and_query().is_some_and(|p| !p.as_str().is_empty())
            || auth.port().is_none()
            || auth.as_str().contains('@')
            || auth.host().is_empty()
        {
            return Err(bad());
        }
        return Ok((uri, None));
    }
    if target == b"*" {
        if *method != Method::OPTIONS {
            return Err(bad());
        }
        return Ok((Uri::from_static("*"), None));
    }
    if target.first() == Some(&b'/') {
        // origin-form (the reader gives no all-ASCII target here, but it would read so).
        let path = PathAndQuery::from_maybe_shared(bytes()).map_err(|_| bad())?;
        return Ok((Uri::from(path), None));
    }
    let uri = Uri::from_maybe_shared(bytes()).map_err(|_| bad())?;
    // absolute-form: a scheme and an authority, without userinfo (RFC 9110 §4.2.4: a
    // recipient SHOULD treat userinfo in an http(s) URI as an error; it hides the host).
    match (uri.scheme(), uri.authority()) {
        (Some(_), Some(a)) if !a.host().is_empty() && !a.as_str().contains('@') => {
            // Visible ASCII only (checked above): the conversion is lossless.
            Ok((
                uri,
                Some(RawTarget(String::from_utf8_lossy(target).into_owned())),
            ))
        }
        _ => Err(bad()),
    }
}

/// `Host` by RFC 9112 §3.2: HTTP/1.1 needs exactly one; any Host must be valid.
fn check_host(seen: &Seen<'_>, version: Version) -> Result<()> {
    match seen.hosts {
        0 if version == Version::HTTP_11 => Err(Error::malformed(Malformed::Host)),
        0 => Ok(()),
        2.. => Err(Error::malformed(Malformed::Host)),
        _ => {
            let valid = seen
                .host_valid
                .unwrap_or_else(|| host_valid_or_empty(seen.host));
            if valid {
                Ok(())
            } else {
                Err(Error::malformed(Malformed::Host))
            }
        }
    }
}

/// Whether `h` is a `Host` value a request may carry: a valid one, or empty (a client
/// sends it empty when the target has no authority).
fn host_valid_or_empty(h: &[u8]) -> bool {
    h.is_empty() || valid_host(h)
}

/// `Host = uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2–3.2.3), with a
/// non-empty host. An IP-literal is taken as hex digits, `:` and `.` (IPv6, with an
/// embedded IPv4 allowed); IPvFuture is not accepted.
fn valid_host(h: &[u8]) -> bool {
    let (host_ok, rest) = if h.first() == Some(&b'[') {
        let Some(close) = h.iter().position(|&b| b == b']') else {
            return false;
        };
        let inside = &h[1..close];
        let ok = inside.len() >= 2
            && inside
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        (ok, &h[close + 1..])
    } else {
        let end = reg_name_len(h);
        (end > 0, &h[end..])
    };
    host_ok
        && match rest {
            [] => true,
            [b':', port @ ..] => port.iter().all(u8::is_ascii_digit),
            _ => false,
        }
}

/// `unreserved / sub-delims` (RFC 3986 §2.2–2.3), the characters of a reg-name besides
/// pct-encoded ones.
const REG_NAME_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            );
        i += 1;
    }
    table
};

/// The length of the `reg-name = *( unreserved / pct-encoded / sub-delims )` (an IPv4
/// address is a reg-name by these characters) at the start of `h`, if what follows it is
/// the end or a `:`; `0` (not a valid non-empty host) otherwise.
fn reg_name_len(h: &[u8]) -> usize {
    let hex = |j: usize| h.get(j).is_some_and(u8::is_ascii_hexdigit);
    // The plain characters first, in one scan (most hosts have nothing else).
    let mut i = h
        .iter()
        .position(|&b| !REG_NAME_CHARS[usize::from(b)])
        .unwrap_or(h.len());
    loop {
        match h.get(i) {
            Some(&b) if REG_NAME_CHARS[usize::from(b)] => i += 1,
            Some(b'%') if hex(i + 1) && hex(i + 2) => i += 3,
            None | Some(b':') => return i,
            Some(_) => return 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Chunked,
    /// A coding we know but do not decode (gzip, deflate, compress).
    Known,
    Unknown,
}

/// What the rules need of a message's transfer codings: the last one, how many there
/// are, and how many of them are `chunked`.
#[derive(Debug, Clone, Copy)]
struct Codings {
    last: Coding,
    count: usize,
    chunked: usize,
}

/// The [`Codings`] of these `Transfer-Encoding` values; an error when one is malformed
/// or there is none.
fn codings_in<'a>(values: impl Iterator<Item = &'a [u8]>) -> Result<Codings> {
    let mut codings = Codings {
        last: Coding::Unknown,
        count: 0,
        chunked: 0,
    };
    each_coding(values, |c| {
        codings.last = c;
        codings.count += 1;
        codings.chunked += usize::from(c == Coding::Chunked);
    })?;
    Ok(codings)
}

/// Calls `each` with every transfer coding of the `Transfer-Encoding` values, in order;
/// an error when one is malformed or there is none.
fn each_coding<'a>(
    values: impl Iterator<Item = &'a [u8]>,
    mut each: impl FnMut(Coding),
) -> Result<()> {
    let mut any = false;
    for v in values {
        for c in v.split(|&b| b == b',') {
            let c = trim(c);
            if c.is_empty() {
                continue;
            }
            // A coding may carry parameters (`;q=...` is not allowed here, but
            // extensions are); only its name decides.
            let name = trim(c.split(|&b| b == b';').next().unwrap_or_default());
            if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
                return Err(Error::malformed(Malformed::TransferEncoding));
            }
            any = true;
            each(if name.eq_ignore_ascii_case(b"chunked") {
                if c.len() != name.len() {
                    return Err(Error::malformed(Malformed::TransferEncoding));
                }
                Coding::Chunked
            } else if [
                &b"gzip"[..],
                b"x-gzip",
                b"deflate",
                b"compress",
                b"x-compress",
            ]
            .iter()
            .any(|k| name.eq_ignore_ascii_case(k))
            {
                Coding::Known
            } else {
                Coding::Unknown
            });
        }
    }
    if !any {
        return Err(Error::malformed(Malformed::TransferEncoding));
    }
    Ok(())
}

/// The one `Content-Length` value, if any: every value (and list element) must be the
/// same decimal number (RFC 9112 §6.3 ¶5, RFC 9110 §8.6).
fn content_length(headers: &HeaderMap) -> Result<Option<u64>> {
    content_length_in(headers.get_all(CONTENT_LENGTH).iter().map(|v| v.as_bytes()))
}

/// [`content_length`] of these `Content-Length` values.
fn content_length_in<'a>(values: impl Iterator<Item = &'a [u8]>) -> Result<Option<u64>> {
    let mut found: Option<u64> = None;
    for v in values {
        for part in v.split(|&b| b == b',') {
            let n = parse_decimal(trim(part))?;
            match found {
                Some(prev) if prev != n => {
                    return Err(Error::malformed(Malformed::ContentLength));
                }
                _ => found = Some(n),
            }
        }
    }
    Ok(found)
}

/// `1*DIGIT` into a u64; a value past `u64::MAX` is refused, never wrapped (RFC 9110
/// §8.6). Leading zeros are digits like any other (the head size limit bounds them).
fn parse_decimal(digits: &[u8]) -> Result<u64> {
    let bad = || Error::malformed(Malformed::ContentLength);
    if digits.is_empty() {
        return Err(bad());
    }
    digits.iter().try_fold(0u64, |n, &d| {
        if !d.is_ascii_digit() {
            return Err(bad());
        }
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or_else(bad)
    })
}

/// The body length of a request (RFC 9112 §6.3): chunked when the final transfer
/// coding is chunked, else `Content-Length`, else none.
fn request_framing(headers: &HeaderMap, version: Version) -> Result<BodyLength> {
    if headers.contains_key(TRANSFER_ENCODING) {
        if headers.contains_key(CONTENT_LENGTH) {
            return Err(Error::malformed(
                Malformed::ContentLengthWithTransferEncoding,
            ));
        }
        if version == Version::HTTP_10 {
            // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
            return Err(Error::malformed(Malformed::TransferEncoding));
        }
        let values = headers.get_all(TRANSFER_ENCODING).iter();
        let codings = codings_in(values.map(|v| v.as_bytes()))?;
        if codings.last != Coding::Chunked || codings.chunked != 1 {
            return Err(Error::malformed(Malformed::TransferEncoding));
        }
        if codings.count > 1 {
            // We decode no transfer coding but chunked (§6.1: 501).
            return Err(Error::malformed(Malformed::UnknownTransferCoding));
        }
        return Ok(BodyLength::Chunked);
    }
    Ok(BodyLength::Fixed(content_length(headers)?.unwrap_or(0)))
}

fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    if connection_has(headers, "close") {
        return false;
    }
    version == Version::HTTP_11 || connection_has(headers, "keep-alive")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn req(s: &str) -> Result<Option<ParsedRequest>> {
        parse_request(s.as_bytes(), &Limits::default())
    }

    fn kind(r: Result<Option<ParsedRequest>>) -> ErrorKind {
        r.unwrap_err().kind().clone()
    }

    #[test]
    fn parses_a_simple_get() {
        let p = req("GET /x HTTP/1.1\r\nHost: a\r\nX: 1 \r\n\r\nrest")
            .unwrap()
            .unwrap();
        assert_eq!(p.head.method(), Method::GET);
        assert_eq!(p.head.headers()["x"], "1");
        assert_eq!(p.head_len, 35);
        assert_eq!(p.body, BodyLength::Fixed(0));
    }

    /// What a parse gave, comparable across `parse_request` and `take_request`.
    fn summary(r: Result<Option<ParsedRequest>>) -> String {
        match r {
            Ok(Some(p)) => format!(
                "{} {} {:?} {:?} {} {:?} {} {} {:?}",
                p.head.method(),
                p.head.uri(),
                p.head.version(),
                p.head.headers(),
                p.head_len,
                p.body,
                p.keep_alive,
                p.expect_continue,
                p.head.extensions().get::<RawTarget>()
            ),
            Ok(None) => "incomplete".into(),
            Err(e) => format!("error {:?}", e.kind()),
        }
    }

    #[test]
    fn take_request_agrees_with_parse_request_and_copies_nothing() {
        let cases = [
            "GET /x?q=1 HTTP/1.1\r\nHost: a\r\nX: 1 \r\nX: 2\r\n\r\nrest",
            "\r\n\r\nPOST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            "GET http://a.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n",
            "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
            "GET / HTTP/1.2\r\nHost: a\r\nX-Custom-Name: v\r\n\r\n",
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n",
            "GET /\rx HTTP/1.1\r\n\r\n",
        ];
        let mut spare = HeaderMap::with_capacity(16);
        for case in cases {
            let parsed = summary(parse_request(case.as_bytes(), &Limits::default()));
            let mut buf = BytesMut::from(case.as_bytes());
            let start = buf.as_ptr() as usize;
            let taken = take_request(&mut buf, &Limits::default(), &mut spare);
            if let Ok(Some(p)) = &taken {
                assert_eq!(&buf[..], &case.as_bytes()[p.head_len..], "{case:?}");
                if !case.contains("HTTP/1.2") {
                    // Values and target point into the buffer the head was read into
                    // (`*` and `/` are static in `http`).
                    let inside =
                        |ptr: *const u8| (start..start + case.len()).contains(&(ptr as usize));
                    for v in p.head.headers().values() {
                        assert!(inside(v.as_bytes().as_ptr()), "{case:?}: a copied value");
                    }
                    if let Some(pq) = p
                        .head
                        .uri()
                        .path_and_query()
                        .filter(|pq| pq.as_str().len() > 1)
                    {
                        assert!(inside(pq.as_str().as_ptr()), "{case:?}: a copied target");
                    }
                }
            }
            assert_eq!(summary(taken), parsed, "{case:?}");
        }
    }

    /// The target rules as they were before the origin-form path left its byte check to
    /// `PathAndQuery`: every byte checked here first, then `http` parses (copies).
    fn target_by_a_check_of_every_byte(
        method: &Method,
        target: &[u8],
    ) -> std::result::Result<(String, Option<RawTarget>), ()> {
        if target.is_empty() || target.iter().any(|&b| b <= b' ' || b >= 0x7f || b == b'#') {
            return Err(());
        }
        if *method == Method::CONNECT {
            let uri = Uri::try_from(target).map_err(|_| ())?;
            let auth = uri.authority().ok_or(())?;
            if uri.scheme().is_some()
                || uri.path_and_query().is_some_and(|p| !p.as_str().is_empty())
                || auth.port().is_none()
                || auth.as_str().contains('@')
                || auth.host().is_empty()
            {
                return Err(());
            }
            return Ok((uri.to_string(), None));
        }
        if target == b"*" {
            return if *method == Method::OPTIONS {
                Ok(("*".into(), None))
            } else {
                Err(())
            };
        }
        if target.first() == Some(&b'/') {
            let path = PathAndQuery::try_from(target).map_err(|_| ())?;
            return Ok((Uri::from(path).to_string(), None));
        }
        let uri = Uri::try_from(target).map_err(|_| ())?;
        match (uri.scheme(), uri.authority()) {
            (Some(_), Some(a)) if !a.host().is_empty() && !a.as_str().contains('@') => Ok((
                uri.to_string(),
                Some(RawTarget(String::from_utf8_lossy(target).into_owned())),
            )),
            _ => Err(()),
        }
    }

    /// Target bytes that matter to the rules (visible ASCII the path or the query
    /// refuses, `#`, `?`, non-ASCII, the forms' markers), and plain ones.
    fn target_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(&b"/"[..]),
            Just(&b"a"[..]),
            Just(&b"?"[..]),
            Just(&b"#"[..]),
            Just(&b"<"[..]),
            Just(&b">"[..]),
            Just(&b"`"[..]),
            Just(&b"\""[..]),
            Just(&b"{"[..]),
            Just(&b"|"[..]),
            Just(&b"\\"[..]),
            Just(&b"^"[..]),
            Just(&b"%2F"[..]),
            Just(&b"*"[..]),
            Just(&b":"[..]),
            Just(&b":80"[..]),
            Just(&b"@"[..]),
            Just(&b"http://"[..]),
            Just(&b"[::1]"[..]),
            Just("\u{e9}".as_bytes()),
        ];
        proptest::collection::vec(piece, 1..8).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn targets_are_judged_as_by_a_check_of_every_byte(
            method in proptest::sample::select(vec![
                Method::GET, Method::POST, Method::OPTIONS, Method::CONNECT,
            ]),
            target in target_bytes(),
        ) {
            let expected = target_by_a_check_of_every_byte(&method, &target);
            let mut head = format!("{method} ").into_bytes();
            head.extend_from_slice(&target);
            head.extend_from_slice(b" HTTP/1.1\r\nHost: a:1\r\n\r\n");
            let mut buf = BytesMut::from(&head[..]);
            let mut spare = HeaderMap::new();
            for got in [
                parse_request(&head, &Limits::default()),
                take_request(&mut buf, &Limits::default(), &mut spare),
            ] {
                match (got, &expected) {
                    (Ok(Some(p)), Ok((uri, raw))) => {
                        proptest::prop_assert_eq!(&p.head.uri().to_string(), uri);
                        proptest::prop_assert_eq!(p.head.extensions().get::<RawTarget>(), raw.as_ref());
                    }
                    (Err(e), Err(())) => {
                        proptest::prop_assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::Target));
                    }
                    (got, expected) => proptest::prop_assert!(
                        false,
                        "{:?}: {} but {:?}",
                        String::from_utf8_lossy(&head),
                        summary(got),
                        expected
                    ),
                }
            }
        }
    }

    #[test]
    fn take_request_reads_a_head_past_64_kib_as_parse_request_does() {
        // Field positions past 16 bits: the one-pass reader leaves the head to the
        // general way, which answers the same.
        let limits = Limits {
            max_head_bytes: 1 << 20,
            ..Limits::default()
        };
        let head = format!(
            "GET /a HTTP/1.1\r\nX-Big: {}\r\nHost: a\r\nX-After: 1\r\n\r\nnext",
            "b".repeat(70_000)
        );
        let parsed = summary(parse_request(head.as_bytes(), &limits));
        let mut buf = BytesMut::from(head.as_bytes());
        let taken = take_request(&mut buf, &limits, &mut HeaderMap::new());
        let p = taken.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(p.head.headers()["host"], "a");
        assert_eq!(p.head.headers()["x-after"], "1");
        assert_eq!(&buf[..], b"next");
        assert_eq!(summary(taken), parsed);
    }

    #[test]
    fn take_request_with_recent_fields_builds_what_take_request_builds() {
        // Hosts and targets repeated, alternated, changed, too long to remember, invalid,
        // with a fragment; each request as parsed alone, and the same answer for the bad.
        let long = format!("/{}", "x".repeat(80));
        // Valid, empty, not a valid Host (port, space), not a field value at all.
        let hosts = [
            "a.example",
            "b.example:8080",
            "",
            "x:port",
            "bad host",
            "bad\x01host",
        ];
        let targets = ["/", "/a?b=c", long.as_str(), "/a#frag", "/%zz", "*"];
        let mut recent = RecentFields::default();
        let (mut spare, mut plain_spare) = (HeaderMap::new(), HeaderMap::new());
        let mut state = 7u32;
        let (mut kept_hosts, mut kept_targets) = (0, 0);
        for _ in 0..400 {
            // A small deterministic generator: runs of repeats and changes.
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let h = hosts[(state >> 8) as usize % 5 + usize::from(state % 11 == 0)];
            let t = targets[(state >> 16) as usize % 2 + usize::from(state % 5 == 0) * 2];
            let t = if state % 13 == 0 { targets[4] } else { t };
            let t = if state % 17 == 0 { targets[5] } else { t };
            let method = if t == "*" { "OPTIONS" } else { "GET" };
            let head = format!("{method} {t} HTTP/1.1\r\nHost: {h}\r\nX-N: 1\r\n\r\n");
            let mut with = BytesMut::from(head.as_bytes());
            let mut without = BytesMut::from(head.as_bytes());
            let limits = Limits::default();
            let a = take_request_recent(&mut with, &limits, &mut spare, Some(&mut recent));
            let b = take_request(&mut without, &limits, &mut plain_spare);
            match (a, b) {
                (Ok(Some(a)), Ok(Some(b))) => {
                    assert_eq!(a.head.method(), b.head.method(), "{head:?}");
                    assert_eq!(a.head.uri(), b.head.uri(), "{head:?}");
                    assert_eq!(a.head.headers(), b.head.headers(), "{head:?}");
                    assert_eq!(a.head_len, b.head_len);
                    spare = a.head.into_parts().0.headers;
                    spare.clear();
                    plain_spare = b.head.into_parts().0.headers;
                    plain_spare.clear();
                }
                (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "{head:?}"),
                (a, b) => panic!("{head:?}: {a:?} vs {b:?}"),
            }
            assert_eq!(with, without);
            kept_hosts += usize::from(recent.host.kept().is_some());
            kept_targets += usize::from(recent.target.kept().is_some());
        }
        // Both kinds were kept at some point, so both paths were compared.
        assert!(
            kept_hosts > 0 && kept_targets > 0,
            "{kept_hosts} {kept_targets}"
        );
    }

    #[test]
    fn known_names_match_as_eq_ignore_ascii_case_does() {
        let tables: [&[Known]; 14] = [
            &KNOWN_4, &KNOWN_6, &KNOWN_7, &KNOWN_8, &KNOWN_9, &KNOWN_10, &KNOWN_12, &KNOWN_13,
            &KNOWN_14, &KNOWN_15, &KNOWN_16, &KNOWN_17, &KNOWN_18, &KNOWN_25,
        ];
        for (lower, _, _) in tables.iter().flat_map(|t| t.iter()) {
            assert!(eq_lowercase(&lower.to_ascii_uppercase(), lower));
            // Every byte at every position: the same answer as the byte-wise comparison.
            for at in 0..lower.len() {
                for byte in 0..=255u8 {
                    let mut name = lower.to_vec();
                    name[at] = byte;
                    assert_eq!(
                        eq_lowercase(&name, lower),
                        name.eq_ignore_ascii_case(lower),
                        "{name:?} {lower:?}"
                    );
                }
            }
            assert!(!eq_lowercase(&lower[1..], lower));
        }
    }

    proptest::proptest! {
        #[test]
        fn lowercase_comparison_agrees_with_eq_ignore_ascii_case(
            lower in "[a-z0-9._~!-]{0,30}",
            flips in proptest::collection::vec(proptest::prelude::any::<(u8, u8)>(), 0..4),
        ) {
            let lower = lower.into_bytes();
            let mut name = lower.to_ascii_uppercase();
            for (at, byte) in flips {
                if let Some(b) = name.get_mut(usize::from(at) % lower.len().max(1)) {
                    *b = byte;
                }
            }
            proptest::prop_assert_eq!(eq_lowercase(&name, &lower), name.eq_ignore_ascii_case(&lower));
            proptest::prop_assert_eq!(eq_lowercase(&lower, &lower), true);
        }
    }

    #[test]
    fn take_request_reuses_the_spare_header_map() {
        let mut spare = HeaderMap::with_capacity(32);
        spare.insert("x-old", HeaderValue::from_static("gone"));
        let capacity = spare.capacity();
        let mut buf = BytesMut::from(&b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..]);
        let p = take_request(&mut buf, &Limits::default(), &mut spare)
            .unwrap()
            .unwrap();
        assert_eq!(p.head.headers().len(), 1);
        assert!(!p.head.headers().contains_key("x-old"));
        assert_eq!(p.head.headers().capacity(), capacity);
        assert!(buf.is_empty());
    }

    #[test]
    fn directly_matched_field_names_are_the_names_from_bytes_gives() {
        let names = [
            "host",
            "accept",
            "expect",
            "cookie",
            "origin",
            "referer",
            "priority",
            "sec-ch-ua",
            "x-real-ip",
            "connection",
            "user-agent",
            "content-type",
            "cache-control",
            "authorization",
            "content-length",
            "sec-fetch-dest",
            "sec-fetch-mode",
            "sec-fetch-site",
            "sec-fetch-user",
            "accept-encoding",
            "accept-language",
            "x-forwarded-for",
            "sec-ch-ua-mobile",
            "x-requested-with",
            "transfer-encoding",
            "x-forwarded-proto",
            "sec-ch-ua-platform",
            "upgrade-insecure-requests",
            "x-other",
            "hosts",
        ];
        for name in names {
            for spelled in [name.to_string(), name.to_ascii_uppercase(), {
                let mut m = name.to_string();
                m[..1].make_ascii_uppercase();
                m
            }] {
                let (header, field) = field_name(spelled.as_bytes()).unwrap();
                assert_eq!(header, HeaderName::from_bytes(spelled.as_bytes()).unwrap());
                assert_eq!(header.as_str(), name);
                let expected = match name {
                    "host" => Field::Host,
                    "expect" => Field::Expect,
                    "connection" => Field::Connection,
                    "content-length" => Field::ContentLength,
                    "transfer-encoding" => Field::TransferEncoding,
                    _ => Field::Other,
                };
                assert!(field == expected, "{spelled}");
            }
        }
    }

    #[test]
    fn incomplete_is_none() {
        assert!(req("GET /x HTTP/1.1\r\nHost: a\r\n").unwrap().is_none());
        assert!(req("GET /x HT").unwrap().is_none());
        assert!(req("").unwrap().is_none());
    }

    #[test]
    fn rejects_bare_lf_and_cr() {
        assert_eq!(
            kind(req("GET / HTTP/1.1\nHost: a\r\n\r\n")),
            ErrorKind::Malformed(Malformed::BareLineEnd)
        );
        assert_eq!(
            kind(req("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n")),
            ErrorKind::Malformed(Malformed::BareLineEnd)
        );
    }

    #[test]
    fn framing_rules() {
        assert_eq!(
            kind(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")),
            ErrorKind::Malformed(Malformed::ContentLengthWithTransferEncoding)
        );
        assert_eq!(
            kind(req(
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
            )),
            ErrorKind::Malformed(Malformed::TransferEncoding)
        );
        assert_eq!(
            kind(req(
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n"
            )),
            ErrorKind::Malformed(Malformed::UnknownTransferCoding)
        );
        let p = req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(p.body, BodyLength::Fixed(5));
        assert_eq!(
            kind(req(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
            )),
            ErrorKind::Malformed(Malformed::ContentLength)
        );
    }

    #[test]
    fn versions() {
        assert_eq!(
            kind(req("GET / HTTP/2.0\r\nHost: a\r\n\r\n")),
            ErrorKind::Malformed(Malformed::UnsupportedVersion)
        );
        assert_eq!(
            kind(req("GET / HTTP/x\r\nHost: a\r\n\r\n")),
            ErrorKind::Malformed(Malformed::Version)
        );
    }

    #[test]
    fn target_forms() {
        assert!(req("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n")
            .unwrap()
            .is_some());
        assert_eq!(
            kind(req("CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n")),
            ErrorKind::Malformed(Malformed::Target)
        );
        assert!(req("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap()
            .is_some());
        assert_eq!(
            kind(req("GET * HTTP/1.1\r\nHost: a\r\n\r\n")),
            ErrorKind::Malformed(Malformed::Target)
        );
        let p = req("GET http://a HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            p.head.extensions().get::<RawTarget>().unwrap().0,
            "http://a"
        );
    }

    #[test]
    fn limits_apply_before_the_head_ends() {
        let limits = Limits {
            max_start_line: 10,
            ..Limits::default()
        };
        let e = parse_request(b"GET /aaaaaaaaaaaaaaaa", &limits).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Limit(Limit::RequestLine));
        let limits = Limits {
            max_head_bytes: 30,
            ..Limits::default()
        };
        let e =
            parse_request(b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: aaaaaaaaa", &limits).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Limit(Limit::HeaderBytes));
    }

    /// A result as text: the body length, or the error's kind and message.
    fn outcome(r: Result<BodyLength>) -> String {
        match r {
            Ok(len) => format!("{len:?}"),
            Err(e) => format!("{:?}: {e}", e.kind()),
        }
    }

    /// The client's path (the framing read with the head, from its raw fields) and the
    /// public one (`parse_response`, then `response_body_length` on the field map) agree on
    /// every head, status and method: the same head, the same body length or the same error.
    #[test]
    fn framed_take_agrees_with_parse_then_response_body_length() {
        let fields = [
            "",
            "Content-Length: 13\r\n",
            "content-LENGTH: 13\r\n",
            "Content-Length: 5, 5\r\nContent-Length: 5\r\n",
            "Content-Length: 5\r\nContent-Length: 6\r\n",
            "Content-Length: 5,\r\n",
            "Content-Length: +5\r\n",
            "Content-Length: 18446744073709551616\r\n",
            "Transfer-Encoding: chunked\r\n",
            "TRANSFER-encoding: gzip, chunked\r\n",
            "Transfer-Encoding: gzip\r\nX: y\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: chunked, gzip\r\n",
            "Transfer-Encoding: chunked, chunked\r\n",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: chunked;x=1\r\n",
            "Transfer-Encoding: ,\r\n",
            "Transfer-Encoding: foo\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "Content_Length: 5\r\n",
            "Content-Lengths: 5\r\nXContent-Length: 5\r\n",
            "Connection: close\r\nContent-Length: 2\r\n",
            "Connection: keep-alive\r\n",
            "X: a\r\n b\r\nContent-Length: 3\r\n",
            "X: a\r\n b\r\nTransfer-Encoding: chunked, chunked\r\n",
        ];
        let statuses = [
            "200 OK",
            "101 Switching",
            "100 Go on",
            "204 None",
            "304 Same",
            "404 No",
        ];
        let methods = [Method::GET, Method::HEAD, Method::POST, Method::CONNECT];
        let mut compared = 0;
        for version in ["1.0", "1.1", "1.2"] {
            for status in statuses {
                for f in fields {
                    let text = format!("HTTP/{version} {status}\r\n{f}\r\nrest");
                    let parsed = parse_response(text.as_bytes(), &Limits::default());
                    let mut buf = BytesMut::from(text.as_bytes());
                    let taken = take_framed_response(&mut buf, &Limits::default());
                    let (parsed, (took, framing)) = match (parsed, taken) {
                        (Ok(Some(p)), Ok(Some(t))) => (p, t),
                        (Err(p), Err(t)) => {
                            assert_eq!(p.kind(), t.kind(), "{text:?}");
                            assert_eq!(p.to_string(), t.to_string(), "{text:?}");
                            compared += 1;
                            continue;
                        }
                        (p, t) => panic!("{text:?}: parse {p:?}, take {t:?}"),
                    };
                    assert_eq!(&buf[..], b"rest", "{text:?}");
                    assert_eq!(took.head.status(), parsed.head.status());
                    assert_eq!(took.head.version(), parsed.head.version());
                    assert_eq!(took.head.headers(), parsed.head.headers());
                    assert_eq!(took.keep_alive, parsed.keep_alive, "{text:?}");
                    for m in &methods {
                        let public = outcome(response_body_length(m, &parsed.head));
                        let framed = outcome(framing.body_length(
                            m,
                            took.head.status(),
                            took.head.version(),
                        ));
                        assert_eq!(framed, public, "{m} {text:?}");
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 1000, "{compared}");
        // And the answers themselves, for a few of them.
        let length = |m: Method, f: &str| {
            let text = format!("HTTP/1.1 200 OK\r\n{f}\r\n");
            let (p, framing) =
                take_framed_response(&mut BytesMut::from(text.as_bytes()), &Limits::default())
                    .unwrap()
                    .unwrap();
            outcome(framing.body_length(&m, p.head.status(), p.head.version()))
        };
        assert_eq!(length(Method::GET, "content-LENGTH: 13\r\n"), "Fixed(13)");
        assert_eq!(
            length(Method::GET, "Content_Length: 5\r\n"),
            "CloseDelimited"
        );
        assert_eq!(
            length(Method::GET, "TRANSFER-encoding: gzip, chunked\r\n"),
            "Chunked"
        );
        assert_eq!(
            length(Method::HEAD, "Transfer-Encoding: chunked, chunked\r\n"),
            "Fixed(0)"
        );
        assert!(
            length(Method::GET, "Transfer-Encoding: chunked, chunked\r\n")
                .starts_with("Malformed(TransferEncoding)")
        );
    }

    #[test]
    fn response_obs_fold_is_unfolded() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(r.head.headers()["x"], "a   b");
    }
}
