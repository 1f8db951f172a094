//! The demo server on tokio (see `cohttp_core::testkit::demo` for its routes).
//!
//! `cargo run --release -p cohttp-tokio --example server -- --port PORT [--host 127.0.0.1]`
//! prints `listening on ADDR` once ready and shuts down gracefully on SIGINT/SIGTERM.
//! `COHTTP_WORKERS=N` sets the number of worker threads (default: one per core).

use cohttp_core::server::{serve_listener, ServerConfig};
use cohttp_core::testkit::demo::{Demo, ServerArgs};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match ServerArgs::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("server: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = std::env::var("COHTTP_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder.worker_threads(n);
    }
    let tokio_rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("server: could not start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio_rt.block_on(async {
        let rt = cohttp_tokio::runtime();
        let addr = match args.addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("server: {e}");
                return ExitCode::from(2);
            }
        };
        let listener = match rt.listen(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("server: {e}");
                return ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            Ok(a) => println!("listening on {a}"),
            Err(e) => println!("listening (address unknown: {e})"),
        }
        serve_listener(
            &rt,
            listener,
            Demo,
            ServerConfig::default(),
            cohttp_tokio::shutdown_signal(),
        )
        .await;
        ExitCode::SUCCESS
    })
}
