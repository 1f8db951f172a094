//! Regressions found by the fault campaigns (`campaign_*.rs`), each on one fixed fault:
//! the client ends a request with the retry error whenever none of its response arrived
//! and the connection ended in an orderly way or was reset (RFC 9112 §9.3.1), so that
//! idempotent requests are sent again, and it never gives a request that was not written
//! a non-retryable error.

use std::time::{Duration, UNIX_EPOCH};

use cohttp_core::client::{Cache, CacheConfig, Call, Connection, ConnectionConfig};
use cohttp_core::runtime::Addr;
use cohttp_core::server::{respond_string, serve, ConnInfo, ServerConfig};
use cohttp_core::{Body, Error, ErrorKind};
use cohttp_mock::{Faults, Sim};
use http::{Request, StatusCode};

/// Our server on host `name`, port 80, answering `ok <path>`.
fn server(sim: &Sim, name: &str) -> futures_channel::oneshot::Sender<()> {
    let rt = sim.runtime();
    let (tx, rx) = futures_channel::oneshot::channel::<()>();
    let addr = Addr::Tcp(std::net::SocketAddr::new(sim.net().address_of(name), 80));
    sim.spawn(async move {
        let app = |_: ConnInfo, req: Request<()>, body: Body| async move {
            body.drain().await?;
            Ok::<_, Error>(respond_string(
                StatusCode::OK,
                format!("ok {}", req.uri().path()),
            ))
        };
        let stop = async move {
            let _ = rx.await;
        };
        let config = ServerConfig::default().date_origin(UNIX_EPOCH);
        serve(&rt, addr, app, config, stop).await.expect("serve");
    });
    sim.run_until_idle();
    tx
}

fn req(method: &str, path: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(format!("http://kv{path}"))
        .body(Body::empty())
        .unwrap()
}

fn cache(sim: &Sim) -> Cache {
    let config = CacheConfig::new().retry(1);
    Cache::new(&sim.runtime(), config)
}

#[test]
fn eof_inside_a_response_head_retries_an_idempotent_request() {
    let sim = Sim::new(1);
    let _stop = server(&sim, "kv");
    // The first connection's answer is cut 10 bytes into its head.
    sim.net()
        .push_faults("kv", Faults::none().close_to_client_after(10));
    let c = cache(&sim);
    let answer = sim.block_on(async {
        let r = c.call(req("GET", "/a")).await?;
        r.into_body().to_string().await
    });
    assert_eq!(answer.unwrap(), "ok /a");
}

#[test]
fn eof_inside_a_response_head_is_the_written_retry_error_for_a_post() {
    let sim = Sim::new(2);
    let _stop = server(&sim, "kv");
    sim.net()
        .push_faults("kv", Faults::none().close_to_client_after(10));
    let c = cache(&sim);
    let r = sim.block_on(c.call(req("POST", "/a")));
    let e = r.expect_err("a POST whose answer was cut is not sent again");
    assert_eq!(e.kind(), &ErrorKind::Retry { written: true });
}

#[test]
fn peer_closing_while_a_request_is_written_retries_an_idempotent_request() {
    let sim = Sim::new(3);
    let _stop = server(&sim, "kv");
    // The server reads 5 bytes then end of stream; the client's further writes fail
    // with a broken pipe.
    sim.net()
        .push_faults("kv", Faults::none().close_to_server_after(5).buffer(1));
    let c = cache(&sim);
    let answer = sim.block_on(async {
        let r = c.call(req("PUT", "/b")).await?;
        r.into_body().to_string().await
    });
    assert_eq!(answer.unwrap(), "ok /b");
}

#[test]
fn reset_before_any_response_byte_retries_an_idempotent_request() {
    let sim = Sim::new(5);
    let _stop = server(&sim, "kv");
    sim.net()
        .push_faults("kv", Faults::none().reset_to_client_after(0));
    let c = cache(&sim);
    let answer = sim.block_on(async {
        let r = c.call(req("GET", "/a")).await?;
        r.into_body().to_string().await
    });
    assert_eq!(answer.unwrap(), "ok /a");
}

#[test]
fn reset_inside_a_response_head_retries_an_idempotent_request() {
    let sim = Sim::new(6);
    let _stop = server(&sim, "kv");
    sim.net()
        .push_faults("kv", Faults::none().reset_to_client_after(10));
    let c = cache(&sim);
    let answer = sim.block_on(async {
        let r = c.call(req("DELETE", "/a")).await?;
        r.into_body().to_string().await
    });
    assert_eq!(answer.unwrap(), "ok /a");
}

#[test]
fn reset_before_the_response_is_the_written_retry_error_for_a_post_never_resent() {
    let sim = Sim::new(7);
    let _stop = server(&sim, "kv");
    sim.net()
        .push_faults("kv", Faults::none().reset_to_client_after(0));
    let c = cache(&sim);
    // A second attempt would succeed on the healthy next connection: the error says
    // the POST was not sent again.
    let e = sim
        .block_on(c.call(req("POST", "/a")))
        .expect_err("a written POST is not sent again after a reset");
    assert_eq!(e.kind(), &ErrorKind::Retry { written: true });
}

#[test]
fn reset_while_a_request_is_written_retries_an_idempotent_request() {
    let sim = Sim::new(8);
    let _stop = server(&sim, "kv");
    // The server side reads 5 bytes, then the client's further writes fail with a reset.
    sim.net()
        .push_faults("kv", Faults::none().reset_to_server_after(5).buffer(1));
    let c = cache(&sim);
    let answer = sim.block_on(async {
        let r = c.call(req("PUT", "/b")).await?;
        r.into_body().to_string().await
    });
    assert_eq!(answer.unwrap(), "ok /b");
}

#[test]
fn read_reset_gives_every_request_without_a_response_the_retry_error() {
    let sim = Sim::new(4);
    let _stop = server(&sim, "kv");
    sim.net()
        .push_faults("kv", Faults::none().reset_to_client_after(0));
    let rt = sim.runtime();
    // Persistence unknown: the first request goes alone, the others wait unwritten.
    let uri: http::Uri = "http://kv/".parse().unwrap();
    let conn = Connection::create_uri(&rt, &uri, ConnectionConfig::new()).unwrap();
    let calls: Vec<_> = ["/1", "/2", "/3"]
        .iter()
        .map(|p| conn.call(req("POST", p)))
        .collect();
    let results = sim.block_on(futures_util::future::join_all(calls));
    let kinds: Vec<ErrorKind> = results
        .iter()
        .map(|r| r.as_ref().map(|_| ()).unwrap_err().kind().clone())
        .collect();
    assert_eq!(
        kinds[0],
        ErrorKind::Retry { written: true },
        "the written one: no byte of its response came"
    );
    assert_eq!(kinds[1], ErrorKind::Retry { written: false });
    assert_eq!(kinds[2], ErrorKind::Retry { written: false });
    sim.advance(Duration::from_secs(1));
}

/// The bytes of the cache's `GET <path>` to host `kv`, measured on a fault-free world.
fn get_request_len(path: &str) -> u64 {
    let sim = Sim::new(99);
    let _stop = server(&sim, "kv");
    let c = cache(&sim);
    sim.block_on(async {
        let r = c.call(req("GET", path)).await.expect("answered");
        r.into_body().to_string().await.expect("body");
    });
    sim.net().connections()[0].client_bytes
}

#[test]
fn unsolicited_408_closing_a_reused_connection_retries_an_idempotent_request() {
    let first = get_request_len("/a");
    let sim = Sim::new(9);
    let _stop = server(&sim, "kv");
    // The server takes the first request whole and 10 bytes of the second, then reads no
    // more: its head timeout answers 408 and closes, though the request was sent.
    sim.net()
        .push_faults("kv", Faults::none().server_stops_reading_after(first + 10));
    let c = cache(&sim);
    let (one, two) = sim
        .block_on(async {
            let r = c.call(req("GET", "/a")).await?;
            let one = r.into_body().to_string().await?;
            let r = c.call(req("GET", "/b")).await?;
            let two = r.into_body().to_string().await?;
            Ok::<_, Error>((one, two))
        })
        .expect("both answered");
    assert_eq!((one.as_str(), two.as_str()), ("ok /a", "ok /b"));
    // The second went out twice: once into the stall, once on a new connection.
    assert_eq!(sim.net().connections().len(), 2);
    // Past the server's 10 s head timeout: the 408 came from it.
    assert!(sim.elapsed() >= Duration::from_secs(10));
}

#[test]
fn unsolicited_408_closing_a_reused_connection_is_the_written_retry_error() {
    let first = get_request_len("/a");
    let sim = Sim::new(10);
    let _stop = server(&sim, "kv");
    sim.net()
        .push_faults("kv", Faults::none().server_stops_reading_after(first + 10));
    let rt = sim.runtime();
    let uri: http::Uri = "http://kv/".parse().unwrap();
    let conn = Connection::create_uri(&rt, &uri, ConnectionConfig::new()).unwrap();
    let second = sim.block_on(async {
        let r = conn.call(req("GET", "/a")).await.expect("first answered");
        assert_eq!(r.into_body().to_string().await.unwrap(), "ok /a");
        conn.call(req("POST", "/b")).await
    });
    let e = second.expect_err("the 408 is not the POST's answer");
    assert_eq!(e.kind(), &ErrorKind::Retry { written: true });
}

#[test]
fn a_408_to_the_first_request_of_a_connection_is_its_answer() {
    let sim = Sim::new(11);
    let _stop = server(&sim, "kv");
    // 10 bytes of the first request reach the server, which then times it out.
    sim.net()
        .push_faults("kv", Faults::none().server_stops_reading_after(10));
    let rt = sim.runtime();
    let uri: http::Uri = "http://kv/".parse().unwrap();
    let conn = Connection::create_uri(&rt, &uri, ConnectionConfig::new()).unwrap();
    let r = sim
        .block_on(conn.call(req("GET", "/a")))
        .expect("the 408 is delivered");
    assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
}
