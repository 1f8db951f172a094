//! A client that stops reading while the server writes a large response: the write
//! timeout frees the connection (and its task), while a well-behaved client keeps being
//! answered; its latency is printed. A client that reads just often enough to beat the
//! write timeout is freed by the write minimum rate.

mod hostile_support;

use std::time::{Duration, Instant};

use cohttp_core::server::{MinRate, ServerConfig};
use hostile_support::{keep_alive_client, probe_while, TestServer, BIG};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Peers that request `/big` and then never read.
const STALLED: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_reader_is_dropped_by_the_write_timeout() {
    let config = ServerConfig::default().write_timeout(Duration::from_secs(1));
    let server = TestServer::start(config).await;
    let mut peers = Vec::new();
    for _ in 0..STALLED {
        let mut io = TcpStream::connect(server.addr).await.expect("connect");
        io.write_all(b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .expect("request");
        peers.push(io);
    }
    let started = Instant::now();
    // The well-behaved client probes until every stalled connection was freed (or a
    // generous bound passes, which fails below).
    let freed = async {
        while server.closed() < STALLED && started.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    // One kept-alive connection, so that the closed count is the stalled peers'.
    let client = keep_alive_client();
    let lat = probe_while(
        &client,
        &server.url("/hello"),
        Duration::from_millis(50),
        freed,
    )
    .await;
    let took = started.elapsed();
    assert!(
        server.closed() >= STALLED,
        "stalled connections still held after {took:?}"
    );
    // The stalled peers did not get the whole response: the server gave up on them.
    let mut first = peers.remove(0);
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match first.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
    })
    .await
    .expect("the freed connection reaches its end");
    assert!(got < BIG, "a stalled peer still got the whole body");
    assert!(lat.len() > 0);
    println!(
        "stalled readers: {STALLED} peers not reading a {} MiB response, write timeout 1 s: \
         freed after {:.2} s; well-behaved latency {}",
        BIG >> 20,
        took.as_secs_f64(),
        lat.summary()
    );
    server.shutdown().await;
}

/// Peers that request `/big` and read 16 KiB every 0.4 s.
const SLOW: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_beating_the_write_timeout_is_dropped_by_the_minimum_rate() {
    // A gulp every 0.4 s never trips the 0.5 s write timeout; 40 KiB/s is below the
    // minimum rate (256 KiB/s after 1 s of waiting). What the kernel takes at once
    // counts as read (up to the socket buffers, a few MiB), so the drop comes some
    // seconds in; the peer itself sees the end only once it read what the kernel still
    // holds, so the drop is observed on the server (`conn_closed`).
    let config = ServerConfig::default()
        .write_timeout(Duration::from_millis(500))
        .write_min_rate(Some(MinRate::new(256 * 1024, Duration::from_secs(1))));
    let server = TestServer::start(config).await;
    let started = Instant::now();
    let peers: Vec<_> = (0..SLOW)
        .map(|_| {
            let addr = server.addr;
            tokio::spawn(async move {
                let socket = TcpSocket::new_v4().expect("socket");
                socket.set_recv_buffer_size(16 * 1024).expect("rcvbuf");
                let mut io = socket.connect(addr).await.expect("connect");
                io.write_all(b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
                    .await
                    .expect("request");
                let mut got = 0usize;
                let mut buf = vec![0u8; 16 * 1024];
                // Until aborted (16 MiB at 40 KiB/s would take 410 s).
                loop {
                    match io.read(&mut buf).await {
                        Ok(0) | Err(_) => return got,
                        Ok(n) => got += n,
                    }
                    tokio::time::sleep(Duration::from_millis(400)).await;
                }
            })
        })
        .collect();
    // One kept-alive connection, so that the closed count is the slow peers'.
    let client = keep_alive_client();
    let freed = async {
        while server.closed() < SLOW && started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let lat = probe_while(
        &client,
        &server.url("/hello"),
        Duration::from_millis(50),
        freed,
    )
    .await;
    let took = started.elapsed();
    for p in &peers {
        p.abort();
    }
    assert!(
        server.closed() >= SLOW,
        "slow readers still held after {took:?}"
    );
    assert!(lat.len() > 0);
    println!(
        "slow readers beating the write timeout: {SLOW} peers reading 16 KiB per 0.4 s of a \
         {} MiB response, write timeout 0.5 s, minimum rate 256 KiB/s after 1 s: all dropped \
         after {:.2} s (the whole would take 410 s); well-behaved latency {}",
        BIG >> 20,
        took.as_secs_f64(),
        lat.summary()
    );
    server.shutdown().await;
}
