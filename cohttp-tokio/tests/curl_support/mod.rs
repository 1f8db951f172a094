//! Shared by the `curl_*` tests: running the `cohttp-curl` binary with a time bound, its
//! output captured in files (no pipe can fill up and stall it), and scratch directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const CURL: &str = env!("CARGO_BIN_EXE_cohttp-curl");

/// How long any one run may take before it is killed and the test fails.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A scratch directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cohttp-curl-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Waits for `child` until `limit`, killing it past that (and failing the test).
pub fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {} ran past {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A command whose stdout and stderr go to files in `dir`.
pub fn command_with_files(
    program: &str,
    args: &[&str],
    dir: &TempDir,
) -> (Command, PathBuf, PathBuf) {
    let out = dir.join("stdout");
    let err = dir.join("stderr");
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        // The tests' own proxy settings must not leak into the runs.
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("no_proxy")
        .env_remove("NO_PROXY");
    (cmd, out, err)
}

/// Runs `cohttp-curl args...`, bounded by [`RUN_LIMIT`].
pub fn curl(args: &[&str]) -> Run {
    curl_with(args, |_| {})
}

/// Runs `cohttp-curl args...` after `setup` adjusts the command (environment, say).
pub fn curl_with(args: &[&str], setup: impl FnOnce(&mut Command)) -> Run {
    let dir = TempDir::new("run");
    let (mut cmd, out, err) = command_with_files(CURL, args, &dir);
    setup(&mut cmd);
    let mut child = cmd.spawn().expect("spawn cohttp-curl");
    let status = wait_bounded(&mut child, RUN_LIMIT);
    Run {
        status,
        stdout: std::fs::read(out).expect("stdout"),
        stderr: std::fs::read_to_string(err).expect("stderr"),
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
