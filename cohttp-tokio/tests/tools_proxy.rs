//! The `cohttp-proxy` binary against `curl` and `cohttp-server`, over loopback:
//! plain forwarding (`curl -x`), hop-by-hop fields removed both ways (with a raw echo
//! origin), a CONNECT tunnel (`curl -p -x`), 502 for an unreachable upstream, 400 for
//! bad targets, and the open-proxy warning in `--help`. Each test skips with a notice
//! when curl is not installed.

mod tools_support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use tools_support::*;

const SERVER: &str = env!("CARGO_BIN_EXE_cohttp-server");
const PROXY: &str = env!("CARGO_BIN_EXE_cohttp-proxy");

fn origin(name: &str) -> (std::path::PathBuf, Tool) {
    let root = temp_dir(name);
    std::fs::write(root.join("file.txt"), "through the proxy").unwrap();
    let tool = Tool::start(SERVER, &[path_str(&root), "--port", "0", "-q"]);
    (root, tool)
}

#[test]
fn curl_through_the_proxy_plain_forwarding_adds_via() {
    if !have_curl() {
        return;
    }
    let (root, srv) = origin("proxy-plain");
    let proxy = Tool::start(PROXY, &["--port", "0"]);
    let url = format!("{}/file.txt", srv.base());
    let (code, body) = curl_status(&["-x", &proxy.base(), &url]);
    assert_eq!((code, body.as_str()), (200, "through the proxy"));
    let head = curl(&["-x", &proxy.base(), "-D", "-", "-o", "/dev/null", &url]);
    let head = String::from_utf8_lossy(&head.stdout).to_ascii_lowercase();
    assert!(head.contains("via: 1.1 cohttp-proxy-"), "{head}");
    let (ok, err) = proxy.terminate();
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("\"GET {url} HTTP/1.1\" 200")),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// An origin on a raw socket that answers one request with its head as the body, and
/// hop-by-hop fields of its own in the response. Returns its port.
fn echo_origin() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
            match conn.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\nConnection: close, X-Origin-Hop\r\nX-Origin-Hop: 1\r\n\
             Keep-Alive: timeout=5\r\nX-Origin-End: 2\r\nContent-Length: {}\r\n\r\n",
            head.len()
        );
        let _ = conn.write_all(answer.as_bytes());
        let _ = conn.write_all(&head);
    });
    port
}

#[test]
fn hop_by_hop_fields_are_removed_both_ways_and_via_added() {
    if !have_curl() {
        return;
    }
    let origin = echo_origin();
    let proxy = Tool::start(PROXY, &["--port", "0", "-q"]);
    let out = curl(&[
        "-x",
        &proxy.base(),
        "-D",
        "-",
        "-H",
        "Connection: X-Drop",
        "-H",
        "X-Drop: secret",
        "-H",
        "Keep-Alive: 300",
        "-H",
        "TE: trailers",
        "-H",
        "X-Keep: 2",
        "-U",
        "user:pass",
        &format!("http://127.0.0.1:{origin}/echo"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    let (response, seen) = text.split_once("\r\n\r\n").expect("a head and a body");
    // What the origin received.
    assert!(seen.starts_with("get /echo http/1.1\r\n"), "{seen}");
    assert!(seen.contains("\r\nx-keep: 2\r\n"), "{seen}");
    assert!(seen.contains("\r\nvia: 1.1 cohttp-proxy-"), "{seen}");
    for gone in [
        "x-drop",
        "keep-alive",
        "te:",
        "proxy-authorization",
        "proxy-connection",
    ] {
        assert!(
            !seen.contains(&format!("\n{gone}")),
            "{gone} forwarded: {seen}"
        );
    }
    // What the client received.
    assert!(response.starts_with("http/1.1 200 ok"), "{response}");
    assert!(response.contains("\r\nx-origin-end: 2"), "{response}");
    assert!(
        response.contains("\r\nvia: 1.1 cohttp-proxy-"),
        "{response}"
    );
    for gone in ["x-origin-hop", "keep-alive"] {
        assert!(
            !response.contains(&format!("\n{gone}")),
            "{gone} passed back: {response}"
        );
    }
}

#[test]
fn curl_connect_tunnel_through_the_proxy() {
    if !have_curl() {
        return;
    }
    let (root, srv) = origin("proxy-connect");
    let proxy = Tool::start(PROXY, &["--port", "0"]);
    let url = format!("{}/file.txt", srv.base());
    let out = curl(&["-p", "-x", &proxy.base(), "-v", &url]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "through the proxy");
    let verbose = String::from_utf8_lossy(&out.stderr);
    assert!(
        verbose.contains(&format!("CONNECT 127.0.0.1:{}", srv.port)),
        "{verbose}"
    );
    // Several requests through one tunnel, then another tunnel.
    let out = curl(&["-p", "-x", &proxy.base(), &url, &url]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "through the proxythrough the proxy"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn unreachable_upstreams_and_bad_targets_through_curl() {
    if !have_curl() {
        return;
    }
    let proxy = Tool::start(PROXY, &["--port", "0", "-q"]);
    // Port 1 on loopback: nothing listens there.
    let (code, body) = curl_status(&["-x", &proxy.base(), "http://127.0.0.1:1/"]);
    assert_eq!(code, 502, "{body}");
    let out = curl(&[
        "-p",
        "-x",
        &proxy.base(),
        "-o",
        "/dev/null",
        "-w",
        "%{http_connect}",
        "http://127.0.0.1:1/",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "502");
    // Asked as an origin server, not as a proxy.
    let (code, _) = curl_status(&[&format!("{}/x", proxy.base())]);
    assert_eq!(code, 400);
}

#[test]
fn help_says_it_is_an_open_proxy_beyond_loopback() {
    let out = Command::new(PROXY).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("OPEN PROXY"), "{help}");
    let out = Command::new(PROXY).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--port is required"));
}
