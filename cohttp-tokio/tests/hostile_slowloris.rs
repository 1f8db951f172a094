//! Slowloris on real loopback sockets: peers that send a request head, or a request
//! body, a byte at a time. The server's header read timeout (a bound on the whole head),
//! body read timeout (a bound on each wait for body bytes) and body minimum rate (a
//! bound on all the waits of a body, which a byte per timeout cannot beat) cut them off,
//! while a well-behaved client keeps being answered; its latency is printed.

mod hostile_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cohttp_core::server::{MinRate, ServerConfig};
use hostile_support::{fresh_client, probe_while, slow_peer, TestServer};

/// Attackers at once.
const ATTACKERS: usize = 64;

/// Probes the server with a well-behaved client while `attack` runs.
async fn under_attack<T: Send + 'static>(
    server: &TestServer,
    attack: tokio::task::JoinHandle<T>,
) -> (T, hostile_support::Latencies) {
    let client = fresh_client();
    let url = server.url("/hello");
    let done = async {
        while !attack.is_finished() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let lat = probe_while(&client, &url, Duration::from_millis(50), done).await;
    (attack.await.expect("attack task"), lat)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_headers_are_cut_by_the_header_read_timeout() {
    let config = ServerConfig::default().header_read_timeout(Duration::from_secs(1));
    let server = TestServer::start(config).await;
    let addr = server.addr;
    let head: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nX-1: a\r\nX-2: b\r\nX-3: c\r\nX-4: d\r\n\r\n";
    let attack = tokio::spawn(async move {
        let peers = (0..ATTACKERS).map(|_| {
            tokio::spawn(slow_peer(
                addr,
                b"G",
                head[1..].to_vec(),
                Duration::from_millis(100),
                Duration::from_secs(10),
            ))
        });
        futures_util::future::join_all(peers).await
    });
    let (results, lat) = under_attack(&server, attack).await;
    let mut longest = Duration::ZERO;
    for r in results {
        let (answer, sent, lived) = r.expect("attacker");
        assert!(
            answer.starts_with("HTTP/1.1 408 ") || answer.is_empty(),
            "slow head answered with {answer:?}"
        );
        assert!(sent < head.len() - 1, "a slow head was let through whole");
        longest = longest.max(lived);
    }
    assert!(lat.len() > 0);
    println!(
        "slowloris headers: {ATTACKERS} peers at 10 B/s, header timeout 1 s: cut after <= {:.2} s; \
         well-behaved latency {}",
        longest.as_secs_f64(),
        lat.summary()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_body_at_one_byte_per_second_is_cut_by_the_body_read_timeout() {
    let config = ServerConfig::default().body_read_timeout(Duration::from_millis(500));
    let server = TestServer::start(config).await;
    let addr = server.addr;
    let attack = tokio::spawn(async move {
        let peers = (0..ATTACKERS).map(|_| {
            tokio::spawn(slow_peer(
                addr,
                b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n",
                vec![b'z'; 1000],
                Duration::from_secs(1),
                Duration::from_secs(10),
            ))
        });
        futures_util::future::join_all(peers).await
    });
    let (results, lat) = under_attack(&server, attack).await;
    let mut longest = Duration::ZERO;
    for r in results {
        let (answer, sent, lived) = r.expect("attacker");
        assert!(
            !answer.starts_with("HTTP/1.1 2"),
            "a trickled body was accepted: {answer:?}"
        );
        assert!(sent < 1000, "a trickled body went through whole");
        longest = longest.max(lived);
    }
    assert_eq!(
        server.app.upload_failures.load(Ordering::SeqCst),
        ATTACKERS,
        "every trickled upload failed in the handler"
    );
    assert!(lat.len() > 0);
    println!(
        "slowloris bodies: {ATTACKERS} peers at 1 B/s, body read timeout 0.5 s: cut after <= {:.2} s; \
         well-behaved latency {}",
        longest.as_secs_f64(),
        lat.summary()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_body_beating_the_body_timeout_is_cut_by_the_minimum_rate() {
    // A byte every 0.4 s never trips the 0.5 s body read timeout; the minimum rate
    // (100 B/s after 1 s of waiting) cuts it.
    let config = ServerConfig::default()
        .body_read_timeout(Duration::from_millis(500))
        .body_min_rate(Some(MinRate::new(100, Duration::from_secs(1))));
    let server = TestServer::start(config).await;
    let addr = server.addr;
    let attack = tokio::spawn(async move {
        let peers = (0..ATTACKERS).map(|_| {
            tokio::spawn(slow_peer(
                addr,
                b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n",
                vec![b'z'; 1000],
                Duration::from_millis(400),
                Duration::from_secs(10),
            ))
        });
        futures_util::future::join_all(peers).await
    });
    let (results, lat) = under_attack(&server, attack).await;
    let mut longest = Duration::ZERO;
    let mut most = 0;
    for r in results {
        let (answer, sent, lived) = r.expect("attacker");
        assert!(
            answer.starts_with("HTTP/1.1 408 "),
            "a trickled body was not answered 408: {answer:?}"
        );
        assert!(sent < 1000, "a trickled body went through whole");
        longest = longest.max(lived);
        most = most.max(sent);
    }
    assert_eq!(
        server.app.upload_failures.load(Ordering::SeqCst),
        ATTACKERS,
        "every trickled upload failed in the handler"
    );
    assert!(lat.len() > 0);
    println!(
        "slowloris bodies beating the timeout: {ATTACKERS} peers at 1 B per 0.4 s, body read \
         timeout 0.5 s, minimum rate 100 B/s after 1 s: cut after <= {:.2} s ({most} bytes \
         sent at most; 1000 would take 400 s); well-behaved latency {}",
        longest.as_secs_f64(),
        lat.summary()
    );
    server.shutdown().await;
}
