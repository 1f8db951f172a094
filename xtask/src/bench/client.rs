//! The client rows' runner: a client under test is a command line that takes a job
//! (`--port P --path /plaintext --mode MODE --requests N --concurrency C --connections K`), runs
//! it against a server on 127.0.0.1, and prints `bench-client requests=N errors=E elapsed_ns=T`.
//!
//! hyper's client is `xtask bench-hyper-client` (`hyper_client.rs`); ours is the tokio backend's
//! `bench_client` example, plugged in by [`ours`] alone. This file is the contract and the
//! runner; it does not start the server the clients talk to (`bench/mod.rs` does).

use std::fmt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a client job sends its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientMode {
    /// One connection, one request at a time.
    Sequential,
    /// A pooled client with `concurrency` requests in flight.
    Concurrent,
    /// `connections` connections, each pipelining `concurrency` requests.
    Pipelined,
}

impl ClientMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::Concurrent => "concurrent",
            Self::Pipelined => "pipelined",
        }
    }
}

/// One client run: what to send, how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientJob {
    /// How requests are sent.
    pub mode: ClientMode,
    /// Requests in all.
    pub requests: u64,
    /// In-flight requests (whole pool, or per connection when pipelined).
    pub concurrency: usize,
    /// Connections (pipelined mode).
    pub connections: usize,
}

impl ClientJob {
    /// The command-line arguments of this job against `port`.
    pub fn to_args(self, port: u16) -> Vec<String> {
        vec![
            "--port".into(),
            port.to_string(),
            "--path".into(),
            "/plaintext".into(),
            "--mode".into(),
            self.mode.as_str().into(),
            "--requests".into(),
            self.requests.to_string(),
            "--concurrency".into(),
            self.concurrency.to_string(),
            "--connections".into(),
            self.connections.to_string(),
        ]
    }

    /// Parses the arguments made by [`ClientJob::to_args`]: `(port, path, job)`.
    pub fn parse_args(args: &[String]) -> Result<(u16, String, ClientJob), String> {
        let mut port = None;
        let mut path = String::from("/plaintext");
        let mut job = ClientJob {
            mode: ClientMode::Sequential,
            requests: 10_000,
            concurrency: 1,
            connections: 1,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let bad = |_| format!("bad value for {flag}: {value}");
            match flag.as_str() {
                "--port" => port = Some(value.parse().map_err(bad)?),
                "--path" => path.clone_from(value),
                "--requests" => job.requests = value.parse().map_err(bad)?,
                "--concurrency" => job.concurrency = value.parse().map_err(bad)?,
                "--connections" => job.connections = value.parse().map_err(bad)?,
                "--mode" => {
                    job.mode = match value.as_str() {
                        "sequential" => ClientMode::Sequential,
                        "concurrent" => ClientMode::Concurrent,
                        "pipelined" => ClientMode::Pipelined,
                        _ => return Err(format!("unknown mode {value}")),
                    }
                }
                _ => return Err(format!("unknown flag {flag}")),
            }
        }
        let port = port.ok_or("--port is required")?;
        Ok((port, path, job))
    }
}

/// The result line of one client run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Requests answered and valid.
    pub requests: u64,
    /// Requests failed or invalid.
    pub errors: u64,
    /// Time from the first request to the last response.
    pub elapsed: Duration,
}

impl Outcome {
    /// The line a client prints: `bench-client requests=N errors=E elapsed_ns=T`.
    pub fn line(&self) -> String {
        format!(
            "bench-client requests={} errors={} elapsed_ns={}",
            self.requests,
            self.errors,
            self.elapsed.as_nanos()
        )
    }

    /// Finds and parses the result line in a client's stdout.
    pub fn parse(stdout: &str) -> Option<Self> {
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with("bench-client "))?;
        let field = |name: &str| -> Option<u64> {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        Some(Self {
            requests: field("requests")?,
            errors: field("errors")?,
            elapsed: Duration::from_nanos(field("elapsed_ns")?),
        })
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A client under test: a program and the arguments before the job's.
#[derive(Clone, Debug)]
pub struct ClientCmd {
    /// Name in the report.
    pub name: String,
    /// Program to run.
    pub program: String,
    /// Arguments before the job's.
    pub prefix: Vec<String>,
}

impl fmt::Display for ClientCmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Our client, when its bench binary has been built: `examples/bench_client` beside the
/// example server (the driver builds it when `cohttp-tokio/examples/bench_client.rs` exists).
/// This is the one place our client is plugged in.
pub fn ours(examples_dir: &Path) -> Option<ClientCmd> {
    let bin = examples_dir.join("bench_client");
    bin.is_file().then(|| ClientCmd {
        name: "ours".into(),
        program: bin.display().to_string(),
        prefix: Vec::new(),
    })
}

/// hyper's client: this very executable's `bench-hyper-client` task.
pub fn hyper(xtask: &Path) -> ClientCmd {
    ClientCmd {
        name: "hyper".into(),
        program: xtask.display().to_string(),
        prefix: vec!["bench-hyper-client".into()],
    }
}

/// Runs `job` with `cmd` against the server on `port`, at most `limit` long.
pub fn run(cmd: &ClientCmd, job: ClientJob, port: u16, limit: Duration) -> Result<Outcome, String> {
    let mut child = Command::new(&cmd.program)
        .args(&cmd.prefix)
        .args(job.to_args(port))
        .env("COHTTP_WORKERS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", cmd.program))?;
    // The client is killed if it overruns its time bound. Its output is one line, so the
    // pipes cannot fill while it runs.
    let deadline = Instant::now() + limit;
    let out = loop {
        match child.try_wait() {
            Ok(Some(_)) => break child.wait_with_output().map_err(|e| e.to_string())?,
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{} ran over {limit:?}", cmd.name));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    Outcome::parse(&stdout).ok_or_else(|| {
        format!(
            "{} printed no result line (status {}): {}",
            cmd.name,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_arguments_round_trip() {
        let job = ClientJob {
            mode: ClientMode::Pipelined,
            requests: 10_000,
            concurrency: 16,
            connections: 1,
        };
        let (port, path, back) = ClientJob::parse_args(&job.to_args(8080)).unwrap();
        assert_eq!((port, path.as_str(), back), (8080, "/plaintext", job));
    }

    #[test]
    fn result_line_round_trips_among_other_output() {
        let o = Outcome {
            requests: 9_999,
            errors: 1,
            elapsed: Duration::from_nanos(123_456_789),
        };
        let stdout = format!("warming up\n{}\n", o.line());
        assert_eq!(Outcome::parse(&stdout), Some(o));
    }

    #[test]
    fn output_without_result_line_parses_to_none() {
        assert_eq!(Outcome::parse("bench-client requests=1\n"), None);
    }
}
