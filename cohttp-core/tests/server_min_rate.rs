//! Slow peers against the minimum rates (`ServerConfig::body_min_rate`,
//! `ServerConfig::write_min_rate`), on virtual time: a body or a reader that moves one
//! byte just before each per-wait timeout is cut shortly after the grace period, and
//! slow but steady transfers above the rate are never cut.

mod server_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cohttp_core::server::{respond_string, ConnInfo, Handler, MinRate, Reply};
use cohttp_core::{Body, Result};
use cohttp_mock::{Faults, Sim};
use futures_util::future::BoxFuture;
use futures_util::{AsyncReadExt, AsyncWriteExt, FutureExt};
use http::{Request, StatusCode};
use server_support::*;

/// Sends `head`, then the body one byte every `every`, from its own task, until the
/// body is sent or the server stops taking bytes.
fn trickle(
    sim: &Sim,
    mut w: futures_util::io::WriteHalf<cohttp_core::runtime::BoxTransport>,
    head: &'static [u8],
    body_len: usize,
    every: Duration,
) -> cohttp_mock::JoinHandle<usize> {
    let rt = sim.runtime();
    sim.spawn(async move {
        if w.write_all(head).await.is_err() {
            return 0;
        }
        let mut sent = 0;
        while sent < body_len {
            rt.sleep(every).await;
            if w.write_all(b"x").await.is_err() || w.flush().await.is_err() {
                break;
            }
            sent += 1;
        }
        sent
    })
}

#[test]
fn body_trickling_one_byte_per_timeout_is_cut_by_the_minimum_rate_with_408() {
    let sim = Sim::new(1);
    let server = TestServer::start(
        &sim,
        "trickle",
        app(),
        config()
            .body_read_timeout(secs(10))
            .body_min_rate(Some(MinRate::new(100, secs(10)))),
    );
    let (at, got, sent) = sim.block_on(async {
        let io = server.connect().await;
        let (mut r, w) = io.split();
        let writer = trickle(
            &sim,
            w,
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
            1000,
            secs(9),
        );
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.expect("read");
        let at = sim.elapsed();
        (at, String::from_utf8(got).unwrap(), writer.await)
    });
    // The per-wait timeout (10 s) never trips: a byte comes every 9 s. The rate does:
    // 10 s of grace plus 10 ms for the one byte received; the write side is shut at
    // once (end of stream here), the input read and discarded for the linger time.
    assert!(
        got.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{got:?}"
    );
    assert!(got.contains("connection: close\r\n"), "{got:?}");
    assert!(got.ends_with("\r\n\r\nRequest Timeout"), "{got:?}");
    assert!(
        at >= secs(10) && at <= secs(10) + Duration::from_millis(20),
        "{at:?}"
    );
    // The lingering close took the trickle's next byte (at 18 s), then closed.
    assert!(sent < 5, "the trickle went on: {sent} bytes");
}

#[test]
fn body_trickle_cut_time_is_the_grace_plus_what_the_bytes_earned() {
    let sim = Sim::new(2);
    let cut: Arc<Mutex<Option<Duration>>> = Arc::default();
    let seen = cut.clone();
    let rt = sim.runtime();
    let start = sim.now();
    let handler = move |_: ConnInfo, _: Request<()>, body: Body| {
        let seen = seen.clone();
        let rt = rt.clone();
        async move {
            let e = body.to_bytes().await.expect_err("cut");
            *seen.lock().unwrap() = Some(rt.now() - start);
            Err::<http::Response<Body>, _>(e)
        }
    };
    let server = TestServer::start(
        &sim,
        "earned",
        handler,
        config()
            .body_read_timeout(secs(10))
            .body_min_rate(Some(MinRate::new(100, secs(10)))),
    );
    sim.block_on(async {
        let io = server.connect().await;
        let (mut r, w) = io.split();
        let _writer = trickle(
            &sim,
            w,
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
            1000,
            secs(9),
        );
        let mut got = Vec::new();
        let _ = r.read_to_end(&mut got).await;
    });
    // Waited 9 s for the first byte (which earned 10 ms), then 1.01 s more.
    assert_eq!(
        cut.lock().unwrap().expect("the handler saw the cut"),
        secs(10) + Duration::from_millis(10)
    );
}

#[test]
fn without_a_minimum_rate_the_trickle_outlives_the_body_timeout() {
    let sim = Sim::new(3);
    let server = TestServer::start(
        &sim,
        "norate",
        app(),
        config().body_read_timeout(secs(10)).body_min_rate(None),
    );
    let (at, got) = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
        )
        .await;
        for _ in 0..5 {
            sim.runtime().sleep(secs(9)).await;
            send(&mut io, b"x").await;
        }
        let got = read_to_end(&mut io).await;
        (sim.elapsed(), got)
    });
    assert_eq!(at, secs(45));
    assert!(got.ends_with("\r\n\r\nread 5"), "{got:?}");
}

/// A handler answering every request with `size` bytes, recording when its connection
/// closed.
struct Big {
    size: usize,
    rt: cohttp_core::Runtime,
    closed_at: Arc<Mutex<Option<Instant>>>,
}

impl Handler for Big {
    type Future = BoxFuture<'static, Result<Reply>>;
    fn call(&self, _: ConnInfo, _: Request<()>, _: Body) -> Self::Future {
        let size = self.size;
        async move { Ok(respond_string(StatusCode::OK, "z".repeat(size)).into()) }.boxed()
    }
    fn conn_closed(&self, _: &ConnInfo) {
        *self.closed_at.lock().unwrap() = Some(self.rt.now());
    }
}

/// Serves `size` bytes to a peer that reads one byte every 9 s through a 16-byte pipe,
/// with a 10 s write timeout and `rate`; when the server dropped the connection.
fn slow_reader_dropped_after(seed: u64, size: usize, rate: Option<MinRate>) -> Option<Duration> {
    let sim = Sim::new(seed);
    let closed_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    sim.net().push_faults("slow", Faults::none().buffer(16));
    let big = Big {
        size,
        rt: sim.runtime(),
        closed_at: closed_at.clone(),
    };
    let mut server = TestServer::start(
        &sim,
        "slow",
        big,
        config().write_timeout(secs(10)).write_min_rate(rate),
    );
    let start = sim.now();
    sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        // One byte per 9 s, for at most 60 s of virtual time.
        let mut one = [0u8; 1];
        for _ in 0..7 {
            sim.runtime().sleep(secs(9)).await;
            match io.read(&mut one).await {
                Ok(1) => {}
                _ => break,
            }
        }
        server.stop();
        drop(io);
        server.stopped().await;
    });
    let at = *closed_at.lock().unwrap();
    at.map(|at| at - start)
}

#[test]
fn reader_taking_one_byte_per_write_timeout_of_a_large_response_is_dropped_by_the_rate() {
    let at = slow_reader_dropped_after(4, 300_000, Some(MinRate::new(100, secs(10))));
    // 10 s of grace plus what 17 bytes earned at 100 bytes/s: 16 filled the pipe at
    // once, one more went when the reader took one at 9 s.
    assert_eq!(at, Some(secs(10) + Duration::from_millis(170)));
}

#[test]
fn reader_taking_one_byte_per_write_timeout_of_a_small_response_is_dropped_by_the_rate() {
    // 20 KB fits the write buffer: the write is the connection's flush, not the body's.
    let at = slow_reader_dropped_after(5, 20_000, Some(MinRate::new(100, secs(10))));
    assert_eq!(at, Some(secs(10) + Duration::from_millis(170)));
}

#[test]
fn without_a_minimum_rate_the_slow_reader_outlives_the_write_timeout() {
    // Held until the reader gives up (63 s), never cut by the server.
    let at = slow_reader_dropped_after(6, 300_000, None).expect("closed");
    assert!(at >= secs(63), "{at:?}");
}

#[test]
fn steady_slow_upload_above_the_rate_is_not_cut() {
    let sim = Sim::new(7);
    // The defaults: 512 bytes/s after 30 s, 30 s per wait.
    let server = TestServer::start(&sim, "upload", app(), config());
    let (at, got) = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 204800\r\nConnection: close\r\n\r\n",
        )
        .await;
        let chunk = [b'u'; 1024];
        // 200 KiB at 1 KiB/s, with a 20 s pause half way.
        for i in 0..200 {
            let pause = if i == 100 { secs(20) } else { secs(1) };
            sim.runtime().sleep(pause).await;
            send(&mut io, &chunk).await;
        }
        let got = read_to_end(&mut io).await;
        (sim.elapsed(), got)
    });
    assert_eq!(at, secs(219));
    assert!(got.ends_with("\r\n\r\nread 204800"), "{got:?}");
}

#[test]
fn steady_slow_download_above_the_rate_is_not_cut() {
    let sim = Sim::new(8);
    sim.net()
        .push_faults("download", Faults::none().buffer(1024));
    let big = Big {
        size: 200_000,
        rt: sim.runtime(),
        closed_at: Arc::default(),
    };
    let server = TestServer::start(&sim, "download", big, config());
    let (at, got) = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        // 1 KiB/s, with a 20 s pause half way.
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        for i in 0..1000 {
            let pause = if i == 100 { secs(20) } else { secs(1) };
            sim.runtime().sleep(pause).await;
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        (sim.elapsed(), String::from_utf8(got).unwrap())
    });
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{}", &got[..40]);
    assert!(
        got.ends_with(&"z".repeat(1000)),
        "cut short: {} bytes",
        got.len()
    );
    assert_eq!(got.len() - got.find("\r\n\r\n").unwrap() - 4, 200_000);
    assert!(at > secs(200), "{at:?}");
}
