//! What the command-line tools share: a small logger to stderr, the listening address,
//! and running a server on tokio until SIGINT/SIGTERM. Argument parsing of each tool
//! stays in its own file.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use cohttp_core::runtime::Addr;
use cohttp_core::server::{serve_listener, Handler, ServerConfig, ACCESS_LOG_TARGET};

/// The one logger of the process.
static LOGGER: StderrLogger = StderrLogger;

/// Writes log records to stderr: access lines as they are, others with their level.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = if record.target() == ACCESS_LOG_TARGET {
            writeln!(err, "{}", record.args())
        } else {
            writeln!(
                err,
                "{} {}: {}",
                record.level(),
                record.target(),
                record.args()
            )
        };
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// Installs the stderr logger: warnings only when `quiet`, debug when `verbose`,
/// else info (which includes the access log).
pub fn init_logging(quiet: bool, verbose: bool) {
    let level = if quiet {
        log::LevelFilter::Warn
    } else if verbose {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

/// The TCP address for `--host` (an IP address) and `--port`.
pub fn listen_addr(host: &str, port: u16) -> Result<Addr, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = bare
        .parse()
        .map_err(|_| format!("--host must be an IP address, got {host:?}"))?;
    Ok(Addr::Tcp((ip, port).into()))
}

/// The value following option `name`.
pub fn value(args: &mut impl Iterator<Item = String>, name: &str) -> Result<String, String> {
    args.next().ok_or_else(|| format!("{name} needs a value"))
}

/// A port number.
pub fn port(v: &str) -> Result<u16, String> {
    v.parse().map_err(|_| format!("bad port {v:?}"))
}

/// The server configuration of the tools: the defaults, with 5 s for requests in
/// flight at a graceful shutdown.
pub fn config() -> ServerConfig {
    ServerConfig::default().graceful_timeout(Duration::from_secs(5))
}

/// Runs `make()`'s handler on `addr` with `config` on a multi-threaded tokio runtime
/// until SIGINT or SIGTERM, then shuts down gracefully. Prints `listening on ADDR` on
/// stdout once ready.
pub fn run<H, F>(tool: &str, addr: Addr, config: ServerConfig, make: F) -> ExitCode
where
    H: Handler,
    F: FnOnce(&cohttp_core::Runtime) -> Result<H, String>,
{
    let tokio_rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{tool}: could not start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio_rt.block_on(async {
        let rt = cohttp_tokio::runtime();
        let handler = match make(&rt) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("{tool}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let listener = match rt.listen(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{tool}: {e}");
                return ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            Ok(a) => println!("listening on {a}"),
            Err(e) => println!("listening (address unknown: {e})"),
        }
        let _ = std::io::stdout().flush();
        serve_listener(
            &rt,
            listener,
            handler,
            config,
            cohttp_tokio::shutdown_signal(),
        )
        .await;
        log::info!("{tool}: stopped");
        ExitCode::SUCCESS
    })
}
