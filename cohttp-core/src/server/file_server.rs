//! [`FileServer`]: a handler serving a directory tree, as `cohttp-server` does.
//!
//! What it answers (method `GET` or `HEAD`; anything else is `405` with
//! `Allow: GET, HEAD`):
//!
//! - a file: its bytes, with `Content-Type` from the extension
//!   ([`content_type`](super::content_type)), `Last-Modified`, a weak `ETag` from size
//!   and modification time, `Accept-Ranges: bytes`; conditional requests by RFC 9110
//!   §13.2.2 (`304`, `412`, see [`evaluate_preconditions`]); one byte range (`206` with
//!   `Content-Range`, `416` with `Content-Range: bytes */<length>`). A `Range` with
//!   several ranges is answered with the whole file (`200`): multipart answers are not
//!   offered.
//! - a directory named without a trailing slash: `301` to the same path with the slash
//!   (so that relative links work); with it, the index file when there is one, else an
//!   HTML listing ([`html_listing`]).
//! - a path that cannot be mapped inside the document root ([`resolve_local_path`]:
//!   `..`, encoded slashes, ...), or that leads out of it through a symbolic link
//!   (checked on the canonical path), or a special file: `403`. A missing path: `404`.
//!   An unreadable one: `403`.
//!
//! Every file system access runs through [`Runtime::blocking`]. This file does not log
//! requests: wrap the handler in [`AccessLog`](super::AccessLog) for that.
//!
//! ```no_run
//! # async fn demo(rt: cohttp_core::Runtime) -> cohttp_core::Result<()> {
//! use cohttp_core::runtime::Addr;
//! use cohttp_core::server::{serve, FileServer, ServerConfig};
//!
//! let files = FileServer::new(&rt, ".")?.index(Some("index.html"));
//! let addr = Addr::Tcp("127.0.0.1:8080".parse().unwrap());
//! serve(&rt, addr, files, ServerConfig::default(), std::future::pending()).await
//! # }
//! ```

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use http::header::{
    HeaderValue, ACCEPT_RANGES, ALLOW, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED, LOCATION,
    RANGE,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};

use crate::body::Body;
use crate::error::{Error, Result};
use crate::runtime::{BoxFuture, Runtime};
use crate::server::conditional::{
    evaluate_preconditions, if_range_allows, weak_etag, Precondition, Validators,
};
use crate::server::files::{content_type, file_body, resolve_local_path};
use crate::server::handler::{ConnInfo, Handler, Reply};
use crate::server::http_date;
use crate::server::listing::{html_listing, ListingEntry};
use crate::server::range::{parse_range, RangeAnswer};
use crate::server::respond::{respond, respond_not_found, respond_string};

/// Most entries shown in one directory listing; the rest are left out (and the page
/// says so).
const MAX_LISTING: usize = 10_000;

/// A handler serving the files under a document root. See the module docs.
///
/// Cloning shares the configuration (one reference count).
#[derive(Clone, Debug)]
pub struct FileServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    rt: Runtime,
    root: PathBuf,
    index: Option<String>,
    listing: bool,
}

/// What the file system says about a request path.
enum Lookup {
    /// A regular file, opened.
    File {
        file: File,
        path: PathBuf,
        len: u64,
        modified: Option<SystemTime>,
    },
    /// A directory and its listing (`truncated` when entries were left out).
    Listing {
        entries: Vec<ListingEntry>,
        truncated: bool,
    },
    /// A directory whose listing is turned off.
    Directory,
    NotFound,
    Forbidden,
}

impl FileServer {
    /// Serves the tree under `docroot`, which is made canonical here (so this reads
    /// the file system once, blocking). Defaults: index file `index.html`, listings on.
    ///
    /// # Errors
    ///
    /// An I/O error naming `docroot` when it does not exist or is not a directory.
    pub fn new(rt: &Runtime, docroot: impl AsRef<Path>) -> Result<FileServer> {
        let docroot = docroot.as_ref();
        let fail = |e: io::Error| {
            Error::from(e).with_context(format!("document root {}", docroot.display()))
        };
        let root = fs::canonicalize(docroot).map_err(fail)?;
        if !fs::metadata(&root).map_err(fail)?.is_dir() {
            return Err(fail(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a directory",
            )));
        }
        Ok(FileServer {
            inner: Arc::new(Inner {
                rt: rt.clone(),
                root,
                index: Some("index.html".into()),
                listing: true,
            }),
        })
    }

    /// The name of the file served for a directory (default `index.html`); `None`
    /// always lists. A name that is not one plain path segment is ignored.
    pub fn index(self, name: Option<&str>) -> FileServer {
        let index = name
            .filter(|n| resolve_local_path("", n).is_some_and(|p| p.components().count() == 1))
            .map(str::to_string);
        self.with(|i| i.index = index)
    }

    /// Whether directories without an index file are listed (default on); off, they
    /// answer `403`.
    pub fn listing(self, on: bool) -> FileServer {
        self.with(|i| i.listing = on)
    }

    /// The canonical document root.
    pub fn docroot(&self) -> &Path {
        &self.inner.root
    }

    fn with(self, f: impl FnOnce(&mut Inner)) -> FileServer {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            rt: shared.rt.clone(),
            root: shared.root.clone(),
            index: shared.index.clone(),
            listing: shared.listing,
        });
        f(&mut inner);
        FileServer {
            inner: Arc::new(inner),
        }
    }

    /// The response to `req` (its body is not needed: requests with a body get `405`).
    ///
    /// # Errors
    ///
    /// Only when the runtime cannot run a blocking job; file system failures are
    /// answered (`403`, `404`).
    pub async fn respond(&self, req: &Request<()>) -> Result<Response<Body>> {
        let method = req.method();
        if method != Method::GET && method != Method::HEAD {
            let mut headers = HeaderMap::new();
            headers.insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Ok(respond(
                StatusCode::METHOD_NOT_ALLOWED,
                headers,
                "Method Not Allowed",
            ));
        }
        let path = req.uri().path();
        let Some(candidate) = resolve_local_path(&self.inner.root, path) else {
            return Ok(forbidden());
        };
        let is_dir_path = path.ends_with('/');
        let inner = self.inner.clone();
        let found = self
            .inner
            .rt
            .blocking(move || lookup(&inner, &candidate, is_dir_path))
            .await?;
        match found {
            Ok(Some(Lookup::File {
                file,
                path,
                len,
                modified,
            })) => Ok(self.file_response(req, file, &path, len, modified)),
            Ok(Some(Lookup::Listing { entries, truncated })) => {
                let mut page = html_listing(path, &entries);
                if truncated {
                    page.push_str(&format!(
                        "<!-- listing truncated to {MAX_LISTING} entries -->\n"
                    ));
                }
                let mut headers = HeaderMap::new();
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                Ok(respond(StatusCode::OK, headers, page))
            }
            Ok(Some(Lookup::Directory)) | Ok(Some(Lookup::Forbidden)) => Ok(forbidden()),
            Ok(Some(Lookup::NotFound)) => Ok(respond_not_found(None)),
            Ok(None) => {
                // One leading slash only: `//host/dir` would be a redirect to another host.
                let local = path.trim_start_matches('/');
                let location = match req.uri().query() {
                    Some(q) => format!("/{local}/?{q}"),
                    None => format!("/{local}/"),
                };
                let mut headers = HeaderMap::new();
                match HeaderValue::try_from(location) {
                    Ok(v) => headers.insert(LOCATION, v),
                    Err(_) => return Ok(forbidden()),
                };
                Ok(respond(
                    StatusCode::MOVED_PERMANENTLY,
                    headers,
                    "Moved Permanently",
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(forbidden()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(respond_not_found(None)),
            Err(e) => {
                log::warn!("file server: {path}: {e}");
                Ok(forbidden())
            }
        }
    }

    /// The answer for an opened file: validators, preconditions, range.
    fn file_response(
        &self,
        req: &Request<()>,
        file: File,
        path: &Path,
        len: u64,
        modified: Option<SystemTime>,
    ) -> Response<Body> {
        let validators = Validators::new(modified.map(|m| weak_etag(len, m)), modified);
        let mut headers = HeaderMap::new();
        if let Some(tag) = validators
            .etag()
            .and_then(|t| HeaderValue::try_from(t).ok())
        {
            headers.insert(ETAG, tag);
        }
        if let Some(m) = validators.last_modified() {
            if let Ok(v) = HeaderValue::try_from(http_date(m)) {
                headers.insert(LAST_MODIFIED, v);
            }
        }
        match evaluate_preconditions(req.method(), req.headers(), &validators) {
            Precondition::NotModified => {
                return respond(StatusCode::NOT_MODIFIED, headers, Body::empty())
            }
            Precondition::Failed => {
                return respond(
                    StatusCode::PRECONDITION_FAILED,
                    headers,
                    "Precondition Failed",
                )
            }
            Precondition::Proceed => {}
        }
        headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        let range = match req.headers().get(RANGE).and_then(|v| v.to_str().ok()) {
            Some(value)
                if req.method() == Method::GET && if_range_allows(req.headers(), &validators) =>
            {
                parse_range(value, len)
            }
            _ => RangeAnswer::Whole,
        };
        let rt = &self.inner.rt;
        match range {
            RangeAnswer::Whole => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
                respond(StatusCode::OK, headers, file_body(rt, file, 0, len))
            }
            RangeAnswer::Partial(r) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
                if let Ok(v) = HeaderValue::try_from(r.content_range(len)) {
                    headers.insert(CONTENT_RANGE, v);
                }
                respond(
                    StatusCode::PARTIAL_CONTENT,
                    headers,
                    file_body(rt, file, r.start, r.len()),
                )
            }
            RangeAnswer::Unsatisfiable => {
                if let Ok(v) = HeaderValue::try_from(format!("bytes */{len}")) {
                    headers.insert(CONTENT_RANGE, v);
                }
                respond(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    headers,
                    "Range Not Satisfiable",
                )
            }
        }
    }
}

fn forbidden() -> Response<Body> {
    respond_string(StatusCode::FORBIDDEN, "Forbidden")
}

/// The canonical form of `path` when it stays under `root`; `Forbidden` when a link
/// leads out of it.
fn inside(root: &Path, path: &Path) -> io::Result<std::result::Result<PathBuf, Lookup>> {
    match fs::canonicalize(path) {
        Ok(real) if real.starts_with(root) => Ok(Ok(real)),
        Ok(_) => Ok(Err(Lookup::Forbidden)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Err(Lookup::NotFound)),
        Err(e) => Err(e),
    }
}

/// Looks `candidate` up (blocking). `Ok(None)`: a directory asked without its trailing
/// slash, to be redirected.
fn lookup(inner: &Inner, candidate: &Path, is_dir_path: bool) -> io::Result<Option<Lookup>> {
    let real = match inside(&inner.root, candidate)? {
        Ok(real) => real,
        Err(found) => return Ok(Some(found)),
    };
    let meta = fs::metadata(&real)?;
    if meta.is_file() {
        return open(real).map(Some);
    }
    if !meta.is_dir() {
        return Ok(Some(Lookup::Forbidden));
    }
    if !is_dir_path && real != inner.root {
        return Ok(None);
    }
    if let Some(index) = &inner.index {
        if let Ok(index) = inside(&inner.root, &real.join(index))? {
            if fs::metadata(&index)?.is_file() {
                return open(index).map(Some);
            }
        }
    }
    if !inner.listing {
        return Ok(Some(Lookup::Directory));
    }
    let mut entries = Vec::new();
    let mut truncated = false;
    for entry in fs::read_dir(&real)? {
        if entries.len() >= MAX_LISTING {
            truncated = true;
            break;
        }
        let Ok(entry) = entry else { continue };
        // Names that are not UTF-8 cannot be requested (resolve_local_path refuses
        // them): they are left out.
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // Entries reached through a link out of the root are left out too.
        let Ok(Ok(target)) = inside(&inner.root, &entry.path()) else {
            continue;
        };
        let Ok(meta) = fs::metadata(&target) else {
            continue;
        };
        let modified = meta.modified().ok();
        entries.push(if meta.is_dir() {
            ListingEntry::dir(name, modified)
        } else {
            ListingEntry::file(name, meta.len(), modified)
        });
    }
    Ok(Some(Lookup::Listing { entries, truncated }))
}

fn open(path: PathBuf) -> io::Result<Lookup> {
    let file = File::open(&path)?;
    let meta = file.metadata()?;
    Ok(Lookup::File {
        file,
        len: meta.len(),
        modified: meta.modified().ok(),
        path,
    })
}

impl Handler for FileServer {
    type Future = BoxFuture<'static, Result<Reply>>;

    fn call(&self, _conn: ConnInfo, request: Request<()>, body: Body) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            drop(body);
            this.respond(&request).await.map(Reply::from)
        })
    }
}
