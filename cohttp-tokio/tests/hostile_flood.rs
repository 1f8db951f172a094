//! A connection flood past `max_connections` on real loopback sockets: idle peers that
//! open connections and send nothing, reopening as soon as the server drops them. The
//! server holds at most `max_connections`, drops idle ones at the header read timeout,
//! and keeps answering a well-behaved client: on its kept-alive connection at once, on
//! new connections once a slot frees (they wait in the listen backlog behind the flood).
//! Both latencies are printed.

mod hostile_support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cohttp_core::server::ServerConfig;
use hostile_support::{fresh_client, keep_alive_client, probe, probe_while, TestServer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

const MAX_CONNECTIONS: usize = 32;
/// Flooding peers, each holding one connection at a time.
const FLOODERS: usize = 4 * MAX_CONNECTIONS;
const FLOOD_FOR: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_flood_past_the_limit_keeps_the_server_responsive() {
    let config = ServerConfig::default()
        .max_connections(MAX_CONNECTIONS)
        .header_read_timeout(Duration::from_secs(1));
    let server = TestServer::start(config).await;
    let url = server.url("/hello");

    // The well-behaved client's kept-alive connection, made before the flood.
    let kept = keep_alive_client();
    probe(&kept, &url, Duration::from_secs(5)).await;

    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicUsize::new(0));
    let flood: Vec<_> = (0..FLOODERS)
        .map(|_| {
            let (stop, opened, addr) = (stop.clone(), opened.clone(), server.addr);
            tokio::spawn(async move {
                let mut buf = [0u8; 512];
                while !stop.load(Ordering::SeqCst) {
                    let Ok(mut io) = TcpStream::connect(addr).await else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    opened.fetch_add(1, Ordering::SeqCst);
                    // Send nothing; wait for the server to drop us (or the end).
                    let _ = tokio::time::timeout(Duration::from_secs(10), async {
                        while !matches!(io.read(&mut buf).await, Ok(0) | Err(_)) {}
                    })
                    .await;
                }
            })
        })
        .collect();

    let started = Instant::now();
    let until = tokio::time::sleep(FLOOD_FOR);
    let kept_lat = probe_while(&kept, &url, Duration::from_millis(50), until).await;
    // New connections queue behind the flood in the backlog: a generous bound.
    let fresh = fresh_client();
    let mut fresh_lat = hostile_support::Latencies::default();
    for _ in 0..3 {
        fresh_lat.push(probe(&fresh, &url, Duration::from_secs(30)).await);
    }
    stop.store(true, Ordering::SeqCst);
    for f in flood {
        f.abort();
    }
    let flooded = started.elapsed();
    assert!(kept_lat.len() >= 10, "kept-alive client starved");
    // Connections the server dropped and the flood reopened.
    let opened = opened.load(Ordering::SeqCst);
    assert!(
        opened > FLOODERS,
        "the flood was never cut back ({opened} connections)"
    );
    println!(
        "connection flood: {FLOODERS} idle peers vs max_connections={MAX_CONNECTIONS}, header \
         timeout 1 s, {opened} connections over {:.1} s; kept-alive client {}; new-connection \
         client {}",
        flooded.as_secs_f64(),
        kept_lat.summary(),
        fresh_lat.summary()
    );
    server.shutdown().await;
}
