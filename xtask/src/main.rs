//! Developer tasks for cohttp, run as `cargo xtask <task>`.
//!
//! - `ci`: what CI runs: format check, clippy with warnings denied, rustdoc with
//!   warnings denied, the README's test command, then `examples`.
//! - `examples`: each backend's example server checked from outside (curl, raw
//!   pipelining, load with zero errors, memory after warm-up, graceful exit).
//! - `bench`: our server and client against hyper's (see `bench/mod.rs` and `BENCHMARKS.md`);
//!   `bench-run`, `bench-hyper-server` and `bench-hyper-client` are its parts, run by it.
//! - `soak`: a long mixed load on the tokio example server, failing on any error, memory
//!   growth or descriptor leak (see `soak/mod.rs`); `soak-run` is its part, run by it.

#![forbid(unsafe_code)]

mod bench;
mod examples;
mod soak;

use std::process::{Command, ExitCode};

/// The test command the README gives and `.ci/run` runs.
const TEST: &[&str] = &["test", "--workspace", "--all-features"];

fn run(args: &[&str], env: &[(&str, &str)]) -> bool {
    eprintln!("xtask: cargo {}", args.join(" "));
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.status() {
        Ok(s) => s.success(),
        Err(e) => {
            eprintln!("xtask: could not run cargo: {e}");
            false
        }
    }
}

fn ci() -> bool {
    run(&["fmt", "--all", "--", "--check"], &[])
        && run(
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )
        && run(
            &["doc", "--workspace", "--no-deps", "--all-features"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
        && run(TEST, &[])
        && examples::main(&[])
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = args
        .split_first()
        .map_or(("", &[][..]), |(t, r)| (t.as_str(), r));
    let ok = match task {
        "ci" => ci(),
        "bench" => bench::drive(rest),
        "examples" => examples::main(rest),
        "soak" => soak::drive(rest),
        "soak-run" => soak::run(rest),
        "bench-run" => bench::run(rest),
        "bench-hyper-server" => return bench::hyper_server::main(rest),
        "bench-hyper-client" => return bench::hyper_client::main(rest),
        _ => {
            eprintln!("usage: cargo xtask <ci|examples|bench|soak>");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
