//! `cohttp-curl` against the demo service served in-process on tokio, with a few extra
//! routes for redirects, statuses and header echoes; loopback only, every run bounded.

mod curl_support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cohttp_core::runtime::Addr;
use cohttp_core::server::{respond, respond_string, serve_listener, ConnInfo, ServerConfig};
use cohttp_core::testkit::demo::route;
use cohttp_core::{Body, Error};
use curl_support::{curl, free_port, TempDir};
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};

/// A running test server: the requests it saw (method, path, connection id).
struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(String, String, u64)>>>,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn seen(&self) -> Vec<(String, String, u64)> {
        self.seen.lock().unwrap().clone()
    }
}

fn redirect(status: StatusCode, to: &str) -> Response<Body> {
    let mut headers = HeaderMap::new();
    headers.insert(LOCATION, HeaderValue::from_str(to).unwrap());
    respond(status, headers, "moved\n")
}

/// The demo routes, plus:
/// - `/redirect/N`: 302 to `/redirect/N-1`, and `/redirect/0` answers `done`;
/// - `/loop`: 302 to itself; `/see-other`: 303 to `/plaintext`;
/// - `/status/N`: status N;
/// - `/echo`: `CT:<content-type>\n` then the request body;
/// - `/slow`: answers after 20 s.
async fn answer(req: Request<()>, body: Body) -> Result<Response<Body>, Error> {
    let path = req.uri().path().to_string();
    if let Some(n) = path.strip_prefix("/redirect/") {
        let n: u32 = n.parse().unwrap_or(0);
        return Ok(if n == 0 {
            respond_string(StatusCode::OK, "done")
        } else {
            redirect(StatusCode::FOUND, &format!("/redirect/{}", n - 1))
        });
    }
    if path == "/loop" {
        return Ok(redirect(StatusCode::FOUND, "/loop"));
    }
    if path == "/see-other" {
        return Ok(redirect(StatusCode::SEE_OTHER, "/echo"));
    }
    if let Some(code) = path.strip_prefix("/status/") {
        let status = StatusCode::from_u16(code.parse().unwrap_or(500)).unwrap();
        return Ok(respond_string(status, format!("status {code}\n")));
    }
    if path == "/echo" {
        let ct = req
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?").to_string())
            .unwrap_or_default();
        let mut out = format!("{} CT:{ct}\n", req.method()).into_bytes();
        out.extend_from_slice(&body.to_bytes().await?);
        return Ok(respond(StatusCode::OK, HeaderMap::new(), out));
    }
    if path == "/slow" {
        tokio::time::sleep(Duration::from_secs(20)).await;
        return Ok(respond_string(StatusCode::OK, "late"));
    }
    Ok(route(&req, body))
}

fn start() -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler = move |conn: ConnInfo, req: Request<()>, body: Body| {
        log.lock().unwrap().push((
            req.method().to_string(),
            req.uri().path().to_string(),
            conn.id(),
        ));
        answer(req, body)
    };
    let addr = rt.block_on(async {
        let crt = cohttp_tokio::runtime();
        let listener = crt
            .listen(Addr::Tcp("127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap();
        let addr = match listener.local_addr().unwrap() {
            Addr::Tcp(a) => a,
            other => panic!("not TCP: {other:?}"),
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
    Server {
        addr,
        seen,
        _rt: rt,
    }
}

#[test]
fn get_prints_the_body_to_stdout() {
    let s = start();
    let run = curl(&[&s.url("/plaintext")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "Hello, World!");
    assert_eq!(run.stderr, "");
}

#[test]
fn include_prints_the_head_then_the_body() {
    let s = start();
    let run = curl(&["-i", &s.url("/json")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let out = run.stdout_text();
    let (head, body) = out.split_once("\r\n\r\n").expect("head and body");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("\r\ncontent-type: application/json"),
        "{head}"
    );
    assert!(head.contains("\r\ncontent-length: 27"), "{head}");
    assert_eq!(body, r#"{"message":"Hello, World!"}"#);
}

#[test]
fn head_option_sends_head_and_prints_only_the_head() {
    let s = start();
    let run = curl(&["-I", &s.url("/plaintext")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let out = run.stdout_text();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n"), "{out:?}");
    assert!(out.contains("content-length: 13"), "{out}");
    assert_eq!(s.seen()[0].0, "HEAD");
}

#[test]
fn put_with_data_sends_the_urlencoded_body() {
    let s = start();
    let run = curl(&[
        "-X",
        "PUT",
        "-d",
        "a=1",
        "-d",
        "b=two words",
        &s.url("/echo"),
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(
        run.stdout_text(),
        "PUT CT:application/x-www-form-urlencoded\na=1&b=two words"
    );
}

#[test]
fn data_binary_from_a_file_sends_it_byte_for_byte() {
    let s = start();
    let dir = TempDir::new("binary");
    let file = dir.join("upload.bin");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let arg = format!("@{}", file.display());
    let run = curl(&["--data-binary", &arg, &s.url("/echo")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let prefix = b"POST CT:application/x-www-form-urlencoded\n";
    assert_eq!(&run.stdout[..prefix.len()], prefix);
    assert!(run.stdout[prefix.len()..] == content[..], "body differs");
}

#[test]
fn form_fields_and_files_encode_as_multipart() {
    let s = start();
    let dir = TempDir::new("form");
    let file = dir.join("hello.txt");
    std::fs::write(&file, "file\r\ncontent").unwrap();
    let upload = format!("doc=@{}", file.display());
    let run = curl(&["-F", "name=cohttp", "-F", &upload, &s.url("/echo")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let out = run.stdout_text();
    let (first, body) = out.split_once('\n').unwrap();
    let boundary = first
        .strip_prefix("POST CT:multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("content type: {first}"));
    assert!(boundary.len() >= 32, "{boundary}");
    let want = format!(
        "--{boundary}\r\n\
         Content-Disposition: form-data; name=\"name\"\r\n\r\n\
         cohttp\r\n\
         --{boundary}\r\n\
         Content-Disposition: form-data; name=\"doc\"; filename=\"hello.txt\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n\
         file\r\ncontent\r\n\
         --{boundary}--\r\n"
    );
    assert_eq!(body, want);
    // Another run draws another boundary.
    let again = curl(&["-F", "name=cohttp", &s.url("/echo")]).stdout_text();
    assert!(!again.contains(boundary));
}

#[test]
fn location_follows_a_redirect_chain() {
    let s = start();
    let run = curl(&["-L", &s.url("/redirect/4")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "done");
    let paths: Vec<String> = s.seen().into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "/redirect/4",
            "/redirect/3",
            "/redirect/2",
            "/redirect/1",
            "/redirect/0"
        ]
    );
    // Without -L the redirect itself is the answer.
    let run = curl(&["-i", &s.url("/redirect/1")]);
    assert!(run.stdout_text().starts_with("HTTP/1.1 302 Found\r\n"));
    assert!(run.stdout_text().contains("location: /redirect/0\r\n"));
}

#[test]
fn include_with_location_prints_every_head() {
    let s = start();
    let run = curl(&["-iL", &s.url("/redirect/2")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let out = run.stdout_text();
    assert_eq!(out.matches("HTTP/1.1 302 Found").count(), 2, "{out}");
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 1, "{out}");
    assert!(out.ends_with("\r\n\r\ndone"));
}

#[test]
fn redirect_loop_stops_after_ten_hops_with_status_47() {
    let s = start();
    let run = curl(&["-L", &s.url("/loop")]);
    assert_eq!(run.code(), 47);
    assert_eq!(run.stderr, "cohttp-curl: maximum (10) redirects followed\n");
    assert_eq!(s.seen().len(), 11);
}

#[test]
fn see_other_turns_a_post_into_a_get_without_body() {
    let s = start();
    let run = curl(&["-L", "-d", "x=1", &s.url("/see-other")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "GET CT:\n");
    let methods: Vec<String> = s.seen().into_iter().map(|(m, _, _)| m).collect();
    assert_eq!(methods, ["POST", "GET"]);
}

#[test]
fn fail_exits_22_on_http_errors() {
    let s = start();
    let run = curl(&["--fail", &s.url("/status/404")]);
    assert_eq!(run.code(), 22);
    assert_eq!(
        run.stderr,
        "cohttp-curl: the requested URL returned error: 404\n"
    );
    assert!(run.stdout.is_empty());
    // Without --fail, the error page is the output and the exit status 0.
    let run = curl(&[&s.url("/status/404")]);
    assert_eq!(run.code(), 0);
    assert_eq!(run.stdout_text(), "status 404\n");
}

#[test]
fn connect_refused_says_so_and_exits_7() {
    let port = free_port();
    let run = curl(&[&format!("http://127.0.0.1:{port}/")]);
    assert_eq!(run.code(), 7);
    assert_eq!(
        run.stderr,
        format!("cohttp-curl: could not connect to 127.0.0.1:{port}: connection refused\n")
    );
}

#[test]
fn silent_hides_the_error_and_show_error_brings_it_back() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let quiet = curl(&["-s", &url]);
    assert_eq!(quiet.code(), 7);
    assert_eq!(quiet.stderr, "");
    let shown = curl(&["-sS", &url]);
    assert_eq!(shown.code(), 7);
    assert_eq!(
        shown.stderr,
        format!("cohttp-curl: could not connect to 127.0.0.1:{port}: connection refused\n")
    );
}

#[test]
fn max_time_bounds_the_transfer_with_status_28() {
    let s = start();
    let started = std::time::Instant::now();
    let run = curl(&["--max-time", "0.5", &s.url("/slow")]);
    assert_eq!(run.code(), 28, "{}", run.stderr);
    assert!(run.stderr.starts_with("cohttp-curl: operation timed out"));
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn several_urls_to_one_host_are_pipelined_on_one_connection() {
    let s = start();
    let urls = [
        s.url("/plaintext"),
        s.url("/bytes/5"),
        s.url("/json"),
        s.url("/stream/3"),
    ];
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let run = curl(&args);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(
        run.stdout_text(),
        "Hello, World!xxxxx{\"message\":\"Hello, World!\"}xxx"
    );
    let seen = s.seen();
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter().all(|(_, _, id)| *id == seen[0].2),
        "one connection expected: {seen:?}"
    );
}

#[test]
fn verbose_prints_both_heads_to_stderr() {
    let s = start();
    let run = curl(&["-v", "-H", "X-Test: yes", &s.url("/plaintext")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "Hello, World!");
    let err = run.stderr;
    assert!(
        err.starts_with("> GET /plaintext HTTP/1.1\r\n> host: 127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("\r\n> x-test: yes\r\n"), "{err}");
    assert!(err.contains("\r\n>\r\n< HTTP/1.1 200 OK\r\n"), "{err}");
    assert!(err.ends_with("\r\n<\r\n"), "{err}");
}

#[test]
fn output_file_gets_the_body_and_stderr_stays_quiet_off_a_terminal() {
    let s = start();
    let dir = TempDir::new("out");
    let file = dir.join("body.bin");
    let run = curl(&["-o", file.to_str().unwrap(), &s.url("/stream/1000000")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr, "", "no progress bar without a terminal");
    let body = std::fs::read(&file).unwrap();
    assert_eq!(body.len(), 1_000_000);
    assert!(body.iter().all(|&b| b == b'x'));
}

#[test]
fn https_to_a_plain_http_server_fails_the_tls_handshake_with_status_35() {
    let server = start();
    let run = curl(&[&format!("https://{}/plaintext", server.addr)]);
    assert_eq!(run.code(), 35, "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .starts_with("cohttp-curl: TLS handshake with 127.0.0.1 failed"),
        "stderr: {}",
        run.stderr
    );
}
