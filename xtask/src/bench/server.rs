//! A server under test as a process: the command that starts it (ours: the tokio example server;
//! hyper: `xtask bench-hyper-server`), started on a free loopback port, optionally pinned to a
//! core with `taskset`, ready once it prints `listening on ADDR`, and killed afterwards.
//!
//! Both servers are started the same way and get `COHTTP_WORKERS=1` (the soak may ask for more). This file does not generate
//! load (`loadgen.rs`) or read the process's memory (`rss.rs`).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a server may take to print `listening on`.
const READY_WITHIN: Duration = Duration::from_secs(10);
/// How much of a server's stderr is kept for error messages.
const STDERR_TAIL: usize = 4096;

/// A server under test: a program and its arguments before `--port P --host 127.0.0.1`.
#[derive(Clone, Debug)]
pub struct ServerCmd {
    /// Name in the report.
    pub name: String,
    /// Program to run.
    pub program: String,
    /// Arguments before the port and host.
    pub prefix: Vec<String>,
    /// Environment set after `COHTTP_WORKERS=1` (which it may override).
    pub env: Vec<(String, String)>,
}

impl ServerCmd {
    /// Our tokio example server, if built.
    pub fn ours(examples_dir: &Path) -> Option<Self> {
        let bin = examples_dir.join("server");
        bin.is_file().then(|| Self {
            name: "ours".into(),
            program: bin.display().to_string(),
            prefix: Vec::new(),
            env: Vec::new(),
        })
    }

    /// hyper's server: this very executable's `bench-hyper-server` task.
    pub fn hyper(xtask: &Path) -> Self {
        Self {
            name: "hyper".into(),
            program: xtask.display().to_string(),
            prefix: vec!["bench-hyper-server".into()],
            env: Vec::new(),
        }
    }
}

/// A started server; killed on drop.
pub struct RunningServer {
    child: Child,
    /// Address it listens on.
    pub addr: SocketAddr,
    stderr_tail: Arc<Mutex<Vec<u8>>>,
}

impl RunningServer {
    /// Starts `cmd` on a free port, pinned to `core` when given, and waits until it listens.
    pub fn start(cmd: &ServerCmd, core: Option<usize>) -> Result<Self, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let mut command = match core {
            Some(c) => {
                let mut t = Command::new("taskset");
                t.arg("-c").arg(c.to_string()).arg(&cmd.program);
                t
            }
            None => Command::new(&cmd.program),
        };
        let mut child = command
            .args(&cmd.prefix)
            .args(["--port", &port.to_string(), "--host", "127.0.0.1"])
            .env("COHTTP_WORKERS", "1")
            .envs(cmd.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", cmd.program))?;
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut err) = child.stderr.take() {
            let tail = stderr_tail.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = err.read(&mut buf) {
                    if let Ok(mut t) = tail.lock() {
                        t.extend_from_slice(&buf[..n]);
                        let excess = t.len().saturating_sub(STDERR_TAIL);
                        t.drain(..excess);
                    }
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            // Reports the first `listening on` line, then keeps draining stdout.
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = line.trim().strip_prefix("listening on ") {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(addr.trim().to_string());
                        }
                    }
                }
            });
        }
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            stderr_tail,
        };
        match rx.recv_timeout(READY_WITHIN) {
            Ok(addr) => {
                if let Ok(a) = addr.parse::<SocketAddr>() {
                    server.addr = a;
                }
                if !server.addr.ip().is_loopback() {
                    return Err(format!("{} listens on {addr}, not loopback", cmd.name));
                }
                Ok(server)
            }
            Err(_) => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                Err(format!(
                    "{} did not print `listening on` within {READY_WITHIN:?}: {}",
                    cmd.name,
                    server.stderr()
                ))
            }
        }
    }

    /// Process id (the server itself: `taskset` execs it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The end of what the server wrote to stderr.
    pub fn stderr(&self) -> String {
        self.stderr_tail
            .lock()
            .map(|t| String::from_utf8_lossy(&t).trim().to_string())
            .unwrap_or_default()
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free right now (the OS picks it; it is released for the server to take).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
