//! `kv_store_*`: a key-value store over HTTP, driven through the high-level `Client` (no
//! cache: a connection per request), a persistent `Connection`, non-persistent connections,
//! and a connection of unknown persistence whose caller reconnects on the retry error.

mod common;

use std::future::Future;
use std::sync::{Arc, Mutex};

use cohttp_core::client::{Client, Connection, ConnectionConfig};
use cohttp_core::runtime::{Ctx, Endpoint};
use cohttp_core::{Body, Result};
use cohttp_mock::Sim;
use common::{kv_handler, start_server, Options, Store, WEEKDAYS};
use futures_util::future::join_all;
use http::{Method, Request, Response};

/// The scenario: store the weekdays under 0–6 concurrently, check presence of 0–6 and
/// absence of 7, read them back concurrently, delete them concurrently.
async fn kv_scenario<F, Fut>(call: F)
where
    F: Fn(Method, String, Body) -> Fut,
    Fut: Future<Output = Result<Response<Body>>>,
{
    let puts =
        join_all((0..7).map(|i| call(Method::PUT, format!("/{i}"), Body::from(WEEKDAYS[i])))).await;
    for r in puts {
        let status = r.expect("PUT answered").status();
        assert!(status == 201 || status == 204, "PUT status {status}");
    }
    let heads = join_all((0..8).map(|i| call(Method::HEAD, format!("/{i}"), Body::empty()))).await;
    for (i, r) in heads.into_iter().enumerate() {
        let res = r.expect("HEAD answered");
        let expected = if i < 7 { 200 } else { 404 };
        assert_eq!(res.status(), expected, "HEAD /{i}");
        assert_eq!(res.into_body().to_bytes().await.unwrap().len(), 0);
    }
    let gets = join_all((0..7).map(|i| call(Method::GET, format!("/{i}"), Body::empty()))).await;
    for (i, r) in gets.into_iter().enumerate() {
        let res = r.expect("GET answered");
        assert_eq!(res.status(), 200);
        assert_eq!(res.into_body().to_string().await.unwrap(), WEEKDAYS[i]);
    }
    let deletes =
        join_all((0..7).map(|i| call(Method::DELETE, format!("/{i}"), Body::empty()))).await;
    for r in deletes {
        let res = r.expect("DELETE answered");
        assert_eq!(res.status(), 204);
        res.into_body().drain().await.unwrap();
    }
}

fn request(method: Method, uri: &str, body: Body) -> Request<Body> {
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri.parse().unwrap();
    req
}

fn kv_ctx() -> Ctx {
    Ctx::new().with_override("kv.test", Endpoint::Named("kv".into()))
}

#[test]
fn kv_store_client_without_cache() {
    let sim = Sim::new(1);
    let rt = sim.runtime();
    let store = Store::default();
    sim.block_on(async {
        start_server(
            &rt,
            "kv",
            kv_handler(store.clone(), false),
            Options::default(),
        )
        .await;
        let client = Client::new(&rt).connection_config(ConnectionConfig::new().ctx(kv_ctx()));
        kv_scenario(|m, path, body| {
            let client = client.clone();
            async move {
                client
                    .call(
                        m,
                        format!("http://kv.test{path}").as_str(),
                        Default::default(),
                        body,
                        Default::default(),
                    )
                    .await
            }
        })
        .await;
    });
    assert!(store.lock().unwrap().is_empty());
    // One connection per request: 7 PUT + 8 HEAD + 7 GET + 7 DELETE.
    assert_eq!(sim.net().connections().len(), 29);
}

#[test]
fn kv_store_persistent_connection() {
    let sim = Sim::new(2);
    let rt = sim.runtime();
    let store = Store::default();
    sim.block_on(async {
        start_server(
            &rt,
            "kv",
            kv_handler(store.clone(), false),
            Options::default(),
        )
        .await;
        let conn = Connection::create(
            &rt,
            Endpoint::Named("kv".into()),
            ConnectionConfig::new().persistent(Some(true)),
        );
        kv_scenario(|m, path, body| conn.call(request(m, &path, body))).await;
        assert_eq!(conn.persistent(), Some(true));
        assert!(!conn.is_closed());
    });
    assert!(store.lock().unwrap().is_empty());
    assert_eq!(sim.net().connections().len(), 1);
}

#[test]
fn kv_store_non_persistent_connections() {
    let sim = Sim::new(3);
    let rt = sim.runtime();
    let store = Store::default();
    sim.block_on(async {
        start_server(
            &rt,
            "kv",
            kv_handler(store.clone(), false),
            Options::default(),
        )
        .await;
        kv_scenario(|m, path, body| {
            let conn = Connection::create(
                &rt,
                Endpoint::Named("kv".into()),
                ConnectionConfig::new().persistent(Some(false)),
            );
            let res = conn.call(request(m, &path, body));
            async move {
                let res = res.await;
                assert!(
                    conn.is_closed(),
                    "a non-persistent connection takes one request"
                );
                res
            }
        })
        .await;
    });
    assert!(store.lock().unwrap().is_empty());
    assert_eq!(sim.net().connections().len(), 29);
    for c in sim.net().connections() {
        assert!(c.client_bytes > 0);
    }
}

/// An HTTP/1.0 server that closes after each response: the first request on a connection of
/// unknown persistence is answered, the others fail with the retry error (not written), and
/// the caller sends them again on a new connection.
#[test]
fn kv_store_unknown_persistence_reconnects_on_retry() {
    let sim = Sim::new(4);
    let rt = sim.runtime();
    let store = Store::default();
    let retries = Arc::new(Mutex::new(0usize));
    sim.block_on(async {
        start_server(
            &rt,
            "kv",
            kv_handler(store.clone(), true),
            Options::default(),
        )
        .await;
        let current = Arc::new(Mutex::new(Connection::create(
            &rt,
            Endpoint::Named("kv".into()),
            ConnectionConfig::new(),
        )));
        kv_scenario(|m, path, body| {
            let current = current.clone();
            let retries = retries.clone();
            let rt = rt.clone();
            let body = body.try_clone().expect("replayable body");
            async move {
                for _attempt in 0..64 {
                    let conn = {
                        let mut c = current.lock().unwrap();
                        if c.is_closed() {
                            *c = Connection::create(
                                &rt,
                                Endpoint::Named("kv".into()),
                                ConnectionConfig::new(),
                            );
                        }
                        c.clone()
                    };
                    let req = request(m.clone(), &path, body.try_clone().unwrap());
                    match conn.call(req).await {
                        Err(e) if e.is_retry() => {
                            assert_eq!(e.kind(), &cohttp_core::ErrorKind::Retry { written: false });
                            *retries.lock().unwrap() += 1;
                        }
                        other => return other,
                    }
                }
                panic!("no answer after 64 attempts");
            }
        })
        .await;
    });
    assert!(store.lock().unwrap().is_empty());
    assert!(
        *retries.lock().unwrap() > 0,
        "the HTTP/1.0 server forced reconnects"
    );
    // Every request needed its own connection in the end.
    assert_eq!(sim.net().connections().len(), 29);
}
