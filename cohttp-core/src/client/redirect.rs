//! [`Redirect`]: where a redirect response sends the next request, and how that request
//! differs from the one that was redirected (RFC 9110 §15.4).
//!
//! This file holds the rules only; it sends nothing. A client that follows redirects
//! asks [`Redirect::from_response`] after each response, sends the request it
//! describes, and stops after [`DEFAULT_REDIRECT_LIMIT`] hops (or its own limit).
//!
//! The rules:
//! - `301`, `302`, `303`, `307` and `308` with a `Location` redirect; other statuses,
//!   and those without `Location`, do not;
//! - `Location` is a URI reference resolved against the request URI (RFC 3986 §5); its
//!   fragment is dropped (the request target never carries one); only `http` and `https`
//!   targets are followed;
//! - `303 See Other`: any method but `HEAD` becomes `GET`, without the body;
//! - `301` and `302`: `POST` becomes `GET` without the body, as every user agent does
//!   (RFC 9110 §15.4.2, §15.4.3 allow it); other methods are kept;
//! - `307` and `308`: the method and the body are kept;
//! - when the body is dropped, so are the headers that describe it (`Content-Type`,
//!   `Content-Length`, `Content-Encoding`, `Content-Language`, `Content-Location`,
//!   `Transfer-Encoding`);
//! - a redirect to another origin (scheme, host or port) drops `Authorization` and
//!   `Cookie`: credentials given for one origin are not sent to another; `Host` is
//!   always dropped, for the next request to set it from its URI.
//!
//! ```
//! use cohttp_core::client::Redirect;
//! use http::{header::LOCATION, HeaderMap, Method, StatusCode, Uri};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert(LOCATION, "/next?page=2".parse().unwrap());
//! let from: Uri = "http://example.test/form".parse().unwrap();
//! let next = Redirect::from_response(&Method::POST, &from, StatusCode::SEE_OTHER, &headers)
//!     .unwrap()
//!     .expect("a redirect");
//! assert_eq!(next.uri(), "http://example.test/next?page=2");
//! assert_eq!(next.method(), Method::GET);
//! assert!(!next.keeps_body());
//! ```

use http::header::{self, HeaderMap, HeaderName};
use http::{Method, StatusCode, Uri};

use crate::error::{Error, Malformed, Result};

/// How many redirects a client follows by default before it gives up (curl's `-L` in
/// this project, and the limit browsers use in practice is of this order).
pub const DEFAULT_REDIRECT_LIMIT: usize = 10;

/// Headers describing a request body, dropped with it.
const BODY_HEADERS: [HeaderName; 6] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CONTENT_LOCATION,
    header::TRANSFER_ENCODING,
];

/// Credentials bound to an origin, dropped on a redirect to another one.
const ORIGIN_CREDENTIALS: [HeaderName; 2] = [header::AUTHORIZATION, header::COOKIE];

/// The request a redirect response asks for. See the module docs.
///
/// Cloning copies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    status: StatusCode,
    uri: Uri,
    method: Method,
    keeps_body: bool,
    cross_origin: bool,
}

impl Redirect {
    /// The redirect that a response with `status` and `headers` to a `method` request for
    /// `uri` asks for: `Ok(None)` when the response is not a redirect (another status, or
    /// no `Location`).
    ///
    /// Fails with [`Malformed::InvalidUri`] when `Location` cannot be resolved to an
    /// `http` or `https` URI (not UTF-8, not a URI reference, another scheme) or `uri`
    /// itself is not absolute.
    pub fn from_response(
        method: &Method,
        uri: &Uri,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<Option<Redirect>> {
        if !is_redirect(status) {
            return Ok(None);
        }
        let Some(location) = headers.get(header::LOCATION) else {
            return Ok(None);
        };
        let location = std::str::from_utf8(location.as_bytes()).map_err(|e| {
            Error::malformed(Malformed::InvalidUri)
                .with_context("Location is not UTF-8")
                .with_source(e)
        })?;
        let target = resolve_reference(uri, location)?;
        let (method, keeps_body) = match status {
            StatusCode::SEE_OTHER if method == Method::HEAD => (Method::HEAD, false),
            StatusCode::SEE_OTHER => (Method::GET, false),
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND if method == Method::POST => {
                (Method::GET, false)
            }
            _ => (method.clone(), true),
        };
        let cross_origin = origin(uri) != origin(&target);
        Ok(Some(Redirect {
            status,
            uri: target,
            method,
            keeps_body,
            cross_origin,
        }))
    }

    /// The redirect status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The absolute URI to request next.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The method of the next request.
    pub fn method(&self) -> Method {
        self.method.clone()
    }

    /// Whether the next request carries the body of the redirected one (`307`, `308`,
    /// and `301`/`302` for methods other than `POST`). A body that was streamed must be
    /// produced again by the caller.
    pub fn keeps_body(&self) -> bool {
        self.keeps_body
    }

    /// Whether the next request goes to another origin (scheme, host or port).
    pub fn is_cross_origin(&self) -> bool {
        self.cross_origin
    }

    /// The headers of the next request, from those of the redirected one: `Host` removed,
    /// body headers removed when the body is dropped, `Authorization` and `Cookie`
    /// removed on a cross-origin redirect.
    pub fn headers(&self, previous: &HeaderMap) -> HeaderMap {
        let mut headers = previous.clone();
        headers.remove(header::HOST);
        if !self.keeps_body {
            for name in &BODY_HEADERS {
                headers.remove(name);
            }
        }
        if self.cross_origin {
            for name in &ORIGIN_CREDENTIALS {
                headers.remove(name);
            }
        }
        headers
    }
}

/// Whether `status` is one of the redirects a client follows (301, 302, 303, 307, 308).
pub fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// Resolves the URI reference `reference` against the absolute URI `base` (RFC 3986
/// §5.2), dropping any fragment. The result must be an `http` or `https` URI.
pub fn resolve_reference(base: &Uri, reference: &str) -> Result<Uri> {
    let bad = |what: String| Error::malformed(Malformed::InvalidUri).with_context(what);
    let base = url::Url::parse(&base.to_string())
        .map_err(|e| bad(format!("{base} is not an absolute URI")).with_source(e))?;
    let mut joined = base
        .join(reference.trim())
        .map_err(|e| bad(format!("cannot resolve {reference:?}")).with_source(e))?;
    joined.set_fragment(None);
    if !matches!(joined.scheme(), "http" | "https") {
        return Err(bad(format!(
            "redirect to {joined} is not followed: only http and https are"
        )));
    }
    joined
        .as_str()
        .parse()
        .map_err(|e| bad(format!("{joined} is not a valid request URI")).with_source(e))
}

/// The origin of `uri`: lower-case scheme, host, and port (the scheme's default when
/// none is written).
fn origin(uri: &Uri) -> (String, String, Option<u16>) {
    let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let host = uri.host().unwrap_or("").to_ascii_lowercase();
    (scheme, host, uri.port_u16().or(default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn location(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::LOCATION, HeaderValue::from_str(value).unwrap());
        h
    }

    fn follow(method: Method, from: &str, status: u16, to: &str) -> Redirect {
        Redirect::from_response(
            &method,
            &from.parse().unwrap(),
            StatusCode::from_u16(status).unwrap(),
            &location(to),
        )
        .unwrap()
        .expect("a redirect")
    }

    #[test]
    fn post_becomes_get_on_301_and_302() {
        for status in [301, 302] {
            let r = follow(Method::POST, "http://a.test/x", status, "/y");
            assert_eq!(r.method(), Method::GET);
            assert!(!r.keeps_body());
        }
    }

    #[test]
    fn put_keeps_method_and_body_on_301_and_302() {
        for status in [301, 302] {
            let r = follow(Method::PUT, "http://a.test/x", status, "/y");
            assert_eq!(r.method(), Method::PUT);
            assert!(r.keeps_body());
        }
    }

    #[test]
    fn see_other_becomes_get_except_for_head() {
        let r = follow(Method::DELETE, "http://a.test/x", 303, "/done");
        assert_eq!(r.method(), Method::GET);
        assert!(!r.keeps_body());
        let r = follow(Method::HEAD, "http://a.test/x", 303, "/done");
        assert_eq!(r.method(), Method::HEAD);
    }

    #[test]
    fn temporary_and_permanent_redirects_keep_method_and_body() {
        for status in [307, 308] {
            let r = follow(Method::POST, "http://a.test/x", status, "/y");
            assert_eq!(r.method(), Method::POST);
            assert!(r.keeps_body());
        }
    }

    #[test]
    fn location_resolves_as_rfc3986_reference() {
        let base = "http://a/b/c/d;p?q";
        // RFC 3986 §5.4.1 normal examples.
        for (reference, want) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            ("..", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../../g", "http://a/g"),
        ] {
            let r = follow(Method::GET, base, 302, reference);
            assert_eq!(r.uri().to_string(), want, "reference {reference:?}");
        }
    }

    #[test]
    fn non_redirects_and_missing_location_are_none() {
        let uri: Uri = "http://a.test/".parse().unwrap();
        for status in [200, 304, 300, 305, 404] {
            let s = StatusCode::from_u16(status).unwrap();
            assert!(
                Redirect::from_response(&Method::GET, &uri, s, &location("/x"))
                    .unwrap()
                    .is_none()
            );
        }
        let none =
            Redirect::from_response(&Method::GET, &uri, StatusCode::FOUND, &HeaderMap::new());
        assert!(none.unwrap().is_none());
    }

    #[test]
    fn other_schemes_are_refused() {
        let uri: Uri = "http://a.test/".parse().unwrap();
        for to in [
            "ftp://a.test/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            let e = Redirect::from_response(&Method::GET, &uri, StatusCode::FOUND, &location(to))
                .unwrap_err();
            assert!(matches!(
                e.kind(),
                crate::ErrorKind::Malformed(Malformed::InvalidUri)
            ));
        }
    }

    #[test]
    fn cross_origin_redirect_drops_authorization_and_cookie() {
        let mut prev = HeaderMap::new();
        prev.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic eDp5"),
        );
        prev.insert(header::COOKIE, HeaderValue::from_static("s=1"));
        prev.insert(header::HOST, HeaderValue::from_static("a.test"));
        prev.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        for to in ["http://b.test/", "https://a.test/", "http://a.test:8080/"] {
            let r = follow(Method::GET, "http://a.test/", 302, to);
            assert!(r.is_cross_origin(), "{to}");
            let h = r.headers(&prev);
            assert!(!h.contains_key(header::AUTHORIZATION));
            assert!(!h.contains_key(header::COOKIE));
            assert!(!h.contains_key(header::HOST));
            assert_eq!(h[header::ACCEPT], "*/*");
        }
    }

    #[test]
    fn same_origin_redirect_keeps_authorization() {
        let mut prev = HeaderMap::new();
        prev.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic eDp5"),
        );
        for to in ["/other", "http://A.TEST:80/other"] {
            let r = follow(Method::GET, "http://a.test/", 301, to);
            assert!(!r.is_cross_origin(), "{to}");
            assert!(r.headers(&prev).contains_key(header::AUTHORIZATION));
        }
    }

    #[test]
    fn dropped_body_takes_its_headers_along() {
        let mut prev = HeaderMap::new();
        prev.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        prev.insert(header::CONTENT_LENGTH, HeaderValue::from_static("3"));
        let r = follow(Method::POST, "http://a.test/", 303, "/done");
        let h = r.headers(&prev);
        assert!(h.is_empty());
        let r = follow(Method::POST, "http://a.test/", 307, "/again");
        assert_eq!(r.headers(&prev).len(), 2);
    }
}
