//! Fault campaign over the key-value store scenario: a `Cache` with retries against
//! our real server (`serve_listener` with a key-value handler) on `cohttp-mock`, under
//! a random fault schedule per seed (see `campaign_support`).
//!
//! Per seed: 7 `PUT`s of the weekday names and 7 `POST`s (concurrent), 8 `HEAD`s, 7
//! `GET`s, 7 `DELETE`s. The server counts every request by its `x-req-id` header.
//! Invariants checked on every seed:
//! - every request resolves exactly once (and the world never deadlocks);
//! - a `POST` (not idempotent) reaches the server at most once, whatever happened;
//! - an idempotent request never ends with the retry error (`retry` ≥ faulty
//!   connections, and the schedule leaves healthy ones), and one that got no response
//!   head while only closes and resets happened (no stall) succeeds;
//! - every failure is attributable to a fault of the schedule (no fault, no failure),
//!   and when nothing failed and every request arrived once, the answers and the
//!   store are exactly right;
//! - no task is left running once the cache is dropped (the server's baseline);
//! - the same seed gives the same trace (checked on a sample of seeds).
//!
//! `CAMPAIGN_SEED=N` replays one seed; `CAMPAIGN_SEEDS=N` runs more.

mod campaign_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use campaign_support::{faults_fired, run_campaign, schedule, Fault, Schedule, Totals};
use cohttp_core::client::{Cache, CacheConfig, Call, ConnectionConfig};
use cohttp_core::runtime::Addr;
use cohttp_core::server::{respond, respond_string, serve_listener, ConnInfo, ServerConfig};
use cohttp_core::{Body, Error};
use cohttp_mock::{Event, Sim};
use futures_util::future::join_all;
use http::{HeaderMap, Method, Request, StatusCode};

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Most faulty connections in a schedule (the cache's `retry` is set to this).
const MAX_FAULTY: u64 = 3;

/// The server's view: the store, the log of `POST`s and how often each id arrived.
#[derive(Default)]
struct Store {
    map: Mutex<HashMap<String, Bytes>>,
    posts: Mutex<Vec<Bytes>>,
    seen: Mutex<HashMap<u64, u32>>,
}

impl Store {
    fn seen(&self, id: u64) -> u32 {
        self.seen.lock().unwrap().get(&id).copied().unwrap_or(0)
    }
}

/// The key-value handler: counts the request id as soon as the head arrives.
fn kv_handler(
    store: Arc<Store>,
) -> impl Fn(
    ConnInfo,
    Request<()>,
    Body,
) -> futures_util::future::BoxFuture<'static, Result<http::Response<Body>, Error>>
       + Send
       + Sync
       + 'static {
    move |_info, req, body| {
        let store = store.clone();
        Box::pin(async move {
            if let Some(id) = req
                .headers()
                .get("x-req-id")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
            {
                *store.seen.lock().unwrap().entry(id).or_default() += 1;
            }
            let data = body.to_bytes_limited(1 << 16).await?;
            let key = req.uri().path().to_string();
            let r = match *req.method() {
                Method::PUT => {
                    let old = store.map.lock().unwrap().insert(key, data);
                    let status = if old.is_some() {
                        StatusCode::NO_CONTENT
                    } else {
                        StatusCode::CREATED
                    };
                    respond(status, HeaderMap::new(), Body::empty())
                }
                Method::POST => {
                    let mut posts = store.posts.lock().unwrap();
                    posts.push(data);
                    respond_string(StatusCode::OK, posts.len().to_string())
                }
                Method::GET | Method::HEAD => match store.map.lock().unwrap().get(&key) {
                    Some(v) => respond(StatusCode::OK, HeaderMap::new(), Body::from(v.clone())),
                    None => respond_string(StatusCode::NOT_FOUND, "no such key"),
                },
                Method::DELETE => match store.map.lock().unwrap().remove(&key) {
                    Some(_) => respond(StatusCode::NO_CONTENT, HeaderMap::new(), Body::empty()),
                    None => respond_string(StatusCode::NOT_FOUND, "no such key"),
                },
                _ => respond_string(StatusCode::METHOD_NOT_ALLOWED, "no"),
            };
            Ok(r)
        })
    }
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Answered, body read whole.
    Ok(StatusCode, Bytes),
    /// Failed before any response head.
    NoHead(String),
    /// The head arrived, the body failed.
    BodyFailed(StatusCode, String),
}

fn kind(e: &Error) -> String {
    format!("{:?}", e.kind())
}

struct Issued {
    id: u64,
    method: Method,
    outcome: Option<Outcome>,
}

/// One seed: the scenario under the seed's schedule. Returns the world for trace checks.
fn run_seed(seed: u64, totals: &mut Totals) -> Sim {
    let plan: Schedule = schedule(seed, MAX_FAULTY, 600);
    let sim = Sim::new(seed);
    let rt = sim.runtime();
    let net = sim.net();
    for (_, f) in &plan.faulty {
        net.push_faults("kv.test", f.clone());
    }
    // Enough healthy connections for anything the cache opens afterwards.
    for _ in 0..64 {
        net.push_faults("kv.test", plan.healthy.clone());
    }

    let store = Arc::new(Store::default());
    let (stop_tx, stop_rx) = futures_channel::oneshot::channel::<()>();
    let server = {
        let rt = rt.clone();
        let handler = kv_handler(store.clone());
        let addr = Addr::Tcp(std::net::SocketAddr::new(net.address_of("kv.test"), 80));
        let listener = sim.block_on(rt.listen(addr)).expect("listen");
        let config = ServerConfig::default()
            .date_origin(UNIX_EPOCH)
            .header_read_timeout(Duration::from_secs(10));
        sim.spawn(async move {
            let stop = async move {
                let _ = stop_rx.await;
            };
            serve_listener(&rt, listener, handler, config, stop).await
        })
    };
    sim.run_until_idle();
    let baseline = sim.live_tasks();

    let retries = plan.faulty.len();
    let cache = Cache::new(
        &rt,
        CacheConfig::new()
            .retry(retries)
            .connection(ConnectionConfig::new().head_timeout(Some(Duration::from_secs(20)))),
    );
    let issued: Arc<Mutex<Vec<Issued>>> = Arc::new(Mutex::new(Vec::new()));
    let call = |method: Method, path: String, body: Body| {
        let cache = &cache;
        let issued = issued.clone();
        let id = {
            let mut v = issued.lock().unwrap();
            let next = v.len() as u64;
            v.push(Issued {
                id: next,
                method: method.clone(),
                outcome: None,
            });
            v.len() as u64 - 1
        };
        let req = Request::builder()
            .method(method)
            .uri(format!("http://kv.test{path}"))
            .header("x-req-id", id.to_string())
            .body(body)
            .unwrap();
        async move {
            let outcome = match cache.call(req).await {
                Err(e) => Outcome::NoHead(kind(&e)),
                Ok(r) => {
                    let status = r.status();
                    match r.into_body().to_bytes().await {
                        Ok(b) => Outcome::Ok(status, b),
                        Err(e) => Outcome::BodyFailed(status, kind(&e)),
                    }
                }
            };
            let mut v = issued.lock().unwrap();
            let slot = &mut v[id as usize];
            assert!(slot.outcome.is_none(), "request {id} resolved twice");
            slot.outcome = Some(outcome);
        }
    };

    sim.block_on(async {
        let writes = (0..7).flat_map(|i| {
            [
                call(Method::PUT, format!("/{i}"), Body::from(WEEKDAYS[i])),
                call(Method::POST, "/log".into(), Body::from(WEEKDAYS[i])),
            ]
        });
        join_all(writes.collect::<Vec<_>>()).await;
        join_all((0..8).map(|i| call(Method::HEAD, format!("/{i}"), Body::empty()))).await;
        join_all((0..7).map(|i| call(Method::GET, format!("/{i}"), Body::empty()))).await;
        join_all((0..7).map(|i| call(Method::DELETE, format!("/{i}"), Body::empty()))).await;
    });
    drop(cache);

    // Every timer of the server (header, write, linger timeouts) has run out by then.
    sim.advance(Duration::from_secs(120));
    sim.run_until_idle();
    assert_eq!(
        sim.live_tasks(),
        baseline,
        "tasks left running after the cache was dropped"
    );

    let issued = std::mem::take(&mut *issued.lock().unwrap());
    if std::env::var("CAMPAIGN_VERBOSE").is_ok() {
        println!("seed={seed} schedule={plan:?}");
        for r in &issued {
            println!(
                "  {} {} seen={} {:?}",
                r.id,
                r.method,
                store.seen(r.id),
                r.outcome
            );
        }
    }
    let no_stalls = plan.faulty.iter().all(|(f, _)| f.ends_the_connection());
    let stalls = plan
        .faulty
        .iter()
        .any(|(f, _)| matches!(f, Fault::ServerStopsReading(_)));
    let mut all_ok = true;
    for r in &issued {
        let outcome = r
            .outcome
            .as_ref()
            .unwrap_or_else(|| panic!("request {} never resolved", r.id));
        let seen = store.seen(r.id);
        totals.requests += 1;
        if seen > 1 {
            totals.retried += 1;
        }
        let idempotent = r.method != Method::POST;
        if !idempotent {
            assert!(seen <= 1, "POST {} reached the server {seen} times", r.id);
        }
        match outcome {
            Outcome::Ok(StatusCode::REQUEST_TIMEOUT, _) => {
                // The server timed out a head that a stopped reader never let arrive,
                // and answered 408 on that connection: the answer to this request.
                totals.failed += 1;
                all_ok = false;
                assert!(
                    stalls,
                    "request {} got 408 without a stalled reader: {plan:?}",
                    r.id
                );
            }
            Outcome::Ok(..) => {
                totals.ok += 1;
                assert!(seen >= 1, "request {} answered but never seen", r.id);
            }
            Outcome::NoHead(k) | Outcome::BodyFailed(_, k) => {
                totals.failed += 1;
                all_ok = false;
                assert!(
                    !plan.faulty.is_empty(),
                    "{} {} failed ({outcome:?}) without any fault",
                    r.method,
                    r.id
                );
                if idempotent {
                    assert!(
                        !k.starts_with("Retry"),
                        "idempotent {} {} ended with the retry error: {outcome:?} (retry={retries})",
                        r.method,
                        r.id
                    );
                    if no_stalls {
                        assert!(
                            !matches!(outcome, Outcome::NoHead(_)),
                            "idempotent {} {} unanswered under closes and resets only: {outcome:?}",
                            r.method,
                            r.id
                        );
                    }
                }
            }
        }
    }
    // A retried request's first copy may still reach the server later (it was in
    // flight on a connection the client saw end): the store's contents are only
    // exactly predictable when every request arrived once.
    let once = issued.iter().all(|r| store.seen(r.id) == 1);
    if all_ok && once {
        // Nothing failed: the answers are exactly the scenario's.
        // A retried PUT may find its own first write (204), a retried DELETE its own
        // first removal (404).
        for (i, r) in issued.iter().enumerate() {
            let Some(Outcome::Ok(s, b)) = &r.outcome else {
                unreachable!()
            };
            let again = store.seen(r.id) > 1;
            match r.method.as_str() {
                "PUT" => assert!(
                    *s == StatusCode::CREATED || (again && *s == StatusCode::NO_CONTENT),
                    "PUT {i}: {s}"
                ),
                "POST" => assert_eq!(*s, StatusCode::OK, "request {i}"),
                "HEAD" => {
                    let want = if i - 14 < 7 { 200 } else { 404 };
                    assert_eq!(s.as_u16(), want, "HEAD {i}");
                    assert!(b.is_empty());
                }
                "GET" => {
                    assert_eq!(*s, StatusCode::OK);
                    assert_eq!(&b[..], WEEKDAYS[i - 22].as_bytes(), "GET {i}");
                }
                "DELETE" => assert!(
                    *s == StatusCode::NO_CONTENT || (again && *s == StatusCode::NOT_FOUND),
                    "DELETE {i}: {s}"
                ),
                _ => unreachable!(),
            }
        }
        assert!(store.map.lock().unwrap().is_empty());
        assert_eq!(store.posts.lock().unwrap().len(), 7);
    }

    let _ = stop_tx.send(());
    sim.block_on(server);
    assert_eq!(sim.live_tasks(), 0, "tasks left after the server stopped");
    totals.faulty_connections += plan.faulty.len() as u64;
    totals.faults_fired += faults_fired(&sim.trace()) as u64;
    sim
}

fn trace_of(sim: &Sim) -> Vec<Event> {
    sim.trace()
}

#[test]
fn kv_store_through_cache_survives_random_faults() {
    let totals = run_campaign("campaign_kv", |seed, totals| {
        let sim = run_seed(seed, totals);
        if seed % 50 == 7 || std::env::var("CAMPAIGN_SEED").is_ok() {
            let again = run_seed(seed, &mut Totals::default());
            assert!(
                trace_of(&sim) == trace_of(&again),
                "seed={seed}: the same seed gave two different traces"
            );
        }
    });
    assert!(totals.seeds == 1 || totals.faults_fired > 0);
}
