//! The `cohttp-server` binary against `curl`, over loopback: listing, file, range, 304,
//! traversal attempts, unreadable files (403), 405 with `Allow`, the 301 to a
//! directory's slash, `-q`, graceful stop on SIGTERM and on SIGINT with a download in
//! flight, and HTTPS with `--tls-cert`. Each test skips with a notice when curl is not
//! installed.

mod tools_support;

use std::process::Command;

use tools_support::*;

const SERVER: &str = env!("CARGO_BIN_EXE_cohttp-server");

/// A document root `<tmp>/root` with files, and `<tmp>/secret.txt` outside it.
fn site(name: &str) -> std::path::PathBuf {
    let base = temp_dir(name);
    let root = base.join("root");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("hello.txt"), "abcdefghijklmnopqrstuvwxyz").unwrap();
    std::fs::write(root.join("docs/a & b.html"), "<p>doc</p>").unwrap();
    std::fs::write(base.join("secret.txt"), "TOP-SECRET").unwrap();
    base
}

fn server(root: &std::path::Path, extra: &[&str]) -> Tool {
    let mut args = vec![path_str(root), "--port", "0"];
    args.extend_from_slice(extra);
    Tool::start(SERVER, &args)
}

#[test]
fn curl_gets_the_listing_and_a_file() {
    if !have_curl() {
        return;
    }
    let base = site("listing");
    let srv = server(&base.join("root"), &[]);
    let (code, listing) = curl_status(&[&format!("{}/", srv.base())]);
    assert_eq!(code, 200);
    assert!(
        listing.contains("<a href=\"hello.txt\">hello.txt</a>"),
        "{listing}"
    );
    assert!(listing.contains("<a href=\"docs/\">docs/</a>"), "{listing}");
    let (code, body) = curl_status(&[&format!("{}/hello.txt", srv.base())]);
    assert_eq!((code, body.as_str()), (200, "abcdefghijklmnopqrstuvwxyz"));
    let (code, doc) = curl_status(&["-L", &format!("{}/docs", srv.base())]);
    assert_eq!(code, 200);
    assert!(
        doc.contains("a%20%26%20b.html\">a &amp; b.html</a>"),
        "{doc}"
    );
    let (code, body) = curl_status(&[&format!("{}/docs/a%20%26%20b.html", srv.base())]);
    assert_eq!((code, body.as_str()), (200, "<p>doc</p>"));
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn curl_range_requests_get_206_and_416() {
    if !have_curl() {
        return;
    }
    let base = site("range");
    let srv = server(&base.join("root"), &[]);
    let url = format!("{}/hello.txt", srv.base());
    assert_eq!(curl_status(&["-r", "2-5", &url]), (206, "cdef".to_string()));
    assert_eq!(curl_status(&["-r", "-3", &url]), (206, "xyz".to_string()));
    let head = curl(&["-r", "100-", "-D", "-", "-o", "/dev/null", &url]);
    let head = String::from_utf8_lossy(&head.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 416"), "{head}");
    assert!(head.contains("content-range: bytes */26"), "{head}");
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn curl_conditional_get_gets_304() {
    if !have_curl() {
        return;
    }
    let base = site("conditional");
    let srv = server(&base.join("root"), &[]);
    let url = format!("{}/hello.txt", srv.base());
    let head = curl(&["-I", &url]);
    let head = String::from_utf8_lossy(&head.stdout).into_owned();
    let field = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("no {name} in {head}"))
    };
    let etag = field("etag");
    let modified = field("last-modified");
    let (code, body) = curl_status(&["-H", &format!("If-None-Match: {etag}"), &url]);
    assert_eq!((code, body.as_str()), (304, ""));
    let (code, _) = curl_status(&["-H", &format!("If-Modified-Since: {modified}"), &url]);
    assert_eq!(code, 304);
    let (code, _) = curl_status(&["-H", "If-None-Match: \"stale\"", &url]);
    assert_eq!(code, 200);
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn curl_traversal_attempts_are_refused() {
    if !have_curl() {
        return;
    }
    let base = site("traversal");
    let srv = server(&base.join("root"), &[]);
    for attack in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/docs/../../secret.txt",
        "/..%5csecret.txt",
        "/.%2e/secret.txt",
    ] {
        let (code, body) = curl_status(&["--path-as-is", &format!("{}{attack}", srv.base())]);
        assert!(
            code == 403 || code == 404 || code == 400,
            "{attack}: {code}"
        );
        assert!(!body.contains("TOP-SECRET"), "{attack} leaked the secret");
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(base.join("secret.txt"), base.join("root/link.txt")).unwrap();
        let (code, body) = curl_status(&[&format!("{}/link.txt", srv.base())]);
        assert_eq!(code, 403);
        assert!(!body.contains("TOP-SECRET"));
    }
    let _ = std::fs::remove_dir_all(&base);
}

/// A file and a directory with mode 000 get `403`, not their content, not `500`.
///
/// Root reads any file whatever its mode, so when the tests run as root the server is
/// started as the unprivileged user `nobody` (uid and gid 65534), for which the modes
/// do hold; the test skips with a notice only when even that user could read the file
/// (or the server cannot run as it).
#[cfg(unix)]
#[test]
fn unreadable_file_and_directory_get_403() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;

    if !have_curl() {
        return;
    }
    let base = site("unreadable");
    let root = base.join("root");
    let mode = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(&base, 0o755);
    mode(&root, 0o755);
    mode(&root.join("hello.txt"), 0o644);
    std::fs::write(root.join("locked.txt"), "LOCKED-CONTENT").unwrap();
    mode(&root.join("locked.txt"), 0o000);
    std::fs::create_dir(root.join("closed")).unwrap();
    std::fs::write(root.join("closed/inner.txt"), "INNER-CONTENT").unwrap();
    mode(&root.join("closed"), 0o000);
    let as_root = std::fs::metadata(root.join("locked.txt")).unwrap().uid() == 0;
    let readable_by_us = std::fs::File::open(root.join("locked.txt")).is_ok();
    if readable_by_us && !as_root {
        println!("notice: unreadable_file_and_directory_get_403 skipped: mode 000 does not stop this user from reading");
        mode(&root.join("closed"), 0o755);
        let _ = std::fs::remove_dir_all(&base);
        return;
    }
    if as_root {
        // The binary must be reachable by `nobody` (it is not under a private home).
        let runs = Command::new(SERVER)
            .arg("--help")
            .uid(65534)
            .gid(65534)
            .output()
            .is_ok_and(|o| o.status.success());
        if !runs {
            println!("notice: unreadable_file_and_directory_get_403 skipped: running as root, and the user nobody cannot run {SERVER}");
            mode(&root.join("closed"), 0o755);
            let _ = std::fs::remove_dir_all(&base);
            return;
        }
    }
    let args = [path_str(&root), "--port", "0", "-q"];
    let srv = if as_root {
        // Dropping to `nobody`; std clears the supplementary groups when root sets a uid.
        Tool::start_with(SERVER, &args, |cmd| {
            cmd.uid(65534).gid(65534);
        })
    } else {
        Tool::start(SERVER, &args)
    };
    // The server can read what it should...
    let (code, body) = curl_status(&[&format!("{}/hello.txt", srv.base())]);
    assert_eq!((code, body.as_str()), (200, "abcdefghijklmnopqrstuvwxyz"));
    // ...and not the rest.
    for path in ["/locked.txt", "/closed/", "/closed/inner.txt"] {
        let (code, body) = curl_status(&[&format!("{}{path}", srv.base())]);
        assert_eq!((code, body.as_str()), (403, "Forbidden"), "{path}");
    }
    let head = curl(&["-I", &format!("{}/locked.txt", srv.base())]);
    let head = String::from_utf8_lossy(&head.stdout).into_owned();
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    // The listing of the document root still works, and shows the entries.
    let (code, listing) = curl_status(&[&format!("{}/", srv.base())]);
    assert_eq!(code, 200);
    assert!(listing.contains(">locked.txt</a>"), "{listing}");
    drop(srv);
    mode(&root.join("closed"), 0o755);
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn access_log_on_stderr_quiet_with_q_and_graceful_stop_on_sigterm() {
    if !have_curl() {
        return;
    }
    let base = site("log");
    let root = base.join("root");
    let loud = server(&root, &[]);
    curl_status(&[&format!("{}/hello.txt", loud.base())]);
    let (ok, err) = loud.terminate();
    assert!(ok, "exit status after SIGTERM; stderr: {err}");
    assert!(err.contains("\"GET /hello.txt HTTP/1.1\" 200 26"), "{err}");
    let quiet = server(&root, &["-q"]);
    curl_status(&[&format!("{}/hello.txt", quiet.base())]);
    let (ok, err) = quiet.terminate();
    assert!(ok);
    assert!(!err.contains("GET /hello.txt"), "{err}");
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn curl_other_methods_get_405_with_allow_and_directories_301_to_the_slash() {
    if !have_curl() {
        return;
    }
    let base = site("methods");
    let srv = server(&base.join("root"), &["-q"]);
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let out = curl(&[
            "-X",
            method,
            "-D",
            "-",
            "-o",
            "/dev/null",
            &format!("{}/hello.txt", srv.base()),
        ]);
        let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 405"), "{method}: {head}");
        assert!(
            head.contains("\r\nallow: get, head\r\n"),
            "{method}: {head}"
        );
    }
    let out = curl(&[
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("{}/docs?x=1", srv.base()),
    ]);
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 301"), "{head}");
    assert!(head.contains("\r\nlocation: /docs/?x=1\r\n"), "{head}");
    let _ = std::fs::remove_dir_all(&base);
}

/// SIGINT while a download is in flight: the server stops accepting, lets the download
/// finish (the tools allow 5 s), then exits successfully.
///
/// The download is read from a raw socket: 64 KiB first, then SIGINT, then the rest.
/// The file (32 MiB) is larger than what loopback socket buffers hold, so most of it is
/// still to be sent when the signal arrives.
#[cfg(unix)]
#[test]
fn sigint_lets_the_download_in_flight_finish_then_stops() {
    use std::io::{Read, Write};
    use std::time::Duration;

    let base = site("sigint");
    let big: Vec<u8> = (0..32u32 << 20).map(|i| (i % 251) as u8).collect();
    std::fs::write(base.join("root/big.bin"), &big).unwrap();
    let srv = server(&base.join("root"), &[]);
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    conn.write_all(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut got = vec![0u8; 64 * 1024];
    conn.read_exact(&mut got).unwrap();
    let pid = srv.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    conn.read_to_end(&mut got).unwrap();
    let split = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&got[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(head.contains("\r\ncontent-length: 33554432"), "{head}");
    assert!(got[split + 4..] == big[..], "the download is incomplete");
    let (ok, err) = srv.terminate();
    assert!(ok, "exit status after SIGINT; stderr: {err}");
    assert!(
        err.contains("\"GET /big.bin HTTP/1.1\" 200 33554432"),
        "{err}"
    );
    assert!(err.contains("cohttp-server: stopped"), "{err}");
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn curl_over_https_with_tls_cert_and_key() {
    if !have_curl() {
        return;
    }
    let base = site("tls");
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a self-signed certificate");
    let cert_pem = base.join("cert.pem");
    let key_pem = base.join("key.pem");
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.key_pair.serialize_pem()).unwrap();
    let srv = server(
        &base.join("root"),
        &[
            "--tls-cert",
            path_str(&cert_pem),
            "--tls-key",
            path_str(&key_pem),
        ],
    );
    let url = format!("https://127.0.0.1:{}/hello.txt", srv.port);
    let (code, body) = curl_status(&["--cacert", path_str(&cert_pem), &url]);
    assert_eq!((code, body.as_str()), (200, "abcdefghijklmnopqrstuvwxyz"));
    // Plain HTTP on the TLS port gets no HTTP answer.
    let (code, _) = curl_status(&[&format!("http://127.0.0.1:{}/hello.txt", srv.port)]);
    assert_ne!(code, 200);
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn tls_options_need_each_other_and_readable_files() {
    let out = Command::new(SERVER)
        .args([".", "--port", "0", "--tls-cert", "c.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--tls-cert and --tls-key go together"),
        "{err}"
    );
    let out = Command::new(SERVER)
        .args([
            ".",
            "--port",
            "0",
            "--tls-cert",
            "/nonexistent/c.pem",
            "--tls-key",
            "k.pem",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not read /nonexistent/c.pem"), "{err}");
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    let out = Command::new(SERVER).args(["--port", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: cohttp-server"));
    let out = Command::new(SERVER)
        .arg("/nonexistent/docroot")
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/docroot"));
}
