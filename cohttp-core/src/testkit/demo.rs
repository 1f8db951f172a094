//! The demo service: the routes every backend's example server serves, and the example
//! client's fetching, written once so the examples, the conformance suite and the
//! benchmarks all exercise the same code on every runtime.
//!
//! Routes ([`Demo`]):
//!
//! | request | response |
//! |---|---|
//! | `GET /plaintext` (and `HEAD`) | 200 `text/plain`, `Hello, World!` |
//! | `GET /json` | 200 `application/json`, `{"message":"Hello, World!"}` |
//! | `GET /bytes/N` | 200, N bytes of `x`, fixed length |
//! | `GET /stream/N` | 200, N bytes of `x`, chunked, in 8 KiB chunks |
//! | anything else | 200, `METHOD TARGET VERSION\nBODY:` then the request body as received |
//!
//! TARGET is the request target exactly as sent; VERSION is `HTTP/1.1` or `HTTP/1.0`.
//!
//! The echo reads up to 64 KiB of the request body before it answers ([`Demo`]): a body
//! that ends within that is checked whole first, so a malformed one (a bad chunk, a body
//! over the limit) is answered with its 4xx rather than a 200 cut short; a longer body
//! streams back as it arrives. [`route`] is the streaming form, for handlers that answer
//! at once.

use bytes::Bytes;
use futures_util::future::{Either, Ready};
use futures_util::stream::{self, StreamExt};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode, Uri, Version};

use crate::body::Body;
use crate::client::{Connection, ConnectionConfig};
use crate::error::{Error, Result};
use crate::h1::RawTarget;
use crate::runtime::{BoxFuture, Runtime};
use crate::server::{respond_error, ConnInfo, Handler, Reply};

/// The demo service (see the module docs). Cheap: no allocation beyond the response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Demo;

/// The size of [`block`].
const BLOCK: usize = 1024 * 1024;

/// One 1 MiB block of `x` (made on first use), sliced without copying into bodies of
/// any size: `/bytes/N` up to 1 MiB is one slice of it, one chunk the server writes
/// without copying (as the bench's hyper server does with its own block).
fn block() -> Bytes {
    static BLOCK_BYTES: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    BLOCK_BYTES
        .get_or_init(|| Bytes::from(vec![b'x'; BLOCK]))
        .clone()
}

/// `n` bytes of `x` in chunks of at most `chunk` bytes.
fn repeated(n: u64, chunk: usize) -> impl futures_util::Stream<Item = Result<Bytes>> + Send {
    let block = block();
    let chunk = chunk.min(block.len()) as u64;
    stream::iter((0..n.div_ceil(chunk)).map(move |i| {
        let len = chunk.min(n - i * chunk) as usize;
        Ok(block.slice(..len))
    }))
}

/// The request target as it was sent.
pub fn request_target(req: &Request<()>) -> String {
    if let Some(raw) = req.extensions().get::<RawTarget>() {
        return raw.0.clone();
    }
    let uri = req.uri();
    if *req.method() == Method::CONNECT {
        return uri.authority().map(|a| a.to_string()).unwrap_or_default();
    }
    match uri.path_and_query() {
        Some(pq) => pq.to_string(),
        None => uri.to_string(),
    }
}

/// A 200 with this `Content-Type` (a constant: checked when compiled) and body.
fn typed(content_type: HeaderValue, body: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(body.into());
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

fn text_plain() -> HeaderValue {
    const { HeaderValue::from_static("text/plain") }
}

fn application_json() -> HeaderValue {
    const { HeaderValue::from_static("application/json") }
}

fn octet_stream() -> HeaderValue {
    const { HeaderValue::from_static("application/octet-stream") }
}

/// How much of a request body the echo reads before it answers (see the module docs).
const ECHO_READ_AHEAD: usize = 64 * 1024;

/// Answers one request of the demo service at once; the echo streams the request body
/// back as it arrives (see the module docs for the difference with [`Demo`]).
pub fn route(req: &Request<()>, body: Body) -> Response<Body> {
    fixed_route(req).unwrap_or_else(|| echo(req, body))
}

/// The routes other than the echo, or `None` for the echo.
fn fixed_route(req: &Request<()>) -> Option<Response<Body>> {
    let path = req.uri().path();
    // HEAD answers as GET would, without the body (RFC 9110 §9.3.2).
    if *req.method() == Method::GET || *req.method() == Method::HEAD {
        match path {
            "/plaintext" => return Some(typed(text_plain(), "Hello, World!")),
            "/json" => return Some(typed(application_json(), r#"{"message":"Hello, World!"}"#)),
            _ => {}
        }
        let sized = |prefix: &str| path.strip_prefix(prefix).map(|n| n.parse::<u64>());
        if let Some(n) = sized("/bytes/") {
            return Some(match n {
                Ok(n) => typed(
                    octet_stream(),
                    if n <= BLOCK as u64 {
                        Body::from_bytes(block().slice(..n as usize))
                    } else {
                        Body::from_sized_stream(repeated(n, BLOCK), n)
                    },
                ),
                Err(_) => respond_error(StatusCode::BAD_REQUEST, "N must be a whole number"),
            });
        }
        if let Some(n) = sized("/stream/") {
            return Some(match n {
                Ok(n) => typed(octet_stream(), Body::from_stream(repeated(n, 8 * 1024))),
                Err(_) => respond_error(StatusCode::BAD_REQUEST, "N must be a whole number"),
            });
        }
    }
    None
}

/// The echo's first line: `METHOD TARGET VERSION\nBODY:`.
fn echo_prefix(req: &Request<()>) -> Bytes {
    let version = if req.version() == Version::HTTP_10 {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    Bytes::from(format!(
        "{} {} {}\nBODY:",
        req.method(),
        request_target(req),
        version
    ))
}

/// The echo, reading up to [`ECHO_READ_AHEAD`] bytes of the body before it answers:
/// a body that fails within them fails the request (the server answers with the
/// body's 4xx); past them, the rest streams.
async fn echo_read_ahead(req: Request<()>, body: Body) -> Result<Reply> {
    let prefix = echo_prefix(&req);
    let known = body.known_length();
    let mut stream = body.into_stream();
    let mut read: Vec<Bytes> = Vec::new();
    let mut size = 0;
    while size < ECHO_READ_AHEAD {
        match stream.next().await {
            Some(Ok(chunk)) => {
                size += chunk.len();
                read.push(chunk);
            }
            Some(Err(e)) => return Err(e),
            None => {
                let mut whole = Vec::with_capacity(prefix.len() + size);
                whole.extend_from_slice(&prefix);
                read.iter().for_each(|c| whole.extend_from_slice(c));
                return Ok(Reply::Response(typed(text_plain(), whole)));
            }
        }
    }
    let head = stream::iter(std::iter::once(prefix.clone()).chain(read).map(Ok));
    let reply = match known {
        Some(n) => Body::from_sized_stream(head.chain(stream), prefix.len() as u64 + n),
        None => Body::from_stream(head.chain(stream)),
    };
    Ok(Reply::Response(typed(text_plain(), reply)))
}

/// `METHOD TARGET VERSION\nBODY:` and the request body, streamed as it arrives.
fn echo(req: &Request<()>, body: Body) -> Response<Body> {
    let prefix = echo_prefix(req);
    let reply = match body.known_length() {
        Some(0) => Body::from_bytes(prefix),
        Some(n) => {
            let len = prefix.len() as u64 + n;
            Body::from_sized_stream(stream::once(async { Ok(prefix) }).chain(body), len)
        }
        None => Body::from_stream(stream::once(async { Ok::<_, Error>(prefix) }).chain(body)),
    };
    typed(text_plain(), reply)
}

impl Handler for Demo {
    /// Ready at once, except for an echo with a body to read first.
    type Future = Either<Ready<Result<Reply>>, BoxFuture<'static, Result<Reply>>>;

    fn call(&self, _conn: ConnInfo, request: Request<()>, body: Body) -> Self::Future {
        let answer = match fixed_route(&request) {
            Some(response) => response,
            None if body.known_length() == Some(0) => echo(&request, body),
            None => return Either::Right(Box::pin(echo_read_ahead(request, body))),
        };
        Either::Left(futures_util::future::ready(Ok(Reply::Response(answer))))
    }
}

/// The example server's command line: `--port PORT [--host HOST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerArgs {
    /// The host to listen on (default `127.0.0.1`).
    pub host: String,
    /// The port to listen on (default 8080; 0 picks a free one).
    pub port: u16,
}

impl ServerArgs {
    /// Parses the arguments after the program name.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
    ) -> std::result::Result<ServerArgs, String> {
        let mut out = ServerArgs {
            host: "127.0.0.1".into(),
            port: 8080,
        };
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match a.as_str() {
                "--port" => {
                    let v = value("--port")?;
                    out.port = v.parse().map_err(|_| format!("bad port {v:?}"))?;
                }
                "--host" => out.host = value("--host")?,
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; usage: --port PORT [--host HOST]"
                    ))
                }
            }
        }
        Ok(out)
    }

    /// The address to listen on.
    pub fn addr(&self) -> std::result::Result<crate::runtime::Addr, String> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let ip: std::net::IpAddr = host
            .parse()
            .map_err(|_| format!("--host must be an IP address, got {:?}", self.host))?;
        Ok(crate::runtime::Addr::Tcp((ip, self.port).into()))
    }
}

/// What the example client found for one URL.
#[derive(Debug)]
pub struct Fetched {
    /// The URL as given.
    pub url: String,
    /// The status and the body length, or why it failed.
    pub outcome: Result<(StatusCode, u64)>,
}

/// Fetches `urls`, pipelined on one connection per host (a new connection takes the
/// requests a non-persistent server left unanswered), in the order given.
pub fn fetch_all(rt: Runtime, urls: Vec<String>) -> BoxFuture<'static, Vec<Fetched>> {
    Box::pin(async move {
        let mut groups: Vec<(String, Vec<(usize, Uri)>)> = Vec::new();
        let mut out: Vec<Option<Fetched>> = urls.iter().map(|_| None).collect();
        for (i, url) in urls.iter().enumerate() {
            match url.parse::<Uri>() {
                Ok(uri) if uri.host().is_some() => {
                    let key = uri.authority().map(|a| a.to_string()).unwrap_or_default();
                    match groups.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, g)) => g.push((i, uri)),
                        None => groups.push((key, vec![(i, uri)])),
                    }
                }
                _ => {
                    out[i] = Some(Fetched {
                        url: url.clone(),
                        outcome: Err(Error::malformed(crate::Malformed::InvalidUri)
                            .with_context(format!("cannot fetch {url:?}"))),
                    })
                }
            }
        }
        for (_, mut group) in groups {
            // Each round is one connection; requests it could not carry go to the next.
            while !group.is_empty() {
                let first = &group[0].1;
                let conn = match Connection::create_uri(&rt, first, ConnectionConfig::new()) {
                    Ok(c) => c,
                    Err(e) => {
                        for (i, _) in group.drain(..) {
                            out[i] = Some(Fetched {
                                url: urls[i].clone(),
                                outcome: Err(e.duplicate()),
                            });
                        }
                        break;
                    }
                };
                let pending: Vec<_> = group
                    .iter()
                    .map(|(_, uri)| {
                        let req = Request::get(uri.clone()).body(Body::empty());
                        req.map(|r| conn.call(r))
                    })
                    .collect();
                let mut unanswered = Vec::new();
                let mut answered = false;
                for ((i, uri), call) in group.drain(..).zip(pending) {
                    let outcome = match call {
                        Ok(call) => match call.await {
                            Ok(resp) => {
                                let status = resp.status();
                                count(resp.into_body()).await.map(|n| (status, n))
                            }
                            Err(e) => Err(e),
                        },
                        Err(e) => Err(Error::usage(e.to_string())),
                    };
                    match outcome {
                        // A GET is idempotent: one the connection did not answer goes on
                        // the next connection, as long as each round answers something.
                        Err(e) if e.is_retry() => unanswered.push((i, uri, e)),
                        outcome => {
                            answered = true;
                            out[i] = Some(Fetched {
                                url: urls[i].clone(),
                                outcome,
                            })
                        }
                    }
                }
                conn.shutdown();
                if answered {
                    group = unanswered.into_iter().map(|(i, uri, _)| (i, uri)).collect();
                } else {
                    for (i, _, e) in unanswered {
                        out[i] = Some(Fetched {
                            url: urls[i].clone(),
                            outcome: Err(e),
                        });
                    }
                }
            }
        }
        out.into_iter().flatten().collect()
    })
}

async fn count(mut body: Body) -> Result<u64> {
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        n += chunk?.len() as u64;
    }
    Ok(n)
}

/// The example server's body once its runtime is up: listens where `args` says, prints
/// `listening on ADDR` (flushed), serves [`Demo`] (up to 20 000 connections) until
/// `stop`, then shuts down gracefully.
/// Returns the process exit code (2 for bad arguments, 1 when it cannot listen).
pub async fn server_main(
    rt: Runtime,
    args: ServerArgs,
    stop: impl std::future::Future<Output = ()>,
) -> std::process::ExitCode {
    let addr = match args.addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("server: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match rt.listen(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("server: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(a) => println!("listening on {a}"),
        Err(e) => println!("listening (address unknown: {e})"),
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
    // The benchmarks hold 10 000 idle keep-alive connections: more than the library's
    // default limit, which suits a service, not a load test.
    let config = crate::server::ServerConfig::default().max_connections(20_000);
    crate::server::serve_listener(&rt, listener, Demo, config, stop).await;
    std::process::ExitCode::SUCCESS
}

/// The example client's body: fetches `urls` ([`fetch_all`]) and prints `URL STATUS
/// LENGTH` per line, or `URL error: ...`. Exit code 1 if any failed, 2 without URLs.
pub async fn client_main(rt: Runtime, urls: Vec<String>) -> std::process::ExitCode {
    if urls.is_empty() {
        eprintln!("usage: client URL...");
        return std::process::ExitCode::from(2);
    }
    let mut ok = true;
    for f in fetch_all(rt, urls).await {
        match f.outcome {
            Ok((status, len)) => println!("{} {} {len}", f.url, status.as_u16()),
            Err(e) => {
                ok = false;
                println!("{} error: {e}", f.url);
            }
        }
    }
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
