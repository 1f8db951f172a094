//! Shared helpers for the server's integration tests: a server on the mock backend,
//! raw connections, and a minimal response reader over raw bytes.
#![allow(dead_code)]

use std::time::{Duration, UNIX_EPOCH};

use bytes::BytesMut;
use cohttp_core::h1::{self, BodyLength, Decoded, Decoder, Limits};
use cohttp_core::runtime::{Addr, BoxTransport, Ctx, Endpoint, Runtime};
use cohttp_core::server::{respond, respond_string, serve, ConnInfo, Handler, ServerConfig};
use cohttp_core::{Body, Error};
use cohttp_mock::{JoinHandle, Sim};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use http::{HeaderMap, Method, Request, StatusCode};

/// The `Date` line every response carries at virtual time zero with the test config.
pub const DATE: &str = "date: Thu, 01 Jan 1970 00:00:00 GMT\r\n";

/// The `Content-Type` line of `respond_string` and the server's own plain answers.
pub const TEXT: &str = "content-type: text/plain; charset=utf-8\r\n";

/// The default config with a fixed `Date` origin (the epoch at virtual time zero).
pub fn config() -> ServerConfig {
    ServerConfig::default().date_origin(UNIX_EPOCH)
}

/// A server running on a mock world until `stop` is called.
pub struct TestServer {
    pub sim: Sim,
    pub rt: Runtime,
    pub name: String,
    stop: Option<futures_channel::oneshot::Sender<()>>,
    join: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts `handler` on the listener named `name` in `sim`.
    pub fn start<H: Handler>(
        sim: &Sim,
        name: &str,
        handler: H,
        config: ServerConfig,
    ) -> TestServer {
        let rt = sim.runtime();
        let (tx, rx) = futures_channel::oneshot::channel::<()>();
        let join = {
            let rt = rt.clone();
            let name = name.to_string();
            sim.spawn(async move {
                let stop = async move {
                    let _ = rx.await;
                };
                serve(&rt, Addr::Named(name), handler, config, stop)
                    .await
                    .expect("listen");
            })
        };
        // Let the server bind before clients connect.
        sim.run_until_idle();
        TestServer {
            sim: sim.clone(),
            rt,
            name: name.to_string(),
            stop: Some(tx),
            join: Some(join),
        }
    }

    /// A new raw connection to the server.
    pub async fn connect(&self) -> BoxTransport {
        self.rt
            .connect(&Ctx::new(), &Endpoint::Named(self.name.clone()))
            .await
            .expect("connect")
    }

    /// Completes the stop future.
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for `serve` to return.
    pub async fn stopped(&mut self) {
        if let Some(j) = self.join.take() {
            j.await;
        }
    }
}

/// Writes all of `bytes`.
pub async fn send(io: &mut BoxTransport, bytes: &[u8]) {
    io.write_all(bytes).await.expect("write");
    io.flush().await.expect("flush");
}

/// Reads to end of stream.
pub async fn read_to_end(io: &mut BoxTransport) -> String {
    let mut out = Vec::new();
    io.read_to_end(&mut out).await.expect("read");
    String::from_utf8(out).expect("utf-8")
}

/// Reads exactly `n` bytes (panics on an early end of stream).
pub async fn read_exactly(io: &mut BoxTransport, n: usize) -> String {
    let mut out = vec![0u8; n];
    io.read_exact(&mut out).await.expect("read");
    String::from_utf8(out).expect("utf-8")
}

/// A raw reader of responses on one connection, keeping bytes read past a response.
#[derive(Default)]
pub struct Reader {
    buf: BytesMut,
    pub eof: bool,
}

/// One response as read from the wire: the head's exact bytes and the decoded body.
#[derive(Debug)]
pub struct Raw {
    pub status: StatusCode,
    pub head: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reader {
    pub fn new() -> Reader {
        Reader::default()
    }

    async fn fill(&mut self, io: &mut BoxTransport) -> bool {
        let mut chunk = [0u8; 4096];
        let n = io.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            self.eof = true;
            return false;
        }
        self.buf.extend_from_slice(&chunk[..n]);
        true
    }

    /// Reads one response to a request of `method`; `None` at end of stream.
    pub async fn response(&mut self, io: &mut BoxTransport, method: &Method) -> Option<Raw> {
        let limits = Limits::default();
        let parsed = loop {
            if let Some(p) = h1::parse_response(&self.buf, &limits).expect("valid response") {
                break p;
            }
            if !self.fill(io).await {
                assert!(
                    self.buf.is_empty(),
                    "stream ended inside a head: {:?}",
                    self.buf
                );
                return None;
            }
        };
        let head = String::from_utf8(self.buf.split_to(parsed.head_len).to_vec()).unwrap();
        let length = h1::response_body_length(method, &parsed.head).expect("framing");
        let mut decoder = Decoder::new(length, &limits);
        let mut body = Vec::new();
        if !matches!(length, BodyLength::Fixed(0)) {
            loop {
                match decoder.decode(&mut self.buf).expect("body") {
                    Decoded::Data(d) => body.extend_from_slice(&d),
                    Decoded::Done => break,
                    Decoded::NeedMore => {
                        if !self.fill(io).await {
                            decoder.decode_eof().expect("complete body");
                            break;
                        }
                    }
                }
            }
        }
        Some(Raw {
            status: parsed.head.status(),
            head,
            headers: parsed.head.headers().clone(),
            body: String::from_utf8(body).unwrap(),
        })
    }

    /// Whether the server closed: end of stream with nothing more.
    pub async fn closed(&mut self, io: &mut BoxTransport) -> bool {
        while self.fill(io).await {}
        self.buf.is_empty()
    }
}

/// A test application:
/// - `/echo` answers with the request body, streamed;
/// - `/read` reads the whole body and answers with its length;
/// - `/ignore` answers without reading the body;
/// - `/panic` panics; `/fail` returns an error;
/// - `/close` answers with `Connection: close`;
/// - `/stream` answers with a chunked body of three chunks;
/// - anything else answers `METHOD path`.
pub fn app() -> impl Handler {
    |_conn: ConnInfo, req: Request<()>, body: Body| async move {
        let path = req.uri().path().to_string();
        if path == "/panic" {
            panic!("boom at {path}");
        }
        match path.as_str() {
            "/echo" => Ok(respond(StatusCode::OK, HeaderMap::new(), body)),
            "/read" => {
                let bytes = body.to_bytes().await?;
                Ok(respond_string(
                    StatusCode::OK,
                    format!("read {}", bytes.len()),
                ))
            }
            "/ignore" => Ok(respond_string(StatusCode::OK, "ignored")),
            "/fail" => Err(Error::usage("the handler says no")),
            "/close" => {
                let mut r = respond_string(StatusCode::OK, "bye");
                r.headers_mut()
                    .insert("connection", http::HeaderValue::from_static("close"));
                Ok(r)
            }
            "/stream" => {
                let chunks = ["one", "two", "three"]
                    .into_iter()
                    .map(|s| Ok::<_, Error>(bytes::Bytes::from_static(s.as_bytes())));
                Ok(respond(
                    StatusCode::OK,
                    HeaderMap::new(),
                    Body::from_stream(futures_util::stream::iter(chunks)),
                ))
            }
            _ => Ok(respond_string(
                StatusCode::OK,
                format!("{} {}", req.method(), path),
            )),
        }
    }
}

/// A plain `200` response with body `text`, as the server writes it on a kept
/// connection at virtual time zero.
pub fn ok(text: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\n{TEXT}content-length: {}\r\n{DATE}\r\n{text}",
        text.len()
    )
}

/// Seconds of virtual time.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
