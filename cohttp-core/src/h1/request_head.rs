//! The syntax of a request head: the request line and the field lines, read into slices
//! of the head's bytes (RFC 9112 §3, §5).
//!
//! The server reads request heads here rather than through `httparse`, with exactly
//! `httparse`'s rules (its default configuration) and its answers, errors included: a
//! head it accepts is accepted with the same parts, and a head it refuses is refused
//! with the same [`httparse::Error`], found at the same place. A test compares the two
//! on generated heads. What the parts mean (the method, the target's form, framing,
//! `Host`) is not checked here: `parse.rs` does that.
//!
//! Reading here costs less: no header array to fill, no UTF-8 check of an all-ASCII
//! target, and a field line is handed over as soon as it is read, so the caller builds
//! its field map in the same pass.

use httparse::{Error as SyntaxError, Status};

use crate::vocab::syntax::is_tchar;

/// A byte set, as a table.
type ByteSet = [bool; 256];

/// A [`ByteSet`] of the bytes matching a pattern.
macro_rules! byte_set {
    ($($pattern:tt)+) => {{
        let mut set = [false; 256];
        let mut i = 0;
        while i < 256 {
            set[i] = matches!(i as u8, $($pattern)+);
            i += 1;
        }
        set
    }};
}

/// `tchar` (RFC 9110 §5.6.2): what a method and a field name are made of.
const TCHAR: ByteSet = {
    let mut set = [false; 256];
    let mut i = 0;
    while i < 256 {
        set[i] = is_tchar(i as u8);
        i += 1;
    }
    set
};

/// The bytes of a request target as read here: visible ASCII and any non-ASCII byte
/// (the target's own rules are checked later).
const URI: ByteSet = byte_set!(0x21..=0x7e | 0x80..=0xff);

/// The bytes of a field value: HTAB, SP, visible ASCII, obs-text.
const VALUE: ByteSet = byte_set!(b'\t' | 0x20..=0x7e | 0x80..=0xff);

/// How many bytes from `from` on are in `set`.
fn span(buf: &[u8], from: usize, set: &ByteSet) -> usize {
    buf.get(from..)
        .unwrap_or_default()
        .iter()
        .position(|&b| !set[usize::from(b)])
        .unwrap_or(buf.len().saturating_sub(from))
}

/// Every byte of a word set to 1.
const ONES: u64 = u64::from_le_bytes([1; 8]);

/// The high bit of each byte of a word whose byte is below `n` (`n` at most 0x80). A
/// byte not below `n` can be marked too, but only above a byte that is (the borrow runs
/// upwards), so the lowest mark is exact.
fn below_marks(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & (ONES << 7)
}

/// [`span`] for the target and field values, whose sets hold every byte from `low` up
/// but DEL (and, for values, HTAB, left to the byte loop): eight bytes at a time first,
/// and in the word holding the first byte outside `low..` or DEL, straight to that byte
/// (the lowest mark: exact).
fn span_visible(buf: &[u8], from: usize, low: u8, set: &ByteSet) -> usize {
    span_visible_ascii(buf, from, low, set).0
}

/// [`span_visible`], and whether the bytes spanned are all ASCII (seen in the same words;
/// inlined, or the call costs more than the separate pass it saves).
#[inline(always)]
fn span_visible_ascii(buf: &[u8], from: usize, low: u8, set: &ByteSet) -> (usize, bool) {
    let rest = buf.get(from..).unwrap_or_default();
    let mut n = 0;
    // The bytes spanned by words, OR'ed: a high bit set is a non-ASCII byte.
    let mut high = 0;
    for chunk in rest.chunks_exact(8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let marks = below_marks(w, low) | below_marks(w ^ (ONES * 0x7f), 1);
        if marks != 0 {
            // Little-endian: the lowest mark is the first such byte.
            let first = marks.trailing_zeros() / 8;
            high |= w & ((1u64 << (first * 8)) - 1);
            n += first as usize;
            break;
        }
        high |= w;
        n += 8;
    }
    let tail = span(rest, n, set);
    let ascii = high & (ONES << 7) == 0
        && (tail == 0 || rest.get(n..n + tail).is_some_and(<[u8]>::is_ascii));
    (n + tail, ascii)
}

/// What reading answers: a result, more bytes needed (`Status::Partial`), or the error
/// `httparse` would give.
pub(super) type Read<T> = Result<Status<T>, SyntaxError>;

/// Where some bytes are in the buffer read: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Span {
    start: usize,
    end: usize,
}

impl Span {
    /// The bytes `start..end`.
    pub(super) fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Where these bytes start.
    pub(super) fn start(self) -> usize {
        self.start
    }

    /// Where these bytes end (exclusive).
    pub(super) fn end(self) -> usize {
        self.end
    }

    /// These bytes of `buf` (the buffer read, or a copy of its start).
    pub(super) fn of(self, buf: &[u8]) -> &[u8] {
        buf.get(self.start..self.end).unwrap_or_default()
    }
}

/// The parts of a request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RequestLine {
    /// The method (a token).
    pub(super) method: Span,
    /// The target: non-empty, visible ASCII or non-ASCII forming valid UTF-8.
    pub(super) target: Span,
    /// Whether the target is all ASCII (then visible ASCII only: no SP, control or DEL).
    pub(super) target_ascii: bool,
    /// The minor version: `0` or `1`.
    pub(super) minor: u8,
    /// Where the line ends, its line end excluded.
    pub(super) end: usize,
}

/// One field line: the name (a token) and the value (no leading or trailing SP/HTAB).
pub(super) type FieldLine = (Span, Span);

/// `HTTP/1.1` and `HTTP/1.0`, as words.
const HTTP_1_1: u64 = u64::from_le_bytes(*b"HTTP/1.1");
const HTTP_1_0: u64 = u64::from_le_bytes(*b"HTTP/1.0");

/// Reads the request line at the start of `buf`, after any empty lines; on success, also
/// where the field lines start.
pub(super) fn read_request_line(buf: &[u8]) -> Read<(RequestLine, usize)> {
    let mut i = 0;
    // Empty lines first (CRLF or a bare LF, as httparse allows them here).
    loop {
        match buf.get(i) {
            Some(b'\r') => match buf.get(i + 1) {
                Some(b'\n') => i += 2,
                Some(_) => return Err(SyntaxError::NewLine),
                None => return Ok(Status::Partial),
            },
            Some(b'\n') => i += 1,
            Some(_) => break,
            None => return Ok(Status::Partial),
        }
    }

    // method SP: a token, non-empty.
    let method_start = i;
    let method_len = span(buf, i, &TCHAR);
    i += method_len;
    match buf.get(i) {
        Some(b' ') if method_len > 0 => i += 1,
        None => return Ok(Status::Partial),
        Some(_) => return Err(SyntaxError::Token),
    }
    let method = Span {
        start: method_start,
        end: i - 1,
    };

    // request-target SP: non-empty, valid UTF-8.
    let target_start = i;
    let (target_len, target_ascii) = span_visible_ascii(buf, i, 0x21, &URI);
    i += target_len;
    match buf.get(i) {
        Some(b' ') if target_len > 0 => i += 1,
        None => return Ok(Status::Partial),
        Some(_) => return Err(SyntaxError::Token),
    }
    let target = Span {
        start: target_start,
        end: i - 1,
    };
    let target_bytes = target.of(buf);
    if !target_ascii && std::str::from_utf8(target_bytes).is_err() {
        return Err(SyntaxError::Token);
    }

    // HTTP-version: exactly `HTTP/1.0` or `HTTP/1.1`.
    let minor = match buf.get(i..i + 8).map(<[u8; 8]>::try_from) {
        // One comparison of a word each.
        Some(Ok(v)) if u64::from_le_bytes(v) == HTTP_1_1 => 1,
        Some(Ok(v)) if u64::from_le_bytes(v) == HTTP_1_0 => 0,
        Some(_) => return Err(SyntaxError::Version),
        None => {
            // Too short to tell: a wrong byte is an error now, else wait for more.
            let rest = &buf[i..];
            return if b"HTTP/1."[..rest.len().min(7)] == rest[..rest.len().min(7)] {
                Ok(Status::Partial)
            } else {
                Err(SyntaxError::Version)
            };
        }
    };
    i += 8;
    match read_line_end(buf, i, SyntaxError::NewLine) {
        Ok(Status::Complete(next)) => Ok(Status::Complete((
            RequestLine {
                method,
                target,
                target_ascii,
                minor,
                end: i,
            },
            next,
        ))),
        Ok(Status::Partial) => Ok(Status::Partial),
        Err(e) => Err(e),
    }
}

/// The end of a line at `i`: CRLF or a bare LF; where the next line starts.
fn read_line_end(buf: &[u8], i: usize, error: SyntaxError) -> Read<usize> {
    match buf.get(i) {
        Some(b'\r') => match buf.get(i + 1) {
            Some(b'\n') => Ok(Status::Complete(i + 2)),
            Some(_) => Err(error),
            None => Ok(Status::Partial),
        },
        Some(b'\n') => Ok(Status::Complete(i + 1)),
        Some(_) => Err(error),
        None => Ok(Status::Partial),
    }
}

/// Reads the field line starting at `i`: the field and where the next line starts, or
/// `None` and where the head ends, at the empty line.
pub(super) fn read_field_line(buf: &[u8], i: usize) -> Read<(Option<FieldLine>, usize)> {
    match buf.get(i) {
        None => return Ok(Status::Partial),
        Some(b'\r' | b'\n') => {
            return Ok(match read_line_end(buf, i, SyntaxError::NewLine)? {
                Status::Complete(end) => Status::Complete((None, end)),
                Status::Partial => Status::Partial,
            });
        }
        Some(_) => {}
    }

    // field-name ":": a token, non-empty, no whitespace before the colon.
    let name_len = span(buf, i, &TCHAR);
    let name = Span {
        start: i,
        end: i + name_len,
    };
    let mut i = i + name_len;
    match buf.get(i) {
        Some(b':') if name_len > 0 => i += 1,
        None if name_len > 0 => return Ok(Status::Partial),
        _ => return Err(SyntaxError::HeaderName),
    }

    // OWS field-value OWS: leading whitespace skipped, trailing trimmed.
    while let Some(b' ' | b'\t') = buf.get(i) {
        i += 1;
    }
    let value_start = i;
    i += span_visible(buf, i, 0x20, &VALUE);
    let next = match read_line_end(buf, i, SyntaxError::HeaderValue)? {
        Status::Complete(next) => next,
        Status::Partial => return Ok(Status::Partial),
    };
    let mut value_end = i;
    while value_end > value_start && matches!(buf.get(value_end - 1), Some(b' ' | b'\t')) {
        value_end -= 1;
    }
    let value = Span {
        start: value_start,
        end: value_end,
    };
    Ok(Status::Complete((Some((name, value)), next)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a reading gave, comparable between `httparse` and this module.
    #[derive(Debug, PartialEq)]
    enum Answer {
        Partial,
        Error(SyntaxError),
        Head {
            method: Vec<u8>,
            target: Vec<u8>,
            minor: u8,
            fields: Vec<(Vec<u8>, Vec<u8>)>,
            len: usize,
        },
    }

    /// httparse's answer with room for `max` fields.
    fn by_httparse(buf: &[u8], max: usize) -> Answer {
        let mut storage = vec![httparse::EMPTY_HEADER; max];
        let mut req = httparse::Request::new(&mut storage);
        match req.parse(buf) {
            Err(e) => Answer::Error(e),
            Ok(Status::Partial) => Answer::Partial,
            Ok(Status::Complete(len)) => Answer::Head {
                method: req.method.unwrap_or_default().as_bytes().to_vec(),
                target: req.path.unwrap_or_default().as_bytes().to_vec(),
                minor: req.version.unwrap_or(9),
                fields: req
                    .headers
                    .iter()
                    .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                    .collect(),
                len,
            },
        }
    }

    /// This module's answer, read as `parse.rs` reads it, with room for `max` fields.
    fn by_us(buf: &[u8], max: usize) -> Answer {
        let run = || -> Read<Answer> {
            let (line, mut i) = match read_request_line(buf)? {
                Status::Complete(x) => x,
                Status::Partial => return Ok(Status::Partial),
            };
            let mut fields = Vec::new();
            loop {
                match read_field_line(buf, i)? {
                    Status::Partial => return Ok(Status::Partial),
                    Status::Complete((None, end)) => {
                        return Ok(Status::Complete(Answer::Head {
                            method: line.method.of(buf).to_vec(),
                            target: line.target.of(buf).to_vec(),
                            minor: line.minor,
                            fields,
                            len: end,
                        }))
                    }
                    Status::Complete((Some((name, value)), next)) => {
                        if fields.len() == max {
                            return Err(SyntaxError::TooManyHeaders);
                        }
                        fields.push((name.of(buf).to_vec(), value.of(buf).to_vec()));
                        i = next;
                    }
                }
            }
        };
        match run() {
            Err(e) => Answer::Error(e),
            Ok(Status::Partial) => Answer::Partial,
            Ok(Status::Complete(a)) => a,
        }
    }

    fn agree(buf: &[u8]) {
        for max in [0, 1, 3, 16] {
            // Every prefix too: "partial" must be answered at the same points.
            for end in 0..=buf.len() {
                let b = &buf[..end];
                assert_eq!(
                    by_us(b, max),
                    by_httparse(b, max),
                    "{:?}",
                    String::from_utf8_lossy(b)
                );
            }
        }
    }

    #[test]
    fn word_at_a_time_spans_agree_with_the_byte_tables() {
        for base in [b'a', 0x80, b'~', b'!'] {
            for at in 0..20 {
                for byte in 0..=255u8 {
                    let mut buf = vec![base; 20];
                    buf[at] = byte;
                    for from in [0, 1, 7] {
                        assert_eq!(
                            span_visible(&buf, from, 0x21, &URI),
                            span(&buf, from, &URI),
                            "{buf:?} {from}"
                        );
                        assert_eq!(
                            span_visible(&buf, from, 0x20, &VALUE),
                            span(&buf, from, &VALUE),
                            "{buf:?} {from}"
                        );
                        let (len, ascii) = span_visible_ascii(&buf, from, 0x21, &URI);
                        assert_eq!(ascii, buf[from..from + len].is_ascii(), "{buf:?} {from}");
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn word_at_a_time_spans_agree_on_any_bytes(buf in proptest::collection::vec(any::<u8>(), 0..40), from in 0usize..10) {
            prop_assert_eq!(span_visible(&buf, from, 0x21, &URI), span(&buf, from, &URI));
            let (len, ascii) = span_visible_ascii(&buf, from, 0x21, &URI);
            let spanned = buf.get(from..from + len).unwrap_or_default();
            prop_assert_eq!(ascii, spanned.is_ascii());
            prop_assert_eq!(span_visible(&buf, from, 0x20, &VALUE), span(&buf, from, &VALUE));
        }
    }

    #[test]
    fn reads_request_heads_as_httparse_does() {
        let cases: &[&[u8]] = &[
            b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
            b"\r\n\nPOST /a?b HTTP/1.0\r\nX:  v \t\r\nY:\r\nZ: \t\r\n\r\nbody",
            b"GET / HTTP/1.1\nHost: a\n\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1 \r\n\r\n",
            b"GET / HTTP/1.10\r\n\r\n",
            b"GET / HTTP/1.2\r\n\r\n",
            b"GET / HTTP/2\r\n\r\n",
            b"GET / HTTP\r\n\r\n",
            b"GET / HTTP/1.\r\n",
            b"G\x01T / HTTP/1.1\r\n\r\n",
            b" GET / HTTP/1.1\r\n\r\n",
            b"GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\n\r\n",
            b"GET /\x7f HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nX : v\r\n\r\n",
            b"GET / HTTP/1.1\r\n X: v\r\n\r\n",
            b"GET / HTTP/1.1\r\n: v\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: \xff\x80\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
            b"GET / HTTP/1.1\r\nX\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
            b"GET / HTTP/1.1\r\n\rX\r\n",
        ];
        for case in cases {
            agree(case);
        }
    }

    /// Bytes that matter to the syntax, and some that do not.
    fn head_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"GET".to_vec()),
            Just(b" ".to_vec()),
            Just(b"/a?b=c".to_vec()),
            Just(b"HTTP/1.1".to_vec()),
            Just(b"HTTP/1.0".to_vec()),
            Just(b"HTTP/1.".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"Host".to_vec()),
            Just(b":".to_vec()),
            Just(b"\t".to_vec()),
            Just(b"\xc3\xa9".to_vec()),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn generated_heads_read_as_httparse_reads_them(body in head_bytes()) {
            let mut head = b"GET / HTTP/1.1\r\n".to_vec();
            head.extend_from_slice(&body);
            agree(&body);
            agree(&head);
        }
    }
}
