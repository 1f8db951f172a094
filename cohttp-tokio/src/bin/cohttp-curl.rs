//! `cohttp-curl`: a curl-like command-line client on cohttp and tokio.
//!
//! `cohttp-curl [-X METHOD] [-H 'Name: value']... [-d DATA | --data-binary @FILE]
//! [-F name=value]... [-o FILE] [-i] [-I] [-v] [-L] [--proxy URL] [--max-time S]
//! [--fail] [--cacert FILE] [-k] URL...` prints response bodies to stdout as curl does; see `--help`.
//!
//! This file only starts the runtime and reports the outcome. The parts: the command
//! line (`args`), request bodies (`payload`, `multipart`), the transfers with
//! pipelining and redirects (`transfer`, on `cohttp_core::client::Redirect`'s rules),
//! heads as printed (`head`), the roots trusted for `https` (`trust`), the download progress bar (`progress`), and exit
//! statuses (`failure`).

#[path = "cohttp-curl/args.rs"]
mod args;
#[path = "cohttp-curl/failure.rs"]
mod failure;
#[path = "cohttp-curl/head.rs"]
mod head;
#[path = "cohttp-curl/multipart.rs"]
mod multipart;
#[path = "cohttp-curl/payload.rs"]
mod payload;
#[path = "cohttp-curl/progress.rs"]
mod progress;
#[path = "cohttp-curl/transfer.rs"]
mod transfer;
#[path = "cohttp-curl/trust.rs"]
mod trust;

use std::process::ExitCode;

use args::{Args, USAGE};
use failure::Failure;

fn main() -> ExitCode {
    let (shows_errors, result) = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => (args.shows_errors(), run(&args)),
        Err(f) => (true, Err(f)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if shows_errors {
                eprintln!("{f}");
            }
            ExitCode::from(f.code)
        }
    }
}

fn run(args: &Args) -> Result<(), Failure> {
    if args.help {
        println!("{USAGE}");
        return Ok(());
    }
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(1, format!("could not start tokio: {e}")))?;
    tokio_rt.block_on(async {
        let rt = cohttp_tokio::runtime();
        let transfer = transfer::Transfer::new(&rt, args)?;
        match args.max_time {
            None => transfer.run().await,
            Some(limit) => match tokio::time::timeout(limit, transfer.run()).await {
                Ok(done) => done,
                Err(_) => Err(Failure::new(
                    28,
                    format!("operation timed out after {} ms", limit.as_millis()),
                )),
            },
        }
    })
}
