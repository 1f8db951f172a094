//! The field-value grammar shared by the vocabulary modules (RFC 9110 §5.6): tokens,
//! quoted-strings, whitespace, and the errors the parsers and writers return.
//!
//! This is a small cursor over a `&str`, not a general header parser: each vocabulary
//! module drives it with its own grammar. Every method is total: at the end of input it
//! returns `None` or `false`, never panics.

use crate::error::{Error, ErrorKind, Malformed};

/// A parse failure: the field value does not follow its grammar.
pub(crate) fn decode_error(what: &str) -> Error {
    Error::new(ErrorKind::Decode).with_context(what.to_owned())
}

/// A value that cannot be written into a field (not a token, a control character...).
pub(crate) fn unsendable(what: &str) -> Error {
    Error::malformed(Malformed::InvalidUserHeader).with_context(what.to_owned())
}

/// `tchar` of RFC 9110 §5.6.2: what tokens (a method, a field name...) are made of.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#'
            | b'$'
            | b'%'
            | b'&'
            | b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~'
    ) || b.is_ascii_alphanumeric()
}

/// `token` of RFC 9110 §5.6.2: one or more `tchar`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Whether `b` is a control character other than HTAB (CTL less HTAB).
pub(crate) fn is_ctl_not_tab(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// Writes `s` as a `quoted-string` (RFC 9110 §5.6.4), escaping `"` and `\`.
///
/// Returns `None` if `s` holds a character a quoted-string cannot carry (a control
/// character other than HTAB).
pub(crate) fn quote(s: &str) -> Option<String> {
    if s.bytes().any(is_ctl_not_tab) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

/// Writes `s` as a token when it is one, else as a quoted-string.
pub(crate) fn token_or_quote(s: &str) -> Option<String> {
    if is_token(s) {
        Some(s.to_owned())
    } else {
        quote(s)
    }
}

/// A position in a field value.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(s: &'a str) -> Cursor<'a> {
        Cursor { s, pos: 0 }
    }

    /// The whole input.
    pub(crate) fn input(&self) -> &'a str {
        self.s
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.s.len());
    }

    /// Consumes `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips optional whitespace (SP and HTAB).
    pub(crate) fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Consumes the longest run of bytes for which `f` holds; the run ends on an ASCII
    /// byte or at the end, so the slice is on char boundaries when `f` only accepts
    /// ASCII.
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        let bytes = self.s.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if !f(b) {
                break;
            }
            self.pos += 1;
        }
        // Only cut between chars: move forward to the next boundary if `f` accepted
        // part of a multi-byte char.
        while !self.s.is_char_boundary(self.pos) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }

    /// Consumes a `token`, if one is next.
    pub(crate) fn token(&mut self) -> Option<&'a str> {
        let t = self.take_while(is_tchar);
        if t.is_empty() {
            None
        } else {
            Some(t)
        }
    }

    /// Consumes a `quoted-string` (with its `quoted-pair` escapes) and returns its
    /// content. `None` (and the cursor left where it was) if none is next or it is not
    /// closed or holds a character it may not.
    pub(crate) fn quoted_string(&mut self) -> Option<String> {
        let start = self.pos;
        if !self.eat(b'"') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => break,
                Some(b'"') => {
                    self.pos += 1;
                    // Only ASCII bytes were dropped, so the rest is still UTF-8.
                    return String::from_utf8(out).ok().or_else(|| {
                        self.pos = start;
                        None
                    });
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b) if !is_ctl_not_tab(b) => {
                            out.push(b);
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                Some(b) if is_ctl_not_tab(b) => break,
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        self.pos = start;
        None
    }

    /// Consumes a `token` or a `quoted-string` and returns its value.
    pub(crate) fn token_or_quoted(&mut self) -> Option<String> {
        if self.peek() == Some(b'"') {
            self.quoted_string()
        } else {
            self.token().map(str::to_owned)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_string_unescapes_and_stops_at_close() {
        let mut c = Cursor::new(r#""Login to \"apps\"" rest"#);
        assert_eq!(c.quoted_string().as_deref(), Some(r#"Login to "apps""#));
        c.skip_ows();
        assert_eq!(c.token(), Some("rest"));
        assert!(c.at_end());
    }

    #[test]
    fn unterminated_quoted_string_is_refused_and_cursor_kept() {
        let mut c = Cursor::new(r#""open \"#);
        assert_eq!(c.quoted_string(), None);
        assert_eq!(c.pos(), 0);
    }

    #[test]
    fn quote_escapes_and_refuses_controls() {
        assert_eq!(quote(r#"a"b\c"#).as_deref(), Some(r#""a\"b\\c""#));
        assert_eq!(quote("a\nb"), None);
        assert_eq!(token_or_quote("gzip").as_deref(), Some("gzip"));
        assert_eq!(token_or_quote("a b").as_deref(), Some("\"a b\""));
    }
}
