//! HTTP authentication: `Basic` credentials (RFC 7617) and the challenges of
//! `WWW-Authenticate` / `Proxy-Authenticate` (RFC 9110 §11).
//!
//! [`BasicCredentials`] encodes and decodes `Authorization: Basic base64(user:pass)`
//! (also the value of `Proxy-Authorization`), always in UTF-8 (the only charset RFC
//! 7617 allows a server to ask for). [`parse_challenges`] reads every challenge of a
//! field, each an auth-scheme with either a token68 or auth-params, and resolves the
//! grammar's comma ambiguity (a comma separates both the params of one challenge and
//! the challenges themselves) the way §11.6.1 allows: after a comma, `token =` starts a
//! parameter and a bare token starts a new challenge.
//!
//! This file does not verify passwords, run Digest or other schemes, or pick among
//! challenges; it only reads and writes the fields.
//!
//! ```
//! use cohttp_core::vocab::{parse_challenges, BasicCredentials};
//!
//! // RFC 7617 §2.
//! let c = BasicCredentials::decode("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")?;
//! assert_eq!((c.user_id.as_str(), c.password.as_str()), ("Aladdin", "open sesame"));
//! assert_eq!(c.encode()?, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
//!
//! let ch = parse_challenges(r#"Basic realm="WallyWorld""#)?;
//! assert_eq!(ch[0].scheme, "Basic");
//! assert_eq!(ch[0].realm(), Some("WallyWorld"));
//! # Ok::<(), cohttp_core::Error>(())
//! ```

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use http::header::{HeaderName, AUTHORIZATION};
use http::{HeaderMap, HeaderValue};

use super::syntax::{decode_error, is_token, quote, unsendable, Cursor};
use crate::error::Result;

/// Standard base64 (RFC 4648 §4) writing padding, reading with or without it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `Basic` credentials (RFC 7617): a user-id and a password.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::BasicCredentials;
///
/// // RFC 7617 §2.1: UTF-8 is used for both.
/// let c = BasicCredentials::new("test", "123\u{a3}");
/// assert_eq!(c.encode()?, "Basic dGVzdDoxMjPCow==");
/// assert!(BasicCredentials::new("a:b", "pw").encode().is_err());
/// # Ok::<(), cohttp_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The user-id; it may not contain a colon.
    pub user_id: String,
    /// The password; it may contain colons.
    pub password: String,
}

impl std::fmt::Debug for BasicCredentials {
    /// Shows the user-id only: passwords stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("user_id", &self.user_id)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl BasicCredentials {
    /// Credentials for this user-id and password.
    pub fn new(user_id: impl Into<String>, password: impl Into<String>) -> BasicCredentials {
        BasicCredentials {
            user_id: user_id.into(),
            password: password.into(),
        }
    }

    /// Writes the `Authorization` (or `Proxy-Authorization`) field value:
    /// `Basic ` and the base64 of `user-id:password` in UTF-8.
    ///
    /// # Errors
    ///
    /// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error when
    /// the user-id holds a colon (it would be read back wrongly) or either part holds a
    /// control character (RFC 7617 §2).
    pub fn encode(&self) -> Result<String> {
        if self.user_id.contains(':') {
            return Err(unsendable("Basic credentials: user-id contains a colon"));
        }
        if has_control(&self.user_id) || has_control(&self.password) {
            return Err(unsendable("Basic credentials: control character"));
        }
        let pair = format!("{}:{}", self.user_id, self.password);
        Ok(format!("Basic {}", BASE64.encode(pair)))
    }

    /// The field value as a [`HeaderValue`], marked sensitive so that HTTP/2-style
    /// encoders and debug output can keep it out of sight.
    ///
    /// # Errors
    ///
    /// As [`BasicCredentials::encode`].
    pub fn to_header_value(&self) -> Result<HeaderValue> {
        let mut v = HeaderValue::from_str(&self.encode()?)
            .map_err(|_| unsendable("Basic credentials: not a valid field value"))?;
        v.set_sensitive(true);
        Ok(v)
    }

    /// Reads an `Authorization` (or `Proxy-Authorization`) field value with the `Basic`
    /// scheme (matched case-insensitively).
    ///
    /// The base64 may come with or without its padding; the decoded bytes must be UTF-8
    /// and hold a colon, the first of which ends the user-id.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error for another scheme,
    /// invalid base64, bytes that are not UTF-8, no colon, or a control character.
    pub fn decode(value: &str) -> Result<BasicCredentials> {
        let trimmed = value.trim_matches(|ch| ch == ' ' || ch == '\t');
        let mut c = Cursor::new(trimmed);
        let scheme = c.token().unwrap_or("");
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(decode_error("Authorization: not the Basic scheme"));
        }
        let after_scheme = c.pos();
        c.skip_ows();
        let start = c.pos();
        if start == after_scheme {
            return Err(decode_error("Authorization: no credentials after Basic"));
        }
        let body = c.take_while(is_token68_char);
        c.take_while(|b| b == b'=');
        if !c.at_end() || body.is_empty() {
            return Err(decode_error("Authorization: credentials are not a token68"));
        }
        let encoded = trimmed.get(start..).unwrap_or("");
        let bytes = BASE64
            .decode(encoded)
            .map_err(|e| decode_error("Authorization: invalid base64").with_source(e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| decode_error("Authorization: credentials are not UTF-8"))?;
        let (user_id, password) = text
            .split_once(':')
            .ok_or_else(|| decode_error("Authorization: no colon in credentials"))?;
        if has_control(user_id) || has_control(password) {
            return Err(decode_error(
                "Authorization: control character in credentials",
            ));
        }
        Ok(BasicCredentials::new(user_id, password))
    }

    /// The `Basic` credentials of a request's `Authorization` field, if it has one.
    ///
    /// # Errors
    ///
    /// As [`BasicCredentials::decode`], or a decode error for a field that is not
    /// UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// use http::HeaderMap;
    /// use cohttp_core::vocab::BasicCredentials;
    ///
    /// let mut h = HeaderMap::new();
    /// assert!(BasicCredentials::from_headers(&h)?.is_none());
    /// h.insert("authorization", BasicCredentials::new("Aladdin", "open sesame").to_header_value()?);
    /// assert_eq!(BasicCredentials::from_headers(&h)?.unwrap().user_id, "Aladdin");
    /// # Ok::<(), cohttp_core::Error>(())
    /// ```
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<BasicCredentials>> {
        match headers.get(AUTHORIZATION) {
            None => Ok(None),
            Some(v) => {
                let s = std::str::from_utf8(v.as_bytes())
                    .map_err(|_| decode_error("Authorization: not UTF-8"))?;
                BasicCredentials::decode(s).map(Some)
            }
        }
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// `token68` characters, less the trailing `=` (RFC 9110 §11.2).
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// One challenge of a `WWW-Authenticate` or `Proxy-Authenticate` field (RFC 9110
/// §11.3): an auth-scheme with either a token68 or a list of auth-params.
///
/// Parameter names are case-insensitive ([`Challenge::param`]); values are kept
/// unescaped.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::Challenge;
///
/// let c = Challenge::basic("WallyWorld").with_param("charset", "UTF-8");
/// assert_eq!(c.serialize()?, r#"Basic realm="WallyWorld", charset="UTF-8""#);
/// assert_eq!(c.charset(), Some("UTF-8"));
/// # Ok::<(), cohttp_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The auth-scheme, as written (schemes are compared case-insensitively).
    pub scheme: String,
    /// The token68, for schemes that use one instead of parameters.
    pub token68: Option<String>,
    /// The auth-params, in order, values unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A challenge of this scheme with no token68 and no params.
    pub fn new(scheme: impl Into<String>) -> Challenge {
        Challenge {
            scheme: scheme.into(),
            token68: None,
            params: Vec::new(),
        }
    }

    /// A `Basic` challenge for this realm (RFC 7617 §2).
    pub fn basic(realm: impl Into<String>) -> Challenge {
        Challenge::new("Basic").with_param("realm", realm)
    }

    /// Adds an auth-param.
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Challenge {
        self.params.push((name.into(), value.into()));
        self
    }

    /// The value of the first param of this name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `realm` param (RFC 9110 §11.5).
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// The `charset` param (RFC 7617 §2.1; only `UTF-8` is defined).
    pub fn charset(&self) -> Option<&str> {
        self.param("charset")
    }

    /// Whether the scheme is `scheme`, case-insensitively.
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// Writes the challenge: the scheme, then the token68 or the params, each value as a
    /// quoted-string.
    ///
    /// # Errors
    ///
    /// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error when
    /// the scheme or a param name is not a token, the token68 is not one, both a token68
    /// and params are given, or a value holds a control character.
    pub fn serialize(&self) -> Result<String> {
        if !is_token(&self.scheme) {
            return Err(unsendable("challenge: auth-scheme is not a token"));
        }
        let mut out = self.scheme.clone();
        match (&self.token68, self.params.is_empty()) {
            (Some(_), false) => {
                return Err(unsendable("challenge: both a token68 and auth-params"))
            }
            (Some(t), true) => {
                let body = t.trim_end_matches('=');
                if body.is_empty() || !body.bytes().all(is_token68_char) {
                    return Err(unsendable("challenge: not a token68"));
                }
                out.push(' ');
                out.push_str(t);
            }
            (None, _) => {
                for (i, (name, value)) in self.params.iter().enumerate() {
                    if !is_token(name) {
                        return Err(unsendable("challenge: auth-param name is not a token"));
                    }
                    let q = quote(value)
                        .ok_or_else(|| unsendable("challenge: control character in a value"))?;
                    out.push_str(if i == 0 { " " } else { ", " });
                    out.push_str(name);
                    out.push('=');
                    out.push_str(&q);
                }
            }
        }
        Ok(out)
    }
}

/// Writes several challenges as one field value, separated by `", "`.
///
/// # Errors
///
/// As [`Challenge::serialize`], or when `challenges` is empty.
pub fn serialize_challenges(challenges: &[Challenge]) -> Result<String> {
    if challenges.is_empty() {
        return Err(unsendable("WWW-Authenticate: no challenge"));
    }
    let parts = challenges
        .iter()
        .map(Challenge::serialize)
        .collect::<Result<Vec<_>>>()?;
    Ok(parts.join(", "))
}

/// Parses a `WWW-Authenticate` or `Proxy-Authenticate` field value into its challenges
/// (RFC 9110 §11.6.1), in order.
///
/// Empty list elements (`, ,`) are skipped, as §5.6.1 asks of recipients. Whitespace
/// around a param's `=` is allowed (BWS).
///
/// # Errors
///
/// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error when the value does not
/// follow the grammar (no scheme, a param without a value, an unterminated
/// quoted-string...), or holds no challenge.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::parse_challenges;
///
/// // RFC 9110 §11.6.1.
/// let ch = parse_challenges(
///     r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
/// )?;
/// assert_eq!(ch.len(), 2);
/// assert_eq!(ch[0].param("title"), Some(r#"Login to "apps""#));
/// assert_eq!(ch[1].realm(), Some("simple"));
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn parse_challenges(value: &str) -> Result<Vec<Challenge>> {
    let mut c = Cursor::new(value);
    let mut out = Vec::new();
    loop {
        skip_list_separators(&mut c);
        if c.at_end() {
            break;
        }
        let scheme = c
            .token()
            .ok_or_else(|| decode_error("WWW-Authenticate: expected an auth-scheme"))?;
        let mut challenge = Challenge::new(scheme);
        let after_scheme = c.pos();
        c.skip_ows();
        let had_space = c.pos() > after_scheme;
        if had_space && !c.at_end() && c.peek() != Some(b',') {
            if let Some(t) = token68(&mut c) {
                challenge.token68 = Some(t.to_owned());
            } else {
                // One or more auth-params; a comma followed by `token BWS =` goes on.
                loop {
                    let (name, val) = auth_param(&mut c)
                        .ok_or_else(|| decode_error("WWW-Authenticate: malformed auth-param"))?;
                    challenge.params.push((name.to_owned(), val));
                    c.skip_ows();
                    if !next_is_param(&mut c) {
                        break;
                    }
                }
            }
        }
        c.skip_ows();
        if !c.at_end() && c.peek() != Some(b',') {
            return Err(decode_error("WWW-Authenticate: unexpected character"));
        }
        out.push(challenge);
        if out.len() > 1024 {
            return Err(decode_error("WWW-Authenticate: too many challenges"));
        }
    }
    if out.is_empty() {
        return Err(decode_error("WWW-Authenticate: no challenge"));
    }
    Ok(out)
}

/// Every challenge of every field `name` of `headers` (`WWW-Authenticate` or
/// `Proxy-Authenticate`), in order; several fields read as one list (RFC 9110 §5.3).
///
/// # Errors
///
/// As [`parse_challenges`] for any field, or a decode error for a field that is not
/// UTF-8. No field at all gives an empty list.
///
/// # Examples
///
/// ```
/// use http::header::{HeaderMap, WWW_AUTHENTICATE};
/// use cohttp_core::vocab::auth::challenges;
///
/// let mut h = HeaderMap::new();
/// h.append(WWW_AUTHENTICATE, "Negotiate".parse().unwrap());
/// h.append(WWW_AUTHENTICATE, r#"Basic realm="simple""#.parse().unwrap());
/// let all = challenges(&h, &WWW_AUTHENTICATE)?;
/// assert_eq!(all.len(), 2);
/// assert_eq!(all[1].realm(), Some("simple"));
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn challenges(headers: &HeaderMap, name: &HeaderName) -> Result<Vec<Challenge>> {
    let mut out = Vec::new();
    for v in headers.get_all(name) {
        let s = std::str::from_utf8(v.as_bytes())
            .map_err(|_| decode_error("WWW-Authenticate: not UTF-8"))?;
        out.extend(parse_challenges(s)?);
    }
    Ok(out)
}

fn skip_list_separators(c: &mut Cursor<'_>) {
    loop {
        c.skip_ows();
        if !c.eat(b',') {
            break;
        }
    }
}

/// A token68 if one stands here and ends the challenge (followed by OWS and a comma
/// or the end); the cursor is left unmoved otherwise.
fn token68<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    let start = c.pos();
    if !c.take_while(is_token68_char).is_empty() {
        c.take_while(|b| b == b'=');
        let end = c.pos();
        c.skip_ows();
        if c.at_end() || c.peek() == Some(b',') {
            return c.input().get(start..end);
        }
    }
    c.set_pos(start);
    None
}

/// `auth-param = token BWS "=" BWS ( token / quoted-string )`.
fn auth_param<'a>(c: &mut Cursor<'a>) -> Option<(&'a str, String)> {
    let name = c.token()?;
    c.skip_ows();
    if !c.eat(b'=') {
        return None;
    }
    c.skip_ows();
    let value = c.token_or_quoted()?;
    Some((name, value))
}

/// At a comma: whether what follows it is another auth-param of the same challenge
/// (`token BWS "="`) rather than a new challenge. Consumes the comma (and empty list
/// elements) only when it is.
fn next_is_param(c: &mut Cursor<'_>) -> bool {
    let start = c.pos();
    if c.peek() != Some(b',') {
        return false;
    }
    skip_list_separators(c);
    let here = c.pos();
    let is_param = c.token().is_some() && {
        c.skip_ows();
        c.peek() == Some(b'=')
    };
    c.set_pos(if is_param { here } else { start });
    is_param
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc7617_aladdin_example_decodes_and_encodes() {
        let c = BasicCredentials::decode("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!(c, BasicCredentials::new("Aladdin", "open sesame"));
        assert_eq!(c.encode().unwrap(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }

    #[test]
    fn rfc7617_utf8_example_encodes_pound_sign() {
        let c = BasicCredentials::new("test", "123\u{a3}");
        assert_eq!(c.encode().unwrap(), "Basic dGVzdDoxMjPCow==");
        assert_eq!(
            BasicCredentials::decode("Basic dGVzdDoxMjPCow==").unwrap(),
            c
        );
    }

    #[test]
    fn basic_scheme_is_case_insensitive_and_padding_optional() {
        let c = BasicCredentials::decode("bAsIc   QWxhZGRpbjpvcGVuIHNlc2FtZQ").unwrap();
        assert_eq!(c.user_id, "Aladdin");
    }

    #[test]
    fn password_may_hold_colons_but_user_id_may_not() {
        let c = BasicCredentials::new("u", "p:a:ss");
        assert_eq!(BasicCredentials::decode(&c.encode().unwrap()).unwrap(), c);
        assert!(BasicCredentials::new("u:x", "p").encode().is_err());
        assert!(BasicCredentials::new("u", "p\n").encode().is_err());
    }

    #[test]
    fn bad_basic_credentials_are_decode_errors() {
        for s in [
            "",
            "Basic",
            "Basic ",
            "Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            "Basic QWxh ZGRp",
            "Basic !!!!",
            "Basic bm9jb2xvbg==", // "nocolon"
            "Basic /w==",         // 0xff, not UTF-8
            "BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        ] {
            let e = BasicCredentials::decode(s).unwrap_err();
            assert_eq!(e.kind(), &crate::ErrorKind::Decode, "{s}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let s = format!("{:?}", BasicCredentials::new("Aladdin", "open sesame"));
        assert!(s.contains("Aladdin") && !s.contains("sesame"));
    }

    #[test]
    fn rfc7617_challenge_with_charset() {
        let ch = parse_challenges(r#"Basic realm="foo", charset="UTF-8""#).unwrap();
        assert_eq!(ch, [Challenge::basic("foo").with_param("charset", "UTF-8")]);
        assert_eq!(ch[0].charset(), Some("UTF-8"));
    }

    #[test]
    fn rfc9110_two_challenges_in_one_field() {
        let ch = parse_challenges(
            "Newauth realm=\"apps\", type=1,\r\n title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\""
                .replace("\r\n", "")
                .as_str(),
        )
        .unwrap();
        assert_eq!(
            ch,
            [
                Challenge::new("Newauth")
                    .with_param("realm", "apps")
                    .with_param("type", "1")
                    .with_param("title", "Login to \"apps\""),
                Challenge::basic("simple"),
            ]
        );
    }

    #[test]
    fn token68_challenges_and_bare_schemes_mix() {
        let ch =
            parse_challenges("Negotiate, NTLM abc+/d==, Bearer realm = \"x\" , , Basic").unwrap();
        assert_eq!(ch.len(), 4);
        assert_eq!(ch[0], Challenge::new("Negotiate"));
        assert_eq!(ch[1].token68.as_deref(), Some("abc+/d=="));
        assert_eq!(ch[2].realm(), Some("x"));
        assert!(ch[3].is_scheme("basic"));
    }

    #[test]
    fn malformed_challenges_are_refused() {
        for s in [
            "",
            " , ",
            "=x",
            "Basic a=b, c=",
            "Basic realm=\"open",
            "Basic realm=\"x\" junk",
            "Basic a=b c",
        ] {
            assert!(parse_challenges(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn param_without_value_reads_as_token68_as_the_grammar_says() {
        let ch = parse_challenges("Basic realm=").unwrap();
        assert_eq!(ch[0].token68.as_deref(), Some("realm="));
        assert_eq!(ch[0].realm(), None);
    }

    #[test]
    fn challenge_serialize_refuses_bad_parts() {
        assert!(Challenge::new("a b").serialize().is_err());
        let mut c = Challenge::new("X").with_param("a", "b");
        c.token68 = Some("abc".into());
        assert!(c.serialize().is_err());
        assert!(Challenge::new("X")
            .with_param("a b", "v")
            .serialize()
            .is_err());
        assert!(Challenge::new("X")
            .with_param("a", "v\r")
            .serialize()
            .is_err());
        assert!(serialize_challenges(&[]).is_err());
        assert_eq!(
            serialize_challenges(&[Challenge::new("Negotiate"), Challenge::basic("r")]).unwrap(),
            "Negotiate, Basic realm=\"r\""
        );
    }

    fn token() -> impl Strategy<Value = String> {
        "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}"
    }

    prop_compose! {
        fn challenge()(
            scheme in token(),
            token68 in proptest::option::of("[A-Za-z0-9._~+/-]{1,12}={0,2}"),
            params in proptest::collection::vec((token(), "[ -~\t\u{a0}-\u{ff}]{0,12}"), 0..4),
        ) -> Challenge {
            match token68 {
                Some(t) => Challenge { scheme, token68: Some(t), params: Vec::new() },
                None => Challenge { scheme, token68: None, params },
            }
        }
    }

    proptest! {
        #[test]
        fn auth_parsers_never_panic(s in "\\PC{0,60}|[ -~]{0,60}|[A-Za-zé=,\" \\\\\t+/]{0,60}") {
            let _ = parse_challenges(&s);
            let _ = BasicCredentials::decode(&s);
        }

        #[test]
        fn challenges_round_trip(chs in proptest::collection::vec(challenge(), 1..4)) {
            let s = serialize_challenges(&chs).unwrap();
            prop_assert_eq!(parse_challenges(&s).unwrap(), chs);
        }

        #[test]
        fn basic_credentials_round_trip(user in "[^:\\p{Cc}]{0,16}", pass in "[^\\p{Cc}]{0,16}") {
            let c = BasicCredentials::new(user, pass);
            prop_assert_eq!(BasicCredentials::decode(&c.encode().unwrap()).unwrap(), c);
        }
    }
}
