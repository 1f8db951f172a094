//! Our server with TLS (`ServerConfig::tls`) on the mock network: the handshake runs in
//! the connection's task, bounded by the header read timeout, so a client that never
//! sends its hello neither blocks the accept loop nor holds its connection; failed
//! handshakes are logged at debug level only.

mod tls_support;

use std::net::SocketAddr;
use std::time::Duration;

use cohttp_core::client::Client;
use cohttp_core::runtime::{Ctx, Endpoint};
use cohttp_core::server::ServerConfig;
use cohttp_mock::Sim;
use futures_util::io::AsyncReadExt;
use log::Level;
use tls_support::{serve_on, trusting, Pki};

fn endpoint(sim: &Sim, host: &str, port: u16) -> Endpoint {
    Endpoint::Tcp {
        host: host.into(),
        port,
        addrs: vec![SocketAddr::new(sim.net().address_of(host), port)],
    }
}

#[test]
fn tls_server_handshake_times_out_against_silent_client() {
    let sim = Sim::new(11);
    let logs = cohttp_mock::capture_logs();
    let pki = Pki::new(&["origin.test"]);
    let config = ServerConfig::new()
        .tls(pki.server())
        .header_read_timeout(Duration::from_secs(2));
    serve_on(&sim, "origin.test", 443, config);
    let rt = sim.runtime();
    let client = Client::new(&rt).connection_config(trusting(&pki));
    let (served_at, closed_at, read) = sim.block_on(async {
        // Connects and never sends a ClientHello.
        let mut silent = rt
            .connect(&Ctx::new(), &endpoint(&sim, "origin.test", 443))
            .await
            .expect("connect");
        // Meanwhile another client is served: the accept loop is not held up.
        let resp = client.get("https://origin.test/ok").await.expect("served");
        let body = resp.into_body().to_string().await.expect("body");
        assert_eq!(body, "GET /ok conn=2 tls=true sni=origin.test");
        let served_at = sim.elapsed();
        let mut buf = [0u8; 16];
        let read = silent.read(&mut buf).await;
        (served_at, sim.elapsed(), read)
    });
    assert!(
        served_at < Duration::from_secs(2),
        "served at {served_at:?}"
    );
    // The silent connection was closed by the server, at its handshake deadline.
    assert_eq!(read.expect("clean end of stream"), 0);
    assert!(
        closed_at >= Duration::from_secs(2) && closed_at < Duration::from_secs(3),
        "closed at {closed_at:?}"
    );
    let records = logs.take();
    assert!(
        records.iter().any(|(l, _, m)| *l == Level::Debug
            && m.contains("connection 1 ")
            && m.contains("TLS handshake not done within 2s")),
        "{records:?}"
    );
    assert!(
        !records.iter().any(|(l, _, _)| *l <= Level::Warn),
        "{records:?}"
    );
}

#[test]
fn tls_server_refuses_plain_http_and_keeps_serving() {
    let sim = Sim::new(12);
    let logs = cohttp_mock::capture_logs();
    let pki = Pki::new(&["origin.test"]);
    serve_on(
        &sim,
        "origin.test",
        8443,
        ServerConfig::new().tls(pki.server()),
    );
    let rt = sim.runtime();
    let client = Client::new(&rt).connection_config(trusting(&pki));
    let (plain, secure) = sim.block_on(async {
        let plain = client.get("http://origin.test:8443/").await;
        let secure = client.get("https://origin.test:8443/").await;
        let secure = secure.expect("https served").into_body().to_string().await;
        (plain, secure.expect("body"))
    });
    assert!(plain.is_err(), "plain HTTP to a TLS port must fail");
    assert_eq!(secure, "GET / conn=2 tls=true sni=origin.test");
    let records = logs.take();
    assert!(
        records
            .iter()
            .any(|(l, _, m)| *l == Level::Debug && m.contains("TLS handshake with a client failed")),
        "{records:?}"
    );
    assert!(
        !records.iter().any(|(l, _, _)| *l <= Level::Warn),
        "{records:?}"
    );
}
