//! The demo server on async-std (see `cohttp_core::testkit::demo` for its routes).
//!
//! `cargo run --release -p cohttp-async-std --example server -- --port PORT [--host 127.0.0.1]`
//! prints `listening on ADDR` once ready and shuts down gracefully on SIGINT/SIGTERM.
//! `COHTTP_WORKERS=N` sets the number of worker threads (async-std's
//! `ASYNC_STD_THREAD_COUNT`).

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
    if let Ok(n) = std::env::var("COHTTP_WORKERS") {
        // Read by async-std when its executor starts, which is below.
        std::env::set_var("ASYNC_STD_THREAD_COUNT", n);
    }
    async_std::task::block_on(async {
        let rt = cohttp_async_std::runtime();
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
            cohttp_async_std::shutdown_signal(),
        )
        .await;
        ExitCode::SUCCESS
    })
}
