//! The demo client on async-std: fetches the URLs given, pipelined on one connection per
//! host, and prints each status and body length.
//!
//! `cargo run --release -p cohttp-async-std --example client -- URL...`

fn main() -> std::process::ExitCode {
    let urls = std::env::args().skip(1).collect();
    async_std::task::block_on(cohttp_core::testkit::demo::client_main(
        cohttp_async_std::runtime(),
        urls,
    ))
}
