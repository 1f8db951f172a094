//! hyper's side of the server rows: a hyper 1.x HTTP/1.1 server with the routes of our tokio
//! example server, run as `xtask bench-hyper-server --port P [--host 127.0.0.1]` so that both
//! servers are separate processes measured the same way.
//!
//! It is tuned as a hyper user would for a benchmark: one `current_thread` runtime (one worker,
//! like ours under `COHTTP_WORKERS=1`), `TCP_NODELAY`, and hyper's `pipeline_flush` so pipelined
//! responses leave in one write. It is not a general server: GET routes only, no graceful stop
//! (the bench kills it).
//!
//! Routes: `/plaintext` (`Hello, World!`, `text/plain`), `/json`, `/bytes/N` (N bytes with
//! `Content-Length`), `/stream/N` (N bytes, chunked), anything else 404.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::ExitCode;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// Largest N served by `/bytes/N` and `/stream/N`.
const MAX_BODY: usize = 64 << 20;
/// Size of the shared block bodies are sliced from, and of each chunk of `/stream/N`.
const BLOCK: usize = 1 << 20;
const CHUNK: usize = 16 * 1024;

/// A response body: a whole buffer with its exact length (sent with `Content-Length`), or `N`
/// bytes in chunks of unknown total (sent chunked).
pub enum BenchBody {
    /// One buffer; `None` once sent.
    Full(Option<Bytes>),
    /// Slices of `block`, `remaining` bytes to go.
    Chunks {
        /// The block chunks are cut from.
        block: Bytes,
        /// Bytes still to send.
        remaining: usize,
    },
}

impl Body for BenchBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(match self.get_mut() {
            Self::Full(b) => b.take().map(|b| Ok(Frame::data(b))),
            Self::Chunks { block, remaining } => {
                let n = (*remaining).min(CHUNK).min(block.len());
                *remaining -= n;
                (n > 0).then(|| Ok(Frame::data(block.slice(..n))))
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full(b) => b.is_none(),
            Self::Chunks { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Self::Chunks { .. } => SizeHint::default(),
        }
    }
}

/// The response to one request; `block` is a shared buffer of `BLOCK` bytes.
fn route(req: &Request<hyper::body::Incoming>, block: &Bytes) -> Response<BenchBody> {
    let path = req.uri().path();
    let full = |ct: HeaderValue, body: Bytes| {
        Response::builder()
            .header(hyper::header::CONTENT_TYPE, ct)
            .body(BenchBody::Full(Some(body)))
    };
    let size = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n <= MAX_BODY)
    };
    let resp = if req.method() != hyper::Method::GET {
        Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .body(BenchBody::Full(None))
    } else if path == "/plaintext" {
        full(
            const { HeaderValue::from_static("text/plain") },
            Bytes::from_static(b"Hello, World!"),
        )
    } else if path == "/json" {
        full(
            const { HeaderValue::from_static("application/json") },
            Bytes::from_static(br#"{"message":"Hello, World!"}"#),
        )
    } else if let Some(n) = size("/bytes/") {
        let body = if n <= block.len() {
            block.slice(..n)
        } else {
            Bytes::from(vec![b'x'; n])
        };
        full(
            const { HeaderValue::from_static("application/octet-stream") },
            body,
        )
    } else if let Some(n) = size("/stream/") {
        Response::builder()
            .header(
                hyper::header::CONTENT_TYPE,
                const { HeaderValue::from_static("application/octet-stream") },
            )
            .body(BenchBody::Chunks {
                block: block.clone(),
                remaining: n,
            })
    } else {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(BenchBody::Full(None))
    };
    // The builder only fails on invalid header values; ours are constants.
    resp.unwrap_or_else(|_| Response::new(BenchBody::Full(None)))
}

/// `xtask bench-hyper-server --port P [--host H]`: serves until killed.
pub fn main(args: &[String]) -> ExitCode {
    let mut port: u16 = 0;
    let mut host = String::from("127.0.0.1");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--port", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(),
            },
            ("--host", Some(v)) => host.clone_from(v),
            _ => return usage(),
        }
    }
    let addr: SocketAddr = match format!("{host}:{port}").parse() {
        Ok(a) => a,
        Err(_) => return usage(),
    };
    super::rss::raise_nofile();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-hyper-server: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-hyper-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: xtask bench-hyper-server --port PORT [--host 127.0.0.1]");
    ExitCode::FAILURE
}

async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {local}")?;
        out.flush()?;
    }
    serve_on(listener).await
}

/// Serves the routes on connections accepted from `listener`, forever.
pub async fn serve_on(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let block = Bytes::from(vec![b'x'; BLOCK]);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            // Out of descriptors and the like: keep serving the connections already open.
            Err(e) => {
                eprintln!("bench-hyper-server: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let block = block.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let resp = route(&req, &block);
                async move { Ok::<_, Infallible>(resp) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .pipeline_flush(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
