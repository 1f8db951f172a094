//! Regressions found by the fault campaigns (`campaign_*.rs`), each on one fixed fault:
//! the client ends a request with the retry error whenever none of its response arrived
//! and the connection ended in an orderly way, so that idempotent requests are sent
//! again, and it never gives a request that was not written a non-retryable error.

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
fn read_reset_gives_requests_never_written_the_retry_error() {
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
    assert_eq!(kinds[0], ErrorKind::Io, "the written one: the reset");
    assert_eq!(kinds[1], ErrorKind::Retry { written: false });
    assert_eq!(kinds[2], ErrorKind::Retry { written: false });
    sim.advance(Duration::from_secs(1));
}
