//! Each fault mode, on `duplex` pairs and through the network.

use std::io;
use std::time::Duration;

use cohttp_core::runtime::{Addr, Ctx, Endpoint};
use cohttp_mock::{duplex, Event, Faults, MockStream, Sim};
use futures_util::{AsyncReadExt, AsyncWriteExt};

const MS: Duration = Duration::from_millis(1);

/// Writes `data` from `w` (ignoring the error that ends it) then drops it; reads all of
/// `r`. Returns (bytes accepted from the writer, write error kind, bytes read, read result).
fn pump(
    sim: &Sim,
    mut w: MockStream,
    mut r: MockStream,
    data: &[u8],
) -> (usize, Option<io::ErrorKind>, Vec<u8>, io::Result<()>) {
    let data = data.to_vec();
    let writer = sim.spawn(async move {
        let mut sent = 0;
        let mut err = None;
        while sent < data.len() {
            match w.write(&data[sent..]).await {
                Ok(n) => sent += n,
                Err(e) => {
                    err = Some(e.kind());
                    break;
                }
            }
        }
        let _ = w.close().await;
        (sent, err)
    });
    let (got, res) = sim.block_on(async move {
        let mut got = Vec::new();
        let res = r.read_to_end(&mut got).await.map(|_| ());
        (got, res)
    });
    let (sent, err) = sim.block_on(writer);
    (sent, err, got, res)
}

#[test]
fn close_to_client_after_n_gives_the_client_n_bytes_then_eof() {
    let sim = Sim::new(1);
    let (c, s) = duplex(&sim, Faults::none().close_to_client_after(10));
    let (sent, err, got, res) = pump(&sim, s, c, b"HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(sent, 10);
    assert_eq!(err, Some(io::ErrorKind::BrokenPipe));
    assert_eq!(got, b"HTTP/1.1 2");
    assert!(res.is_ok());
    assert!(sim.trace().contains(&Event::Fault {
        conn: 0,
        what: "close to_client after 10".into()
    }));
}

#[test]
fn close_to_server_after_n_gives_the_server_n_bytes_then_eof() {
    let sim = Sim::new(2);
    let (c, s) = duplex(&sim, Faults::none().close_to_server_after(4));
    let (sent, err, got, res) = pump(&sim, c, s, b"GET / HTTP/1.1\r\n");
    assert_eq!((sent, err), (4, Some(io::ErrorKind::BrokenPipe)));
    assert_eq!(got, b"GET ");
    assert!(res.is_ok());
}

#[test]
fn reset_to_client_after_n_gives_the_client_n_bytes_then_connection_reset() {
    let sim = Sim::new(3);
    let (c, s) = duplex(&sim, Faults::none().reset_to_client_after(5));
    let (sent, err, got, res) = pump(&sim, s, c, b"0123456789");
    assert_eq!((sent, err), (5, Some(io::ErrorKind::ConnectionReset)));
    assert_eq!(got, b"01234");
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
    assert!(sim.trace().contains(&Event::Fault {
        conn: 0,
        what: "reset to_client after 5".into()
    }));
}

#[test]
fn reset_to_server_after_n_gives_the_server_n_bytes_then_connection_reset() {
    let sim = Sim::new(4);
    let (c, s) = duplex(&sim, Faults::none().reset_to_server_after(3));
    let (sent, err, got, res) = pump(&sim, c, s, b"POST");
    assert_eq!((sent, err), (3, Some(io::ErrorKind::ConnectionReset)));
    assert_eq!(got, b"POS");
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
}

#[test]
fn reset_after_zero_bytes_fails_the_first_read() {
    let sim = Sim::new(5);
    let (mut c, _s) = duplex(&sim, Faults::none().reset_to_client_after(0));
    let err = sim.block_on(async move {
        let mut b = [0u8; 4];
        c.read(&mut b).await.unwrap_err()
    });
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
}

#[test]
fn a_cut_in_one_direction_leaves_the_other_working() {
    let sim = Sim::new(6);
    let (mut c, mut s) = duplex(&sim, Faults::none().close_to_client_after(0));
    let got = sim.block_on(async move {
        c.write_all(b"still flows").await.unwrap();
        c.close().await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        let mut nothing = Vec::new();
        c.read_to_end(&mut nothing).await.unwrap();
        assert!(nothing.is_empty());
        got
    });
    assert_eq!(got, b"still flows");
}

#[test]
fn one_byte_io_moves_a_single_byte_per_read_and_per_write() {
    let sim = Sim::new(7);
    let (mut c, mut s) = duplex(&sim, Faults::none().one_byte_io());
    sim.block_on(async move {
        assert_eq!(c.write(b"abc").await.unwrap(), 1);
        c.write_all(b"bc").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(s.read(&mut buf).await.unwrap(), 1);
        assert_eq!(buf[0], b'a');
        let mut rest = [0u8; 2];
        s.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"bc");
    });
    let stats = &sim.net().connections()[0];
    assert_eq!((stats.client_writes, stats.client_bytes), (3, 3));
    let reads = sim
        .trace()
        .iter()
        .filter(|e| matches!(e, Event::Read { bytes: 1, .. }))
        .count();
    assert_eq!(reads, 3);
}

#[test]
fn delay_each_read_costs_virtual_time_per_read() {
    let sim = Sim::new(8);
    let (mut c, mut s) = duplex(&sim, Faults::none().delay_each_read(MS * 25).one_byte_io());
    sim.block_on(async move {
        c.write_all(b"xyz").await.unwrap();
        let mut buf = [0u8; 3];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"xyz");
    });
    // Three one-byte reads, each delayed 25 ms.
    assert_eq!(sim.elapsed(), MS * 75);
}

#[test]
fn delayed_reads_apply_to_both_ends() {
    let sim = Sim::new(9);
    let (mut c, mut s) = duplex(&sim, Faults::none().delay_each_read(MS * 10));
    sim.block_on(async move {
        c.write_all(b"ping").await.unwrap();
        let mut b = [0u8; 4];
        s.read_exact(&mut b).await.unwrap();
        s.write_all(b"pong").await.unwrap();
        c.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"pong");
    });
    assert_eq!(sim.elapsed(), MS * 20);
}

#[test]
fn a_server_that_stops_reading_blocks_the_writer_until_a_timeout_breaks_it() {
    let sim = Sim::new(10);
    let rt = sim.runtime();
    let (mut c, mut s) = duplex(&sim, Faults::none().buffer(8).server_stops_reading_after(4));
    sim.spawn(async move {
        let mut sink = [0u8; 64];
        loop {
            match s.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let r = sim.block_on(async {
        rt.timeout(Duration::from_secs(2), c.write_all(&[b'x'; 100]))
            .await
    });
    assert!(r.unwrap_err().is_timeout());
    assert_eq!(sim.elapsed(), Duration::from_secs(2));
    // 4 bytes read by the server, 8 waiting in the full buffer.
    let stats = &sim.net().connections()[0];
    assert_eq!(stats.client_bytes, 12);
    assert!(sim.trace().contains(&Event::Fault {
        conn: 0,
        what: "server stops reading after 4".into()
    }));
}

#[test]
#[should_panic(expected = "deadlock")]
fn a_client_that_stops_reading_with_no_timer_is_reported_as_a_deadlock() {
    let sim = Sim::new(11);
    let (mut c, mut s) = duplex(&sim, Faults::none().buffer(4).client_stops_reading_after(2));
    sim.spawn(async move {
        let mut b = [0u8; 16];
        let _ = c.read(&mut b).await;
        let _ = c.read(&mut b).await;
    });
    sim.block_on(async move { s.write_all(&[0u8; 32]).await.unwrap() });
}

#[test]
fn a_small_buffer_makes_the_writer_wait_for_the_reader() {
    let sim = Sim::new(12);
    let (mut c, mut s) = duplex(&sim, Faults::none().buffer(3));
    let reader = sim.spawn(async move {
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        got
    });
    let got = sim.block_on(async move {
        assert_eq!(c.write(b"abcdef").await.unwrap(), 3);
        c.write_all(b"def").await.unwrap();
        c.close().await.unwrap();
        reader.await
    });
    assert_eq!(got, b"abcdef");
}

#[test]
fn faults_pushed_for_a_name_apply_to_both_ends_of_the_connection() {
    let sim = Sim::new(13);
    let rt = sim.runtime();
    sim.net().push_faults("svc", Faults::none().one_byte_io());
    sim.block_on(async {
        let mut l = rt.listen(Addr::Named("svc".into())).await.unwrap();
        let mut c = rt
            .connect(&Ctx::new(), &Endpoint::Named("svc".into()))
            .await
            .unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        assert_eq!(c.write(b"ab").await.unwrap(), 1);
        assert_eq!(s.write(b"cd").await.unwrap(), 1);
        let mut b = [0u8; 4];
        assert_eq!(s.read(&mut b).await.unwrap(), 1);
        assert_eq!(c.read(&mut b).await.unwrap(), 1);
    });
}

/// A request/response exchange under a random fault schedule.
fn campaign(seed: u64) -> (Vec<u8>, Vec<Event>) {
    let sim = Sim::new(seed);
    let (mut c, mut s) = duplex(&sim, Faults::random(seed));
    sim.spawn(async move {
        let mut req = Vec::new();
        let _ = s.read_to_end(&mut req).await;
        let _ = s.write_all(&req).await;
    });
    let got = sim.block_on(async move {
        let _ = c.write_all(&[7u8; 3000]).await;
        let _ = c.close().await;
        let mut got = Vec::new();
        let _ = c.read_to_end(&mut got).await;
        got
    });
    (got, sim.trace())
}

#[test]
fn random_fault_campaigns_terminate_and_replay_identically() {
    for seed in 0..40 {
        let a = campaign(seed);
        let b = campaign(seed);
        assert_eq!(a, b, "seed {seed}");
        assert!(a.0.len() <= 3000);
    }
}
