//! The demo server on smol (see `cohttp_core::testkit::demo` for its routes).
//!
//! `cargo run --release -p cohttp-smol --example server -- --port PORT [--host 127.0.0.1]`
//! prints `listening on ADDR` once ready and shuts down gracefully on SIGINT/SIGTERM.
//! `COHTTP_WORKERS=N` sets the number of threads of smol's global executor
//! (`SMOL_THREADS`).

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
        // Read by smol when its global executor starts, which is below.
        std::env::set_var("SMOL_THREADS", n);
    }
    smol::block_on(async {
        let rt = cohttp_smol::runtime();
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
            cohttp_smol::shutdown_signal(),
        )
        .await;
        ExitCode::SUCCESS
    })
}
