//! Throughput of the server's pipelined path on the mock backend: one connection,
//! bursts of 100 small GET requests, responses read back and counted.
//!
//! Run with `cargo run --release -p cohttp-core --example server_pipelining_throughput`.
//! The figure includes the mock network's own cost; it is a measurement, not a test.

use std::time::{Instant, UNIX_EPOCH};

use cohttp_core::runtime::{Addr, Ctx, Endpoint};
use cohttp_core::server::{respond_string, serve_listener, ConnInfo, ServerConfig};
use cohttp_core::{Body, Error};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use http::{Request, StatusCode};

const BURST: usize = 100;
const BURSTS: usize = 2_000;

fn main() {
    let sim = cohttp_mock::Sim::new(1);
    sim.set_step_budget(u64::MAX);
    let rt = sim.runtime();
    let hello = |_: ConnInfo, _: Request<()>, _: Body| async {
        Ok::<_, Error>(respond_string(StatusCode::OK, "hello, world"))
    };
    let listener = sim
        .block_on(rt.listen(Addr::Named("bench".into())))
        .expect("listen");
    let (stop_tx, stop_rx) = futures_channel::oneshot::channel::<()>();
    let server = {
        let rt = rt.clone();
        let config = ServerConfig::default().date_origin(UNIX_EPOCH);
        sim.spawn(async move {
            let stop = async move {
                let _ = stop_rx.await;
            };
            serve_listener(&rt, listener, hello, config, stop).await
        })
    };
    let burst: Vec<u8> = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
        .repeat(BURST)
        .into_bytes();
    let response_len = "HTTP/1.1 200 OK\r\ncontent-length: 12\r\ndate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\nhello, world".len();
    let started = Instant::now();
    sim.block_on(async {
        let mut io = rt
            .connect(&Ctx::new(), &Endpoint::Named("bench".into()))
            .await
            .expect("connect");
        let mut answers = vec![0u8; response_len * BURST];
        for _ in 0..BURSTS {
            io.write_all(&burst).await.expect("write");
            io.read_exact(&mut answers).await.expect("read");
        }
        let _ = stop_tx.send(());
        drop(io);
        server.await;
    });
    let elapsed = started.elapsed();
    let total = BURST * BURSTS;
    let writes: usize = sim
        .net()
        .connections()
        .iter()
        .map(|c| c.server_writes)
        .sum();
    println!(
        "{total} pipelined requests in {elapsed:?}: {:.0} requests/s, {writes} server writes",
        total as f64 / elapsed.as_secs_f64()
    );
}
