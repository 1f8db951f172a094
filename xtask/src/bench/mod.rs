//! `cargo xtask bench`: our server and client against hyper's on this machine, in one run.
//!
//! Two stages. The driver (`bench`, run by `cargo xtask`, usually a debug build) builds the
//! release xtask and our tokio example binaries, then runs `target/release/xtask bench-run`
//! pinned to core 1 with `taskset` (when present and there are two cores). `bench-run` does the
//! measuring: it starts each server under test pinned to core 0 with one runtime worker,
//! generates load from its own process (`loadgen.rs`), runs client binaries, reads memory, and
//! prints the table and writes `target/bench/latest.json` (`report.rs`).
//!
//! Every row alternates the sides round by round (ours, hyper, hyper again), so slow phases of
//! the shared machine hit both; each hyper run also serves as the machine-noise row "hyper vs
//! hyper". Rows whose side is not built yet (our server, our client) are reported as pending.
//! Run files: `server.rs` (processes), `loadgen.rs` + `validate.rs` (load), `client.rs` +
//! `hyper_client.rs` (client rows), `hyper_server.rs`, `rss.rs` (`/proc` readings), `allocs.rs`
//! (allocations per request, from the `bench-allocs` binary).

pub mod allocs;
pub mod client;
pub mod hyper_client;
pub mod hyper_server;
pub mod loadgen;
pub mod report;
pub mod rss;
pub mod server;
pub mod validate;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use client::{ClientCmd, ClientJob, ClientMode};
use report::{Better, Report, Row, Run, Side};
use server::{RunningServer, ServerCmd};
use validate::Expect;

/// Section of the rows comparing ours with hyper.
const OURS_VS_HYPER: &str = "ours (A) vs hyper (B)";
/// Section of the machine-noise rows.
const NOISE: &str = "machine noise: hyper (A, 2nd run of each round) vs hyper (B)";

/// Connections opened at once for the memory row: below the listen backlog of 128 that std,
/// mio and so tokio use, so no SYN is dropped and retried a second later.
const IDLE_BATCH: usize = 64;

/// Which groups of rows to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Only {
    All,
    Server,
    Client,
    Memory,
}

/// Options shared by the driver and `bench-run`.
#[derive(Clone, Debug)]
struct Options {
    quick: bool,
    rounds: usize,
    duration: Duration,
    warmup: Duration,
    idle_connections: usize,
    client_requests: u64,
    noise: bool,
    dev: bool,
    only: Only,
    /// `bench-run` only: where our example binaries are.
    examples: Option<PathBuf>,
    /// `bench-run` only: pin servers to core 0.
    pin: bool,
    /// Driver: do not pin even where `taskset` is there.
    no_pin: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = Self {
            quick,
            rounds: 3,
            duration: Duration::from_secs(if quick { 1 } else { 5 }),
            warmup: Duration::from_millis(if quick { 250 } else { 1000 }),
            idle_connections: if quick { 1_000 } else { 10_000 },
            client_requests: if quick { 2_000 } else { 10_000 },
            noise: true,
            dev: false,
            only: Only::All,
            examples: None,
            pin: false,
            no_pin: false,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
            match a.as_str() {
                "--quick" => {}
                "--no-noise" => o.noise = false,
                "--dev" => o.dev = true,
                "--pin" => o.pin = true,
                "--no-pin" => o.no_pin = true,
                "--rounds" => o.rounds = num(value()?)?,
                "--seconds" => {
                    o.duration = Duration::from_secs_f64(num::<f64>(value()?)?.clamp(0.1, 60.0))
                }
                "--idle" => o.idle_connections = num(value()?)?,
                "--requests" => o.client_requests = num(value()?)?,
                "--examples" => o.examples = Some(PathBuf::from(value()?)),
                "--only" => {
                    o.only = match value()?.as_str() {
                        "server" => Only::Server,
                        "client" => Only::Client,
                        "memory" => Only::Memory,
                        v => return Err(format!("--only takes server, client or memory, not {v}")),
                    }
                }
                _ => return Err(format!("unknown option {a}")),
            }
        }
        o.rounds = o.rounds.clamp(1, 20);
        o.idle_connections = o.idle_connections.clamp(1, 100_000);
        o.client_requests = o.client_requests.clamp(1, 1_000_000);
        Ok(o)
    }

    fn wants(&self, group: Only) -> bool {
        self.only == Only::All || self.only == group
    }
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

const USAGE: &str = "usage: cargo xtask bench [--quick] [--rounds N] [--seconds S] [--idle N] \
[--requests N] [--only server|client|memory] [--no-noise] [--no-pin] [--dev]";

/// `cargo xtask bench`: builds in release mode (debug with `--dev`) and runs `bench-run`.
pub fn drive(args: &[String]) -> bool {
    let opts = match Options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask bench: {e}\n{USAGE}");
            return false;
        }
    };
    let root = workspace_root();
    let target = target_dir(&root);
    let profile = if opts.dev { "debug" } else { "release" };
    // Named targets: with `--example` alone, cargo would build no binary of the xtask.
    let mut build = vec![
        "build",
        "-p",
        "xtask",
        "-p",
        "cohttp-tokio",
        "--bin",
        "xtask",
        "--bin",
        "bench-allocs",
    ];
    if !opts.dev {
        build.push("--release");
    }
    for example in ["server", "bench_client"] {
        if root
            .join(format!("cohttp-tokio/examples/{example}.rs"))
            .is_file()
        {
            build.extend(["--example", example]);
        } else {
            eprintln!(
                "xtask bench: cohttp-tokio/examples/{example}.rs not there yet: rows pending"
            );
        }
    }
    if !crate::run(&build, &[]) {
        return false;
    }
    let exe = target.join(profile).join("xtask");
    let examples = target.join(profile).join("examples");
    let pin = !opts.no_pin && can_pin();
    let mut cmd = if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "1"]).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.arg("bench-run")
        .args(args)
        .arg("--examples")
        .arg(&examples);
    if pin {
        cmd.arg("--pin");
    }
    match cmd.status() {
        Ok(s) => s.success(),
        Err(e) => {
            eprintln!("xtask bench: could not run {}: {e}", exe.display());
            false
        }
    }
}

/// `taskset` is there and the machine has at least two cores.
pub(crate) fn can_pin() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores >= 2
        && Command::new("taskset")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

pub(crate) fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// One server row.
struct ServerRow {
    name: &'static str,
    path: String,
    connections: usize,
    depth: usize,
    expect: Expect,
    /// Figure in MiB/s instead of requests/s.
    throughput: bool,
    target: f64,
}

/// One client row: our job, hyper's job (they differ for pipelining, which hyper lacks).
struct ClientRow {
    name: &'static str,
    ours: ClientJob,
    hyper: ClientJob,
    hyper_name: &'static str,
    target: f64,
}

/// `xtask bench-run`: measures every row and writes the report.
pub fn run(args: &[String]) -> bool {
    let opts = match Options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask bench-run: {e}\n{USAGE}");
            return false;
        }
    };
    let nofile = rss::raise_nofile();
    let xtask = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("xtask bench-run: own path: {e}");
            return false;
        }
    };
    let examples = opts
        .examples
        .clone()
        .unwrap_or_else(|| xtask.with_file_name("examples"));
    let ours_server = ServerCmd::ours(&examples);
    let ours_client = client::ours(&examples);
    let hyper_server = ServerCmd::hyper(&xtask);
    let hyper_client = client::hyper(&xtask);
    let core = opts.pin.then_some(0);

    let mut report = Report::default();
    let mut preflight_meta = Vec::new();
    let mut servers = vec![&hyper_server];
    servers.extend(ours_server.as_ref());
    for cmd in servers {
        let verdict = match preflight(cmd, core) {
            Ok(()) => "every route answered as specified".to_string(),
            Err(e) => format!("FAILED: {e}"),
        };
        eprintln!("bench: preflight {}: {verdict}", cmd.name);
        preflight_meta.push((format!("preflight {}", cmd.name), verdict));
    }
    report.meta = vec![
        (
            "mode".into(),
            if opts.quick {
                "quick (smoke only)"
            } else {
                "full"
            }
            .into(),
        ),
        (
            "build".into(),
            if cfg!(debug_assertions) {
                "debug: figures meaningless"
            } else {
                "release"
            }
            .into(),
        ),
        ("rounds".into(), opts.rounds.to_string()),
        (
            "window".into(),
            format!("{:?} after {:?} warm-up", opts.duration, opts.warmup),
        ),
        (
            "pinning".into(),
            if opts.pin {
                "server on core 0, load generator and clients on core 1".into()
            } else {
                "none (--no-pin, taskset missing, or one core)".into()
            },
        ),
        ("RLIMIT_NOFILE".into(), nofile.to_string()),
        (
            "ours server".into(),
            describe(ours_server.as_ref().map(|s| s.program.as_str())),
        ),
        (
            "ours client".into(),
            describe(ours_client.as_ref().map(|c| c.program.as_str())),
        ),
    ];
    report.meta.extend(preflight_meta);

    if opts.wants(Only::Server) {
        for row in server_rows() {
            let mut measure = |cmd: &ServerCmd| measure_server(cmd, &row, &opts, core);
            let sides = alternate(
                row.name,
                &opts,
                ours_server.as_ref(),
                &hyper_server,
                &mut measure,
            );
            let (unit, better) = if row.throughput {
                ("MiB/s", Better::Higher)
            } else {
                ("req/s", Better::Higher)
            };
            push_rows(
                &mut report,
                &opts,
                row.name,
                unit,
                better,
                row.target,
                "ours",
                "hyper",
                sides,
                "our server not landed",
            );
        }
    }
    if opts.wants(Only::Server) {
        let (ours, hyper) = allocs::measure(&xtask, ours_server.is_some());
        for (who, r) in [("ours", ours.as_ref()), ("hyper", Some(&hyper))] {
            if let Some(r) = r {
                eprintln!(
                    "bench: allocations per request | {who}: {:.3} {}",
                    r.value, r.note
                );
            }
        }
        report.rows.push(Row {
            section: OURS_VS_HYPER.into(),
            name: "server plaintext, allocations per request (deterministic; target ours <= 2)"
                .into(),
            unit: "allocs",
            better: Better::Lower,
            target: None,
            pending: ours.is_none().then(|| "our server not landed".to_string()),
            a: Side {
                name: "ours".into(),
                runs: ours.into_iter().collect(),
            },
            b: Side {
                name: "hyper".into(),
                runs: vec![hyper],
            },
        });
    }
    if opts.wants(Only::Memory) {
        // Leave room for this process's own descriptors.
        let count = opts
            .idle_connections
            .min((nofile as usize).saturating_sub(256));
        let name = format!("server RSS, {count} idle keep-alive connections");
        let mut measure = |cmd: &ServerCmd| measure_memory(cmd, count, core);
        let sides = alternate(
            &name,
            &opts,
            ours_server.as_ref(),
            &hyper_server,
            &mut measure,
        );
        push_rows(
            &mut report,
            &opts,
            &name,
            "KiB",
            Better::Lower,
            1.0,
            "ours",
            "hyper",
            sides,
            "our server not landed",
        );
    }
    if opts.wants(Only::Client) {
        for row in client_rows(opts.client_requests) {
            let mut measure =
                |c: &(ClientCmd, ClientJob)| measure_client(&c.0, c.1, &hyper_server, core);
            let ours = ours_client.clone().map(|c| (c, row.ours));
            let hyper = (hyper_client.clone(), row.hyper);
            let sides = alternate(row.name, &opts, ours.as_ref(), &hyper, &mut measure);
            push_rows(
                &mut report,
                &opts,
                row.name,
                "req/s",
                Better::Higher,
                row.target,
                "ours",
                row.hyper_name,
                sides,
                "our client not landed",
            );
        }
    }

    report.rows.sort_by_key(|r| r.section != OURS_VS_HYPER);
    println!("{}", report.table());
    let out = target_dir(&workspace_root()).join("bench");
    let path = out.join("latest.json");
    match std::fs::create_dir_all(&out).and_then(|()| std::fs::write(&path, report.json())) {
        Ok(()) => eprintln!("bench: wrote {}", path.display()),
        Err(e) => {
            eprintln!("bench: could not write {}: {e}", path.display());
            return false;
        }
    }
    true
}

fn describe(program: Option<&str>) -> String {
    program.map_or_else(|| "not built (rows pending)".into(), str::to_string)
}

fn server_rows() -> Vec<ServerRow> {
    vec![
        ServerRow {
            name: "server plaintext, 64 conns",
            path: "/plaintext".into(),
            connections: 64,
            depth: 1,
            expect: Expect::plaintext(),
            throughput: false,
            target: 1.10,
        },
        ServerRow {
            name: "server plaintext, 64 conns, pipelined 16",
            path: "/plaintext".into(),
            connections: 64,
            depth: 16,
            expect: Expect::plaintext(),
            throughput: false,
            target: 1.25,
        },
        ServerRow {
            name: "server /bytes/1048576, 16 conns",
            path: "/bytes/1048576".into(),
            connections: 16,
            depth: 1,
            expect: Expect::bytes(1 << 20),
            throughput: true,
            target: 1.0,
        },
    ]
}

fn client_rows(n: u64) -> Vec<ClientRow> {
    let job = |mode, concurrency, connections| ClientJob {
        mode,
        requests: n,
        concurrency,
        connections,
    };
    vec![
        ClientRow {
            name: "client sequential, 1 conn",
            ours: job(ClientMode::Sequential, 1, 1),
            hyper: job(ClientMode::Sequential, 1, 1),
            hyper_name: "hyper",
            target: 1.0,
        },
        ClientRow {
            name: "client 64 concurrent, pool",
            ours: job(ClientMode::Concurrent, 64, 64),
            hyper: job(ClientMode::Concurrent, 64, 64),
            hyper_name: "hyper",
            target: 1.0,
        },
        ClientRow {
            name: "client pipelined 16, 1 conn",
            ours: job(ClientMode::Pipelined, 16, 1),
            hyper: job(ClientMode::Pipelined, 1, 1),
            hyper_name: "hyper 1 conn",
            target: 3.0,
        },
        ClientRow {
            name: "client pipelined 16, 1 conn",
            ours: job(ClientMode::Pipelined, 16, 1),
            hyper: job(ClientMode::Pipelined, 1, 16),
            hyper_name: "hyper 16 conns",
            target: 1.0,
        },
    ]
}

/// The runs of one row, round by round in the order ours, hyper, hyper again (the last only
/// for the noise row).
struct Sides {
    ours: Option<Vec<Run>>,
    hyper: Vec<Run>,
    hyper_again: Vec<Run>,
}

fn alternate<T>(
    row: &str,
    opts: &Options,
    ours: Option<&T>,
    hyper: &T,
    measure: &mut dyn FnMut(&T) -> Run,
) -> Sides {
    let mut sides = Sides {
        ours: ours.map(|_| Vec::new()),
        hyper: Vec::new(),
        hyper_again: Vec::new(),
    };
    for round in 1..=opts.rounds {
        let mut one = |who: &str, subject: &T, into: &mut Vec<Run>| {
            let r = measure(subject);
            eprintln!(
                "bench: {row} | round {round} | {who}: {:.0} ({} errors) {}",
                r.value, r.errors, r.note
            );
            into.push(r);
        };
        if let (Some(o), Some(runs)) = (ours, sides.ours.as_mut()) {
            one("ours", o, runs);
        }
        one("hyper", hyper, &mut sides.hyper);
        if opts.noise {
            one("hyper again", hyper, &mut sides.hyper_again);
        }
    }
    sides
}

#[allow(clippy::too_many_arguments)]
fn push_rows(
    report: &mut Report,
    opts: &Options,
    name: &str,
    unit: &'static str,
    better: Better,
    target: f64,
    a_name: &str,
    b_name: &str,
    sides: Sides,
    pending: &str,
) {
    let row = |section: &str, a: Side, b: Side, pending: Option<String>, target| Row {
        section: section.into(),
        name: name.into(),
        unit,
        better,
        target,
        a,
        b,
        pending,
    };
    let hyper = Side {
        name: b_name.into(),
        runs: sides.hyper.clone(),
    };
    let (a, p) = match sides.ours {
        Some(runs) => (
            Side {
                name: a_name.into(),
                runs,
            },
            None,
        ),
        None => (Side::new(a_name), Some(pending.to_string())),
    };
    report
        .rows
        .push(row(OURS_VS_HYPER, a, hyper.clone(), p, Some(target)));
    if opts.noise {
        let again = Side {
            name: b_name.into(),
            runs: sides.hyper_again,
        };
        report.rows.push(row(NOISE, again, hyper, None, None));
    }
}

fn measure_server(cmd: &ServerCmd, row: &ServerRow, opts: &Options, core: Option<usize>) -> Run {
    let mut server = match RunningServer::start(cmd, core) {
        Ok(s) => s,
        Err(e) => return Run::failed(e),
    };
    let spec = loadgen::LoadSpec {
        addr: server.addr,
        path: row.path.clone(),
        connections: row.connections,
        depth: row.depth,
        warmup: opts.warmup,
        duration: opts.duration,
        // A bound far above any rate this machine reaches: 10 million requests per second.
        max_requests: 10_000_000 * opts.duration.as_secs().max(1),
        expect: row.expect.clone(),
        server_pid: Some(server.pid()),
    };
    let result = match loadgen::run(&spec) {
        Ok(r) => r,
        Err(e) => return Run::failed(e),
    };
    let mut errors = result.errors;
    let mut note = format!(
        "{} responses in {:.2}s, {:.1} MiB/s read; cpu: server {}, load generator {}",
        result.requests,
        result.elapsed.as_secs_f64(),
        result.mib_per_second(),
        cores(result.server_cpu),
        cores(result.loadgen_cpu),
    );
    if let Some(e) = &result.first_error {
        note.push_str(&format!("; first error: {e}"));
    }
    if !server.is_running() {
        errors += 1;
        note.push_str(&format!("; server exited: {}", server.stderr()));
    }
    if result.requests == 0 && errors == 0 {
        errors = 1;
        note.push_str("; no response in the window");
    }
    Run {
        value: if row.throughput {
            result.mib_per_second()
        } else {
            result.rate()
        },
        errors,
        note,
    }
}

/// Checks that a server answers every route of the contract, with chunked and fixed framing,
/// plain and pipelined, before any figure is taken from it.
fn preflight(cmd: &ServerCmd, core: Option<usize>) -> Result<(), String> {
    let server = RunningServer::start(cmd, core)?;
    let checks = [
        ("/plaintext", Expect::plaintext(), 4),
        ("/bytes/0", Expect::bytes(0), 2),
        ("/bytes/100000", Expect::bytes(100_000), 2),
        ("/stream/100000", Expect::stream(100_000), 2),
    ];
    for (path, expect, depth) in checks {
        let spec = loadgen::LoadSpec {
            addr: server.addr,
            path: path.into(),
            connections: 2,
            depth,
            warmup: Duration::ZERO,
            duration: Duration::from_secs(5),
            max_requests: 16,
            expect,
            server_pid: None,
        };
        let r = loadgen::run(&spec)?;
        if r.errors > 0 || r.requests != spec.max_requests {
            return Err(format!(
                "GET {path}: {} of {} valid; {}",
                r.requests,
                spec.max_requests,
                r.first_error.unwrap_or_default()
            ));
        }
    }
    Ok(())
}

fn cores(c: Option<rss::CpuTime>) -> String {
    c.map_or_else(
        || "?".into(),
        |c| format!("{:.2} cores ({:.2} user)", c.total(), c.user),
    )
}

fn measure_memory(cmd: &ServerCmd, count: usize, core: Option<usize>) -> Run {
    let mut server = match RunningServer::start(cmd, core) {
        Ok(s) => s,
        Err(e) => return Run::failed(e),
    };
    let pid = server.pid();
    let before = rss::rss_kib(pid);
    let measured =
        loadgen::with_idle_connections(server.addr, count, IDLE_BATCH, |_| rss::rss_kib(pid));
    let (idle, after) = match measured {
        Ok(m) => m,
        Err(e) => return Run::failed(e),
    };
    let (Some(before), Some(after)) = (before, after) else {
        return Run::failed("could not read VmRSS from /proc");
    };
    let mut errors = 0;
    let per_conn = after.saturating_sub(before) as f64 * 1024.0 / idle.opened.max(1) as f64;
    let mut note = format!(
        "{} connections open (in {:.1}s); RSS {before} KiB before, {after} KiB with them: \
         {per_conn:.0} bytes each",
        idle.opened,
        idle.opening.as_secs_f64()
    );
    if idle.opened < count {
        errors += 1;
        note.push_str(&format!(
            "; only {} of {count}: {}",
            idle.opened,
            idle.stopped_by.as_deref().unwrap_or("?")
        ));
    }
    if !server.is_running() {
        errors += 1;
        note.push_str(&format!("; server exited: {}", server.stderr()));
    }
    Run {
        value: after as f64,
        errors,
        note,
    }
}

fn measure_client(
    cmd: &ClientCmd,
    job: ClientJob,
    hyper_server: &ServerCmd,
    core: Option<usize>,
) -> Run {
    let server = match RunningServer::start(hyper_server, core) {
        Ok(s) => s,
        Err(e) => return Run::failed(e),
    };
    match client::run(cmd, job, server.addr.port(), Duration::from_secs(120)) {
        Ok(o) => Run {
            value: o.rate(),
            errors: o.errors + u64::from(o.requests + o.errors != job.requests),
            note: format!(
                "{} of {} requests in {:.3}s, {} errors",
                o.requests,
                job.requests,
                o.elapsed.as_secs_f64(),
                o.errors
            ),
        },
        Err(e) => Run::failed(e),
    }
}
