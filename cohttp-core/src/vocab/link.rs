//! The `Link` header field (RFC 8288): typed links, several per field, with their
//! target parameters, and the extended values of RFC 8187 (`title*=UTF-8'de'...`).
//!
//! Parsing follows the algorithm of RFC 8288 Appendix B: parameter names are
//! lower-cased, relation types are split on whitespace and lower-cased, and for `rel`,
//! `anchor`, `media`, `type`, `title` and `title*` only the first occurrence counts
//! (§3). `hreflang` may repeat. Parameters this file does not know are kept, in order,
//! in [`Link::params`]. Where Appendix B silently stops at the first link that does not
//! start with `<` or whose `<` is never closed, this parser returns an error instead, so
//! a truncated field is not mistaken for a complete one; a `title*` that cannot be
//! decoded is ignored, as Appendix B says.
//!
//! This file does not resolve target or anchor references against a base URI, nor
//! interpret relation types: targets are kept as written.
//!
//! ```
//! use cohttp_core::vocab::{parse_links, Link};
//!
//! // RFC 8288 §3.5.
//! let links = parse_links(r#"<https://example.org/>; rel="start", <https://example.org/index>; rel="index""#)?;
//! assert_eq!(links.len(), 2);
//! assert_eq!(links[1].target, "https://example.org/index");
//! assert_eq!(links[1].rel, ["index"]);
//!
//! let next = Link::new("/page/3").with_rel("next");
//! assert_eq!(next.serialize()?, r#"</page/3>; rel="next""#);
//! # Ok::<(), cohttp_core::Error>(())
//! ```

use http::header::LINK;
use http::HeaderMap;

use super::syntax::{decode_error, is_token, quote, token_or_quote, unsendable, Cursor};
use crate::error::Result;

/// An extended parameter value (RFC 8187): text with a language tag, carried in
/// percent-encoded UTF-8 (`UTF-8'de'n%c3%a4chstes%20Kapitel`).
///
/// Parsing accepts the `UTF-8` and `ISO-8859-1` charsets (case-insensitively); writing
/// always uses `UTF-8`.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::ExtValue;
///
/// let v = ExtValue::parse("UTF-8'de'n%c3%a4chstes%20Kapitel")?;
/// assert_eq!((v.language.as_str(), v.value.as_str()), ("de", "nächstes Kapitel"));
/// assert_eq!(v.serialize()?, "UTF-8'de'n%C3%A4chstes%20Kapitel");
/// # Ok::<(), cohttp_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtValue {
    /// The language tag, empty when none was given.
    pub language: String,
    /// The decoded text.
    pub value: String,
}

/// `attr-char` of RFC 8187 §3.2.1.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

fn is_language(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl ExtValue {
    /// Text with no language tag.
    pub fn new(value: impl Into<String>) -> ExtValue {
        ExtValue {
            language: String::new(),
            value: value.into(),
        }
    }

    /// Text with a language tag.
    pub fn with_language(language: impl Into<String>, value: impl Into<String>) -> ExtValue {
        ExtValue {
            language: language.into(),
            value: value.into(),
        }
    }

    /// Decodes `charset "'" [ language ] "'" value-chars`.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error for another shape, a
    /// charset other than UTF-8 or ISO-8859-1, a bad percent-escape, or bytes that are
    /// not UTF-8 under the UTF-8 charset.
    pub fn parse(s: &str) -> Result<ExtValue> {
        let err = |what: &str| decode_error(&format!("ext-value: {what}"));
        let mut parts = s.splitn(3, '\'');
        let (charset, language, chars) = match (parts.next(), parts.next(), parts.next()) {
            (Some(c), Some(l), Some(v)) => (c, l, v),
            _ => return Err(err("not charset'language'value")),
        };
        if !is_language(language) {
            return Err(err("invalid language tag"));
        }
        let mut bytes = Vec::with_capacity(chars.len());
        let mut it = chars.bytes();
        while let Some(b) = it.next() {
            if b == b'%' {
                let hi = it.next().and_then(hex);
                let lo = it.next().and_then(hex);
                match (hi, lo) {
                    (Some(h), Some(l)) => bytes.push(h << 4 | l),
                    _ => return Err(err("invalid percent-escape")),
                }
            } else if is_attr_char(b) {
                bytes.push(b);
            } else {
                return Err(err("character that must be percent-encoded"));
            }
        }
        let value = if charset.eq_ignore_ascii_case("utf-8") {
            String::from_utf8(bytes).map_err(|_| err("not UTF-8"))?
        } else if charset.eq_ignore_ascii_case("iso-8859-1") {
            bytes.into_iter().map(char::from).collect()
        } else {
            return Err(err("unsupported charset"));
        };
        Ok(ExtValue {
            language: language.to_owned(),
            value,
        })
    }

    /// Encodes as `UTF-8'language'value`, percent-encoding every byte that is not an
    /// `attr-char` (upper-case hex).
    ///
    /// # Errors
    ///
    /// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error
    /// when the language tag holds anything but letters, digits and `-`.
    pub fn serialize(&self) -> Result<String> {
        if !is_language(&self.language) {
            return Err(unsendable("ext-value: invalid language tag"));
        }
        let mut out = format!("UTF-8'{}'", self.language);
        for b in self.value.bytes() {
            if is_attr_char(b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        Ok(out)
    }
}

/// One link of a `Link` field: a target and its parameters (RFC 8288 §3).
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::{ExtValue, Link};
///
/// let l = Link::new("/TheBook/chapter4")
///     .with_rel("next")
///     .with_title_ext(ExtValue::with_language("de", "nächstes Kapitel"));
/// assert_eq!(
///     l.serialize()?,
///     r#"</TheBook/chapter4>; rel="next"; title*=UTF-8'de'n%C3%A4chstes%20Kapitel"#
/// );
/// assert_eq!(l.title(), Some("nächstes Kapitel"));
/// # Ok::<(), cohttp_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    /// The target URI-reference, as written between `<` and `>`.
    pub target: String,
    /// The relation types, lower-cased, in order (`rel="start http://..."` gives two).
    pub rel: Vec<String>,
    /// `anchor`: the context IRI, when it is not the request's.
    pub anchor: Option<String>,
    /// `hreflang`: the target's languages (may repeat).
    pub hreflang: Vec<String>,
    /// `media`: the media the target is designed for.
    pub media: Option<String>,
    /// `type`: the target's media type hint.
    pub media_type: Option<String>,
    /// `title`: a label for the link.
    pub title: Option<String>,
    /// `title*`: a label in another charset or language; preferred over `title`.
    pub title_ext: Option<ExtValue>,
    /// Every other parameter, names lower-cased, values unquoted (`None` for a
    /// parameter without `=`). A `name*` parameter keeps its raw ext-value; decode it
    /// with [`ExtValue::parse`].
    pub params: Vec<(String, Option<String>)>,
}

impl Link {
    /// A link to `target` with no parameters.
    pub fn new(target: impl Into<String>) -> Link {
        Link {
            target: target.into(),
            ..Link::default()
        }
    }

    /// Adds a relation type.
    pub fn with_rel(mut self, rel: impl Into<String>) -> Link {
        self.rel.push(rel.into());
        self
    }

    /// Sets `anchor`.
    pub fn with_anchor(mut self, anchor: impl Into<String>) -> Link {
        self.anchor = Some(anchor.into());
        self
    }

    /// Sets `title`.
    pub fn with_title(mut self, title: impl Into<String>) -> Link {
        self.title = Some(title.into());
        self
    }

    /// Sets `title*`.
    pub fn with_title_ext(mut self, title: ExtValue) -> Link {
        self.title_ext = Some(title);
        self
    }

    /// Sets `type`.
    pub fn with_media_type(mut self, media_type: impl Into<String>) -> Link {
        self.media_type = Some(media_type.into());
        self
    }

    /// Adds another parameter.
    pub fn with_param(mut self, name: impl Into<String>, value: Option<String>) -> Link {
        self.params.push((name.into(), value));
        self
    }

    /// Whether the link has this relation type (case-insensitive).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rel.iter().any(|r| r.eq_ignore_ascii_case(rel))
    }

    /// The title: `title*` when present, else `title` (RFC 8288 §3.4.1).
    pub fn title(&self) -> Option<&str> {
        self.title_ext
            .as_ref()
            .map(|t| t.value.as_str())
            .or(self.title.as_deref())
    }

    /// The value of the first other parameter of this name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// Writes the link: `<target>` then `rel`, `anchor`, `hreflang`, `media`, `type`,
    /// `title`, `title*` and the other parameters, separated by `"; "`. Values are
    /// quoted-strings, except `hreflang` (a token when it is one) and the ext-values.
    ///
    /// # Errors
    ///
    /// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error
    /// when the target holds `>`, whitespace, a control or a non-ASCII character, a
    /// relation type is empty or holds whitespace, a parameter name is not a token (or
    /// is one of the known names), a `name*` value is not a token, or a value holds a
    /// control character.
    pub fn serialize(&self) -> Result<String> {
        if !self
            .target
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && b != b'>')
        {
            return Err(unsendable("Link: target is not a URI-reference"));
        }
        let mut out = format!("<{}>", self.target);
        let ctl = || unsendable("Link: control character in a parameter");
        if !self.rel.is_empty() {
            if self
                .rel
                .iter()
                .any(|r| r.is_empty() || r.chars().any(char::is_whitespace))
            {
                return Err(unsendable(
                    "Link: empty relation type or one with whitespace",
                ));
            }
            out.push_str("; rel=");
            out.push_str(&quote(&self.rel.join(" ")).ok_or_else(ctl)?);
        }
        if let Some(a) = &self.anchor {
            out.push_str("; anchor=");
            out.push_str(&quote(a).ok_or_else(ctl)?);
        }
        for h in &self.hreflang {
            out.push_str("; hreflang=");
            out.push_str(&token_or_quote(h).ok_or_else(ctl)?);
        }
        for (name, v) in [
            ("media", &self.media),
            ("type", &self.media_type),
            ("title", &self.title),
        ] {
            if let Some(v) = v {
                out.push_str("; ");
                out.push_str(name);
                out.push('=');
                out.push_str(&quote(v).ok_or_else(ctl)?);
            }
        }
        if let Some(t) = &self.title_ext {
            out.push_str("; title*=");
            out.push_str(&t.serialize()?);
        }
        for (name, value) in &self.params {
            if !is_token(name) || is_known(&name.to_ascii_lowercase()) {
                return Err(unsendable(
                    "Link: parameter name is not a token or is reserved",
                ));
            }
            out.push_str("; ");
            out.push_str(name);
            if let Some(v) = value {
                out.push('=');
                if name.ends_with('*') {
                    if !is_token(v) {
                        return Err(unsendable("Link: ext-value is not a token"));
                    }
                    out.push_str(v);
                } else {
                    out.push_str(&token_or_quote(v).ok_or_else(ctl)?);
                }
            }
        }
        Ok(out)
    }
}

fn is_known(name: &str) -> bool {
    matches!(
        name,
        "rel" | "anchor" | "hreflang" | "media" | "type" | "title" | "title*"
    )
}

/// Writes several links as one `Link` field value, joined by `", "`.
///
/// # Errors
///
/// As [`Link::serialize`], or when `links` is empty.
pub fn serialize_links(links: &[Link]) -> Result<String> {
    if links.is_empty() {
        return Err(unsendable("Link: no link"));
    }
    let parts = links
        .iter()
        .map(Link::serialize)
        .collect::<Result<Vec<_>>>()?;
    Ok(parts.join(", "))
}

/// Every link of every `Link` field of `headers`, in order; several fields read as one
/// list (RFC 9110 §5.3).
///
/// # Errors
///
/// As [`parse_links`] for any field, or a decode error for a field that is not UTF-8.
///
/// # Examples
///
/// ```
/// use http::header::{HeaderMap, LINK};
/// use cohttp_core::vocab::link::links;
///
/// let mut h = HeaderMap::new();
/// h.append(LINK, r#"</page/1>; rel="prev""#.parse().unwrap());
/// h.append(LINK, r#"</page/3>; rel="next""#.parse().unwrap());
/// let next = links(&h)?.into_iter().find(|l| l.has_rel("next")).unwrap();
/// assert_eq!(next.target, "/page/3");
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn links(headers: &HeaderMap) -> Result<Vec<Link>> {
    let mut out = Vec::new();
    for v in headers.get_all(LINK) {
        let s = std::str::from_utf8(v.as_bytes()).map_err(|_| decode_error("Link: not UTF-8"))?;
        out.extend(parse_links(s)?);
    }
    Ok(out)
}

/// The most links a field may hold.
const MAX_LINKS: usize = 1024;

/// Parses a `Link` field value into its links, in order (RFC 8288 §3 and Appendix B).
///
/// # Errors
///
/// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error when a link does not start
/// with `<`, its `>` is missing, a parameter name is not a token, a quoted-string is
/// not closed, something follows a link other than `;` or `,`, or there are more than
/// 1024 links. An empty value gives no links.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::parse_links;
///
/// // RFC 8288 §3.5.
/// let l = parse_links(r#"<http://example.com/TheBook/chapter2>; rel="previous"; title="previous chapter""#)?;
/// assert_eq!(l[0].rel, ["previous"]);
/// assert_eq!(l[0].title(), Some("previous chapter"));
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn parse_links(value: &str) -> Result<Vec<Link>> {
    let mut c = Cursor::new(value);
    let mut out = Vec::new();
    loop {
        loop {
            c.skip_ows();
            if !c.eat(b',') {
                break;
            }
        }
        if c.at_end() {
            break;
        }
        if !c.eat(b'<') {
            return Err(decode_error("Link: expected '<'"));
        }
        let target = c.take_while(|b| b != b'>');
        if !c.eat(b'>') {
            return Err(decode_error("Link: '<' without '>'"));
        }
        let mut link = Link::new(target);
        link_params(&mut c, &mut link)?;
        c.skip_ows();
        if !c.at_end() && c.peek() != Some(b',') {
            return Err(decode_error("Link: unexpected character after a link"));
        }
        out.push(link);
        if out.len() > MAX_LINKS {
            return Err(decode_error("Link: too many links"));
        }
    }
    Ok(out)
}

/// Appendix B.3: the parameters of one link.
fn link_params(c: &mut Cursor<'_>, link: &mut Link) -> Result<()> {
    let mut seen_rel = false;
    let mut seen_title_ext = false;
    loop {
        c.skip_ows();
        if !c.eat(b';') {
            return Ok(());
        }
        c.skip_ows();
        let name = match c.token() {
            Some(n) => n.to_ascii_lowercase(),
            None if matches!(c.peek(), None | Some(b';' | b',')) => continue,
            None => return Err(decode_error("Link: parameter name is not a token")),
        };
        c.skip_ows();
        let value = if c.eat(b'=') {
            c.skip_ows();
            Some(if c.peek() == Some(b'"') {
                c.quoted_string()
                    .ok_or_else(|| decode_error("Link: unterminated quoted-string"))?
            } else {
                c.take_while(|b| b != b';' && b != b',')
                    .trim_end_matches([' ', '\t'])
                    .to_owned()
            })
        } else {
            None
        };
        match name.as_str() {
            "rel" => {
                if !seen_rel {
                    seen_rel = true;
                    link.rel = value
                        .unwrap_or_default()
                        .split([' ', '\t'])
                        .filter(|r| !r.is_empty())
                        .map(str::to_ascii_lowercase)
                        .collect();
                }
            }
            "anchor" => first(&mut link.anchor, value),
            "media" => first(&mut link.media, value),
            "type" => first(&mut link.media_type, value),
            "title" => first(&mut link.title, value),
            "title*" => {
                if !seen_title_ext {
                    seen_title_ext = true;
                    link.title_ext = value.and_then(|v| ExtValue::parse(&v).ok());
                }
            }
            "hreflang" => link.hreflang.extend(value),
            _ => link.params.push((name, value)),
        }
    }
}

fn first(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc8288_3_5_previous_chapter() {
        let l = parse_links(
            "<http://example.com/TheBook/chapter2>; rel=\"previous\";\r\n title=\"previous chapter\""
                .replace("\r\n", "")
                .as_str(),
        )
        .unwrap();
        assert_eq!(
            l,
            [Link::new("http://example.com/TheBook/chapter2")
                .with_rel("previous")
                .with_title("previous chapter")]
        );
    }

    #[test]
    fn rfc8288_3_5_extension_relation_type() {
        let l = parse_links(r#"</>; rel="http://example.net/foo""#).unwrap();
        assert_eq!(l[0].target, "/");
        assert_eq!(l[0].rel, ["http://example.net/foo"]);
    }

    #[test]
    fn rfc8288_3_5_anchor() {
        let l = parse_links(r##"</terms>; rel="copyright"; anchor="#foo""##).unwrap();
        assert_eq!(l[0].anchor.as_deref(), Some("#foo"));
        assert!(l[0].has_rel("Copyright"));
    }

    #[test]
    fn rfc8288_3_5_two_links_with_title_star() {
        let l = parse_links(
            "</TheBook/chapter2>;\r\n rel=\"previous\"; title*=UTF-8'de'letztes%20Kapitel,\r\n \
             </TheBook/chapter4>;\r\n rel=\"next\"; title*=UTF-8'de'n%c3%a4chstes%20Kapitel"
                .replace("\r\n", "")
                .as_str(),
        )
        .unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[0].title_ext,
            Some(ExtValue::with_language("de", "letztes Kapitel"))
        );
        assert_eq!(l[1].rel, ["next"]);
        assert_eq!(l[1].title(), Some("nächstes Kapitel"));
    }

    #[test]
    fn rfc8288_3_5_two_relation_types() {
        let l =
            parse_links(r#"<http://example.org/>; rel="start http://example.net/relation/other""#)
                .unwrap();
        assert_eq!(l[0].rel, ["start", "http://example.net/relation/other"]);
    }

    #[test]
    fn rfc8288_3_5_two_links_in_one_field() {
        let l = parse_links(
            r#"<https://example.org/>; rel="start", <https://example.org/index>; rel="index""#,
        )
        .unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(
            serialize_links(&l).unwrap(),
            r#"<https://example.org/>; rel="start", <https://example.org/index>; rel="index""#
        );
    }

    #[test]
    fn first_occurrence_wins_and_unknown_params_are_kept() {
        let l = parse_links(
            "<a>; REL=Next; rel=prev; title=one; title=two; hreflang=en; hreflang=\"de\"; \
             foo; bar=\"x, y\"; baz*=UTF-8''z; type=\"text/html\"; media=screen",
        )
        .unwrap();
        let l = &l[0];
        assert_eq!(l.rel, ["next"]);
        assert_eq!(l.title.as_deref(), Some("one"));
        assert_eq!(l.hreflang, ["en", "de"]);
        assert_eq!(l.media_type.as_deref(), Some("text/html"));
        assert_eq!(l.media.as_deref(), Some("screen"));
        assert_eq!(l.param("foo"), Some(None));
        assert_eq!(l.param("bar"), Some(Some("x, y")));
        assert_eq!(
            ExtValue::parse(l.param("baz*").unwrap().unwrap())
                .unwrap()
                .value,
            "z"
        );
    }

    #[test]
    fn undecodable_title_star_is_ignored() {
        let l = parse_links("<a>; title*=UTF-8'de'%zz; title=plain").unwrap();
        assert_eq!(l[0].title_ext, None);
        assert_eq!(l[0].title(), Some("plain"));
    }

    #[test]
    fn broken_links_are_errors() {
        for s in [
            "a; rel=next",
            "<a; rel=next",
            "<a>; rel=\"next",
            "<a> junk",
            "<a>; =x",
            "<a>, b",
        ] {
            assert_eq!(
                parse_links(s).unwrap_err().kind(),
                &crate::ErrorKind::Decode,
                "{s}"
            );
        }
        assert_eq!(parse_links("").unwrap(), []);
        assert_eq!(parse_links("<a>;;, ,<b>").unwrap().len(), 2);
    }

    #[test]
    fn ext_value_charsets_and_errors() {
        let v = ExtValue::parse("iso-8859-1'en'%A3%20rates").unwrap();
        assert_eq!(v.value, "£ rates");
        assert!(
            ExtValue::parse("UTF-8'en'%A3").is_err(),
            "lone 0xA3 is not UTF-8"
        );
        assert!(ExtValue::parse("KOI8-R''x").is_err());
        assert!(ExtValue::parse("UTF-8'en'a b").is_err());
        assert!(ExtValue::parse("UTF-8'en").is_err());
        assert!(ExtValue::parse("UTF-8''%4").is_err());
    }

    #[test]
    fn serialize_refuses_what_cannot_be_written() {
        assert!(Link::new("a>b").serialize().is_err());
        assert!(Link::new("a b").serialize().is_err());
        assert!(Link::new("a").with_rel("").serialize().is_err());
        assert!(Link::new("a").with_rel("x y").serialize().is_err());
        assert!(Link::new("a").with_title("t\n").serialize().is_err());
        assert!(Link::new("a").with_param("rel", None).serialize().is_err());
        assert!(Link::new("a")
            .with_param("x*", Some("a b".into()))
            .serialize()
            .is_err());
        assert!(serialize_links(&[]).is_err());
    }

    fn token() -> impl Strategy<Value = String> {
        "[a-z0-9!#$%&'*+.^_`|~-]{1,8}"
    }

    fn text() -> impl Strategy<Value = String> {
        "[ -~\u{a0}-\u{2ff}]{0,10}"
    }

    prop_compose! {
        fn link()(
            target in "[!-=?-~]{0,16}",
            rel in proptest::collection::vec("[a-z0-9:/.-]{1,10}", 0..3),
            anchor in proptest::option::of(text()),
            hreflang in proptest::collection::vec(prop_oneof![token(), text()], 0..2),
            media in proptest::option::of(text()),
            media_type in proptest::option::of("[a-z]{1,5}/[a-z]{1,5}"),
            title in proptest::option::of(text()),
            title_ext in proptest::option::of(("[a-z]{0,2}(-[A-Z]{2})?", "\\PC{0,8}")
                .prop_map(|(l, v)| ExtValue::with_language(l, v))),
            params in proptest::collection::vec(
                (token().prop_filter("unknown", |n| !is_known(n) && !n.ends_with('*')),
                 proptest::option::of(text())),
                0..3),
        ) -> Link {
            Link { target, rel, anchor, hreflang, media, media_type, title, title_ext, params }
        }
    }

    proptest! {
        #[test]
        fn link_parser_never_panics(s in "\\PC{0,80}|[ -~]{0,80}|[<>a-zé;=,\" \\\\*'%0-9]{0,80}") {
            let _ = parse_links(&s);
            let _ = ExtValue::parse(&s);
        }

        #[test]
        fn links_round_trip(links in proptest::collection::vec(link(), 1..4)) {
            let s = serialize_links(&links).unwrap();
            prop_assert_eq!(parse_links(&s).unwrap(), links);
        }

        #[test]
        fn ext_values_round_trip(lang in "[a-zA-Z0-9-]{0,6}", v in "\\PC{0,16}") {
            let e = ExtValue::with_language(lang, v);
            prop_assert_eq!(ExtValue::parse(&e.serialize().unwrap()).unwrap(), e);
        }
    }
}
