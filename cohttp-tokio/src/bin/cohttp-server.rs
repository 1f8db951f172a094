//! `cohttp-server`: serves a directory over HTTP/1.1 (`cohttp_core::server::FileServer`).
//!
//! ```text
//! cohttp-server [DOCROOT] [--host H] [--port P] [--index NAME] [--tls-cert PEM --tls-key PEM] [-q] [-v]
//! ```
//!
//! Argument parsing, logging and wiring only: what is served, and how, is
//! `FileServer`'s.

mod common;

use std::process::ExitCode;

use cohttp_core::server::{AccessLog, FileServer, ServerConfig};
use cohttp_core::tls::TlsServer;

const USAGE: &str = "\
usage: cohttp-server [DOCROOT] [--host H] [--port P] [--index NAME] [--tls-cert PEM --tls-key PEM] [-q] [-v]

Serves the files under DOCROOT (default .) over HTTP/1.1: GET and HEAD, Content-Type
from the extension, Last-Modified, ETag, conditional GET (304), single byte ranges
(206/416; several ranges get the whole file), directory listings, and never a file
outside DOCROOT (symbolic links included). One access-log line per request on stderr
(Common Log Format). Stops gracefully on SIGINT/SIGTERM.

options:
  --host H        IP address to listen on (default 127.0.0.1)
  --port P, -p P  TCP port (default 8080; 0 picks a free one)
  --index NAME    file served for a directory (default index.html)
  --no-index      always list directories
  --tls-cert PEM  certificate chain for HTTPS (with --tls-key)
  --tls-key PEM   private key for HTTPS (with --tls-cert)
  -q, --quiet     no access log (warnings and errors only)
  -v, --verbose   debug logging
  -h, --help      this help";

struct Args {
    docroot: String,
    host: String,
    port: u16,
    index: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    quiet: bool,
    verbose: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut out = Args {
        docroot: ".".into(),
        host: "127.0.0.1".into(),
        port: 8080,
        index: Some("index.html".into()),
        tls_cert: None,
        tls_key: None,
        quiet: false,
        verbose: false,
    };
    let mut docroot_seen = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--host" => out.host = common::value(&mut args, "--host")?,
            "--port" | "-p" => out.port = common::port(&common::value(&mut args, "--port")?)?,
            "--index" => out.index = Some(common::value(&mut args, "--index")?),
            "--no-index" => out.index = None,
            "--tls-cert" => out.tls_cert = Some(common::value(&mut args, "--tls-cert")?),
            "--tls-key" => out.tls_key = Some(common::value(&mut args, "--tls-key")?),
            "-q" | "--quiet" => out.quiet = true,
            "-v" | "--verbose" => out.verbose = true,
            other if other.starts_with('-') && other != "-" => {
                return Err(format!("unknown option {other:?}"))
            }
            other if !docroot_seen => {
                out.docroot = other.to_string();
                docroot_seen = true;
            }
            other => return Err(format!("unexpected argument {other:?}: one DOCROOT only")),
        }
    }
    Ok(Some(out))
}

/// The server configuration, with HTTPS when `--tls-cert` and `--tls-key` are given.
fn tls_config(args: &Args) -> Result<ServerConfig, String> {
    let config = common::config();
    let (cert, key) = match (&args.tls_cert, &args.tls_key) {
        (None, None) => return Ok(config),
        (Some(cert), Some(key)) => (cert, key),
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("could not read {path}: {e}"));
    let tls = TlsServer::from_pem(&read(cert)?, &read(key)?)
        .map_err(|e| format!("{cert} / {key}: {e}"))?;
    Ok(config.tls(tls))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("cohttp-server: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match tls_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cohttp-server: {e}");
            return ExitCode::from(2);
        }
    };
    common::init_logging(args.quiet, args.verbose);
    let addr = match common::listen_addr(&args.host, args.port) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cohttp-server: {e}");
            return ExitCode::from(2);
        }
    };
    common::run("cohttp-server", addr, config, |rt| {
        let files = FileServer::new(rt, &args.docroot)
            .map_err(|e| e.to_string())?
            .index(args.index.as_deref());
        log::info!("serving {}", files.docroot().display());
        Ok(AccessLog::new(files))
    })
}
