//! Files: `resolve_local_file` never escapes the document root, and `respond_file`
//! streams a file through the server on every backend (here the mock one). Also the
//! response helpers as seen on the wire.

mod server_support;

use std::path::{Component, Path, PathBuf};

use cohttp_core::server::{
    resolve_local_file, resolve_local_path, respond_error, respond_file, respond_need_auth,
    respond_not_found, respond_redirect, ConnInfo,
};
use cohttp_core::{Body, Error};
use cohttp_mock::Sim;
use http::{Method, Request, StatusCode, Uri};
use server_support::*;

/// Traversal attempts: raw, percent-encoded (upper and lower case, double-encoded),
/// backslashes, NUL, absolute paths, drive letters, overlong UTF-8.
const ATTACKS: &[&str] = &[
    "/../etc/passwd",
    "/../../../../etc/passwd",
    "/a/../../etc/passwd",
    "/a/b/../../../etc/passwd",
    "/..",
    "/%2e%2e/etc/passwd",
    "/%2E%2E/etc/passwd",
    "/.%2e/etc/passwd",
    "/%2e./etc/passwd",
    "/a/%2e%2e/%2e%2e/etc/passwd",
    "/..%2fetc%2fpasswd",
    "/..%2Fetc%2Fpasswd",
    "/%2f%2e%2e%2fetc/passwd",
    "/%2fetc/passwd",
    "/..\\etc\\passwd",
    "/..%5cetc%5cpasswd",
    "/..%5Cetc/passwd",
    "/a\\..\\..\\etc",
    "/etc/passwd%00.html",
    "/%00",
    "/a/%00/../b",
    "/C:/Windows/win.ini",
    "/C:%5cWindows",
    "/c:..%5c..%5cboot.ini",
    "/%c0%ae%c0%ae/etc/passwd",
    "/%e0%80%ae%e0%80%ae/etc/passwd",
    "/..;/etc/passwd",
    "/%2e%2e%3b/etc/passwd",
    "/a/..%00/etc",
    "/%",
    "/%2",
    "/%zz/..",
    "//etc/passwd",
    "/./../etc/passwd",
    "/a/./../../etc/passwd",
    "/%252e%252e/etc/passwd",
    "/\u{0}",
    "/\r\n/..",
];

/// Whether `p` is `root` followed by plain names only.
fn stays_inside(root: &Path, p: &Path) -> bool {
    match p.strip_prefix(root) {
        Ok(rest) => rest.components().all(|c| matches!(c, Component::Normal(_))),
        Err(_) => false,
    }
}

#[test]
fn resolve_local_path_never_escapes_the_docroot() {
    let root = Path::new("/srv/www");
    assert!(ATTACKS.len() >= 20);
    for attack in ATTACKS {
        if let Some(p) = resolve_local_path(root, attack) {
            assert!(stays_inside(root, &p), "{attack:?} escaped to {p:?}");
            // Whatever was kept is a name, never a separator or parent.
            let rest = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            assert!(
                !rest.split(['/', '\\']).any(|s| s == ".."),
                "{attack:?} → {p:?}"
            );
        }
        if let Ok(uri) = attack.parse::<Uri>() {
            if let Some(p) = resolve_local_file(root, &uri) {
                assert!(stays_inside(root, &p), "{attack:?} escaped to {p:?}");
            }
        }
    }
}

#[test]
fn resolve_local_path_refuses_the_dangerous_ones_outright() {
    let root = Path::new("/srv/www");
    for attack in [
        "/../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/..%2fetc%2fpasswd",
        "/..\\etc\\passwd",
        "/..%5cetc%5cpasswd",
        "/etc/passwd%00.html",
        "/%2fetc/passwd",
        "/%c0%ae%c0%ae/etc/passwd",
        "/%",
    ] {
        assert_eq!(resolve_local_path(root, attack), None, "{attack:?}");
    }
}

#[test]
fn resolve_local_path_maps_ordinary_paths() {
    let root = Path::new("/srv/www");
    let cases: &[(&str, PathBuf)] = &[
        ("/", root.to_path_buf()),
        ("", root.to_path_buf()),
        ("/index.html", root.join("index.html")),
        ("/a/b/c.txt", root.join("a/b/c.txt")),
        ("//a///b/", root.join("a/b")),
        ("/a/./b", root.join("a/b")),
        ("/a%20b/%C3%A9.txt", root.join("a b/é.txt")),
        ("/%252e%252e", root.join("%2e%2e")),
        ("/...", root.join("...")),
        ("/a..b", root.join("a..b")),
        ("/x?y=../../z", root.join("x")),
    ];
    for (path, want) in cases {
        assert_eq!(
            resolve_local_path(root, path).as_ref(),
            Some(want),
            "{path:?}"
        );
    }
}

fn temp_docroot(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("cohttp-server-files-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    dir
}

#[test]
fn respond_file_streams_a_file_through_the_server() {
    let root = temp_docroot("stream");
    let content: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::write(root.join("sub/big.txt"), &content).unwrap();
    std::fs::write(root.join("secret-outside.txt"), b"no").unwrap();
    let sim = Sim::new(1);
    let rt = sim.runtime();
    let handler = {
        let root = root.join("sub");
        let rt = rt.clone();
        move |_: ConnInfo, req: Request<()>, _: Body| {
            let root = root.clone();
            let rt = rt.clone();
            async move {
                match resolve_local_file(&root, req.uri()) {
                    Some(path) => respond_file(&rt, path).await,
                    None => Ok(respond_not_found(Some(req.uri()))),
                }
            }
        }
    };
    let server = TestServer::start(&sim, "files", handler, config());
    let (big, missing, escape, dir) = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /nope.txt HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /%2e%2e/secret-outside.txt HTTP/1.1\r\nHost: x\r\n\r\n\
              GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await;
        let mut r = Reader::new();
        let big = r.response(&mut io, &Method::GET).await.unwrap();
        let missing = r.response(&mut io, &Method::GET).await.unwrap();
        let escape = r.response(&mut io, &Method::GET).await.unwrap();
        let dir = r.response(&mut io, &Method::GET).await.unwrap();
        (big, missing, escape, dir)
    });
    assert_eq!(big.status, StatusCode::OK);
    assert_eq!(big.headers["content-length"], "200000");
    assert_eq!(big.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(big.body.as_bytes(), &content[..]);
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(escape.status, StatusCode::NOT_FOUND);
    assert_eq!(escape.body, "Not found: /%2e%2e/secret-outside.txt");
    assert_eq!(dir.status, StatusCode::NOT_FOUND);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn helpers_on_the_wire() {
    let sim = Sim::new(2);
    let handler = |_: ConnInfo, req: Request<()>, _: Body| async move {
        let r = match req.uri().path() {
            "/redirect" => respond_redirect(&Uri::from_static("http://example.com/new"))?,
            "/auth" => respond_need_auth("Basic realm=\"admin\"")?,
            "/error" => respond_error(StatusCode::SERVICE_UNAVAILABLE, "try later"),
            _ => respond_not_found(None),
        };
        Ok::<_, Error>(r)
    };
    let server = TestServer::start(&sim, "helpers", handler, config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET /redirect HTTP/1.1\r\nHost: x\r\n\r\nGET /auth HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /error HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 302 Found\r\nlocation: http://example.com/new\r\ncontent-length: 0\r\n{DATE}\r\n\
             HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Basic realm=\"admin\"\r\ncontent-length: 0\r\n{DATE}\r\n\
             HTTP/1.1 503 Service Unavailable\r\n{TEXT}content-length: 16\r\n{DATE}\r\nError: try later\
             HTTP/1.1 404 Not Found\r\n{TEXT}content-length: 9\r\nconnection: close\r\n{DATE}\r\nNot found"
        )
    );
}
