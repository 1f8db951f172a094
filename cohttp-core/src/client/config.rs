//! [`ConnectionConfig`]: how one client connection behaves (persistence, hooks, limits,
//! timeouts, the drain bound of dropped bodies).
//!
//! A plain value with builder methods; cloning it shares its hooks. It does nothing by itself.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::h1::Limits;
use crate::runtime::Ctx;

use super::Connection;

/// A hook run once when a connection ends.
pub type FinaliseHook = Arc<dyn Fn(&Connection) + Send + Sync>;

/// A hook run for each interim (1xx other than 101) response.
pub type InterimHook = Arc<dyn Fn(&http::Response<()>) + Send + Sync>;

/// How a [`Connection`] behaves. See each builder method.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cohttp_core::client::ConnectionConfig;
///
/// let config = ConnectionConfig::new()
///     .persistent(Some(true))
///     .head_timeout(Some(Duration::from_secs(30)))
///     .finalise(|c| log::debug!("connection {} ended", c.id()));
/// assert_eq!(config.get_persistent(), Some(true));
/// ```
#[derive(Clone)]
pub struct ConnectionConfig {
    pub(crate) persistent: Option<bool>,
    pub(crate) finalise: Option<FinaliseHook>,
    pub(crate) on_interim: Option<InterimHook>,
    pub(crate) limits: Limits,
    pub(crate) ctx: Ctx,
    pub(crate) half_close_on_shutdown: bool,
    pub(crate) host: Option<String>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) head_timeout: Option<Duration>,
    pub(crate) drain_limit: u64,
    pub(crate) drain_timeout: Duration,
}

impl Default for ConnectionConfig {
    fn default() -> ConnectionConfig {
        ConnectionConfig {
            persistent: None,
            finalise: None,
            on_interim: None,
            limits: Limits::default(),
            ctx: Ctx::default(),
            half_close_on_shutdown: false,
            host: None,
            connect_timeout: None,
            head_timeout: None,
            drain_limit: 64 * 1024,
            drain_timeout: Duration::from_secs(5),
        }
    }
}

impl fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionConfig")
            .field("persistent", &self.persistent)
            .field("finalise", &self.finalise.is_some())
            .field("on_interim", &self.on_interim.is_some())
            .field("limits", &self.limits)
            .field("half_close_on_shutdown", &self.half_close_on_shutdown)
            .field("host", &self.host)
            .field("connect_timeout", &self.connect_timeout)
            .field("head_timeout", &self.head_timeout)
            .field("drain_limit", &self.drain_limit)
            .field("drain_timeout", &self.drain_timeout)
            .finish_non_exhaustive()
    }
}

impl ConnectionConfig {
    /// The defaults: unknown persistence, no hooks, default limits, no timeouts, dropped
    /// bodies drained up to 64 KiB within 5 s.
    pub fn new() -> ConnectionConfig {
        ConnectionConfig::default()
    }

    /// `Some(true)`: pipeline at once. `Some(false)`: one request, sent with
    /// `Connection: close`. `None` (default): send the first request alone and decide from
    /// its response (RFC 9112 §9.3).
    pub fn persistent(mut self, persistent: Option<bool>) -> Self {
        self.persistent = persistent;
        self
    }

    /// A hook run exactly once when the connection ends, whatever the way, before its
    /// outstanding requests fail.
    pub fn finalise(mut self, hook: impl Fn(&Connection) + Send + Sync + 'static) -> Self {
        self.finalise = Some(Arc::new(hook));
        self
    }

    /// A hook run for each interim response (1xx other than 101), which is otherwise skipped.
    pub fn on_interim(
        mut self,
        hook: impl Fn(&http::Response<()>) + Send + Sync + 'static,
    ) -> Self {
        self.on_interim = Some(Arc::new(hook));
        self
    }

    /// Limits for parsing responses.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The context used to resolve and connect (host overrides, bind address).
    pub fn ctx(mut self, ctx: Ctx) -> Self {
        self.ctx = ctx;
        self
    }

    /// Half-closes the write side after the last request once shut down (off by default:
    /// some servers abort responses when they read end of stream).
    pub fn half_close_on_shutdown(mut self, on: bool) -> Self {
        self.half_close_on_shutdown = on;
        self
    }

    /// The `Host` used for requests whose URI has no authority.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Bound on establishing the connection; past it every queued request fails with a
    /// timeout error.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Bound on waiting for a response head once its request is written; past it the
    /// connection fails: requests in flight with a timeout error, waiting ones with the
    /// retry error (not written).
    pub fn head_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// Bytes of a dropped, unread response body drained before the connection is closed
    /// instead (default 64 KiB).
    pub fn drain_limit(mut self, bytes: u64) -> Self {
        self.drain_limit = bytes;
        self
    }

    /// Time allowed for draining a dropped, unread response body (default 5 s).
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// The persistence setting.
    pub fn get_persistent(&self) -> Option<bool> {
        self.persistent
    }

    /// The context.
    pub fn get_ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The connect timeout.
    pub fn get_connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// The response head timeout.
    pub fn get_head_timeout(&self) -> Option<Duration> {
        self.head_timeout
    }
}
