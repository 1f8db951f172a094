//! Serving files: [`resolve_local_file`], which maps a request URI to a path that never
//! leaves the document root, and [`respond_file`], which streams a file.
//!
//! File reads go through [`Runtime::blocking`] in chunks, so they never stall an async
//! worker and work on every backend (the mock one included). This file does not list
//! directories or negotiate ranges and validators: the [`FileServer`](super::FileServer)
//! does, with the pieces here.
//!
//! ```
//! use std::path::Path;
//! use cohttp_core::server::resolve_local_file;
//! use http::Uri;
//!
//! let root = Path::new("/srv/www");
//! let ok = resolve_local_file(root, &Uri::from_static("/docs/a%20b.html?x=1"));
//! assert_eq!(ok, Some(root.join("docs").join("a b.html")));
//! assert_eq!(resolve_local_file(root, &Uri::from_static("/docs/%2e%2e/%2e%2e/etc/passwd")), None);
//! ```

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Response, StatusCode, Uri};

use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::runtime::Runtime;
use crate::server::respond::{respond, respond_not_found, respond_string};

/// Bytes read from a file per blocking job.
const FILE_CHUNK: usize = 64 * 1024;

/// The file under `docroot` that the path of `uri` names, or `None` when the path
/// cannot be mapped safely. See [`resolve_local_path`] for the rules.
pub fn resolve_local_file(docroot: impl AsRef<Path>, uri: &Uri) -> Option<PathBuf> {
    resolve_local_path(docroot, uri.path())
}

/// The file under `docroot` that the URI path `path` names (a query, if any, is
/// ignored), or `None` when the path cannot be mapped safely.
///
/// The path is split on `/` and each segment percent-decoded once. A segment is
/// refused (and with it the whole path) when its decoding is not UTF-8 or holds `/`,
/// `\`, NUL or another control character, when it is `..`, or when the platform
/// would read it as anything but a plain name (a drive prefix or a root, say).
/// Empty and `.` segments are skipped. So the result is always `docroot` joined with
/// plain names only: it never escapes `docroot`, whatever the encoding tricks.
///
/// ```
/// use std::path::Path;
/// use cohttp_core::server::resolve_local_path;
///
/// let root = Path::new("/srv");
/// assert_eq!(resolve_local_path(root, "/"), Some(root.to_path_buf()));
/// assert_eq!(resolve_local_path(root, "/a/./b"), Some(root.join("a").join("b")));
/// assert_eq!(resolve_local_path(root, "/a/..%2f..%2fetc"), None);
/// assert_eq!(resolve_local_path(root, "/..\\windows"), None);
/// ```
pub fn resolve_local_path(docroot: impl AsRef<Path>, path: &str) -> Option<PathBuf> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut out = docroot.as_ref().to_path_buf();
    for raw in path.split('/') {
        let segment = percent_decode(raw)?;
        if segment.is_empty() || segment == "." {
            continue;
        }
        if segment == ".."
            || segment
                .chars()
                .any(|c| c == '/' || c == '\\' || c.is_control())
        {
            return None;
        }
        let mut components = Path::new(&segment).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(name)), None) if name == segment.as_str() => out.push(name),
            _ => return None,
        }
    }
    Some(out)
}

/// Decodes `%XX` escapes once; `None` on a malformed escape or a result that is not
/// UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex(*bytes.get(i + 1)?)?;
            let lo = hex(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A `Content-Type` guessed from a file name's extension, from a small built-in table
/// (`application/octet-stream` when unknown).
///
/// ```
/// use std::path::Path;
/// use cohttp_core::server::content_type;
///
/// assert_eq!(content_type(Path::new("index.HTML")), "text/html; charset=utf-8");
/// assert_eq!(content_type(Path::new("data.bin")), "application/octet-stream");
/// ```
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        Some("md") => "text/markdown; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("avif") => "image/avif",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("ogg") => "audio/ogg",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("zip") => "application/zip",
        Some("gz") => "application/gzip",
        Some("tar") => "application/x-tar",
        Some("rs" | "ml" | "c" | "h" | "toml" | "yaml" | "yml" | "sh") => {
            "text/plain; charset=utf-8"
        }
        _ => "application/octet-stream",
    }
}

/// A `200 OK` response streaming the file at `path` (with `Content-Length` and a
/// `Content-Type` guessed from its extension), read in 64 KiB chunks through
/// [`Runtime::blocking`]. A missing file or a directory gets `404 Not Found`, an
/// unreadable one `403 Forbidden`; other failures to open are errors.
///
/// A file that shrinks while it is sent fails the body (the connection then closes
/// rather than send a short response).
///
/// ```
/// use cohttp_core::runtime::Runtime;
/// use cohttp_core::server::{resolve_local_file, respond_file, respond_not_found};
/// use cohttp_core::{Body, Result};
/// use http::{Request, Response};
///
/// async fn serve_static(rt: &Runtime, req: &Request<()>) -> Result<Response<Body>> {
///     match resolve_local_file("/srv/www", req.uri()) {
///         Some(path) => respond_file(rt, path).await,
///         None => Ok(respond_not_found(Some(req.uri()))),
///     }
/// }
/// ```
pub async fn respond_file(rt: &Runtime, path: impl Into<PathBuf>) -> Result<Response<Body>> {
    let path = path.into();
    let opened = {
        let path = path.clone();
        rt.blocking(move || -> io::Result<(File, u64, bool)> {
            let file = File::open(&path)?;
            let meta = file.metadata()?;
            Ok((file, meta.len(), meta.is_dir()))
        })
        .await?
    };
    let (file, length) = match opened {
        Ok((_, _, true)) => return Ok(respond_not_found(None)),
        Ok((file, length, false)) => (file, length),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(respond_not_found(None)),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Ok(respond_string(StatusCode::FORBIDDEN, "Forbidden"))
        }
        Err(e) => {
            return Err(Error::from(e).with_context(format!("could not open {}", path.display())))
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    Ok(respond(
        StatusCode::OK,
        headers,
        file_body(rt, file, 0, length),
    ))
}

/// A body of `length` bytes of `file` from byte `offset`, read in 64 KiB chunks through
/// [`Runtime::blocking`]. The body fails if the file ends early.
pub(crate) fn file_body(rt: &Runtime, file: File, offset: u64, length: u64) -> Body {
    let state = (rt.clone(), Some(file), length, offset);
    let stream = futures_util::stream::unfold(state, |(rt, file, remaining, seek)| async move {
        let file = file?;
        if remaining == 0 {
            return None;
        }
        let want = FILE_CHUNK.min(usize::try_from(remaining).unwrap_or(FILE_CHUNK));
        let read = rt
            .blocking(move || {
                let mut file = file;
                let mut buf = vec![0u8; want];
                let n = if seek > 0 {
                    file.seek(SeekFrom::Start(seek))
                        .and_then(|_| file.read(&mut buf))
                } else {
                    file.read(&mut buf)
                };
                (
                    file,
                    n.map(|n| {
                        buf.truncate(n);
                        buf
                    }),
                )
            })
            .await;
        match read {
            Ok((file, Ok(buf))) if !buf.is_empty() => {
                let left = remaining - buf.len() as u64;
                Some((Ok(Bytes::from(buf)), (rt, Some(file), left, 0)))
            }
            Ok((_, Ok(_))) => Some((
                Err(Error::new(ErrorKind::Io).with_context("file shrank while it was sent")),
                (rt, None, 0, 0),
            )),
            Ok((_, Err(e))) => Some((Err(Error::from(e)), (rt, None, 0, 0))),
            Err(e) => Some((Err(e), (rt, None, 0, 0))),
        }
    });
    Body::from_body_stream(Box::pin(stream), Some(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_is_one_level_and_strict() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%252e").as_deref(), Some("%2e"));
        assert_eq!(percent_decode("%2").as_deref(), None);
        assert_eq!(percent_decode("%zz").as_deref(), None);
        assert_eq!(percent_decode("%ff").as_deref(), None);
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type(Path::new("a.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.tar.gz")), "application/gzip");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }
}
