//! The demo client on tokio: fetches the URLs given, pipelined on one connection per
//! host, and prints each status and body length.
//!
//! `cargo run --release -p cohttp-tokio --example client -- URL...`

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let urls = std::env::args().skip(1).collect();
    cohttp_core::testkit::demo::client_main(cohttp_tokio::runtime(), urls).await
}
