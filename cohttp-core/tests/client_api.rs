//! `client_*`: the high-level `Client` — body framing (`Chunked` on/off/auto), `post_form`,
//! refusal of requests that cannot be sent (before anything goes out), and its timeouts.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cohttp_core::client::{Chunked, Client, ConnectionConfig, TargetForm};
use cohttp_core::runtime::{Ctx, Endpoint};
use cohttp_core::{Body, Error, ErrorKind, Malformed};
use cohttp_mock::Sim;
use common::{handler, response, start_server, Options, Reply, Req};
use http::{HeaderMap, Method};

fn client(rt: &cohttp_core::Runtime) -> Client {
    let ctx = Ctx::new().with_override("app.test", Endpoint::Named("app".into()));
    Client::new(rt).connection_config(ConnectionConfig::new().ctx(ctx))
}

fn recorder() -> (common::Handler, Arc<Mutex<Vec<Req>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let h = handler(move |r: &Req| {
        s2.lock().unwrap().push(r.clone());
        Reply::Raw(response(200, &[], b"done"))
    });
    (h, seen)
}

fn stream_body() -> Body {
    Body::from_stream(futures_util::stream::iter(vec![
        Ok::<_, Error>(Bytes::from_static(b"x=")),
        Ok(Bytes::from_static(b"1")),
    ]))
}

#[test]
fn client_chunked_on_off_auto_frame_the_body_as_asked() {
    let sim = Sim::new(40);
    let rt = sim.runtime();
    let (h, seen) = recorder();
    sim.block_on(async {
        start_server(&rt, "app", h, Options::default()).await;
        let c = client(&rt);
        let uri = "http://app.test/f";
        for (body, chunked) in [
            (Body::from("x=1"), Chunked::Auto),
            (Body::from("x=1"), Chunked::On),
            (stream_body(), Chunked::Off),
            (stream_body(), Chunked::Auto),
        ] {
            let res = c
                .call(Method::PUT, uri, HeaderMap::new(), body, chunked)
                .await
                .unwrap();
            res.into_body().drain().await.unwrap();
        }
    });
    let seen = seen.lock().unwrap();
    let te = |r: &Req| r.headers.contains_key("transfer-encoding");
    let cl = |r: &Req| {
        r.headers
            .get("content-length")
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(cl(&seen[0]).as_deref(), Some("3"));
    // On: chunked only once persistence is known; a non-persistent connection measures it.
    assert!(!te(&seen[1]) && cl(&seen[1]).as_deref() == Some("3"));
    assert_eq!(cl(&seen[2]).as_deref(), Some("3"));
    assert_eq!(cl(&seen[3]).as_deref(), Some("3"));
    for r in seen.iter() {
        assert_eq!(r.body, "x=1");
        assert_eq!(
            r.headers["connection"], "close",
            "no cache: one request per connection"
        );
    }
}

#[test]
fn client_post_form_sends_urlencoded_body() {
    let sim = Sim::new(41);
    let rt = sim.runtime();
    let (h, seen) = recorder();
    sim.block_on(async {
        start_server(&rt, "app", h, Options::default()).await;
        let res = client(&rt)
            .post_form(
                "http://app.test/form",
                &[("a", &["1", "2"][..]), ("b", &["x y"][..])],
            )
            .await
            .unwrap();
        assert_eq!(res.into_body().to_string().await.unwrap(), "done");
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].method, Method::POST);
    assert_eq!(seen[0].body, "a=1&a=2&b=x+y");
    assert_eq!(
        seen[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
}

#[test]
fn client_refuses_an_unsendable_target_before_connecting() {
    let sim = Sim::new(42);
    let rt = sim.runtime();
    sim.block_on(async {
        let c = client(&rt);
        // No host: nowhere to connect.
        let e = c.get("/relative").await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::InvalidUri));
        // Absolute-form asked for a URI without a scheme.
        let mut req = http::Request::get("/x").body(Body::empty()).unwrap();
        req.extensions_mut().insert(TargetForm::Absolute);
        let e = c.request(req).await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::InvalidUri));
        // An unparseable URI.
        let e = c.get("http://app.test/a b").await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Malformed(Malformed::InvalidUri));
    });
    assert!(sim.net().connections().is_empty(), "nothing was sent");
}

#[test]
fn client_connection_refused_is_an_io_error() {
    let sim = Sim::new(43);
    let rt = sim.runtime();
    sim.block_on(async {
        let c = client(&rt).connect_timeout(Some(Duration::from_secs(3)));
        // Nobody listens: the mock refuses at once, an I/O error rather than a timeout.
        let e = c.get("http://app.test/").await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Io, "{e}");
    });
}

#[test]
fn client_head_and_total_timeouts_fail_with_timeout() {
    let sim = Sim::new(44);
    let rt = sim.runtime();
    sim.block_on(async {
        let h = handler(|r: &Req| {
            if r.target == "/silent" {
                Reply::Nothing
            } else {
                // A head, then a body that never comes.
                Reply::RawThenStall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec())
            }
        });
        start_server(&rt, "app", h, Options::default()).await;
        let head = client(&rt).head_timeout(Some(Duration::from_secs(2)));
        let e = head.get("http://app.test/silent").await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        let total = client(&rt).total_timeout(Some(Duration::from_secs(5)));
        let e = total.get("http://app.test/silent").await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        let res = total.get("http://app.test/slow-body").await.unwrap();
        let e = res.into_body().to_bytes().await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
    });
    assert!(sim.elapsed() >= Duration::from_secs(12));
}

#[test]
fn call_after_a_failed_connect_gets_the_connect_error() {
    let sim = cohttp_mock::Sim::new(3);
    let rt = sim.runtime();
    sim.block_on(async move {
        let conn = cohttp_core::client::Connection::create(
            &rt,
            cohttp_core::runtime::Endpoint::Named("nobody-listens".into()),
            cohttp_core::client::ConnectionConfig::new(),
        );
        assert!(conn.ready().await.is_err());
        let req = http::Request::get("http://x/")
            .body(cohttp_core::Body::empty())
            .unwrap();
        let e = conn.call(req).await.unwrap_err();
        assert!(!e.is_retry(), "late call got {e}");
        assert!(
            e.to_string()
                .starts_with("could not connect to mem:nobody-listens"),
            "{e}"
        );
    });
}
