//! Conformance cases for HTTP over a backend: the server and the client of this crate
//! talking to each other through the backend's real networking, timers and spawning.
//!
//! Each case starts its own server on `127.0.0.1:0` (or a Unix socket), runs its
//! client side, then stops the server and waits for it to finish.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::future::join_all;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use futures_util::StreamExt;
use http::{Method, Request, Response, StatusCode};

use super::demo::Demo;
use super::{ensure, Case};
use crate::body::Body;
use crate::client::{Cache, CacheConfig, Client, Connection, ConnectionConfig};
use crate::error::Error;
use crate::h1::{parse_response, response_body_length, Decoded, Decoder, Limits};
use crate::runtime::{Addr, Ctx, Endpoint, Runtime};
use crate::server::{respond, serve_listener, ConnInfo, Handler, Reply, ServerConfig};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "http_demo_routes",
            run: |rt| Box::pin(demo_routes(rt)),
        },
        Case {
            name: "http_kv_store_cache",
            run: |rt| Box::pin(kv_store_cache(rt)),
        },
        Case {
            name: "http_pipelined_burst_raw",
            run: |rt| Box::pin(pipelined_burst_raw(rt)),
        },
        Case {
            name: "http_malformed_chunked_upload_gets_400",
            run: |rt| Box::pin(malformed_chunked_upload(rt)),
        },
        Case {
            name: "http_keep_alive_one_connection",
            run: |rt| Box::pin(keep_alive_one_connection(rt)),
        },
        Case {
            name: "http_retry_on_server_close",
            run: |rt| Box::pin(retry_on_server_close(rt)),
        },
        Case {
            name: "http_stream_64_mib_both_ways",
            run: |rt| Box::pin(stream_64_mib(rt)),
        },
        Case {
            name: "http_slow_client_trickle",
            run: |rt| Box::pin(slow_client_trickle(rt)),
        },
        Case {
            name: "http_header_timeout_cuts_slowloris",
            run: |rt| Box::pin(header_timeout(rt)),
        },
        Case {
            name: "http_graceful_shutdown_finishes_in_flight",
            run: |rt| Box::pin(graceful_shutdown(rt)),
        },
        Case {
            name: "http_unix_socket_round_trip",
            run: |rt| Box::pin(unix_round_trip(rt)),
        },
    ]
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A server running in the background until dropped or stopped.
struct Running {
    addr: Addr,
    stop: Option<futures_channel::oneshot::Sender<()>>,
    done: futures_channel::oneshot::Receiver<()>,
}

impl Running {
    async fn start<H: Handler>(
        rt: &Runtime,
        at: Addr,
        handler: H,
        config: ServerConfig,
    ) -> Result<Running, String> {
        let listener = rt.listen(at).await.map_err(err)?;
        let addr = listener.local_addr().map_err(err)?;
        let (stop_tx, stop_rx) = futures_channel::oneshot::channel::<()>();
        let (done_tx, done_rx) = futures_channel::oneshot::channel();
        let server_rt = rt.clone();
        rt.spawn(async move {
            let stop = async move {
                let _ = stop_rx.await;
            };
            serve_listener(&server_rt, listener, handler, config, stop).await;
            let _ = done_tx.send(());
        });
        Ok(Running {
            addr,
            stop: Some(stop_tx),
            done: done_rx,
        })
    }

    fn tcp(&self) -> Result<SocketAddr, String> {
        match &self.addr {
            Addr::Tcp(a) => Ok(*a),
            other => Err(format!("server listens on {other}, not TCP")),
        }
    }

    /// A raw transport to the server, for writing and reading bytes as they are.
    async fn connect_raw(&self, rt: &Runtime) -> Result<crate::runtime::BoxTransport, String> {
        let addr = self.tcp()?;
        let endpoint = Endpoint::Tcp {
            host: addr.ip().to_string(),
            port: addr.port(),
            addrs: vec![addr],
        };
        rt.connect(&Ctx::new(), &endpoint).await.map_err(err)
    }

    fn url(&self, path: &str) -> Result<String, String> {
        Ok(format!("http://{}{path}", self.tcp()?))
    }

    async fn stop(mut self) -> Result<(), String> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        (&mut self.done)
            .await
            .map_err(|_| "server task vanished".to_string())
    }
}

fn loopback() -> Addr {
    Addr::Tcp(SocketAddr::from(([127, 0, 0, 1], 0)))
}

async fn text(resp: Response<Body>) -> Result<(StatusCode, String), String> {
    let status = resp.status();
    Ok((status, resp.into_body().to_string().await.map_err(err)?))
}

async fn demo_routes(rt: Runtime) -> Result<(), String> {
    let server = Running::start(&rt, loopback(), Demo, ServerConfig::default()).await?;
    let client = Client::new(&rt);
    let (s, b) = text(
        client
            .get(server.url("/plaintext")?.as_str())
            .await
            .map_err(err)?,
    )
    .await?;
    ensure!(
        s == 200 && b == "Hello, World!",
        "/plaintext gave {s} {b:?}"
    );
    let (s, b) = text(
        client
            .get(server.url("/json")?.as_str())
            .await
            .map_err(err)?,
    )
    .await?;
    ensure!(
        s == 200 && b == r#"{"message":"Hello, World!"}"#,
        "/json gave {s} {b:?}"
    );
    for route in ["/bytes/100000", "/stream/100000"] {
        let resp = client.get(server.url(route)?.as_str()).await.map_err(err)?;
        let n = resp.into_body().to_bytes().await.map_err(err)?;
        ensure!(
            n.len() == 100_000 && n.iter().all(|&b| b == b'x'),
            "{route} gave {} bytes",
            n.len()
        );
    }
    let resp = client
        .post(server.url("/echo?q=1")?.as_str(), "payload")
        .await
        .map_err(err)?;
    let (s, b) = text(resp).await?;
    ensure!(
        s == 200 && b == "POST /echo?q=1 HTTP/1.1\nBODY:payload",
        "echo gave {s} {b:?}"
    );
    let resp = client
        .head(server.url("/plaintext")?.as_str())
        .await
        .map_err(err)?;
    ensure!(
        resp.headers()
            .get("content-length")
            .is_some_and(|v| v == "13"),
        "HEAD headers {:?}",
        resp.headers()
    );
    let (s, b) = text(resp).await?;
    ensure!(s == 200 && b.is_empty(), "HEAD gave {s} {b:?}");
    server.stop().await
}

/// The key-value store of the issue's scenario, as a handler.
#[derive(Clone, Default)]
struct Kv(Arc<Mutex<HashMap<String, Bytes>>>);

impl Handler for Kv {
    type Future = crate::runtime::BoxFuture<'static, crate::Result<Reply>>;

    fn call(&self, _: ConnInfo, req: Request<()>, body: Body) -> Self::Future {
        let store = self.0.clone();
        Box::pin(async move {
            let key = req.uri().path().to_string();
            let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
            let status = match *req.method() {
                Method::PUT => {
                    let value = body.to_bytes().await?;
                    if lock().insert(key, value).is_some() {
                        StatusCode::CREATED
                    } else {
                        StatusCode::NO_CONTENT
                    }
                }
                Method::GET => match lock().get(&key).cloned() {
                    Some(v) => {
                        return Ok(Reply::Response(respond(
                            StatusCode::OK,
                            Default::default(),
                            v,
                        )))
                    }
                    None => StatusCode::NOT_FOUND,
                },
                Method::HEAD => {
                    if lock().contains_key(&key) {
                        StatusCode::OK
                    } else {
                        StatusCode::NOT_FOUND
                    }
                }
                Method::DELETE => {
                    if lock().remove(&key).is_some() {
                        StatusCode::OK
                    } else {
                        StatusCode::NOT_FOUND
                    }
                }
                _ => StatusCode::METHOD_NOT_ALLOWED,
            };
            Ok(Reply::Response(respond(
                status,
                Default::default(),
                Body::empty(),
            )))
        })
    }
}

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

async fn kv_store_cache(rt: Runtime) -> Result<(), String> {
    let server = Running::start(&rt, loopback(), Kv::default(), ServerConfig::default()).await?;
    let client = Client::new(&rt).with_cache(Cache::new(&rt, CacheConfig::new()));
    let url = |k: usize| server.url(&format!("/{k}"));
    let puts = (0..7).map(|k| {
        let (client, u) = (&client, url(k));
        async move { client.put(u?.as_str(), DAYS[k]).await.map_err(err) }
    });
    for r in join_all(puts).await {
        let s = r?.status();
        ensure!(s == 201 || s == 204, "PUT answered {s}");
    }
    let heads = (0..8).map(|k| {
        let (client, u) = (&client, url(k));
        async move { client.head(u?.as_str()).await.map_err(err) }
    });
    for (k, r) in join_all(heads).await.into_iter().enumerate() {
        let want = if k < 7 { 200 } else { 404 };
        let s = r?.status();
        ensure!(s == want, "HEAD /{k} answered {s}, wanted {want}");
    }
    let gets = (0..7).map(|k| {
        let (client, u) = (&client, url(k));
        async move { text(client.get(u?.as_str()).await.map_err(err)?).await }
    });
    for (k, r) in join_all(gets).await.into_iter().enumerate() {
        let (s, b) = r?;
        ensure!(s == 200 && b == DAYS[k], "GET /{k} gave {s} {b:?}");
    }
    let deletes = (0..7).map(|k| {
        let (client, u) = (&client, url(k));
        async move { client.delete(u?.as_str()).await.map_err(err) }
    });
    for r in join_all(deletes).await {
        let s = r?.status();
        ensure!(s == 200, "DELETE answered {s}");
    }
    let s = client.get(url(3)?.as_str()).await.map_err(err)?.status();
    ensure!(s == 404, "GET after DELETE answered {s}");
    server.stop().await
}

/// Reads `n` responses off a raw stream, returning their statuses and bodies.
async fn read_responses(
    io: &mut crate::runtime::BoxTransport,
    n: usize,
) -> Result<Vec<(u16, Bytes)>, String> {
    let limits = Limits::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    while out.len() < n {
        let parsed = loop {
            if let Some(p) = parse_response(&buf, &limits).map_err(err)? {
                break p;
            }
            if crate::h1::io::read_buf(io, &mut buf, 8192)
                .await
                .map_err(err)?
                == 0
            {
                return Err(format!("end of stream after {} responses", out.len()));
            }
        };
        let _ = buf.split_to(parsed.head_len);
        let length = response_body_length(&Method::GET, &parsed.head).map_err(err)?;
        let mut decoder = Decoder::for_response(length, &limits);
        let mut body = BytesMut::new();
        loop {
            match decoder.decode(&mut buf).map_err(err)? {
                Decoded::Data(d) => body.extend_from_slice(&d),
                Decoded::Done => break,
                Decoded::NeedMore => {
                    if crate::h1::io::read_buf(io, &mut buf, 8192)
                        .await
                        .map_err(err)?
                        == 0
                    {
                        decoder.decode_eof().map_err(err)?;
                        break;
                    }
                }
            }
        }
        out.push((parsed.head.status().as_u16(), body.freeze()));
    }
    Ok(out)
}

/// A chunked upload that breaks its framing is answered 400, then closed: the echo
/// reads a short body whole before it answers, so no 200 goes out first.
async fn malformed_chunked_upload(rt: Runtime) -> Result<(), String> {
    let server = Running::start(&rt, loopback(), Demo, ServerConfig::default()).await?;
    let bad_chunks: [&[u8]; 4] = [
        b"5 \r\nhello\r\n0\r\n\r\n",
        b"0x5\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhelloXX0\r\n\r\n",
        b"5\nhello\r\n0\r\n\r\n",
    ];
    for chunks in bad_chunks {
        let mut io = server.connect_raw(&rt).await?;
        let mut request =
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        request.extend_from_slice(chunks);
        io.write_all(&request).await.map_err(err)?;
        io.flush().await.map_err(err)?;
        let responses = read_responses(&mut io, 1).await?;
        ensure!(
            responses[0].0 == 400,
            "{:?} answered {:?}",
            String::from_utf8_lossy(chunks),
            responses[0]
        );
        // Then the server closes: the next read ends.
        let mut rest = Vec::new();
        let read = rt
            .timeout(Duration::from_secs(10), io.read_to_end(&mut rest))
            .await;
        ensure!(
            matches!(read, Ok(Ok(_))) && rest.is_empty(),
            "after the 400: {read:?}, {rest:?}"
        );
    }
    server.stop().await
}

async fn pipelined_burst_raw(rt: Runtime) -> Result<(), String> {
    let server = Running::start(&rt, loopback(), Demo, ServerConfig::default()).await?;
    let mut io = server.connect_raw(&rt).await?;
    let mut burst = Vec::new();
    for i in 0..16 {
        burst.extend_from_slice(format!("GET /p{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    }
    io.write_all(&burst).await.map_err(err)?;
    io.flush().await.map_err(err)?;
    let responses = read_responses(&mut io, 16).await?;
    for (i, (status, body)) in responses.iter().enumerate() {
        let want = format!("GET /p{i} HTTP/1.1\nBODY:");
        ensure!(
            *status == 200 && body[..] == *want.as_bytes(),
            "response {i}: {status} {body:?}"
        );
    }
    drop(io);
    server.stop().await
}

/// The demo service, counting the connections it saw.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);

impl Handler for Counting {
    type Future = <Demo as Handler>::Future;

    fn call(&self, conn: ConnInfo, req: Request<()>, body: Body) -> Self::Future {
        Demo.call(conn, req, body)
    }

    fn conn_closed(&self, _: &ConnInfo) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn keep_alive_one_connection(rt: Runtime) -> Result<(), String> {
    let closed = Counting::default();
    let server = Running::start(&rt, loopback(), closed.clone(), ServerConfig::default()).await?;
    let uri: http::Uri = server.url("/plaintext")?.parse().map_err(err)?;
    let conn = Connection::create_uri(&rt, &uri, ConnectionConfig::new()).map_err(err)?;
    for i in 0..200 {
        let req = Request::get(uri.clone()).body(Body::empty()).map_err(err)?;
        let (s, b) = text(conn.call(req).await.map_err(err)?).await?;
        ensure!(
            s == 200 && b == "Hello, World!",
            "request {i} gave {s} {b:?}"
        );
    }
    ensure!(
        conn.persistent() == Some(true),
        "connection persistence {:?}",
        conn.persistent()
    );
    ensure!(
        !conn.is_closed(),
        "connection closed after 200 keep-alive requests"
    );
    // 32 more, pipelined on the same connection.
    let calls: Vec<_> = (0..32)
        .map(|_| {
            Request::get(uri.clone())
                .body(Body::empty())
                .map(|r| conn.call(r))
        })
        .collect::<Result<_, _>>()
        .map_err(err)?;
    for call in calls {
        let (s, _) = text(call.await.map_err(err)?).await?;
        ensure!(s == 200, "pipelined request gave {s}");
    }
    conn.close();
    server.stop().await?;
    let n = closed.0.load(Ordering::SeqCst);
    ensure!(n == 1, "server saw {n} connections, wanted 1");
    Ok(())
}

/// Answers with `Connection: close` every third request, closing the connection.
#[derive(Clone, Default)]
struct ClosingEveryThird(Arc<AtomicUsize>);

impl Handler for ClosingEveryThird {
    type Future = futures_util::future::Ready<crate::Result<Reply>>;

    fn call(&self, _: ConnInfo, req: Request<()>, _: Body) -> Self::Future {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let mut resp = respond(
            StatusCode::OK,
            Default::default(),
            req.uri().path().to_string(),
        );
        if n % 3 == 0 {
            resp.headers_mut()
                .insert("connection", http::HeaderValue::from_static("close"));
        }
        futures_util::future::ready(Ok(Reply::Response(resp)))
    }
}

async fn retry_on_server_close(rt: Runtime) -> Result<(), String> {
    let server = Running::start(
        &rt,
        loopback(),
        ClosingEveryThird::default(),
        ServerConfig::default(),
    )
    .await?;
    let cache = Cache::new(&rt, CacheConfig::new().parallel(1).retry(10));
    let client = Client::new(&rt).with_cache(cache);
    let gets = (0..30).map(|i| {
        let (client, u) = (&client, server.url(&format!("/r{i}")));
        async move { text(client.get(u?.as_str()).await.map_err(err)?).await }
    });
    for (i, r) in join_all(gets).await.into_iter().enumerate() {
        let (s, b) = r?;
        ensure!(
            s == 200 && b == format!("/r{i}"),
            "GET /r{i} gave {s} {b:?}"
        );
    }
    server.stop().await
}

async fn stream_64_mib(rt: Runtime) -> Result<(), String> {
    const SIZE: u64 = 64 * 1024 * 1024;
    let server = Running::start(&rt, loopback(), Demo, ServerConfig::default()).await?;
    let client = Client::new(&rt);
    // Download, chunked: counted as it streams, never buffered whole.
    let resp = client
        .get(server.url(&format!("/stream/{SIZE}"))?.as_str())
        .await
        .map_err(err)?;
    ensure!(
        resp.headers()
            .get("transfer-encoding")
            .is_some_and(|v| v == "chunked"),
        "not chunked: {:?}",
        resp.headers()
    );
    let mut body = resp.into_body();
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        n += chunk.map_err(err)?.len() as u64;
    }
    ensure!(n == SIZE, "downloaded {n} bytes");
    // Upload, chunked, echoed back as it arrives.
    let block = Bytes::from(vec![b'y'; 64 * 1024]);
    let upload = futures_util::stream::iter(
        (0..SIZE / block.len() as u64).map(move |_| Ok::<_, Error>(block.clone())),
    );
    let req = Request::post(server.url("/up")?)
        .body(Body::from_stream(upload))
        .map_err(err)?;
    let resp = client.request(req).await.map_err(err)?;
    let mut body = resp.into_body();
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        n += chunk.map_err(err)?.len() as u64;
    }
    let prefix = "POST /up HTTP/1.1\nBODY:".len() as u64;
    ensure!(
        n == SIZE + prefix,
        "echoed {n} bytes, wanted {}",
        SIZE + prefix
    );
    server.stop().await
}

async fn slow_client_trickle(rt: Runtime) -> Result<(), String> {
    let server = Running::start(&rt, loopback(), Demo, ServerConfig::default()).await?;
    let mut io = server.connect_raw(&rt).await?;
    let request = b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    for byte in request.chunks(1) {
        io.write_all(byte).await.map_err(err)?;
        io.flush().await.map_err(err)?;
        rt.sleep(Duration::from_millis(2)).await;
    }
    let responses = read_responses(&mut io, 1).await?;
    ensure!(
        responses[0].1[..] == b"POST /slow HTTP/1.1\nBODY:hello"[..],
        "trickled request answered {:?}",
        responses[0]
    );
    drop(io);
    server.stop().await
}

async fn header_timeout(rt: Runtime) -> Result<(), String> {
    let config = ServerConfig::default().header_read_timeout(Duration::from_millis(300));
    let server = Running::start(&rt, loopback(), Demo, config).await?;
    let mut slow = server.connect_raw(&rt).await?;
    slow.write_all(b"GET /plaintext HTTP/1.1\r\nHost")
        .await
        .map_err(err)?;
    slow.flush().await.map_err(err)?;
    // Meanwhile another client is served.
    let client = Client::new(&rt);
    let (s, _) = text(
        client
            .get(server.url("/plaintext")?.as_str())
            .await
            .map_err(err)?,
    )
    .await?;
    ensure!(s == 200, "well-behaved client got {s}");
    // The slow one is cut off (a 408, or just the close) well before 10 s.
    let mut rest = Vec::new();
    let read = rt
        .timeout(Duration::from_secs(10), slow.read_to_end(&mut rest))
        .await;
    ensure!(read.is_ok(), "slow client still connected after 10 s");
    let text = String::from_utf8_lossy(&rest);
    ensure!(
        rest.is_empty() || text.starts_with("HTTP/1.1 408"),
        "slow client got {text:?}"
    );
    server.stop().await
}

/// The demo service, after a pause.
#[derive(Clone)]
struct Slow(Runtime);

impl Handler for Slow {
    type Future = crate::runtime::BoxFuture<'static, crate::Result<Reply>>;

    fn call(&self, conn: ConnInfo, req: Request<()>, body: Body) -> Self::Future {
        let rt = self.0.clone();
        Box::pin(async move {
            rt.sleep(Duration::from_millis(300)).await;
            Demo.call(conn, req, body).await
        })
    }
}

async fn graceful_shutdown(rt: Runtime) -> Result<(), String> {
    let server = Running::start(&rt, loopback(), Slow(rt.clone()), ServerConfig::default()).await?;
    let url = server.url("/plaintext")?;
    let client = Client::new(&rt);
    let in_flight = {
        let (client, url) = (client.clone(), url.clone());
        async move { text(client.get(url.as_str()).await.map_err(err)?).await }
    };
    let stopping = async {
        rt.sleep(Duration::from_millis(100)).await;
        server.stop().await
    };
    let (answer, stopped) = futures_util::future::join(in_flight, stopping).await;
    stopped?;
    let (s, b) = answer?;
    ensure!(
        s == 200 && b == "Hello, World!",
        "in-flight request gave {s} {b:?}"
    );
    match client.get(url.as_str()).await {
        Ok(r) => Err(format!(
            "a new request after shutdown was answered {}",
            r.status()
        )),
        Err(_) => Ok(()),
    }
}

async fn unix_round_trip(rt: Runtime) -> Result<(), String> {
    if !cfg!(unix) {
        return Ok(());
    }
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "cohttp-http-{}-{}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    let server =
        Running::start(&rt, Addr::Unix(path.clone()), Demo, ServerConfig::default()).await?;
    let ctx = Ctx::new().with_override("unix.test", Endpoint::Unix(path.clone()));
    let uri: http::Uri = "http://unix.test/plaintext".parse().map_err(err)?;
    let conn = Connection::create_uri(&rt, &uri, ConnectionConfig::new().ctx(ctx)).map_err(err)?;
    let req = Request::get(uri).body(Body::empty()).map_err(err)?;
    let r = text(conn.call(req).await.map_err(err)?).await;
    conn.close();
    server.stop().await?;
    let _ = std::fs::remove_file(&path);
    let (s, b) = r?;
    ensure!(
        s == 200 && b == "Hello, World!",
        "over a Unix socket: {s} {b:?}"
    );
    Ok(())
}
