//! Cookies (RFC 6265bis): the `Set-Cookie` response field ([`SetCookie`]) and the
//! `Cookie` request field ([`parse_cookie_header`], [`serialize_cookie_header`]), with
//! helpers to read every `Set-Cookie` of a [`HeaderMap`] and to add cookies to one.
//!
//! Parsing `Set-Cookie` follows the user agent's algorithm of RFC 6265bis §5.6 step by
//! step, which is lenient by design: unknown attributes are ignored, an attribute whose
//! value is unusable is ignored (an unparsable `Expires`, a `Max-Age` that is not a
//! number, an empty `Domain`), and when an attribute appears twice the last one wins.
//! Only a string the algorithm says to ignore entirely (control characters, no name and
//! no value, name and value over 4096 bytes) is an error.
//!
//! Writing is strict, by the server grammar of §4.1.1: names are tokens, values are
//! cookie-octets (optionally in double quotes), attribute values hold no `;` or control
//! character; anything else is a typed error rather than a broken field.
//!
//! This file is not a cookie jar: it does not store cookies, match them to requests, or
//! apply the storage model's rules (domain matching, `__Host-` prefixes, age limits).
//!
//! ```
//! use cohttp_core::vocab::{SameSite, SetCookie};
//!
//! let c = SetCookie::parse("SID=31d4d96e407aad42; Path=/; Secure; HttpOnly; SameSite=Lax")?;
//! assert_eq!((c.name.as_str(), c.value.as_str()), ("SID", "31d4d96e407aad42"));
//! assert_eq!(c.path.as_deref(), Some("/"));
//! assert!(c.secure && c.http_only);
//! assert_eq!(c.same_site, Some(SameSite::Lax));
//! assert_eq!(
//!     c.serialize()?,
//!     "SID=31d4d96e407aad42; Path=/; Secure; HttpOnly; SameSite=Lax"
//! );
//! # Ok::<(), cohttp_core::Error>(())
//! ```

use std::fmt;
use std::time::SystemTime;

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use super::date::{format_http_date, parse_cookie_date};
use super::syntax::{decode_error, is_token, unsendable};
use crate::error::Result;

/// The most bytes the name and value of one cookie may hold together (§5.6 step 5).
const MAX_NAME_VALUE: usize = 4096;
/// The most bytes an attribute value may hold; longer ones are ignored (§5.6 step 7).
const MAX_ATTRIBUTE_VALUE: usize = 1024;

/// The `SameSite` attribute (RFC 6265bis §4.1.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Sent with same-site requests and cross-site top-level navigations.
    Lax,
    /// Sent with cross-site requests too (user agents require `Secure` with it).
    None,
}

impl SameSite {
    /// The attribute value as written: `Strict`, `Lax` or `None`.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `Set-Cookie` field: a cookie and its attributes (RFC 6265bis §4.1 and §5.6).
///
/// Fields are public; [`SetCookie::new`] plus the `with_*` methods build one. `None` or
/// `false` means the attribute is absent.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use cohttp_core::vocab::{SameSite, SetCookie};
///
/// let c = SetCookie::new("lang", "en-US")
///     .with_expires(UNIX_EPOCH + Duration::from_secs(1_623_233_894))
///     .with_path("/")
///     .with_same_site(SameSite::Strict);
/// assert_eq!(
///     c.serialize()?,
///     "lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Path=/; SameSite=Strict"
/// );
/// assert_eq!(SetCookie::parse(&c.serialize()?)?, c);
/// # Ok::<(), cohttp_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetCookie {
    /// The cookie name (may be empty when parsed: `Set-Cookie: value` has no name).
    pub name: String,
    /// The cookie value, double quotes included if it had them.
    pub value: String,
    /// `Expires`: when the cookie expires.
    pub expires: Option<SystemTime>,
    /// `Max-Age`: the cookie's lifetime in seconds; zero or less means already expired.
    /// A user agent prefers it to `Expires`. Written as given: the server grammar asks
    /// for a positive number, but `Max-Age=0` is the usual way to delete a cookie and
    /// user agents read zero or less as "expired" (§5.6.2).
    pub max_age: Option<i64>,
    /// `Domain`, lower-cased, a leading `.` removed (as §5.6.3 does).
    pub domain: Option<String>,
    /// `Path`; `None` when absent or when the last `Path` did not start with `/` (the
    /// user agent then uses the request's default path).
    pub path: Option<String>,
    /// `Secure`: sent only over secure channels.
    pub secure: bool,
    /// `HttpOnly`: not exposed to scripts.
    pub http_only: bool,
    /// `SameSite`; `None` when absent or of an unknown value ("Default" enforcement).
    pub same_site: Option<SameSite>,
}

impl SetCookie {
    /// A cookie with this name and value and no attributes.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> SetCookie {
        SetCookie {
            name: name.into(),
            value: value.into(),
            ..SetCookie::default()
        }
    }

    /// Sets `Expires`.
    pub fn with_expires(mut self, at: SystemTime) -> SetCookie {
        self.expires = Some(at);
        self
    }

    /// Sets `Max-Age`, in seconds.
    pub fn with_max_age(mut self, seconds: i64) -> SetCookie {
        self.max_age = Some(seconds);
        self
    }

    /// Sets `Domain`.
    pub fn with_domain(mut self, domain: impl Into<String>) -> SetCookie {
        self.domain = Some(domain.into());
        self
    }

    /// Sets `Path`.
    pub fn with_path(mut self, path: impl Into<String>) -> SetCookie {
        self.path = Some(path.into());
        self
    }

    /// Sets `Secure`.
    pub fn with_secure(mut self, secure: bool) -> SetCookie {
        self.secure = secure;
        self
    }

    /// Sets `HttpOnly`.
    pub fn with_http_only(mut self, http_only: bool) -> SetCookie {
        self.http_only = http_only;
        self
    }

    /// Sets `SameSite`.
    pub fn with_same_site(mut self, same_site: SameSite) -> SetCookie {
        self.same_site = Some(same_site);
        self
    }

    /// Parses a `Set-Cookie` field value by RFC 6265bis §5.6.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error where §5.6 says to
    /// ignore the string entirely: a control character other than HTAB, an empty name
    /// with an empty value, or a name and value over 4096 bytes together.
    ///
    /// # Examples
    ///
    /// ```
    /// use cohttp_core::vocab::SetCookie;
    ///
    /// // Unknown attributes and a Max-Age that is not a number are ignored.
    /// let c = SetCookie::parse("id=a3fWa; Max-Age=soon; Partitioned; Domain=.Example.COM")?;
    /// assert_eq!(c.max_age, None);
    /// assert_eq!(c.domain.as_deref(), Some("example.com"));
    /// assert!(SetCookie::parse("id=a\u{1}b").is_err());
    /// # Ok::<(), cohttp_core::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<SetCookie> {
        // Step 1: control characters other than HTAB make the string ignored.
        if s.bytes()
            .any(|b| matches!(b, 0x00..=0x08 | 0x0a..=0x1f | 0x7f))
        {
            return Err(decode_error("Set-Cookie: control character"));
        }
        // Step 2: the name-value-pair runs to the first ';'.
        let (pair, mut attributes) = match s.find(';') {
            Some(i) => (s.get(..i).unwrap_or(""), s.get(i..).unwrap_or("")),
            None => (s, ""),
        };
        // Step 3: no '=' means an empty name.
        let (name, value) = match pair.find('=') {
            Some(i) => (pair.get(..i).unwrap_or(""), pair.get(i + 1..).unwrap_or("")),
            None => ("", pair),
        };
        // Step 4: trim WSP.
        let (name, value) = (trim_wsp(name), trim_wsp(value));
        // Steps 5 and 6.
        if name.len() + value.len() > MAX_NAME_VALUE {
            return Err(decode_error("Set-Cookie: name and value over 4096 bytes"));
        }
        if name.is_empty() && value.is_empty() {
            return Err(decode_error("Set-Cookie: no name and no value"));
        }
        let mut cookie = SetCookie::new(name, value);
        // Step 7: each attribute, in order; the last of a kind wins.
        while let Some(rest) = attributes.strip_prefix(';') {
            let (av, next) = match rest.find(';') {
                Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
                None => (rest, ""),
            };
            attributes = next;
            let (attr_name, attr_value) = match av.find('=') {
                Some(i) => (av.get(..i).unwrap_or(""), av.get(i + 1..).unwrap_or("")),
                None => (av, ""),
            };
            let (attr_name, attr_value) = (trim_wsp(attr_name), trim_wsp(attr_value));
            if attr_value.len() > MAX_ATTRIBUTE_VALUE {
                continue;
            }
            cookie.apply_attribute(attr_name, attr_value);
        }
        Ok(cookie)
    }

    /// §5.6.1 to §5.6.7: one attribute; unknown names are ignored.
    fn apply_attribute(&mut self, name: &str, value: &str) {
        if name.eq_ignore_ascii_case("expires") {
            if let Some(t) = parse_cookie_date(value) {
                self.expires = Some(t);
            }
        } else if name.eq_ignore_ascii_case("max-age") {
            if let Some(secs) = parse_max_age(value) {
                self.max_age = Some(secs);
            }
        } else if name.eq_ignore_ascii_case("domain") {
            // An empty Domain is ignored (the SHOULD of §5.6.3).
            if !value.is_empty() {
                let v = value.strip_prefix('.').unwrap_or(value);
                self.domain = Some(v.to_ascii_lowercase());
            }
        } else if name.eq_ignore_ascii_case("path") {
            self.path = if value.starts_with('/') {
                Some(value.to_owned())
            } else {
                None
            };
        } else if name.eq_ignore_ascii_case("secure") {
            self.secure = true;
        } else if name.eq_ignore_ascii_case("httponly") {
            self.http_only = true;
        } else if name.eq_ignore_ascii_case("samesite") {
            self.same_site = if value.eq_ignore_ascii_case("none") {
                Some(SameSite::None)
            } else if value.eq_ignore_ascii_case("strict") {
                Some(SameSite::Strict)
            } else if value.eq_ignore_ascii_case("lax") {
                Some(SameSite::Lax)
            } else {
                None
            };
        }
    }

    /// Writes the field value, attributes in the order `Expires`, `Max-Age`, `Domain`,
    /// `Path`, `Secure`, `HttpOnly`, `SameSite`; `Expires` as an IMF-fixdate.
    ///
    /// # Errors
    ///
    /// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error
    /// when the name is not a token, the value is not cookie-octets (optionally in
    /// double quotes), `Domain` or `Path` holds `;` or a control character, or
    /// `Expires` is outside years 0–9999.
    pub fn serialize(&self) -> Result<String> {
        check_pair(&self.name, &self.value)?;
        let mut out = format!("{}={}", self.name, self.value);
        if let Some(t) = self.expires {
            out.push_str("; Expires=");
            out.push_str(&format_http_date(t)?);
        }
        if let Some(secs) = self.max_age {
            out.push_str(&format!("; Max-Age={secs}"));
        }
        if let Some(d) = &self.domain {
            check_av("Domain", d)?;
            out.push_str("; Domain=");
            out.push_str(d);
        }
        if let Some(p) = &self.path {
            check_av("Path", p)?;
            out.push_str("; Path=");
            out.push_str(p);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if let Some(s) = self.same_site {
            out.push_str("; SameSite=");
            out.push_str(s.as_str());
        }
        Ok(out)
    }

    /// The field value as a [`HeaderValue`] (see [`SetCookie::serialize`]).
    ///
    /// # Errors
    ///
    /// As [`SetCookie::serialize`].
    pub fn to_header_value(&self) -> Result<HeaderValue> {
        HeaderValue::from_str(&self.serialize()?)
            .map_err(|_| unsendable("Set-Cookie: not a valid field value"))
    }

    /// Appends this cookie to `headers` as one more `Set-Cookie` field.
    ///
    /// # Errors
    ///
    /// As [`SetCookie::serialize`]; `headers` is unchanged then.
    pub fn append_to(&self, headers: &mut HeaderMap) -> Result<()> {
        headers.append(SET_COOKIE, self.to_header_value()?);
        Ok(())
    }
}

fn trim_wsp(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// §5.6.2: a leading digit or `-`, then only digits; huge values saturate.
fn parse_max_age(v: &str) -> Option<i64> {
    let (negative, digits) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.bytes().fold(0i64, |n, d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -n } else { n })
}

/// `cookie-octet` of RFC 6265bis §4.1.1.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )`.
fn is_cookie_value(v: &str) -> bool {
    let inner = v
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(v);
    inner.bytes().all(is_cookie_octet)
}

fn check_pair(name: &str, value: &str) -> Result<()> {
    if !is_token(name) {
        return Err(unsendable("cookie name is not a token"));
    }
    if !is_cookie_value(value) {
        return Err(unsendable("cookie value is not cookie-octets"));
    }
    Ok(())
}

/// `av-octet`: any CHAR except CTLs or `;`.
fn check_av(what: &str, v: &str) -> Result<()> {
    if v.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';') {
        Ok(())
    } else {
        Err(unsendable(&format!(
            "cookie {what} holds ';', a control or a non-ASCII character"
        )))
    }
}

/// Every `Set-Cookie` of `headers` that parses, in order.
///
/// A field that RFC 6265bis §5.6 says to ignore entirely (or that is not UTF-8) is
/// skipped, as a user agent would.
///
/// # Examples
///
/// ```
/// use http::HeaderMap;
/// use cohttp_core::vocab::{set_cookies, SetCookie};
///
/// let mut h = HeaderMap::new();
/// SetCookie::new("a", "1").append_to(&mut h)?;
/// SetCookie::new("b", "2").with_http_only(true).append_to(&mut h)?;
/// let all = set_cookies(&h);
/// assert_eq!(all.len(), 2);
/// assert!(all[1].http_only);
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn set_cookies(headers: &HeaderMap) -> Vec<SetCookie> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok())
        .filter_map(|s| SetCookie::parse(s).ok())
        .collect()
}

/// Parses a `Cookie` field value into its name/value pairs, in order.
///
/// Pairs are split on `;` and trimmed; a pair without `=` has an empty name (what a
/// user agent writes for a nameless cookie); empty pieces are skipped. Values keep any
/// double quotes.
///
/// # Errors
///
/// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error when the value holds a
/// control character other than HTAB.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::parse_cookie_header;
///
/// let pairs = parse_cookie_header("SID=31d4d96e407aad42; lang=en-US")?;
/// assert_eq!(pairs, [("SID".into(), "31d4d96e407aad42".into()), ("lang".into(), "en-US".into())]);
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn parse_cookie_header(s: &str) -> Result<Vec<(String, String)>> {
    if s.bytes().any(super::syntax::is_ctl_not_tab) {
        return Err(decode_error("Cookie: control character"));
    }
    Ok(s.split(';')
        .map(trim_wsp)
        .filter(|p| !p.is_empty())
        .map(|p| match p.find('=') {
            Some(i) => (
                trim_wsp(p.get(..i).unwrap_or("")).to_owned(),
                trim_wsp(p.get(i + 1..).unwrap_or("")).to_owned(),
            ),
            None => (String::new(), p.to_owned()),
        })
        .collect())
}

/// Writes a `Cookie` field value: `name=value` pairs joined by `"; "`.
///
/// # Errors
///
/// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error when a
/// name is not a token or a value is not cookie-octets, or there is no pair.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::serialize_cookie_header;
///
/// assert_eq!(serialize_cookie_header(&[("SID", "31d4"), ("lang", "en-US")])?, "SID=31d4; lang=en-US");
/// assert!(serialize_cookie_header(&[("bad name", "x")]).is_err());
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn serialize_cookie_header<N: AsRef<str>, V: AsRef<str>>(pairs: &[(N, V)]) -> Result<String> {
    if pairs.is_empty() {
        return Err(unsendable("Cookie: no cookie"));
    }
    let mut out = String::new();
    for (name, value) in pairs {
        let (name, value) = (name.as_ref(), value.as_ref());
        check_pair(name, value)?;
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    Ok(out)
}

/// Every cookie of every `Cookie` field of `headers`, in order.
///
/// # Errors
///
/// As [`parse_cookie_header`], or a decode error for a field that is not UTF-8.
pub fn cookies(headers: &HeaderMap) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for v in headers.get_all(COOKIE) {
        let s = std::str::from_utf8(v.as_bytes()).map_err(|_| decode_error("Cookie: not UTF-8"))?;
        out.extend(parse_cookie_header(s)?);
    }
    Ok(out)
}

/// Adds cookies to the request's `Cookie` field.
///
/// A request carries at most one `Cookie` field (RFC 6265bis §5.8.1), so when `headers`
/// already has one the new pairs are appended to it after `"; "`.
///
/// # Errors
///
/// As [`serialize_cookie_header`]; `headers` is unchanged then.
///
/// # Examples
///
/// ```
/// use http::HeaderMap;
/// use cohttp_core::vocab::add_cookies;
///
/// let mut h = HeaderMap::new();
/// add_cookies(&mut h, &[("a", "1")])?;
/// add_cookies(&mut h, &[("b", "2")])?;
/// assert_eq!(h["cookie"], "a=1; b=2");
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn add_cookies<N: AsRef<str>, V: AsRef<str>>(
    headers: &mut HeaderMap,
    pairs: &[(N, V)],
) -> Result<()> {
    let new = serialize_cookie_header(pairs)?;
    let joined = match headers.get(COOKIE) {
        Some(old) if !old.as_bytes().is_empty() => {
            let mut v = old.as_bytes().to_vec();
            v.extend_from_slice(b"; ");
            v.extend_from_slice(new.as_bytes());
            v
        }
        _ => new.into_bytes(),
    };
    let value = HeaderValue::from_bytes(&joined)
        .map_err(|_| unsendable("Cookie: not a valid field value"))?;
    headers.insert(COOKIE, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, UNIX_EPOCH};

    // RFC 6265bis §3.1 examples, in order.
    #[test]
    fn rfc6265bis_3_1_session_cookie_and_its_cookie_header() {
        let c = SetCookie::parse("SID=31d4d96e407aad42").unwrap();
        assert_eq!(c, SetCookie::new("SID", "31d4d96e407aad42"));
        assert_eq!(
            parse_cookie_header("SID=31d4d96e407aad42").unwrap(),
            [("SID".to_owned(), "31d4d96e407aad42".to_owned())]
        );
    }

    #[test]
    fn rfc6265bis_3_1_path_domain_secure_httponly() {
        let c = SetCookie::parse("SID=31d4d96e407aad42; Path=/; Domain=example.com").unwrap();
        assert_eq!(c.path.as_deref(), Some("/"));
        assert_eq!(c.domain.as_deref(), Some("example.com"));
        let c = SetCookie::parse("SID=31d4d96e407aad42; Path=/; Secure; HttpOnly").unwrap();
        assert!(c.secure && c.http_only);
        let c = SetCookie::parse("lang=en-US; Path=/; Domain=example.com").unwrap();
        assert_eq!(
            parse_cookie_header("SID=31d4d96e407aad42; lang=en-US").unwrap(),
            [
                ("SID".to_owned(), "31d4d96e407aad42".to_owned()),
                (c.name, c.value)
            ]
        );
    }

    #[test]
    fn rfc6265bis_3_1_expires_in_the_past_deletes() {
        let c = SetCookie::parse("lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT").unwrap();
        assert_eq!(
            c.expires,
            Some(UNIX_EPOCH + Duration::from_secs(1_623_233_894))
        );
        let c = SetCookie::parse("lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(c.value, "");
        assert_eq!(
            c.expires,
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
    }

    #[test]
    fn expires_in_rfc850_and_asctime_forms_is_read() {
        let t = Some(UNIX_EPOCH + Duration::from_secs(784_111_777));
        for s in [
            "a=b; expires=Sunday, 06-Nov-94 08:49:37 GMT",
            "a=b; EXPIRES=Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(SetCookie::parse(s).unwrap().expires, t, "{s}");
        }
    }

    #[test]
    fn unusable_attributes_are_ignored_and_last_one_wins() {
        let c = SetCookie::parse(
            "a=b; Expires=never; Max-Age=12; Max-Age=1x; Domain=; Path=/x; Path=rel; \
             SameSite=Strict; Foo=bar; Partitioned",
        )
        .unwrap();
        assert_eq!(c.expires, None);
        assert_eq!(c.max_age, Some(12));
        assert_eq!(c.domain, None);
        assert_eq!(
            c.path, None,
            "a Path not starting with / means default-path"
        );
        assert_eq!(c.same_site, Some(SameSite::Strict));
        let c = SetCookie::parse("a=b; SameSite=Strict; SameSite=bogus").unwrap();
        assert_eq!(c.same_site, None, "unknown SameSite is Default enforcement");
    }

    #[test]
    fn samesite_and_attribute_names_are_case_insensitive() {
        let c = SetCookie::parse("a=b;samesite=none;SECURE;httponly").unwrap();
        assert_eq!(c.same_site, Some(SameSite::None));
        assert!(c.secure && c.http_only);
        let c = SetCookie::parse("a=b; SameSite=LAX").unwrap();
        assert_eq!(c.same_site, Some(SameSite::Lax));
    }

    #[test]
    fn max_age_negative_and_huge_values() {
        assert_eq!(
            SetCookie::parse("a=b; Max-Age=-5").unwrap().max_age,
            Some(-5)
        );
        assert_eq!(SetCookie::parse("a=b; Max-Age=0").unwrap().max_age, Some(0));
        assert_eq!(
            SetCookie::parse("a=b; Max-Age=99999999999999999999999")
                .unwrap()
                .max_age,
            Some(i64::MAX)
        );
        assert_eq!(SetCookie::parse("a=b; Max-Age=+5").unwrap().max_age, None);
        assert_eq!(SetCookie::parse("a=b; Max-Age=-").unwrap().max_age, None);
    }

    #[test]
    fn nameless_and_whitespace_cookies_follow_steps_3_and_4() {
        let c = SetCookie::parse("  justvalue  ").unwrap();
        assert_eq!((c.name.as_str(), c.value.as_str()), ("", "justvalue"));
        let c = SetCookie::parse(" n = v=w ;Secure").unwrap();
        assert_eq!((c.name.as_str(), c.value.as_str()), ("n", "v=w"));
        assert!(c.secure);
    }

    #[test]
    fn strings_to_ignore_entirely_are_errors() {
        assert!(SetCookie::parse("").is_err());
        assert!(SetCookie::parse("=; Secure").is_err());
        assert!(SetCookie::parse("a=b\nc").is_err());
        assert!(SetCookie::parse(&format!("a={}", "x".repeat(4096))).is_err());
        assert!(SetCookie::parse("a=\tb").is_ok(), "HTAB is allowed");
    }

    #[test]
    fn long_attribute_values_are_ignored() {
        let long = format!("/{}", "p".repeat(1024));
        let c = SetCookie::parse(&format!("a=b; Path=/ok; Path={long}")).unwrap();
        assert_eq!(c.path.as_deref(), Some("/ok"));
    }

    #[test]
    fn serialize_refuses_what_the_grammar_refuses() {
        assert!(SetCookie::new("", "v").serialize().is_err());
        assert!(SetCookie::new("a b", "v").serialize().is_err());
        assert!(SetCookie::new("a", "v;w").serialize().is_err());
        assert!(SetCookie::new("a", "v w").serialize().is_err());
        assert!(SetCookie::new("a", "v,w").serialize().is_err());
        assert!(SetCookie::new("a", "\"quoted\"").serialize().is_ok());
        assert!(SetCookie::new("a", "v")
            .with_path("/x;y")
            .serialize()
            .is_err());
        let e = SetCookie::new("a", "v\\").serialize().unwrap_err();
        assert!(matches!(
            e.kind(),
            crate::ErrorKind::Malformed(crate::Malformed::InvalidUserHeader)
        ));
    }

    #[test]
    fn set_cookies_skips_ignored_fields_and_keeps_order() {
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, HeaderValue::from_static("a=1"));
        h.append(SET_COOKIE, HeaderValue::from_static("=; Path=/"));
        h.append(SET_COOKIE, HeaderValue::from_static("b=2; Max-Age=3"));
        let all = set_cookies(&h);
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].name.as_str(), all[1].max_age), ("a", Some(3)));
    }

    #[test]
    fn cookie_header_without_equals_is_a_nameless_cookie() {
        assert_eq!(
            parse_cookie_header(" ; x ;a=\"q\";;").unwrap(),
            [
                (String::new(), "x".to_owned()),
                ("a".to_owned(), "\"q\"".to_owned())
            ]
        );
        assert!(parse_cookie_header("a=\u{7f}").is_err());
    }

    #[test]
    fn cookies_reads_every_cookie_field() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; b=2"));
        h.append(COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookies(&h).unwrap().len(), 3);
    }

    #[test]
    fn add_cookies_keeps_one_field_and_refuses_bad_pairs() {
        let mut h = HeaderMap::new();
        add_cookies(&mut h, &[("a", "1"), ("b", "2")]).unwrap();
        assert!(add_cookies(&mut h, &[("c", "x y")]).is_err());
        add_cookies(&mut h, &[("c".to_owned(), "3".to_owned())]).unwrap();
        assert_eq!(h.get_all(COOKIE).iter().count(), 1);
        assert_eq!(h[COOKIE], "a=1; b=2; c=3");
        let empty: &[(&str, &str)] = &[];
        assert!(add_cookies(&mut h, empty).is_err());
    }

    fn token() -> impl Strategy<Value = String> {
        "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
    }

    fn cookie_value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[!#-+\\--:<-\\[\\]-~]{0,12}",
            "[!#-+\\--:<-\\[\\]-~]{0,12}".prop_map(|v| format!("\"{v}\"")),
        ]
    }

    prop_compose! {
        fn set_cookie()(
            name in token(),
            value in cookie_value(),
            expires in proptest::option::of(-11_644_473_600i64..253_402_300_799i64),
            max_age in proptest::option::of(any::<i64>()),
            domain in proptest::option::of("[a-z0-9-]{1,10}(\\.[a-z0-9-]{1,10}){0,2}"),
            path in proptest::option::of("/[!-:<-~]{0,12}"),
            secure in any::<bool>(),
            http_only in any::<bool>(),
            same_site in proptest::option::of(prop_oneof![
                Just(SameSite::Strict), Just(SameSite::Lax), Just(SameSite::None)
            ]),
        ) -> SetCookie {
            SetCookie {
                name, value,
                expires: expires.map(|s| if s >= 0 {
                    UNIX_EPOCH + Duration::from_secs(s as u64)
                } else {
                    UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
                }),
                max_age,
                domain,
                path: path.map(|p| p.trim_end().to_owned()),
                secure, http_only, same_site,
            }
        }
    }

    proptest! {
        #[test]
        fn cookie_parsers_never_panic(s in "\\PC{0,80}|[ -~;=\"]{0,80}") {
            let _ = SetCookie::parse(&s);
            let _ = parse_cookie_header(&s);
        }

        #[test]
        fn set_cookie_round_trips(c in set_cookie()) {
            let s = c.serialize().unwrap();
            prop_assert_eq!(SetCookie::parse(&s).unwrap(), c);
        }

        #[test]
        fn cookie_header_round_trips(
            pairs in proptest::collection::vec((token(), cookie_value()), 1..6)
        ) {
            let s = serialize_cookie_header(&pairs).unwrap();
            prop_assert_eq!(parse_cookie_header(&s).unwrap(), pairs);
        }
    }
}
