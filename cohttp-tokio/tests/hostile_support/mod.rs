//! Shared helpers of the hostile-peer tests (`hostile_*.rs`): our server on a loopback
//! port of the tokio backend, a well-behaved client probing it, and latency figures.
//!
//! Time enters pass/fail only through generous bounds (an answer within seconds); the
//! latencies measured are printed for the report.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cohttp_core::client::{Cache, CacheConfig, Client};
use cohttp_core::runtime::Addr;
use cohttp_core::server::{respond_string, serve_listener, ConnInfo, Handler, Reply, ServerConfig};
use cohttp_core::{Body, Error, Result};
use http::{Request, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Size of the response to `GET /big`.
pub const BIG: usize = 16 * 1024 * 1024;

/// The test application: `/hello`, `/big` (16 MiB), and `POST /upload` (reads the whole
/// body; a body that fails to arrive fails the handler). Counts connections closed and
/// upload failures.
#[derive(Clone, Default)]
pub struct App {
    pub closed: Arc<AtomicUsize>,
    pub upload_failures: Arc<AtomicUsize>,
}

impl Handler for App {
    type Future = futures_util::future::BoxFuture<'static, Result<Reply>>;

    fn call(&self, _conn: ConnInfo, req: Request<()>, body: Body) -> Self::Future {
        let failures = self.upload_failures.clone();
        Box::pin(async move {
            let reply = match req.uri().path() {
                "/big" => respond_string(StatusCode::OK, "x".repeat(BIG)),
                "/upload" => match body.to_bytes_limited(1 << 20).await {
                    Ok(b) => respond_string(StatusCode::OK, format!("{} bytes", b.len())),
                    Err(e) => {
                        failures.fetch_add(1, Ordering::SeqCst);
                        return Err(e);
                    }
                },
                _ => respond_string(StatusCode::OK, "hello"),
            };
            Ok(reply.into())
        })
    }

    fn conn_closed(&self, _conn: &ConnInfo) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

/// A server running on a loopback port until dropped (then stopped).
pub struct TestServer {
    pub addr: SocketAddr,
    pub app: App,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    join: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(config: ServerConfig) -> TestServer {
        let rt = cohttp_tokio::runtime();
        let listener = rt
            .listen(Addr::Tcp("127.0.0.1:0".parse().unwrap()))
            .await
            .expect("listen on loopback");
        let addr = match listener.local_addr().expect("local address") {
            Addr::Tcp(a) => a,
            other => panic!("not a TCP address: {other:?}"),
        };
        let app = App::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let join = {
            let app = app.clone();
            tokio::spawn(async move {
                let stop = async move {
                    let _ = rx.await;
                };
                serve_listener(&rt, listener, app, config, stop).await;
            })
        };
        TestServer {
            addr,
            app,
            stop: Some(tx),
            join: Some(join),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn closed(&self) -> usize {
        self.app.closed.load(Ordering::SeqCst)
    }

    /// Stops the server and waits (bounded) for `serve_listener` to return.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(j) = self.join.take() {
            tokio::time::timeout(Duration::from_secs(60), j)
                .await
                .expect("server stopped within 60 s")
                .expect("server task");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A well-behaved client: a new connection per request (`fresh`) or one kept-alive
/// connection (`keep_alive`).
pub fn fresh_client() -> Client {
    Client::new(&cohttp_tokio::runtime())
}

pub fn keep_alive_client() -> Client {
    let rt = cohttp_tokio::runtime();
    Client::new(&rt).with_cache(Cache::new(&rt, CacheConfig::new().parallel(1)))
}

/// One well-behaved `GET /hello`; its latency. Panics past `bound`.
pub async fn probe(client: &Client, url: &str, bound: Duration) -> Duration {
    let started = Instant::now();
    let answer = tokio::time::timeout(bound, async {
        let r = client.get(url).await?;
        let status = r.status();
        let text = r.into_body().to_string().await?;
        Ok::<_, Error>((status, text))
    })
    .await
    .unwrap_or_else(|_| panic!("well-behaved request not answered within {bound:?}"))
    .expect("well-behaved request");
    assert_eq!(answer, (StatusCode::OK, "hello".to_string()));
    started.elapsed()
}

/// Latencies of the well-behaved client.
#[derive(Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `p50 / p99 / max` in milliseconds.
    pub fn summary(&self) -> String {
        let mut v = self.0.clone();
        v.sort();
        let at = |q: f64| {
            let i = ((v.len() as f64 - 1.0) * q).round() as usize;
            v.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        format!(
            "n={} p50={:.2}ms p99={:.2}ms max={:.2}ms",
            v.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        )
    }
}

/// Probes every `every` until `until` completes, collecting latencies.
pub async fn probe_while(
    client: &Client,
    url: &str,
    every: Duration,
    until: impl std::future::Future<Output = ()>,
) -> Latencies {
    let mut lat = Latencies::default();
    let mut until = std::pin::pin!(until);
    loop {
        tokio::select! {
            _ = &mut until => return lat,
            d = probe(client, url, Duration::from_secs(5)) => lat.push(d),
        }
        tokio::select! {
            _ = &mut until => return lat,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// A slow peer: connects, writes `prefix` at once, then `slow` a byte every `gap`
/// while reading; returns what the server sent, how many slow bytes went out before it
/// closed, and how long the connection lived. Panics if it lives past `bound`.
pub async fn slow_peer(
    addr: SocketAddr,
    prefix: &'static [u8],
    slow: Vec<u8>,
    gap: Duration,
    bound: Duration,
) -> (String, usize, Duration) {
    let io = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = io.into_split();
    wr.write_all(prefix).await.expect("write prefix");
    let started = Instant::now();
    let sent = Arc::new(AtomicUsize::new(0));
    let writer = {
        let sent = sent.clone();
        tokio::spawn(async move {
            for b in slow {
                tokio::time::sleep(gap).await;
                if wr.write_all(&[b]).await.is_err() {
                    break;
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
            // Stay open (never half-close) until aborted.
            std::future::pending::<()>().await;
        })
    };
    let answer = until_closed(&mut rd, bound).await;
    let lived = started.elapsed();
    writer.abort();
    (
        String::from_utf8_lossy(&answer).into_owned(),
        sent.load(Ordering::SeqCst),
        lived,
    )
}

/// Reads until the server closes the connection (end of stream or reset); what it sent.
/// Panics if it is still open after `bound`.
pub async fn until_closed(
    io: &mut (impl tokio::io::AsyncRead + Unpin),
    bound: Duration,
) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(bound, async {
        loop {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("server kept the connection open past {bound:?}"));
    got
}

/// Writes `bytes` one at a time, `gap` apart, until done or the server closes (a write
/// fails); how many went out.
pub async fn trickle(
    io: &mut (impl tokio::io::AsyncWrite + Unpin),
    bytes: &[u8],
    gap: Duration,
) -> usize {
    for (i, b) in bytes.iter().enumerate() {
        if io.write_all(std::slice::from_ref(b)).await.is_err() {
            return i;
        }
        tokio::time::sleep(gap).await;
    }
    bytes.len()
}
