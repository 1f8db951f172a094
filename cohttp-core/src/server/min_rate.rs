//! The minimum data rate a peer must keep: [`MinRate`], and the bookkeeping that applies
//! it to one transfer (`Budget`).
//!
//! A timeout per wait restarts whenever bytes move, so a peer that sends (or reads) one
//! byte just before each timeout holds a connection forever: a 1 KiB body at one byte per
//! 29 s takes eight hours. A minimum rate bounds the whole transfer instead: the time the
//! server spends *waiting on the peer* during a transfer may not exceed
//! `grace + bytes moved / rate`. A trickle runs out of allowance shortly after the grace
//! period; a transfer at the rate or faster never does, however long it is. Time the
//! server spends elsewhere (the handler computing, a response body being produced) is not
//! counted against the peer. This is the rule of Apache's `mod_reqtimeout` (`MinRate`),
//! applied to response writes as well.
//!
//! This file holds the arithmetic only; `shared.rs` (request bodies) and `conn.rs`
//! (draining, writing) apply it, next to the per-wait timeouts that stay in force.
//!
//! ```
//! use std::time::Duration;
//! use cohttp_core::server::MinRate;
//!
//! let rate = MinRate::new(512, Duration::from_secs(30));
//! // 1 KiB moved: two more seconds than the grace period may be spent waiting.
//! assert_eq!(rate.allowance(1024), Duration::from_secs(32));
//! ```

use std::time::{Duration, Instant};

/// A minimum data rate: after a grace period, a peer must move at least
/// `bytes_per_second` on average, counting only the time the server waits on it (see the
/// module docs). Used by [`ServerConfig::body_min_rate`](crate::server::ServerConfig::body_min_rate)
/// and [`ServerConfig::write_min_rate`](crate::server::ServerConfig::write_min_rate).
///
/// `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinRate {
    bytes_per_second: u64,
    grace: Duration,
}

impl MinRate {
    /// At least `bytes_per_second` (at least 1) once `grace` of waiting is used up.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cohttp_core::server::MinRate;
    ///
    /// let rate = MinRate::new(0, Duration::from_secs(5));
    /// assert_eq!(rate.bytes_per_second(), 1);
    /// assert_eq!(rate.grace(), Duration::from_secs(5));
    /// ```
    pub fn new(bytes_per_second: u64, grace: Duration) -> MinRate {
        MinRate {
            bytes_per_second: bytes_per_second.max(1),
            grace,
        }
    }

    /// The rate, in bytes per second.
    pub fn bytes_per_second(&self) -> u64 {
        self.bytes_per_second
    }

    /// The waiting allowed before any byte moved.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// The most time a transfer that moved `bytes` may have spent waiting on the peer:
    /// `grace + bytes / rate`.
    pub fn allowance(&self, bytes: u64) -> Duration {
        let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(self.bytes_per_second);
        let earned = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        self.grace.saturating_add(earned)
    }
}

/// The waiting and the bytes of one transfer, against a [`MinRate`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Budget {
    /// Time spent waiting on the peer in waits that ended.
    waited: Duration,
    /// Bytes moved.
    bytes: u64,
    /// When the current wait began, while waiting.
    since: Option<Instant>,
}

impl Budget {
    /// Starts over (a new transfer).
    pub(crate) fn reset(&mut self) {
        *self = Budget::default();
    }

    /// Whether a wait is running.
    pub(crate) fn waiting(&self) -> bool {
        self.since.is_some()
    }

    /// A wait on the peer begins at `now` (nothing when one is running).
    pub(crate) fn begin(&mut self, now: Instant) {
        if self.since.is_none() {
            self.since = Some(now);
        }
    }

    /// The running wait, if any, ended at `now`.
    pub(crate) fn end(&mut self, now: Instant) {
        if let Some(since) = self.since.take() {
            self.waited = self
                .waited
                .saturating_add(now.saturating_duration_since(since));
        }
    }

    /// The running wait, if any, is not the peer's doing: forget it without counting it.
    pub(crate) fn forget_wait(&mut self) {
        self.since = None;
    }

    /// `n` more bytes moved.
    pub(crate) fn moved(&mut self, n: u64) {
        self.bytes = self.bytes.saturating_add(n);
    }

    /// When the running wait exhausts the allowance (`None` without a rate or a wait).
    pub(crate) fn deadline(&self, rate: Option<MinRate>) -> Option<Instant> {
        let (rate, since) = (rate?, self.since?);
        let left = rate.allowance(self.bytes).saturating_sub(self.waited);
        Some(since + left)
    }

    /// Whether the waiting, the running wait up to `now` included, reached the allowance.
    pub(crate) fn exhausted(&self, rate: Option<MinRate>, now: Instant) -> bool {
        let Some(rate) = rate else {
            return false;
        };
        let running = self
            .since
            .map_or(Duration::ZERO, |since| now.saturating_duration_since(since));
        self.waited.saturating_add(running) >= rate.allowance(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn allowance_grows_with_the_bytes_moved() {
        let rate = MinRate::new(100, secs(10));
        assert_eq!(rate.allowance(0), secs(10));
        assert_eq!(rate.allowance(1), secs(10) + Duration::from_millis(10));
        assert_eq!(rate.allowance(1000), secs(20));
        assert_eq!(
            MinRate::new(1, Duration::MAX).allowance(u64::MAX),
            Duration::MAX
        );
    }

    #[test]
    fn trickle_of_one_byte_per_wait_exhausts_the_budget_after_the_grace() {
        let rate = Some(MinRate::new(100, secs(10)));
        let t0 = Instant::now();
        let mut b = Budget::default();
        // One byte after 9 s of waiting: 1.01 s of allowance left.
        b.begin(t0);
        b.end(t0 + secs(9));
        b.moved(1);
        b.begin(t0 + secs(9));
        assert_eq!(
            b.deadline(rate),
            Some(t0 + secs(10) + Duration::from_millis(10))
        );
        assert!(!b.exhausted(rate, t0 + secs(10)));
        assert!(b.exhausted(rate, t0 + secs(11)));
    }

    #[test]
    fn time_not_spent_waiting_is_not_counted() {
        let rate = Some(MinRate::new(100, secs(10)));
        let t0 = Instant::now();
        let mut b = Budget::default();
        b.begin(t0);
        b.end(t0 + secs(5));
        // An hour of handler work, then a new wait: 5 s of grace left.
        b.begin(t0 + secs(3600));
        assert_eq!(b.deadline(rate), Some(t0 + secs(3605)));
        b.forget_wait();
        assert!(!b.waiting());
        assert_eq!(b.deadline(rate), None);
        assert!(!b.exhausted(None, t0 + secs(1_000_000)));
    }
}
