//! How a `Cache` chooses connections: idle first, new ones up to `parallel`, the
//! shallowest up to `depth`, else wait; persistence learnt per endpoint; idle connections
//! closed after `keep` (virtual time); never a closed connection.

mod cache_support;

use std::sync::Arc;
use std::time::Duration;

use cache_support::{echo_handler, serve, Answer};
use cohttp_core::client::{Cache, CacheConfig, Call};
use cohttp_core::Body;
use cohttp_mock::Sim;
use futures_util::future::join_all;
use http::{Request, Response, Uri};

fn get(path: &str) -> Request<Body> {
    Request::get(format!("http://sel.test{path}"))
        .body(Body::empty())
        .unwrap()
}

fn endpoint() -> Uri {
    "http://sel.test/".parse().unwrap()
}

async fn text(r: cohttp_core::Result<Response<Body>>) -> String {
    r.expect("response").into_body().to_string().await.unwrap()
}

/// Client-side write calls of each connection to `sel.test`.
fn client_writes(sim: &Sim) -> Vec<usize> {
    sim.net()
        .connections()
        .iter()
        .filter(|c| c.name.contains("sel.test"))
        .map(|c| c.client_writes)
        .collect()
}

#[test]
fn cache_reuses_an_idle_connection() {
    let sim = Sim::new(1);
    let server = serve(&sim, "sel.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new());
    sim.block_on(async {
        for i in 0..5 {
            assert_eq!(
                text(cache.call(get(&format!("/{i}"))).await).await,
                format!("GET /{i}")
            );
        }
    });
    assert_eq!(server.accepted(), 1);
}

#[test]
fn cache_opens_new_connections_up_to_parallel() {
    let sim = Sim::new(2);
    let server = serve(&sim, "sel.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(3));
    sim.block_on(async {
        let calls = (0..12).map(|i| cache.call(get(&format!("/{i}"))));
        for (i, r) in join_all(calls).await.into_iter().enumerate() {
            assert_eq!(text(r).await, format!("GET /{i}"));
        }
    });
    assert_eq!(server.accepted(), 3);
    // Every request went out, each on a connection of this cache.
    let seen = server.seen();
    assert_eq!(seen.len(), 12);
    assert!(seen.iter().all(|s| s.conn < 3));
}

#[test]
fn cache_first_connection_sends_one_request_then_pipelines() {
    let sim = Sim::new(3);
    serve(&sim, "sel.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(1));
    let uri = endpoint();
    assert!(!cache.knows_persistent(&uri).unwrap());
    sim.block_on(async {
        let calls = (0..6).map(|i| cache.call(get(&format!("/{i}"))));
        for (i, r) in join_all(calls).await.into_iter().enumerate() {
            assert_eq!(text(r).await, format!("GET /{i}"));
        }
    });
    assert!(cache.knows_persistent(&uri).unwrap());
    // The first request alone (persistence unknown), then the five others together.
    assert_eq!(client_writes(&sim), vec![2]);
}

#[test]
fn cache_learnt_persistence_makes_new_connections_pipeline_at_once() {
    let sim = Sim::new(4);
    let server = serve(&sim, "sel.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(2));
    let uri = endpoint();
    sim.block_on(async {
        // Learn on the first connection, and keep it busy: its response body unread.
        let held = cache.call(get("/held")).await.unwrap();
        assert!(cache.knows_persistent(&uri).unwrap());
        // A second connection is made for these; it pipelines from the start.
        let calls = (0..5).map(|i| cache.call(get(&format!("/{i}"))));
        let results = join_all(calls).await;
        let conns = cache.connections_to(&uri).unwrap();
        assert_eq!(conns.len(), 2);
        assert!(conns.iter().all(|c| c.persistent() == Some(true)));
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(text(r).await, format!("GET /{i}"));
        }
        assert_eq!(held.into_body().to_string().await.unwrap(), "GET /held");
    });
    assert_eq!(server.accepted(), 2);
    // The second connection wrote its requests without waiting for a first response.
    let writes = client_writes(&sim);
    assert_eq!(writes.len(), 2);
    assert!(writes[1] < 5, "second connection writes: {}", writes[1]);
}

/// Starts `GET path` on the world in the background.
fn spawn_get(sim: &Sim, cache: &Cache, path: &str) -> cohttp_mock::JoinHandle<String> {
    let cache = cache.clone();
    let req = get(path);
    sim.spawn(async move { text(cache.call(req).await).await })
}

#[test]
fn cache_waits_when_every_connection_is_at_depth() {
    let sim = Sim::new(5);
    let server = serve(&sim, "sel.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(1).depth(2));
    sim.block_on(async { text(cache.call(get("/learn")).await).await });
    // Two slow requests fill the one connection to its depth.
    // (Started one at a time: the world runs ready tasks in a seeded order.)
    let a = spawn_get(&sim, &cache, "/slow-a");
    sim.run_until_idle();
    let b = spawn_get(&sim, &cache, "/slow-b");
    sim.run_until_idle();
    let c = spawn_get(&sim, &cache, "/c");
    sim.run_until_idle();
    let conns = cache.connections_to(&endpoint()).unwrap();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0].length(), 2);
    // The server has read up to the first slow request; the third is not even written.
    assert_eq!(conns[0].in_flight(), 2);
    assert!(server.seen().iter().all(|s| s.target != "/c"));
    assert!(!c.is_finished());
    // The first slow answer frees a place: the third request goes on the same connection.
    sim.block_on(async {
        assert_eq!(a.await, "GET /slow-a");
        assert_eq!(c.await, "GET /c");
        assert_eq!(b.await, "GET /slow-b");
    });
    assert_eq!(server.accepted(), 1);
    assert_eq!(server.seen().len(), 4);
}

#[test]
fn cache_chooses_the_shallowest_connection() {
    let sim = Sim::new(6);
    serve(&sim, "sel.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(2).depth(10));
    let uri = endpoint();
    sim.block_on(async { text(cache.call(get("/learn")).await).await });
    // Two slow requests: the idle connection takes one, a new connection the other.
    let mut calls: Vec<_> = (0..2)
        .map(|i| spawn_get(&sim, &cache, &format!("/slow{i}")))
        .collect();
    sim.run_until_idle();
    let conns = cache.connections_to(&uri).unwrap();
    assert_eq!(conns.len(), 2);
    assert_eq!(
        conns.iter().map(|c| c.length()).collect::<Vec<_>>(),
        vec![1, 1]
    );
    // Four more, one at a time: each goes to the shallower connection.
    for i in 0..4 {
        calls.push(spawn_get(&sim, &cache, &format!("/slow-more{i}")));
        sim.run_until_idle();
    }
    let lengths: Vec<usize> = conns.iter().map(|c| c.length()).collect();
    assert_eq!(lengths, vec![3, 3], "{lengths:?}");
    sim.block_on(async {
        for c in calls {
            assert!(c.await.starts_with("GET /slow"));
        }
    });
}

#[test]
fn cache_never_chooses_a_closed_connection() {
    let sim = Sim::new(7);
    // The server closes every connection after its first answer.
    let handler = Arc::new(|req: &cache_support::Seen| {
        Answer::new(200, req.target.clone()).header("connection", "close")
    });
    let server = serve(&sim, "sel.test", 80, handler);
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(1));
    sim.block_on(async {
        for i in 0..4 {
            assert_eq!(
                text(cache.call(get(&format!("/{i}"))).await).await,
                format!("/{i}")
            );
        }
    });
    assert_eq!(server.accepted(), 4);
    assert!(!cache.knows_persistent(&endpoint()).unwrap());
}

#[test]
fn cache_closes_idle_connections_after_keep() {
    let sim = Sim::new(8);
    let server = serve(&sim, "sel.test", 80, echo_handler());
    let keep = Duration::from_secs(10);
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().keep(keep));
    let uri = endpoint();
    sim.block_on(async { text(cache.call(get("/1")).await).await });
    let conns = cache.connections_to(&uri).unwrap();
    assert_eq!(conns.len(), 1);
    sim.advance(Duration::from_secs(9));
    assert!(!conns[0].is_closed(), "closed before keep");
    // Activity restarts the idle clock.
    sim.block_on(async { text(cache.call(get("/2")).await).await });
    sim.advance(Duration::from_secs(9));
    assert!(
        !conns[0].is_closed(),
        "the idle clock restarts with each request"
    );
    sim.advance(Duration::from_secs(2));
    assert!(conns[0].is_closed(), "open past keep");
    assert!(cache.connections_to(&uri).unwrap().is_empty());
    // The next request opens a new connection.
    sim.block_on(async { text(cache.call(get("/3")).await).await });
    assert_eq!(server.accepted(), 2);
}

#[test]
fn cache_does_not_close_a_busy_connection_after_keep() {
    let sim = Sim::new(9);
    serve(&sim, "sel.test", 80, echo_handler());
    let cache = Cache::new(
        &sim.runtime(),
        CacheConfig::new().keep(Duration::from_secs(1)),
    );
    let slow = spawn_get(&sim, &cache, "/slow");
    sim.run_until_idle();
    let conns = cache.connections_to(&endpoint()).unwrap();
    assert_eq!(conns.len(), 1);
    sim.advance(Duration::from_secs(5));
    assert!(
        !conns[0].is_closed(),
        "a connection awaiting a response is not idle"
    );
    assert_eq!(sim.block_on(slow), "GET /slow");
    sim.advance(Duration::from_millis(900));
    assert!(!conns[0].is_closed());
    sim.advance(Duration::from_millis(200));
    assert!(conns[0].is_closed(), "idle past keep");
}

#[test]
fn cache_keeps_endpoints_apart() {
    let sim = Sim::new(10);
    let a = serve(&sim, "a.test", 80, echo_handler());
    let b = serve(&sim, "b.test", 8080, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new());
    sim.block_on(async {
        for _ in 0..3 {
            let ra = cache.call(Request::get("http://a.test/x").body(Body::empty()).unwrap());
            let rb = cache.call(
                Request::get("http://B.test:8080/y")
                    .body(Body::empty())
                    .unwrap(),
            );
            assert_eq!(text(ra.await).await, "GET /x");
            assert_eq!(text(rb.await).await, "GET /y");
        }
    });
    assert_eq!((a.accepted(), b.accepted()), (1, 1));
}

#[test]
fn cache_refuses_a_uri_without_host() {
    let sim = Sim::new(11);
    let cache = Cache::new(&sim.runtime(), CacheConfig::new());
    let err = sim.block_on(async {
        cache
            .call(Request::get("/relative").body(Body::empty()).unwrap())
            .await
            .unwrap_err()
    });
    assert_eq!(
        err.kind(),
        &cohttp_core::ErrorKind::Malformed(cohttp_core::Malformed::InvalidUri)
    );
}

#[test]
fn cache_dropped_shuts_its_connections_down() {
    let sim = Sim::new(12);
    serve(&sim, "sel.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(2));
    sim.block_on(async {
        let calls = (0..4).map(|i| cache.call(get(&format!("/{i}"))));
        for r in join_all(calls).await {
            text(r).await;
        }
    });
    let conns = cache.connections_to(&endpoint()).unwrap();
    assert!(!conns.is_empty());
    drop(cache);
    sim.run_until_idle();
    assert!(conns.iter().all(|c| c.is_closed()));
    drop(conns);
    sim.run_until_idle();
    // Only the test server's accept loop is left: no idle watcher, no connection task.
    assert_eq!(sim.live_tasks(), 1);
}
