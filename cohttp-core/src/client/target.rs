//! The request target and `Host` header of an outgoing request (RFC 9112 §3.2, RFC 9110 §7.2).
//!
//! [`TargetForm`] is a request extension that chooses the form of the request target:
//! origin-form by default, absolute-form for a direct proxy, authority-form for `CONNECT`.
//! This file computes the target string and the `Host` value; it writes nothing.

use std::borrow::Cow;

use http::header::HOST;
use http::{Method, Request, Uri};

use crate::error::{Error, Malformed, Result};

/// Request extension choosing the request-target form (RFC 9112 §3.2).
///
/// Without it, `CONNECT` uses [`Authority`](TargetForm::Authority) and every other method
/// [`Origin`](TargetForm::Origin).
///
/// # Examples
///
/// ```
/// use cohttp_core::client::TargetForm;
/// use cohttp_core::Body;
///
/// // A request for a direct proxy: the full URI goes on the request line.
/// let mut req = http::Request::get("http://example.test/a?b").body(Body::empty()).unwrap();
/// req.extensions_mut().insert(TargetForm::Absolute);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TargetForm {
    /// `/path?query` (`/` when the path is empty).
    #[default]
    Origin,
    /// The whole URI, `http://host:port/path?query` (requests to a direct proxy).
    Absolute,
    /// `host:port` (`CONNECT`).
    Authority,
}

/// The default port of a URI scheme, when it has one we know.
pub(crate) fn default_port(uri: &Uri) -> Option<u16> {
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("ws") => Some(80),
        Some(s) if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss") => Some(443),
        _ => None,
    }
}

/// The port a URI names or implies (80 when nothing says otherwise).
pub(crate) fn port_of(uri: &Uri) -> u16 {
    uri.port_u16().or_else(|| default_port(uri)).unwrap_or(80)
}

fn invalid(what: &str) -> Error {
    Error::malformed(Malformed::InvalidUri).with_context(what.to_string())
}

/// The request target for `req`, in the form its extension (or method) asks for (borrowed
/// from the URI for the usual origin-form).
pub(crate) fn request_target<B>(req: &Request<B>) -> Result<Cow<'_, str>> {
    let form = req.extensions().get::<TargetForm>().copied().unwrap_or(
        if req.method() == Method::CONNECT {
            TargetForm::Authority
        } else {
            TargetForm::Origin
        },
    );
    let uri = req.uri();
    match form {
        TargetForm::Origin => {
            let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            if pq == "*" && req.method() == Method::OPTIONS {
                return Ok(Cow::Borrowed("*"));
            }
            if pq.is_empty() {
                Ok(Cow::Borrowed("/"))
            } else if pq.starts_with('/') {
                Ok(Cow::Borrowed(pq))
            } else {
                Ok(Cow::Owned(format!("/{pq}")))
            }
        }
        TargetForm::Absolute => {
            if uri.scheme().is_none() || uri.authority().is_none() {
                return Err(invalid("absolute-form needs a scheme and a host"));
            }
            let mut s = uri.to_string();
            if uri.path_and_query().is_none() {
                s.push('/');
            }
            Ok(Cow::Owned(s))
        }
        TargetForm::Authority => {
            let host = uri
                .host()
                .ok_or_else(|| invalid("authority-form needs a host"))?;
            let port = uri
                .port_u16()
                .or_else(|| default_port(uri))
                .ok_or_else(|| invalid("authority-form needs a port"))?;
            Ok(Cow::Owned(format!("{host}:{port}")))
        }
    }
}

/// The `Host` value the URI implies: `host`, or `host:port` when the port is not the
/// scheme's default. `None` when the URI has no authority.
pub(crate) fn host_of(uri: &Uri) -> Option<String> {
    let host = uri.host()?;
    match uri.port_u16() {
        Some(p) if Some(p) != default_port(uri) => Some(format!("{host}:{p}")),
        _ => Some(host.to_string()),
    }
}

/// The `Host` value to send for `req` when it has no `Host` header: from the URI
/// (borrowed from its authority when that is already `host[:port]`), else `fallback`.
/// `None` when the caller gave one.
pub(crate) fn missing_host<'a, B>(
    req: &'a Request<B>,
    fallback: &'a str,
) -> Result<Option<Cow<'a, str>>> {
    if req.headers().contains_key(HOST) {
        return Ok(None);
    }
    let uri = req.uri();
    let host = match (uri.authority(), uri.host()) {
        (Some(auth), Some(host)) => {
            let written = auth.as_str();
            let written = written.rsplit_once('@').map_or(written, |(_, h)| h);
            match uri.port_u16() {
                Some(p) if Some(p) == default_port(uri) => Cow::Borrowed(host),
                Some(p) if written.len() != host.len() + 1 + decimal_len(p) => {
                    Cow::Owned(format!("{host}:{p}"))
                }
                _ => Cow::Borrowed(written),
            }
        }
        _ => Cow::Borrowed(fallback),
    };
    if host.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(invalid("host cannot be sent"));
    }
    Ok(Some(host))
}

/// The number of decimal digits of `n`.
fn decimal_len(n: u16) -> usize {
    match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1000..=9999 => 4,
        _ => 5,
    }
}

/// Checks a request before anything is sent: a target the form can express, header values
/// without CR, LF or NUL. The writer checks again; this lets a client refuse early.
pub(crate) fn check_request<B>(req: &Request<B>) -> Result<()> {
    request_target(req)?;
    for (name, value) in req.headers() {
        if value
            .as_bytes()
            .iter()
            .any(|&b| b == b'\r' || b == b'\n' || b == 0)
        {
            return Err(Error::malformed(Malformed::InvalidUserHeader)
                .with_context(format!("header {name} holds CR, LF or NUL")));
        }
    }
    Ok(())
}
