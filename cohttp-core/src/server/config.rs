//! Server limits and timeouts: [`ServerConfig`], with documented defaults.
//!
//! Every wait of the server is bounded by one of these timeouts, and every buffer by
//! one of these limits, so that no peer can hold a task or memory forever. Times are
//! measured on the runtime's clock ([`crate::runtime::Sleep`]), virtual on the mock
//! backend.
//!
//! This file holds values only; the connection loop applies them.
//!
//! ```
//! use std::time::Duration;
//! use cohttp_core::server::ServerConfig;
//!
//! let config = ServerConfig::default()
//!     .header_read_timeout(Duration::from_secs(5))
//!     .max_connections(64);
//! assert_eq!(config.get_max_connections(), 64);
//! ```

use std::time::{Duration, SystemTime};

use crate::h1::Limits;
use crate::server::min_rate::MinRate;

/// The default minimum rate of request bodies and response writes, in bytes per second.
const DEFAULT_MIN_RATE: u64 = 512;

/// The default grace period of the minimum rates.
const DEFAULT_MIN_RATE_GRACE: Duration = Duration::from_secs(30);

/// Limits and timeouts of a server. See each setter for its default.
///
/// Cloning copies the values.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) limits: Limits,
    pub(crate) header_read_timeout: Duration,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) body_min_rate: Option<MinRate>,
    pub(crate) write_min_rate: Option<MinRate>,
    pub(crate) max_drain: u64,
    pub(crate) max_request_body: Option<u64>,
    pub(crate) max_connections: usize,
    pub(crate) max_buffered_responses: usize,
    pub(crate) max_write_buffer: usize,
    pub(crate) linger_timeout: Duration,
    pub(crate) max_linger_bytes: u64,
    pub(crate) graceful_timeout: Duration,
    pub(crate) date_origin: Option<SystemTime>,
    pub(crate) date_header: bool,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::TlsServer>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            limits: Limits::default(),
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(75),
            body_read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            body_min_rate: Some(MinRate::new(DEFAULT_MIN_RATE, DEFAULT_MIN_RATE_GRACE)),
            write_min_rate: Some(MinRate::new(DEFAULT_MIN_RATE, DEFAULT_MIN_RATE_GRACE)),
            max_drain: 256 * 1024,
            max_request_body: None,
            max_connections: 1024,
            max_buffered_responses: 128,
            max_write_buffer: 64 * 1024,
            linger_timeout: Duration::from_secs(2),
            max_linger_bytes: 1024 * 1024,
            graceful_timeout: Duration::from_secs(30),
            date_origin: None,
            date_header: true,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServerConfig {
    /// The defaults (the same as [`Default`]).
    pub fn new() -> ServerConfig {
        ServerConfig::default()
    }

    /// Wire-format limits for request heads and chunked bodies (default
    /// [`Limits::default`]: 8 KiB request line → 414, 100 fields and 64 KiB of head
    /// → 431).
    pub fn limits(mut self, limits: Limits) -> ServerConfig {
        self.limits = limits;
        self
    }

    /// Time allowed to receive a whole request head, counted from its first byte (from
    /// the accept for a connection's first request). Past it the peer gets `408` and
    /// the connection closes: the defence against slowloris. Default 10 s.
    pub fn header_read_timeout(mut self, d: Duration) -> ServerConfig {
        self.header_read_timeout = d;
        self
    }

    /// Time an idle keep-alive connection waits for its next request before it is
    /// closed, silently. Default 75 s (longer than the client's 60 s idle time, so
    /// that clients close first).
    pub fn keep_alive_timeout(mut self, d: Duration) -> ServerConfig {
        self.keep_alive_timeout = d;
        self
    }

    /// Time a request body read may wait for bytes before it fails with a timeout
    /// (reset whenever bytes arrive); also bounds draining. Default 30 s. A body that
    /// trickles just fast enough to beat it is cut by
    /// [`body_min_rate`](ServerConfig::body_min_rate).
    pub fn body_read_timeout(mut self, d: Duration) -> ServerConfig {
        self.body_read_timeout = d;
        self
    }

    /// Time a write may wait for the peer to take bytes (reset whenever it takes
    /// some) before the connection is dropped. Default 30 s. A peer that reads just
    /// fast enough to beat it is cut by [`write_min_rate`](ServerConfig::write_min_rate).
    pub fn write_timeout(mut self, d: Duration) -> ServerConfig {
        self.write_timeout = d;
        self
    }

    /// The minimum rate at which a request body must arrive, counting only the time the
    /// server waits for it (see [`MinRate`]): the time spent waiting for one body
    /// (reading it, then draining what the handler left) may not exceed
    /// `grace + bytes received / rate`. Past it the body read fails with a timeout, so
    /// the peer gets `408` when the handler passes the error on and nothing was
    /// written yet, then a lingering close. `None` leaves only the per-wait
    /// [`body_read_timeout`](ServerConfig::body_read_timeout), which a peer sending one
    /// byte per timeout never trips. Default 512 bytes/s after a 30 s grace: a one-byte
    /// trickle is cut about 30 s into its body; any upload faster than 512 bytes/s on
    /// average is never cut, however large.
    pub fn body_min_rate(mut self, rate: Option<MinRate>) -> ServerConfig {
        self.body_min_rate = rate;
        self
    }

    /// The minimum rate at which the peer must take response bytes while the server
    /// waits for it to (see [`MinRate`]): for each stretch of writing until the write
    /// buffer is empty (at most [`max_write_buffer`](ServerConfig::max_write_buffer)
    /// plus one body chunk), the waiting may not exceed `grace + bytes taken / rate`.
    /// Past it the connection is dropped, like after the per-wait
    /// [`write_timeout`](ServerConfig::write_timeout). Time spent producing the body
    /// is not counted. Raw streams of expert handlers are not watched. Default 512
    /// bytes/s after a 30 s grace.
    pub fn write_min_rate(mut self, rate: Option<MinRate>) -> ServerConfig {
        self.write_min_rate = rate;
        self
    }

    /// Most bytes of an unread request body drained after the response to keep the
    /// connection; past it the connection closes instead. Default 256 KiB.
    pub fn max_drain(mut self, bytes: u64) -> ServerConfig {
        self.max_drain = bytes;
        self
    }

    /// Largest request body accepted: a larger `Content-Length` is answered with `413`
    /// without calling the handler; a chunked body going past it fails to read with a
    /// [`crate::Limit::BodyBytes`] error (`413` if the handler passes it on). Default:
    /// no limit (a handler bounds what it buffers with `Body::to_bytes_limited`).
    pub fn max_request_body(mut self, bytes: Option<u64>) -> ServerConfig {
        self.max_request_body = bytes;
        self
    }

    /// Most connections served at once. At the limit, `serve` makes room for a new
    /// peer by closing an idle connection (the new and silent one idle longest, else
    /// the kept-alive one idle longest); only when every connection is in the middle
    /// of a request does
    /// it stop accepting until one ends or turns idle (further peers wait in the listen
    /// backlog). Why this policy: see [`serve`](crate::server::serve). Default 1024.
    pub fn max_connections(mut self, n: usize) -> ServerConfig {
        self.max_connections = n.max(1);
        self
    }

    /// Most pipelined responses held for one coalesced write. Default 128.
    pub fn max_buffered_responses(mut self, n: usize) -> ServerConfig {
        self.max_buffered_responses = n.max(1);
        self
    }

    /// Bytes of responses buffered before they are written, whatever is still to
    /// come. Default 64 KiB.
    pub fn max_write_buffer(mut self, bytes: usize) -> ServerConfig {
        self.max_write_buffer = bytes.max(1);
        self
    }

    /// Lingering close after an error response: how long the input is still read and
    /// discarded after the write side was shut, so that the peer reads the error
    /// rather than a reset. Default 2 s.
    pub fn linger_timeout(mut self, d: Duration) -> ServerConfig {
        self.linger_timeout = d;
        self
    }

    /// Most bytes discarded during a lingering close. Default 1 MiB.
    pub fn max_linger_bytes(mut self, bytes: u64) -> ServerConfig {
        self.max_linger_bytes = bytes;
        self
    }

    /// Graceful shutdown: how long requests in flight may take to finish once the stop
    /// future completed, before their connections are dropped. Default 30 s.
    pub fn graceful_timeout(mut self, d: Duration) -> ServerConfig {
        self.graceful_timeout = d;
        self
    }

    /// The wall-clock time at the moment the server starts, from which `Date` headers
    /// are derived by adding the runtime clock's elapsed time. Default: the system
    /// time at start. Tests on virtual time set it to get deterministic `Date`s.
    pub fn date_origin(mut self, at: SystemTime) -> ServerConfig {
        self.date_origin = Some(at);
        self
    }

    /// Whether responses get a `Date` header when the handler gave none. Default on
    /// (RFC 9110 §6.6.1: a server with a clock sends it).
    pub fn date_header(mut self, on: bool) -> ServerConfig {
        self.date_header = on;
        self
    }

    /// Serves HTTPS: every accepted connection starts with a TLS handshake with these
    /// settings (feature `tls`). Default: none, plain HTTP.
    ///
    /// The handshake runs in the connection's own task (a slow client never holds up
    /// the accept loop) and must finish within the
    /// [`header_read_timeout`](ServerConfig::header_read_timeout); the first request
    /// head then gets its own. A failed or timed-out handshake closes the connection
    /// with a `debug` log (clients that go away mid-handshake are routine), and the
    /// handler never hears of it: neither requests nor
    /// [`conn_closed`](crate::server::Handler::conn_closed). What the handshake
    /// negotiated (the SNI name) is in [`ConnInfo::tls`](crate::server::ConnInfo::tls).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::TlsServer) -> ServerConfig {
        self.tls = Some(tls);
        self
    }

    /// The TLS settings, when serving HTTPS.
    #[cfg(feature = "tls")]
    pub fn get_tls(&self) -> Option<&crate::tls::TlsServer> {
        self.tls.as_ref()
    }

    /// The wire-format limits.
    pub fn get_limits(&self) -> &Limits {
        &self.limits
    }

    /// The maximum number of connections.
    pub fn get_max_connections(&self) -> usize {
        self.max_connections
    }

    /// The minimum rate of request bodies.
    pub fn get_body_min_rate(&self) -> Option<MinRate> {
        self.body_min_rate
    }

    /// The minimum rate of response writes.
    pub fn get_write_min_rate(&self) -> Option<MinRate> {
        self.write_min_rate
    }

    /// The graceful shutdown deadline.
    pub fn get_graceful_timeout(&self) -> Duration {
        self.graceful_timeout
    }
}
