//! Fault campaign over a pipelined `Client::callv` of 100 requests (80 `GET`, 20
//! `POST`) against our real server on `cohttp-mock`, under a random fault schedule per
//! seed (see `campaign_support`).
//!
//! `callv` rides one connection and does not retry; the test does what an application
//! would: the requests the library's [`RetryPolicy`] allows to send again go out in a
//! new `callv`, round after round, while rounds are left (one more than the faulty
//! connections). Invariants checked on every seed:
//! - each round's stream yields exactly one item per request, in order, and each
//!   answer is the one of its own request (no response given to the wrong request);
//! - a `POST` reaches the server at most once, whatever happened;
//! - an idempotent request that got no response head while only orderly faults
//!   (closes) happened is finally answered, and no failure happens without a fault;
//! - no task is left running once the client is dropped (the server's baseline);
//! - the same seed gives the same trace (checked on a sample of seeds).
//!
//! `CAMPAIGN_SEED=N` replays one seed; `CAMPAIGN_SEEDS=N` runs more.

mod campaign_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use campaign_support::{faults_fired, run_campaign, schedule, Fault, Totals};
use cohttp_core::client::{Client, RetryPolicy};
use cohttp_core::runtime::Addr;
use cohttp_core::server::{respond_string, serve_listener, ConnInfo, ServerConfig};
use cohttp_core::{Body, Error, ErrorKind};
use cohttp_mock::Sim;
use futures_util::StreamExt;
use http::{Method, Request, StatusCode};

const REQUESTS: u64 = 100;
const MAX_FAULTY: u64 = 3;

fn method_of(id: u64) -> Method {
    if id % 5 == 4 {
        Method::POST
    } else {
        Method::GET
    }
}

fn request(id: u64) -> Request<Body> {
    let body = if method_of(id) == Method::POST {
        Body::from(format!("payload {id}"))
    } else {
        Body::empty()
    };
    Request::builder()
        .method(method_of(id))
        .uri(format!("http://pipe.test/item/{id}"))
        .header("x-req-id", id.to_string())
        .body(body)
        .unwrap()
}

/// How the last attempt at one request ended.
#[derive(Debug)]
enum Last {
    Answered,
    /// The head arrived, the body was cut short.
    BodyCut(#[allow(dead_code)] Error),
    /// No response head.
    Failed(Error),
}

fn run_seed(seed: u64, totals: &mut Totals) -> Sim {
    let plan = schedule(seed, MAX_FAULTY, 12_000);
    let sim = Sim::new(seed);
    let rt = sim.runtime();
    let net = sim.net();
    for (_, f) in &plan.faulty {
        net.push_faults("pipe.test", f.clone());
    }
    for _ in 0..16 {
        net.push_faults("pipe.test", plan.healthy.clone());
    }

    let seen: Arc<Mutex<HashMap<u64, u32>>> = Arc::default();
    let (stop_tx, stop_rx) = futures_channel::oneshot::channel::<()>();
    let server = {
        let rt = rt.clone();
        let seen = seen.clone();
        let handler = move |_: ConnInfo, req: Request<()>, body: Body| {
            let seen = seen.clone();
            async move {
                let id: u64 = req
                    .headers()
                    .get("x-req-id")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(u64::MAX);
                *seen.lock().unwrap().entry(id).or_default() += 1;
                let data = body.to_bytes_limited(1 << 16).await?;
                Ok::<_, Error>(respond_string(
                    StatusCode::OK,
                    format!("{} {} {}", req.method(), req.uri().path(), data.len()),
                ))
            }
        };
        let addr = Addr::Tcp(std::net::SocketAddr::new(net.address_of("pipe.test"), 80));
        let listener = sim.block_on(rt.listen(addr)).expect("listen");
        let config = ServerConfig::default().date_origin(UNIX_EPOCH);
        sim.spawn(async move {
            let stop = async move {
                let _ = stop_rx.await;
            };
            serve_listener(&rt, listener, handler, config, stop).await
        })
    };
    sim.run_until_idle();
    let baseline = sim.live_tasks();

    let client = Client::new(&rt).head_timeout(Some(Duration::from_secs(20)));
    let policy = RetryPolicy::new(usize::MAX);
    let uri: http::Uri = "http://pipe.test/".parse().unwrap();
    let mut last: HashMap<u64, Last> = HashMap::new();
    let mut pending: Vec<u64> = (0..REQUESTS).collect();
    let rounds = plan.faulty.len() + 1;
    for _round in 0..rounds {
        if pending.is_empty() {
            break;
        }
        let batch = pending.clone();
        pending.clear();
        let results = sim.block_on(async {
            let reqs = futures_util::stream::iter(batch.clone().into_iter().map(request));
            let mut stream = client.callv(&uri, reqs).expect("callv");
            let mut results = Vec::new();
            while let Some(r) = stream.next().await {
                let outcome = match r {
                    Err(e) => Err((false, e)),
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.into_body().to_string().await {
                            Ok(text) => Ok((status, text)),
                            Err(e) => Err((true, e)),
                        }
                    }
                };
                results.push(outcome);
            }
            results
        });
        assert_eq!(
            results.len(),
            batch.len(),
            "callv yielded {} items for {} requests",
            results.len(),
            batch.len()
        );
        for (id, outcome) in batch.iter().copied().zip(results) {
            totals.requests += 1;
            match outcome {
                Ok((status, text)) => {
                    if status == StatusCode::REQUEST_TIMEOUT {
                        // The server timed out a head a stalled reader kept from it.
                        assert!(
                            plan.faulty
                                .iter()
                                .any(|(f, _)| matches!(f, Fault::ServerStopsReading(_))),
                            "408 without a stalled reader"
                        );
                        totals.failed += 1;
                        last.insert(id, Last::Failed(Error::timeout()));
                        continue;
                    }
                    assert_eq!(status, StatusCode::OK, "request {id}");
                    let len = if method_of(id) == Method::POST {
                        format!("payload {id}").len()
                    } else {
                        0
                    };
                    assert_eq!(
                        text,
                        format!("{} /item/{id} {len}", method_of(id)),
                        "request {id} got another request's answer"
                    );
                    totals.ok += 1;
                    last.insert(id, Last::Answered);
                }
                Err((head, e)) => {
                    totals.failed += 1;
                    assert!(
                        !plan.faulty.is_empty(),
                        "request {id} failed without any fault: {e:?}"
                    );
                    if policy.allows(&e, &method_of(id)) {
                        pending.push(id);
                        totals.retried += 1;
                    }
                    last.insert(
                        id,
                        if head {
                            Last::BodyCut(e)
                        } else {
                            Last::Failed(e)
                        },
                    );
                }
            }
        }
    }
    drop(client);
    sim.advance(Duration::from_secs(120));
    sim.run_until_idle();
    assert_eq!(
        sim.live_tasks(),
        baseline,
        "tasks left running after the client was dropped"
    );

    let only_graceful = plan.faulty.iter().all(|(f, _)| f.is_graceful());
    let seen = seen.lock().unwrap().clone();
    for id in 0..REQUESTS {
        let n = seen.get(&id).copied().unwrap_or(0);
        let outcome = last.get(&id).expect("every request has an outcome");
        if method_of(id) == Method::POST {
            assert!(n <= 1, "POST {id} reached the server {n} times");
        }
        if let Last::Failed(e) = outcome {
            if method_of(id) != Method::POST {
                assert!(
                    !matches!(e.kind(), ErrorKind::Retry { .. }),
                    "idempotent {id} still failing with the retry error after {rounds} rounds: {e:?}"
                );
                if only_graceful {
                    panic!("idempotent {id} not answered under orderly faults only: {e:?}");
                }
            }
        } else {
            assert!(n >= 1, "request {id} answered but never seen");
        }
    }

    let _ = stop_tx.send(());
    sim.block_on(server);
    assert_eq!(sim.live_tasks(), 0, "tasks left after the server stopped");
    totals.faulty_connections += plan.faulty.len() as u64;
    totals.faults_fired += faults_fired(&sim.trace()) as u64;
    sim
}

#[test]
fn pipelined_callv_of_100_survives_random_faults() {
    let totals = run_campaign("campaign_callv", |seed, totals| {
        let sim = run_seed(seed, totals);
        if seed % 50 == 11 || std::env::var("CAMPAIGN_SEED").is_ok() {
            let again = run_seed(seed, &mut Totals::default());
            assert!(
                sim.trace() == again.trace(),
                "seed={seed}: the same seed gave two different traces"
            );
        }
    });
    assert!(totals.seeds == 1 || totals.faults_fired > 0);
}
