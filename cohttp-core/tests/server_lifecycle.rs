//! Connection lifetimes: header and idle timeouts (slowloris on virtual time), the
//! connection limit, graceful shutdown, `conn_closed` exactly once, request bodies that
//! outlive their request, and no hang or panic under random faults.

mod server_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cohttp_core::runtime::{Ctx, Endpoint};
use cohttp_core::server::{respond_string, ConnInfo, Handler, Reply, ServerConfig};
use cohttp_core::{Body, Error, ErrorKind, Result};
use cohttp_mock::{Faults, Sim};
use futures_util::future::BoxFuture;
use futures_util::{AsyncReadExt, AsyncWriteExt, FutureExt};
use http::{Method, Request, StatusCode};
use server_support::*;

/// A handler type (not a closure) that records `conn_closed` calls and can sleep.
#[derive(Clone)]
struct Recorder {
    rt: cohttp_core::Runtime,
    closed: Arc<Mutex<Vec<u64>>>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn new(sim: &Sim) -> Recorder {
        Recorder {
            rt: sim.runtime(),
            closed: Arc::default(),
            calls: Arc::default(),
        }
    }
}

impl Handler for Recorder {
    type Future = BoxFuture<'static, Result<Reply>>;

    fn call(&self, _conn: ConnInfo, req: Request<()>, body: Body) -> Self::Future {
        let rt = self.rt.clone();
        let path = req.uri().path().to_string();
        self.calls.lock().unwrap().push(path.clone());
        async move {
            body.drain().await?;
            if let Some(secs) = path.strip_prefix("/sleep/") {
                let secs: u64 = secs.parse().unwrap_or(1);
                rt.sleep(Duration::from_secs(secs)).await;
            }
            Ok(respond_string(StatusCode::OK, path).into())
        }
        .boxed()
    }

    fn conn_closed(&self, conn: &ConnInfo) {
        self.closed.lock().unwrap().push(conn.id());
    }
}

#[test]
fn slowloris_is_cut_off_at_the_header_timeout_while_another_client_is_served() {
    let sim = Sim::new(1);
    let server = TestServer::start(&sim, "slow", app(), config());
    let rt = sim.runtime();
    // One header byte per second, for far longer than the 10 s header timeout.
    let slow = sim.block_on(server.connect());
    let (mut slow_r, mut slow_w) = slow.split();
    let writer = {
        let rt = rt.clone();
        sim.spawn(async move {
            let head = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: {}", "a".repeat(100));
            for b in head.bytes() {
                if slow_w.write_all(&[b]).await.is_err() {
                    return;
                }
                rt.sleep(Duration::from_secs(1)).await;
            }
        })
    };
    let (fast_at, fast) = sim.block_on(async {
        rt.sleep(Duration::from_secs(3)).await;
        let mut io = server.connect().await;
        send(&mut io, b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut reader = Reader::new();
        let r = reader.response(&mut io, &Method::GET).await.unwrap();
        (sim.elapsed(), r.body)
    });
    assert_eq!(fast, "GET /fast");
    assert_eq!(fast_at, Duration::from_secs(3));
    let (cut_at, got) = sim.block_on(async {
        let mut got = Vec::new();
        slow_r.read_to_end(&mut got).await.unwrap();
        (sim.elapsed(), String::from_utf8(got).unwrap())
    });
    assert_eq!(cut_at, Duration::from_secs(10));
    assert_eq!(
        got,
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 15\r\nconnection: close\r\n\
         date: Thu, 01 Jan 1970 00:00:10 GMT\r\n\r\nRequest Timeout"
    );
    sim.block_on(writer);
}

#[test]
fn silent_connection_is_closed_without_a_word_at_the_header_timeout() {
    let sim = Sim::new(2);
    let server = TestServer::start(&sim, "silent", app(), config());
    let (at, got) = sim.block_on(async {
        let mut io = server.connect().await;
        let got = read_to_end(&mut io).await;
        (sim.elapsed(), got)
    });
    assert_eq!(at, Duration::from_secs(10));
    assert_eq!(got, "");
}

#[test]
fn idle_keep_alive_connection_closes_after_the_idle_timeout() {
    let sim = Sim::new(3);
    let server = TestServer::start(
        &sim,
        "idle",
        app(),
        config().keep_alive_timeout(Duration::from_secs(5)),
    );
    let rt = sim.runtime();
    let (at, got) = sim.block_on(async {
        rt.sleep(Duration::from_secs(1)).await;
        let mut io = server.connect().await;
        send(&mut io, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let got = read_to_end(&mut io).await;
        (sim.elapsed(), got)
    });
    assert_eq!(at, Duration::from_secs(6));
    assert_eq!(
        got,
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 6\r\ndate: Thu, 01 Jan 1970 00:00:01 GMT\r\n\r\nGET /a"
    );
}

#[test]
fn empty_lines_after_a_request_leave_the_connection_idle_not_timed_out_as_a_head() {
    // RFC 9112 §2.2: empty lines before a request line are ignored. A stray CRLF after a
    // request (some clients send one after a body) begins no request: the connection
    // stays idle and closes silently at the keep-alive timeout, not with a 408 at the
    // header timeout (10 s).
    let sim = Sim::new(6);
    let server = TestServer::start(
        &sim,
        "crlf-idle",
        app(),
        config().keep_alive_timeout(Duration::from_secs(30)),
    );
    let (at, got) = sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\r\n").await;
        let got = read_to_end(&mut io).await;
        (sim.elapsed(), got)
    });
    assert_eq!(at, Duration::from_secs(30));
    assert_eq!(
        got,
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 6\r\ndate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\nGET /a"
    );
    // Empty lines sent while idle do not extend the keep-alive timeout either.
    let rt = sim.runtime();
    let (at, got) = sim.block_on(async {
        let start = sim.elapsed();
        let mut io = server.connect().await;
        send(&mut io, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut reader = Reader::new();
        reader.response(&mut io, &Method::GET).await.unwrap();
        for _ in 0..2 {
            rt.sleep(Duration::from_secs(12)).await;
            send(&mut io, b"\r\n").await;
        }
        let got = read_to_end(&mut io).await;
        (sim.elapsed() - start, got)
    });
    assert_eq!(at, Duration::from_secs(30));
    assert_eq!(got, "");
    // A request after the empty lines is read as usual.
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut reader = Reader::new();
        reader.response(&mut io, &Method::GET).await.unwrap();
        send(&mut io, b"\r\n\r\n").await;
        send(&mut io, b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n").await;
        reader.response(&mut io, &Method::GET).await.unwrap().body
    });
    assert_eq!(got, "GET /b");
}

#[test]
fn idle_timeout_counts_from_the_last_request_not_the_first() {
    // The connection's timer is moved lazily (a later deadline waits for the earlier
    // one to fire): each request must still give a full idle timeout from its answer.
    let sim = Sim::new(5);
    let server = TestServer::start(
        &sim,
        "idle-again",
        app(),
        config().keep_alive_timeout(Duration::from_secs(5)),
    );
    let rt = sim.runtime();
    let (at, got) = sim.block_on(async {
        let mut io = server.connect().await;
        let mut reader = Reader::new();
        let mut got = Vec::new();
        for i in 0..3 {
            if i > 0 {
                rt.sleep(Duration::from_secs(4)).await;
            }
            send(&mut io, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").await;
            let r = reader.response(&mut io, &Method::GET).await.unwrap();
            got.push(r.status);
        }
        assert!(reader.closed(&mut io).await);
        (sim.elapsed(), got)
    });
    // Requests at 0, 4 and 8 s: the last idle period ends at 13 s.
    assert_eq!(at, Duration::from_secs(13));
    assert_eq!(got, vec![StatusCode::OK; 3]);
}

#[test]
fn stalled_request_body_fails_the_read_after_the_body_timeout() {
    let sim = Sim::new(4);
    let server = TestServer::start(
        &sim,
        "stall",
        app(),
        config().body_read_timeout(Duration::from_secs(7)),
    );
    let (at, got) = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
        )
        .await;
        let mut reader = Reader::new();
        let r = reader.response(&mut io, &Method::POST).await.unwrap();
        let at = sim.elapsed();
        assert!(reader.closed(&mut io).await);
        (at, r)
    });
    assert_eq!(at, Duration::from_secs(7));
    assert_eq!(got.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(got.headers["connection"], "close");
}

#[test]
fn connection_limit_evicts_a_silent_new_connection_first_then_the_longest_idle_kept_one() {
    let sim = Sim::new(5);
    let recorder = Recorder::new(&sim);
    let calls = recorder.calls.clone();
    let server = TestServer::start(&sim, "limit", recorder, config().max_connections(2));
    let rt = sim.runtime();
    sim.block_on(async {
        // `a` is kept alive after one request, idle since 0 s.
        let mut a = server.connect().await;
        send(&mut a, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut ra = Reader::new();
        assert_eq!(ra.response(&mut a, &Method::GET).await.unwrap().body, "/a");
        // `b` connects at 1 s and sends nothing.
        rt.sleep(Duration::from_secs(1)).await;
        let mut b = server.connect().await;
        // `c` at 2 s: the limit is reached; `b`, new and silent, makes room before `a`,
        // idle for longer but a proven client.
        rt.sleep(Duration::from_secs(1)).await;
        let mut c = server.connect().await;
        send(&mut c, b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut rc = Reader::new();
        assert_eq!(rc.response(&mut c, &Method::GET).await.unwrap().body, "/c");
        assert_eq!(sim.elapsed(), Duration::from_secs(2), "c waited");
        assert_eq!(read_to_end(&mut b).await, "", "b was not evicted");
        assert_eq!(sim.elapsed(), Duration::from_secs(2));
        // `d` at 3 s: no silent connection left; `a` (idle since 0 s) goes before `c`
        // (idle since 2 s).
        rt.sleep(Duration::from_secs(1)).await;
        let mut d = server.connect().await;
        send(&mut d, b"GET /d HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut rd = Reader::new();
        assert_eq!(rd.response(&mut d, &Method::GET).await.unwrap().body, "/d");
        assert!(ra.closed(&mut a).await, "a was not evicted");
        assert_eq!(sim.elapsed(), Duration::from_secs(3));
        // `c` is still served.
        send(&mut c, b"GET /c2 HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert_eq!(rc.response(&mut c, &Method::GET).await.unwrap().body, "/c2");
    });
    assert_eq!(*calls.lock().unwrap(), vec!["/a", "/c", "/d", "/c2"]);
}

#[test]
fn connection_limit_evicts_a_silent_new_connection_for_a_new_one() {
    let sim = Sim::new(12);
    let server = TestServer::start(&sim, "silent", app(), config().max_connections(1));
    let rt = sim.runtime();
    sim.block_on(async {
        // A flooder: connects, sends nothing.
        let mut flooder = server.connect().await;
        rt.sleep(Duration::from_millis(100)).await;
        let mut good = server.connect().await;
        send(&mut good, b"GET /good HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut r = Reader::new();
        assert_eq!(
            r.response(&mut good, &Method::GET).await.unwrap().body,
            "GET /good"
        );
        // Served at once, not after the flooder's 10 s header timeout.
        assert_eq!(sim.elapsed(), Duration::from_millis(100));
        assert_eq!(read_to_end(&mut flooder).await, "");
    });
}

#[test]
fn connection_limit_holds_further_peers_while_every_connection_is_busy() {
    let sim = Sim::new(13);
    let recorder = Recorder::new(&sim);
    let server = TestServer::start(&sim, "busy", recorder, config().max_connections(1));
    let rt = sim.runtime();
    sim.block_on(async {
        let mut a = server.connect().await;
        send(&mut a, b"GET /sleep/5 HTTP/1.1\r\nHost: x\r\n\r\n").await;
        rt.sleep(Duration::from_secs(1)).await;
        let mut b = server.connect().await;
        send(&mut b, b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut rb = Reader::new();
        // `a` is in the middle of a request: `b` waits in the backlog...
        let waited = rt
            .timeout(Duration::from_secs(3), rb.response(&mut b, &Method::GET))
            .await;
        assert!(waited.is_err(), "b was served while a was busy");
        let mut ra = Reader::new();
        assert_eq!(
            ra.response(&mut a, &Method::GET).await.unwrap().body,
            "/sleep/5"
        );
        // ...until `a` answered and turned idle: then `a` makes room.
        assert_eq!(rb.response(&mut b, &Method::GET).await.unwrap().body, "/b");
        assert_eq!(sim.elapsed(), Duration::from_secs(5));
        assert!(ra.closed(&mut a).await);
    });
}

#[test]
fn connection_limit_never_evicts_a_connection_with_a_head_under_way() {
    let sim = Sim::new(14);
    let server = TestServer::start(
        &sim,
        "partial",
        app(),
        config()
            .max_connections(1)
            .header_read_timeout(Duration::from_secs(4)),
    );
    sim.block_on(async {
        let mut a = server.connect().await;
        send(&mut a, b"GET /a HTT").await;
        let mut b = server.connect().await;
        send(&mut b, b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut rb = Reader::new();
        assert_eq!(
            rb.response(&mut b, &Method::GET).await.unwrap().body,
            "GET /b"
        );
        // `b` waited for `a`'s head timeout (408 at 4 s) and its lingering close (2 s):
        // `a` was never evicted.
        assert_eq!(sim.elapsed(), Duration::from_secs(6));
        let mut ra = Reader::new();
        let got = ra.response(&mut a, &Method::GET).await.unwrap();
        assert_eq!(got.status, StatusCode::REQUEST_TIMEOUT);
    });
}

#[test]
fn graceful_shutdown_finishes_in_flight_requests_and_closes_idle_ones_at_once() {
    let sim = Sim::new(6);
    let recorder = Recorder::new(&sim);
    let closed = recorder.closed.clone();
    let mut server = TestServer::start(&sim, "grace", recorder, config());
    let rt = sim.runtime();
    let mut busy = sim.block_on(server.connect());
    let mut idle = sim.block_on(server.connect());
    sim.block_on(async {
        send(&mut idle, b"GET /idle HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut r = Reader::new();
        assert_eq!(
            r.response(&mut idle, &Method::GET).await.unwrap().body,
            "/idle"
        );
        send(&mut busy, b"GET /sleep/5 HTTP/1.1\r\nHost: x\r\n\r\n").await;
        rt.sleep(Duration::from_secs(1)).await;
    });
    server.stop();
    let (idle_closed_at, idle_rest) = sim.block_on(async {
        let rest = read_to_end(&mut idle).await;
        (sim.elapsed(), rest)
    });
    assert_eq!(idle_closed_at, Duration::from_secs(1));
    assert_eq!(idle_rest, "");
    // No new connection once stopped.
    let refused = sim.block_on(rt.connect(&Ctx::new(), &Endpoint::Named("grace".into())));
    assert!(refused.is_err());
    let (busy_at, busy_got) = sim.block_on(async {
        let got = read_to_end(&mut busy).await;
        // The client closes too, which ends the server's lingering close at once.
        drop(busy);
        (sim.elapsed(), got)
    });
    assert_eq!(busy_at, Duration::from_secs(5));
    assert_eq!(
        busy_got,
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 8\r\nconnection: close\r\n\
         date: Thu, 01 Jan 1970 00:00:05 GMT\r\n\r\n/sleep/5"
    );
    sim.block_on(server.stopped());
    assert_eq!(sim.elapsed(), Duration::from_secs(5));
    let mut ids = closed.lock().unwrap().clone();
    ids.sort();
    assert_eq!(ids, vec![1, 2]);
}

#[test]
fn graceful_shutdown_drops_what_outlives_the_deadline() {
    let sim = Sim::new(7);
    let recorder = Recorder::new(&sim);
    let closed = recorder.closed.clone();
    let mut server = TestServer::start(
        &sim,
        "deadline",
        recorder,
        config().graceful_timeout(Duration::from_secs(10)),
    );
    let mut io = sim.block_on(server.connect());
    sim.block_on(send(
        &mut io,
        b"GET /sleep/1000 HTTP/1.1\r\nHost: x\r\n\r\n",
    ));
    sim.run_until_idle();
    server.stop();
    let got = sim.block_on(read_to_end(&mut io));
    assert_eq!(got, "");
    assert_eq!(sim.elapsed(), Duration::from_secs(10));
    sim.block_on(server.stopped());
    assert_eq!(*closed.lock().unwrap(), vec![1]);
}

#[test]
fn conn_closed_runs_exactly_once_whatever_way_the_connection_ends() {
    let sim = Sim::new(8);
    let recorder = Recorder::new(&sim);
    let closed = recorder.closed.clone();
    // Connection 3 is reset by the peer in the middle of its request.
    sim.net().push_faults("once", Faults::none());
    sim.net().push_faults("once", Faults::none());
    sim.net()
        .push_faults("once", Faults::none().reset_to_server_after(20));
    let mut server = TestServer::start(&sim, "once", recorder, config());
    sim.block_on(async {
        // 1: a clean exchange, closed by the client.
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET /1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await;
        // 2: a malformed request.
        let mut io = server.connect().await;
        send(&mut io, b"BAD\r\n\r\n").await;
        read_to_end(&mut io).await;
        // 3: reset mid-request.
        let mut io = server.connect().await;
        let _ = io
            .write_all(b"POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
            .await;
        let mut sink = Vec::new();
        let _ = io.read_to_end(&mut sink).await;
        // 4: still open at the stop, idle.
        let mut io = server.connect().await;
        send(&mut io, b"GET /4 HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut r = Reader::new();
        r.response(&mut io, &Method::GET).await.unwrap();
        server.stop();
        server.stopped().await;
    });
    let mut ids = closed.lock().unwrap().clone();
    ids.sort();
    assert_eq!(ids, vec![1, 2, 3, 4]);
}

#[test]
fn request_body_kept_past_its_response_goes_dead() {
    let sim = Sim::new(9);
    let stash: Arc<Mutex<Option<Body>>> = Arc::default();
    let handler = {
        let stash = stash.clone();
        move |_: ConnInfo, req: Request<()>, body: Body| {
            let stash = stash.clone();
            async move {
                if req.uri().path() == "/keep" {
                    *stash.lock().unwrap() = Some(body);
                    return Ok::<_, Error>(respond_string(StatusCode::OK, "kept"));
                }
                let old = stash.lock().unwrap().take();
                let answer = match old {
                    Some(old) => match old.to_bytes().await {
                        Ok(b) => format!("read {b:?}"),
                        Err(e) => format!("dead: {}", e.kind() == &ErrorKind::Closed),
                    },
                    None => "none".to_string(),
                };
                Ok(respond_string(StatusCode::OK, answer))
            }
        }
    };
    let server = TestServer::start(&sim, "dead", handler, config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /keep HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
              POST /use HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nworld",
        )
        .await;
        let mut r = Reader::new();
        let first = r.response(&mut io, &Method::POST).await.unwrap().body;
        let second = r.response(&mut io, &Method::POST).await.unwrap().body;
        (first, second)
    });
    assert_eq!(got, ("kept".to_string(), "dead: true".to_string()));
}

#[test]
fn random_faults_and_inputs_never_panic_or_hang_the_server() {
    let inputs: [&[u8]; 6] = [
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
        b"\x00\xff\r\n\r\n\r\nGET",
        b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /panic HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\nxx",
    ];
    for seed in 0..60u64 {
        let sim = Sim::new(seed);
        let recorder_closed: Arc<Mutex<u64>> = Arc::default();
        struct Counting<H>(H, Arc<Mutex<u64>>);
        impl<H: Handler> Handler for Counting<H> {
            type Future = H::Future;
            fn call(&self, c: ConnInfo, r: Request<()>, b: Body) -> H::Future {
                self.0.call(c, r, b)
            }
            fn conn_closed(&self, _: &ConnInfo) {
                *self.1.lock().unwrap() += 1;
            }
        }
        sim.net().push_faults("fuzz", Faults::random(seed));
        sim.net().push_faults("fuzz", Faults::random(seed + 1000));
        let mut server = TestServer::start(
            &sim,
            "fuzz",
            Counting(app(), recorder_closed.clone()),
            ServerConfig::default().linger_timeout(Duration::from_millis(100)),
        );
        let rt = sim.runtime();
        sim.block_on(async {
            for round in 0..2 {
                let mut io = server.connect().await;
                let input = inputs[((seed + round) % inputs.len() as u64) as usize];
                let exchange = async {
                    let _ = io.write_all(input).await;
                    let _ = io.close().await;
                    let mut sink = Vec::new();
                    let _ = io.read_to_end(&mut sink).await;
                };
                // Bounded by the server's own timeouts; the outer bound only turns a
                // hang into a failure.
                rt.timeout(Duration::from_secs(600), exchange)
                    .await
                    .unwrap_or_else(|_| panic!("seed {seed}: exchange hung"));
            }
            server.stop();
            server.stopped().await;
        });
        assert_eq!(*recorder_closed.lock().unwrap(), 2, "seed {seed}");
        assert_eq!(sim.live_tasks(), 0, "seed {seed}: tasks left running");
    }
}

#[test]
fn lingering_close_keeps_reading_what_the_peer_still_sends_then_closes() {
    let sim = Sim::new(10);
    let server = TestServer::start(&sim, "linger", app(), config());
    let rt = sim.runtime();
    sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, b"GET / HTTP/9.9\r\nHost: x\r\n\r\n").await;
        let mut reader = Reader::new();
        let r = reader.response(&mut io, &Method::GET).await.unwrap();
        assert_eq!(r.status, StatusCode::HTTP_VERSION_NOT_SUPPORTED);
        // The server shut its write side at once...
        assert!(reader.closed(&mut io).await);
        assert_eq!(sim.elapsed(), Duration::ZERO);
        // ...but still reads and discards, so the peer's late bytes cause no reset.
        io.write_all(&[b'x'; 5000]).await.unwrap();
        io.flush().await.unwrap();
        rt.sleep(Duration::from_secs(3)).await;
        // Past the linger time (2 s) the server has dropped the connection.
        let late = io.write_all(&[b'y'; 10]).await;
        assert!(late.is_err(), "still open after the linger time");
    });
}

#[test]
fn peer_that_never_reads_is_dropped_after_the_write_timeout() {
    let sim = Sim::new(11);
    let closed_at: Arc<Mutex<Option<std::time::Instant>>> = Arc::default();
    struct Big(Arc<Mutex<Option<std::time::Instant>>>, cohttp_core::Runtime);
    impl Handler for Big {
        type Future = BoxFuture<'static, Result<Reply>>;
        fn call(&self, _: ConnInfo, _: Request<()>, _: Body) -> Self::Future {
            async { Ok(respond_string(StatusCode::OK, "z".repeat(300_000)).into()) }.boxed()
        }
        fn conn_closed(&self, _: &ConnInfo) {
            *self.0.lock().unwrap() = Some(self.1.now());
        }
    }
    sim.net()
        .push_faults("deaf", Faults::none().client_stops_reading_after(0));
    let mut server = TestServer::start(
        &sim,
        "deaf",
        Big(closed_at.clone(), sim.runtime()),
        config().write_timeout(Duration::from_secs(5)),
    );
    let start = sim.now();
    sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        // Let the request in, then stop: the stop must not cut the stall short.
        sim.runtime().sleep(Duration::from_secs(1)).await;
        server.stop();
        server.stopped().await;
        drop(io);
    });
    let at = closed_at.lock().unwrap().expect("conn_closed ran");
    assert_eq!(at - start, Duration::from_secs(5));
}
