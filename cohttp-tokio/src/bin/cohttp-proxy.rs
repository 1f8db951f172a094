//! `cohttp-proxy`: a forward HTTP proxy (`cohttp_core::proxy::ForwardProxy`).
//!
//! ```text
//! cohttp-proxy --port P [--host H] [-q] [-v]
//! ```
//!
//! Argument parsing, logging and wiring only: the forwarding is `ForwardProxy`'s.

mod common;

use std::process::ExitCode;

use cohttp_core::proxy::ForwardProxy;
use cohttp_core::server::AccessLog;

const USAGE: &str = "\
usage: cohttp-proxy --port P [--host H] [-q] [-v]

A forward HTTP/1.1 proxy: requests in absolute form (http://host/path) are forwarded
through a connection cache, hop-by-hop headers removed and Via added; CONNECT host:port
opens a tunnel. Bad targets get 400, unreachable upstreams 502, loops 508. One
access-log line per request on stderr. Stops gracefully on SIGINT/SIGTERM.

There is no access control: bound to anything but loopback (--host 0.0.0.0, say), this
is an OPEN PROXY that anyone who can reach it may use to reach anything it can reach.

options:
  --port P, -p P  TCP port (required; 0 picks a free one)
  --host H        IP address to listen on (default 127.0.0.1)
  -q, --quiet     no access log (warnings and errors only)
  -v, --verbose   debug logging (tunnels opened and closed, upstream failures)
  -h, --help      this help";

struct Args {
    host: String,
    port: u16,
    quiet: bool,
    verbose: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut host = "127.0.0.1".to_string();
    let mut port = None;
    let (mut quiet, mut verbose) = (false, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--host" => host = common::value(&mut args, "--host")?,
            "--port" | "-p" => port = Some(common::port(&common::value(&mut args, "--port")?)?),
            "-q" | "--quiet" => quiet = true,
            "-v" | "--verbose" => verbose = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let port = port.ok_or("--port is required")?;
    Ok(Some(Args {
        host,
        port,
        quiet,
        verbose,
    }))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("cohttp-proxy: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    common::init_logging(args.quiet, args.verbose);
    let addr = match common::listen_addr(&args.host, args.port) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cohttp-proxy: {e}");
            return ExitCode::from(2);
        }
    };
    if let cohttp_core::runtime::Addr::Tcp(a) = &addr {
        if !a.ip().is_loopback() {
            log::warn!("listening on {a}, beyond loopback: this is an open proxy");
        }
    }
    common::run("cohttp-proxy", addr, common::config(), |rt| {
        Ok(AccessLog::new(ForwardProxy::new(rt)))
    })
}
