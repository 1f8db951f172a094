//! `cohttp-curl` through two forward proxies, `cohttp-proxy` and Debian's `tinyproxy`,
//! over loopback: a file over `http` with `--proxy` and with `http_proxy` (and not
//! through the proxy when `no_proxy` exempts the origin), several URLs in one run, and
//! `https` through a `CONNECT` tunnel to a `cohttp-server --tls-cert` origin trusted
//! with `--cacert` (and refused without it); and cohttp-proxy's 502 for a dead
//! upstream, plain and CONNECT. Each step checks the exact bodies, the exit status, and
//! that the proxy saw the request (its log, and the `Via` it adds). The tinyproxy test skips with a notice when tinyproxy is not
//! installed (`.ci/run` installs it). Every process is bounded and killed on drop.

mod curl_support;
mod tools_support;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use curl_support::{curl, curl_with, free_port, Run, TempDir};
use tools_support::{path_str, Tool};

const SERVER: &str = env!("CARGO_BIN_EXE_cohttp-server");
const PROXY: &str = env!("CARGO_BIN_EXE_cohttp-proxy");

/// The files served by both origins, by name.
const FILES: &[(&str, &str)] = &[
    ("flag.txt", "asked with --proxy"),
    ("env.txt", "asked through http_proxy"),
    ("one.txt", "first;"),
    ("two.txt", "second;"),
    ("three.txt", "third."),
    ("secure.txt", "inside the tunnel"),
    ("direct.txt", "exempted by no_proxy"),
];

fn content(name: &str) -> &'static str {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .expect("a known file")
}

/// A plain and a TLS `cohttp-server` on one document root, and the CA file that makes
/// the TLS one trusted (its own self-signed certificate, for `127.0.0.1`).
struct Origins {
    dir: TempDir,
    plain: Tool,
    tls: Tool,
}

impl Origins {
    fn start() -> Origins {
        let dir = TempDir::new("proxies");
        let root = dir.join("root");
        std::fs::create_dir_all(&root).unwrap();
        for (name, text) in FILES {
            std::fs::write(root.join(name), text).unwrap();
        }
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()])
            .expect("a self-signed certificate");
        std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), cert.key_pair.serialize_pem()).unwrap();
        let root = path_str(&root).to_string();
        let plain = Tool::start(SERVER, &[&root, "--port", "0", "-q"]);
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let tls = Tool::start(
            SERVER,
            &[
                &root,
                "--port",
                "0",
                "-q",
                "--tls-cert",
                path_str(&cert),
                "--tls-key",
                path_str(&key),
            ],
        );
        Origins { dir, plain, tls }
    }

    fn http(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.plain.port)
    }

    fn https(&self, name: &str) -> String {
        format!("https://127.0.0.1:{}/{name}", self.tls.port)
    }

    fn ca(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }
}

/// Asserts that `run` succeeded and printed exactly `body`.
fn assert_body(run: &Run, body: &str, what: &str) {
    assert_eq!(
        (run.code(), run.stdout_text().as_str()),
        (0, body),
        "{what}; stderr: {}",
        run.stderr
    );
}

/// What a test expects a proxy to have logged: one entry per request, as the proxy
/// writes its request line.
struct Expect {
    lines: Vec<String>,
}

/// The same steps through the proxy at `proxy` (a URL): returns the request lines the
/// proxy must have seen, `METHOD TARGET`, in order.
fn exercise(origins: &Origins, proxy: &str, via: &str) -> Expect {
    let mut lines = Vec::new();

    // One file over http, with --proxy; -i shows the Via the proxy added.
    let run = curl(&["--proxy", proxy, &origins.http("flag.txt")]);
    assert_body(&run, content("flag.txt"), "--proxy");
    lines.push(format!("GET {}", origins.http("flag.txt")));
    let run = curl(&["-i", "--proxy", proxy, &origins.http("flag.txt")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let text = run.stdout_text();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.to_ascii_lowercase().contains(via), "{via} in {text}");
    assert!(
        text.ends_with(&format!("\r\n\r\n{}", content("flag.txt"))),
        "{text}"
    );
    lines.push(format!("GET {}", origins.http("flag.txt")));

    // The same through the environment.
    let run = curl_with(&[&origins.http("env.txt")], |cmd| {
        cmd.env("http_proxy", proxy);
    });
    assert_body(&run, content("env.txt"), "http_proxy");
    lines.push(format!("GET {}", origins.http("env.txt")));

    // no_proxy exempts the origin: straight there, the proxy never sees it (checked on
    // its log by `assert_seen`).
    let run = curl_with(&[&origins.http("direct.txt")], |cmd| {
        cmd.env("http_proxy", proxy).env("no_proxy", "127.0.0.1");
    });
    assert_body(&run, content("direct.txt"), "no_proxy");

    // Several URLs in one run, pipelined to the proxy; bodies in URL order.
    let names = ["one.txt", "two.txt", "three.txt"];
    let urls: Vec<String> = names.iter().map(|n| origins.http(n)).collect();
    let mut args = vec!["--proxy", proxy];
    args.extend(urls.iter().map(String::as_str));
    let run = curl(&args);
    let all: String = names.iter().map(|n| content(n)).collect();
    assert_body(&run, &all, "several URLs");
    lines.extend(urls.iter().map(|u| format!("GET {u}")));

    // https through CONNECT: two files on one tunnel, trusted with --cacert.
    let ca = origins.ca();
    let tunnel = format!("CONNECT 127.0.0.1:{}", origins.tls.port);
    let run = curl(&[
        "--cacert",
        path_str(&ca),
        "--proxy",
        proxy,
        &origins.https("secure.txt"),
        &origins.https("one.txt"),
    ]);
    let both = format!("{}{}", content("secure.txt"), content("one.txt"));
    assert_body(&run, &both, "CONNECT with --cacert");
    lines.push(tunnel.clone());

    // The same with https_proxy from the environment.
    let run = curl_with(
        &["--cacert", path_str(&ca), &origins.https("secure.txt")],
        |cmd| {
            cmd.env("https_proxy", proxy);
        },
    );
    assert_body(&run, content("secure.txt"), "CONNECT through https_proxy");
    lines.push(tunnel.clone());

    // Without --cacert, the origin's certificate is not trusted through the tunnel
    // either: TLS failure, status 35, nothing printed.
    let run = curl(&["--proxy", proxy, &origins.https("secure.txt")]);
    assert_eq!(run.code(), 35, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .starts_with("cohttp-curl: TLS handshake with 127.0.0.1 failed"),
        "{}",
        run.stderr
    );
    lines.push(tunnel);

    Expect { lines }
}

/// The first `expect`ed request line that `log` lacks (they must come in order, other
/// lines may be between them), or `None` when it has them all.
fn missing<'a>(log: &str, expect: &'a Expect) -> Option<&'a str> {
    let mut rest = log;
    for line in &expect.lines {
        match rest.find(line.as_str()) {
            Some(at) => rest = &rest[at + line.len()..],
            None => return Some(line),
        }
    }
    None
}

fn assert_seen(log: &str, expect: &Expect) {
    if let Some(line) = missing(log, expect) {
        panic!("the proxy did not log {line:?} (in order); log:\n{log}");
    }
    assert!(
        !log.contains("/direct.txt"),
        "the no_proxy request went through the proxy:\n{log}"
    );
}

#[test]
fn cohttp_curl_through_cohttp_proxy_plain_env_several_urls_and_connect() {
    let origins = Origins::start();
    let proxy = Tool::start(PROXY, &["--port", "0"]);
    let expect = exercise(&origins, &proxy.base(), "via: 1.1 cohttp-proxy-");
    let (ok, log) = proxy.terminate();
    assert!(ok, "{log}");
    assert_seen(&log, &expect);
}

/// A `tinyproxy` in the foreground with its config, log and pid file in a scratch
/// directory; killed (by its own process id) when dropped.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: TempDir,
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tinyproxy program, or `None` when it is not installed.
fn tinyproxy_program() -> Option<&'static str> {
    ["tinyproxy", "/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("-v")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

impl Tinyproxy {
    /// Starts tinyproxy on a free loopback port, allowing `CONNECT` to `connect_port`
    /// only. Another process may take the port between our probe and tinyproxy's bind:
    /// then tinyproxy exits and we try again, three times at most.
    fn start(program: &str, connect_port: u16) -> Tinyproxy {
        let mut why = String::new();
        for _ in 0..3 {
            let dir = TempDir::new("tinyproxy");
            let port = free_port();
            let log = dir.join("tinyproxy.log");
            let conf = format!(
                "Port {port}\n\
                 Listen 127.0.0.1\n\
                 Allow 127.0.0.1\n\
                 ConnectPort {connect_port}\n\
                 Timeout 30\n\
                 MaxClients 16\n\
                 ViaProxyName \"tinyproxy-test\"\n\
                 LogLevel Info\n\
                 LogFile \"{}\"\n\
                 PidFile \"{}\"\n",
                log.display(),
                dir.join("tinyproxy.pid").display()
            );
            std::fs::write(dir.join("tinyproxy.conf"), conf).unwrap();
            let child = Command::new(program)
                .args(["-d", "-c", path_str(&dir.join("tinyproxy.conf"))])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn tinyproxy");
            let mut tp = Tinyproxy {
                child,
                port,
                log,
                _dir: dir,
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(status) = tp.child.try_wait().unwrap() {
                    why = format!("tinyproxy exited with {status}: {}", tp.log_text());
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return tp;
                }
                assert!(
                    Instant::now() < deadline,
                    "tinyproxy did not listen within 10 s: {}",
                    tp.log_text()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("tinyproxy could not start three times; last: {why}");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log once it holds every expected line (tinyproxy may write a line after the
    /// client is done), waiting 10 s at most.
    fn log_with(&self, expect: &Expect) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log_text();
            if missing(&log, expect).is_none() || Instant::now() >= deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn cohttp_curl_through_tinyproxy_plain_env_several_urls_and_connect() {
    let Some(program) = tinyproxy_program() else {
        println!(
            "notice: tinyproxy not found; cohttp_curl_through_tinyproxy skipped \
             (CI installs it, see .ci/run)"
        );
        return;
    };
    let origins = Origins::start();
    let proxy = Tinyproxy::start(program, origins.tls.port);
    let expect = exercise(
        &origins,
        &proxy.url(),
        "via: 1.1 tinyproxy-test (tinyproxy/",
    );
    // tinyproxy logs each request as `Request (file descriptor N): GET URL HTTP/1.1`.
    assert_seen(&proxy.log_with(&expect), &expect);
    // CONNECT to any other port is refused by its ConnectPort rule: the tunnel fails.
    let run = curl(&[
        "--proxy",
        &proxy.url(),
        &format!("https://127.0.0.1:{}/secure.txt", origins.plain.port),
    ]);
    assert_ne!(run.code(), 0);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("cohttp-curl: "), "{}", run.stderr);
}

#[test]
fn cohttp_curl_through_cohttp_proxy_to_a_dead_upstream_gets_502() {
    let proxy = Tool::start(PROXY, &["--port", "0", "-q"]);
    let dead = free_port();
    let url = format!("http://127.0.0.1:{dead}/x");
    // Plain: the proxy's 502 is the answer; with --fail, exit status 22.
    let run = curl(&["-i", "--proxy", &proxy.base(), &url]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert!(
        run.stdout_text()
            .starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
        "{}",
        run.stdout_text()
    );
    let run = curl(&["--fail", "--proxy", &proxy.base(), &url]);
    assert_eq!(run.code(), 22, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "cohttp-curl: the requested URL returned error: 502\n"
    );
    // CONNECT: the tunnel is refused with 502, exit status 56 as curl's.
    let run = curl(&[
        "--proxy",
        &proxy.base(),
        &format!("https://127.0.0.1:{dead}/x"),
    ]);
    assert_eq!(run.code(), 56, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "cohttp-curl: proxy refused CONNECT 127.0.0.1:{dead}: proxy answered 502 Bad Gateway\n"
        )
    );
    assert!(run.stdout.is_empty());
}
