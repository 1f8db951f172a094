//! Many half-open connections on real loopback sockets (aiming at 10 000): each sends
//! the start of a request head and then nothing, never closing. The server holds them
//! all (its connection limit raised above them), keeps answering a well-behaved client
//! meanwhile (latency printed), and frees every one once its peer goes away.
//!
//! The count is bounded by `RLIMIT_NOFILE` (each connection is two descriptors in this
//! process): the test raises the soft limit to the hard one and prints what it got.

mod hostile_support;

use std::time::{Duration, Instant};

use cohttp_core::server::ServerConfig;
use hostile_support::{keep_alive_client, probe, probe_while, TestServer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const AIM: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_half_open_connections_are_held_and_freed() {
    let soft = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    // Two descriptors per connection, and room for the test's own.
    let count = AIM.min((soft.saturating_sub(256) / 2) as usize);
    assert!(count >= 100, "RLIMIT_NOFILE too low for this test: {soft}");
    let config = ServerConfig::default()
        .max_connections(count + 64)
        .header_read_timeout(Duration::from_secs(120));
    let server = TestServer::start(config).await;
    let url = server.url("/hello");
    let client = keep_alive_client();
    probe(&client, &url, Duration::from_secs(5)).await;

    let started = Instant::now();
    let mut peers = Vec::with_capacity(count);
    let mut lat_opening = hostile_support::Latencies::default();
    for i in 0..count {
        let mut io = TcpStream::connect(server.addr).await.expect("connect");
        io.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n")
            .await
            .expect("partial head");
        peers.push(io);
        if i % 500 == 499 {
            lat_opening.push(probe(&client, &url, Duration::from_secs(5)).await);
        }
    }
    let opened_in = started.elapsed();
    let held = probe_while(
        &client,
        &url,
        Duration::from_millis(20),
        tokio::time::sleep(Duration::from_secs(2)),
    )
    .await;
    assert!(held.len() >= 10);
    assert_eq!(server.closed(), 0, "no half-open connection dropped yet");

    let dropped_at = Instant::now();
    drop(peers);
    while server.closed() < count {
        assert!(
            dropped_at.elapsed() < Duration::from_secs(60),
            "only {} of {count} connections freed after their peers left",
            server.closed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let freed_in = dropped_at.elapsed();
    probe(&client, &url, Duration::from_secs(5)).await;
    println!(
        "half-open: {count} connections (RLIMIT_NOFILE soft {soft}) opened in {:.2} s; \
         well-behaved latency while opening {}, while all held {}; all freed {:.2} s after \
         their peers left",
        opened_in.as_secs_f64(),
        lat_opening.summary(),
        held.summary(),
        freed_in.as_secs_f64()
    );
    server.shutdown().await;
}
