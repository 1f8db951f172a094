//! Stream semantics: half-close, drop, backpressure, write counting, trace determinism.

use std::io::{self, IoSlice};

use cohttp_core::runtime::{Addr, Ctx, Endpoint};
use cohttp_mock::{duplex, Event, Faults, Side, Sim};
use futures_util::{AsyncReadExt, AsyncWriteExt};

#[test]
fn half_close_lets_the_peer_read_buffered_bytes_then_eof_and_still_answer() {
    let sim = Sim::new(1);
    let (mut c, mut s) = duplex(&sim, Faults::none());
    let reply = sim.block_on(async move {
        c.write_all(b"request").await.unwrap();
        c.close().await.unwrap();
        let mut req = Vec::new();
        s.read_to_end(&mut req).await.unwrap();
        assert_eq!(req, b"request");
        s.write_all(b"response").await.unwrap();
        drop(s);
        let mut reply = Vec::new();
        c.read_to_end(&mut reply).await.unwrap();
        reply
    });
    assert_eq!(reply, b"response");
    assert!(sim.trace().contains(&Event::Shutdown {
        conn: 0,
        side: Side::Client
    }));
}

#[test]
fn writing_after_close_is_a_broken_pipe() {
    let sim = Sim::new(2);
    let (mut c, _s) = duplex(&sim, Faults::none());
    let err = sim.block_on(async move {
        c.close().await.unwrap();
        c.write(b"late").await.unwrap_err()
    });
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

#[test]
fn dropping_one_end_gives_the_peer_eof_and_broken_pipe() {
    let sim = Sim::new(3);
    let (mut c, s) = duplex(&sim, Faults::none());
    sim.block_on(async move {
        drop(s);
        let mut b = [0u8; 8];
        assert_eq!(c.read(&mut b).await.unwrap(), 0);
        assert_eq!(
            c.write(b"x").await.unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    });
    assert!(sim.trace().contains(&Event::Drop {
        conn: 0,
        side: Side::Server
    }));
}

#[test]
fn bytes_written_before_a_drop_are_still_read() {
    let sim = Sim::new(4);
    let (mut c, mut s) = duplex(&sim, Faults::none());
    let got = sim.block_on(async move {
        s.write_all(b"last words").await.unwrap();
        drop(s);
        let mut got = Vec::new();
        c.read_to_end(&mut got).await.unwrap();
        got
    });
    assert_eq!(got, b"last words");
}

#[test]
fn a_writer_blocked_on_a_full_buffer_gets_broken_pipe_when_the_reader_drops() {
    let sim = Sim::new(5);
    let (mut c, s) = duplex(&sim, Faults::none().buffer(4));
    let writer = sim.spawn(async move { c.write_all(b"0123456789").await });
    sim.run_until_idle();
    assert!(!writer.is_finished(), "the writer waits on the full buffer");
    drop(s);
    let r = sim.block_on(writer);
    assert_eq!(r.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(sim.net().connections()[0].client_bytes, 4);
}

#[test]
fn each_write_that_moved_bytes_counts_once_and_vectored_writes_count_once() {
    let sim = Sim::new(6);
    let (mut c, mut s) = duplex(&sim, Faults::none());
    sim.block_on(async move {
        c.write_all(b"head").await.unwrap();
        let n = c
            .write_vectored(&[IoSlice::new(b"a"), IoSlice::new(b""), IoSlice::new(b"bc")])
            .await
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            c.write(b"").await.unwrap(),
            0,
            "empty writes are not counted"
        );
        s.write_all(b"ok").await.unwrap();
        let mut b = [0u8; 7];
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"headabc");
    });
    let st = &sim.net().connections()[0];
    assert_eq!(st.name, "duplex");
    assert_eq!((st.client_writes, st.client_bytes), (2, 7));
    assert_eq!((st.server_writes, st.server_bytes), (1, 2));
}

#[test]
fn a_vectored_write_into_a_small_buffer_takes_what_fits_across_slices() {
    let sim = Sim::new(7);
    let (mut c, mut s) = duplex(&sim, Faults::none().buffer(5));
    sim.block_on(async move {
        let n = c
            .write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg")])
            .await
            .unwrap();
        assert_eq!(n, 5);
        let mut b = [0u8; 5];
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"abcde");
    });
}

/// Two clients and a server task exchanging over the network, with timers.
fn exchange(seed: u64) -> Vec<Event> {
    let sim = Sim::new(seed);
    let rt = sim.runtime();
    let srv = rt.clone();
    sim.block_on(async {
        let mut l = rt.listen(Addr::Named("echo".into())).await.unwrap();
        rt.spawn(async move {
            for _ in 0..2 {
                let (mut s, _) = l.accept().await.unwrap();
                let rt = srv.clone();
                srv.spawn(async move {
                    let mut buf = Vec::new();
                    s.read_to_end(&mut buf).await.unwrap();
                    rt.sleep(std::time::Duration::from_millis(buf.len() as u64))
                        .await;
                    s.write_all(&buf).await.unwrap();
                });
            }
        });
        let clients: Vec<_> = [&b"short"[..], &b"a longer message"[..]]
            .into_iter()
            .map(|msg| {
                let rt = rt.clone();
                sim.spawn(async move {
                    let mut c = rt
                        .connect(&Ctx::new(), &Endpoint::Named("echo".into()))
                        .await
                        .unwrap();
                    c.write_all(msg).await.unwrap();
                    c.close().await.unwrap();
                    let mut back = Vec::new();
                    c.read_to_end(&mut back).await.unwrap();
                    assert_eq!(back, msg);
                })
            })
            .collect();
        for c in clients {
            c.await;
        }
    });
    sim.trace()
}

#[test]
fn the_same_seed_records_the_same_network_trace() {
    for seed in [3, 4, 5] {
        let a = exchange(seed);
        assert_eq!(a, exchange(seed));
        assert!(a.iter().any(|e| matches!(e, Event::TimerFired { .. })));
        assert!(a.iter().any(|e| matches!(e, Event::Accept { .. })));
    }
}
