//! Test support for the client tests: a hand-written HTTP/1.1 server over raw mock streams.
//!
//! `start_server` listens on a mock name and answers each request with whatever the handler
//! returns: raw bytes (so tests can script exact wire bytes, pipelined or malformed) or a
//! closed connection. `kv_handler` is a small key-value store on top of it. The real server
//! of the project is built elsewhere; these tests do not depend on it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use cohttp_core::h1::{self, Decoded, Decoder, Limits};
use cohttp_core::runtime::{Addr, BoxTransport};
use cohttp_core::Runtime;
use futures_util::io::AsyncWriteExt;
use futures_util::{AsyncReadExt, FutureExt};
use http::{HeaderMap, Method, StatusCode, Version};

/// A request as the test server saw it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub target: String,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub keep_alive: bool,
    /// Index of this request on its connection (0 = first).
    pub index: usize,
    /// Connection number on this server (0 = first accepted).
    pub conn: usize,
    /// Bytes of later requests already received when this one was answered (after the
    /// server's answer delay): non-zero means the client pipelined behind it.
    pub buffered_behind: usize,
}

/// What the server does with a request.
pub enum Reply {
    /// Write these bytes (then close if the request or the bytes ask for it).
    Raw(Vec<u8>),
    /// Write these bytes, then close the connection.
    RawThenClose(Vec<u8>),
    /// Close the connection without answering.
    Close,
    /// Write these bytes, then neither read nor write again (a stalled peer).
    RawThenStall(Vec<u8>),
    /// Write nothing for this request (an earlier reply already answered it).
    Nothing,
}

pub type Handler = Arc<Mutex<dyn FnMut(&Req) -> Reply + Send>>;

pub fn handler(f: impl FnMut(&Req) -> Reply + Send + 'static) -> Handler {
    Arc::new(Mutex::new(f))
}

/// A response's bytes: status, headers (`Content-Length` added), body.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    response_version(Version::HTTP_11, status, headers, body)
}

pub fn response_version(
    version: Version,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let bodiless = status < 200 || status == 204 || status == 304;
    if !bodiless
        && !map.contains_key(http::header::CONTENT_LENGTH)
        && !map.contains_key(http::header::TRANSFER_ENCODING)
    {
        map.insert(http::header::CONTENT_LENGTH, body.len().into());
    }
    let mut out = Vec::new();
    h1::write_response_head(
        StatusCode::from_u16(status).unwrap(),
        version,
        &map,
        &mut out,
    )
    .unwrap();
    out.extend_from_slice(body);
    out
}

/// A chunked response with exactly these chunks (empty ones skipped, as on the wire).
pub fn chunked_response(status: u16, chunks: &[&[u8]]) -> Vec<u8> {
    let mut out = response(status, &[("transfer-encoding", "chunked")], b"");
    let mut enc = h1::Encoder::for_length(cohttp_core::body::TransferEncoding::Chunked);
    for c in chunks {
        enc.encode(c, &mut out).unwrap();
    }
    enc.finish(None, &mut out).unwrap();
    out
}

/// Options of the test server.
#[derive(Clone, Default)]
pub struct Options {
    /// Virtual delay before answering each request.
    pub delay: Option<Duration>,
}

/// A persistent client connection to the server `start_server` runs as `"app"`.
pub fn persistent_app_connection(rt: &Runtime) -> cohttp_core::client::Connection {
    cohttp_core::client::Connection::create(
        rt,
        cohttp_core::runtime::Endpoint::Named("app".into()),
        cohttp_core::client::ConnectionConfig::new().persistent(Some(true)),
    )
}

/// Listens on `name` and serves every connection with `handler`.
pub async fn start_server(rt: &Runtime, name: &str, handler: Handler, options: Options) {
    let mut listener = rt.listen(Addr::Named(name.into())).await.unwrap();
    let rt2 = rt.clone();
    rt.spawn(async move {
        let mut conn = 0;
        while let Ok((stream, _)) = listener.accept().await {
            rt2.spawn(serve_conn(
                rt2.clone(),
                stream,
                handler.clone(),
                options.clone(),
                conn,
            ));
            conn += 1;
        }
    });
}

async fn serve_conn(
    rt: Runtime,
    stream: BoxTransport,
    handler: Handler,
    options: Options,
    conn: usize,
) {
    let (mut rd, mut wr) = stream.split();
    let mut buf = BytesMut::new();
    let limits = Limits::default();
    let mut index = 0;
    loop {
        let parsed = loop {
            if !buf.is_empty() {
                match h1::parse_request(&buf, &limits) {
                    Ok(Some(p)) => break p,
                    Ok(None) => {}
                    Err(_) => return,
                }
            }
            match h1::io::read_buf(&mut rd, &mut buf, 4096).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        buf.advance(parsed.head_len);
        let mut decoder = Decoder::new(parsed.body, &limits);
        let mut body = BytesMut::new();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Decoded::Data(d)) => body.extend_from_slice(&d),
                Ok(Decoded::Done) => break,
                Ok(Decoded::NeedMore) => match h1::io::read_buf(&mut rd, &mut buf, 4096).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                Err(_) => return,
            }
        }
        if let Some(d) = options.delay {
            rt.sleep(d).await;
        }
        // Take in whatever the client already sent behind this request.
        while let Some(r) = h1::io::read_buf(&mut rd, &mut buf, 4096).now_or_never() {
            match r {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
        let (head, ()) = parsed.head.into_parts();
        let req = Req {
            method: head.method,
            target: head.uri.to_string(),
            version: head.version,
            headers: head.headers,
            body: body.freeze(),
            keep_alive: parsed.keep_alive,
            index,
            conn,
            buffered_behind: buf.len(),
        };
        index += 1;
        let reply = (handler.lock().unwrap())(&req);
        match reply {
            Reply::Raw(bytes) => {
                if wr.write_all(&bytes).await.is_err() || wr.flush().await.is_err() {
                    return;
                }
                let closes = !req.keep_alive
                    || h1::parse_response(&bytes, &limits)
                        .ok()
                        .flatten()
                        .is_some_and(|p| !p.keep_alive);
                if closes {
                    return;
                }
            }
            Reply::RawThenClose(bytes) => {
                let _ = wr.write_all(&bytes).await;
                let _ = wr.flush().await;
                return;
            }
            Reply::Close => return,
            Reply::RawThenStall(bytes) => {
                let _ = wr.write_all(&bytes).await;
                let _ = wr.flush().await;
                futures_util::future::pending::<()>().await;
            }
            Reply::Nothing => {}
        }
    }
}

pub type Store = Arc<Mutex<HashMap<String, Bytes>>>;

/// A key-value store over HTTP: PUT stores (201 replaced, 204 new), GET returns or 404, HEAD
/// tells presence, DELETE removes (204) or 404. `http10`: answers as an HTTP/1.0 server
/// that closes after each response.
pub fn kv_handler(store: Store, http10: bool) -> Handler {
    handler(move |req: &Req| {
        let version = if http10 {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        let mut store = store.lock().unwrap();
        let key = req.target.clone();
        let (status, body): (u16, Bytes) = match req.method {
            Method::PUT => match store.insert(key, req.body.clone()) {
                Some(_) => (201, Bytes::new()),
                None => (204, Bytes::new()),
            },
            Method::GET => match store.get(&key) {
                Some(v) => (200, v.clone()),
                None => (404, Bytes::from_static(b"not found")),
            },
            Method::HEAD => match store.get(&key) {
                Some(v) => {
                    let len = v.len().to_string();
                    return Reply::Raw(response_version(
                        version,
                        200,
                        &[("content-length", &len)],
                        b"",
                    ));
                }
                None => (404, Bytes::new()),
            },
            Method::DELETE => match store.remove(&key) {
                Some(_) => (204, Bytes::new()),
                None => (404, Bytes::new()),
            },
            _ => (405, Bytes::new()),
        };
        let body: &[u8] = if req.method == Method::HEAD {
            b""
        } else {
            &body
        };
        Reply::Raw(response_version(version, status, &[], body))
    })
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
