//! The load generator of the server rows: raw TCP on one `current_thread` tokio runtime,
//! `connections` keep-alive connections to 127.0.0.1, each keeping `depth` requests in flight
//! (1 = no pipelining), every response parsed and validated (`validate.rs`).
//!
//! A run is bounded in time (warm-up, then the measured window) and in count (`max_requests`
//! in all). Requests completed during the window are counted; an error (refused connection,
//! early close, invalid response, more responses than requests) ends that connection and is
//! counted, and a run with any error is invalid. It also opens idle keep-alive connections for the
//! memory row. It does not start servers or judge results.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::rss::{self, CpuTime};
use super::validate::{Expect, ResponseStream};

/// Read buffer per connection.
const READ_BUF: usize = 64 * 1024;

/// One load run.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Server address (loopback).
    pub addr: SocketAddr,
    /// Request target, e.g. `/plaintext`.
    pub path: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Requests in flight per connection (1 = no pipelining).
    pub depth: usize,
    /// Time before the measured window.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// Requests sent in all, at most.
    pub max_requests: u64,
    /// What each response must be.
    pub expect: Expect,
    /// The server's pid, to report the CPU it used during the window.
    pub server_pid: Option<u32>,
}

/// What one load run measured.
#[derive(Clone, Debug, Default)]
pub struct LoadResult {
    /// Valid responses completed in the window.
    pub requests: u64,
    /// Bytes read in the window.
    pub bytes: u64,
    /// Errors over the whole run.
    pub errors: u64,
    /// The first error's description.
    pub first_error: Option<String>,
    /// Length of the window.
    pub elapsed: Duration,
    /// Server CPU in the window, in cores (1.0 = one core busy throughout).
    pub server_cpu: Option<CpuTime>,
    /// This process's CPU in the window, in cores.
    pub loadgen_cpu: Option<CpuTime>,
}

impl LoadResult {
    /// Responses per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// MiB read per second.
    pub fn mib_per_second(&self) -> f64 {
        self.bytes as f64 / (1024.0 * 1024.0) / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Counters shared by the connections of a run.
#[derive(Default)]
struct Counters {
    completed: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Counters {
    fn error(&self, e: String) {
        self.errors.fetch_add(1, Relaxed);
        if let Ok(mut first) = self.first_error.lock() {
            first.get_or_insert(e);
        }
    }
}

/// A reading at one end of the window.
struct Snapshot {
    at: Instant,
    completed: u64,
    bytes: u64,
    server_cpu: Option<CpuTime>,
    own_cpu: Option<CpuTime>,
}

impl Snapshot {
    fn take(c: &Counters, server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            completed: c.completed.load(Relaxed),
            bytes: c.bytes.load(Relaxed),
            server_cpu: server_pid.and_then(rss::cpu_time),
            own_cpu: rss::cpu_time(std::process::id()),
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("load generator runtime: {e}"))
}

fn request_bytes(path: &str, addr: SocketAddr) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes()
}

/// Runs the load described by `spec` and measures it.
pub fn run(spec: &LoadSpec) -> Result<LoadResult, String> {
    if !spec.addr.ip().is_loopback() {
        return Err(format!("refusing to load {}: not loopback", spec.addr));
    }
    let conns = spec.connections.max(1);
    let depth = spec.depth.max(1);
    let req = request_bytes(&spec.path, spec.addr);
    let batch: Arc<[u8]> = req.repeat(depth).into();
    let counters = Arc::new(Counters::default());
    runtime()?.block_on(async {
        let mut tasks = JoinSet::new();
        for i in 0..conns {
            let budget = spec.max_requests / conns as u64
                + u64::from((i as u64) < spec.max_requests % conns as u64);
            let conn = Conn {
                addr: spec.addr,
                batch: batch.clone(),
                req_len: req.len(),
                depth,
                budget,
                expect: spec.expect.clone(),
                counters: counters.clone(),
            };
            tasks.spawn(async move {
                if let Err(e) = conn.drive().await {
                    conn.counters.error(e);
                }
            });
        }
        let start;
        let end;
        {
            let all_done = async { while tasks.join_next().await.is_some() {} };
            tokio::pin!(all_done);
            // Spawned tasks have not run yet: with no warm-up, the window holds every request.
            if !spec.warmup.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(spec.warmup) => {}
                    _ = &mut all_done => {}
                }
            }
            start = Snapshot::take(&counters, spec.server_pid);
            tokio::select! {
                _ = tokio::time::sleep(spec.duration) => {}
                _ = &mut all_done => {}
            }
            end = Snapshot::take(&counters, spec.server_pid);
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let elapsed = end.at - start.at;
        let cores = |a: Option<CpuTime>, b: Option<CpuTime>| {
            Some(a?.cores_until(&b?, elapsed.as_secs_f64()))
        };
        Ok(LoadResult {
            requests: end.completed - start.completed,
            bytes: end.bytes - start.bytes,
            errors: counters.errors.load(Relaxed),
            first_error: counters.first_error.lock().ok().and_then(|f| f.clone()),
            elapsed,
            server_cpu: cores(start.server_cpu, end.server_cpu),
            loadgen_cpu: cores(start.own_cpu, end.own_cpu),
        })
    })
}

/// One connection of a run.
struct Conn {
    addr: SocketAddr,
    /// `depth` copies of the request.
    batch: Arc<[u8]>,
    req_len: usize,
    depth: usize,
    /// Requests this connection sends in all.
    budget: u64,
    expect: Expect,
    counters: Arc<Counters>,
}

impl Conn {
    /// Keeps `depth` requests in flight until the budget is spent (or the task is aborted).
    async fn drive(&self) -> Result<(), String> {
        let mut stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut parser = ResponseStream::new(self.expect.clone());
        let mut buf = vec![0u8; READ_BUF];
        let (mut start, mut end) = (0usize, 0usize);
        let (mut sent, mut done) = (0u64, 0u64);
        let first = (self.depth as u64).min(self.budget);
        self.send(&mut stream, first).await?;
        sent += first;
        while done < self.budget {
            if end == buf.len() {
                // `start > 0` here: the parser bounds an unconsumed head well below READ_BUF.
                buf.copy_within(start..end, 0);
                end -= start;
                start = 0;
            }
            let n = stream
                .read(&mut buf[end..])
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                let cut = if parser.is_idle() {
                    ""
                } else {
                    " in the middle of one"
                };
                return Err(format!(
                    "server closed the connection after {done} of {sent} responses{cut}"
                ));
            }
            end += n;
            self.counters.bytes.fetch_add(n as u64, Relaxed);
            let p = parser
                .feed(&buf[start..end])
                .map_err(|e| format!("invalid response after {done}: {e}"))?;
            start += p.consumed;
            if start == end {
                (start, end) = (0, 0);
            }
            if p.completed == 0 {
                continue;
            }
            done += p.completed as u64;
            if done > sent {
                return Err(format!("{done} responses to {sent} requests"));
            }
            self.counters
                .completed
                .fetch_add(p.completed as u64, Relaxed);
            let in_flight = sent - done;
            let more = (self.depth as u64 - in_flight).min(self.budget - sent);
            if more > 0 {
                self.send(&mut stream, more).await?;
                sent += more;
            }
        }
        Ok(())
    }

    async fn send(&self, stream: &mut TcpStream, n: u64) -> Result<(), String> {
        let len = self.req_len * n as usize;
        stream
            .write_all(&self.batch[..len])
            .await
            .map_err(|e| format!("write: {e}"))
    }
}

/// How far opening idle connections got.
#[derive(Clone, Debug, Default)]
pub struct IdleReport {
    /// Connections open, each having completed one valid request.
    pub opened: usize,
    /// Why it stopped short of the count asked for.
    pub stopped_by: Option<String>,
    /// Time taken to open them.
    pub opening: Duration,
}

/// Opens up to `count` keep-alive connections to `addr`, `batch` at a time, each carrying one
/// `GET /plaintext` answered and validated, then calls `measure` while they sit idle, then closes
/// them. Stops opening at the first failure (typically the open-file limit) and reports how many
/// were reached.
pub fn with_idle_connections<T>(
    addr: SocketAddr,
    count: usize,
    batch: usize,
    measure: impl FnOnce(&IdleReport) -> T,
) -> Result<(IdleReport, T), String> {
    if !addr.ip().is_loopback() {
        return Err(format!("refusing to connect to {addr}: not loopback"));
    }
    let rt = runtime()?;
    let req: Arc<[u8]> = request_bytes("/plaintext", addr).into();
    let mut streams = Vec::with_capacity(count);
    let mut report = IdleReport::default();
    let began = Instant::now();
    rt.block_on(async {
        while streams.len() < count && report.stopped_by.is_none() {
            let mut set = JoinSet::new();
            for _ in 0..batch.min(count - streams.len()) {
                let req = req.clone();
                set.spawn(async move { one_request(addr, &req).await });
            }
            while let Some(r) = set.join_next().await {
                match r {
                    Ok(Ok(s)) => streams.push(s),
                    Ok(Err(e)) => {
                        report.stopped_by.get_or_insert(e);
                    }
                    Err(e) => {
                        report.stopped_by.get_or_insert(e.to_string());
                    }
                }
            }
        }
    });
    report.opened = streams.len();
    report.opening = began.elapsed();
    // Let the server settle after the last request before measuring.
    std::thread::sleep(Duration::from_millis(300));
    let out = measure(&report);
    let closing = Instant::now();
    drop(streams);
    eprintln!(
        "bench: closed {} connections in {:?}",
        report.opened,
        closing.elapsed()
    );
    Ok((report, out))
}

/// Connects, sends one request, reads and validates its response; returns the open stream.
async fn one_request(addr: SocketAddr, req: &[u8]) -> Result<TcpStream, String> {
    let timeout = Duration::from_secs(10);
    let work = async {
        let mut s = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        s.write_all(req).await.map_err(|e| format!("write: {e}"))?;
        let mut parser = ResponseStream::new(Expect::plaintext());
        let mut buf = Vec::with_capacity(1024);
        loop {
            let mut chunk = [0u8; 1024];
            let n = s.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("server closed an idle-test connection".to_string());
            }
            buf.extend_from_slice(&chunk[..n]);
            let p = parser.feed(&buf).map_err(|e| e.to_string())?;
            buf.drain(..p.consumed);
            if p.completed > 0 {
                return Ok(s);
            }
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("no response within {timeout:?}"))?
}
