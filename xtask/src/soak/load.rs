//! The soak's load generator: `connections` tasks on one `current_thread` tokio runtime, each
//! opening connection after connection to the server (loopback only), each connection of one
//! category (`mix.rs`), until the request budget is spent, the time limit passes or too many
//! errors were seen. Every response is parsed and validated (`bench/validate.rs`); every wait
//! is bounded by [`IO_TIMEOUT`], so a server that hangs is an error, not a stuck soak.
//!
//! It counts requests sent and completed per category, and records the first errors. It does
//! not start the server nor sample it (`monitor.rs`), nor judge the run (`mod.rs`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::mix::{self, Exchange, Kind, Rng, CONTINUE, DEPTH};
use crate::bench::validate::ResponseStream;

/// Longest wait for any one step (connect, a response, the close after a refusal).
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Read buffer per connection.
const READ_BUF: usize = 64 * 1024;
/// Errors after which the run stops early (the first ones are kept for the report).
const MAX_ERRORS: u64 = 100;
/// Error messages kept.
const KEPT_ERRORS: usize = 20;

/// Counters shared by the tasks and read by the monitor.
#[derive(Default)]
pub struct Stats {
    /// Requests sent, per category (a request is counted once its first byte is written).
    pub sent: [AtomicU64; 7],
    /// Requests that ended as they must, per category: a valid response, an abort done, a
    /// malformed request refused with the right status and a close.
    pub ok: [AtomicU64; 7],
    /// Connections opened, per category.
    pub connections: [AtomicU64; 7],
    /// Response bytes read.
    pub bytes_read: AtomicU64,
    /// Unexpected errors.
    pub errors: AtomicU64,
    /// The first error messages.
    pub first_errors: Mutex<Vec<String>>,
    /// Requests reserved from the budget (the tasks' claim on the total).
    reserved: AtomicU64,
    /// Set to stop the tasks (time limit).
    pub stop: AtomicBool,
}

impl Stats {
    /// Requests sent in all categories.
    pub fn total_sent(&self) -> u64 {
        self.sent.iter().map(|a| a.load(Relaxed)).sum()
    }

    fn error(&self, kind: Kind, e: String) {
        let n = self.errors.fetch_add(1, Relaxed) + 1;
        if let Ok(mut first) = self.first_errors.lock() {
            if first.len() < KEPT_ERRORS {
                first.push(format!("{}: {e}", kind.name()));
            }
        }
        if n >= MAX_ERRORS {
            self.stop.store(true, Relaxed);
        }
    }

    /// Takes up to `want` requests from the budget of `total`; 0 when spent or stopping.
    fn reserve(&self, want: u64, total: u64) -> u64 {
        if self.stop.load(Relaxed) {
            return 0;
        }
        let mut got = 0;
        let _ = self.reserved.fetch_update(Relaxed, Relaxed, |r| {
            got = want.min(total.saturating_sub(r));
            (got > 0).then_some(r + got)
        });
        got
    }

    fn count(&self, counter: &[AtomicU64; 7], kind: Kind, n: u64) {
        counter[kind.index()].fetch_add(n, Relaxed);
    }
}

/// What drives the load.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Server address (loopback).
    pub addr: SocketAddr,
    /// Requests to send in all (aborted and malformed ones included).
    pub requests: u64,
    /// Connections open at once.
    pub connections: usize,
    /// Seed of the random choices (task `i` uses `seed + i`).
    pub seed: u64,
    /// Time after which the tasks stop.
    pub deadline: Instant,
}

/// Runs the load to its end (budget spent, deadline, or too many errors); true when the
/// deadline ended it.
pub fn run(spec: &LoadSpec, stats: &Arc<Stats>) -> Result<bool, String> {
    if !spec.addr.ip().is_loopback() {
        return Err(format!("refusing to load {}: not loopback", spec.addr));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("soak runtime: {e}"))?;
    rt.block_on(async {
        let mut tasks = JoinSet::new();
        for i in 0..spec.connections.max(1) {
            let spec = spec.clone();
            let stats = stats.clone();
            tasks.spawn(async move { task(spec, stats, i as u64).await });
        }
        let deadline = tokio::time::Instant::from_std(spec.deadline);
        let all = async { while tasks.join_next().await.is_some() {} };
        let timed_out = tokio::time::timeout_at(deadline, all).await.is_err();
        if timed_out {
            stats.stop.store(true, Relaxed);
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        Ok(timed_out)
    })
}

/// One task: connection after connection until the budget is spent.
async fn task(spec: LoadSpec, stats: Arc<Stats>, index: u64) {
    let mut rng = Rng::new(spec.seed.wrapping_add(index));
    let host = spec.addr.to_string();
    loop {
        let kind = rng.kind();
        // Valid requests before an abort or a malformed one, on the same connection.
        let before = match kind {
            Kind::AbortedRequest | Kind::AbortedResponse | Kind::Malformed => rng.range(0, 2),
            _ => 0,
        };
        let planned = match kind {
            Kind::KeepAlive => rng.range(20, 60),
            Kind::Pipelined => DEPTH as u64 * rng.range(1, 4),
            Kind::ChunkedUpload | Kind::ExpectContinue => rng.range(1, 8),
            _ => before + 1,
        };
        let got = stats.reserve(planned, spec.requests);
        if got == 0 {
            return;
        }
        let mut conn = Conn {
            kind,
            stats: &stats,
            rng: &mut rng,
            host: &host,
            stream: None,
            wire: Wire::new(),
        };
        let result = conn.run(spec.addr, got, before.min(got - 1)).await;
        if let Err(e) = result {
            stats.error(kind, e);
        }
    }
}

/// A connection's read side: the buffer and the response checker.
struct Wire {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    parser: ResponseStream,
}

impl Wire {
    fn new() -> Self {
        Self {
            buf: vec![0; READ_BUF],
            start: 0,
            end: 0,
            parser: ResponseStream::queued(),
        }
    }

    /// Reads once into the buffer; the number of bytes read (0 at the end of the stream).
    async fn fill(
        &mut self,
        r: &mut (impl AsyncRead + Unpin),
        stats: &Stats,
    ) -> Result<usize, String> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        if self.end == self.buf.len() {
            // `start > 0` here: the checker bounds an unconsumed head well below READ_BUF.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = tokio::time::timeout(IO_TIMEOUT, r.read(&mut self.buf[self.end..]))
            .await
            .map_err(|_| format!("no byte from the server within {IO_TIMEOUT:?}"))?
            .map_err(|e| format!("read: {e}"))?;
        self.end += n;
        stats.bytes_read.fetch_add(n as u64, Relaxed);
        Ok(n)
    }

    /// Feeds what is buffered to the checker; the responses completed.
    fn check(&mut self) -> Result<usize, String> {
        let p = self
            .parser
            .feed(&self.buf[self.start..self.end])
            .map_err(|e| format!("invalid response: {e}"))?;
        self.start += p.consumed;
        Ok(p.completed)
    }

    /// Reads until every queued response is complete and valid.
    async fn responses(
        &mut self,
        r: &mut (impl AsyncRead + Unpin),
        stats: &Stats,
    ) -> Result<(), String> {
        self.check()?;
        while self.parser.outstanding() > 0 {
            if self.fill(r, stats).await? == 0 {
                return Err(format!(
                    "server closed the connection with {} responses outstanding",
                    self.parser.outstanding()
                ));
            }
            self.check()?;
        }
        Ok(())
    }

    /// Reads exactly `literal` (an interim response), nothing else first.
    async fn literal(
        &mut self,
        r: &mut (impl AsyncRead + Unpin),
        literal: &[u8],
        stats: &Stats,
    ) -> Result<(), String> {
        while self.end - self.start < literal.len() {
            let have = &self.buf[self.start..self.end];
            if !literal.starts_with(have) {
                break;
            }
            if self.fill(r, stats).await? == 0 {
                return Err("server closed the connection instead of `100 Continue`".into());
            }
        }
        let have = &self.buf[self.start..self.end];
        if !have.starts_with(literal) {
            let shown = &have[..have.len().min(80)];
            return Err(format!(
                "expected `100 Continue`, got {:?}",
                String::from_utf8_lossy(shown)
            ));
        }
        self.start += literal.len();
        Ok(())
    }

    /// Reads to the end of the stream: nothing may come after a response that said
    /// `Connection: close`, and the close must come.
    async fn closed(
        &mut self,
        r: &mut (impl AsyncRead + Unpin),
        stats: &Stats,
    ) -> Result<(), String> {
        loop {
            if self.start != self.end {
                return Err(format!(
                    "{} bytes after a `Connection: close` response",
                    self.end - self.start
                ));
            }
            if self.fill(r, stats).await? == 0 {
                return Ok(());
            }
        }
    }

    /// Bytes received and not part of any expected response.
    fn leftover(&self) -> Result<(), String> {
        if self.start != self.end {
            return Err(format!(
                "{} bytes after the last response",
                self.end - self.start
            ));
        }
        Ok(())
    }
}

/// Writes `bytes` while reading the responses queued, so that neither side blocks the other
/// when a response (an echo) comes while its request is still being written.
async fn exchange(
    stream: &mut TcpStream,
    wire: &mut Wire,
    bytes: &[u8],
    stats: &Stats,
) -> Result<(), String> {
    let (mut r, mut w) = stream.split();
    let write = async { w.write_all(bytes).await.map_err(|e| format!("write: {e}")) };
    tokio::try_join!(write, wire.responses(&mut r, stats)).map(|_| ())
}

/// Writes `bytes` while reading and discarding what the server sends meanwhile (an echo
/// that starts before its request ends), bounded by [`IO_TIMEOUT`].
async fn write_draining(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    let (mut r, mut w) = stream.split();
    let work = async {
        let write = w.write_all(bytes);
        tokio::pin!(write);
        let mut sink = vec![0u8; 16 * 1024];
        let mut reading = true;
        loop {
            tokio::select! {
                res = &mut write => return res.map_err(|e| format!("write: {e}")),
                n = r.read(&mut sink), if reading => {
                    // Whatever comes (or the end) is not judged: the request is cut anyway.
                    if !matches!(n, Ok(1..)) {
                        reading = false;
                    }
                }
            }
        }
    };
    tokio::time::timeout(IO_TIMEOUT, work)
        .await
        .map_err(|_| format!("write stalled for {IO_TIMEOUT:?}"))?
}

/// One connection of one category.
struct Conn<'a> {
    kind: Kind,
    stats: &'a Stats,
    rng: &'a mut Rng,
    host: &'a str,
    stream: Option<TcpStream>,
    wire: Wire,
}

impl Conn<'_> {
    /// Connects and sends `requests` requests of its category, `before` of them valid
    /// keep-alive requests first (for an abort or a malformed request).
    async fn run(&mut self, addr: SocketAddr, requests: u64, before: u64) -> Result<(), String> {
        let stream = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| format!("connect: no answer within {IO_TIMEOUT:?}"))?
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("nodelay: {e}"))?;
        self.stream = Some(stream);
        self.stats.count(&self.stats.connections, self.kind, 1);
        match self.kind {
            Kind::KeepAlive => self.sequential(Kind::KeepAlive, requests).await?,
            Kind::Pipelined => self.pipelined(requests).await?,
            Kind::ChunkedUpload => self.chunked(requests).await?,
            Kind::ExpectContinue => self.expect_continue(requests).await?,
            Kind::AbortedRequest => {
                self.sequential(Kind::KeepAlive, before).await?;
                self.abort_request().await?;
                return Ok(());
            }
            Kind::AbortedResponse => {
                self.sequential(Kind::KeepAlive, before).await?;
                self.abort_response().await?;
                return Ok(());
            }
            Kind::Malformed => {
                self.sequential(Kind::KeepAlive, before).await?;
                self.malformed().await?;
                return Ok(());
            }
        }
        self.wire.leftover()
    }

    fn stream(&mut self) -> Result<&mut TcpStream, String> {
        self.stream
            .as_mut()
            .ok_or_else(|| "not connected".to_string())
    }

    /// Sends one exchange (or a batch) and checks its responses; counted under `kind`.
    async fn send(&mut self, kind: Kind, bytes: &[u8], count: u64) -> Result<(), String> {
        self.stats.count(&self.stats.sent, kind, count);
        let stats = self.stats;
        let stream = self.stream.as_mut().ok_or("not connected")?;
        exchange(stream, &mut self.wire, bytes, stats).await?;
        self.stats.count(&self.stats.ok, kind, count);
        Ok(())
    }

    async fn sequential(&mut self, kind: Kind, n: u64) -> Result<(), String> {
        for _ in 0..n {
            let Exchange { bytes, expect } = mix::simple(self.rng, self.host, false);
            self.wire.parser.push(expect);
            self.send(kind, &bytes, 1).await?;
        }
        Ok(())
    }

    async fn pipelined(&mut self, n: u64) -> Result<(), String> {
        let mut left = n;
        while left > 0 {
            let batch = left.min(DEPTH as u64);
            let mut bytes = Vec::new();
            for _ in 0..batch {
                let ex = mix::simple(self.rng, self.host, true);
                bytes.extend_from_slice(&ex.bytes);
                self.wire.parser.push(ex.expect);
            }
            self.send(Kind::Pipelined, &bytes, batch).await?;
            left -= batch;
        }
        Ok(())
    }

    async fn chunked(&mut self, n: u64) -> Result<(), String> {
        for _ in 0..n {
            let Exchange { bytes, expect } = mix::chunked_upload(self.rng, self.host);
            self.wire.parser.push(expect);
            self.send(Kind::ChunkedUpload, &bytes, 1).await?;
        }
        Ok(())
    }

    async fn expect_continue(&mut self, n: u64) -> Result<(), String> {
        for _ in 0..n {
            let (head, Exchange { bytes, expect }) = mix::expect_continue(self.rng, self.host);
            let kind = Kind::ExpectContinue;
            self.stats.count(&self.stats.sent, kind, 1);
            let stats = self.stats;
            let stream = self.stream.as_mut().ok_or("not connected")?;
            stream
                .write_all(&head)
                .await
                .map_err(|e| format!("write: {e}"))?;
            let (mut r, _) = stream.split();
            self.wire.literal(&mut r, CONTINUE, stats).await?;
            self.wire.parser.push(expect);
            exchange(stream, &mut self.wire, &bytes, stats).await?;
            self.stats.count(&self.stats.ok, kind, 1);
        }
        Ok(())
    }

    /// Leaves: a reset half the time (`SO_LINGER` 0), else an orderly close.
    fn leave(&mut self) -> Result<(), String> {
        let reset = self.rng.chance(50);
        if let Some(stream) = self.stream.take() {
            if reset {
                stream
                    .set_zero_linger()
                    .map_err(|e| format!("SO_LINGER: {e}"))?;
            }
            drop(stream);
        }
        Ok(())
    }

    async fn abort_request(&mut self) -> Result<(), String> {
        let bytes = mix::cut_request(self.rng, self.host);
        let pause = self.rng.chance(30);
        self.stats.count(&self.stats.sent, Kind::AbortedRequest, 1);
        let stream = self.stream()?;
        write_draining(stream, &bytes).await?;
        if pause {
            // Let the server take what was sent before it goes.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        self.leave()?;
        self.stats.count(&self.stats.ok, Kind::AbortedRequest, 1);
        Ok(())
    }

    async fn abort_response(&mut self) -> Result<(), String> {
        let (Exchange { bytes, expect }, read) = mix::cut_response(self.rng, self.host);
        self.stats.count(&self.stats.sent, Kind::AbortedResponse, 1);
        self.wire.parser.push(expect);
        let stats = self.stats;
        let stream = self.stream.as_mut().ok_or("not connected")?;
        stream
            .write_all(&bytes)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let (mut r, _) = stream.split();
        let mut got = 0;
        while got < read {
            let n = self.wire.fill(&mut r, stats).await?;
            if n == 0 {
                return Err(format!(
                    "server closed after {got} bytes of a large response"
                ));
            }
            got += n;
            // Validates the head and the body so far (it cannot be complete yet).
            if self.wire.check()? > 0 {
                return Err("a large response ended early".into());
            }
        }
        self.leave()?;
        self.stats.count(&self.stats.ok, Kind::AbortedResponse, 1);
        Ok(())
    }

    async fn malformed(&mut self) -> Result<(), String> {
        let Exchange { bytes, expect } = mix::malformed(self.rng, self.host);
        self.wire.parser.push(expect);
        self.stats.count(&self.stats.sent, Kind::Malformed, 1);
        let stats = self.stats;
        let stream = self.stream.as_mut().ok_or("not connected")?;
        exchange(stream, &mut self.wire, &bytes, stats).await?;
        let (mut r, _) = stream.split();
        self.wire.closed(&mut r, stats).await?;
        self.stats.count(&self.stats.ok, Kind::Malformed, 1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohttp_core::runtime::Addr;
    use cohttp_core::server::{serve_listener, ServerConfig};
    use cohttp_core::testkit::demo::Demo;

    #[test]
    fn small_mixed_load_on_the_demo_server_meets_every_expectation() {
        let server_rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let rt = cohttp_tokio::runtime_on(server_rt.handle().clone());
        let listener = server_rt
            .block_on(rt.listen(Addr::Tcp(([127, 0, 0, 1], 0).into())))
            .unwrap();
        let Ok(Addr::Tcp(addr)) = listener.local_addr() else {
            panic!("not a TCP listener");
        };
        server_rt.spawn(async move {
            let stop = std::future::pending::<()>();
            serve_listener(&rt, listener, Demo, ServerConfig::default(), stop).await;
        });
        let stats = Arc::new(Stats::default());
        let spec = LoadSpec {
            addr,
            requests: 3000,
            connections: 8,
            seed: 42,
            deadline: Instant::now() + Duration::from_secs(120),
        };
        let timed_out = run(&spec, &stats).unwrap();
        server_rt.shutdown_background();
        let errors = stats.first_errors.lock().unwrap().clone();
        assert!(!timed_out);
        assert_eq!(stats.errors.load(Relaxed), 0, "{errors:?}");
        assert_eq!(stats.total_sent(), 3000);
        for k in Kind::ALL {
            let (sent, ok) = (
                stats.sent[k.index()].load(Relaxed),
                stats.ok[k.index()].load(Relaxed),
            );
            assert!(sent > 0, "no {} request sent", k.name());
            assert_eq!(sent, ok, "{}", k.name());
        }
    }

    #[test]
    fn budget_is_shared_out_exactly() {
        let stats = Stats::default();
        assert_eq!(stats.reserve(60, 100), 60);
        assert_eq!(stats.reserve(60, 100), 40);
        assert_eq!(stats.reserve(1, 100), 0);
        let stopped = Stats::default();
        stopped.stop.store(true, Relaxed);
        assert_eq!(stopped.reserve(1, 100), 0);
    }
}
