//! The demo server on async-std (see `cohttp_core::testkit::demo` for its routes).
//!
//! `cargo run --release -p cohttp-async-std --example server -- --port PORT [--host 127.0.0.1]`
//! prints `listening on ADDR` once ready and shuts down gracefully on SIGINT/SIGTERM.
//! `COHTTP_WORKERS=N` sets the number of worker threads (async-std's `ASYNC_STD_THREAD_COUNT`).

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
    if let Ok(n) = std::env::var("COHTTP_WORKERS") {
        // Read by the runtime when its executor starts, which is below.
        std::env::set_var("ASYNC_STD_THREAD_COUNT", n);
    }
    async_std::task::block_on(server_main(
        cohttp_async_std::runtime(),
        args,
        cohttp_async_std::shutdown_signal(),
    ))
}
