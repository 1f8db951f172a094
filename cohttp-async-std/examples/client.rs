//! The demo client on async-std: fetches the URLs given, pipelined on one connection per
//! host, and prints each status and body length.
//!
//! `cargo run --release -p cohttp-async-std --example client -- URL...`

use std::process::ExitCode;

use cohttp_core::testkit::demo::fetch_all;

#[async_std::main]
async fn main() -> ExitCode {
    let urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        eprintln!("usage: client URL...");
        return ExitCode::from(2);
    }
    let mut ok = true;
    for f in fetch_all(cohttp_async_std::runtime(), urls).await {
        match f.outcome {
            Ok((status, len)) => println!("{} {} {len}", f.url, status.as_u16()),
            Err(e) => {
                ok = false;
                println!("{} error: {e}", f.url);
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
