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
    let fields = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()));
    for (name, value) in fields.chain(extra.iter().copied()) {
        if has_forbidden_bytes(value) {
            return Err(Error::malformed(Malformed::InvalidUserHeader)
                .with_context(format!("header {name}")));
        }
        dst.extend_from_slice(name.as_bytes());
        dst.extend_from_slice(b": ");
        dst.extend_from_slice(value);
        dst.extend_from_slice(b"\r\n");
    }
    dst.extend_from_slice(b"\r\n");
    Ok(())
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
    let version = version_str(version)?;
    let start = dst.len();
    dst.extend_from_slice(version);
    dst.push(b' ');
    dst.extend_from_slice(status.as_str().as_bytes());
    dst.push(b' ');
    dst.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    dst.extend_from_slice(b"\r\n");
    if let Err(e) = write_fields(headers, extra, dst) {
        dst.truncate(start);
        return Err(e);
    }
    Ok(())
}
