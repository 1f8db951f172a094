//! The demo client on smol: fetches the URLs given, pipelined on one connection per
//! host, and prints each status and body length.
//!
//! `cargo run --release -p cohttp-smol --example client -- URL...`

fn main() -> std::process::ExitCode {
    let urls = std::env::args().skip(1).collect();
    smol::block_on(cohttp_core::testkit::demo::client_main(
        cohttp_smol::runtime(),
        urls,
    ))
}
