//! Proactive negotiation (RFC 9110 §12): parsing `Accept`, `Accept-Charset`,
//! `Accept-Encoding` and `Accept-Language` with their q-values, and picking the best of
//! a server's offers.
//!
//! Parsed lists come back ordered by preference: by q-value, highest first, and for
//! `Accept` then by specificity (`text/plain;format=flowed` before `text/plain` before
//! `text/*` before `*/*`); the sort is stable, so the client's order breaks ties.
//!
//! **Invalid q-values are refused, not dropped.** A weight must be `q=` followed by a
//! number from 0 to 1 with at most three decimals (§12.4.2); `q=1.5`, `q=0.1234`,
//! `q="0.5"` or `q=high` make the whole field an
//! [`ErrorKind::Decode`](crate::ErrorKind::Decode) error, as does any other break of
//! the grammar. A server usually treats a field it cannot parse as absent (§12.5.1
//! allows disregarding it); dropping one element instead could turn "anything but
//! this" into "this".
//!
//! Media type names and parameter names are compared case-insensitively (and
//! lower-cased when parsed); parameter values are compared exactly, except `charset`.
//! This file does not pick representations by itself or write `Vary`.
//!
//! ```
//! use cohttp_core::vocab::{negotiate_media_type, parse_accept};
//!
//! let accept = parse_accept("text/*;q=0.3, text/html;q=0.7, */*;q=0.5")?;
//! assert_eq!(accept[0].to_string(), "text/html;q=0.7");
//! let best = negotiate_media_type(&accept, &["text/plain", "application/json", "text/html"]);
//! assert_eq!(best, Some("text/html"));
//! # Ok::<(), cohttp_core::Error>(())
//! ```

use std::fmt;

use super::syntax::{decode_error, is_token, token_or_quote, unsendable, Cursor};
use crate::error::Result;

/// A q-value (RFC 9110 §12.4.2): a weight from 0 to 1 in thousandths. 0 means "not
/// acceptable".
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::QValue;
///
/// assert_eq!(QValue::parse("0.5")?.thousandths(), 500);
/// assert_eq!(QValue::parse("1.000")?, QValue::ONE);
/// assert!(QValue::parse("1.001").is_err());
/// assert_eq!(QValue::from_thousandths(250).unwrap().to_string(), "0.25");
/// # Ok::<(), cohttp_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QValue(u16);

impl QValue {
    /// q=1, the default weight.
    pub const ONE: QValue = QValue(1000);
    /// q=0: not acceptable.
    pub const ZERO: QValue = QValue(0);

    /// A q-value of `n` thousandths, if `n` is at most 1000.
    pub fn from_thousandths(n: u16) -> Option<QValue> {
        (n <= 1000).then_some(QValue(n))
    }

    /// The weight in thousandths (0 to 1000).
    pub fn thousandths(self) -> u16 {
        self.0
    }

    /// Parses `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error for anything else.
    pub fn parse(s: &str) -> Result<QValue> {
        let err = || decode_error("invalid q-value");
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let mut thousandths = 0u16;
        for (i, d) in frac.bytes().enumerate() {
            thousandths += u16::from(d - b'0') * [100, 10, 1].get(i).copied().unwrap_or(0);
        }
        match int {
            "0" => Ok(QValue(thousandths)),
            "1" if thousandths == 0 => Ok(QValue::ONE),
            _ => Err(err()),
        }
    }
}

impl Default for QValue {
    fn default() -> QValue {
        QValue::ONE
    }
}

impl fmt::Display for QValue {
    /// The shortest form: `1`, `0`, `0.5`, `0.25`, `0.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1000 => f.write_str("1"),
            0 => f.write_str("0"),
            n => {
                let s = format!("{n:03}");
                write!(f, "0.{}", s.trim_end_matches('0'))
            }
        }
    }
}

/// One element of `Accept`: a media range, its parameters and its weight.
///
/// `Display` writes it back (`text/plain;format=flowed;q=0.5`, the q omitted when 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    /// The type, lower-cased; `*` in `*/*`.
    pub type_: String,
    /// The subtype, lower-cased; `*` in `type/*` and `*/*`.
    pub subtype: String,
    /// The media-range parameters (before `q`), names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
    /// The weight.
    pub q: QValue,
}

impl MediaRange {
    /// The range `type_/subtype` with no parameters and q=1.
    pub fn new(type_: impl Into<String>, subtype: impl Into<String>) -> MediaRange {
        MediaRange {
            type_: type_.into(),
            subtype: subtype.into(),
            params: Vec::new(),
            q: QValue::ONE,
        }
    }

    /// Adds a parameter.
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> MediaRange {
        self.params.push((name.into(), value.into()));
        self
    }

    /// Sets the weight.
    pub fn with_q(mut self, q: QValue) -> MediaRange {
        self.q = q;
        self
    }

    /// Whether this range matches the media type `offer` (whose own q is ignored): same
    /// type and subtype or a wildcard, and every parameter of the range present in the
    /// offer with the same value.
    pub fn matches(&self, offer: &MediaRange) -> bool {
        let type_ok = self.type_ == "*" || self.type_.eq_ignore_ascii_case(&offer.type_);
        let sub_ok = self.subtype == "*" || self.subtype.eq_ignore_ascii_case(&offer.subtype);
        type_ok
            && sub_ok
            && self.params.iter().all(|(n, v)| {
                offer.params.iter().any(|(on, ov)| {
                    on.eq_ignore_ascii_case(n)
                        && if n.eq_ignore_ascii_case("charset") {
                            ov.eq_ignore_ascii_case(v)
                        } else {
                            ov == v
                        }
                })
            })
    }

    /// How specific the range is: `*/*` < `type/*` < `type/subtype` < with more
    /// parameters.
    fn specificity(&self) -> (u8, usize) {
        let level = match (self.type_.as_str(), self.subtype.as_str()) {
            ("*", _) => 0,
            (_, "*") => 1,
            _ => 2,
        };
        (level, self.params.len())
    }

    fn write(&self, out: &mut String) -> Result<()> {
        let wild_ok = self.type_ != "*" || self.subtype == "*";
        if !is_token(&self.type_) || !is_token(&self.subtype) || !wild_ok {
            return Err(unsendable("Accept: not a media range"));
        }
        out.push_str(&self.type_);
        out.push('/');
        out.push_str(&self.subtype);
        for (n, v) in &self.params {
            if !is_token(n) || n.eq_ignore_ascii_case("q") {
                return Err(unsendable("Accept: invalid parameter name"));
            }
            let v = token_or_quote(v)
                .ok_or_else(|| unsendable("Accept: control character in a parameter"))?;
            out.push(';');
            out.push_str(n);
            out.push('=');
            out.push_str(&v);
        }
        if self.q != QValue::ONE {
            out.push_str(";q=");
            out.push_str(&self.q.to_string());
        }
        Ok(())
    }
}

impl fmt::Display for MediaRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}

/// One element of `Accept-Charset`, `Accept-Encoding` or `Accept-Language`: a value
/// (a charset, a content coding, a language range, or `*`) and its weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weighted {
    /// The value as written.
    pub value: String,
    /// The weight.
    pub q: QValue,
}

impl Weighted {
    /// A value with this weight.
    pub fn new(value: impl Into<String>, q: QValue) -> Weighted {
        Weighted {
            value: value.into(),
            q,
        }
    }
}

/// The most elements a field may hold; more is refused rather than sorted.
const MAX_ELEMENTS: usize = 1024;

fn skip_list_separators(c: &mut Cursor<'_>) {
    loop {
        c.skip_ows();
        if !c.eat(b',') {
            break;
        }
    }
}

/// Reads `*( OWS ";" OWS [ parameter ] )`: the parameters before the first `q`, then
/// the weight. Parameters after the weight (RFC 7231's accept-ext) are skipped when
/// `allow_params` holds, refused otherwise.
fn params_and_weight(
    c: &mut Cursor<'_>,
    field: &str,
    allow_params: bool,
) -> Result<(Vec<(String, String)>, QValue)> {
    let mut params = Vec::new();
    let mut q = None;
    loop {
        c.skip_ows();
        if !c.eat(b';') {
            break;
        }
        c.skip_ows();
        if matches!(c.peek(), None | Some(b',' | b';')) {
            continue;
        }
        let name = c
            .token()
            .ok_or_else(|| decode_error(&format!("{field}: invalid parameter")))?;
        if !c.eat(b'=') {
            return Err(decode_error(&format!("{field}: parameter without value")));
        }
        if name.eq_ignore_ascii_case("q") && q.is_none() {
            let v = c
                .token()
                .ok_or_else(|| decode_error(&format!("{field}: invalid q-value")))?;
            q = Some(
                QValue::parse(v)
                    .map_err(|e| e.with_context(format!("{field}: invalid q-value")))?,
            );
            continue;
        }
        let value = c
            .token_or_quoted()
            .ok_or_else(|| decode_error(&format!("{field}: invalid parameter value")))?;
        if !allow_params {
            return Err(decode_error(&format!("{field}: parameter other than q")));
        }
        if q.is_none() {
            params.push((name.to_ascii_lowercase(), value));
        }
    }
    Ok((params, q.unwrap_or(QValue::ONE)))
}

/// Checks that the element ends at a comma or the end of the field.
fn element_end(c: &mut Cursor<'_>, field: &str) -> Result<()> {
    c.skip_ows();
    if c.at_end() || c.peek() == Some(b',') {
        Ok(())
    } else {
        Err(decode_error(&format!("{field}: unexpected character")))
    }
}

/// One `type/subtype` with its parameters (no weight check).
fn media_range(c: &mut Cursor<'_>, field: &str) -> Result<MediaRange> {
    let err = || decode_error(&format!("{field}: not a media range"));
    let type_ = c.token().ok_or_else(err)?.to_ascii_lowercase();
    if !c.eat(b'/') {
        return Err(err());
    }
    let subtype = c.token().ok_or_else(err)?.to_ascii_lowercase();
    if type_ == "*" && subtype != "*" {
        return Err(err());
    }
    let (params, q) = params_and_weight(c, field, true)?;
    Ok(MediaRange {
        type_,
        subtype,
        params,
        q,
    })
}

/// Orders media ranges by q, then specificity, both highest first; stable.
fn sort_media_ranges(v: &mut [MediaRange]) {
    v.sort_by(|a, b| {
        b.q.cmp(&a.q)
            .then_with(|| b.specificity().cmp(&a.specificity()))
    });
}

/// Parses an `Accept` field value (RFC 9110 §12.5.1) into media ranges, most preferred
/// first. An empty value gives an empty list.
///
/// # Errors
///
/// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error for a break of the grammar,
/// including an invalid q-value (see the module docs), or more than 1024 elements.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::parse_accept;
///
/// // RFC 9110 §12.5.1.
/// let a = parse_accept("text/*, text/plain, text/plain;format=flowed, */*")?;
/// let order: Vec<String> = a.iter().map(|m| m.to_string()).collect();
/// assert_eq!(order, ["text/plain;format=flowed", "text/plain", "text/*", "*/*"]);
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn parse_accept(value: &str) -> Result<Vec<MediaRange>> {
    let mut c = Cursor::new(value);
    let mut out = Vec::new();
    loop {
        skip_list_separators(&mut c);
        if c.at_end() {
            break;
        }
        out.push(media_range(&mut c, "Accept")?);
        element_end(&mut c, "Accept")?;
        if out.len() > MAX_ELEMENTS {
            return Err(decode_error("Accept: too many elements"));
        }
    }
    sort_media_ranges(&mut out);
    Ok(out)
}

fn parse_weighted(value: &str, field: &str, valid: fn(&str) -> bool) -> Result<Vec<Weighted>> {
    let mut c = Cursor::new(value);
    let mut out = Vec::new();
    loop {
        skip_list_separators(&mut c);
        if c.at_end() {
            break;
        }
        let v = c
            .token()
            .filter(|v| valid(v))
            .ok_or_else(|| decode_error(&format!("{field}: invalid element")))?;
        let (_, q) = params_and_weight(&mut c, field, false)?;
        element_end(&mut c, field)?;
        out.push(Weighted::new(v, q));
        if out.len() > MAX_ELEMENTS {
            return Err(decode_error(&format!("{field}: too many elements")));
        }
    }
    out.sort_by_key(|w| std::cmp::Reverse(w.q));
    Ok(out)
}

/// `language-range = ( 1*8ALPHA *( "-" 1*8alphanum ) ) / "*"` (RFC 4647 §2.1).
fn is_language_range(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    let mut parts = s.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Parses an `Accept-Charset` field value (RFC 9110 §12.5.2), most preferred first.
///
/// # Errors
///
/// As [`parse_accept`]; a parameter other than `q` is refused.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::parse_accept_charset;
///
/// let a = parse_accept_charset("iso-8859-5, unicode-1-1;q=0.8")?;
/// assert_eq!((a[1].value.as_str(), a[1].q.thousandths()), ("unicode-1-1", 800));
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn parse_accept_charset(value: &str) -> Result<Vec<Weighted>> {
    parse_weighted(value, "Accept-Charset", is_token)
}

/// Parses an `Accept-Encoding` field value (RFC 9110 §12.5.3), most preferred first.
/// An empty value (meaning "no coding but identity") gives an empty list.
///
/// # Errors
///
/// As [`parse_accept_charset`].
pub fn parse_accept_encoding(value: &str) -> Result<Vec<Weighted>> {
    parse_weighted(value, "Accept-Encoding", is_token)
}

/// Parses an `Accept-Language` field value (RFC 9110 §12.5.4), most preferred first.
///
/// # Errors
///
/// As [`parse_accept_charset`], and for an element that is not a language range.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::parse_accept_language;
///
/// let a = parse_accept_language("da, en-gb;q=0.8, en;q=0.7")?;
/// let v: Vec<&str> = a.iter().map(|w| w.value.as_str()).collect();
/// assert_eq!(v, ["da", "en-gb", "en"]);
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn parse_accept_language(value: &str) -> Result<Vec<Weighted>> {
    parse_weighted(value, "Accept-Language", is_language_range)
}

/// Writes an `Accept` field value: the ranges in the order given, joined by `", "`.
///
/// # Errors
///
/// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error when a
/// type, subtype or parameter name is not a token, a parameter is named `q`, `*/sub`
/// is used, or a value holds a control character.
pub fn serialize_accept(ranges: &[MediaRange]) -> Result<String> {
    let mut out = String::new();
    for (i, r) in ranges.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        r.write(&mut out)?;
    }
    Ok(out)
}

/// Writes an `Accept-Charset`, `Accept-Encoding` or `Accept-Language` field value.
///
/// # Errors
///
/// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error when a
/// value is not a token.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::{serialize_weighted, QValue, Weighted};
///
/// let q = QValue::from_thousandths(500).unwrap();
/// let s = serialize_weighted(&[Weighted::new("gzip", QValue::ONE), Weighted::new("identity", q)])?;
/// assert_eq!(s, "gzip, identity;q=0.5");
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn serialize_weighted(values: &[Weighted]) -> Result<String> {
    let mut out = String::new();
    for (i, w) in values.iter().enumerate() {
        if !is_token(&w.value) {
            return Err(unsendable("Accept-*: value is not a token"));
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&w.value);
        if w.q != QValue::ONE {
            out.push_str(";q=");
            out.push_str(&w.q.to_string());
        }
    }
    Ok(out)
}

/// The first offer with the highest weight above zero: the server's order breaks ties.
fn best<'a>(offers: &[&'a str], weight: impl Fn(&str) -> Option<QValue>) -> Option<&'a str> {
    let mut best: Option<(&'a str, QValue)> = None;
    for &offer in offers {
        if let Some(q) = weight(offer) {
            if q > QValue::ZERO && best.map_or(true, |(_, b)| q > b) {
                best = Some((offer, q));
            }
        }
    }
    best.map(|(o, _)| o)
}

/// Picks the best of the server's `offers` (media types such as
/// `text/html;charset=utf-8`) for a parsed `Accept` field.
///
/// Each offer gets the q of the most specific range that matches it (§12.5.1); an offer
/// no range matches, or whose best range has q=0, is not acceptable. Among equals the
/// earlier offer wins. An empty `accept` (an empty field) accepts anything: the first
/// offer that is a media type is chosen. Offers that are not media types are skipped.
/// When the request has no `Accept` field at all, any offer is acceptable.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::{negotiate_media_type, parse_accept};
///
/// let a = parse_accept("audio/*; q=0.2, audio/basic")?;
/// assert_eq!(negotiate_media_type(&a, &["audio/mpeg", "audio/basic"]), Some("audio/basic"));
/// assert_eq!(negotiate_media_type(&a, &["text/html"]), None);
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn negotiate_media_type<'a>(accept: &[MediaRange], offers: &[&'a str]) -> Option<&'a str> {
    best(offers, |offer| media_type_quality(accept, offer))
}

/// The weight a parsed `Accept` field gives the media type `offer`: the q of the most
/// specific range that matches it (RFC 9110 §12.5.1), `Some(QValue::ZERO)` when none
/// matches, q=1 for an empty `accept`, and `None` when `offer` is not a media type
/// (`text/html;level=1`; wildcards are not media types).
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::{media_type_quality, parse_accept};
///
/// let a = parse_accept("text/*;q=0.3, text/html;q=0.7, */*;q=0.5")?;
/// assert_eq!(media_type_quality(&a, "text/plain").map(|q| q.thousandths()), Some(300));
/// assert_eq!(media_type_quality(&a, "text/*"), None);
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn media_type_quality(accept: &[MediaRange], offer: &str) -> Option<QValue> {
    let mut c = Cursor::new(offer);
    let m = media_range(&mut c, "offer").ok()?;
    c.skip_ows();
    if !c.at_end() || m.type_ == "*" || m.subtype == "*" {
        return None;
    }
    if accept.is_empty() {
        return Some(QValue::ONE);
    }
    Some(
        accept
            .iter()
            .filter(|r| r.matches(&m))
            .max_by_key(|r| r.specificity())
            .map_or(QValue::ZERO, |r| r.q),
    )
}

/// The weight of `offer` under `accept`: an exact (case-insensitive) entry, else `*`.
fn exact_or_star(accept: &[Weighted], offer: &str) -> Option<QValue> {
    accept
        .iter()
        .find(|w| w.value.eq_ignore_ascii_case(offer))
        .or_else(|| accept.iter().find(|w| w.value == "*"))
        .map(|w| w.q)
}

/// Picks the best of the server's charsets for a parsed `Accept-Charset` field: an
/// offer named in the field gets its q, any other the q of `*`, if present (§12.5.2).
/// An empty `accept` accepts the first offer.
pub fn negotiate_charset<'a>(accept: &[Weighted], offers: &[&'a str]) -> Option<&'a str> {
    best(offers, |offer| {
        if accept.is_empty() {
            Some(QValue::ONE)
        } else {
            exact_or_star(accept, offer)
        }
    })
}

/// `x-gzip` and `x-compress` are `gzip` and `compress` (RFC 9110 §8.4.1).
fn canonical_coding(c: &str) -> &str {
    if c.eq_ignore_ascii_case("x-gzip") {
        "gzip"
    } else if c.eq_ignore_ascii_case("x-compress") {
        "compress"
    } else {
        c
    }
}

/// Picks the best of the server's content codings (`identity` for none) for a parsed
/// `Accept-Encoding` field, by §12.5.3: a named coding gets its q, others the q of `*`;
/// `identity` is acceptable unless excluded by `identity;q=0` or by `*;q=0` without an
/// `identity` entry. An empty `accept` (an empty field) accepts only `identity`.
/// (A request with no `Accept-Encoding` at all accepts any coding.)
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::{negotiate_encoding, parse_accept_encoding};
///
/// let a = parse_accept_encoding("gzip;q=1.0, identity; q=0.5, *;q=0")?;
/// assert_eq!(negotiate_encoding(&a, &["br", "identity", "gzip"]), Some("gzip"));
/// assert_eq!(negotiate_encoding(&a, &["br"]), None);
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn negotiate_encoding<'a>(accept: &[Weighted], offers: &[&'a str]) -> Option<&'a str> {
    best(offers, |offer| {
        let offer = canonical_coding(offer);
        let named = accept
            .iter()
            .find(|w| canonical_coding(&w.value).eq_ignore_ascii_case(offer));
        let star = accept.iter().find(|w| w.value == "*");
        match (named, star) {
            (Some(w), _) => Some(w.q),
            (None, Some(s)) => Some(s.q),
            (None, None) if offer.eq_ignore_ascii_case("identity") => Some(QValue::ONE),
            (None, None) => None,
        }
    })
}

/// Picks the best of the server's language tags for a parsed `Accept-Language` field.
///
/// Ranges match by RFC 4647 basic filtering (§3.3.1: equal, or a prefix ending at a
/// `-`, case-insensitively; `*` matches all); an offer gets the q of its longest
/// matching range. An empty `accept` accepts the first offer.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::{negotiate_language, parse_accept_language};
///
/// let a = parse_accept_language("da, en-gb;q=0.8, en;q=0.7")?;
/// assert_eq!(negotiate_language(&a, &["en-US", "en-GB"]), Some("en-GB"));
/// assert_eq!(negotiate_language(&a, &["fr", "en-US"]), Some("en-US"));
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn negotiate_language<'a>(accept: &[Weighted], offers: &[&'a str]) -> Option<&'a str> {
    best(offers, |offer| {
        if accept.is_empty() {
            return Some(QValue::ONE);
        }
        accept
            .iter()
            .filter(|w| language_matches(&w.value, offer))
            .max_by_key(|w| if w.value == "*" { 0 } else { w.value.len() })
            .map(|w| w.q)
    })
}

fn language_matches(range: &str, tag: &str) -> bool {
    if range == "*" {
        return true;
    }
    match tag.get(..range.len()) {
        Some(head) if head.eq_ignore_ascii_case(range) => {
            tag.len() == range.len() || tag.as_bytes().get(range.len()) == Some(&b'-')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(n: u16) -> QValue {
        QValue::from_thousandths(n).unwrap()
    }

    fn names(v: &[MediaRange]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn qvalue_grammar_is_enforced() {
        for ok in [
            "0", "0.", "0.5", "0.123", "1", "1.", "1.0", "1.000", "0.000",
        ] {
            assert!(QValue::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".5", "0.1234", "1.001", "2", "01", "-0", "0,5", "1.5", "0.5x",
        ] {
            assert!(QValue::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(q(125).to_string(), "0.125");
        assert_eq!(q(100).to_string(), "0.1");
    }

    #[test]
    fn rfc9110_audio_example_prefers_basic() {
        let a = parse_accept("audio/*; q=0.2, audio/basic").unwrap();
        assert_eq!(names(&a), ["audio/basic", "audio/*;q=0.2"]);
        assert_eq!(
            negotiate_media_type(&a, &["audio/mpeg"]),
            Some("audio/mpeg")
        );
    }

    #[test]
    fn rfc9110_text_example_orders_by_q_then_client_order() {
        let a = parse_accept(
            "text/plain; q=0.5, text/html,\r\n text/x-dvi; q=0.8, text/x-c"
                .replace("\r\n", "")
                .as_str(),
        )
        .unwrap();
        assert_eq!(
            names(&a),
            [
                "text/html",
                "text/x-c",
                "text/x-dvi;q=0.8",
                "text/plain;q=0.5"
            ]
        );
    }

    #[test]
    fn rfc9110_specificity_example_gives_the_documented_weights() {
        let a = parse_accept(
            "text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, \
             text/plain;format=fixed;q=0.4, */*;q=0.5",
        )
        .unwrap();
        for (offer, want) in [
            ("text/plain;format=flowed", 1000),
            ("text/plain", 700),
            ("text/html", 300),
            ("image/jpeg", 500),
            ("text/plain;format=fixed", 400),
            // 0.3 as corrected by RFC 9110 erratum 7138 (the RFC's table says 0.7).
            ("text/html;level=3", 300),
        ] {
            assert_eq!(media_type_quality(&a, offer), Some(q(want)), "{offer}");
        }
    }

    #[test]
    fn rfc7231_level_example_gives_the_documented_weights() {
        let a = parse_accept(
            "text/*;q=0.3, text/html;q=0.7, text/html;level=1, \
             text/html;level=2;q=0.4, */*;q=0.5",
        )
        .unwrap();
        for (offer, want) in [
            ("text/html;level=1", 1000),
            ("text/html", 700),
            ("text/plain", 300),
            ("image/jpeg", 500),
            ("text/html;level=2", 400),
            ("text/html;level=3", 700),
        ] {
            assert_eq!(media_type_quality(&a, offer), Some(q(want)), "{offer}");
        }
        assert_eq!(
            negotiate_media_type(
                &a,
                &["text/html;level=2", "image/jpeg", "text/html;level=1"]
            ),
            Some("text/html;level=1")
        );
    }

    #[test]
    fn invalid_q_values_refuse_the_whole_field() {
        for s in [
            "text/html;q=1.5",
            "text/html;q=0.1234",
            "text/html;q=\"0.5\"",
            "text/html;q=",
            "text/html;q=high, */*",
        ] {
            let e = parse_accept(s).unwrap_err();
            assert_eq!(e.kind(), &crate::ErrorKind::Decode, "{s}");
        }
        assert!(parse_accept_encoding("gzip;q=2").is_err());
    }

    #[test]
    fn accept_grammar_errors_and_leniencies() {
        assert!(parse_accept("text").is_err());
        assert!(parse_accept("*/html").is_err());
        assert!(parse_accept("text/html junk").is_err());
        assert!(parse_accept("text/html;charset").is_err());
        assert_eq!(parse_accept("").unwrap(), []);
        assert_eq!(parse_accept(" , ,").unwrap(), []);
        let a = parse_accept("Text/HTML;Charset=\"utf-8\";;q=0.5;ext=1").unwrap();
        assert_eq!(
            a,
            [MediaRange::new("text", "html")
                .with_param("charset", "utf-8")
                .with_q(q(500))]
        );
    }

    #[test]
    fn q_zero_excludes_and_ties_go_to_the_server_order() {
        let a = parse_accept("text/html;q=0, */*").unwrap();
        assert_eq!(
            negotiate_media_type(&a, &["text/html", "application/json"]),
            Some("application/json")
        );
        assert_eq!(negotiate_media_type(&a, &["text/html"]), None);
        let a = parse_accept("*/*").unwrap();
        assert_eq!(negotiate_media_type(&a, &["a/b", "c/d"]), Some("a/b"));
        assert_eq!(negotiate_media_type(&[], &["bad", "c/d"]), Some("c/d"));
    }

    #[test]
    fn charset_parameter_matches_case_insensitively() {
        let a = parse_accept("text/html;charset=UTF-8").unwrap();
        assert_eq!(
            negotiate_media_type(&a, &["text/html;charset=utf-8"]),
            Some("text/html;charset=utf-8")
        );
        assert_eq!(negotiate_media_type(&a, &["text/html"]), None);
    }

    #[test]
    fn rfc9110_accept_charset_example() {
        let a = parse_accept_charset("iso-8859-5, unicode-1-1;q=0.8").unwrap();
        assert_eq!(
            negotiate_charset(&a, &["utf-8", "unicode-1-1"]),
            Some("unicode-1-1")
        );
        let a = parse_accept_charset("utf-8, *;q=0.1").unwrap();
        assert_eq!(negotiate_charset(&a, &["latin1"]), Some("latin1"));
        assert!(parse_accept_charset("utf-8;level=1").is_err());
    }

    #[test]
    fn rfc9110_accept_encoding_examples() {
        let a = parse_accept_encoding("compress, gzip").unwrap();
        assert_eq!(negotiate_encoding(&a, &["br", "gzip"]), Some("gzip"));
        assert_eq!(negotiate_encoding(&a, &["identity"]), Some("identity"));
        let a = parse_accept_encoding("").unwrap();
        assert_eq!(
            negotiate_encoding(&a, &["gzip", "identity"]),
            Some("identity")
        );
        let a = parse_accept_encoding("*").unwrap();
        assert_eq!(negotiate_encoding(&a, &["br"]), Some("br"));
        let a = parse_accept_encoding("compress;q=0.5, gzip;q=1.0").unwrap();
        assert_eq!(
            negotiate_encoding(&a, &["compress", "x-gzip"]),
            Some("x-gzip")
        );
        let a = parse_accept_encoding("gzip;q=1.0, identity; q=0.5, *;q=0").unwrap();
        assert_eq!(
            negotiate_encoding(&a, &["br", "identity"]),
            Some("identity")
        );
        let a = parse_accept_encoding("br, *;q=0").unwrap();
        assert_eq!(negotiate_encoding(&a, &["identity"]), None);
        let a = parse_accept_encoding("br, identity;q=0").unwrap();
        assert_eq!(negotiate_encoding(&a, &["identity"]), None);
    }

    #[test]
    fn rfc9110_accept_language_example_and_prefix_matching() {
        let a = parse_accept_language("da, en-gb;q=0.8, en;q=0.7").unwrap();
        assert_eq!(negotiate_language(&a, &["en", "da"]), Some("da"));
        assert_eq!(
            negotiate_language(&a, &["en-us", "en-GB-oed"]),
            Some("en-GB-oed")
        );
        assert_eq!(negotiate_language(&a, &["eng", "fr"]), None);
        assert!(parse_accept_language("toolonglang").is_err());
        assert!(parse_accept_language("en_US").is_err());
        assert!(parse_accept_language("zh-Hant-TW, *;q=0.1").is_ok());
    }

    fn token() -> impl Strategy<Value = String> {
        "[a-z0-9!#$%&'*+.^_`|~-]{1,8}"
    }

    fn qvalue() -> impl Strategy<Value = QValue> {
        (0u16..=1000).prop_map(q)
    }

    prop_compose! {
        fn media_range_s()(
            kind in 0..3,
            t in "[a-z0-9!#$%&'+.^_`|~-]{1,8}", s in "[a-z0-9!#$%&'+.^_`|~-]{1,8}",
            params in proptest::collection::vec(
                (token().prop_filter("not q", |n| n != "q"), "[ -~]{0,8}"), 0..3),
            qv in qvalue(),
        ) -> MediaRange {
            let (t, s) = match kind { 0 => ("*".into(), "*".into()), 1 => (t, "*".into()), _ => (t, s) };
            MediaRange { type_: t, subtype: s, params, q: qv }
        }
    }

    proptest! {
        #[test]
        fn accept_parsers_never_panic(s in "\\PC{0,60}|[ -~]{0,60}|[a-zé*/;=,\" .q0-9\\\\\t-]{0,60}") {
            let _ = parse_accept(&s);
            let _ = parse_accept_charset(&s);
            let _ = parse_accept_encoding(&s);
            let _ = parse_accept_language(&s);
            let _ = QValue::parse(&s);
            let _ = negotiate_media_type(&[], &[s.as_str()]);
        }

        #[test]
        fn accept_round_trips_in_preference_order(mut v in proptest::collection::vec(media_range_s(), 0..6)) {
            let s = serialize_accept(&v).unwrap();
            sort_media_ranges(&mut v);
            prop_assert_eq!(parse_accept(&s).unwrap(), v);
        }

        #[test]
        fn weighted_round_trips_in_preference_order(
            mut v in proptest::collection::vec(
                (token(), qvalue()).prop_map(|(t, qv)| Weighted::new(t, qv)), 0..6)
        ) {
            let s = serialize_weighted(&v).unwrap();
            v.sort_by_key(|w| std::cmp::Reverse(w.q));
            prop_assert_eq!(parse_accept_charset(&s).unwrap(), v);
        }
    }
}
