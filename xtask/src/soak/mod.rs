//! `cargo xtask soak [--requests N]`: a long mixed load on the tokio example server, checking
//! that nothing goes wrong, leaks or hangs over time (issue 9, item 4). Not a benchmark: the
//! throughput is printed but judged by nothing.
//!
//! The driver (`soak`) builds the xtask and `cohttp-tokio`'s `server` example in release mode
//! and runs `target/release/xtask soak-run`, which:
//! 1. starts `target/release/examples/server --port P --host 127.0.0.1` with
//!    `COHTTP_WORKERS=W` (default 1: a current-thread runtime, as the bench; with 2 or more,
//!    the multi-thread runtime, whose RSS creeps with glibc's per-thread arenas, so its memory
//!    verdict is noisier: see `SOAK.md`) and reads its descriptor count once it listens: the
//!    baseline;
//! 2. drives N requests (default 1 000 000) from `load.rs`, mixed as `mix.rs` says: keep-alive,
//!    16-deep pipelining, chunked uploads, `Expect: 100-continue`, requests and responses cut by
//!    a close or a reset, malformed requests; every response validated byte for byte where its
//!    bytes are known (status, framing, `Connection: close` or not, body);
//! 3. samples the server's `VmRSS` and descriptors every second (`monitor.rs`);
//! 4. after the load, waits up to [`FD_SETTLE`] for the descriptors to be back to the baseline.
//!
//! It fails (non-zero exit) on any unexpected error (an invalid response, an unexpected close,
//! a refused connection, a wait past 30 s), on the server exiting, on the time limit, on memory
//! grown more than 5% after warm-up, or on descriptors not back to the baseline. Warm-up is the
//! first 10% of the requests or the first 10 s, whichever ends later; the warm-up level is the
//! largest sample taken during it, the end level the largest of the last 5 samples (maxima on
//! both sides absorb the allocator's noise: a sample may catch large buffers in flight).
//! The summary goes to stdout and, as JSON, to `target/soak/latest.json`.

pub mod load;
pub mod mix;
pub mod monitor;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bench::report::{jnum, jstr};
use crate::bench::rss::{fd_count, raise_nofile};
use crate::bench::server::{RunningServer, ServerCmd};
use crate::bench::{target_dir, workspace_root};
use load::{LoadSpec, Stats};
use mix::Kind;
use monitor::{Memory, Sample, Sampler};

/// How long the descriptors may take to come back to the baseline after the load (the
/// server's lingering close after a refusal lasts up to 2 s).
pub const FD_SETTLE: Duration = Duration::from_secs(10);
/// The share of the requests that is warm-up, in percent.
const WARMUP_PERCENT: u64 = 10;

const USAGE: &str = "usage: cargo xtask soak [--requests N] [--quick] [--connections C] \
[--workers W] [--seed S] [--time-limit SECONDS]";

/// Options of `soak` and `soak-run`.
#[derive(Clone, Debug)]
struct Options {
    requests: u64,
    connections: usize,
    workers: usize,
    seed: u64,
    time_limit: Duration,
    /// `soak-run` only: where the example server is.
    examples: Option<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Self {
            requests: 1_000_000,
            connections: 32,
            workers: 1,
            seed: 1,
            time_limit: Duration::from_secs(30 * 60),
            examples: None,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
            match a.as_str() {
                "--quick" => o.requests = 20_000,
                "--requests" => o.requests = num(value()?)?,
                "--connections" => o.connections = num(value()?)?,
                "--workers" => o.workers = num(value()?)?,
                "--seed" => o.seed = num(value()?)?,
                "--time-limit" => o.time_limit = Duration::from_secs(num(value()?)?),
                "--examples" => o.examples = Some(PathBuf::from(value()?)),
                _ => return Err(format!("unknown option {a}")),
            }
        }
        o.requests = o.requests.clamp(1, 100_000_000);
        o.connections = o.connections.clamp(1, 1024);
        o.workers = o.workers.clamp(1, 64);
        o.time_limit = o
            .time_limit
            .clamp(Duration::from_secs(1), Duration::from_secs(4 * 3600));
        Ok(o)
    }
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

/// `cargo xtask soak`: builds in release mode and runs `soak-run`.
pub fn drive(args: &[String]) -> bool {
    if let Err(e) = Options::parse(args) {
        eprintln!("xtask soak: {e}\n{USAGE}");
        return false;
    }
    let build = [
        "build",
        "--release",
        "-p",
        "xtask",
        "-p",
        "cohttp-tokio",
        "--bin",
        "xtask",
        "--example",
        "server",
    ];
    if !crate::run(&build, &[]) {
        return false;
    }
    let release = target_dir(&workspace_root()).join("release");
    let exe = release.join("xtask");
    let status = Command::new(&exe)
        .arg("soak-run")
        .args(args)
        .arg("--examples")
        .arg(release.join("examples"))
        .status();
    match status {
        Ok(s) => s.success(),
        Err(e) => {
            eprintln!("xtask soak: could not run {}: {e}", exe.display());
            false
        }
    }
}

/// What a run found.
struct Outcome {
    opts: Options,
    duration: Duration,
    stats: Arc<Stats>,
    samples: Vec<Sample>,
    memory: Option<Memory>,
    fd_baseline: u64,
    fd_peak: u64,
    fd_end: Option<u64>,
    fd_settled_in: Option<Duration>,
    failures: Vec<String>,
}

/// `xtask soak-run`: the soak itself (see the module docs).
pub fn run(args: &[String]) -> bool {
    let opts = match Options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask soak-run: {e}\n{USAGE}");
            return false;
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("soak: a debug build of the load generator (use `cargo xtask soak`)");
    }
    let nofile = raise_nofile();
    let examples = match &opts.examples {
        Some(e) => e.clone(),
        None => match std::env::current_exe() {
            Ok(p) => p.with_file_name("examples"),
            Err(e) => {
                eprintln!("soak: own path: {e}");
                return false;
            }
        },
    };
    let Some(mut cmd) = ServerCmd::ours(&examples) else {
        eprintln!("soak: no server example in {}", examples.display());
        return false;
    };
    cmd.env
        .push(("COHTTP_WORKERS".into(), opts.workers.to_string()));
    let outcome = match soak(&cmd, &opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("soak: FAILED: {e}");
            return false;
        }
    };
    let summary = summary(&outcome, nofile);
    println!("{summary}");
    let out = target_dir(&workspace_root()).join("soak");
    let path = out.join("latest.json");
    match std::fs::create_dir_all(&out).and_then(|()| std::fs::write(&path, json(&outcome))) {
        Ok(()) => eprintln!("soak: wrote {}", path.display()),
        Err(e) => {
            eprintln!("soak: could not write {}: {e}", path.display());
            return false;
        }
    }
    if outcome.failures.is_empty() {
        println!("soak: PASSED");
        true
    } else {
        for f in &outcome.failures {
            println!("soak: FAILED: {f}");
        }
        false
    }
}

fn soak(cmd: &ServerCmd, opts: &Options) -> Result<Outcome, String> {
    let mut server = RunningServer::start(cmd, None)?;
    let pid = server.pid();
    // Let the runtime's threads and descriptors settle before the baseline.
    std::thread::sleep(Duration::from_millis(300));
    let fd_baseline = fd_count(pid).ok_or("cannot read the server's /proc/PID/fd")?;
    eprintln!(
        "soak: server pid {pid} on {} ({} workers), {fd_baseline} descriptors before load; \
         {} requests, {} connections at once, seed {}, time limit {:?}",
        server.addr, opts.workers, opts.requests, opts.connections, opts.seed, opts.time_limit
    );
    let stats = Arc::new(Stats::default());
    let started = Instant::now();
    let sampler = Sampler::start(pid, stats.clone(), opts.requests);
    let spec = LoadSpec {
        addr: server.addr,
        requests: opts.requests,
        connections: opts.connections,
        seed: opts.seed,
        deadline: started + opts.time_limit,
    };
    let loaded = load::run(&spec, &stats);
    let duration = started.elapsed();
    let samples = sampler.finish();
    let mut failures = Vec::new();
    let timed_out = match loaded {
        Ok(t) => t,
        Err(e) => {
            failures.push(e);
            false
        }
    };
    // Descriptors back to the baseline?
    let settle_from = Instant::now();
    let mut fd_end = fd_count(pid);
    while fd_end.is_some_and(|n| n > fd_baseline) && settle_from.elapsed() < FD_SETTLE {
        std::thread::sleep(Duration::from_millis(100));
        fd_end = fd_count(pid);
    }
    let fd_settled_in = fd_end
        .filter(|&n| n <= fd_baseline)
        .map(|_| settle_from.elapsed());
    let errors = stats.errors.load(Relaxed);
    if errors > 0 {
        failures.push(format!("{errors} unexpected errors"));
    }
    let sent = stats.total_sent();
    if timed_out {
        failures.push(format!(
            "time limit of {:?} reached after {sent} of {} requests",
            opts.time_limit, opts.requests
        ));
    } else if sent < opts.requests && errors == 0 {
        failures.push(format!("only {sent} of {} requests sent", opts.requests));
    }
    if !server.is_running() {
        failures.push(format!("the server exited: {}", server.stderr()));
    }
    let warmup_sent = opts.requests * WARMUP_PERCENT / 100;
    let memory = monitor::memory(&samples, warmup_sent);
    match &memory {
        Some(m) if m.grew() => failures.push(format!(
            "memory grew {:.1}% after warm-up ({} KiB at warm-up, {} KiB at the end), over {}%",
            m.growth_percent,
            m.warmup,
            m.end,
            monitor::MAX_GROWTH_PERCENT
        )),
        Some(_) => {}
        None => failures.push("no memory sample (the server was gone from the start)".into()),
    }
    match fd_end {
        None => failures.push("cannot read the server's descriptors after the load".into()),
        Some(n) if n > fd_baseline => failures.push(format!(
            "{n} descriptors open {FD_SETTLE:?} after the load, {fd_baseline} before it"
        )),
        Some(_) => {}
    }
    let fd_peak = samples.iter().map(|s| s.fds).max().unwrap_or(fd_baseline);
    Ok(Outcome {
        opts: opts.clone(),
        duration,
        stats,
        samples,
        memory,
        fd_baseline,
        fd_peak,
        fd_end,
        fd_settled_in,
        failures,
    })
}

fn summary(o: &Outcome, nofile: u64) -> String {
    let s = &o.stats;
    let mut out = String::new();
    let total = s.total_sent();
    let _ = writeln!(
        out,
        "soak: {total} requests in {:.1} s ({:.0}/s), {} server workers, {} connections at \
         once, seed {}, RLIMIT_NOFILE {nofile}",
        o.duration.as_secs_f64(),
        total as f64 / o.duration.as_secs_f64().max(1e-9),
        o.opts.workers,
        o.opts.connections,
        o.opts.seed
    );
    let _ = writeln!(
        out,
        "{:<22} {:>10} {:>10} {:>12}",
        "category", "sent", "ok", "connections"
    );
    for k in Kind::ALL {
        let i = k.index();
        let _ = writeln!(
            out,
            "{:<22} {:>10} {:>10} {:>12}",
            k.name(),
            s.sent[i].load(Relaxed),
            s.ok[i].load(Relaxed),
            s.connections[i].load(Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "unexpected errors: {}; response bytes read: {:.1} MiB",
        s.errors.load(Relaxed),
        s.bytes_read.load(Relaxed) as f64 / (1024.0 * 1024.0)
    );
    if let Ok(first) = s.first_errors.lock() {
        for e in first.iter() {
            let _ = writeln!(out, "  error: {e}");
        }
    }
    match &o.memory {
        Some(m) => {
            let _ = writeln!(
                out,
                "server RSS (KiB): first {}, warm-up {}, last {}, max {}; end level (max of \
                 last {}) {} = {:+.1}% vs warm-up{}",
                m.first,
                m.warmup,
                m.last,
                m.max,
                monitor::END_SAMPLES,
                m.end,
                m.growth_percent,
                if m.judged() {
                    String::new()
                } else {
                    format!(
                        " (not judged: {} samples after warm-up, {} needed)",
                        m.after_warmup,
                        monitor::END_SAMPLES
                    )
                }
            );
        }
        None => {
            let _ = writeln!(out, "server RSS: no sample");
        }
    }
    let _ = write!(
        out,
        "server descriptors: baseline {}, peak {}, end {}{}",
        o.fd_baseline,
        o.fd_peak,
        o.fd_end.map_or("?".into(), |n| n.to_string()),
        o.fd_settled_in.map_or(String::new(), |d| format!(
            " (back to baseline {:.1} s after the load)",
            d.as_secs_f64()
        ))
    );
    out
}

fn json(o: &Outcome) -> String {
    let s = &o.stats;
    let mut j = String::from("{\n");
    let _ = writeln!(j, "  \"passed\": {},", o.failures.is_empty());
    let failures: Vec<String> = o.failures.iter().map(|f| jstr(f)).collect();
    let _ = writeln!(j, "  \"failures\": [{}],", failures.join(", "));
    let _ = writeln!(j, "  \"requests_asked\": {},", o.opts.requests);
    let _ = writeln!(j, "  \"requests_sent\": {},", s.total_sent());
    let _ = writeln!(j, "  \"duration_s\": {},", jnum(o.duration.as_secs_f64()));
    let _ = writeln!(j, "  \"server_workers\": {},", o.opts.workers);
    let _ = writeln!(j, "  \"connections_at_once\": {},", o.opts.connections);
    let _ = writeln!(j, "  \"seed\": {},", o.opts.seed);
    let _ = writeln!(j, "  \"errors\": {},", s.errors.load(Relaxed));
    let errors: Vec<String> = s
        .first_errors
        .lock()
        .map(|e| e.iter().map(|e| jstr(e)).collect())
        .unwrap_or_default();
    let _ = writeln!(j, "  \"first_errors\": [{}],", errors.join(", "));
    j.push_str("  \"categories\": {");
    for (n, k) in Kind::ALL.iter().enumerate() {
        let i = k.index();
        let _ = write!(
            j,
            "{}\n    {}: {{\"sent\": {}, \"ok\": {}, \"connections\": {}}}",
            if n == 0 { "" } else { "," },
            jstr(k.name()),
            s.sent[i].load(Relaxed),
            s.ok[i].load(Relaxed),
            s.connections[i].load(Relaxed)
        );
    }
    j.push_str("\n  },\n");
    if let Some(m) = &o.memory {
        let _ = writeln!(
            j,
            "  \"rss_kib\": {{\"first\": {}, \"warmup\": {}, \"last\": {}, \"max\": {}, \
             \"end_level\": {}, \"growth_percent\": {}, \"judged\": {}, \
             \"warmup_rule\": \"largest sample in the first {WARMUP_PERCENT}% of requests or \
             the first {} s, whichever ends later\", \
             \"end_rule\": \"largest of the last {} samples\"}},",
            m.first,
            m.warmup,
            m.last,
            m.max,
            m.end,
            jnum(m.growth_percent),
            m.judged(),
            monitor::MIN_WARMUP.as_secs(),
            monitor::END_SAMPLES
        );
    }
    let _ = writeln!(
        j,
        "  \"fds\": {{\"baseline\": {}, \"peak\": {}, \"end\": {}, \"settled_s\": {}}},",
        o.fd_baseline,
        o.fd_peak,
        o.fd_end.map_or("null".into(), |n| n.to_string()),
        o.fd_settled_in
            .map_or("null".into(), |d| jnum(d.as_secs_f64()))
    );
    j.push_str("  \"samples\": [");
    for (n, x) in o.samples.iter().enumerate() {
        let _ = write!(
            j,
            "{}\n    {{\"t_s\": {}, \"sent\": {}, \"rss_kib\": {}, \"fds\": {}}}",
            if n == 0 { "" } else { "," },
            jnum(x.at.as_secs_f64()),
            x.sent,
            x.rss_kib,
            x.fds
        );
    }
    j.push_str("\n  ]\n}\n");
    j
}
