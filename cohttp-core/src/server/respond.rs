//! Response helpers: the seed's `respond`, `respond_string`, `respond_error`,
//! `respond_redirect`, `respond_need_auth` and `respond_not_found`.
//!
//! Each builds an `http::Response<Body>` (which converts into a
//! [`Reply`](crate::server::Reply)). Framing headers are not set here: the connection
//! sets `Content-Length` or chunked from the body when it writes the response. Text
//! bodies are labelled [`TEXT_PLAIN_UTF8`] so that no client has to sniff their type.
//! Serving files is in `files.rs`.
//!
//! ```
//! use cohttp_core::server::{respond_error, respond_not_found};
//! use http::StatusCode;
//!
//! let r = respond_error(StatusCode::BAD_GATEWAY, "upstream closed");
//! assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
//! assert_eq!(respond_not_found(None).status(), StatusCode::NOT_FOUND);
//! ```

use http::header::{HeaderValue, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use http::{HeaderMap, Response, StatusCode, Uri};

use crate::body::Body;
use crate::error::{Error, Malformed, Result};

/// The `Content-Type` of the text bodies the helpers and the server itself produce
/// (`respond_string`, `respond_error`, `respond_not_found`, the server's own error
/// answers): `text/plain; charset=utf-8`.
pub const TEXT_PLAIN_UTF8: &str = "text/plain; charset=utf-8";

/// A response with this status, headers and body.
///
/// ```
/// use cohttp_core::server::respond;
/// use http::{HeaderMap, StatusCode};
///
/// let r = respond(StatusCode::ACCEPTED, HeaderMap::new(), "queued");
/// assert_eq!(r.status(), StatusCode::ACCEPTED);
/// ```
pub fn respond(status: StatusCode, headers: HeaderMap, body: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A response with this status and a string body (sent with `Content-Length`),
/// labelled `Content-Type: text/plain; charset=utf-8` ([`TEXT_PLAIN_UTF8`]). Replace
/// the header on the result for another type.
///
/// ```
/// use cohttp_core::server::respond_string;
/// use http::StatusCode;
///
/// let r = respond_string(StatusCode::OK, "hello");
/// assert_eq!(r.body().known_length(), Some(5));
/// assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
/// ```
pub fn respond_string(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN_UTF8));
    respond(status, headers, Body::from(body.into()))
}

/// An error response: this status, and `Error: <message>` as body (the seed's form),
/// as plain UTF-8 text (see [`respond_string`]).
///
/// ```
/// use cohttp_core::server::respond_error;
/// use http::StatusCode;
///
/// let r = respond_error(StatusCode::INTERNAL_SERVER_ERROR, "disk full");
/// assert_eq!(r.body().known_length(), Some("Error: disk full".len() as u64));
/// ```
pub fn respond_error(status: StatusCode, message: &str) -> Response<Body> {
    respond_string(status, format!("Error: {message}"))
}

/// A `302 Found` redirect to `location`, with an empty body.
///
/// ```
/// use cohttp_core::server::respond_redirect;
/// use http::Uri;
///
/// let r = respond_redirect(&Uri::from_static("https://example.com/new")).unwrap();
/// assert_eq!(r.status(), 302);
/// assert_eq!(r.headers()["location"], "https://example.com/new");
/// ```
pub fn respond_redirect(location: &Uri) -> Result<Response<Body>> {
    let value = HeaderValue::try_from(location.to_string())
        .map_err(|e| Error::malformed(Malformed::InvalidUserHeader).with_source(e))?;
    let mut headers = HeaderMap::new();
    headers.insert(LOCATION, value);
    Ok(respond(StatusCode::FOUND, headers, Body::empty()))
}

/// A `401 Unauthorized` response asking for credentials with `challenge` as its
/// `WWW-Authenticate` value (for example `Basic realm="admin"`), with an empty body.
///
/// Fails with [`Malformed::InvalidUserHeader`] when the challenge cannot be a header
/// value (a CR or LF in it, say).
///
/// ```
/// use cohttp_core::server::respond_need_auth;
///
/// let r = respond_need_auth("Basic realm=\"admin\"").unwrap();
/// assert_eq!(r.status(), 401);
/// assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"admin\"");
/// assert!(respond_need_auth("Basic\r\nSet-Cookie: x").is_err());
/// ```
pub fn respond_need_auth(challenge: &str) -> Result<Response<Body>> {
    let value = HeaderValue::from_str(challenge)
        .map_err(|e| Error::malformed(Malformed::InvalidUserHeader).with_source(e))?;
    let mut headers = HeaderMap::new();
    headers.insert(WWW_AUTHENTICATE, value);
    Ok(respond(StatusCode::UNAUTHORIZED, headers, Body::empty()))
}

/// A `404 Not Found` response: `Not found`, or `Not found: <uri>` when given, as
/// plain UTF-8 text (see [`respond_string`]: never HTML, so a reflected URI is inert).
///
/// ```
/// use cohttp_core::server::respond_not_found;
/// use http::Uri;
///
/// let r = respond_not_found(Some(&Uri::from_static("/missing")));
/// assert_eq!(r.body().known_length(), Some("Not found: /missing".len() as u64));
/// ```
pub fn respond_not_found(uri: Option<&Uri>) -> Response<Body> {
    let body = match uri {
        Some(uri) => format!("Not found: {uri}"),
        None => "Not found".to_string(),
    };
    respond_string(StatusCode::NOT_FOUND, body)
}
