//! The `kv_store_*` scenario through a `Cache` (and a `Client` with a `Cache` set): the
//! seven weekday names stored under keys 0–6 with concurrent requests, presence of 0–6
//! and absence of 7 checked with HEAD, read back and deleted concurrently.

mod cache_support;

use cache_support::{kv_handler, serve, WEEKDAYS};
use cohttp_core::client::{Cache, CacheConfig, Call, Client};
use cohttp_core::Body;
use cohttp_mock::Sim;
use futures_util::future::join_all;
use http::{Request, StatusCode};

fn req(method: &str, key: usize, body: Body) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(format!("http://kv.test/{key}"))
        .body(body)
        .unwrap()
}

/// Runs the whole scenario through `c`.
async fn kv_scenario(c: &dyn Call) {
    let puts = (0..7).map(|i| c.call(req("PUT", i, Body::from(WEEKDAYS[i]))));
    for r in join_all(puts).await {
        let r = r.expect("PUT");
        assert!(
            matches!(r.status(), StatusCode::CREATED | StatusCode::NO_CONTENT),
            "PUT answered {}",
            r.status()
        );
        r.into_body().drain().await.unwrap();
    }
    let heads = (0..8).map(|i| c.call(req("HEAD", i, Body::empty())));
    for (i, r) in join_all(heads).await.into_iter().enumerate() {
        let r = r.expect("HEAD");
        let expected = if i < 7 {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(r.status(), expected, "HEAD /{i}");
        assert_eq!(r.into_body().to_bytes().await.unwrap().len(), 0);
    }
    let gets = (0..7).map(|i| c.call(req("GET", i, Body::empty())));
    for (i, r) in join_all(gets).await.into_iter().enumerate() {
        let r = r.expect("GET");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.into_body().to_string().await.unwrap(), WEEKDAYS[i]);
    }
    let deletes = (0..7).map(|i| c.call(req("DELETE", i, Body::empty())));
    for r in join_all(deletes).await {
        let r = r.expect("DELETE");
        assert!(r.status().is_success(), "DELETE answered {}", r.status());
        r.into_body().drain().await.unwrap();
    }
    let gone = c.call(req("GET", 3, Body::empty())).await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    gone.into_body().drain().await.unwrap();
}

#[test]
fn kv_store_cache() {
    let sim = Sim::new(1);
    let rt = sim.runtime();
    let server = serve(&sim, "kv.test", 80, kv_handler());
    let cache = Cache::new(&rt, CacheConfig::new());
    sim.block_on(kv_scenario(&cache));
    // 30 requests over at most `parallel` connections.
    assert_eq!(server.seen().len(), 30);
    assert!(server.accepted() <= 4, "{} connections", server.accepted());
    let uri = "http://kv.test/".parse().unwrap();
    assert!(cache.knows_persistent(&uri).unwrap());
}

#[test]
fn kv_store_cache_with_one_connection_pipelines() {
    let sim = Sim::new(2);
    let rt = sim.runtime();
    let server = serve(&sim, "kv.test", 80, kv_handler());
    let cache = Cache::new(&rt, CacheConfig::new().parallel(1));
    sim.block_on(kv_scenario(&cache));
    assert_eq!(server.accepted(), 1);
    assert_eq!(server.seen().len(), 30);
}

#[test]
fn kv_store_cache_across_seeds() {
    for seed in 10..20 {
        let sim = Sim::new(seed);
        let rt = sim.runtime();
        let server = serve(&sim, "kv.test", 80, kv_handler());
        let cache = Cache::new(&rt, CacheConfig::new().parallel(2).depth(3));
        sim.block_on(kv_scenario(&cache));
        assert_eq!(server.seen().len(), 30, "seed {seed}");
        assert!(server.accepted() <= 2, "seed {seed}");
    }
}

/// The scenario through the high-level `Client`, with a `Cache` set on it.
async fn kv_scenario_client(client: &Client) {
    let url = |i: usize| format!("http://kv.test/{i}");
    let puts = (0..7).map(|i| client.put(url(i), WEEKDAYS[i]));
    for r in join_all(puts).await {
        let r = r.expect("PUT");
        assert!(r.status().is_success(), "PUT answered {}", r.status());
        r.into_body().drain().await.unwrap();
    }
    let heads = (0..8).map(|i| client.head(url(i)));
    for (i, r) in join_all(heads).await.into_iter().enumerate() {
        let expected = if i < 7 {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(r.expect("HEAD").status(), expected, "HEAD /{i}");
    }
    let gets = (0..7).map(|i| client.get(url(i)));
    for (i, r) in join_all(gets).await.into_iter().enumerate() {
        let body = r.expect("GET").into_body().to_string().await.unwrap();
        assert_eq!(body, WEEKDAYS[i]);
    }
    let deletes = (0..7).map(|i| client.delete(url(i)));
    for r in join_all(deletes).await {
        let r = r.expect("DELETE");
        assert!(r.status().is_success());
        r.into_body().drain().await.unwrap();
    }
    let gone = client.get(url(0)).await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[test]
fn kv_store_client_with_cache() {
    let sim = Sim::new(3);
    let rt = sim.runtime();
    let server = serve(&sim, "kv.test", 80, kv_handler());
    let cache = Cache::new(&rt, CacheConfig::new());
    let client = Client::new(&rt).with_cache(cache.clone());
    sim.block_on(kv_scenario_client(&client));
    assert_eq!(server.seen().len(), 30);
    assert!(server.accepted() <= 4, "{} connections", server.accepted());
}
