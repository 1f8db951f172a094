//! `retry_*`: how a connection's requests fail when it ends under them — graceful close after
//! some pipelined answers (retry error, written or not), reset or close inside a body (an
//! error on the body, never a hang or a shorter body), `close`, an unparseable response, a
//! failed write — and that `finalise` runs exactly once, before the requests fail.

mod common;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cohttp_core::client::{Connection, ConnectionConfig};
use cohttp_core::runtime::Endpoint;
use cohttp_core::{Body, Error, ErrorKind, Malformed};
use cohttp_mock::{Faults, Sim};
use common::{handler, response, start_server, Options, Reply, Req};
use futures_util::future::join_all;
use http::Request;

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn kind<T: std::fmt::Debug>(r: &Result<T, Error>) -> Option<ErrorKind> {
    r.as_ref().err().map(|e| e.kind().clone())
}

#[test]
fn retry_server_closes_after_k_of_n_pipelined() {
    let sim = Sim::new(20);
    let rt = sim.runtime();
    sim.block_on(async {
        let h = handler(|r: &Req| {
            if r.index < 2 {
                Reply::Raw(response(200, &[], r.target.as_bytes()))
            } else {
                Reply::Close
            }
        });
        start_server(&rt, "app", h, Options::default()).await;
        let conn = common::persistent_app_connection(&rt);
        let calls: Vec<_> = (0..3).map(|i| conn.call(get(&format!("/{i}")))).collect();
        // The fourth request's body never ends: its head goes out, the fifth waits behind it.
        let stalled = Body::from_stream(
            futures_util::stream::iter(vec![Ok::<_, Error>(Bytes::from_static(b"part"))])
                .chain(futures_util::stream::pending()),
        );
        let fourth = conn.call(Request::post("/3").body(stalled).unwrap());
        let fifth = conn.call(get("/4"));
        let results = join_all(calls).await;
        for (i, r) in results.iter().take(2).enumerate() {
            assert!(r.is_ok(), "request {i} answered");
        }
        assert_eq!(kind(&results[2]), Some(ErrorKind::Retry { written: true }));
        assert_eq!(
            kind(&fourth.await),
            Some(ErrorKind::Retry { written: true })
        );
        assert_eq!(
            kind(&fifth.await),
            Some(ErrorKind::Retry { written: false })
        );
        for r in results.into_iter().take(2) {
            r.unwrap().into_body().drain().await.unwrap();
        }
        assert!(conn.is_closed());
        // A call after the end is refused with the retry error, not written.
        assert_eq!(
            kind(&conn.call(get("/5")).await),
            Some(ErrorKind::Retry { written: false })
        );
    });
}

use futures_util::StreamExt;

fn big_body_server() -> common::Handler {
    handler(|_: &Req| Reply::Raw(response(200, &[], &[b'z'; 1000])))
}

#[test]
fn retry_reset_mid_body_is_an_error_on_the_body() {
    let sim = Sim::new(21);
    let rt = sim.runtime();
    sim.net()
        .push_faults("app", Faults::none().reset_to_client_after(200));
    sim.block_on(async {
        start_server(&rt, "app", big_body_server(), Options::default()).await;
        let conn = Connection::create(&rt, Endpoint::Named("app".into()), ConnectionConfig::new());
        let res = conn.call(get("/")).await.expect("the head arrives");
        let err = res.into_body().to_bytes().await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Io, "{err}");
        assert!(conn.is_closed());
    });
}

#[test]
fn retry_close_mid_body_is_a_truncated_body_not_a_shorter_one() {
    let sim = Sim::new(22);
    let rt = sim.runtime();
    sim.net()
        .push_faults("app", Faults::none().close_to_client_after(200));
    sim.block_on(async {
        start_server(&rt, "app", big_body_server(), Options::default()).await;
        let conn = Connection::create(&rt, Endpoint::Named("app".into()), ConnectionConfig::new());
        let res = conn.call(get("/")).await.expect("the head arrives");
        let err = res.into_body().to_bytes().await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Malformed(Malformed::TruncatedBody));
    });
}

#[test]
fn retry_close_fails_waiting_not_written_and_in_flight_closed_after_finalise() {
    let sim = Sim::new(23);
    let rt = sim.runtime();
    let events = Arc::new(Mutex::new(Vec::<String>::new()));
    let ev = events.clone();
    sim.block_on(async {
        // The server never answers.
        start_server(
            &rt,
            "app",
            handler(|_: &Req| Reply::Nothing),
            Options::default(),
        )
        .await;
        let conn = Connection::create(
            &rt,
            Endpoint::Named("app".into()),
            ConnectionConfig::new().finalise(move |_| ev.lock().unwrap().push("finalise".into())),
        );
        // Unknown persistence: the first is written, the second waits.
        let first = conn.call(get("/1"));
        let second = conn.call(get("/2"));
        conn.ready().await.unwrap();
        rt.sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(conn.in_flight(), 1);
        assert_eq!(conn.length(), 2);
        conn.close();
        let (a, b) = (first.await, second.await);
        events.lock().unwrap().push("answered".into());
        assert_eq!(kind(&a), Some(ErrorKind::Closed));
        assert_eq!(kind(&b), Some(ErrorKind::Retry { written: false }));
        conn.close();
        assert!(conn.is_closed());
        assert_eq!(conn.length(), 0);
    });
    assert_eq!(*events.lock().unwrap(), vec!["finalise", "answered"]);
}

#[test]
fn retry_unparseable_response_fails_every_queued_request() {
    let sim = Sim::new(24);
    let rt = sim.runtime();
    let finalised = Arc::new(Mutex::new(0));
    let f2 = finalised.clone();
    sim.block_on(async {
        let h = handler(|r: &Req| {
            if r.index == 0 {
                Reply::Raw(b"HTTP/1.1 2x0 Nope\r\n\r\n".to_vec())
            } else {
                Reply::Nothing
            }
        });
        start_server(&rt, "app", h, Options::default()).await;
        let conn = Connection::create(
            &rt,
            Endpoint::Named("app".into()),
            ConnectionConfig::new()
                .persistent(Some(true))
                .finalise(move |_| *f2.lock().unwrap() += 1),
        );
        let results = join_all((0..3).map(|i| conn.call(get(&format!("/{i}"))))).await;
        for r in &results {
            assert!(
                matches!(kind(r), Some(ErrorKind::Malformed(_))),
                "every queued request gets the parse error: {r:?}"
            );
        }
    });
    assert_eq!(*finalised.lock().unwrap(), 1);
}

#[test]
fn retry_failed_write_fails_that_request_and_retries_the_rest() {
    let sim = Sim::new(25);
    let rt = sim.runtime();
    sim.net()
        .push_faults("app", Faults::none().reset_to_server_after(10));
    sim.block_on(async {
        start_server(
            &rt,
            "app",
            handler(|_: &Req| Reply::Nothing),
            Options::default(),
        )
        .await;
        let conn = common::persistent_app_connection(&rt);
        let results = join_all((0..3).map(|i| conn.call(get(&format!("/{i}"))))).await;
        // A reset is the peer aborting before any response byte (RFC 9112 §9.3.1): the
        // written retry error, so that only an idempotent request is sent again.
        assert_eq!(
            kind(&results[0]),
            Some(ErrorKind::Retry { written: true }),
            "{:?}",
            results[0]
        );
        assert_eq!(kind(&results[1]), Some(ErrorKind::Retry { written: false }));
        assert_eq!(kind(&results[2]), Some(ErrorKind::Retry { written: false }));
        assert!(conn.is_closed());
    });
}

#[test]
fn retry_head_timeout_fails_written_request_with_timeout() {
    let sim = Sim::new(26);
    let rt = sim.runtime();
    sim.block_on(async {
        start_server(
            &rt,
            "app",
            handler(|_: &Req| Reply::Nothing),
            Options::default(),
        )
        .await;
        let conn = Connection::create(
            &rt,
            Endpoint::Named("app".into()),
            ConnectionConfig::new().head_timeout(Some(std::time::Duration::from_secs(5))),
        );
        let first = conn.call(get("/1"));
        let second = conn.call(get("/2"));
        assert_eq!(kind(&first.await), Some(ErrorKind::Timeout));
        assert_eq!(
            kind(&second.await),
            Some(ErrorKind::Retry { written: false })
        );
    });
    assert!(sim.elapsed() >= std::time::Duration::from_secs(5));
}
