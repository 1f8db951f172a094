//! The `client_connection` target: a pipelined `client::Connection` on `cohttp-mock`
//! whose peer answers with arbitrary bytes.
//!
//! Input layout: byte 0 — the number of requests (`1 + b % 8`); byte 1 — the
//! persistence the connection is configured with (`b % 3`: unknown, `true`, `false`)
//! and, in its high bits, the executor seed; bytes 2–3 — each request's method, two bits
//! each (GET, HEAD, POST with a 5-byte body, DELETE); byte 4 — the size of the pieces
//! the peer writes (`1 + b`, a virtual millisecond apart); the rest — the bytes the peer
//! writes before closing its side. The peer reads and discards whatever the client sends.
//!
//! Invariants:
//!
//! - no panic, no deadlock, and everything done within bounded virtual time (the run
//!   is wrapped in a 10-minute virtual timeout);
//! - every `call` resolves, with a response or a typed error; response bodies end (data
//!   then end of stream, or an error) and hold no more bytes than the peer wrote;
//! - in order: when call `i` gets a response, it is the `i`-th final response on the
//!   wire — the one a reference reading of the same bytes with `h1` (skipping interim
//!   1xx, framing each body by the method of its request) puts in place `i` — with that
//!   status, and its body, when read to the end, holds exactly that response's body
//!   bytes (or fails where that body is cut short);
//! - the `finalise` hook runs exactly once;
//! - once the handle is dropped, no task is left running.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use cohttp_core::client::{Connection, ConnectionConfig};
use cohttp_core::h1::{parse_response, response_body_length, BodyLength, Decoded, Decoder, Limits};
use cohttp_core::Body;
use cohttp_mock::{duplex, Faults, Sim};
use futures_util::{AsyncReadExt, AsyncWriteExt, StreamExt};
use http::{Method, Request, StatusCode};

/// Bound on the virtual time of one run.
const RUN_BOUND: Duration = Duration::from_secs(600);

/// Fuzz target `client_connection`: see the module docs.
pub fn client_connection(input: &[u8]) {
    if input.len() < 5 {
        return;
    }
    let n = 1 + (input[0] % 8) as usize;
    let persistent = match input[1] % 3 {
        0 => None,
        1 => Some(true),
        _ => Some(false),
    };
    let seed = u64::from(input[1] / 3);
    let methods = u16::from_le_bytes([input[2], input[3]]);
    let piece = 1 + input[4] as usize;
    let wire = input[5..].to_vec();
    let wire_len = wire.len();

    let sim = Sim::new(seed);
    let rt = sim.runtime();
    let finalised = Arc::new(AtomicUsize::new(0));
    let config = ConnectionConfig::new().persistent(persistent).finalise({
        let finalised = finalised.clone();
        move |_| {
            finalised.fetch_add(1, Ordering::SeqCst);
        }
    });
    let (client, server) = duplex(&sim, Faults::none());

    // The peer: discard what the client writes; write `wire` in pieces, then close.
    let (mut peer_rd, mut peer_wr) = server.split();
    sim.spawn(async move {
        let mut sink = [0u8; 4096];
        while let Ok(n) = peer_rd.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    });
    let peer_rt = rt.clone();
    sim.spawn(async move {
        for chunk in wire.chunks(piece) {
            if peer_wr.write_all(chunk).await.is_err() || peer_wr.flush().await.is_err() {
                return;
            }
            peer_rt.sleep(Duration::from_millis(1)).await;
        }
        let _ = peer_wr.close().await;
    });

    let conn = Connection::from_transport(&rt, Box::new(client), config);
    let methods: Vec<Method> = (0..n)
        .map(|i| match (methods >> (2 * i)) & 3 {
            0 => Method::GET,
            1 => Method::HEAD,
            2 => Method::POST,
            _ => Method::DELETE,
        })
        .collect();
    let expected = reference_responses(&input[5..], &methods);
    // What each call got: `None` for an error, else the status and the body (`Err` when
    // reading it failed).
    let results: Arc<Mutex<Vec<Option<Answer>>>> = Arc::new(Mutex::new(vec![None; n]));
    let resolved = Arc::new(AtomicUsize::new(0));
    let mut calls = Vec::new();
    for (i, method) in methods.iter().enumerate() {
        let body = if method == Method::POST {
            Body::from_bytes(&b"hello"[..])
        } else {
            Body::empty()
        };
        let req = Request::builder()
            .method(method.clone())
            .uri(format!("http://fuzz.test/{i}"))
            .body(body)
            .expect("a valid request");
        let call = conn.call(req);
        let results = results.clone();
        let resolved = resolved.clone();
        calls.push(sim.spawn(async move {
            let res = call.await;
            resolved.fetch_add(1, Ordering::SeqCst);
            if let Ok(res) = res {
                let status = res.status();
                let mut body = res.into_body();
                let mut bytes = Ok(Vec::new());
                while let Some(chunk) = body.next().await {
                    match (chunk, &mut bytes) {
                        (Ok(c), Ok(b)) => b.extend_from_slice(&c),
                        _ => {
                            bytes = Err(());
                            break;
                        }
                    }
                }
                results.lock().expect("lock")[i] = Some(Answer {
                    status,
                    body: bytes,
                });
            }
        }));
    }

    let all = async {
        for c in calls {
            c.await;
        }
    };
    if sim.block_on(rt.timeout(RUN_BOUND, all)).is_err() {
        panic!("calls still unresolved after {RUN_BOUND:?} of virtual time");
    }
    assert_eq!(
        resolved.load(Ordering::SeqCst),
        n,
        "not every call resolved"
    );
    let results = results.lock().expect("lock").clone();
    let mut read = 0;
    for (i, got) in results.iter().enumerate() {
        let Some(got) = got else { continue };
        let Some(want) = expected.get(i) else {
            panic!(
                "call {i} got {got:?}, but the wire holds only {} responses",
                expected.len()
            );
        };
        assert_eq!(got.status, want.status, "call {i}: status");
        match (&got.body, &want.body) {
            (Ok(g), Ok(w)) => assert_eq!(g, w, "call {i}: body"),
            (Ok(g), Err(())) => panic!("call {i}: a body cut short was read as complete: {g:?}"),
            // A body that failed on the wire, or was cut by the connection failing.
            (Err(()), _) => {}
        }
        read += got.body.as_ref().map_or(0, Vec::len);
    }
    assert!(
        read <= wire_len,
        "response bodies held {read} bytes, the peer wrote {wire_len}"
    );

    drop(conn);
    sim.run_until_idle();
    // Let any drain or linger timer of the connection fire.
    sim.advance(RUN_BOUND);
    assert_eq!(
        sim.live_tasks(),
        0,
        "tasks still running after the connection was dropped"
    );
    assert_eq!(
        finalised.load(Ordering::SeqCst),
        1,
        "the finalise hook ran a wrong number of times"
    );
}

/// A final response as a call saw it, or as the reference reading expects it.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: StatusCode,
    /// The body bytes; `Err` when the body fails (cut short, bad framing).
    body: Result<Vec<u8>, ()>,
}

/// The final responses the wire holds, in order, for requests of these methods: read
/// with `h1` alone, skipping interim 1xx, stopping at the first response after which
/// the connection cannot go on (an error, a body cut short, a `101`, a close-delimited
/// body, or no keep-alive).
fn reference_responses(wire: &[u8], methods: &[Method]) -> Vec<Answer> {
    let limits = Limits::default();
    let mut buf = BytesMut::from(wire);
    let mut out = Vec::new();
    for method in methods {
        let parsed = loop {
            match parse_response(&buf, &limits) {
                Ok(Some(p)) => {
                    let _ = buf.split_to(p.head_len);
                    let status = p.head.status();
                    if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
                        continue;
                    }
                    break p;
                }
                Ok(None) | Err(_) => return out,
            }
        };
        let status = parsed.head.status();
        if status == StatusCode::SWITCHING_PROTOCOLS {
            out.push(Answer {
                status,
                body: Ok(buf.to_vec()),
            });
            return out;
        }
        let Ok(length) = response_body_length(method, &parsed.head) else {
            return out;
        };
        let mut decoder = Decoder::new(length, &limits);
        let mut body = Vec::new();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Decoded::Data(d)) => body.extend_from_slice(&d),
                Ok(Decoded::Done) => break,
                Ok(Decoded::NeedMore) => {
                    let end = decoder.decode_eof().map(|()| body);
                    out.push(Answer {
                        status,
                        body: end.map_err(|_| ()),
                    });
                    return out;
                }
                Err(_) => {
                    out.push(Answer {
                        status,
                        body: Err(()),
                    });
                    return out;
                }
            }
        }
        out.push(Answer {
            status,
            body: Ok(body),
        });
        if !parsed.keep_alive || length == BodyLength::CloseDelimited {
            return out;
        }
    }
    out
}
