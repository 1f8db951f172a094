//! `cargo xtask examples`: each backend's example server, started exactly as the README
//! says, checked from outside: every route with `curl` (keep-alive reuse across URLs
//! visible in `curl -v`), a 16-deep pipelined burst on a raw socket, 10 000 sequential
//! requests on one connection, 64 connections × 1 000 requests, the server's resident
//! memory after warm-up and at the end, and a graceful exit on SIGTERM.
//!
//! Options: `--release` (default: the dev profile, which `cargo test` has built),
//! `--backends tokio,async-std,smol`, `--requests N` (per connection; default 1 000).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench::rss::rss_kib;
use crate::bench::validate::{Expect, ResponseStream};

struct Options {
    release: bool,
    backends: Vec<String>,
    requests: usize,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        release: false,
        backends: vec!["tokio".into(), "async-std".into(), "smol".into()],
        requests: 1000,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--release" => o.release = true,
            "--backends" => {
                let v = it.next().ok_or("--backends needs a list")?;
                o.backends = v.split(',').map(str::to_string).collect();
            }
            "--requests" => {
                let v = it.next().ok_or("--requests needs a number")?;
                o.requests = v.parse().map_err(|_| format!("bad --requests {v:?}"))?;
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(o)
}

/// The example server of one backend, running.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn target_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Builds the backend's example and copies it aside (the three backends' examples share
/// one output name).
fn build(backend: &str, release: bool) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "-q",
        "-p",
        &format!("cohttp-{backend}"),
        "--example",
        "server",
    ]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building cohttp-{backend}'s example failed"));
    }
    let dir = target_dir()
        .join(if release { "release" } else { "debug" })
        .join("examples");
    let copy = dir.join(format!("server-{backend}"));
    std::fs::copy(dir.join("server"), &copy).map_err(|e| format!("copying the example: {e}"))?;
    Ok(copy)
}

fn start(binary: &Path) -> Result<Server, String> {
    let mut child = Command::new(binary)
        .args(["--port", "0", "--host", "127.0.0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("the server printed {line:?}, not `listening on ADDR`"))?;
    Ok(Server { child, addr })
}

fn curl(args: &[&str]) -> Result<(String, String), String> {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "curl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

/// Every route through a real client.
fn curl_checks(addr: SocketAddr) -> Result<(), String> {
    if Command::new("curl").arg("--version").output().is_err() {
        println!("  curl: not installed here, skipped");
        return Ok(());
    }
    let url = |p: &str| format!("http://{addr}{p}");
    let (body, _) = curl(&[&url("/plaintext")])?;
    check(body == "Hello, World!", || {
        format!("/plaintext gave {body:?}")
    })?;
    let (head, _) = curl(&["-si", &url("/json")])?;
    check(
        head.starts_with("HTTP/1.1 200 OK\r\n")
            && head.contains("content-type: application/json\r\n")
            && head.ends_with("\r\n\r\n{\"message\":\"Hello, World!\"}"),
        || format!("/json gave {head:?}"),
    )?;
    let (bytes, _) = curl(&[&url("/bytes/100000")])?;
    check(
        bytes.len() == 100_000 && bytes.bytes().all(|b| b == b'x'),
        || format!("/bytes/100000 gave {} bytes", bytes.len()),
    )?;
    let (streamed, _) = curl(&["-si", &url("/stream/100000")])?;
    check(
        streamed.contains("transfer-encoding: chunked\r\n")
            && streamed.ends_with(&"x".repeat(100_000)),
        || "/stream/100000 was not 100000 chunked bytes".into(),
    )?;
    let (echo, _) = curl(&["-X", "PUT", "--data-binary", "abc", &url("/k?v=1")])?;
    check(echo == "PUT /k?v=1 HTTP/1.1\nBODY:abc", || {
        format!("echo gave {echo:?}")
    })?;
    let (echo10, _) = curl(&["--http1.0", &url("/old")])?;
    check(echo10 == "GET /old HTTP/1.0\nBODY:", || {
        format!("HTTP/1.0 echo gave {echo10:?}")
    })?;
    let (_, verbose) = curl(&[
        "-v",
        "--http1.1",
        &url("/plaintext"),
        &url("/json"),
        &url("/bytes/10"),
    ])?;
    let reused = verbose.matches("Re-using existing connection").count()
        + verbose.matches("Reusing existing").count();
    check(reused >= 2, || {
        format!("curl -v shows {reused} reused connections, wanted 2")
    })?;
    println!("  curl: routes, HTTP/1.0, echo, keep-alive reuse across 3 URLs: ok");
    Ok(())
}

/// Writes `n` requests in one burst and reads `n` valid responses back.
fn pipelined_burst(addr: SocketAddr, n: usize) -> Result<(), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let burst = "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n".repeat(n);
    s.write_all(burst.as_bytes()).map_err(|e| e.to_string())?;
    read_valid(&mut s, n)?;
    println!("  raw socket: {n} pipelined requests in one write, {n} valid responses");
    Ok(())
}

/// Reads until `n` valid plaintext responses have arrived.
fn read_valid(s: &mut TcpStream, n: usize) -> Result<(), String> {
    let mut parser = ResponseStream::new(Expect::plaintext());
    let mut pending: Vec<u8> = Vec::new();
    let mut done = 0;
    let mut buf = [0u8; 16 * 1024];
    while done < n {
        let got = s
            .read(&mut buf)
            .map_err(|e| format!("after {done} responses: {e}"))?;
        if got == 0 {
            return Err(format!("end of stream after {done} of {n} responses"));
        }
        pending.extend_from_slice(&buf[..got]);
        let p = parser
            .feed(&pending)
            .map_err(|e| format!("invalid response: {e:?}"))?;
        pending.drain(..p.consumed);
        done += p.completed;
    }
    Ok(())
}

/// `requests` sequential requests on one keep-alive connection; the errors counted.
fn sequential(addr: SocketAddr, requests: usize) -> Result<usize, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let req = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut errors = 0;
    for _ in 0..requests {
        if s.write_all(req).is_err() || read_valid(&mut s, 1).is_err() {
            errors += 1;
            s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
            s.set_read_timeout(Some(Duration::from_secs(20)))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(errors)
}

fn concurrent(addr: SocketAddr, connections: usize, requests: usize) -> usize {
    let handles: Vec<_> = (0..connections)
        .map(|_| std::thread::spawn(move || sequential(addr, requests).unwrap_or(requests)))
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().unwrap_or(requests))
        .sum()
}

fn one_backend(backend: &str, o: &Options) -> Result<(), String> {
    println!("cohttp-{backend}:");
    let binary = build(backend, o.release)?;
    let mut server = start(&binary)?;
    let addr = server.addr;
    let pid = server.child.id();
    println!("  listening on {addr}");
    curl_checks(addr)?;
    pipelined_burst(addr, 16)?;

    let t = Instant::now();
    let seq = 10_000;
    let errors = sequential(addr, seq)?;
    println!(
        "  {seq} sequential requests on one connection: {errors} errors, {:.2} s",
        t.elapsed().as_secs_f64()
    );
    check(errors == 0, || {
        format!("{errors} errors in the sequential run")
    })?;
    // Warm-up: every connection of the concurrent run opened once and used.
    let errors = concurrent(addr, 64, 100);
    check(errors == 0, || format!("{errors} errors in the warm-up"))?;
    let warm = rss_kib(pid).unwrap_or(0);

    let t = Instant::now();
    let errors = concurrent(addr, 64, o.requests);
    let total = 64 * o.requests;
    let end = rss_kib(pid).unwrap_or(0);
    println!(
        "  64 connections × {} requests: {errors} errors, {:.2} s; server RSS {warm} KiB after warm-up (64 × 100), {end} KiB at the end",
        o.requests,
        t.elapsed().as_secs_f64()
    );
    check(errors == 0, || {
        format!("{errors} errors in {total} concurrent requests")
    })?;
    // Growth past warm-up beyond noise: a quarter again and 4 MiB more.
    check(end <= warm + warm / 4 + 4 * 1024, || {
        format!("server RSS grew from {warm} KiB to {end} KiB")
    })?;

    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match server.child.try_wait() {
            Ok(Some(status)) => {
                check(status.success(), || {
                    format!("exited with {status} on SIGTERM")
                })?;
                println!("  SIGTERM: graceful exit");
                break;
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => return Err("still running 15 s after SIGTERM".into()),
        }
    }
    Ok(())
}

/// Runs the checks on every backend asked for; `false` if any failed.
pub fn main(args: &[String]) -> bool {
    let o = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask examples: {e}");
            return false;
        }
    };
    let mut ok = true;
    for b in &o.backends {
        if let Err(e) = one_backend(b, &o) {
            eprintln!("cohttp-{b}: FAILED: {e}");
            ok = false;
        }
    }
    ok
}
