//! `pipelining_*`: requests written back to back on one connection in few writes; the first
//! request alone while persistence is unknown; chunked request bodies only once persistence
//! is known; a dropped unread body neither blocks the next response nor goes unnoticed.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cohttp_core::client::{Connection, ConnectionConfig};
use cohttp_core::runtime::Endpoint;
use cohttp_core::{Body, Error};
use cohttp_mock::Sim;
use common::{handler, response, start_server, Options, Reply, Req};
use futures_util::future::join_all;
use http::Request;

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn echo_target() -> common::Handler {
    handler(|r: &Req| Reply::Raw(response(200, &[], r.target.as_bytes())))
}

#[test]
fn pipelining_1000_requests_on_one_connection_in_few_writes() {
    let sim = Sim::new(30);
    let rt = sim.runtime();
    sim.block_on(async {
        start_server(&rt, "app", echo_target(), Options::default()).await;
        let conn = common::persistent_app_connection(&rt);
        let calls: Vec<_> = (0..1000)
            .map(|i| conn.call(get(&format!("/{i}"))))
            .collect();
        assert_eq!(conn.length(), 1000);
        for (i, r) in join_all(calls).await.into_iter().enumerate() {
            let body = r.unwrap().into_body().to_string().await.unwrap();
            assert_eq!(body, format!("/{i}"));
        }
        assert_eq!(conn.length(), 0);
    });
    let conns = sim.net().connections();
    assert_eq!(conns.len(), 1);
    let bound = 1000usize.div_ceil(16) + 4;
    println!(
        "client writes for 1000 pipelined requests: {}",
        conns[0].client_writes
    );
    assert!(
        conns[0].client_writes <= bound,
        "{} writes for 1000 requests (bound {bound})",
        conns[0].client_writes
    );
}

#[test]
fn pipelining_unknown_persistence_writes_the_second_request_after_the_first_head() {
    let sim = Sim::new(31);
    let rt = sim.runtime();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    sim.block_on(async {
        let h = handler(move |r: &Req| {
            s2.lock()
                .unwrap()
                .push((r.conn, r.index, r.buffered_behind));
            Reply::Raw(response(200, &[], b"ok"))
        });
        let slow = Options {
            delay: Some(Duration::from_secs(1)),
        };
        start_server(&rt, "app", h, slow).await;
        // Unknown persistence: nothing is pipelined behind the first request.
        let unknown =
            Connection::create(&rt, Endpoint::Named("app".into()), ConnectionConfig::new());
        let a = unknown.call(get("/a"));
        let b = unknown.call(get("/b"));
        assert_eq!(unknown.persistent(), None);
        a.await.unwrap().into_body().drain().await.unwrap();
        assert_eq!(unknown.persistent(), Some(true));
        b.await.unwrap().into_body().drain().await.unwrap();
        // Known persistent: the second request is behind the first at once (the check works).
        let known = common::persistent_app_connection(&rt);
        let c = known.call(get("/c"));
        let d = known.call(get("/d"));
        c.await.unwrap().into_body().drain().await.unwrap();
        d.await.unwrap().into_body().drain().await.unwrap();
    });
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0],
        (0, 0, 0),
        "unknown: nothing behind the first request"
    );
    assert_eq!((seen[1].0, seen[1].1), (0, 1));
    assert_eq!((seen[2].0, seen[2].1), (1, 0));
    assert!(
        seen[2].2 > 0,
        "known persistent: the second request was pipelined"
    );
}

#[test]
fn pipelining_chunked_request_body_only_once_persistence_is_known() {
    let sim = Sim::new(32);
    let rt = sim.runtime();
    let framing = Arc::new(Mutex::new(Vec::new()));
    let f2 = framing.clone();
    sim.block_on(async {
        let h = handler(move |r: &Req| {
            let how = if r.headers.contains_key("transfer-encoding") {
                "chunked"
            } else if r.headers.contains_key("content-length") {
                "length"
            } else {
                "none"
            };
            f2.lock().unwrap().push((how, r.body.clone()));
            Reply::Raw(response(200, &[], b""))
        });
        start_server(&rt, "app", h, Options::default()).await;
        let conn = Connection::create(&rt, Endpoint::Named("app".into()), ConnectionConfig::new());
        let stream = || {
            Body::from_stream(futures_util::stream::iter(vec![
                Ok::<_, Error>(Bytes::from_static(b"ab")),
                Ok(Bytes::from_static(b"cd")),
            ]))
        };
        let first = conn.call(Request::post("/").body(stream()).unwrap());
        first.await.unwrap().into_body().drain().await.unwrap();
        let second = conn.call(Request::post("/").body(stream()).unwrap());
        second.await.unwrap().into_body().drain().await.unwrap();
    });
    let framing = framing.lock().unwrap();
    assert_eq!(framing[0], ("length", Bytes::from_static(b"abcd")));
    assert_eq!(framing[1], ("chunked", Bytes::from_static(b"abcd")));
}

#[test]
fn pipelining_dropped_unread_body_does_not_block_the_next_response_and_warns() {
    let sim = Sim::new(33);
    let rt = sim.runtime();
    let logs = cohttp_mock::capture_logs();
    sim.block_on(async {
        let h = handler(|r: &Req| {
            if r.target == "/big" {
                Reply::Raw(response(200, &[], &[b'x'; 20_000]))
            } else {
                Reply::Raw(response(200, &[], b"next"))
            }
        });
        start_server(&rt, "app", h, Options::default()).await;
        let conn = common::persistent_app_connection(&rt);
        let big = conn.call(get("/big"));
        let next = conn.call(get("/next"));
        drop(big.await.unwrap());
        let body = next.await.unwrap().into_body().to_string().await.unwrap();
        assert_eq!(body, "next");
        assert!(
            !conn.is_closed(),
            "a drain within bounds keeps the connection"
        );
        let again = conn.call(get("/again")).await.unwrap();
        assert_eq!(again.into_body().to_string().await.unwrap(), "next");
    });
    assert!(logs.contains(log::Level::Warn, "dropped unread"));
}

/// The reader hands a finished body's slot to the next body only once its holder let go
/// of it: a body held unread keeps its bytes while later ones come and go, read or not.
#[test]
fn pipelining_a_held_body_keeps_its_bytes_while_later_bodies_come_and_go() {
    let sim = Sim::new(35);
    let rt = sim.runtime();
    sim.block_on(async {
        start_server(&rt, "app", echo_target(), Options::default()).await;
        let conn = common::persistent_app_connection(&rt);
        let held = conn.call(get("/held")).await.unwrap();
        for i in 0..3 {
            let r = conn.call(get(&format!("/{i}"))).await.unwrap();
            assert_eq!(r.into_body().to_string().await.unwrap(), format!("/{i}"));
        }
        drop(conn.call(get("/dropped")).await.unwrap());
        for i in 3..6 {
            let r = conn.call(get(&format!("/{i}"))).await.unwrap();
            assert_eq!(r.into_body().to_string().await.unwrap(), format!("/{i}"));
        }
        assert_eq!(held.into_body().to_string().await.unwrap(), "/held");
        let r = conn.call(get("/last")).await.unwrap();
        assert_eq!(r.into_body().to_string().await.unwrap(), "/last");
    });
}

#[test]
fn pipelining_dropped_body_past_the_drain_bound_closes_the_connection() {
    let sim = Sim::new(34);
    let rt = sim.runtime();
    sim.block_on(async {
        let h = handler(|_: &Req| Reply::Raw(response(200, &[], &[b'x'; 200_000])));
        start_server(&rt, "app", h, Options::default()).await;
        let conn = Connection::create(
            &rt,
            Endpoint::Named("app".into()),
            ConnectionConfig::new()
                .persistent(Some(true))
                .drain_limit(1024),
        );
        let big = conn.call(get("/big"));
        let next = conn.call(get("/next"));
        drop(big.await.unwrap());
        let err = next.await.unwrap_err();
        assert!(err.is_retry(), "{err}");
        assert!(conn.is_closed());
    });
}
