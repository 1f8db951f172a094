//! hyper's side of the client rows, run as
//! `xtask bench-hyper-client --port P --path /plaintext --mode MODE --requests N
//! --concurrency C --connections K`, printing `bench-client requests=N errors=E elapsed_ns=T`.
//!
//! That command line and result line are the contract every client under test follows (ours is
//! `cohttp-tokio/examples/bench_client`, not written yet); see `BENCHMARKS.md` and
//! `client.rs`. Modes:
//! - `sequential`: one connection (`hyper::client::conn::http1`), one request at a time;
//! - `concurrent`: hyper-util's pooled `Client`, `C` requests in flight, `N` in all;
//! - `pipelined`: `K` connections; hyper's HTTP/1 connection carries one request at a time, so
//!   each connection is driven sequentially and `C` is ignored. That is the best hyper does with
//!   `K` connections.
//!
//! Every response is read to its end and checked (status 200, body `Hello, World!`). The clock
//! starts after the connections are made (for the pool: after one warm-up round of `C`
//! requests), so connection set-up is not timed. One `current_thread` runtime.

use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::client::{ClientJob, ClientMode, Outcome};

const BODY: &[u8] = b"Hello, World!";

type PooledClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Empty<Bytes>,
>;

/// `xtask bench-hyper-client ...`: runs one job and prints its result line.
pub fn main(args: &[String]) -> ExitCode {
    let (port, path, job) = match ClientJob::parse_args(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench-hyper-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-hyper-client: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let uri = format!("http://127.0.0.1:{port}{path}");
    let local = tokio::task::LocalSet::new();
    match local.block_on(&rt, run(uri, port, job)) {
        Ok(outcome) => {
            println!("{}", outcome.line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-hyper-client: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(uri: String, port: u16, job: ClientJob) -> Result<Outcome, String> {
    match job.mode {
        ClientMode::Sequential => connections(uri, port, 1, job.requests).await,
        ClientMode::Pipelined => connections(uri, port, job.connections, job.requests).await,
        ClientMode::Concurrent => pooled(uri, job.concurrency, job.requests).await,
    }
}

fn request(uri: &str) -> Result<Request<Empty<Bytes>>, String> {
    Request::get(uri)
        .header(hyper::header::HOST, "127.0.0.1")
        .body(Empty::new())
        .map_err(|e| e.to_string())
}

/// Checks one response and reads its body to the end.
async fn check(resp: hyper::Response<hyper::body::Incoming>) -> bool {
    let ok = resp.status() == hyper::StatusCode::OK;
    match resp.into_body().collect().await {
        Ok(b) => ok && b.to_bytes() == BODY,
        Err(_) => false,
    }
}

/// `k` connections, each carrying its share of `n` requests one at a time.
async fn connections(uri: String, port: u16, k: usize, n: u64) -> Result<Outcome, String> {
    let k = k.max(1);
    let mut senders = Vec::with_capacity(k);
    for _ in 0..k {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::task::spawn_local(conn);
        senders.push(sender);
    }
    let uri: Rc<str> = uri.into();
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(k);
    for (i, mut sender) in senders.into_iter().enumerate() {
        let share = n / k as u64 + u64::from((i as u64) < n % k as u64);
        let uri = uri.clone();
        tasks.push(tokio::task::spawn_local(async move {
            let (mut done, mut errors) = (0u64, 0u64);
            for _ in 0..share {
                let ok = match (sender.ready().await, request(&uri)) {
                    (Ok(()), Ok(req)) => match sender.send_request(req).await {
                        Ok(resp) => check(resp).await,
                        Err(_) => false,
                    },
                    _ => false,
                };
                if ok {
                    done += 1;
                } else {
                    // A failed HTTP/1 connection cannot carry more requests.
                    errors += share - done;
                    break;
                }
            }
            (done, errors)
        }));
    }
    finish(start, tasks).await
}

/// hyper-util's pooled client with `c` requests in flight, `n` in all.
async fn pooled(uri: String, c: usize, n: u64) -> Result<Outcome, String> {
    let c = c.max(1);
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(c)
        .pool_idle_timeout(Duration::from_secs(60))
        .build_http::<Empty<Bytes>>();
    let uri: Rc<str> = uri.into();
    // Warm-up: one request per slot, so the pool holds `c` connections before timing.
    let mut warm = Vec::with_capacity(c);
    for _ in 0..c {
        let (client, uri) = (client.clone(), uri.clone());
        warm.push(tokio::task::spawn_local(async move {
            pooled_one(&client, &uri).await
        }));
    }
    for t in warm {
        if !t.await.unwrap_or(false) {
            return Err("warm-up request failed".into());
        }
    }
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(c);
    for i in 0..c {
        let share = n / c as u64 + u64::from((i as u64) < n % c as u64);
        let (client, uri) = (client.clone(), uri.clone());
        tasks.push(tokio::task::spawn_local(async move {
            let (mut done, mut errors) = (0u64, 0u64);
            for _ in 0..share {
                if pooled_one(&client, &uri).await {
                    done += 1;
                } else {
                    errors += 1;
                }
            }
            (done, errors)
        }));
    }
    finish(start, tasks).await
}

/// One request through the pool, checked.
async fn pooled_one(client: &PooledClient, uri: &str) -> bool {
    let Ok(req) = request(uri) else { return false };
    match client.request(req).await {
        Ok(resp) => check(resp).await,
        Err(_) => false,
    }
}

async fn finish(
    start: Instant,
    tasks: Vec<tokio::task::JoinHandle<(u64, u64)>>,
) -> Result<Outcome, String> {
    let (mut requests, mut errors) = (0, 0);
    for t in tasks {
        let (d, e) = t.await.map_err(|e| e.to_string())?;
        requests += d;
        errors += e;
    }
    Ok(Outcome {
        requests,
        errors,
        elapsed: start.elapsed(),
    })
}
