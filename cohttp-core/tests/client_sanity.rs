//! `sanity_*`: the basic client scenarios of the seed's test suite, on cohttp-mock.

mod common;

use cohttp_core::client::{Client, Connection, ConnectionConfig};
use cohttp_core::runtime::{Ctx, Endpoint};
use cohttp_core::Body;
use cohttp_mock::Sim;
use common::{chunked_response, handler, response, start_server, Options, Reply, Req};
use futures_util::StreamExt;
use http::{Method, Request};

fn ctx(name: &str) -> Ctx {
    Ctx::new().with_override("app.test", Endpoint::Named(name.into()))
}

fn req(method: Method, path: &str) -> Request<Body> {
    let mut r = Request::new(Body::empty());
    *r.method_mut() = method;
    *r.uri_mut() = path.parse().unwrap();
    r
}

#[test]
fn sanity_get_string_body() {
    let sim = Sim::new(10);
    let rt = sim.runtime();
    let body = sim.block_on(async {
        let h = handler(|r: &Req| {
            assert_eq!(r.target, "/hello");
            assert_eq!(r.headers["host"], "app.test");
            Reply::Raw(response(200, &[], b"Hello, world"))
        });
        start_server(&rt, "app", h, Options::default()).await;
        let client = Client::new(&rt).connection_config(ConnectionConfig::new().ctx(ctx("app")));
        let res = client.get("http://app.test/hello").await.unwrap();
        assert_eq!(res.status(), 200);
        res.into_body().to_string().await.unwrap()
    });
    assert_eq!(body, "Hello, world");
}

fn head_get_head_handler() -> common::Handler {
    handler(|r: &Req| match r.method {
        Method::HEAD => Reply::Raw(response(200, &[("content-length", "7")], b"")),
        _ => Reply::Raw(chunked_response(200, &[b"one", b"", b" ", b"bar", b""])),
    })
}

#[test]
fn sanity_callv_pipelined_head_get_head() {
    let sim = Sim::new(11);
    let rt = sim.runtime();
    let bodies = sim.block_on(async {
        start_server(&rt, "app", head_get_head_handler(), Options::default()).await;
        let client = Client::new(&rt).connection_config(ConnectionConfig::new().ctx(ctx("app")));
        let reqs = futures_util::stream::iter(vec![
            req(Method::HEAD, "/"),
            req(Method::GET, "/"),
            req(Method::HEAD, "/"),
        ]);
        let uri: http::Uri = "http://app.test/".parse().unwrap();
        let mut responses = client.callv(&uri, reqs).unwrap();
        let mut bodies = Vec::new();
        while let Some(res) = responses.next().await {
            let res = res.unwrap();
            assert_eq!(res.status(), 200);
            bodies.push(res.into_body().to_string().await.unwrap());
        }
        bodies
    });
    assert_eq!(bodies, vec!["", "one bar", ""]);
    assert_eq!(sim.net().connections().len(), 1, "one pipelined connection");
}

#[test]
fn sanity_callv_interleaved_third_request_after_second_response() {
    let sim = Sim::new(12);
    let rt = sim.runtime();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    sim.block_on(async {
        let h = handler(move |r: &Req| {
            seen2.lock().unwrap().push(r.target.clone());
            Reply::Raw(response(200, &[], r.target.as_bytes()))
        });
        start_server(&rt, "app", h, Options::default()).await;
        let client = Client::new(&rt).connection_config(ConnectionConfig::new().ctx(ctx("app")));
        let (tx, rx) = futures_channel::mpsc::unbounded();
        tx.unbounded_send(req(Method::GET, "/1")).unwrap();
        tx.unbounded_send(req(Method::GET, "/2")).unwrap();
        let uri: http::Uri = "http://app.test/".parse().unwrap();
        let mut responses = client.callv(&uri, rx).unwrap();
        let r1 = responses.next().await.unwrap().unwrap();
        assert_eq!(r1.into_body().to_string().await.unwrap(), "/1");
        let r2 = responses.next().await.unwrap().unwrap();
        assert_eq!(r2.into_body().to_string().await.unwrap(), "/2");
        assert_eq!(seen.lock().unwrap().len(), 2);
        tx.unbounded_send(req(Method::GET, "/3")).unwrap();
        drop(tx);
        let r3 = responses.next().await.unwrap().unwrap();
        assert_eq!(r3.into_body().to_string().await.unwrap(), "/3");
        assert!(responses.next().await.is_none());
    });
    assert_eq!(*seen.lock().unwrap(), vec!["/1", "/2", "/3"]);
    assert_eq!(sim.net().connections().len(), 1);
}

#[test]
fn sanity_chunked_response_of_64000_bytes_in_1000_chunks() {
    let sim = Sim::new(13);
    let rt = sim.runtime();
    let body = sim.block_on(async {
        let h = handler(|_: &Req| {
            let chunk = [b'x'; 64];
            let chunks: Vec<&[u8]> = (0..1000).map(|_| &chunk[..]).collect();
            Reply::Raw(chunked_response(200, &chunks))
        });
        start_server(&rt, "app", h, Options::default()).await;
        let client = Client::new(&rt).connection_config(ConnectionConfig::new().ctx(ctx("app")));
        let res = client.get("http://app.test/big").await.unwrap();
        res.into_body().to_bytes().await.unwrap()
    });
    assert_eq!(body.len(), 64_000);
    assert!(body.iter().all(|&b| b == b'x'));
}

#[test]
fn sanity_1024_head_then_get_with_body_drained_logs_no_warning() {
    let sim = Sim::new(14);
    let rt = sim.runtime();
    let logs = cohttp_mock::capture_logs();
    sim.block_on(async {
        start_server(&rt, "app", head_get_head_handler(), Options::default()).await;
        let conn = Connection::create(&rt, Endpoint::Named("app".into()), ConnectionConfig::new());
        for _ in 0..1024 {
            let head = conn.call(req(Method::HEAD, "/")).await.unwrap();
            head.into_body().drain().await.unwrap();
            let get = conn.call(req(Method::GET, "/")).await.unwrap();
            get.into_body().drain().await.unwrap();
        }
        assert_eq!(conn.persistent(), Some(true));
    });
    let warnings: Vec<_> = logs
        .take()
        .into_iter()
        .filter(|r| r.0 <= log::Level::Warn)
        .collect();
    assert!(warnings.is_empty(), "unexpected warnings: {warnings:?}");
    assert_eq!(sim.net().connections().len(), 1);
}

#[test]
fn sanity_two_raw_chunked_responses_from_an_expert_server() {
    let sim = Sim::new(15);
    let rt = sim.runtime();
    let bodies = sim.block_on(async {
        // The server answers both pipelined requests in one raw write when it reads the first.
        let h = handler(|r: &Req| {
            if r.index == 0 {
                let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                    3\r\none\r\n4\r\n bar\r\n0\r\n\r\n\
                    HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                    5\r\nsecon\r\n1\r\nd\r\n0\r\n\r\n";
                Reply::Raw(raw.to_vec())
            } else {
                Reply::Nothing
            }
        });
        start_server(&rt, "app", h, Options::default()).await;
        let conn = common::persistent_app_connection(&rt);
        let a = conn.call(req(Method::GET, "/a"));
        let b = conn.call(req(Method::GET, "/b"));
        let a = a.await.unwrap().into_body().to_string().await.unwrap();
        let b = b.await.unwrap().into_body().to_string().await.unwrap();
        vec![a, b]
    });
    assert_eq!(bodies, vec!["one bar", "second"]);
}

#[test]
fn sanity_host_follows_each_request_uri_on_one_connection() {
    // The writer keeps the `Host` value derived from the last URI for the next requests
    // with the same scheme and authority: each request must still get its own.
    let sim = Sim::new(14);
    let rt = sim.runtime();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    sim.block_on(async {
        let h = handler(move |r: &Req| {
            let hosts: Vec<String> = r
                .headers
                .get_all("host")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect();
            seen2.lock().unwrap().push(hosts.join(","));
            Reply::Raw(response(200, &[], b"ok"))
        });
        start_server(&rt, "app", h, Options::default()).await;
        let client = Client::new(&rt).connection_config(ConnectionConfig::new().ctx(ctx("app")));
        let mut given = req(Method::GET, "http://app.test:8080/d");
        given
            .headers_mut()
            .insert("host", http::HeaderValue::from_static("given.test"));
        let reqs = futures_util::stream::iter(vec![
            req(Method::GET, "http://app.test:8080/a"),
            req(Method::GET, "http://app.test:8080/b"),
            req(Method::GET, "http://app.test/c"),
            given,
            req(Method::GET, "/e"),
            req(Method::GET, "http://other.test:080/f"),
            req(Method::GET, "http://other.test:80/g"),
            req(Method::GET, "http://user@app.test:8080/h"),
            req(Method::GET, "http://app.test:8080/i"),
            // Same authority but for case: `Host` goes out as written.
            req(Method::GET, "http://APP.test:8080/j"),
        ]);
        let uri: http::Uri = "http://app.test/".parse().unwrap();
        let mut responses = client.callv(&uri, reqs).unwrap();
        while let Some(res) = responses.next().await {
            assert_eq!(res.unwrap().into_body().to_string().await.unwrap(), "ok");
        }
    });
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "app.test:8080",
            "app.test:8080",
            "app.test",
            "given.test",
            "app.test",
            "other.test",
            "other.test",
            "app.test:8080",
            "app.test:8080",
            "APP.test:8080",
        ]
    );
    assert_eq!(sim.net().connections().len(), 1);
}
