//! `https` from our client to our server with TLS, on the mock network: a GET through
//! `Client` (SNI from the URI host, port 443 by default), keep-alive and pipelining on
//! one TLS connection, a `Cache` keeping http and https to the same host:port apart, and
//! an untrusted certificate failing the call with a typed TLS error.

mod tls_support;

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cohttp_core::client::{Cache, CacheConfig, Call, Client, Connection, ConnectionConfig};
use cohttp_core::runtime::{Addr, BoxTransport};
use cohttp_core::server::{serve_connection, ConnInfo, ServerConfig};
use cohttp_core::{Body, ErrorKind, TlsFailure};
use cohttp_mock::Sim;
use futures_util::future::join_all;
use futures_util::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use http::{Request, Uri};
use log::Level;
use tls_support::{describe_handler, serve_on, trusting, Pki};

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

async fn text(c: &dyn Call, uri: &str) -> String {
    let resp = c.call(get(uri)).await.expect("response");
    assert_eq!(resp.status(), 200);
    resp.into_body().to_string().await.expect("body")
}

/// The `conn=N` part of a described answer.
fn conn_of(answer: &str) -> &str {
    answer
        .split(' ')
        .find(|w| w.starts_with("conn="))
        .expect("conn= in the answer")
}

#[test]
fn https_get_through_client_uses_tls_with_sni_on_port_443() {
    let sim = Sim::new(1);
    let pki = Pki::new(&["origin.test"]);
    serve_on(
        &sim,
        "origin.test",
        443,
        ServerConfig::new().tls(pki.server()),
    );
    let client = Client::new(&sim.runtime()).connection_config(trusting(&pki));
    let answer = sim.block_on(async {
        let resp = client
            .get("https://origin.test/hello")
            .await
            .expect("https GET");
        assert_eq!(resp.status(), 200);
        resp.into_body().to_string().await.expect("body")
    });
    assert_eq!(answer, "GET /hello conn=1 tls=true sni=origin.test");
}

#[test]
fn https_keep_alive_and_pipelining_share_one_tls_connection() {
    let sim = Sim::new(2);
    let pki = Pki::new(&["origin.test"]);
    serve_on(
        &sim,
        "origin.test",
        8443,
        ServerConfig::new().tls(pki.server()),
    );
    let rt = sim.runtime();
    let uri: Uri = "https://origin.test:8443/".parse().unwrap();
    let conn = Connection::create_uri(&rt, &uri, trusting(&pki).persistent(Some(true)))
        .expect("connection");
    let answers = sim.block_on(async {
        // Eight requests queued at once: pipelined on the one TLS connection.
        let calls = (0..8).map(|i| {
            let call = conn.call(get(&format!("https://origin.test:8443/p{i}")));
            async move { call.await.expect("response").into_body().to_string().await }
        });
        let mut answers: Vec<String> = join_all(calls)
            .await
            .into_iter()
            .map(|a| a.expect("body"))
            .collect();
        // Then one more, later, on the same kept-alive connection.
        let last = conn
            .call(get("https://origin.test:8443/last"))
            .await
            .unwrap();
        answers.push(last.into_body().to_string().await.unwrap());
        answers
    });
    for (i, a) in answers.iter().take(8).enumerate() {
        assert_eq!(a, &format!("GET /p{i} conn=1 tls=true sni=origin.test"));
    }
    // `conn=1` throughout: the server accepted one connection and served all nine.
    assert_eq!(answers[8], "GET /last conn=1 tls=true sni=origin.test");
}

/// A stream with bytes already read from it put back in front.
struct Prefixed {
    first: Vec<u8>,
    inner: BoxTransport,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if !self.first.is_empty() {
            let n = self.first.len().min(buf.len());
            buf[..n].copy_from_slice(&self.first[..n]);
            self.first.drain(..n);
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// Serves plain HTTP and HTTPS on one port: a first byte 0x16 (a TLS handshake record)
/// means TLS.
fn serve_both(sim: &Sim, host: &str, port: u16, pki: &Pki) {
    let rt = sim.runtime();
    let addr = SocketAddr::new(sim.net().address_of(host), port);
    let mut listener = sim.block_on(rt.listen(Addr::Tcp(addr))).expect("listen");
    let plain = Arc::new(ServerConfig::new());
    let tls = Arc::new(ServerConfig::new().tls(pki.server()));
    let handler = Arc::new(describe_handler());
    let spawner = sim.clone();
    sim.spawn(async move {
        let mut id = 0;
        while let Ok((mut io, peer)) = listener.accept().await {
            id += 1;
            let mut first = vec![0u8];
            if io.read_exact(&mut first).await.is_err() {
                continue;
            }
            let config = if first[0] == 0x16 { &tls } else { &plain };
            let io: BoxTransport = Box::new(Prefixed { first, inner: io });
            let info = ConnInfo::new(id, peer, None);
            spawner.spawn(serve_connection(
                rt.clone(),
                io,
                info,
                handler.clone(),
                config.clone(),
            ));
        }
    });
}

#[test]
fn cache_keeps_http_and_https_to_same_host_port_apart() {
    let sim = Sim::new(3);
    let pki = Pki::new(&["origin.test"]);
    serve_both(&sim, "origin.test", 8080, &pki);
    let cache = Cache::new(
        &sim.runtime(),
        CacheConfig::new().parallel(1).connection(trusting(&pki)),
    );
    let http = "http://origin.test:8080/";
    let https = "https://origin.test:8080/";
    let answers = sim.block_on(async {
        let mut out = Vec::new();
        for uri in [http, https, http, https] {
            out.push(text(&cache, uri).await);
        }
        out
    });
    assert!(answers[0].ends_with("tls=false sni=-"), "{}", answers[0]);
    assert!(
        answers[1].ends_with("tls=true sni=origin.test"),
        "{}",
        answers[1]
    );
    // Each scheme kept its own connection, reused the second time.
    assert_eq!(conn_of(&answers[0]), conn_of(&answers[2]));
    assert_eq!(conn_of(&answers[1]), conn_of(&answers[3]));
    assert_ne!(conn_of(&answers[0]), conn_of(&answers[1]));
    let plain = cache.connections_to(&http.parse().unwrap()).unwrap();
    let secure = cache.connections_to(&https.parse().unwrap()).unwrap();
    assert_eq!((plain.len(), secure.len()), (1, 1));
    assert_ne!(plain[0].id(), secure[0].id());
}

#[test]
fn https_untrusted_certificate_fails_the_call_with_a_tls_error() {
    let sim = Sim::new(4);
    let logs = cohttp_mock::capture_logs();
    let pki = Pki::new(&["origin.test"]);
    let other = Pki::new(&["origin.test"]);
    serve_on(
        &sim,
        "origin.test",
        443,
        ServerConfig::new().tls(pki.server()),
    );
    let rt = sim.runtime();
    // Trusting another CA, and trusting the default (webpki) roots: both refuse.
    let strangers = Client::new(&rt).connection_config(trusting(&other));
    let defaults = Client::new(&rt);
    let (a, b) = sim.block_on(async {
        let a = strangers.get("https://origin.test/").await.unwrap_err();
        let b = defaults.get("https://origin.test/").await.unwrap_err();
        (a, b)
    });
    for e in [&a, &b] {
        assert_eq!(
            e.kind(),
            &ErrorKind::Tls(TlsFailure::UntrustedCertificate),
            "{e}"
        );
        assert!(e.to_string().contains("origin.test"), "{e}");
    }
    // The server side logs the refused handshakes at debug level only.
    let records = logs.take();
    assert!(
        records
            .iter()
            .any(|(l, _, m)| *l == Level::Debug && m.contains("TLS handshake")),
        "{records:?}"
    );
    assert!(
        !records.iter().any(|(l, _, _)| *l <= Level::Warn),
        "{records:?}"
    );
}

#[test]
fn https_name_mismatch_fails_the_call_with_a_tls_error() {
    let sim = Sim::new(5);
    let pki = Pki::new(&["elsewhere.test"]);
    serve_on(
        &sim,
        "origin.test",
        443,
        ServerConfig::new().tls(pki.server()),
    );
    let client = Client::new(&sim.runtime()).connection_config(trusting(&pki));
    let e = sim.block_on(async { client.get("https://origin.test/").await.unwrap_err() });
    assert_eq!(e.kind(), &ErrorKind::Tls(TlsFailure::NameMismatch), "{e}");
}

#[test]
fn https_handshake_is_bounded_by_the_connect_timeout() {
    let sim = Sim::new(6);
    let pki = Pki::new(&["origin.test"]);
    // A listener that accepts and never answers: the client's hello goes unanswered.
    let rt = sim.runtime();
    let addr = SocketAddr::new(sim.net().address_of("origin.test"), 443);
    let mut listener = sim.block_on(rt.listen(Addr::Tcp(addr))).expect("listen");
    sim.spawn(async move {
        let mut held = Vec::new();
        while let Ok((io, _)) = listener.accept().await {
            held.push(io);
        }
    });
    let config: ConnectionConfig =
        trusting(&pki).connect_timeout(Some(std::time::Duration::from_secs(3)));
    let client = Client::new(&rt).connection_config(config);
    let e = sim.block_on(async { client.get("https://origin.test/").await.unwrap_err() });
    assert_eq!(e.kind(), &ErrorKind::Timeout, "{e}");
    let waited = sim.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(3) && waited < std::time::Duration::from_secs(4),
        "virtual time waited: {waited:?}"
    );
}
