//! Test servers for the connection-cache tests, written on `cohttp_core::h1` over the mock
//! network: a key-value store, a recorder of what arrived on the wire, and a CONNECT proxy
//! that, once the tunnel is up, answers as the origin on the same stream.
//!
//! Not the real server (built elsewhere): just enough HTTP/1.1 to exercise the client,
//! with read-ahead (every request already in the buffer is answered in one write).
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use cohttp_core::h1::{self, Decoded, Decoder, Limits};
use cohttp_core::runtime::Addr;
use cohttp_core::Runtime;
use cohttp_mock::{MockNet, MockStream, Sim};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Which accepted connection (0, 1, ... in accept order).
    pub conn: usize,
    pub method: Method,
    /// The request target exactly as sent.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// What the handler answers.
pub struct Answer {
    /// Virtual time the server waits before writing this answer.
    pub delay: Duration,
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            delay: Duration::ZERO,
            status: StatusCode::from_u16(status).unwrap(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Answer {
        self.headers.push((name, value.into()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

/// A running test server: what it saw, in arrival order.
#[derive(Clone)]
pub struct Server {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub accepted: Arc<Mutex<usize>>,
    pub addr: SocketAddr,
}

impl Server {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn accepted(&self) -> usize {
        *self.accepted.lock().unwrap()
    }
}

/// Starts a server on `host:port` of the mock network answering with `handler`.
pub fn serve(sim: &Sim, host: &str, port: u16, handler: Handler) -> Server {
    let net: MockNet = sim.net();
    let addr = SocketAddr::new(net.address_of(host), port);
    let mut listener = net.bind(Addr::Tcp(addr)).expect("bind");
    let server = Server {
        seen: Arc::new(Mutex::new(Vec::new())),
        accepted: Arc::new(Mutex::new(0)),
        addr,
    };
    let s = server.clone();
    let spawner = sim.clone();
    let rt = sim.runtime();
    sim.spawn(async move {
        // Bounded by the test: the world stops when the test's future is done.
        while let Ok((stream, _)) = listener.accept().await {
            let conn = {
                let mut n = s.accepted.lock().unwrap();
                *n += 1;
                *n - 1
            };
            spawner.spawn(serve_conn(
                rt.clone(),
                stream,
                conn,
                handler.clone(),
                s.seen.clone(),
            ));
        }
    });
    server
}

/// Answers requests on one connection until end of stream, an error, or a request or
/// answer that ends the connection.
async fn serve_conn(
    rt: Runtime,
    mut stream: MockStream,
    conn: usize,
    handler: Handler,
    seen: Arc<Mutex<Vec<Seen>>>,
) {
    let limits = Limits::default();
    let mut buf = BytesMut::with_capacity(8192);
    loop {
        let mut out = Vec::new();
        let mut close = false;
        // Answer every complete request already in the buffer (read-ahead).
        loop {
            let parsed = match h1::parse_request(&buf, &limits) {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(_) => return,
            };
            // The whole body must be in the buffer too, else wait for more bytes.
            let mut rest = BytesMut::from(&buf[parsed.head_len..]);
            let mut decoder = Decoder::new(parsed.body, &limits);
            let mut body = Vec::new();
            let complete = loop {
                match decoder.decode(&mut rest) {
                    Ok(Decoded::Data(d)) => body.extend_from_slice(&d),
                    Ok(Decoded::NeedMore) => break false,
                    Ok(Decoded::Done) => break true,
                    Err(_) => return,
                }
            };
            if !complete {
                break;
            }
            let used = buf.len() - rest.len();
            let _ = buf.split_to(used);
            let head = parsed.head;
            let target = head
                .extensions()
                .get::<h1::RawTarget>()
                .map(|t| t.0.clone())
                .unwrap_or_else(|| head.uri().to_string());
            let request = Seen {
                conn,
                method: head.method().clone(),
                target,
                headers: head.headers().clone(),
                body,
            };
            seen.lock().unwrap().push(request.clone());
            let answer = handler(&request);
            if !answer.delay.is_zero() {
                // Send what is ready, then take the time this answer takes.
                if !out.is_empty() && h1::io::write_all(&mut stream, &out).await.is_err() {
                    return;
                }
                out.clear();
                rt.sleep(answer.delay).await;
            }
            let mut headers = HeaderMap::new();
            for (name, value) in &answer.headers {
                headers.append(*name, HeaderValue::from_str(value).unwrap());
            }
            let connect_ok = request.method == Method::CONNECT && answer.status.is_success();
            let bodiless = answer.status == StatusCode::NO_CONTENT
                || answer.status == StatusCode::NOT_MODIFIED;
            if !connect_ok && !bodiless && !headers.contains_key("content-length") {
                headers.insert("content-length", answer.body.len().into());
            }
            if !parsed.keep_alive || h1::connection_has(&headers, "close") {
                close = true;
                if !h1::connection_has(&headers, "close") {
                    headers.insert("connection", HeaderValue::from_static("close"));
                }
            }
            h1::write_response_head(answer.status, Version::HTTP_11, &headers, &mut out).unwrap();
            if request.method != Method::HEAD && !connect_ok {
                out.extend_from_slice(&answer.body);
            }
            if close {
                break;
            }
        }
        if !out.is_empty() && h1::io::write_all(&mut stream, &out).await.is_err() {
            return;
        }
        if close {
            return;
        }
        match h1::io::read_buf(&mut stream, &mut buf, 4096).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// The key-value store of the `kv_store_*` scenarios: PUT stores (201 new, 204
/// replaced), GET returns or 404, HEAD tells presence, DELETE removes or 404.
pub fn kv_handler() -> Handler {
    let store: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    Arc::new(move |req: &Seen| {
        let key = path_of(&req.target);
        let mut store = store.lock().unwrap();
        match req.method {
            Method::PUT => match store.insert(key, req.body.clone()) {
                None => Answer::new(201, ""),
                Some(_) => Answer::new(204, ""),
            },
            Method::GET => match store.get(&key) {
                Some(v) => Answer::new(200, v.clone()),
                None => Answer::new(404, "not found"),
            },
            Method::HEAD => match store.get(&key) {
                Some(v) => Answer::new(200, "").header("content-length", v.len().to_string()),
                None => Answer::new(404, ""),
            },
            Method::DELETE => match store.remove(&key) {
                Some(_) => Answer::new(204, ""),
                None => Answer::new(404, "not found"),
            },
            _ => Answer::new(405, ""),
        }
    })
}

/// Echoes the method and target: `GET /a`. A path starting `/slow` is answered after
/// 10 s of virtual time.
pub fn echo_handler() -> Handler {
    Arc::new(|req: &Seen| {
        let path = path_of(&req.target);
        let answer = Answer::new(200, format!("{} {}", req.method, path));
        if path.starts_with("/slow") {
            answer.delayed(Duration::from_secs(10))
        } else {
            answer
        }
    })
}

/// A CONNECT proxy that then answers as the origin with `inner` on the same stream;
/// `status` is its answer to CONNECT.
pub fn tunnel_handler(status: u16, inner: Handler) -> Handler {
    Arc::new(move |req: &Seen| {
        if req.method == Method::CONNECT {
            if status / 100 == 2 {
                Answer::new(status, "")
            } else {
                Answer::new(status, "proxy says no")
            }
        } else {
            inner(req)
        }
    })
}

/// The path of an origin-form or absolute-form target.
pub fn path_of(target: &str) -> String {
    match target.find("://") {
        Some(i) => {
            let after = &target[i + 3..];
            match after.find('/') {
                Some(j) => after[j..].to_string(),
                None => "/".to_string(),
            }
        }
        None => target.to_string(),
    }
}

pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A relaying CONNECT proxy: what it was asked to open, and every byte it carried from
/// the client to the origin.
#[derive(Clone, Default)]
pub struct Relay {
    pub connects: Arc<Mutex<Vec<String>>>,
    pub upstream: Arc<Mutex<Vec<u8>>>,
}

/// Starts a CONNECT proxy on `host:port` of the mock network that, unlike
/// [`tunnel_handler`], opens a real connection to the requested `host:port` and relays
/// bytes both ways (so TLS inside the tunnel runs end to end with the origin).
pub fn serve_connect_relay(sim: &Sim, host: &str, port: u16) -> Relay {
    let net: MockNet = sim.net();
    let addr = SocketAddr::new(net.address_of(host), port);
    let mut listener = net.bind(Addr::Tcp(addr)).expect("bind");
    let relay = Relay::default();
    let r = relay.clone();
    let spawner = sim.clone();
    let rt = sim.runtime();
    sim.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            spawner.spawn(relay_conn(rt.clone(), stream, r.clone()));
        }
    });
    relay
}

async fn relay_conn(rt: Runtime, mut client: MockStream, relay: Relay) {
    use futures_util::io::AsyncReadExt;
    let limits = Limits::default();
    let mut buf = BytesMut::with_capacity(1024);
    let parsed = loop {
        match h1::parse_request(&buf, &limits) {
            Ok(Some(p)) => break p,
            Ok(None) => match h1::io::read_buf(&mut client, &mut buf, 1024).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            Err(_) => return,
        }
    };
    let target = parsed
        .head
        .extensions()
        .get::<h1::RawTarget>()
        .map(|t| t.0.clone())
        .unwrap_or_else(|| parsed.head.uri().to_string());
    relay.connects.lock().unwrap().push(target.clone());
    let _ = buf.split_to(parsed.head_len);
    let origin = match target.rsplit_once(':') {
        Some((h, p)) if parsed.head.method() == Method::CONNECT => {
            let ctx = cohttp_core::runtime::Ctx::new();
            match rt.resolve(&ctx, h, p.parse().unwrap_or(0)).await {
                Ok(endpoint) => rt.connect(&ctx, &endpoint).await.ok(),
                Err(_) => None,
            }
        }
        _ => None,
    };
    let Some(mut origin) = origin else {
        let _ = h1::io::write_all(
            &mut client,
            b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n",
        )
        .await;
        return;
    };
    if h1::io::write_all(&mut client, b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    relay.upstream.lock().unwrap().extend_from_slice(&buf);
    if !buf.is_empty() && h1::io::write_all(&mut origin, &buf).await.is_err() {
        return;
    }
    let (client_r, client_w) = client.split();
    let (origin_r, origin_w) = origin.split();
    let up = pump(client_r, origin_w, Some(relay.upstream.clone()));
    let down = pump(origin_r, client_w, None);
    futures_util::future::join(up, down).await;
}

/// Copies `from` to `to` until end of stream or an error, then half-closes `to`.
async fn pump(
    mut from: impl futures_util::io::AsyncRead + Unpin,
    mut to: impl futures_util::io::AsyncWrite + Unpin,
    record: Option<Arc<Mutex<Vec<u8>>>>,
) {
    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(r) = &record {
            r.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
        if to.write_all(&chunk[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.close().await;
}
