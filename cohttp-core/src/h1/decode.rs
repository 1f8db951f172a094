//! Body decoding: [`Decoder`] for fixed-length, chunked and close-delimited bodies.
//!
//! The decoder takes bytes from the front of a read buffer and yields body data as
//! zero-copy [`Bytes`] split from it; bytes after the body stay in the buffer for the
//! next message. Chunked decoding follows RFC 9112 §7.1: sizes strictly hexadecimal and
//! without overflow, extensions parsed and bounded, chunk data followed by CRLF, and
//! trailer fields kept (obs-fold in them refused, except in a response read by a client:
//! [`Decoder::for_response`] unfolds it). A body that ends early is an error, never a
//! shorter body.
//!
//! ```
//! use bytes::BytesMut;
//! use cohttp_core::h1::{BodyLength, Decoded, Decoder, Limits};
//!
//! let mut buf = BytesMut::from(&b"3\r\nabc\r\n0\r\n\r\nNEXT"[..]);
//! let mut d = Decoder::new(BodyLength::Chunked, &Limits::default());
//! assert_eq!(d.decode(&mut buf).unwrap(), Decoded::Data("abc".into()));
//! assert_eq!(d.decode(&mut buf).unwrap(), Decoded::Done);
//! assert_eq!(&buf[..], b"NEXT");
//! ```

use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

use super::limits::Limits;
use super::parse::BodyLength;
use crate::error::{Error, Limit, Malformed, Result};
use crate::vocab::syntax::is_tchar;

/// What one [`Decoder::decode`] call produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Some body bytes (never empty).
    Data(Bytes),
    /// The buffer holds nothing usable yet: read more.
    NeedMore,
    /// The body (and any trailer section) has ended.
    Done,
}

/// Decodes one message body from a read buffer. See the module docs.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    max_line: usize,
    max_trailers: usize,
    trailers: Option<HeaderMap>,
    /// Whether obs-fold in the trailer section is replaced with SP (a response read by
    /// a user agent) rather than refused.
    unfold_trailers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A fixed-length body with this many bytes still to come.
    Length(u64),
    /// A chunk line (size and extensions) is expected.
    ChunkSize,
    /// Inside chunk data, with this many bytes of the chunk still to come.
    ChunkData(u64),
    /// The CRLF after chunk data is expected.
    ChunkDataEnd,
    /// The trailer section after the last chunk is expected.
    Trailers,
    /// Everything until the peer closes.
    Eof,
    /// The body has ended.
    Done,
}

impl Decoder {
    /// A decoder for a body delimited as `length` says.
    pub fn new(length: BodyLength, limits: &Limits) -> Decoder {
        let state = match length {
            BodyLength::Fixed(0) => State::Done,
            BodyLength::Fixed(n) => State::Length(n),
            BodyLength::Chunked => State::ChunkSize,
            BodyLength::CloseDelimited => State::Eof,
        };
        Decoder {
            state,
            max_line: limits.max_chunk_ext,
            max_trailers: limits.max_trailer_bytes,
            trailers: None,
            unfold_trailers: false,
        }
    }

    /// A decoder for the body of a response, read by a client: as [`Decoder::new`],
    /// except that a trailer field line continued onto the next line (obs-fold) is
    /// joined to it with SP instead of being refused. RFC 9112 §5.2 has a user agent
    /// replace each obs-fold in a response with SP, as the response head's fields are;
    /// a server still refuses it in a request's trailers.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use cohttp_core::h1::{BodyLength, Decoded, Decoder, Limits};
    ///
    /// let mut buf = BytesMut::from(&b"0\r\nX: a\r\n b\r\n\r\n"[..]);
    /// let mut d = Decoder::for_response(BodyLength::Chunked, &Limits::default());
    /// assert_eq!(d.decode(&mut buf).unwrap(), Decoded::Done);
    /// assert_eq!(d.trailers().unwrap()["x"], "a b");
    /// ```
    pub fn for_response(length: BodyLength, limits: &Limits) -> Decoder {
        Decoder {
            unfold_trailers: true,
            ..Decoder::new(length, limits)
        }
    }

    /// Whether the body has ended.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done | State::Length(0))
    }

    /// For a fixed-length body, how many bytes are still to come.
    pub fn remaining(&self) -> Option<u64> {
        match self.state {
            State::Length(n) => Some(n),
            State::Done => Some(0),
            _ => None,
        }
    }

    /// The trailer fields of a chunked body, once it is done (taken: `None` after).
    pub fn trailers(&mut self) -> Option<HeaderMap> {
        self.trailers.take()
    }

    /// Decodes from the front of `buf`, consuming what it uses.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded> {
        loop {
            match self.state {
                State::Done | State::Length(0) => {
                    self.state = State::Done;
                    return Ok(Decoded::Done);
                }
                State::Length(n) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let take = n.min(buf.len() as u64) as usize;
                    self.state = State::Length(n - take as u64);
                    return Ok(Decoded::Data(buf.split_to(take).freeze()));
                }
                State::Eof => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    return Ok(Decoded::Data(buf.split().freeze()));
                }
                State::ChunkSize => {
                    let Some((size, used)) = self.chunk_line(buf)? else {
                        return Ok(Decoded::NeedMore);
                    };
                    buf.advance(used);
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::ChunkData(size)
                    };
                }
                State::ChunkData(n) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let take = n.min(buf.len() as u64) as usize;
                    let left = n - take as u64;
                    self.state = if left == 0 {
                        State::ChunkDataEnd
                    } else {
                        State::ChunkData(left)
                    };
                    return Ok(Decoded::Data(buf.split_to(take).freeze()));
                }
                State::ChunkDataEnd => {
                    match buf.first() {
                        None => return Ok(Decoded::NeedMore),
                        Some(b'\r') => {}
                        Some(_) => return Err(Error::malformed(Malformed::ChunkEnd)),
                    }
                    match buf.get(1) {
                        None => return Ok(Decoded::NeedMore),
                        Some(b'\n') => {}
                        Some(_) => return Err(Error::malformed(Malformed::ChunkEnd)),
                    }
                    buf.advance(2);
                    self.state = State::ChunkSize;
                }
                State::Trailers => {
                    let Some(used) = self.trailer_section(buf)? else {
                        return Ok(Decoded::NeedMore);
                    };
                    buf.advance(used);
                    self.state = State::Done;
                    return Ok(Decoded::Done);
                }
            }
        }
    }

    /// The peer closed the stream. `Ok` when that ends the body (close-delimited, or
    /// already done); a truncated-body error otherwise.
    pub fn decode_eof(&mut self) -> Result<()> {
        match self.state {
            State::Eof | State::Done | State::Length(0) => {
                self.state = State::Done;
                Ok(())
            }
            _ => Err(Error::malformed(Malformed::TruncatedBody)),
        }
    }

    /// Parses a chunk line at the front of `buf`: `Some((size, bytes used))`, or `None`
    /// when the line is not complete.
    fn chunk_line(&self, buf: &[u8]) -> Result<Option<(u64, usize)>> {
        let window = &buf[..buf.len().min(self.max_line + 2)];
        let Some(lf) = window.iter().position(|&b| b == b'\n') else {
            check_partial_chunk_line(window)?;
            if buf.len() > self.max_line + 1 {
                return Err(Error::limit(Limit::ChunkExtension));
            }
            return Ok(None);
        };
        // What the bytes before the line end already show is refused first, so that the
        // error is the one a byte-by-byte reader would have met.
        check_partial_chunk_line(&window[..lf])?;
        if lf == 0 || window[lf - 1] != b'\r' {
            return Err(Error::malformed(Malformed::BareLineEnd));
        }
        let line = &window[..lf - 1];
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 {
            return Err(Error::malformed(Malformed::ChunkSize));
        }
        let mut size: u64 = 0;
        for &d in &line[..digits] {
            let v = (d as char).to_digit(16).unwrap_or(0) as u64;
            size = size
                .checked_mul(16)
                .and_then(|s| s.checked_add(v))
                .ok_or_else(|| Error::malformed(Malformed::ChunkSize))?;
        }
        let rest = &line[digits..];
        if let Some(&first) = rest.first() {
            if !matches!(first, b';' | b' ' | b'\t') {
                return Err(Error::malformed(Malformed::ChunkSize));
            }
            check_extensions(rest)?;
        }
        Ok(Some((size, lf + 1)))
    }

    /// Parses the trailer section at the front of `buf`, through its empty line:
    /// `Some(bytes used)`, or `None` when it is not complete.
    fn trailer_section(&mut self, buf: &[u8]) -> Result<Option<usize>> {
        let mut start = 0;
        let mut fields = HeaderMap::new();
        // The name of the last field line, which an obs-fold line continues.
        let mut last: Option<HeaderName> = None;
        loop {
            // Errors are checked in the order a byte-by-byte reader meets them, so that
            // the error does not depend on the read boundaries: a bare CR is seen once the
            // byte after it is in; the size limit once `max_trailers + 1` bytes are in
            // before the line is complete; the line end once its LF is in.
            let rest = &buf[start..];
            let lf = rest.iter().position(|&b| b == b'\n');
            let line_end = lf.unwrap_or(rest.len());
            let bare_cr_seen_at = rest[..line_end]
                .iter()
                .position(|&b| b == b'\r')
                .filter(|&cr| cr + 1 < line_end)
                .map(|cr| start + cr + 2);
            let limit_seen_at = self.max_trailers + 1;
            if bare_cr_seen_at.is_some_and(|at| at <= limit_seen_at) {
                return Err(Error::malformed(Malformed::BareLineEnd));
            }
            let Some(lf) = lf else {
                if buf.len() >= limit_seen_at {
                    return Err(Error::limit(Limit::TrailerBytes));
                }
                return Ok(None);
            };
            let end = start + lf + 1;
            if end > limit_seen_at {
                return Err(Error::limit(Limit::TrailerBytes));
            }
            if lf == 0 || rest[lf - 1] != b'\r' {
                return Err(Error::malformed(Malformed::BareLineEnd));
            }
            let line = &rest[..lf - 1];
            if end > self.max_trailers {
                return Err(Error::limit(Limit::TrailerBytes));
            }
            if line.is_empty() {
                if !fields.is_empty() {
                    self.trailers = Some(fields);
                }
                return Ok(Some(end));
            }
            if let [b' ' | b'\t', ..] = line {
                // obs-fold: joined to the previous line's value when unfolding, refused
                // otherwise (and always on the first line: it continues nothing).
                match (self.unfold_trailers, &last) {
                    (true, Some(name)) => unfold_into(&mut fields, name, line)?,
                    _ => return Err(Error::malformed(Malformed::Trailer)),
                }
            } else {
                let (name, value) = parse_field_line(line)?;
                fields.append(name.clone(), value);
                last = Some(name);
            }
            start = end;
        }
    }
}

/// Refuses at once what the start of a chunk line (its bytes before any LF) already
/// shows to be wrong, so that a refused body is refused whatever the read boundaries:
/// a CR followed by anything but LF (`BareLineEnd`), or a size that is not hexadecimal
/// digits followed by `;`, SP, HTAB or CR (`ChunkSize`). When both are there, the error
/// is the one whose offending byte comes first, as a byte-by-byte reader meets it.
fn check_partial_chunk_line(partial: &[u8]) -> Result<()> {
    // Offset of the byte after a bare CR, and of the first byte that breaks the size.
    let bare_cr = partial
        .iter()
        .position(|&b| b == b'\r')
        .map(|cr| cr + 1)
        .filter(|&after| after < partial.len());
    let digits = partial.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let bad_size = match partial.get(digits) {
        None => None,
        Some(b';' | b' ' | b'\t' | b'\r') if digits > 0 => None,
        Some(_) => Some(digits),
    };
    match (bare_cr, bad_size) {
        (Some(cr), Some(size)) if size < cr => Err(Error::malformed(Malformed::ChunkSize)),
        (Some(_), _) => Err(Error::malformed(Malformed::BareLineEnd)),
        (None, Some(_)) => Err(Error::malformed(Malformed::ChunkSize)),
        (None, None) => Ok(()),
    }
}

/// `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )`, ext-val a token or a
/// quoted-string (RFC 9112 §7.1.1). Whitespace at the end of the line (after the size
/// or after an extension) is refused, as llhttp does by default: the grammar has none.
fn check_extensions(mut s: &[u8]) -> Result<()> {
    let bad = || Error::malformed(Malformed::ChunkExtension);
    fn skip_ws(s: &[u8]) -> &[u8] {
        let n = s.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        &s[n..]
    }
    fn token(s: &[u8]) -> usize {
        s.iter().take_while(|&&b| is_tchar(b)).count()
    }
    loop {
        // BWS only ever precedes `;` or `=`, or follows them: never ends the line.
        let before = s.len();
        s = skip_ws(s);
        if s.is_empty() {
            return if s.len() == before {
                Ok(())
            } else {
                Err(bad())
            };
        }
        if s[0] != b';' {
            return Err(bad());
        }
        s = skip_ws(&s[1..]);
        let n = token(s);
        if n == 0 {
            return Err(bad());
        }
        s = &s[n..];
        // BWS after a name belongs to a following `=`; any other whitespace is left for
        // the loop's check (before a `;`, or refused at the end of the line).
        let after_name = skip_ws(s);
        if after_name.first() == Some(&b'=') {
            s = skip_ws(&after_name[1..]);
            if s.first() == Some(&b'"') {
                let mut i = 1;
                loop {
                    match s.get(i) {
                        None => return Err(bad()),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            match s.get(i + 1) {
                                Some(&c)
                                    if c == b'\t' || (0x20..0x7f).contains(&c) || c >= 0x80 => {}
                                _ => return Err(bad()),
                            }
                            i += 2;
                        }
                        Some(&c)
                            if c == b'\t'
                                || c == b' '
                                || c == 0x21
                                || (0x23..=0x5b).contains(&c)
                                || (0x5d..=0x7e).contains(&c)
                                || c >= 0x80 =>
                        {
                            i += 1
                        }
                        Some(_) => return Err(bad()),
                    }
                }
                s = &s[i + 1..];
            } else {
                let n = token(s);
                if n == 0 {
                    return Err(bad());
                }
                s = &s[n..];
            }
        }
    }
}

/// Appends the text of an obs-fold line (`line`, starting with whitespace) to the last
/// value of `name` in `fields`, after one SP.
fn unfold_into(fields: &mut HeaderMap, name: &HeaderName, line: &[u8]) -> Result<()> {
    let more = trim_ows(line);
    if more.is_empty() {
        return Ok(());
    }
    let Some(value) = fields.get_all(name).iter().next_back() else {
        return Err(Error::malformed(Malformed::Trailer));
    };
    let mut joined = Vec::with_capacity(value.len() + 1 + more.len());
    joined.extend_from_slice(value.as_bytes());
    if !joined.is_empty() {
        joined.push(b' ');
    }
    joined.extend_from_slice(more);
    let joined =
        HeaderValue::from_bytes(&joined).map_err(|_| Error::malformed(Malformed::Trailer))?;
    if let http::header::Entry::Occupied(mut entry) = fields.entry(name) {
        if let Some(v) = entry.iter_mut().next_back() {
            *v = joined;
        }
    }
    Ok(())
}

/// `s` without the SP and HTAB at its ends.
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// One `name: value` trailer line; no whitespace before the colon, no obs-fold.
fn parse_field_line(line: &[u8]) -> Result<(HeaderName, HeaderValue)> {
    let bad = || Error::malformed(Malformed::Trailer);
    let colon = line.iter().position(|&b| b == b':').ok_or_else(bad)?;
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err(bad());
    }
    let value = trim_ows(&line[colon + 1..]);
    let name = HeaderName::from_bytes(name).map_err(|_| bad())?;
    let value = HeaderValue::from_bytes(value).map_err(|_| bad())?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn decode_all(len: BodyLength, input: &[u8]) -> Result<(Vec<u8>, BytesMut)> {
        let mut d = Decoder::new(len, &Limits::default());
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match d.decode(&mut buf)? {
                Decoded::Data(b) => out.extend_from_slice(&b),
                Decoded::Done => return Ok((out, buf)),
                Decoded::NeedMore => {
                    d.decode_eof()?;
                    return Ok((out, buf));
                }
            }
        }
    }

    #[test]
    fn test_read_chunked_with_extensions_and_trailers() {
        let (body, rest) = decode_all(
            BodyLength::Chunked,
            b"4;a=b;c=\"d;e\"\r\nWiki\r\n5 ; x\r\npedia\r\n0\r\nX-T: v\r\n\r\nnext",
        )
        .unwrap();
        assert_eq!(body, b"Wikipedia");
        assert_eq!(&rest[..], b"next");
    }

    #[test]
    fn test_read_chunked_missing_crlf_after_data() {
        let e = decode_all(BodyLength::Chunked, b"3\r\nabcX\r\n0\r\n\r\n").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::ChunkEnd));
    }

    #[test]
    fn test_read_chunked_overflowing_size() {
        let e = decode_all(BodyLength::Chunked, b"10000000000000000\r\n").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::ChunkSize));
        let e = decode_all(BodyLength::Chunked, b"0x5\r\n").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::ChunkSize));
    }

    #[test]
    fn test_read_fixed_truncated_is_an_error() {
        let e = decode_all(BodyLength::Fixed(10), b"abc").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::TruncatedBody));
    }

    #[test]
    fn test_read_close_delimited_ends_at_eof() {
        let (body, _) = decode_all(BodyLength::CloseDelimited, b"all of it").unwrap();
        assert_eq!(body, b"all of it");
    }

    #[test]
    fn test_trailers_are_kept() {
        let mut d = Decoder::new(BodyLength::Chunked, &Limits::default());
        let mut buf = BytesMut::from(&b"0\r\nExpires: never\r\n\r\n"[..]);
        assert_eq!(d.decode(&mut buf).unwrap(), Decoded::Done);
        assert_eq!(d.trailers().unwrap()["expires"], "never");
    }
}
