//! A client that stops reading while the server writes a large response: the write
//! timeout frees the connection (and its task), while a well-behaved client keeps being
//! answered; its latency is printed.

mod hostile_support;

use std::time::{Duration, Instant};

use cohttp_core::server::ServerConfig;
use hostile_support::{keep_alive_client, probe_while, TestServer, BIG};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
