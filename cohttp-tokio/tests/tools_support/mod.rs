//! Shared helpers for the tests that run the built tools (`cohttp-server`,
//! `cohttp-proxy`) against `curl`: start a tool on a free loopback port, run curl with
//! a time bound, skip with a notice when curl is missing.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a tool may take to print `listening on ADDR`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether `curl` can be run; prints a notice when it cannot.
pub fn have_curl() -> bool {
    match Command::new("curl").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            eprintln!("skipping: curl is not installed (CI installs it; see .ci/run)");
            false
        }
    }
}

/// A running tool, killed (by its own process id) when dropped.
pub struct Tool {
    pub child: Child,
    pub port: u16,
}

impl Tool {
    /// Starts the binary `exe` with `args` (which must make it listen on port 0 of
    /// 127.0.0.1) and waits for its `listening on ADDR` line.
    pub fn start(exe: &str, args: &[&str]) -> Tool {
        Tool::start_with(exe, args, |_| {})
    }

    /// Like [`Tool::start`], after `setup` adjusts the command (its user, say).
    pub fn start_with(exe: &str, args: &[&str], setup: impl FnOnce(&mut Command)) -> Tool {
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        setup(&mut cmd);
        let mut child = cmd.spawn().expect("start the tool");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("{exe} did not say it was listening within {START_TIMEOUT:?}");
            }
        };
        let port = line
            .trim()
            .strip_prefix("listening on 127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from {exe}: {line:?}"));
        Tool { child, port }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends SIGTERM (through `kill`, to this child's id), waits at most 20 s for the
    /// exit, and returns whether it exited successfully and its stderr.
    pub fn terminate(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return (status.success(), err);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the tool did not stop within 20 s of SIGTERM");
    }
}

impl Drop for Tool {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs curl with `args` (silent, at most 10 s).
pub fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .expect("run curl")
}

/// curl's body output for `args` as text, and the status code (`-w %{http_code}` is
/// appended on a last line of its own).
pub fn curl_status(args: &[&str]) -> (u16, String) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-w", "\n%{http_code}"]);
    let out = curl(&all);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cohttp-tools-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}
