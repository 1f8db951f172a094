//! `retry_*` at the cache level (RFC 9112 §9.3.1): a server that closes after answering
//! k of n pipelined requests; the cache sends the safe ones again on a new connection and
//! every caller gets its own answer; a written POST is not resent unless opted in; a
//! streamed body is never replayed.

mod cache_support;

use std::sync::Arc;

use bytes::Bytes;
use cache_support::{echo_handler, path_of, serve, Answer, Seen};
use cohttp_core::client::{Cache, CacheConfig, Call};
use cohttp_core::{Body, Error, ErrorKind};
use cohttp_mock::{Faults, Sim};
use futures_util::future::join_all;
use http::{Method, Request};

fn req(method: Method, path: &str, body: Body) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(format!("http://retry.test{path}"))
        .body(body)
        .unwrap()
}

/// Answers `ok` to everything; the `close_after`-th request of the first connection is
/// answered with `Connection: close` and the server then stops (a graceful close with
/// the later pipelined requests unanswered).
fn closing_handler(close_after: usize) -> cache_support::Handler {
    let count = std::sync::Mutex::new(0usize);
    Arc::new(move |req: &Seen| {
        let answer = Answer::new(200, format!("{} {}", req.method, path_of(&req.target)));
        if req.conn != 0 {
            return answer;
        }
        let mut n = count.lock().unwrap();
        *n += 1;
        if *n == close_after {
            answer.header("connection", "close")
        } else {
            answer
        }
    })
}

/// The bytes the test server writes for `Answer::new(200, body)`.
fn answer_len(body: &str) -> u64 {
    let mut headers = http::HeaderMap::new();
    headers.insert("content-length", body.len().into());
    let mut out = Vec::new();
    cohttp_core::h1::write_response_head(
        http::StatusCode::OK,
        http::Version::HTTP_11,
        &headers,
        &mut out,
    )
    .unwrap();
    (out.len() + body.len()) as u64
}

#[test]
fn retry_cache_resends_safe_requests_after_close_and_keeps_order() {
    let sim = Sim::new(1);
    // The first connection answers the learning request and 3 of the 6 pipelined ones.
    let server = serve(&sim, "retry.test", 80, closing_handler(4));
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(1));
    sim.block_on(async {
        let learn = cache
            .call(req(Method::GET, "/learn", Body::empty()))
            .await
            .unwrap();
        learn.into_body().drain().await.unwrap();
        let calls = (0..6).map(|i| cache.call(req(Method::GET, &format!("/{i}"), Body::empty())));
        for (i, r) in join_all(calls).await.into_iter().enumerate() {
            let body = r.expect("retried").into_body().to_string().await.unwrap();
            assert_eq!(body, format!("GET /{i}"));
        }
    });
    assert_eq!(server.accepted(), 2);
    // The unanswered ones went again, on the second connection.
    let second: Vec<String> = server
        .seen()
        .iter()
        .filter(|s| s.conn == 1)
        .map(|s| s.target.clone())
        .collect();
    assert_eq!(second, ["/3", "/4", "/5"]);
}

#[test]
fn retry_cache_resends_after_fault_injected_eof() {
    let sim = Sim::new(2);
    let net = sim.net();
    // Graceful end of stream after exactly 2 answers on the first connection.
    let answer = |p: &str| answer_len(&format!("GET {p}"));
    net.push_faults(
        "retry.test",
        Faults::none().close_to_client_after(answer("/learn") + answer("/0")),
    );
    let server = serve(&sim, "retry.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(1));
    sim.block_on(async {
        let learn = cache
            .call(req(Method::GET, "/learn", Body::empty()))
            .await
            .unwrap();
        learn.into_body().drain().await.unwrap();
        let methods = [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::GET,
        ];
        let calls = methods
            .iter()
            .enumerate()
            .map(|(i, m)| cache.call(req(m.clone(), &format!("/{i}"), Body::from("x"))));
        for (i, r) in join_all(calls).await.into_iter().enumerate() {
            let r = r.expect("idempotent requests are retried");
            assert_eq!(r.status(), 200, "request {i}");
            let body = r.into_body().to_string().await.unwrap();
            if methods[i] != Method::HEAD {
                assert_eq!(body, format!("{} /{i}", methods[i]));
            }
        }
    });
    assert_eq!(server.accepted(), 2);
}

#[test]
fn retry_cache_does_not_resend_a_written_post() {
    let sim = Sim::new(3);
    // The first POST is answered with a close: the later POSTs were written, unanswered.
    let server = serve(&sim, "retry.test", 80, closing_handler(2));
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().parallel(1));
    let results = sim.block_on(async {
        let learn = cache
            .call(req(Method::GET, "/learn", Body::empty()))
            .await
            .unwrap();
        learn.into_body().drain().await.unwrap();
        let calls =
            (0..4).map(|i| cache.call(req(Method::POST, &format!("/{i}"), Body::from("data"))));
        let mut out = Vec::new();
        for r in join_all(calls).await {
            out.push(match r {
                Ok(r) => Ok(r.into_body().to_string().await.unwrap()),
                Err(e) => Err(e),
            });
        }
        out
    });
    assert_eq!(results[0].as_ref().unwrap(), "POST /0");
    for r in &results[1..] {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Retry { written: true }, "{e}");
    }
    // No new connection: nothing was sent again.
    assert_eq!(server.accepted(), 1);
    let posts = server
        .seen()
        .iter()
        .filter(|s| s.method == Method::POST)
        .count();
    assert_eq!(posts, 1);
}

#[test]
fn retry_cache_resends_a_written_post_when_opted_in() {
    let sim = Sim::new(4);
    let server = serve(&sim, "retry.test", 80, closing_handler(2));
    let cache = Cache::new(
        &sim.runtime(),
        CacheConfig::new().parallel(1).retry_written(true),
    );
    sim.block_on(async {
        let learn = cache
            .call(req(Method::GET, "/learn", Body::empty()))
            .await
            .unwrap();
        learn.into_body().drain().await.unwrap();
        let calls =
            (0..4).map(|i| cache.call(req(Method::POST, &format!("/{i}"), Body::from("data"))));
        for (i, r) in join_all(calls).await.into_iter().enumerate() {
            let body = r.expect("opted in").into_body().to_string().await.unwrap();
            assert_eq!(body, format!("POST /{i}"));
        }
    });
    assert_eq!(server.accepted(), 2);
    let again: Vec<_> = server
        .seen()
        .iter()
        .filter(|s| s.conn == 1)
        .map(|s| s.body.clone())
        .collect();
    assert_eq!(again, vec![b"data".to_vec(); 3]);
}

#[test]
fn retry_cache_does_not_replay_a_streamed_body() {
    let sim = Sim::new(5);
    let net = sim.net();
    // The connection ends (gracefully) before any answer.
    net.push_faults("retry.test", Faults::none().close_to_client_after(0));
    let server = serve(&sim, "retry.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new());
    let err: Error = sim.block_on(async {
        let chunks =
            futures_util::stream::iter(["stre", "amed"].map(|s| Ok::<_, Error>(Bytes::from(s))));
        cache
            .call(req(Method::PUT, "/s", Body::from_stream(chunks)))
            .await
            .unwrap_err()
    });
    assert!(err.is_retry(), "{err}");
    // One attempt only: the caller must supply a new body.
    let to_server = net
        .connections()
        .iter()
        .filter(|c| c.name.contains("retry.test"))
        .count();
    assert_eq!(to_server, 1);
    // The same request with a replayable body is sent again and succeeds.
    net.push_faults("retry.test", Faults::none().close_to_client_after(0));
    let body = sim.block_on(async {
        let r = cache
            .call(req(Method::PUT, "/b", Body::from("bytes")))
            .await
            .unwrap();
        r.into_body().to_string().await.unwrap()
    });
    assert_eq!(body, "PUT /b");
    assert!(server.accepted() >= 2);
}

#[test]
fn retry_cache_gives_up_after_retry_attempts() {
    let sim = Sim::new(6);
    let net = sim.net();
    for _ in 0..5 {
        net.push_faults("retry.test", Faults::none().close_to_client_after(0));
    }
    serve(&sim, "retry.test", 80, echo_handler());
    let cache = Cache::new(&sim.runtime(), CacheConfig::new().retry(2));
    let err = sim.block_on(async {
        cache
            .call(req(Method::GET, "/", Body::empty()))
            .await
            .unwrap_err()
    });
    assert!(err.is_retry(), "{err}");
    // 1 try + 2 retries, each on a new connection.
    let tries = net
        .connections()
        .iter()
        .filter(|c| c.name.contains("retry.test"))
        .count();
    assert_eq!(tries, 3);
}
