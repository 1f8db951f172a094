//! `pipelining_depth_16_*`: a `Cache` of depth 16 on one connection sends 1000 requests
//! in about ceil(1000/16) writes: the connection's writer coalesces what the cache
//! queued on it.

mod cache_support;

use cache_support::{echo_handler, serve};
use cohttp_core::client::{Cache, CacheConfig, Call};
use cohttp_core::Body;
use cohttp_mock::Sim;
use futures_util::future::join_all;
use http::Request;

const REQUESTS: usize = 1000;
const DEPTH: usize = 16;

fn run(seed: u64) -> (usize, usize) {
    let sim = Sim::new(seed);
    let server = serve(&sim, "pipe.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(1).depth(DEPTH));
    sim.block_on(async {
        let calls = (0..REQUESTS).map(|i| {
            let req = Request::get(format!("http://pipe.test/{i}"))
                .body(Body::empty())
                .unwrap();
            cache.call(req)
        });
        for (i, r) in join_all(calls).await.into_iter().enumerate() {
            let body = r.expect("response").into_body().to_string().await.unwrap();
            assert_eq!(body, format!("GET /{i}"));
        }
    });
    assert_eq!(server.accepted(), 1);
    assert_eq!(server.seen().len(), REQUESTS);
    let conns = sim.net().connections();
    assert_eq!(conns.len(), 1);
    // The connection never held more than `depth` requests: the server saw them in
    // batches, and the writes on the wire count the batches.
    (conns[0].client_writes, conns[0].server_writes)
}

#[test]
fn pipelining_depth_16_cache_1000_requests_in_few_writes() {
    let (writes, _) = run(1);
    eprintln!("depth {DEPTH}: {writes} client writes for {REQUESTS} requests");
    let bound = REQUESTS.div_ceil(DEPTH) + 4;
    assert!(
        writes <= bound,
        "{writes} client writes for {REQUESTS} requests (bound {bound})"
    );
}

#[test]
fn pipelining_depth_16_cache_write_count_holds_across_seeds() {
    for seed in 2..6 {
        let (writes, _) = run(seed);
        let bound = REQUESTS.div_ceil(DEPTH) + 4;
        assert!(
            writes <= bound,
            "seed {seed}: {writes} writes (bound {bound})"
        );
    }
}
