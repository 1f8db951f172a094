//! A connection flood past `max_connections` on real loopback sockets: idle peers that
//! open connections and send nothing, reopening as soon as the server drops them. At
//! the limit the server evicts the connection idle longest to make room, so it keeps
//! answering a well-behaved client throughout, on its kept-alive connection and on new
//! connections alike (which no longer wait in the listen backlog behind the flood).
//! Both latencies are printed (never asserted), with how often a new connection was
//! closed under the client before its request was read and had to be sent again.

mod hostile_support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cohttp_core::client::Client;
use cohttp_core::server::ServerConfig;
use cohttp_core::ErrorKind;
use hostile_support::{fresh_client, keep_alive_client, probe, Latencies, TestServer};
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
    // Both clients probe while the flood runs: the kept-alive one, and one opening a new
    // connection per request.
    let fresh = fresh_client();
    // The kept-alive connection may itself be evicted once no new silent one is left to
    // evict; its client then goes on over a new connection, which can meet the fate of
    // any new one (below): both clients count the requests they had to send again.
    let ((kept_lat, kept_resent), (fresh_lat, fresh_resent)) = tokio::join!(
        probes(&kept, &url, FLOOD_FOR),
        probes(&fresh, &url, FLOOD_FOR)
    );
    stop.store(true, Ordering::SeqCst);
    for f in flood {
        f.abort();
    }
    let flooded = started.elapsed();
    assert!(kept_lat.len() >= 10, "kept-alive client starved");
    assert!(fresh_lat.len() >= 3, "new-connection client starved");
    // Connections the server dropped and the flood reopened.
    let opened = opened.load(Ordering::SeqCst);
    assert!(
        opened > FLOODERS,
        "the flood was never cut back ({opened} connections)"
    );
    println!(
        "connection flood: {FLOODERS} idle peers vs max_connections={MAX_CONNECTIONS}, header \
         timeout 1 s, {opened} connections over {:.1} s; kept-alive client {}; new-connection \
         client {} ({fresh_resent} sent again after their connection was evicted; kept-alive \
         client: {kept_resent})",
        flooded.as_secs_f64(),
        kept_lat.summary(),
        fresh_lat.summary()
    );
    server.shutdown().await;
}

/// Requests every 50 ms for `during`; their latencies, and how many had to be sent
/// again (a new connection can be evicted before its request is read: the client gets
/// no byte of a response and sends it again, as RFC 9112 §9.3.1 allows). Each request
/// is bounded (panics past 30 s).
async fn probes(client: &Client, url: &str, during: Duration) -> (Latencies, usize) {
    let mut lat = Latencies::default();
    let mut resent = 0;
    let until = Instant::now() + during;
    while Instant::now() < until {
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let answer = tokio::time::timeout(Duration::from_secs(30), async {
                let r = client.get(url).await?;
                r.into_body().to_string().await
            })
            .await
            .expect("a new connection answered within 30 s");
            match answer {
                Ok(text) => {
                    assert_eq!(text, "hello");
                    break;
                }
                Err(e) if (e.is_retry() || e.kind() == &ErrorKind::Io) && attempts < 10 => {
                    resent += 1;
                }
                Err(e) => panic!("new-connection request failed {attempts} times: {e}"),
            }
        }
        lat.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (lat, resent)
}
