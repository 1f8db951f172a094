//! Message heads for the wire: request and response start lines and fields.
//!
//! Values from the user are checked before anything is written: a field value with
//! CR, LF or NUL, or a request target with whitespace or control characters, is refused
//! with a typed error, so no caller can inject a header or a second request.
//!
//! ```
//! use cohttp_core::h1::write_response_head;
//! use http::{HeaderMap, StatusCode, Version};
//!
//! let mut h = HeaderMap::new();
//! h.insert("content-length", "0".parse().unwrap());
//! let mut out = Vec::new();
//! write_response_head(StatusCode::NOT_FOUND, Version::HTTP_11, &h, &mut out).unwrap();
//! assert_eq!(out, b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
//! ```

use http::{HeaderMap, Method, StatusCode, Version};

use super::encode::has_forbidden_bytes;
use crate::error::{Error, Malformed, Result};

fn version_str(v: Version) -> Result<&'static [u8]> {
    match v {
        Version::HTTP_10 => Ok(b"HTTP/1.0"),
        Version::HTTP_11 => Ok(b"HTTP/1.1"),
        _ => Err(Error::usage(format!(
            "cannot write {v:?} on an HTTP/1 connection"
        ))),
    }
}

fn write_fields(headers: &HeaderMap, extra: &[(&str, &[u8])], dst: &mut Vec<u8>) -> Result<()> {
    write_field_lines(headers, dst)?;
    for &(name, value) in extra {
        if has_forbidden_bytes(value) {
            return Err(forbidden(name));
        }
        dst.extend_from_slice(name.as_bytes());
        dst.extend_from_slice(b": ");
        dst.extend_from_slice(value);
        dst.extend_from_slice(b"\r\n");
    }
    dst.extend_from_slice(b"\r\n");
    Ok(())
}

/// Appends one `name: value CRLF` line per field of `headers`, checking each value.
/// Names need no check: a `HeaderName` holds only token characters.
fn write_field_lines(headers: &HeaderMap, dst: &mut Vec<u8>) -> Result<()> {
    for (name, value) in headers {
        let value = value.as_bytes();
        if has_forbidden_bytes(value) {
            return Err(forbidden(name.as_str()));
        }
        dst.extend_from_slice(name.as_str().as_bytes());
        dst.extend_from_slice(b": ");
        dst.extend_from_slice(value);
        dst.extend_from_slice(b"\r\n");
    }
    Ok(())
}

fn forbidden(name: &str) -> Error {
    Error::malformed(Malformed::InvalidUserHeader).with_context(format!("header {name}"))
}

/// Appends `METHOD SP target SP version CRLF`, the fields and the empty line to `dst`.
///
/// Nothing is appended when the target or a field value cannot be sent.
///
/// ```
/// use cohttp_core::h1::write_request_head;
/// use http::{HeaderMap, Method, Version};
///
/// let mut out = Vec::new();
/// assert!(write_request_head(&Method::GET, "/a b", Version::HTTP_11, &HeaderMap::new(), &mut out).is_err());
/// assert!(out.is_empty());
/// ```
pub fn write_request_head(
    method: &Method,
    target: &str,
    version: Version,
    headers: &HeaderMap,
    dst: &mut Vec<u8>,
) -> Result<()> {
    write_request_head_with_host(method, target, version, None, headers, dst)
}

/// Like [`write_request_head`], with a `host` field line first when `host` is given (a
/// client's own `Host`, RFC 9110 §7.2: sent first, and not put in the header map). The
/// caller has checked `host` holds no control byte.
pub(crate) fn write_request_head_with_host(
    method: &Method,
    target: &str,
    version: Version,
    host: Option<&str>,
    headers: &HeaderMap,
    dst: &mut Vec<u8>,
) -> Result<()> {
    if target.is_empty() || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(Error::malformed(Malformed::InvalidUri)
            .with_context(format!("request target {target:?}")));
    }
    let version = version_str(version)?;
    let start = dst.len();
    dst.extend_from_slice(method.as_str().as_bytes());
    dst.push(b' ');
    dst.extend_from_slice(target.as_bytes());
    dst.push(b' ');
    dst.extend_from_slice(version);
    dst.extend_from_slice(b"\r\n");
    if let Some(host) = host {
        dst.extend_from_slice(b"host: ");
        dst.extend_from_slice(host.as_bytes());
        dst.extend_from_slice(b"\r\n");
    }
    if let Err(e) = write_fields(headers, &[], dst) {
        dst.truncate(start);
        return Err(e);
    }
    Ok(())
}

/// Appends `version SP code SP reason CRLF`, the fields and the empty line to `dst`.
pub fn write_response_head(
    status: StatusCode,
    version: Version,
    headers: &HeaderMap,
    dst: &mut Vec<u8>,
) -> Result<()> {
    write_response_head_with(status, version, headers, &[], dst)
}

/// Like [`write_response_head`], with `extra` fields written after `headers`: what a
/// server adds itself (framing, `Connection`, `Date`) goes out without being put in a
/// header map first. Every value is checked as in `headers`.
///
/// ```
/// use cohttp_core::h1::write_response_head_with;
/// use http::{HeaderMap, StatusCode, Version};
///
/// let mut out = Vec::new();
/// let extra: &[(&str, &[u8])] = &[("content-length", b"0")];
/// write_response_head_with(StatusCode::OK, Version::HTTP_11, &HeaderMap::new(), extra, &mut out)
///     .unwrap();
/// assert_eq!(out, b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
/// ```
pub fn write_response_head_with(
    status: StatusCode,
    version: Version,
    headers: &HeaderMap,
    extra: &[(&str, &[u8])],
    dst: &mut Vec<u8>,
) -> Result<()> {
    let start = dst.len();
    write_status_line(status, version, dst)?;
    if let Err(e) = write_fields(headers, extra, dst) {
        dst.truncate(start);
        return Err(e);
    }
    Ok(())
}

/// Appends the status line and one line per field of `headers`, without the empty
/// line that ends the head: the server appends the field lines it makes itself (which
/// need no check), then `CRLF`. Nothing is appended when a field value cannot be sent.
pub(crate) fn write_response_start(
    status: StatusCode,
    version: Version,
    headers: &HeaderMap,
    dst: &mut Vec<u8>,
) -> Result<()> {
    let start = dst.len();
    write_status_line(status, version, dst)?;
    if let Err(e) = write_field_lines(headers, dst) {
        dst.truncate(start);
        return Err(e);
    }
    Ok(())
}

/// Appends `version SP code SP reason CRLF`.
fn write_status_line(status: StatusCode, version: Version, dst: &mut Vec<u8>) -> Result<()> {
    if version == Version::HTTP_11 {
        if let Some(line) = common_status_line(status) {
            dst.extend_from_slice(line);
            return Ok(());
        }
    }
    dst.extend_from_slice(version_str(version)?);
    dst.push(b' ');
    dst.extend_from_slice(status.as_str().as_bytes());
    dst.push(b' ');
    dst.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    dst.extend_from_slice(b"\r\n");
    Ok(())
}

/// The whole HTTP/1.1 status line of the statuses servers send most, as
/// [`write_status_line`] writes it for any status.
fn common_status_line(status: StatusCode) -> Option<&'static [u8]> {
    Some(match status.as_u16() {
        200 => b"HTTP/1.1 200 OK\r\n",
        201 => b"HTTP/1.1 201 Created\r\n",
        204 => b"HTTP/1.1 204 No Content\r\n",
        206 => b"HTTP/1.1 206 Partial Content\r\n",
        301 => b"HTTP/1.1 301 Moved Permanently\r\n",
        302 => b"HTTP/1.1 302 Found\r\n",
        304 => b"HTTP/1.1 304 Not Modified\r\n",
        400 => b"HTTP/1.1 400 Bad Request\r\n",
        404 => b"HTTP/1.1 404 Not Found\r\n",
        500 => b"HTTP/1.1 500 Internal Server Error\r\n",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The precomputed status lines are the bytes the general path writes.
    #[test]
    fn common_status_lines_match_the_general_form() {
        for code in 100..=999u16 {
            let status = StatusCode::from_u16(code).unwrap();
            let Some(line) = common_status_line(status) else {
                continue;
            };
            let general = format!(
                "HTTP/1.1 {} {}\r\n",
                status.as_str(),
                status.canonical_reason().unwrap_or("")
            );
            assert_eq!(line, general.as_bytes(), "status {code}");
        }
    }

    #[test]
    fn response_start_leaves_the_head_open() {
        let mut h = HeaderMap::new();
        h.insert("x-ok", http::HeaderValue::from_static("fine"));
        h.append("x-ok", http::HeaderValue::from_static("again"));
        let mut out = b"before".to_vec();
        write_response_start(StatusCode::IM_A_TEAPOT, Version::HTTP_11, &h, &mut out).unwrap();
        assert_eq!(
            out,
            &b"beforeHTTP/1.1 418 I'm a teapot\r\nx-ok: fine\r\nx-ok: again\r\n"[..]
        );
        assert!(write_response_start(StatusCode::OK, Version::HTTP_2, &h, &mut out).is_err());
        assert_eq!(
            out.len(),
            b"beforeHTTP/1.1 418 I'm a teapot\r\nx-ok: fine\r\nx-ok: again\r\n".len()
        );
    }
}
