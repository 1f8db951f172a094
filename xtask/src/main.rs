//! Developer tasks for cohttp, run as `cargo xtask <task>`.
//!
//! - `ci`: what CI runs: format check, clippy with warnings denied, rustdoc with
//!   warnings denied, and the README's test command.

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
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let ok = match task.as_str() {
        "ci" => ci(),
        _ => {
            eprintln!("usage: cargo xtask <ci>");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
