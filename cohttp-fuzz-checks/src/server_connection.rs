//! The `server_connection` target: one server connection (`server::serve_connection`)
//! on `cohttp-mock`, fed arbitrary bytes in arbitrary pieces.
//!
//! Input layout: byte 0 — the handler's answer to each request, two bits per request
//! (cycled every four): `0` a short `200`, ignoring the request body; `1` the request body
//! echoed (read to its end); `2` a handler error; `3` a streamed body of unknown length.
//! Byte 1 — the size of the pieces the client writes (`1 + b`, a virtual millisecond
//! apart) and, in its high bit, whether it half-closes after the last one (otherwise it
//! keeps its side open until the server has ended the connection, by its own timeouts). The rest —
//! the bytes the client writes. The client reads everything the server writes, to the end.
//!
//! Invariants:
//!
//! - no panic, and the connection ends (the server closes its side, `serve_connection`
//!   returns, `conn_closed` runs exactly once) within bounded virtual time;
//! - every byte the server writes parses, with `h1::parse_response` and `Decoder`, as a
//!   sequence of well-formed HTTP/1.1 responses (interim `100` allowed), each body framed
//!   for the method of the request it answers, with nothing left over (after a 2xx to
//!   CONNECT, which carries no framing fields, the rest is the tunnel's);
//! - at most one response more than handler calls (the error answer to a rejected
//!   request), never an unsolicited one;
//! - no handler call for a request the parser rejects: the requests the handler sees are,
//!   in order, a prefix of those a reference reading of the same bytes with
//!   `h1::parse_request` and `Decoder` accepts (stopping at the first rejected head, a
//!   body that fails, or a request that ends the connection);
//! - once the connection has ended, no task is left running.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use cohttp_core::h1::{
    parse_request, parse_response, response_body_length, BodyLength, Decoded, Decoder, Limits,
};
use cohttp_core::runtime::{Addr, BoxFuture};
use cohttp_core::server::{respond, respond_string, serve_connection, ConnInfo, Handler, Reply};
use cohttp_core::{Body, Error, ErrorKind, Result};
use cohttp_mock::{duplex, Faults, Sim};
use futures_util::{AsyncReadExt, AsyncWriteExt, StreamExt};
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, Method, Request, StatusCode, Version};

/// Bound on the virtual time of one run.
const RUN_BOUND: Duration = Duration::from_secs(600);

/// A request as the handler saw it (or as the reference reading expects it).
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: Method,
    uri: String,
    version: Version,
    headers: HeaderMap,
}

impl Seen {
    fn of(req: &Request<()>) -> Seen {
        Seen {
            method: req.method().clone(),
            uri: req.uri().to_string(),
            version: req.version(),
            headers: req.headers().clone(),
        }
    }
}

/// The fuzz handler: answers as the input's byte 0 says, records every call.
struct FuzzHandler {
    modes: u8,
    calls: Mutex<Vec<Seen>>,
    closed: AtomicUsize,
}

impl Handler for FuzzHandler {
    type Future = BoxFuture<'static, Result<Reply>>;

    fn call(&self, _conn: ConnInfo, request: Request<()>, body: Body) -> Self::Future {
        let mut calls = self.calls.lock().expect("lock");
        let mode = (self.modes >> (2 * (calls.len() % 4))) & 3;
        calls.push(Seen::of(&request));
        Box::pin(async move {
            match mode {
                0 => Ok(respond_string(StatusCode::OK, "ok").into()),
                1 => {
                    let mut body = body;
                    let mut echo = Vec::new();
                    while let Some(chunk) = body.next().await {
                        echo.extend_from_slice(&chunk?);
                    }
                    Ok(respond(StatusCode::OK, HeaderMap::new(), Bytes::from(echo)).into())
                }
                2 => Err(Error::new(ErrorKind::Handler).with_context("the fuzz handler fails")),
                _ => {
                    let chunks = [&b"stream"[..], b"ed"].map(|c| Ok::<_, Error>(Bytes::from(c)));
                    let body = Body::from_stream(futures_util::stream::iter(chunks));
                    Ok(respond(StatusCode::OK, HeaderMap::new(), body).into())
                }
            }
        })
    }

    fn conn_closed(&self, _conn: &ConnInfo) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

/// Fuzz target `server_connection`: see the module docs.
pub fn server_connection(input: &[u8]) {
    if input.len() < 2 {
        return;
    }
    let modes = input[0];
    let piece = 1 + (input[1] & 0x7f) as usize;
    let half_close = input[1] & 0x80 == 0;
    let wire = input[2..].to_vec();
    let expected = reference_requests(&wire);

    let sim = Sim::new(0);
    let rt = sim.runtime();
    let (client, server) = duplex(&sim, Faults::none());
    let handler = Arc::new(FuzzHandler {
        modes,
        calls: Mutex::new(Vec::new()),
        closed: AtomicUsize::new(0),
    });
    let info = ConnInfo::new(1, Addr::Named("fuzz-client".into()), None);
    let config = Arc::new(cohttp_core::server::ServerConfig::default());
    let served = sim.spawn(serve_connection(
        rt.clone(),
        Box::new(server),
        info,
        handler.clone(),
        config,
    ));

    let (mut rd, mut wr) = client.split();
    let writer_rt = rt.clone();
    let (stop_writer, stop) = futures_util::future::AbortHandle::new_pair();
    let writer = sim.spawn(async move {
        for chunk in wire.chunks(piece) {
            if wr.write_all(chunk).await.is_err() || wr.flush().await.is_err() {
                return;
            }
            writer_rt.sleep(Duration::from_millis(1)).await;
        }
        if half_close {
            let _ = wr.close().await;
        } else {
            // Keep the write side open until the server is done with the connection.
            let open = futures_util::future::Abortable::new(std::future::pending::<()>(), stop);
            let _ = open.await;
        }
    });
    let reader = sim.spawn(async move {
        let mut out = Vec::new();
        let _ = rd.read_to_end(&mut out).await;
        out
    });
    let run = async {
        served.await;
        stop_writer.abort();
        writer.await;
        reader.await
    };
    let output = match sim.block_on(rt.timeout(RUN_BOUND, run)) {
        Ok(output) => output,
        Err(_) => panic!("the server connection still runs after {RUN_BOUND:?} of virtual time"),
    };

    let calls = handler.calls.lock().expect("lock").clone();
    for (i, seen) in calls.iter().enumerate() {
        match expected.get(i) {
            Some(want) => assert_eq!(seen, want, "handler call {i} differs from the parser's request"),
            None => panic!(
                "handler call {i} ({seen:?}) for a request the parser does not accept; it accepts {}",
                expected.len()
            ),
        }
    }
    let finals = check_responses(&output, &calls);
    assert!(
        finals <= calls.len() + 1,
        "{finals} responses for {} handler calls",
        calls.len()
    );
    assert_eq!(
        handler.closed.load(Ordering::SeqCst),
        1,
        "conn_closed ran a wrong number of times"
    );
    sim.run_until_idle();
    sim.advance(RUN_BOUND);
    assert_eq!(
        sim.live_tasks(),
        0,
        "tasks still running after the connection ended"
    );
}

/// The requests a reference reading of `wire` accepts, in order (see the module docs).
fn reference_requests(wire: &[u8]) -> Vec<Seen> {
    let limits = Limits::default();
    let mut buf = BytesMut::from(wire);
    let mut out = Vec::new();
    loop {
        let parsed = match parse_request(&buf, &limits) {
            Ok(Some(p)) => p,
            Ok(None) | Err(_) => return out,
        };
        let _ = buf.split_to(parsed.head_len);
        out.push(Seen::of(&parsed.head));
        if !parsed.keep_alive {
            return out;
        }
        let mut decoder = Decoder::new(parsed.body, &limits);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Decoded::Data(_)) => {}
                Ok(Decoded::Done) => break,
                Ok(Decoded::NeedMore) | Err(_) => return out,
            }
        }
    }
}

/// Reads `output` as a sequence of responses to `calls` (then one error response);
/// panics unless every byte belongs to a well-formed response. Returns how many final
/// responses there were.
fn check_responses(output: &[u8], calls: &[Seen]) -> usize {
    let limits = Limits::default();
    let mut buf = BytesMut::from(output);
    let mut finals = 0;
    let show = || String::from_utf8_lossy(output).into_owned();
    while !buf.is_empty() {
        let parsed = match parse_response(&buf, &limits) {
            Ok(Some(p)) => p,
            Ok(None) => panic!("the server wrote an incomplete response head:\n{}", show()),
            Err(e) => panic!(
                "the server wrote a malformed response head ({e}):\n{}",
                show()
            ),
        };
        let _ = buf.split_to(parsed.head_len);
        assert_eq!(parsed.head.version(), Version::HTTP_11, "response version");
        let status = parsed.head.status();
        if status == StatusCode::CONTINUE {
            continue;
        }
        let method = calls.get(finals).map_or(Method::GET, |c| c.method.clone());
        finals += 1;
        if method == Method::CONNECT && status.is_success() {
            // A tunnel (RFC 9110 §9.3.6): no framing fields, the rest is raw.
            let h = parsed.head.headers();
            assert!(
                !h.contains_key(CONTENT_LENGTH) && !h.contains_key(TRANSFER_ENCODING),
                "a 2xx to CONNECT with framing fields:\n{}",
                show()
            );
            return finals;
        }
        let length = response_body_length(&method, &parsed.head)
            .unwrap_or_else(|e| panic!("response {finals} has no body length ({e}):\n{}", show()));
        let mut decoder = Decoder::new(length, &limits);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Decoded::Data(_)) => {}
                Ok(Decoded::Done) => break,
                Ok(Decoded::NeedMore) => {
                    assert_eq!(
                        length,
                        BodyLength::CloseDelimited,
                        "response {finals}'s body is cut short:\n{}",
                        show()
                    );
                    return finals;
                }
                Err(e) => panic!("response {finals}'s body is malformed ({e}):\n{}", show()),
            }
        }
    }
    finals
}
