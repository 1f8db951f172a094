//! `proxy_*`: a direct proxy gets absolute-form targets; a `CONNECT` tunnel is set up
//! (proxy headers on `CONNECT` only) and requests ride it; a refused `CONNECT` fails with
//! the proxy's status; `Proxy` routes by scheme, default proxy and `no_proxy`.

mod cache_support;

use std::sync::{Arc, Mutex};

use cache_support::{echo_handler, serve, tunnel_handler};
use cohttp_core::client::Cache;
use cohttp_core::client::{
    CacheConfig, Call, NoProxy, Proxy, ProxyConfig, ProxyRoute, ProxyServer, Tunnel, TunnelTls,
};
use cohttp_core::runtime::{BoxFuture, BoxTransport};
use cohttp_core::{Body, ErrorKind, Result};
use cohttp_mock::Sim;
use http::header::{HeaderMap, HeaderValue, PROXY_AUTHORIZATION};
use http::{Method, Request, StatusCode, Uri};

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

async fn text(c: &dyn Call, uri: &str) -> String {
    let r = c.call(get(uri)).await.expect("response");
    r.into_body().to_string().await.unwrap()
}

fn auth_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        PROXY_AUTHORIZATION,
        HeaderValue::from_static("Basic dGVzdDp0ZXN0"),
    );
    h
}

#[test]
fn proxy_direct_uses_absolute_form_with_proxy_headers() {
    let sim = Sim::new(1);
    let proxy = serve(&sim, "proxy.test", 3128, echo_handler());
    let config = CacheConfig::new()
        .proxy(ProxyServer::parse("proxy.test:3128").unwrap())
        .proxy_headers(auth_headers());
    let cache = Cache::new(&sim.runtime(), config);
    sim.block_on(async {
        assert_eq!(text(&cache, "http://origin.test/a?q=1").await, "GET /a?q=1");
        assert_eq!(text(&cache, "http://other.test:8080/b").await, "GET /b");
    });
    let seen = proxy.seen();
    assert_eq!(seen[0].target, "http://origin.test/a?q=1");
    assert_eq!(seen[0].headers["host"], "origin.test");
    assert_eq!(seen[0].headers[PROXY_AUTHORIZATION], "Basic dGVzdDp0ZXN0");
    assert_eq!(seen[1].target, "http://other.test:8080/b");
    assert_eq!(seen[1].headers["host"], "other.test:8080");
    // Both origins share the connections to the proxy.
    assert_eq!(proxy.accepted(), 1);
}

#[test]
fn proxy_direct_credentials_become_proxy_authorization() {
    let sim = Sim::new(2);
    let proxy = serve(&sim, "proxy.test", 3128, echo_handler());
    let server = ProxyServer::parse("http://user:pa%3Ass@proxy.test:3128").unwrap();
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().proxy(server));
    sim.block_on(async { text(&cache, "http://origin.test/").await });
    // base64("user:pa:ss")
    assert_eq!(
        proxy.seen()[0].headers[PROXY_AUTHORIZATION],
        "Basic dXNlcjpwYTpzcw=="
    );
}

#[test]
fn proxy_connect_tunnel_established_then_requests_ride_it() {
    let sim = Sim::new(3);
    let proxy = serve(
        &sim,
        "proxy.test",
        3128,
        tunnel_handler(200, echo_handler()),
    );
    let config = CacheConfig::new().proxy_headers(auth_headers()).parallel(1);
    let tunnel = Tunnel::new(
        &sim.runtime(),
        ProxyServer::parse("proxy.test:3128").unwrap(),
        config,
    );
    sim.block_on(async {
        assert_eq!(text(&tunnel, "http://origin.test/a").await, "GET /a");
        assert_eq!(text(&tunnel, "http://origin.test/b").await, "GET /b");
    });
    let seen = proxy.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].method, Method::CONNECT);
    assert_eq!(seen[0].target, "origin.test:80");
    assert_eq!(seen[0].headers["host"], "origin.test:80");
    assert_eq!(seen[0].headers[PROXY_AUTHORIZATION], "Basic dGVzdDp0ZXN0");
    // Inside the tunnel: origin form, no proxy headers, same connection.
    for s in &seen[1..] {
        assert_eq!(s.method, Method::GET);
        assert!(s.target.starts_with('/'), "{}", s.target);
        assert!(!s.headers.contains_key(PROXY_AUTHORIZATION));
        assert_eq!(s.headers["host"], "origin.test");
        assert_eq!(s.conn, 0);
    }
    assert_eq!(proxy.accepted(), 1);
}

#[test]
fn proxy_connect_one_tunnel_per_destination() {
    let sim = Sim::new(4);
    let proxy = serve(
        &sim,
        "proxy.test",
        3128,
        tunnel_handler(200, echo_handler()),
    );
    let tunnel = Tunnel::new(
        &sim.runtime(),
        ProxyServer::parse("proxy.test:3128").unwrap(),
        CacheConfig::new(),
    );
    sim.block_on(async {
        for _ in 0..2 {
            text(&tunnel, "http://a.test/").await;
            text(&tunnel, "http://b.test:8080/").await;
        }
    });
    let connects: Vec<String> = proxy
        .seen()
        .iter()
        .filter(|s| s.method == Method::CONNECT)
        .map(|s| s.target.clone())
        .collect();
    assert_eq!(connects, ["a.test:80", "b.test:8080"]);
}

#[test]
fn proxy_connect_refused_fails_with_the_status() {
    let sim = Sim::new(5);
    serve(
        &sim,
        "proxy.test",
        3128,
        tunnel_handler(407, echo_handler()),
    );
    let tunnel = Tunnel::new(
        &sim.runtime(),
        ProxyServer::parse("proxy.test:3128").unwrap(),
        CacheConfig::new(),
    );
    let err = sim.block_on(async { tunnel.call(get("http://origin.test/")).await.unwrap_err() });
    assert_eq!(
        err.kind(),
        &ErrorKind::Proxy(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
    );
}

#[test]
fn proxy_connect_https_is_never_sent_in_clear() {
    // This proxy answers as a clear-text origin inside the tunnel: the default TLS
    // (feature `tls`) starts a handshake it cannot finish, and the call fails without a
    // request ever going through in clear.
    let sim = Sim::new(6);
    let proxy = serve(
        &sim,
        "proxy.test",
        3128,
        tunnel_handler(200, echo_handler()),
    );
    let tunnel = Tunnel::new(
        &sim.runtime(),
        ProxyServer::parse("proxy.test:3128").unwrap(),
        CacheConfig::new(),
    );
    let err = sim.block_on(async { tunnel.call(get("https://origin.test/")).await.unwrap_err() });
    assert!(
        matches!(err.kind(), ErrorKind::Io | ErrorKind::Tls(_)),
        "{err}"
    );
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "only CONNECT reached the proxy");
    assert_eq!(seen[0].method, Method::CONNECT);
    assert_eq!(seen[0].target, "origin.test:443");
}

/// The TLS seam in tests: no encryption, but records the names it was asked for.
struct PassThrough(Arc<Mutex<Vec<String>>>);

impl TunnelTls for PassThrough {
    fn wrap(&self, host: &str, stream: BoxTransport) -> BoxFuture<'static, Result<BoxTransport>> {
        self.0.lock().unwrap().push(host.to_string());
        Box::pin(async move { Ok(stream) })
    }
}

fn routing_config() -> ProxyConfig {
    ProxyConfig::new()
        .scheme_proxy("http", "fwd.test:3128")
        .unwrap()
        .scheme_proxy("https", "tun.test:3128")
        .unwrap()
        .default_proxy("all.test:1080")
        .unwrap()
        .no_proxy(NoProxy::parse(
            "direct.test, .corp.test, internal.test:8080, 10.0.0.0/8, 192.168.1.7, ::1",
        ))
        .proxy_header(
            PROXY_AUTHORIZATION,
            HeaderValue::from_static("Basic dGVzdDp0ZXN0"),
        )
}

#[test]
fn proxy_no_proxy_patterns_choose_correctly() {
    let sim = Sim::new(7);
    let proxy = Proxy::new(&sim.runtime(), routing_config(), CacheConfig::new());
    let route = |u: &str| proxy.route_of(&u.parse::<Uri>().unwrap());
    let fwd = ProxyRoute::Forward(ProxyServer::parse("fwd.test:3128").unwrap());
    let tun = ProxyRoute::Tunnel(ProxyServer::parse("tun.test:3128").unwrap());
    let all = ProxyRoute::Forward(ProxyServer::parse("all.test:1080").unwrap());
    // Exact host.
    assert_eq!(route("http://direct.test/"), ProxyRoute::Direct);
    assert_eq!(route("https://direct.test/"), ProxyRoute::Direct);
    assert_eq!(route("http://www.direct.test/"), ProxyRoute::Direct);
    assert_eq!(route("http://nondirect.test/"), fwd);
    // Leading-dot domain.
    assert_eq!(route("http://corp.test/"), ProxyRoute::Direct);
    assert_eq!(route("http://a.b.corp.test/"), ProxyRoute::Direct);
    assert_eq!(route("http://acorp.test/"), fwd);
    // With a port.
    assert_eq!(route("http://internal.test:8080/"), ProxyRoute::Direct);
    assert_eq!(route("http://internal.test/"), fwd);
    // IP literals and CIDR.
    assert_eq!(route("http://10.20.30.40/"), ProxyRoute::Direct);
    assert_eq!(route("http://11.0.0.1/"), fwd);
    assert_eq!(route("http://192.168.1.7:9000/"), ProxyRoute::Direct);
    assert_eq!(route("http://192.168.1.8/"), fwd);
    assert_eq!(route("http://[::1]:8080/"), ProxyRoute::Direct);
    assert_eq!(route("http://[::2]/"), fwd);
    // Scheme proxies beat the default; https tunnels; other schemes use the default.
    assert_eq!(route("https://example.test/"), tun);
    assert_eq!(route("ws://example.test/"), all);
    // `*` exempts everything.
    let star = Proxy::new(
        &sim.runtime(),
        routing_config().no_proxy(NoProxy::parse("*")),
        CacheConfig::new(),
    );
    assert_eq!(
        star.route_of(&"https://example.test/".parse().unwrap()),
        ProxyRoute::Direct
    );
}

#[test]
fn proxy_routes_requests_on_the_wire() {
    let sim = Sim::new(8);
    let direct = serve(&sim, "direct.test", 80, echo_handler());
    let fwd = serve(&sim, "fwd.test", 3128, echo_handler());
    let tun = serve(&sim, "tun.test", 3128, tunnel_handler(200, echo_handler()));
    let all = serve(&sim, "all.test", 1080, echo_handler());
    let names = Arc::new(Mutex::new(Vec::new()));
    let proxy = Proxy::with_tls(
        &sim.runtime(),
        routing_config(),
        CacheConfig::new(),
        Arc::new(PassThrough(names.clone())),
    );
    sim.block_on(async {
        assert_eq!(text(&proxy, "http://direct.test/d").await, "GET /d");
        assert_eq!(text(&proxy, "http://origin.test/f").await, "GET /f");
        assert_eq!(text(&proxy, "https://secure.test/t").await, "GET /t");
        assert_eq!(text(&proxy, "ws://sock.test/w").await, "GET /w");
    });
    // Direct: origin form, no proxy header.
    let d = &direct.seen()[0];
    assert_eq!(d.target, "/d");
    assert!(!d.headers.contains_key(PROXY_AUTHORIZATION));
    // Forward proxy: absolute form, with the proxy header.
    let f = &fwd.seen()[0];
    assert_eq!(f.target, "http://origin.test/f");
    assert!(f.headers.contains_key(PROXY_AUTHORIZATION));
    // Tunnel: CONNECT with the proxy header, then origin form without it, through TLS.
    let t = tun.seen();
    assert_eq!(
        (t[0].method.clone(), t[0].target.as_str()),
        (Method::CONNECT, "secure.test:443")
    );
    assert!(t[0].headers.contains_key(PROXY_AUTHORIZATION));
    assert_eq!(t[1].target, "/t");
    assert!(!t[1].headers.contains_key(PROXY_AUTHORIZATION));
    assert_eq!(*names.lock().unwrap(), ["secure.test"]);
    // Default proxy for a scheme without its own.
    assert_eq!(all.seen()[0].target, "ws://sock.test/w");
}

#[test]
fn proxy_from_env_routes_like_curl() {
    let sim = Sim::new(9);
    let fwd = serve(&sim, "envproxy.test", 3128, echo_handler());
    let direct = serve(&sim, "local.test", 80, echo_handler());
    let config = ProxyConfig::from_vars([
        ("HTTP_PROXY", "ignored.test:1"),
        ("http_proxy", "http://envproxy.test:3128"),
        ("NO_PROXY", "local.test"),
    ])
    .unwrap();
    let proxy = Proxy::new(&sim.runtime(), config, CacheConfig::new());
    sim.block_on(async {
        text(&proxy, "http://remote.test/r").await;
        text(&proxy, "http://local.test/l").await;
    });
    assert_eq!(fwd.seen()[0].target, "http://remote.test/r");
    assert_eq!(direct.seen()[0].target, "/l");
}
