//! `FileServer` through the server on the mock backend: validators and conditional
//! GET, byte ranges, `HEAD`, directory redirects, index files and listings (escaped),
//! `405`, traversal attempts (encoded and through symbolic links), and the access log.

mod server_support;

use std::path::{Path, PathBuf};

use cohttp_core::server::{http_date, AccessLog, FileServer, ACCESS_LOG_TARGET};
use cohttp_mock::Sim;
use http::{Method, StatusCode};
use server_support::*;

/// A fresh document root with `hello.txt` (26 bytes), `sub/` and `site/index.html`.
fn docroot(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("cohttp-file-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::create_dir_all(dir.join("site")).unwrap();
    std::fs::write(dir.join("hello.txt"), b"abcdefghijklmnopqrstuvwxyz").unwrap();
    std::fs::write(dir.join("site/index.html"), b"<p>home</p>").unwrap();
    dir
}

/// Sends `requests` (each a raw request without the final CRLF pair, `Host` added) on
/// one connection to a file server on `root`, and reads one response per request.
fn exchange(root: &Path, requests: &[(&Method, &str)]) -> Vec<Raw> {
    let sim = Sim::new(7);
    let files = FileServer::new(&sim.runtime(), root).unwrap();
    let server = TestServer::start(&sim, "files", files, config());
    sim.block_on(async {
        let mut io = server.connect().await;
        let mut all = String::new();
        for (_, head) in requests {
            all.push_str(head);
            all.push_str("\r\nHost: x\r\n\r\n");
        }
        send(&mut io, all.as_bytes()).await;
        let mut r = Reader::new();
        let mut out = Vec::new();
        for (method, _) in requests {
            out.push(r.response(&mut io, method).await.expect("a response"));
        }
        out
    })
}

fn one(root: &Path, head: &str) -> Raw {
    let method = if head.starts_with("HEAD") {
        Method::HEAD
    } else {
        Method::GET
    };
    exchange(root, &[(&method, head)]).pop().unwrap()
}

#[test]
fn file_served_with_type_length_and_validators() {
    let root = docroot("validators");
    let r = one(&root, "GET /hello.txt HTTP/1.1");
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "abcdefghijklmnopqrstuvwxyz");
    assert_eq!(r.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(r.headers["content-length"], "26");
    assert_eq!(r.headers["accept-ranges"], "bytes");
    let etag = r.headers["etag"].to_str().unwrap();
    assert!(etag.starts_with("W/\"1a-"), "{etag}");
    let modified = std::fs::metadata(root.join("hello.txt"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(r.headers["last-modified"], http_date(modified).as_str());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn conditional_get_answers_304_by_tag_or_date_with_tag_first() {
    let root = docroot("conditional");
    let first = one(&root, "GET /hello.txt HTTP/1.1");
    let etag = first.headers["etag"].to_str().unwrap().to_string();
    let modified = first.headers["last-modified"].to_str().unwrap().to_string();
    let got = exchange(
        &root,
        &[
            (&Method::GET, &format!("GET /hello.txt HTTP/1.1\r\nIf-None-Match: {etag}")),
            (&Method::GET, &format!("GET /hello.txt HTTP/1.1\r\nIf-Modified-Since: {modified}")),
            // A tag that does not match wins over a date that would (RFC 9110 §13.2.2).
            (
                &Method::GET,
                &format!("GET /hello.txt HTTP/1.1\r\nIf-None-Match: \"other\"\r\nIf-Modified-Since: {modified}"),
            ),
            (&Method::HEAD, &format!("HEAD /hello.txt HTTP/1.1\r\nIf-None-Match: {etag}")),
            (&Method::GET, "GET /hello.txt HTTP/1.1\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"),
            (&Method::GET, &format!("GET /hello.txt HTTP/1.1\r\nIf-Match: {etag}")),
        ],
    );
    assert_eq!(got[0].status, StatusCode::NOT_MODIFIED);
    assert_eq!(got[0].body, "");
    assert_eq!(got[0].headers["etag"], etag.as_str());
    assert_eq!(got[1].status, StatusCode::NOT_MODIFIED);
    assert_eq!(got[2].status, StatusCode::OK);
    assert_eq!(got[2].body.len(), 26);
    assert_eq!(got[3].status, StatusCode::NOT_MODIFIED);
    assert_eq!(got[4].status, StatusCode::OK);
    // If-Match uses the strong comparison, which a weak tag never passes.
    assert_eq!(got[5].status, StatusCode::PRECONDITION_FAILED);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn ranges_single_suffix_unsatisfiable_and_multiple() {
    let root = docroot("ranges");
    let got = exchange(
        &root,
        &[
            (&Method::GET, "GET /hello.txt HTTP/1.1\r\nRange: bytes=2-5"),
            (&Method::GET, "GET /hello.txt HTTP/1.1\r\nRange: bytes=-3"),
            (&Method::GET, "GET /hello.txt HTTP/1.1\r\nRange: bytes=20-"),
            (&Method::GET, "GET /hello.txt HTTP/1.1\r\nRange: bytes=26-"),
            (
                &Method::GET,
                "GET /hello.txt HTTP/1.1\r\nRange: bytes=0-1,4-5",
            ),
            (
                &Method::GET,
                "GET /hello.txt HTTP/1.1\r\nRange: bytes=0-1\r\nIf-Range: W/\"weak\"",
            ),
        ],
    );
    assert_eq!(got[0].status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(got[0].body, "cdef");
    assert_eq!(got[0].headers["content-range"], "bytes 2-5/26");
    assert_eq!(got[0].headers["content-length"], "4");
    assert_eq!(got[1].body, "xyz");
    assert_eq!(got[1].headers["content-range"], "bytes 23-25/26");
    assert_eq!(got[2].body, "uvwxyz");
    assert_eq!(got[3].status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(got[3].headers["content-range"], "bytes */26");
    // Several ranges: the whole file (multipart answers are not offered).
    assert_eq!(got[4].status, StatusCode::OK);
    assert_eq!(got[4].body.len(), 26);
    // If-Range with a weak tag never matches: the whole file.
    assert_eq!(got[5].status, StatusCode::OK);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn head_states_the_length_without_a_body() {
    let root = docroot("head");
    let got = exchange(
        &root,
        &[
            (&Method::HEAD, "HEAD /hello.txt HTTP/1.1"),
            (&Method::GET, "GET /hello.txt HTTP/1.1"),
        ],
    );
    assert_eq!(got[0].status, StatusCode::OK);
    assert_eq!(got[0].headers["content-length"], "26");
    assert_eq!(got[0].body, "");
    // The next response on the connection is intact: no body bytes leaked.
    assert_eq!(got[1].body, "abcdefghijklmnopqrstuvwxyz");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn directories_redirect_to_the_slash_then_serve_index_or_listing() {
    let root = docroot("dirs");
    std::fs::write(root.join("sub/<b>&\"x'.txt"), b"1234").unwrap();
    std::fs::create_dir_all(root.join("sub/inner dir")).unwrap();
    let got = exchange(
        &root,
        &[
            (&Method::GET, "GET /sub?q=1 HTTP/1.1"),
            (&Method::GET, "GET /site/ HTTP/1.1"),
            (&Method::GET, "GET /sub/ HTTP/1.1"),
            (&Method::GET, "GET //sub HTTP/1.1"),
        ],
    );
    assert_eq!(got[0].status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(got[0].headers["location"], "/sub/?q=1");
    assert_eq!(got[1].body, "<p>home</p>");
    assert_eq!(got[1].headers["content-type"], "text/html; charset=utf-8");
    let listing = &got[2].body;
    assert_eq!(got[2].status, StatusCode::OK);
    assert!(
        listing.contains(
            "<a href=\"%3Cb%3E%26%22x%27.txt\">&lt;b&gt;&amp;&quot;x&#39;.txt</a></td><td>4</td>"
        ),
        "{listing}"
    );
    assert!(
        listing.contains("<a href=\"inner%20dir/\">inner dir/</a>"),
        "{listing}"
    );
    assert!(!listing.contains("<b>"));
    // A path starting with `//` is not redirected to another host.
    assert_eq!(got[3].headers["location"], "/sub/");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn other_methods_get_405_with_allow() {
    let root = docroot("methods");
    let got = exchange(
        &root,
        &[
            (
                &Method::POST,
                "POST /hello.txt HTTP/1.1\r\nContent-Length: 0",
            ),
            (&Method::DELETE, "DELETE /hello.txt HTTP/1.1"),
        ],
    );
    for r in got {
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers["allow"], "GET, HEAD");
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn traversal_attempts_never_leave_the_docroot() {
    let base = docroot("traversal");
    let root = base.join("sub");
    std::fs::write(root.join("inside.txt"), b"in").unwrap();
    // `hello.txt` is outside `sub`, the document root here.
    let attacks = [
        "/../hello.txt",
        "/%2e%2e/hello.txt",
        "/%2E%2E/hello.txt",
        "/..%2fhello.txt",
        "/..%5chello.txt",
        "/.%2e/hello.txt",
        "/x/../../hello.txt",
        "/%252e%252e/hello.txt",
        "/hello.txt%00",
    ];
    let requests: Vec<String> = attacks
        .iter()
        .map(|a| format!("GET {a} HTTP/1.1"))
        .collect();
    let list: Vec<(&Method, &str)> = requests
        .iter()
        .map(|r| (&Method::GET, r.as_str()))
        .collect();
    let got = exchange(&root, &list);
    for (attack, r) in attacks.iter().zip(&got) {
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
            "{attack}: {}",
            r.status
        );
        assert!(!r.body.contains("abcdef"), "{attack} leaked the file");
    }
    assert_eq!(one(&root, "GET /inside.txt HTTP/1.1").body, "in");
    let _ = std::fs::remove_dir_all(&base);
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_docroot_are_refused_and_not_listed() {
    let base = docroot("symlinks");
    let root = base.join("sub");
    std::os::unix::fs::symlink(base.join("hello.txt"), root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(&base, root.join("up")).unwrap();
    std::fs::write(root.join("real.txt"), b"real").unwrap();
    std::os::unix::fs::symlink(root.join("real.txt"), root.join("alias.txt")).unwrap();
    let got = exchange(
        &root,
        &[
            (&Method::GET, "GET /escape.txt HTTP/1.1"),
            (&Method::GET, "GET /up/hello.txt HTTP/1.1"),
            (&Method::GET, "GET /up/ HTTP/1.1"),
            (&Method::GET, "GET /alias.txt HTTP/1.1"),
            (&Method::GET, "GET / HTTP/1.1"),
        ],
    );
    assert_eq!(got[0].status, StatusCode::FORBIDDEN);
    assert_eq!(got[1].status, StatusCode::FORBIDDEN);
    assert_eq!(got[2].status, StatusCode::FORBIDDEN);
    // A link that stays inside is followed.
    assert_eq!(got[3].body, "real");
    let listing = &got[4].body;
    assert!(
        listing.contains("alias.txt") && listing.contains("real.txt"),
        "{listing}"
    );
    assert!(
        !listing.contains("escape.txt") && !listing.contains("\"up/\""),
        "{listing}"
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn access_log_has_one_common_log_format_line_per_request() {
    let root = docroot("access");
    let logs = cohttp_mock::capture_logs();
    let sim = Sim::new(8);
    let files = FileServer::new(&sim.runtime(), &root).unwrap();
    let handler = AccessLog::new(files).with_clock(|| std::time::UNIX_EPOCH);
    let server = TestServer::start(&sim, "logged", handler, config());
    sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    let lines: Vec<String> = logs
        .take()
        .into_iter()
        .filter(|(_, target, _)| target == ACCESS_LOG_TARGET)
        .map(|(_, _, message)| message)
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with("- - [01/Jan/1970:00:00:00 +0000] \"GET /hello.txt HTTP/1.1\" 200 26"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with("\"GET /missing HTTP/1.1\" 404 9"),
        "{}",
        lines[1]
    );
    let _ = std::fs::remove_dir_all(&root);
}
