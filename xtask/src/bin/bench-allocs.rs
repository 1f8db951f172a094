//! Allocations per request of a server, counted by a global allocator: the bench's
//! deterministic figure for issue 7's "allocations per request on server plaintext".
//!
//! `cargo run --release -p xtask --bin bench-allocs -- [--server ours|hyper] [--requests N]
//! [--depth D] [--path /plaintext]` serves on loopback in this process (our tokio example's
//! demo service on a `current_thread` runtime, or the bench's hyper server with the same
//! routes), drives it from a second thread with blocking `std` sockets that allocate nothing
//! per request, and prints one line per server:
//!
//! `bench-allocs server=ours path=/plaintext depth=1 requests=N allocs=A per_request=A/N
//! bytes_per_request=B`
//!
//! Every allocation of the process between the end of a warm-up and the last response is
//! counted (`alloc`, `alloc_zeroed` and `realloc` each count one), so the figure is the
//! server's own, with its runtime's (a task wake-up, a timer) included. `--depth D` sends
//! D requests at once (pipelined) and reads D responses; 1 is one request at a time.
//!
//! This binary is bench tooling: the counting allocator lives here, never in a library crate.

#![forbid(unsafe_code)]
// The hyper server module is shared with the `xtask` binary, which uses more of it.
#![allow(dead_code)]

#[path = "../bench/hyper_server.rs"]
mod hyper_server;
#[path = "../bench/rss.rs"]
mod rss;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::thread::JoinHandle;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

/// The process's allocator: the system's, counting.
#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Requests made before counting starts: connection set-up, buffers and caches warm.
const WARMUP: u64 = 2_000;

struct Options {
    servers: Vec<String>,
    requests: u64,
    depth: u64,
    path: String,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        servers: Vec::new(),
        requests: 100_000,
        depth: 1,
        path: "/plaintext".into(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--server" => {
                let v = value()?;
                if v != "ours" && v != "hyper" {
                    return Err(format!("--server must be ours or hyper, not {v:?}"));
                }
                o.servers.push(v.clone());
            }
            "--requests" => o.requests = value()?.parse().map_err(|_| "bad --requests")?,
            "--depth" => o.depth = value()?.parse().map_err(|_| "bad --depth")?,
            "--path" => o.path.clone_from(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if o.servers.is_empty() {
        o.servers = vec!["ours".into(), "hyper".into()];
    }
    if o.depth == 0 || o.requests == 0 || !o.requests.is_multiple_of(o.depth) {
        return Err("--requests must be a positive multiple of --depth".into());
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "bench-allocs: {e}\nusage: bench-allocs [--server ours|hyper]... \
                 [--requests N] [--depth D] [--path /plaintext]"
            );
            return ExitCode::from(2);
        }
    };
    for server in &opts.servers {
        match measure(server, &opts) {
            Ok(c) => println!(
                "bench-allocs server={server} path={} depth={} requests={} allocs={} \
                 per_request={:.3} bytes_per_request={:.1}",
                opts.path,
                opts.depth,
                opts.requests,
                c.0,
                c.0 as f64 / opts.requests as f64,
                c.1 as f64 / opts.requests as f64
            ),
            Err(e) => {
                eprintln!("bench-allocs: {server}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Serves with `server` on this thread and drives it from another; returns the
/// allocations and bytes counted over the measured requests.
fn measure(server: &str, opts: &Options) -> Result<(u64, u64), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let (path, requests, depth) = (opts.path.clone(), opts.requests, opts.depth);
    // The client thread, started once the server's address is known; it stops the
    // server (through `done`) when it ends.
    let start = move |addr: SocketAddr, done: tokio::sync::oneshot::Sender<()>| {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        std::thread::spawn(move || {
            let r = drive(addr, request.as_bytes(), requests, depth);
            let _ = done.send(());
            r
        })
    };
    let client: JoinHandle<Result<(u64, u64), String>> = rt.block_on(async move {
        let (done, stopped) = tokio::sync::oneshot::channel::<()>();
        let stop = async {
            let _ = stopped.await;
        };
        let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
        if server == "ours" {
            let cohttp_rt = cohttp_tokio::runtime();
            let listener = cohttp_rt
                .listen(cohttp_core::runtime::Addr::Tcp(loopback))
                .await
                .map_err(|e| format!("listen: {e}"))?;
            let addr = match listener.local_addr() {
                Ok(cohttp_core::runtime::Addr::Tcp(a)) => a,
                other => return Err(format!("local address: {other:?}")),
            };
            let client = start(addr, done);
            // The example server's configuration (`testkit::demo::server_main`).
            let config = cohttp_core::server::ServerConfig::default().max_connections(20_000);
            cohttp_core::server::serve_listener(
                &cohttp_rt,
                listener,
                cohttp_core::testkit::demo::Demo,
                config,
                stop,
            )
            .await;
            Ok(client)
        } else {
            let listener = tokio::net::TcpListener::bind(loopback)
                .await
                .map_err(|e| format!("listen: {e}"))?;
            let addr = listener
                .local_addr()
                .map_err(|e| format!("local address: {e}"))?;
            let client = start(addr, done);
            tokio::select! {
                r = hyper_server::serve_on(listener) => r.map_err(|e| e.to_string())?,
                () = stop => {}
            }
            Ok(client)
        }
    })?;
    client
        .join()
        .map_err(|_| "the client thread panicked".to_string())?
}

/// The client: `WARMUP` requests, then `requests` counted ones, `depth` at a time on one
/// connection. Every response must be complete and end with the same bytes as the first.
fn drive(
    addr: SocketAddr,
    request: &[u8],
    requests: u64,
    depth: u64,
) -> Result<(u64, u64), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    // One response, to learn its length (fixed: the Date header's width does not vary).
    s.write_all(request).map_err(|e| e.to_string())?;
    let first = read_response(&mut s)?;
    let batch: Vec<u8> = request.repeat(depth as usize);
    let mut buf = vec![0u8; first.len() * depth as usize];
    let mut round = |s: &mut TcpStream| -> Result<(), String> {
        s.write_all(&batch).map_err(|e| e.to_string())?;
        s.read_exact(&mut buf).map_err(|e| format!("read: {e}"))?;
        let tail = &first[first.len() - 16.min(first.len())..];
        if !buf.ends_with(tail) {
            return Err("a response differs from the first one".into());
        }
        Ok(())
    };
    for _ in 0..WARMUP.div_ceil(depth) {
        round(&mut s)?;
    }
    let region = Region::new(GLOBAL);
    for _ in 0..requests / depth {
        round(&mut s)?;
    }
    let c = region.change();
    Ok((
        (c.allocations + c.reallocations) as u64,
        (c.bytes_allocated + c.bytes_reallocated.max(0) as usize) as u64,
    ))
}

/// Reads one response with a `Content-Length` body, whole.
fn read_response(s: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        got.extend_from_slice(&chunk[..n]);
        let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or("the response has no Content-Length")?;
        if !head.starts_with("http/1.1 200") {
            return Err(format!("unexpected response: {head}"));
        }
        if got.len() >= end + 4 + len {
            if got.len() > end + 4 + len {
                return Err("more bytes than one response".into());
            }
            return Ok(got);
        }
    }
}
