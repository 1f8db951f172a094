//! `ForwardProxy` on the mock backend: forwarding with hop-by-hop fields removed and
//! `Via` added both ways, request bodies streamed up, `400` for targets a proxy cannot
//! serve, `502` for unreachable upstreams, `508` for loops, and `CONNECT` tunnels that
//! pipe bytes both ways with half-closes propagated and an idle bound.

mod server_support;

use std::net::SocketAddr;
use std::time::Duration;

use cohttp_core::proxy::ForwardProxy;
use cohttp_core::runtime::{Addr, Ctx, Endpoint};
use cohttp_core::server::{respond, serve, ConnInfo};
use cohttp_core::{Body, Error};
use cohttp_mock::Sim;
use futures_util::{AsyncReadExt, AsyncWriteExt};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use server_support::*;

/// The address `host:port` has in the mock world.
fn tcp(sim: &Sim, host: &str, port: u16) -> SocketAddr {
    SocketAddr::new(sim.net().address_of(host), port)
}

/// Starts an origin server on `origin.test:80` that answers with the request's headers
/// (sorted `name: value` lines) and body, and with hop-by-hop fields of its own.
fn start_origin(sim: &Sim) {
    let rt = sim.runtime();
    let addr = Addr::Tcp(tcp(sim, "origin.test", 80));
    let handler = |_: ConnInfo, req: Request<()>, body: Body| async move {
        let mut lines: Vec<String> = req
            .headers()
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("?")))
            .collect();
        lines.sort();
        let text = body.to_string().await?;
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("x-hop"));
        h.insert("x-hop", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-end", HeaderValue::from_static("2"));
        let answer = format!(
            "{} {}\n{}\n\n{text}",
            req.method(),
            req.uri(),
            lines.join("\n")
        );
        Ok::<_, Error>(respond(StatusCode::OK, h, answer))
    };
    sim.spawn(async move {
        let _ = serve(&rt, addr, handler, config(), std::future::pending()).await;
    });
    sim.run_until_idle();
}

fn proxy(sim: &Sim) -> TestServer {
    let proxy = ForwardProxy::new(&sim.runtime()).pseudonym("test-proxy");
    TestServer::start(sim, "proxy", proxy, config())
}

/// Sends raw `bytes` to the proxy and reads one response to `method`.
fn ask(sim: &Sim, server: &TestServer, bytes: &str, method: &Method) -> Raw {
    sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, bytes.as_bytes()).await;
        Reader::new()
            .response(&mut io, method)
            .await
            .expect("a response")
    })
}

#[test]
fn forwarding_removes_hop_by_hop_fields_and_adds_via_both_ways() {
    let sim = Sim::new(11);
    start_origin(&sim);
    let server = proxy(&sim);
    let r = ask(
        &sim,
        &server,
        "GET http://origin.test/a?b=1 HTTP/1.1\r\nHost: origin.test\r\n\
         Connection: keep-alive, X-Drop\r\nX-Drop: secret\r\nKeep-Alive: 5\r\n\
         Proxy-Authorization: Basic eDp5\r\nTE: trailers\r\nX-Keep: 2\r\n\
         Via: 1.0 earlier\r\n\r\n",
        &Method::GET,
    );
    assert_eq!(r.status, StatusCode::OK);
    let (seen, _) = r.body.split_once("\n\n").unwrap();
    let seen: Vec<&str> = seen.lines().collect();
    assert_eq!(seen[0], "GET /a?b=1");
    assert!(seen.contains(&"host: origin.test"), "{seen:?}");
    assert!(seen.contains(&"x-keep: 2"), "{seen:?}");
    assert!(seen.contains(&"via: 1.0 earlier"), "{seen:?}");
    assert!(seen.contains(&"via: 1.1 test-proxy"), "{seen:?}");
    for gone in ["x-drop", "keep-alive", "proxy-authorization", "te:"] {
        assert!(
            !seen.iter().any(|l| l.starts_with(gone)),
            "{gone} forwarded: {seen:?}"
        );
    }
    assert_eq!(r.headers["via"], "1.1 test-proxy");
    assert_eq!(r.headers["x-end"], "2");
    assert!(r.headers.get("x-hop").is_none());
    assert!(r.headers.get("keep-alive").is_none());
}

#[test]
fn request_bodies_are_streamed_to_the_upstream() {
    let sim = Sim::new(12);
    start_origin(&sim);
    let server = proxy(&sim);
    let r = ask(
        &sim,
        &server,
        "POST http://origin.test/up HTTP/1.1\r\nHost: origin.test\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        &Method::POST,
    );
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with("POST /up\n"), "{}", r.body);
    assert!(r.body.ends_with("\n\nhello world"), "{}", r.body);
}

#[test]
fn targets_a_proxy_cannot_serve_get_400() {
    let sim = Sim::new(13);
    let server = proxy(&sim);
    let origin_form = ask(
        &sim,
        &server,
        "GET /local HTTP/1.1\r\nHost: x\r\n\r\n",
        &Method::GET,
    );
    assert_eq!(origin_form.status, StatusCode::BAD_REQUEST);
    let ftp = ask(
        &sim,
        &server,
        "GET ftp://files.test/a HTTP/1.1\r\nHost: files.test\r\n\r\n",
        &Method::GET,
    );
    assert_eq!(ftp.status, StatusCode::BAD_REQUEST);
    // A CONNECT without a port is refused by the parser before the proxy sees it.
    let connect = ask(
        &sim,
        &server,
        "CONNECT origin.test HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        &Method::CONNECT,
    );
    assert_eq!(connect.status, StatusCode::BAD_REQUEST);
}

#[test]
fn unreachable_upstreams_get_502() {
    let sim = Sim::new(14);
    let server = proxy(&sim);
    let plain = ask(
        &sim,
        &server,
        "GET http://down.test/ HTTP/1.1\r\nHost: down.test\r\n\r\n",
        &Method::GET,
    );
    assert_eq!(plain.status, StatusCode::BAD_GATEWAY);
    assert!(plain.body.contains("down.test"), "{}", plain.body);
    let tunnel = ask(
        &sim,
        &server,
        "CONNECT down.test:443 HTTP/1.1\r\nHost: down.test:443\r\n\r\n",
        &Method::CONNECT,
    );
    assert_eq!(tunnel.status, StatusCode::BAD_GATEWAY);
}

#[test]
fn loops_through_the_proxy_get_508() {
    let sim = Sim::new(15);
    start_origin(&sim);
    let rt = sim.runtime();
    // The proxy on a TCP address, so that it knows its own address.
    let own = tcp(&sim, "proxy.test", 3128);
    let handler = ForwardProxy::new(&rt).pseudonym("me");
    {
        let rt = rt.clone();
        sim.spawn(async move {
            let _ = serve(
                &rt,
                Addr::Tcp(own),
                handler,
                config(),
                std::future::pending(),
            )
            .await;
        });
    }
    sim.run_until_idle();
    let endpoint = Endpoint::Tcp {
        host: "proxy.test".into(),
        port: 3128,
        addrs: vec![own],
    };
    let (via, connect) = sim.block_on(async {
        let mut io = rt.connect(&Ctx::new(), &endpoint).await.unwrap();
        send(&mut io, b"GET http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\nVia: 1.1 other, 1.1 me\r\n\r\n").await;
        let mut r = Reader::new();
        let via = r.response(&mut io, &Method::GET).await.unwrap();
        let target = format!("CONNECT {own} HTTP/1.1\r\nHost: {own}\r\n\r\n");
        send(&mut io, target.as_bytes()).await;
        let connect = r.response(&mut io, &Method::CONNECT).await.unwrap();
        (via, connect)
    });
    assert_eq!(via.status, StatusCode::LOOP_DETECTED);
    assert_eq!(connect.status, StatusCode::LOOP_DETECTED);
}

#[test]
fn connect_tunnel_pipes_both_ways_and_propagates_half_close() {
    let sim = Sim::new(16);
    let rt = sim.runtime();
    // A raw upstream: reads until the client's end of stream, then answers and closes.
    let upstream = tcp(&sim, "raw.test", 7000);
    {
        let rt = rt.clone();
        sim.spawn(async move {
            let mut listener = rt.listen(Addr::Tcp(upstream)).await.unwrap();
            let (mut io, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            io.read_to_end(&mut got).await.unwrap();
            let answer = format!("got {} bytes: {}", got.len(), String::from_utf8_lossy(&got));
            io.write_all(answer.as_bytes()).await.unwrap();
            io.close().await.unwrap();
        });
    }
    sim.run_until_idle();
    let server = proxy(&sim);
    let (head, answer) = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"CONNECT raw.test:7000 HTTP/1.1\r\nHost: raw.test:7000\r\n\r\n",
        )
        .await;
        let head = Reader::new()
            .response(&mut io, &Method::CONNECT)
            .await
            .unwrap();
        io.write_all(b"ping over the tunnel").await.unwrap();
        // Half-close: the upstream sees the end of stream and only then answers.
        io.close().await.unwrap();
        let mut answer = String::new();
        io.read_to_string(&mut answer).await.unwrap();
        (head, answer)
    });
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.headers.get("content-length").is_none());
    assert_eq!(answer, "got 20 bytes: ping over the tunnel");
}

#[test]
fn idle_tunnels_are_closed_after_the_idle_timeout() {
    let sim = Sim::new(17);
    let rt = sim.runtime();
    let upstream = tcp(&sim, "quiet.test", 7001);
    {
        let rt = rt.clone();
        sim.spawn(async move {
            let mut listener = rt.listen(Addr::Tcp(upstream)).await.unwrap();
            let (mut io, _) = listener.accept().await.unwrap();
            // Never writes; reads until the tunnel goes away.
            let mut sink = Vec::new();
            let _ = io.read_to_end(&mut sink).await;
        });
    }
    sim.run_until_idle();
    let proxy = ForwardProxy::new(&rt).tunnel_idle_timeout(Duration::from_secs(10));
    let server = TestServer::start(&sim, "proxy", proxy, config());
    let (status, rest, elapsed) = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"CONNECT quiet.test:7001 HTTP/1.1\r\nHost: quiet.test:7001\r\n\r\n",
        )
        .await;
        let head = Reader::new()
            .response(&mut io, &Method::CONNECT)
            .await
            .unwrap();
        let start = sim.elapsed();
        let mut rest = Vec::new();
        let _ = io.read_to_end(&mut rest).await;
        (head.status, rest, sim.elapsed() - start)
    });
    assert_eq!(status, StatusCode::OK);
    assert!(rest.is_empty());
    assert_eq!(elapsed, Duration::from_secs(10));
}

#[test]
fn an_upstream_that_does_not_answer_in_time_gets_504() {
    let sim = Sim::new(18);
    let rt = sim.runtime();
    let slow = Addr::Tcp(tcp(&sim, "slow.test", 80));
    let handler = |_: ConnInfo, _: Request<()>, _: Body| async move {
        std::future::pending::<()>().await;
        Ok::<_, Error>(respond(StatusCode::OK, HeaderMap::new(), "late"))
    };
    {
        let rt = rt.clone();
        sim.spawn(async move {
            let _ = serve(&rt, slow, handler, config(), std::future::pending()).await;
        });
    }
    sim.run_until_idle();
    let proxy = ForwardProxy::new(&rt).response_timeout(Duration::from_secs(5));
    let server = TestServer::start(&sim, "proxy", proxy, config());
    let start = sim.elapsed();
    let r = ask(
        &sim,
        &server,
        "GET http://slow.test/ HTTP/1.1\r\nHost: slow.test\r\n\r\n",
        &Method::GET,
    );
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(sim.elapsed() - start, Duration::from_secs(5));
}
