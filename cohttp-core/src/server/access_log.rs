//! [`AccessLog`]: a handler wrapper that logs one line per request in the Common Log
//! Format, through `log` (target `cohttp::access`, level `info`).
//!
//! The line is logged when the handler answers, so the byte count is the body's
//! declared length (`-` when it is streamed with no known length, or empty): the
//! response may still fail while it is sent. This file formats and logs; it does not
//! choose where the log goes (the application's logger does).
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use cohttp_core::server::access_log_line;
//!
//! let line = access_log_line(
//!     "127.0.0.1", UNIX_EPOCH + Duration::from_secs(784_111_777),
//!     "GET /a.txt HTTP/1.1", 200, Some(12),
//! );
//! assert_eq!(line, "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /a.txt HTTP/1.1\" 200 12");
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Request, StatusCode, Version};

use crate::body::Body;
use crate::error::Result;
use crate::runtime::{Addr, BoxFuture};
use crate::server::handler::{ConnInfo, Handler, Reply};
use crate::vocab::date::civil_from_days;

/// The `log` target of access log lines.
pub const ACCESS_LOG_TARGET: &str = "cohttp::access";

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Wraps a handler and logs each request it answers (see the module docs).
///
/// Cloning clones the inner handler.
#[derive(Clone)]
pub struct AccessLog<H> {
    inner: Arc<H>,
    clock: Clock,
}

impl<H> fmt::Debug for AccessLog<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessLog").finish_non_exhaustive()
    }
}

impl<H: Handler> AccessLog<H> {
    /// Logs the requests `inner` answers, stamped with the system time.
    pub fn new(inner: H) -> AccessLog<H> {
        AccessLog {
            inner: Arc::new(inner),
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Stamps lines with `clock` instead of the system time (for tests).
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

impl<H: Handler> Handler for AccessLog<H> {
    type Future = BoxFuture<'static, Result<Reply>>;

    fn call(&self, conn: ConnInfo, request: Request<()>, body: Body) -> Self::Future {
        let host = match conn.peer() {
            Addr::Tcp(a) => a.ip().to_string(),
            other => other.to_string(),
        };
        let line = format!(
            "{} {} {}",
            request.method(),
            request.uri(),
            version_name(request.version())
        );
        let clock = self.clock.clone();
        let answer = self.inner.call(conn, request, body);
        Box::pin(async move {
            let reply = answer.await;
            let (status, bytes) = match &reply {
                Ok(Reply::Response(r)) => (r.status(), r.body().known_length().filter(|n| *n > 0)),
                Ok(Reply::Expert(e)) => (e.head().status(), None),
                Err(e) => (
                    e.status().unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    None,
                ),
            };
            log::info!(
                target: ACCESS_LOG_TARGET,
                "{}",
                access_log_line(&host, clock(), &line, status.as_u16(), bytes)
            );
            reply
        })
    }

    fn conn_closed(&self, conn: &ConnInfo) {
        self.inner.conn_closed(conn)
    }
}

fn version_name(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// One Common Log Format line: `host - - [dd/Mon/yyyy:hh:mm:ss +0000] "request" status
/// bytes`, with `"` and `\` in the request line escaped and `-` for no bytes.
pub fn access_log_line(
    host: &str,
    at: SystemTime,
    request_line: &str,
    status: u16,
    bytes: Option<u64>,
) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let mon = MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("Jan");
    let mut escaped = String::with_capacity(request_line.len());
    for c in request_line.chars() {
        match c {
            '"' | '\\' => {
                escaped.push('\\');
                escaped.push(c);
            }
            c if c.is_control() => escaped.push('?'),
            c => escaped.push(c),
        }
    }
    let bytes = bytes.map_or_else(|| "-".to_string(), |n| n.to_string());
    format!(
        "{host} - - [{day:02}/{mon}/{year:04}:{:02}:{:02}:{:02} +0000] \"{escaped}\" {status} {bytes}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_in_the_request_line_are_escaped() {
        let line = access_log_line("::1", UNIX_EPOCH, "GET /\"x\\ HTTP/1.1", 404, None);
        assert_eq!(
            line,
            "::1 - - [01/Jan/1970:00:00:00 +0000] \"GET /\\\"x\\\\ HTTP/1.1\" 404 -"
        );
    }
}
