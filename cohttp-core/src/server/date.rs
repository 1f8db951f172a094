//! The `Date` header: IMF-fixdate formatting (RFC 9110 §5.6.7), cached per second.
//!
//! The runtime's clock is an [`Instant`] (virtual on the mock backend), so wall time is
//! derived as a [`SystemTime`] origin plus the clock's elapsed time since the server
//! started. A [`DateCache`] formats the header at most once per second of that clock;
//! each connection keeps one, so no lock is taken per response.
//!
//! This file does not parse dates.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use cohttp_core::server::http_date;
//!
//! let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
//! assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
//! ```

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::HeaderValue;

/// Formats `t` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form of `Date`,
/// `Expires` and `Last-Modified`. Times before 1970 are formatted as 1970.
pub fn http_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let mut out = [0u8; 29];
    format_into(secs, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the 29 bytes of the IMF-fixdate of `secs` seconds since the epoch.
fn format_into(secs: u64, out: &mut [u8; 29]) {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (hour, min, sec) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let (year, month, day) = civil_from_days(days);
    // Years past 9999 do not fit the format; they are clamped (not reachable in practice).
    let year = year.min(9999);
    let weekday = DAYS[(days % 7) as usize];
    let month = MONTHS[month.saturating_sub(1) as usize % 12];
    let digit = |n: u64| b'0' + (n % 10) as u8;
    out[0..3].copy_from_slice(weekday);
    out[3] = b',';
    out[4] = b' ';
    out[5] = digit(day / 10);
    out[6] = digit(day);
    out[7] = b' ';
    out[8..11].copy_from_slice(month);
    out[11] = b' ';
    out[12] = digit(year / 1000);
    out[13] = digit(year / 100);
    out[14] = digit(year / 10);
    out[15] = digit(year);
    out[16] = b' ';
    out[17] = digit(hour / 10);
    out[18] = digit(hour);
    out[19] = b':';
    out[20] = digit(min / 10);
    out[21] = digit(min);
    out[22] = b':';
    out[23] = digit(sec / 10);
    out[24] = digit(sec);
    out[25..29].copy_from_slice(b" GMT");
}

/// (year, month 1–12, day 1–31) of a count of days since 1970-01-01, by the
/// proleptic Gregorian calendar (the era-based method: 400-year cycles of 146 097 days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Wall time from the runtime clock: the [`SystemTime`] at an [`Instant`] origin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WallClock {
    origin_wall: SystemTime,
    origin: Instant,
}

impl WallClock {
    /// A wall clock reading `wall` at the runtime instant `now`.
    pub(crate) fn new(wall: SystemTime, now: Instant) -> WallClock {
        WallClock {
            origin_wall: wall,
            origin: now,
        }
    }

    /// The wall time at runtime instant `now`.
    pub(crate) fn at(&self, now: Instant) -> SystemTime {
        self.origin_wall + now.saturating_duration_since(self.origin)
    }
}

/// One connection's `Date` value, formatted again only when the second changed.
#[derive(Debug)]
pub(crate) struct DateCache {
    clock: WallClock,
    second: Option<u64>,
    /// The runtime instant at which the cached second ends.
    until: Option<Instant>,
    /// The whole field line: `date: ` + the value + CRLF.
    line: [u8; DATE_LINE],
    value: HeaderValue,
}

/// The length of a `Date` field line: `date: `, 29 bytes of value, CRLF.
pub(crate) const DATE_LINE: usize = 6 + 29 + 2;

/// The `Date` field line for a 29-byte value.
fn date_line(value: &[u8; 29]) -> [u8; DATE_LINE] {
    let mut line = [0u8; DATE_LINE];
    line[..6].copy_from_slice(b"date: ");
    line[6..35].copy_from_slice(value);
    line[35..].copy_from_slice(b"\r\n");
    line
}

impl DateCache {
    pub(crate) fn new(clock: WallClock) -> DateCache {
        const EPOCH: &str = "Thu, 01 Jan 1970 00:00:00 GMT";
        let mut raw = [0u8; 29];
        raw.copy_from_slice(EPOCH.as_bytes());
        DateCache {
            clock,
            second: None,
            until: None,
            line: date_line(&raw),
            value: HeaderValue::from_static(EPOCH),
        }
    }

    /// The `Date` value at runtime instant `now` (a cheap clone of a cached value).
    pub(crate) fn header(&mut self, now: Instant) -> HeaderValue {
        self.refresh(now);
        self.value.clone()
    }

    /// The `Date` field line at runtime instant `now`, as the server writes it
    /// (`date: Sun, 06 Nov 1994 08:49:37 GMT` CRLF).
    pub(crate) fn line(&mut self, now: Instant) -> &[u8; DATE_LINE] {
        self.refresh(now);
        &self.line
    }

    /// Formats the value again when `now` is in another second than the cached one.
    fn refresh(&mut self, now: Instant) {
        // Within the cached second: one comparison (the wall time here is derived
        // from the runtime's monotonic clock, so the second's end is known).
        if self.until.is_some_and(|until| now < until) {
            return;
        }
        let since_epoch = self
            .clock
            .at(now)
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let secs = since_epoch.as_secs();
        let left = Duration::from_secs(1) - Duration::from_nanos(since_epoch.subsec_nanos().into());
        self.until = now.checked_add(left);
        if self.second != Some(secs) {
            let mut out = [0u8; 29];
            format_into(secs, &mut out);
            if let Ok(v) = HeaderValue::from_bytes(&out) {
                self.value = v;
                self.line = date_line(&out);
                self.second = Some(secs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> String {
        http_date(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn formats_known_dates() {
        assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(at(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(at(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(at(1_709_164_800), "Thu, 29 Feb 2024 00:00:00 GMT");
        assert_eq!(at(4_107_542_399), "Sun, 28 Feb 2100 23:59:59 GMT");
        assert_eq!(at(4_107_542_400), "Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(at(253_402_300_799), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn before_the_epoch_is_the_epoch() {
        let t = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(http_date(t), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn cache_formats_again_only_when_the_second_changes() {
        let start = Instant::now();
        let clock = WallClock::new(UNIX_EPOCH + Duration::from_secs(784_111_777), start);
        let mut cache = DateCache::new(clock);
        assert_eq!(cache.header(start), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(cache.second, Some(784_111_777));
        assert_eq!(
            cache.header(start + Duration::from_millis(999)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            cache.header(start + Duration::from_millis(1000)),
            "Sun, 06 Nov 1994 08:49:38 GMT"
        );
        assert_eq!(cache.second, Some(784_111_778));
        assert_eq!(
            &cache.line(start + Duration::from_millis(1000))[..],
            b"date: Sun, 06 Nov 1994 08:49:38 GMT\r\n"
        );
    }
}
