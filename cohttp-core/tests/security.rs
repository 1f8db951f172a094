//! Security review, each finding pinned by a test: no header injection through the
//! client's API, no request target with spaces or controls, no response splitting
//! (`Content-Length` with `Transfer-Encoding`, differing `Content-Length`s), no request
//! data reflected raw into a response head, and no symbolic link followed out of a
//! document root.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use cohttp_core::client::{Client, Connection, ConnectionConfig};
use cohttp_core::runtime::{Addr, Ctx, Endpoint};
use cohttp_core::server::{
    resolve_local_file, respond_file, respond_need_auth, respond_redirect, serve, ConnInfo,
    FileServer, ServerConfig,
};
use cohttp_core::{Body, Error, ErrorKind, Malformed};
use cohttp_mock::Sim;
use futures_util::{AsyncReadExt, AsyncWriteExt};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, StatusCode, Uri};

/// Every byte a request line or header must never carry raw.
fn controls() -> Vec<u8> {
    (0u8..=0x20).chain([0x7f]).collect()
}

fn malformed(r: &cohttp_core::Result<http::Response<Body>>) -> Option<Malformed> {
    match r {
        Err(e) => match e.kind() {
            ErrorKind::Malformed(m) => Some(*m),
            _ => None,
        },
        Ok(_) => None,
    }
}

#[test]
fn header_values_with_cr_lf_nul_cannot_be_built_or_sent() {
    for bad in ["\r", "\n", "\0", "\r\n", "\r\nX-Injected: 1"] {
        let value = format!("ok{bad}more");
        assert!(HeaderValue::from_str(&value).is_err(), "{value:?} accepted");
        assert!(HeaderValue::from_bytes(value.as_bytes()).is_err());
        assert!(HeaderName::from_bytes(format!("x-a{bad}").as_bytes()).is_err());
        // The server's helpers that take user strings refuse them too.
        let e = respond_need_auth(&format!("Basic realm=\"a\"{bad}Set-Cookie: x=1")).unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::Malformed(Malformed::InvalidUserHeader)
        );
    }
    // A method is a token: no way to smuggle a request line through it.
    for bad in ["GET / HTTP/1.1\r\n", "GE T", "GET\0"] {
        assert!(
            Method::from_bytes(bad.as_bytes()).is_err(),
            "{bad:?} accepted"
        );
    }
}

#[test]
fn connection_host_fallback_with_crlf_is_refused_and_nothing_is_written() {
    let sim = Sim::new(1);
    let rt = sim.runtime();
    let _listener = sim
        .block_on(rt.listen(Addr::Named("h".into())))
        .expect("listen");
    let config = ConnectionConfig::new()
        .persistent(Some(true))
        .host("evil.test\r\nX-Injected: 1");
    let conn = Connection::create(&rt, Endpoint::Named("h".into()), config);
    let req = Request::get("/path").body(Body::empty()).unwrap();
    let r = sim.block_on(conn.call(req));
    assert!(
        matches!(
            malformed(&r),
            Some(Malformed::InvalidUri | Malformed::InvalidUserHeader)
        ),
        "{r:?}"
    );
    sim.run_until_idle();
    let written: u64 = sim.net().connections().iter().map(|c| c.client_bytes).sum();
    assert_eq!(written, 0, "bytes of a refused request went out");
}

#[test]
fn request_targets_with_spaces_or_controls_are_refused_before_connecting() {
    let sim = Sim::new(2);
    let rt = sim.runtime();
    let client = Client::new(&rt);
    for c in controls() {
        let target = format!("http://t.test/a{}b", c as char);
        assert!(Uri::try_from(target.as_str()).is_err(), "{target:?} parsed");
        let r = sim.block_on(client.get(target.as_str()));
        assert_eq!(malformed(&r), Some(Malformed::InvalidUri), "{target:?}");
        let r = sim.block_on(client.call(
            Method::GET,
            target.as_str(),
            HeaderMap::new(),
            Body::empty(),
            cohttp_core::client::Chunked::Auto,
        ));
        assert_eq!(malformed(&r), Some(Malformed::InvalidUri), "{target:?}");
        // In the query and the host too.
        let in_query = format!("http://t.test/a?q={}", c as char);
        assert!(
            Uri::try_from(in_query.as_str()).is_err(),
            "{in_query:?} parsed"
        );
        let in_host = format!("http://t{}.test/", c as char);
        assert!(
            Uri::try_from(in_host.as_str()).is_err(),
            "{in_host:?} parsed"
        );
    }
    assert!(sim.net().connections().is_empty(), "a connection was made");
}

/// A raw server on `name` that answers the first request head it reads with `raw`,
/// then reads on until the client goes.
fn raw_server(sim: &Sim, name: &str, raw: &'static [u8]) -> Arc<Mutex<Vec<u8>>> {
    let rt = sim.runtime();
    let got = Arc::new(Mutex::new(Vec::new()));
    let listener = sim
        .block_on(rt.listen(Addr::Named(name.into())))
        .expect("listen");
    let mut listener = listener;
    let seen = got.clone();
    sim.spawn(async move {
        let (mut io, _) = futures_util::future::poll_fn(|cx| listener.poll_accept(cx))
            .await
            .expect("accept");
        let mut buf = [0u8; 4096];
        let mut answered = false;
        loop {
            let n = match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let complete = {
                let mut all = seen.lock().unwrap();
                all.extend_from_slice(&buf[..n]);
                all.windows(4).any(|w| w == b"\r\n\r\n")
            };
            if complete && !answered {
                answered = true;
                if io.write_all(raw).await.is_err() {
                    break;
                }
            }
        }
    });
    got
}

/// Two pipelined GETs against a server answering `raw`: both outcomes.
fn two_gets(raw: &'static [u8]) -> Vec<cohttp_core::Result<String>> {
    let sim = Sim::new(3);
    let _got = raw_server(&sim, "split", raw);
    let rt = sim.runtime();
    let conn = Connection::create(
        &rt,
        Endpoint::Named("split".into()),
        ConnectionConfig::new().persistent(Some(true)),
    );
    let calls = [
        conn.call(Request::get("/one").body(Body::empty()).unwrap()),
        conn.call(Request::get("/two").body(Body::empty()).unwrap()),
    ];
    sim.block_on(async {
        let mut out = Vec::new();
        for call in calls {
            out.push(match call.await {
                Ok(r) => r.into_body().to_string().await,
                Err(e) => Err(e),
            });
        }
        out
    })
}

fn assert_refused(outcomes: &[cohttp_core::Result<String>], want: Malformed) {
    match &outcomes[0] {
        Err(e) => assert_eq!(e.kind(), &ErrorKind::Malformed(want), "{e:?}"),
        Ok(body) => panic!("ambiguous response accepted with body {body:?}"),
    }
    assert!(
        outcomes[1].is_err(),
        "the smuggled response was delivered to the next request: {:?}",
        outcomes[1]
    );
}

#[test]
fn response_with_content_length_and_transfer_encoding_is_refused() {
    let outcomes = two_gets(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n\
          0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
    );
    assert_refused(&outcomes, Malformed::ContentLengthWithTransferEncoding);
}

#[test]
fn response_with_differing_content_lengths_is_refused() {
    let outcomes = two_gets(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 49\r\n\r\n\
          helloHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
    );
    assert_refused(&outcomes, Malformed::ContentLength);
    let outcomes = two_gets(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 49\r\n\r\n\
          helloHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
    );
    assert_refused(&outcomes, Malformed::ContentLength);
}

#[test]
fn response_trailer_obs_fold_is_unfolded_and_the_next_response_stays_framed() {
    // RFC 9112 §5.2: the client replaces obs-fold in a response with SP, trailers
    // included, rather than failing the body; the fold never ends the trailer section,
    // so the second response is read from exactly where the first one ended.
    let outcomes = two_gets(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          3\r\none\r\n0\r\nX-Note: a\r\n b\r\n\r\n\
          HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo",
    );
    let got: Vec<_> = outcomes.iter().map(|o| o.as_deref().ok()).collect();
    assert_eq!(got, [Some("one"), Some("two")], "{outcomes:?}");
}

#[test]
fn redirect_location_cannot_carry_cr_lf() {
    // A `Uri` cannot hold CR or LF (nor any control): no CRLF-laden location reaches
    // `respond_redirect` at all.
    for bad in ["\r\nSet-Cookie: x=1", "\r", "\n", "\0"] {
        let location = format!("https://a.test/next{bad}");
        assert!(
            Uri::try_from(location.as_str()).is_err(),
            "{location:?} parsed"
        );
    }
    // Percent-encoded, it stays encoded in the header.
    let uri = Uri::from_static("https://a.test/next%0d%0aSet-Cookie:%20x=1");
    let r = respond_redirect(&uri).unwrap();
    let location = r.headers()["location"].as_bytes();
    assert!(!location.iter().any(|&b| b == b'\r' || b == b'\n'));
    assert_eq!(r.headers().len(), 1);
}

#[test]
fn server_does_not_reflect_request_headers_into_its_head() {
    let sim = Sim::new(4);
    let rt = sim.runtime();
    // An app that redirects to the request's own target, the classic reflection.
    let app = |_: ConnInfo, req: Request<()>, _: Body| async move {
        let to = Uri::builder()
            .scheme("http")
            .authority("a.test")
            .path_and_query(req.uri().path_and_query().map_or("/", |p| p.as_str()))
            .build()
            .map_err(|e| Error::new(ErrorKind::Handler).with_source(e))?;
        respond_redirect(&to)
    };
    let (stop_tx, stop_rx) = futures_channel::oneshot::channel::<()>();
    let server = {
        let rt = rt.clone();
        sim.spawn(async move {
            let stop = async move {
                let _ = stop_rx.await;
            };
            serve(
                &rt,
                Addr::Named("reflect".into()),
                app,
                ServerConfig::default().date_origin(UNIX_EPOCH),
                stop,
            )
            .await
            .expect("serve")
        })
    };
    sim.run_until_idle();
    let answer = sim.block_on(async {
        let mut io = rt
            .connect(&Ctx::new(), &Endpoint::Named("reflect".into()))
            .await
            .unwrap();
        // Encoded CRLF in the target, a raw CR inside a header value (refused by the
        // parser), and an innocent header whose value must not come back.
        io.write_all(
            b"GET /x%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: a\r\nX-Echo: reflected-value\r\n\
              Connection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut answer = String::new();
        io.read_to_string(&mut answer).await.unwrap();
        answer
    });
    let head = answer.split("\r\n\r\n").next().unwrap();
    assert!(head.starts_with("HTTP/1.1 302 "), "{answer:?}");
    assert!(!head.contains("reflected-value"), "{head:?}");
    assert!(
        !head.to_ascii_lowercase().contains("\r\nset-cookie"),
        "a header was injected: {head:?}"
    );
    assert!(head.contains("location: http://a.test/x%0d%0aSet-Cookie:%20a=b"));
    let _ = stop_tx.send(());
    sim.block_on(server);
}

/// A fresh directory under the system's temporary one.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cohttp-security-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn resolve_local_file_does_not_follow_a_symlink_out_of_the_docroot() {
    use std::os::unix::fs::symlink;

    let base = scratch("symlink");
    let docroot = base.join("www");
    let outside = base.join("secret");
    std::fs::create_dir_all(docroot.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("key.txt"), "secret").unwrap();
    std::fs::write(docroot.join("sub").join("page.txt"), "public").unwrap();
    symlink(outside.join("key.txt"), docroot.join("key.txt")).unwrap();
    symlink(&outside, docroot.join("out")).unwrap();
    symlink(docroot.join("sub"), docroot.join("alias")).unwrap();
    symlink(base.join("nowhere"), docroot.join("dangling")).unwrap();
    // A relative link climbing out.
    symlink(
        Path::new("../secret/key.txt"),
        docroot.join("sub").join("up.txt"),
    )
    .unwrap();

    let resolve = |p: &'static str| resolve_local_file(&docroot, &Uri::from_static(p));
    assert_eq!(resolve("/key.txt"), None, "file link out of the docroot");
    assert_eq!(resolve("/out/key.txt"), None, "directory link out");
    assert_eq!(resolve("/sub/up.txt"), None, "relative link out");
    assert_eq!(resolve("/dangling"), None, "dangling link");
    assert_eq!(
        resolve("/sub/page.txt"),
        Some(docroot.join("sub").join("page.txt"))
    );
    assert_eq!(
        resolve("/alias/page.txt"),
        Some(docroot.join("alias").join("page.txt")),
        "a link that stays inside is allowed"
    );
    assert_eq!(
        resolve("/missing.txt"),
        Some(docroot.join("missing.txt")),
        "a missing file maps (and is then not found)"
    );

    // The whole path of a static server: resolve, then respond.
    let sim = Sim::new(5);
    let rt = sim.runtime();
    let serve_static = |p: &'static str| {
        let path = resolve(p);
        sim.block_on(async {
            match path {
                Some(path) => {
                    let r = respond_file(&rt, path).await.unwrap();
                    let status = r.status();
                    (status, r.into_body().to_string().await.unwrap())
                }
                None => (StatusCode::NOT_FOUND, String::new()),
            }
        })
    };
    assert_eq!(serve_static("/key.txt").0, StatusCode::NOT_FOUND);
    assert_eq!(serve_static("/out/key.txt").0, StatusCode::NOT_FOUND);
    assert_eq!(
        serve_static("/alias/page.txt"),
        (StatusCode::OK, "public".into())
    );

    // The file server (`FileServer`) refuses the same links.
    let files = FileServer::new(&rt, &docroot).unwrap();
    let status_of = |p: &'static str| {
        let req = Request::get(p).body(()).unwrap();
        sim.block_on(files.respond(&req)).unwrap().status()
    };
    for p in ["/key.txt", "/out/key.txt", "/sub/up.txt", "/dangling"] {
        let status = status_of(p);
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{p}: {status}"
        );
    }
    assert_eq!(status_of("/alias/page.txt"), StatusCode::OK);
    let _ = std::fs::remove_dir_all(&base);
}
