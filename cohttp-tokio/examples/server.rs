//! The demo server on tokio (see `cohttp_core::testkit::demo` for its routes).
//!
//! `cargo run --release -p cohttp-tokio --example server -- --port PORT [--host 127.0.0.1]`
//! prints `listening on ADDR` once ready and shuts down gracefully on SIGINT/SIGTERM.
//! `COHTTP_WORKERS=N` sets the number of worker threads (default: one per core; `1` runs
//! a current-thread runtime).

use cohttp_core::testkit::demo::{server_main, ServerArgs};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match ServerArgs::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("server: {e}");
            return ExitCode::from(2);
        }
    };
    // One worker: a current-thread runtime, as hyper's side of the benchmarks uses.
    let workers: Option<usize> = std::env::var("COHTTP_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut builder = match workers {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    match builder.enable_all().build() {
        Ok(rt) => {
            let cohttp_rt = cohttp_tokio::runtime_on(rt.handle().clone());
            rt.block_on(server_main(
                cohttp_rt,
                args,
                cohttp_tokio::shutdown_signal(),
            ))
        }
        Err(e) => {
            eprintln!("server: could not start tokio: {e}");
            ExitCode::FAILURE
        }
    }
}
