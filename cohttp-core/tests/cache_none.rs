//! `NoCache`: a new connection per request, each asking to close, closed once the
//! response body is consumed; the `kv_store_*` scenario through it.

mod cache_support;

use cache_support::{echo_handler, kv_handler, serve, WEEKDAYS};
use cohttp_core::client::{Call, NoCache, RetryPolicy};
use cohttp_core::Body;
use cohttp_mock::{Faults, Sim};
use futures_util::future::join_all;
use http::{Request, StatusCode};

fn req(method: &str, path: &str, body: Body) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(format!("http://none.test{path}"))
        .body(body)
        .unwrap()
}

#[test]
fn no_cache_opens_a_connection_per_request_and_asks_to_close() {
    let sim = Sim::new(1);
    let server = serve(&sim, "none.test", 80, echo_handler());
    let cache = NoCache::new(&sim.runtime());
    sim.block_on(async {
        for i in 0..3 {
            let r = cache
                .call(req("GET", &format!("/{i}"), Body::empty()))
                .await
                .unwrap();
            assert_eq!(
                r.into_body().to_string().await.unwrap(),
                format!("GET /{i}")
            );
        }
    });
    assert_eq!(server.accepted(), 3);
    for s in server.seen() {
        assert_eq!(s.headers["connection"], "close");
    }
    // Every connection has ended: nothing is left running for them.
    sim.run_until_idle();
    assert!(sim.live_tasks() <= 1, "{} tasks left", sim.live_tasks());
}

#[test]
fn no_cache_kv_store_concurrent() {
    let sim = Sim::new(2);
    let server = serve(&sim, "none.test", 80, kv_handler());
    let cache = NoCache::new(&sim.runtime());
    sim.block_on(async {
        let puts =
            (0..7).map(|i| cache.call(req("PUT", &format!("/{i}"), Body::from(WEEKDAYS[i]))));
        for r in join_all(puts).await {
            assert!(r.unwrap().status().is_success());
        }
        let heads = (0..8).map(|i| cache.call(req("HEAD", &format!("/{i}"), Body::empty())));
        for (i, r) in join_all(heads).await.into_iter().enumerate() {
            let expected = if i < 7 {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.unwrap().status(), expected);
        }
        let gets = (0..7).map(|i| cache.call(req("GET", &format!("/{i}"), Body::empty())));
        for (i, r) in join_all(gets).await.into_iter().enumerate() {
            assert_eq!(
                r.unwrap().into_body().to_string().await.unwrap(),
                WEEKDAYS[i]
            );
        }
        let deletes = (0..7).map(|i| cache.call(req("DELETE", &format!("/{i}"), Body::empty())));
        for r in join_all(deletes).await {
            assert!(r.unwrap().status().is_success());
        }
    });
    assert_eq!(server.accepted(), 29);
}

#[test]
fn no_cache_retries_only_when_asked() {
    let sim = Sim::new(3);
    let net = sim.net();
    net.push_faults("none.test", Faults::none().close_to_client_after(0));
    serve(&sim, "none.test", 80, echo_handler());
    let plain = NoCache::new(&sim.runtime());
    let err = sim.block_on(async {
        plain
            .call(req("GET", "/", Body::empty()))
            .await
            .unwrap_err()
    });
    assert!(err.is_retry(), "{err}");
    net.push_faults("none.test", Faults::none().close_to_client_after(0));
    let retrying = NoCache::new(&sim.runtime()).retry(RetryPolicy::new(1));
    let body = sim.block_on(async {
        let r = retrying
            .call(req("GET", "/again", Body::empty()))
            .await
            .unwrap();
        r.into_body().to_string().await.unwrap()
    });
    assert_eq!(body, "GET /again");
}
