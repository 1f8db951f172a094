//! The demo server on smol (see `cohttp_core::testkit::demo` for its routes).
//!
//! `cargo run --release -p cohttp-smol --example server -- --port PORT [--host 127.0.0.1]`
//! prints `listening on ADDR` once ready and shuts down gracefully on SIGINT/SIGTERM.
//! `COHTTP_WORKERS=N` sets the number of worker threads (`SMOL_THREADS`, smol's global executor).

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
        std::env::set_var("SMOL_THREADS", n);
    }
    smol::block_on(server_main(
        cohttp_smol::runtime(),
        args,
        cohttp_smol::shutdown_signal(),
    ))
}
