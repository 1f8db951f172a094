//! The TLS stream over the mock backend: close_notify then half-close, truncation
//! without close_notify, and a long exchange through one-byte I/O.

mod tls_support;

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use cohttp_core::runtime::BoxTransport;
use cohttp_core::tls;
use cohttp_mock::{Faults, MockStream, Sim};
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use tls_support::Pki;

/// A transport that records what is done to it: "write" for each non-empty write,
/// "close" for a completed `poll_close`.
struct Spy {
    inner: MockStream,
    log: Arc<Mutex<Vec<&'static str>>>,
}

impl AsyncRead for Spy {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Spy {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.log.lock().unwrap().push("write");
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_close(cx);
        if matches!(r, Poll::Ready(Ok(()))) {
            self.log.lock().unwrap().push("close");
        }
        r
    }
}

#[test]
fn tls_close_sends_close_notify_then_half_closes() {
    let pki = Pki::new(&["localhost"]);
    let sim = Sim::new(11);
    let (c, s) = cohttp_mock::duplex(&sim, Faults::none());
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = pki.server();
    let srv = sim.spawn(async move {
        let mut s = server.accept(Box::new(s)).await?;
        // Ends cleanly (Ok, not UnexpectedEof) only if close_notify arrived.
        let mut all = Vec::new();
        s.read_to_end(&mut all).await?;
        // The client half-closed: its read side is still open for this answer.
        s.write_all(format!("got {} bytes", all.len()).as_bytes())
            .await?;
        s.close().await?;
        Ok::<_, cohttp_core::Error>(())
    });
    let client = pki.client();
    let spy = Spy {
        inner: c,
        log: log.clone(),
    };
    let answer = sim.block_on(async {
        let mut c = tls::connect(Box::new(spy), "localhost", &client).await?;
        c.write_all(b"request").await?;
        let writes_before_close = log.lock().unwrap().len();
        c.close().await?;
        let events = log.lock().unwrap().clone();
        // close wrote something (the close_notify record) and then closed the transport.
        assert!(events.len() >= writes_before_close + 2, "{events:?}");
        assert_eq!(events[events.len() - 2..], ["write", "close"], "{events:?}");
        let mut answer = String::new();
        c.read_to_string(&mut answer).await?;
        Ok::<_, cohttp_core::Error>(answer)
    });
    assert_eq!(answer.expect("client"), "got 7 bytes");
    sim.block_on(srv).expect("server");
}

#[test]
fn tls_end_without_close_notify_is_unexpected_eof() {
    let pki = Pki::new(&["localhost"]);
    let sim = Sim::new(12);
    let (c, s) = cohttp_mock::duplex(&sim, Faults::none());
    let server = pki.server();
    let (ready_tx, ready_rx) = futures_channel::oneshot::channel::<()>();
    let srv = sim.spawn(async move {
        let mut s = server.accept(Box::new(s)).await.expect("handshake");
        let _ = ready_tx.send(());
        let mut all = Vec::new();
        let r = s.read_to_end(&mut all).await;
        (r.map_err(|e| e.kind()), all)
    });
    let client = pki.client();
    sim.block_on(async {
        let mut c = tls::connect(Box::new(c), "localhost", &client)
            .await
            .expect("handshake");
        c.write_all(b"partial").await.expect("write");
        c.flush().await.expect("flush");
        // The server's handshake ends after ours (it reads our Finished and sends its
        // session tickets): let it end before cutting the stream.
        ready_rx.await.expect("server handshake");
        // Dropped without close: the transport ends with no close_notify.
        drop(c);
    });
    let (r, all) = sim.block_on(srv);
    assert_eq!(r, Err(io::ErrorKind::UnexpectedEof));
    assert_eq!(all, b"partial", "the data before the cut is delivered");
}

#[test]
fn tls_echo_through_one_byte_io() {
    // More than one TLS record (16 KiB) each way, every transport read and write
    // moving at most one byte, the handshake included.
    let pki = Pki::new(&["localhost"]);
    let sim = Sim::new(13);
    let payload: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (c, s) = cohttp_mock::duplex(&sim, Faults::none().one_byte_io());
    let server = pki.server();
    let len = payload.len();
    let srv = sim.spawn(async move {
        let mut s: BoxTransport = server.accept(Box::new(s)).await?;
        let mut buf = vec![0u8; len];
        s.read_exact(&mut buf).await?;
        s.write_all(&buf).await?;
        s.close().await?;
        Ok::<_, cohttp_core::Error>(())
    });
    let client = pki.client();
    let back = sim.block_on(async {
        let mut c = tls::connect(Box::new(c), "localhost", &client).await?;
        c.write_all(&payload).await?;
        c.flush().await?;
        let mut back = Vec::new();
        c.read_to_end(&mut back).await?;
        Ok::<_, cohttp_core::Error>(back)
    });
    assert!(back.expect("client") == payload, "echo differs");
    sim.block_on(srv).expect("server");
    let stats = sim.net().connections();
    let conn = stats.first().expect("one connection");
    assert!(conn.client_bytes > 20_000 && conn.server_bytes > 20_000);
    assert_eq!(
        conn.client_writes as u64, conn.client_bytes,
        "one byte per write"
    );
}
