//! `https` through a `CONNECT` tunnel carries TLS end to end to the origin (our server
//! with TLS), through a relaying proxy on the mock network: the proxy sees the `CONNECT`
//! and encrypted bytes only.

mod cache_support;
mod tls_support;

use cache_support::serve_connect_relay;
use cohttp_core::client::{CacheConfig, Call, Proxy, ProxyConfig, ProxyRoute, ProxyServer, Tunnel};
use cohttp_core::server::ServerConfig;
use cohttp_core::{Body, ErrorKind, TlsFailure};
use cohttp_mock::Sim;
use http::Request;
use tls_support::{serve_on, trusting, Pki};

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn https_through_proxy_tunnel_carries_tls_to_the_origin() {
    let sim = Sim::new(21);
    let pki = Pki::new(&["origin.test"]);
    serve_on(
        &sim,
        "origin.test",
        443,
        ServerConfig::new().tls(pki.server()),
    );
    let relay = serve_connect_relay(&sim, "proxy.test", 3128);
    let config = ProxyConfig::new()
        .scheme_proxy("https", "proxy.test:3128")
        .unwrap();
    let proxy = Proxy::new(
        &sim.runtime(),
        config,
        CacheConfig::new().parallel(1).connection(trusting(&pki)),
    );
    assert_eq!(
        proxy.route_of(&"https://origin.test/".parse().unwrap()),
        ProxyRoute::Tunnel(ProxyServer::parse("proxy.test:3128").unwrap())
    );
    let answers = sim.block_on(async {
        let mut out = Vec::new();
        for path in ["/secret-a", "/secret-b"] {
            let resp = proxy
                .call(get(&format!("https://origin.test{path}")))
                .await
                .expect("response through the tunnel");
            out.push(resp.into_body().to_string().await.expect("body"));
        }
        out
    });
    // TLS with the origin (SNI origin.test), both requests on the one tunnel.
    assert_eq!(answers[0], "GET /secret-a conn=1 tls=true sni=origin.test");
    assert_eq!(answers[1], "GET /secret-b conn=1 tls=true sni=origin.test");
    assert_eq!(*relay.connects.lock().unwrap(), vec!["origin.test:443"]);
    // The proxy relayed a TLS handshake record first and never a request in clear.
    let upstream = relay.upstream.lock().unwrap().clone();
    assert_eq!(upstream.first(), Some(&0x16), "a TLS handshake record");
    assert!(!contains(&upstream, b"secret"), "request sent in clear");
}

#[test]
fn https_through_tunnel_untrusted_origin_is_a_tls_error() {
    let sim = Sim::new(22);
    let pki = Pki::new(&["origin.test"]);
    let other = Pki::new(&["origin.test"]);
    serve_on(
        &sim,
        "origin.test",
        443,
        ServerConfig::new().tls(pki.server()),
    );
    let relay = serve_connect_relay(&sim, "proxy.test", 3128);
    let tunnel = Tunnel::new(
        &sim.runtime(),
        ProxyServer::parse("proxy.test:3128").unwrap(),
        CacheConfig::new().connection(trusting(&other)),
    );
    let e = sim.block_on(async { tunnel.call(get("https://origin.test/")).await.unwrap_err() });
    assert_eq!(
        e.kind(),
        &ErrorKind::Tls(TlsFailure::UntrustedCertificate),
        "{e}"
    );
    assert_eq!(*relay.connects.lock().unwrap(), vec!["origin.test:443"]);
}
