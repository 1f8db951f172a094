//! The download progress bar of `cohttp-curl -o`: drawn on stderr when stderr is a
//! terminal (run under a pseudo-terminal with util-linux's `script`), absent otherwise.

mod curl_support;

use std::process::{Command, Stdio};

use cohttp_core::runtime::Addr;
use cohttp_core::server::{serve_listener, ConnInfo, ServerConfig};
use cohttp_core::testkit::demo::route;
use cohttp_core::{Body, Error};
use curl_support::{curl, wait_bounded, TempDir, CURL, RUN_LIMIT};
use http::Request;

/// The demo service on loopback; the runtime lives as long as the value.
fn demo() -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let crt = cohttp_tokio::runtime();
        let listener = crt
            .listen(Addr::Tcp("127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = |_: ConnInfo, req: Request<()>, body: Body| async move {
            Ok::<_, Error>(route(&req, body))
        };
        tokio::spawn(async move {
            serve_listener(
                &crt,
                listener,
                handler,
                ServerConfig::default(),
                std::future::pending(),
            )
            .await
        });
        addr
    });
    (format!("http://{addr}"), rt)
}

fn has_script() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Quotes `s` for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `cohttp-curl ARGS -o FILE URL` with stderr on a pseudo-terminal (`script`);
/// returns what it wrote there (without `script`'s own lines) and the downloaded file's
/// length.
fn download_on_a_terminal(extra: &[&str], base: &str, size: u64) -> (String, u64) {
    let dir = TempDir::new("pty");
    let file = dir.join("download.bin");
    // stdout of cohttp-curl is the file; what `script` captures from the terminal is
    // what cohttp-curl wrote to stderr.
    let mut inner = sh_quote(CURL);
    for a in extra {
        inner.push(' ');
        inner.push_str(&sh_quote(a));
    }
    inner.push_str(&format!(
        " -o {} {base}/bytes/{size}",
        sh_quote(file.to_str().unwrap())
    ));
    let typescript = dir.join("captured");
    let mut child = Command::new("script")
        .args(["-qfec", &inner, typescript.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn script");
    let status = wait_bounded(&mut child, RUN_LIMIT);
    assert!(status.success(), "script: {status}");
    // Only what the program drew: `script` frames it with lines of its own that hold
    // the command, paths included.
    let captured: String = std::fs::read_to_string(&typescript)
        .unwrap()
        .split('\n')
        .filter(|line| !line.starts_with("Script started") && !line.starts_with("Script done"))
        .collect::<Vec<_>>()
        .join("\n");
    (captured, std::fs::metadata(&file).unwrap().len())
}

#[test]
fn silent_draws_no_progress_bar_even_on_a_terminal() {
    if !has_script() {
        println!("notice: `script` (util-linux) not found; silent progress test skipped");
        return;
    }
    let (base, _rt) = demo();
    let (captured, len) = download_on_a_terminal(&["-s"], &base, 4 * 1024 * 1024);
    assert!(!captured.contains('%'), "{captured:?}");
    assert!(!captured.contains("/s"), "{captured:?}");
    assert_eq!(len, 4 * 1024 * 1024);
}

#[test]
fn progress_bar_is_drawn_when_stderr_is_a_terminal() {
    if !has_script() {
        println!("notice: `script` (util-linux) not found; progress bar test skipped");
        return;
    }
    let (base, _rt) = demo();
    let (captured, len) = download_on_a_terminal(&[], &base, 8 * 1024 * 1024);
    assert!(captured.contains('%'), "{captured:?}");
    assert!(captured.contains("/s"), "{captured:?}");
    assert!(
        captured.contains("100.0% 8.0 MiB / 8.0 MiB"),
        "{captured:?}"
    );
    assert!(captured.contains('\r'), "redrawn in place: {captured:?}");
    assert_eq!(len, 8 * 1024 * 1024);
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let (base, _rt) = demo();
    let dir = TempDir::new("nopty");
    let file = dir.join("download.bin");
    let run = curl(&[
        "-o",
        file.to_str().unwrap(),
        &format!("{base}/bytes/{}", 8 << 20),
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 8 << 20);
}
