//! `cohttp-curl` against a real nginx (Debian's `nginx-light`, installed by `.ci/run`),
//! started from a generated configuration in a scratch directory, on a free loopback
//! port. Without nginx the tests print a notice and return.

mod curl_support;

use std::io::Write;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use curl_support::{command_with_files, curl, free_port, wait_bounded, TempDir, CURL, RUN_LIMIT};

/// nginx running in the foreground; stopped on drop.
struct Nginx {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Nginx {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn docroot(&self) -> std::path::PathBuf {
        self.dir.join("www")
    }

    /// The access log: `connection-serial request-line status` per request.
    fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }

    /// The access log once it holds `lines` lines: nginx writes a line after the
    /// response has gone, so the client can finish first. Waits 10 s at most.
    fn access_log_lines(&self, lines: usize) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let log = self.access_log();
            if log.lines().count() >= lines || std::time::Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_program() -> Option<String> {
    ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("-v")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(str::to_string)
}

/// Starts nginx serving a scratch docroot, or `None` (with a notice) when it is missing.
fn start(test: &str) -> Option<Nginx> {
    let Some(program) = nginx_program() else {
        println!("notice: nginx not found; {test} skipped (CI installs nginx-light)");
        return None;
    };
    let dir = TempDir::new("nginx");
    let d = dir.path().display().to_string();
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let port = free_port();
    let conf = format!(
        "daemon off;\n\
         master_process off;\n\
         worker_processes 1;\n\
         pid {d}/nginx.pid;\n\
         error_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n\
           log_format conn '$connection \"$request\" $status';\n\
           access_log {d}/access.log conn;\n\
           client_body_temp_path {d}/tmp/body;\n\
           proxy_temp_path {d}/tmp/proxy;\n\
           fastcgi_temp_path {d}/tmp/fastcgi;\n\
           uwsgi_temp_path {d}/tmp/uwsgi;\n\
           scgi_temp_path {d}/tmp/scgi;\n\
           server {{\n\
             listen 127.0.0.1:{port};\n\
             root {d}/www;\n\
             location /post {{ return 200 \"ok\"; }}\n\
           }}\n\
         }}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(&program)
        .args([
            "-p",
            &d,
            "-e",
            &format!("{d}/error.log"),
            "-c",
            &format!("{d}/nginx.conf"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn nginx");
    let mut nginx = Nginx { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(nginx);
        }
        if let Some(status) = nginx.child.try_wait().unwrap() {
            let log = std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default();
            panic!("nginx exited with {status}: {log}");
        }
        assert!(Instant::now() < deadline, "nginx did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn nginx_serves_several_urls_pipelined_on_one_connection() {
    let Some(nginx) = start("nginx_serves_several_urls_pipelined_on_one_connection") else {
        return;
    };
    let names = ["a.txt", "b.txt", "c.txt", "d.txt"];
    for name in names {
        std::fs::write(nginx.docroot().join(name), format!("<{name}>")).unwrap();
    }
    let urls: Vec<String> = names.iter().map(|n| nginx.url(&format!("/{n}"))).collect();
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let run = curl(&args);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "<a.txt><b.txt><c.txt><d.txt>");
    let log = nginx.access_log_lines(4);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4, "{log}");
    let conn = lines[0].split(' ').next().unwrap();
    assert!(
        lines.iter().all(|l| l.split(' ').next() == Some(conn)),
        "one connection expected:\n{log}"
    );
    for (line, name) in lines.iter().zip(names) {
        assert!(line.contains(&format!("GET /{name} HTTP/1.1")), "{line}");
        assert!(line.ends_with(" 200"), "{line}");
    }
}

#[test]
fn nginx_post_gets_its_answer() {
    let Some(nginx) = start("nginx_post_gets_its_answer") else {
        return;
    };
    let run = curl(&["-d", "name=value", &nginx.url("/post")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "ok");
    assert!(nginx
        .access_log_lines(1)
        .contains("\"POST /post HTTP/1.1\" 200"));
    let run = curl(&["--fail", &nginx.url("/missing")]);
    assert_eq!(run.code(), 22);
}

/// The resident set of process `pid` in KiB, from `/proc/PID/status`.
fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn nginx_download_of_100_mib_runs_in_bounded_memory() {
    let Some(nginx) = start("nginx_download_of_100_mib_runs_in_bounded_memory") else {
        return;
    };
    const SIZE: usize = 100 * 1024 * 1024;
    {
        let mut f = std::fs::File::create(nginx.docroot().join("big.bin")).unwrap();
        let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 253) as u8).collect();
        for _ in 0..SIZE / block.len() {
            f.write_all(&block).unwrap();
        }
    }
    let dir = TempDir::new("download");
    let out = dir.join("big.bin");
    let url = nginx.url("/big.bin");
    let args = ["-o", out.to_str().unwrap(), &url];
    let (mut cmd, _, err) = command_with_files(CURL, &args, &dir);
    let mut child = cmd.spawn().expect("spawn cohttp-curl");
    let pid = child.id();
    let deadline = Instant::now() + RUN_LIMIT;
    let mut peak = 0u64;
    let mut samples = 0u32;
    let status = loop {
        if let Some(s) = vm_rss_kib(pid) {
            peak = peak.max(s);
            samples += 1;
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            wait_bounded(&mut child, Duration::ZERO);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = std::fs::read_to_string(err).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(samples > 0, "no memory sample taken");
    println!("100 MiB download: peak VmRSS {peak} KiB over {samples} samples");
    assert!(peak < 64 * 1024, "peak resident memory {peak} KiB");
    let got = std::fs::metadata(&out).unwrap().len();
    assert_eq!(got, SIZE as u64);
    let same =
        std::fs::read(&out).unwrap() == std::fs::read(nginx.docroot().join("big.bin")).unwrap();
    assert!(same, "downloaded file differs");
}
