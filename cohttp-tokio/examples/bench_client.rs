//! Our side of `cargo xtask bench`'s client rows: the same command line and result line as
//! `xtask bench-hyper-client` (see `BENCHMARKS.md`), on cohttp's client over tokio.
//!
//! ```text
//! bench_client --port P --path /plaintext --mode sequential|concurrent|pipelined \
//!     --requests N --concurrency C --connections K
//! ```
//!
//! prints `bench-client requests=N errors=E elapsed_ns=T` on stdout. Modes:
//! - `sequential`: one [`Connection`], one request at a time;
//! - `concurrent`: a [`Client`] over a [`Cache`] of `C` connections (`parallel(C)`, as many as
//!   hyper's pool holds in the same row), `C` requests in flight, `N` in all;
//! - `pipelined`: `K` connections, each with `C` requests in flight at once through
//!   [`Connection::call`] (a sliding window: a new request is queued as each response is read),
//!   so each connection is pipelined `C` deep.
//!
//! Every response is checked (status 200, body `Hello, World!`, read to its end). The clock
//! starts once the connections are up (for the pool: after one warm-up round of `C` requests),
//! so connection set-up is not timed. One current-thread tokio runtime. Exit status 0 whenever
//! the job ran, errors or not (the bench judges the row); non-zero only when it could not run.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use cohttp_core::client::{Cache, CacheConfig, Client, Connection, ConnectionConfig};
use cohttp_core::{Body, Runtime};
use futures_util::stream::{FuturesOrdered, StreamExt};

const BODY: &[u8] = b"Hello, World!";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sequential,
    Concurrent,
    Pipelined,
}

struct Job {
    port: u16,
    path: String,
    mode: Mode,
    requests: u64,
    concurrency: usize,
    connections: usize,
}

fn parse_args(args: &[String]) -> Result<Job, String> {
    let mut job = Job {
        port: 0,
        path: "/plaintext".into(),
        mode: Mode::Sequential,
        requests: 10_000,
        concurrency: 1,
        connections: 1,
    };
    let mut port = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |_| format!("bad value for {flag}: {value}");
        match flag.as_str() {
            "--port" => port = Some(value.parse().map_err(bad)?),
            "--path" => job.path.clone_from(value),
            "--requests" => job.requests = value.parse().map_err(bad)?,
            "--concurrency" => job.concurrency = value.parse().map_err(bad)?,
            "--connections" => job.connections = value.parse().map_err(bad)?,
            "--mode" => {
                job.mode = match value.as_str() {
                    "sequential" => Mode::Sequential,
                    "concurrent" => Mode::Concurrent,
                    "pipelined" => Mode::Pipelined,
                    _ => return Err(format!("unknown mode {value}")),
                }
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    job.port = port.ok_or("--port is required")?;
    job.concurrency = job.concurrency.max(1);
    job.connections = job.connections.max(1);
    Ok(job)
}

/// Requests answered and valid, requests failed or invalid, time taken.
struct Outcome {
    requests: u64,
    errors: u64,
    elapsed: Duration,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let job = match parse_args(&args) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("bench_client: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_client: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cohttp = cohttp_tokio::runtime_on(rt.handle().clone());
    match rt.block_on(run(cohttp, job)) {
        Ok(o) => {
            println!(
                "bench-client requests={} errors={} elapsed_ns={}",
                o.requests,
                o.errors,
                o.elapsed.as_nanos()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_client: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(rt: Runtime, job: Job) -> Result<Outcome, String> {
    let uri: http::Uri = format!("http://127.0.0.1:{}{}", job.port, job.path)
        .parse()
        .map_err(|e| format!("uri: {e}"))?;
    match job.mode {
        Mode::Sequential => connections(&rt, &uri, 1, 1, job.requests).await,
        Mode::Pipelined => {
            connections(&rt, &uri, job.connections, job.concurrency, job.requests).await
        }
        Mode::Concurrent => pooled(&rt, uri, job.concurrency, job.requests).await,
    }
}

fn request(uri: &http::Uri) -> http::Request<Body> {
    let mut req = http::Request::new(Body::empty());
    *req.uri_mut() = uri.clone();
    req
}

/// Whether a response is the expected one, its body read to the end.
async fn check(resp: cohttp_core::Result<http::Response<Body>>) -> bool {
    let Ok(resp) = resp else { return false };
    let ok = resp.status() == http::StatusCode::OK;
    match resp.into_body().to_bytes().await {
        Ok(b) => ok && b == BODY,
        Err(_) => false,
    }
}

/// `k` connections, each carrying its share of `n` requests with `depth` in flight at once.
async fn connections(
    rt: &Runtime,
    uri: &http::Uri,
    k: usize,
    depth: usize,
    n: u64,
) -> Result<Outcome, String> {
    let mut conns = Vec::with_capacity(k);
    for _ in 0..k {
        let conn = Connection::create_uri(rt, uri, ConnectionConfig::new())
            .map_err(|e| format!("connection: {e}"))?;
        conn.ready().await.map_err(|e| format!("connect: {e}"))?;
        conns.push(conn);
    }
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(k);
    for (i, conn) in conns.into_iter().enumerate() {
        let share = n / k as u64 + u64::from((i as u64) < n % k as u64);
        let uri = uri.clone();
        tasks.push(tokio::spawn(async move {
            window(&conn, &uri, depth, share).await
        }));
    }
    finish(start, tasks).await
}

/// `share` requests on `conn`, `depth` of them queued at any time, responses checked in order.
async fn window(conn: &Connection, uri: &http::Uri, depth: usize, share: u64) -> (u64, u64) {
    let (mut done, mut errors, mut queued) = (0u64, 0u64, 0u64);
    let mut pending = FuturesOrdered::new();
    while queued < share && pending.len() < depth {
        pending.push_back(conn.call(request(uri)));
        queued += 1;
    }
    while let Some(resp) = pending.next().await {
        if check(resp).await {
            done += 1;
        } else {
            errors += 1;
        }
        if queued < share {
            pending.push_back(conn.call(request(uri)));
            queued += 1;
        }
    }
    (done, errors)
}

/// A client over a cache of `c` connections, `c` requests in flight, `n` in all.
async fn pooled(rt: &Runtime, uri: http::Uri, c: usize, n: u64) -> Result<Outcome, String> {
    let cache = Cache::new(rt, CacheConfig::new().parallel(c));
    let client = Client::new(rt).with_cache(cache);
    // Warm-up: one request per slot, so the pool holds `c` connections before timing.
    let mut warm = Vec::with_capacity(c);
    for _ in 0..c {
        let (client, uri) = (client.clone(), uri.clone());
        warm.push(tokio::spawn(
            async move { check(client.get(uri).await).await },
        ));
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
        tasks.push(tokio::spawn(async move {
            let (mut done, mut errors) = (0u64, 0u64);
            for _ in 0..share {
                if check(client.get(uri.clone()).await).await {
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
