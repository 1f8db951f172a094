//! HTTP dates (RFC 9110 §5.6.7): parsing the three formats a recipient must accept and
//! writing the one a sender must use, IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
//!
//! This file also holds the lenient cookie-date parser of RFC 6265bis §5.1.1 that
//! `Set-Cookie`'s `Expires` uses (crate-private; see [`SetCookie`](super::SetCookie)).
//! It is not a calendar library: times are [`SystemTime`]s at one-second resolution,
//! always in GMT. The server's `Date` header uses
//! [`server::http_date`](crate::server::http_date), which caches per second and never
//! fails; this module's writer refuses years it cannot write instead of clamping them.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use cohttp_core::vocab::date::{format_http_date, parse_http_date};
//!
//! let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
//! assert_eq!(format_http_date(t)?, "Sun, 06 Nov 1994 08:49:37 GMT");
//! for s in [
//!     "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
//!     "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850 format
//!     "Sun Nov  6 08:49:37 1994",       // ANSI C's asctime() format
//! ] {
//!     assert_eq!(parse_http_date(s)?, t);
//! }
//! # Ok::<(), cohttp_core::Error>(())
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::syntax::{decode_error, unsendable};
use crate::error::Result;

const DAY_NAMES: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const DAY_NAMES_LONG: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];
const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A broken-down GMT time, checked only by [`Civil::to_unix`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl Civil {
    /// Seconds since the Unix epoch, or `None` for a date that does not exist
    /// (31 February, hour 24...).
    fn to_unix(self) -> Option<i64> {
        if !(1..=12).contains(&self.month)
            || self.day < 1
            || self.day > days_in_month(self.year, self.month)
            || self.hour > 23
            || self.minute > 59
            || self.second > 60
        {
            return None;
        }
        // A leap second (60) is read as the next second's start; HTTP dates are UTC
        // without leap seconds otherwise.
        let days = days_from_civil(self.year, self.month, self.day);
        Some(
            days * 86_400
                + i64::from(self.hour) * 3600
                + i64::from(self.minute) * 60
                + i64::from(self.second),
        )
    }

    fn to_system_time(self) -> Option<SystemTime> {
        from_unix(self.to_unix()?)
    }
}

/// A `SystemTime` from seconds since the epoch, negative ones included.
fn from_unix(secs: i64) -> Option<SystemTime> {
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

/// Seconds since the epoch of a `SystemTime`, rounded down.
fn to_unix(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok(),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).ok()?;
            Some(if d.subsec_nanos() > 0 {
                -secs - 1
            } else {
                -secs
            })
        }
    }
}

/// Writes `t` as an IMF-fixdate (RFC 9110 §5.6.7), the only format a sender may
/// generate: `Sun, 06 Nov 1994 08:49:37 GMT`. Sub-second parts are dropped.
///
/// # Errors
///
/// A [`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader) error when
/// the year is outside 0–9999, which the format cannot carry.
///
/// # Examples
///
/// ```
/// use std::time::UNIX_EPOCH;
/// use cohttp_core::vocab::date::format_http_date;
///
/// assert_eq!(format_http_date(UNIX_EPOCH)?, "Thu, 01 Jan 1970 00:00:00 GMT");
/// # Ok::<(), cohttp_core::Error>(())
/// ```
pub fn format_http_date(t: SystemTime) -> Result<String> {
    let secs = to_unix(t).ok_or_else(|| unsendable("date out of range"))?;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return Err(unsendable("date year outside 0-9999"));
    }
    // 1970-01-01 was a Thursday (index 3 from Monday).
    let weekday = (days + 3).rem_euclid(7) as usize;
    let name = DAY_NAMES.get(weekday).copied().unwrap_or(b"Mon");
    let mon = MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(b"Jan");
    Ok(format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        String::from_utf8_lossy(name),
        day,
        String::from_utf8_lossy(mon),
        year,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    ))
}

/// Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7: IMF-fixdate,
/// the obsolete RFC 850 format and asctime's format.
///
/// The grammar is followed exactly (names are case-sensitive, `GMT` is required where
/// the format has it); the day name is checked to be one but not checked against the
/// date. A two-digit RFC 850 year more than 50 years in the future is read as the most
/// recent past year with the same last two digits, as §5.6.7 requires.
///
/// # Errors
///
/// An [`ErrorKind::Decode`](crate::ErrorKind::Decode) error when `s` is none of the
/// three formats or names a date that does not exist.
///
/// # Examples
///
/// ```
/// use cohttp_core::vocab::date::parse_http_date;
///
/// assert!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").is_ok());
/// assert!(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT").is_err());
/// ```
pub fn parse_http_date(s: &str) -> Result<SystemTime> {
    let now_year = to_unix(SystemTime::now())
        .map(|secs| civil_from_days(secs.div_euclid(86_400)).0)
        .unwrap_or(2000);
    parse_http_date_in(s, now_year)
}

fn parse_http_date_in(s: &str, now_year: i64) -> Result<SystemTime> {
    let b = s.as_bytes();
    let civil = imf_fixdate(b)
        .or_else(|| rfc850(b, now_year))
        .or_else(|| asctime(b))
        .ok_or_else(|| decode_error("not an HTTP-date"))?;
    civil
        .to_system_time()
        .ok_or_else(|| decode_error("HTTP-date names a time that does not exist"))
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u32, |n, d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

fn month(b: &[u8]) -> Option<u32> {
    MONTHS.iter().position(|m| *m == b).map(|i| i as u32 + 1)
}

/// `time-of-day = hour ":" minute ":" second`, two digits each.
fn time_of_day(b: &[u8]) -> Option<(u32, u32, u32)> {
    if b.len() != 8 || b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return None;
    }
    Some((
        digits(b.get(0..2)?)?,
        digits(b.get(3..5)?)?,
        digits(b.get(6..8)?)?,
    ))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(b: &[u8]) -> Option<Civil> {
    if b.len() != 29 || !DAY_NAMES.contains(&b.get(0..3)?) || b.get(3..5)? != b", " {
        return None;
    }
    if b.get(7) != Some(&b' ') || b.get(11) != Some(&b' ') || b.get(16) != Some(&b' ') {
        return None;
    }
    if b.get(25..29)? != b" GMT" {
        return None;
    }
    let (hour, minute, second) = time_of_day(b.get(17..25)?)?;
    Some(Civil {
        day: digits(b.get(5..7)?)?,
        month: month(b.get(8..11)?)?,
        year: i64::from(digits(b.get(12..16)?)?),
        hour,
        minute,
        second,
    })
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
fn rfc850(b: &[u8], now_year: i64) -> Option<Civil> {
    let comma = b.iter().position(|&c| c == b',')?;
    if !DAY_NAMES_LONG.contains(&b.get(..comma)?) {
        return None;
    }
    let rest = b.get(comma..)?;
    // ", 06-Nov-94 08:49:37 GMT"
    if rest.len() != 24 || rest.get(0..2)? != b", " {
        return None;
    }
    if rest.get(4) != Some(&b'-') || rest.get(8) != Some(&b'-') || rest.get(11) != Some(&b' ') {
        return None;
    }
    if rest.get(20..24)? != b" GMT" {
        return None;
    }
    let (hour, minute, second) = time_of_day(rest.get(12..20)?)?;
    let yy = i64::from(digits(rest.get(9..11)?)?);
    let century = now_year.div_euclid(100) * 100;
    let mut year = century + yy;
    if year > now_year + 50 {
        year -= 100;
    }
    Some(Civil {
        day: digits(rest.get(2..4)?)?,
        month: month(rest.get(5..8)?)?,
        year,
        hour,
        minute,
        second,
    })
}

/// `Sun Nov  6 08:49:37 1994`
fn asctime(b: &[u8]) -> Option<Civil> {
    if b.len() != 24 || !DAY_NAMES.contains(&b.get(0..3)?) || b.get(3) != Some(&b' ') {
        return None;
    }
    if b.get(7) != Some(&b' ') || b.get(10) != Some(&b' ') || b.get(19) != Some(&b' ') {
        return None;
    }
    let day = match b.get(8..10)? {
        [b' ', d] => digits(&[*d])?,
        dd => digits(dd)?,
    };
    let (hour, minute, second) = time_of_day(b.get(11..19)?)?;
    Some(Civil {
        day,
        month: month(b.get(4..7)?)?,
        year: i64::from(digits(b.get(20..24)?)?),
        hour,
        minute,
        second,
    })
}

/// `delimiter` of RFC 6265bis §5.1.1.
fn is_cookie_date_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2f | 0x3b..=0x40 | 0x5b..=0x60 | 0x7b..=0x7e)
}

/// `1*N DIGIT [ non-digit *OCTET ]`: the leading digits, if there are `min..=max`.
fn leading_digits(tok: &[u8], min: usize, max: usize) -> Option<u32> {
    let n = tok.iter().take_while(|b| b.is_ascii_digit()).count();
    if n < min || n > max {
        return None;
    }
    digits(tok.get(..n)?)
}

/// `hms-time [ non-digit *OCTET ]`, `hms-time = time-field ":" time-field ":" time-field`.
fn cookie_time(tok: &[u8]) -> Option<(u32, u32, u32)> {
    let mut fields = [0u32; 3];
    let mut rest = tok;
    for (i, field) in fields.iter_mut().enumerate() {
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=2).contains(&n) {
            return None;
        }
        *field = digits(rest.get(..n)?)?;
        rest = rest.get(n..)?;
        if i < 2 {
            rest = rest.strip_prefix(b":")?;
        }
    }
    match rest.first() {
        Some(b) if b.is_ascii_digit() => None,
        _ => Some((fields[0], fields[1], fields[2])),
    }
}

/// Parses a cookie-date with the algorithm of RFC 6265bis §5.1.1: lenient by design,
/// it reads all three HTTP-date formats and many malformed ones. `None` where the
/// algorithm says to fail.
pub(crate) fn parse_cookie_date(s: &str) -> Option<SystemTime> {
    let (mut time, mut day, mut mon, mut year) = (None, None, None, None);
    for tok in s
        .as_bytes()
        .split(|&b| is_cookie_date_delimiter(b))
        .filter(|t| !t.is_empty())
    {
        if time.is_none() {
            if let Some(t) = cookie_time(tok) {
                time = Some(t);
                continue;
            }
        }
        if day.is_none() {
            if let Some(d) = leading_digits(tok, 1, 2) {
                day = Some(d);
                continue;
            }
        }
        if mon.is_none() && tok.len() >= 3 {
            let head = tok.get(..3)?.to_ascii_lowercase();
            if let Some(i) = MONTHS.iter().position(|m| m.to_ascii_lowercase() == head) {
                mon = Some(i as u32 + 1);
                continue;
            }
        }
        if year.is_none() {
            if let Some(y) = leading_digits(tok, 2, 4) {
                year = Some(y);
                continue;
            }
        }
    }
    let (hour, minute, second) = time?;
    let mut year = i64::from(year?);
    if (70..=99).contains(&year) {
        year += 1900;
    } else if (0..=69).contains(&year) {
        year += 2000;
    }
    let day = day?;
    if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Civil {
        year,
        month: mon?,
        day,
        hour,
        minute,
        second,
    }
    .to_system_time()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T_1994: u64 = 784_111_777;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn rfc9110_example_dates_all_parse_to_one_time() {
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date_in(s, 2026).unwrap(), at(T_1994), "{s}");
        }
    }

    #[test]
    fn rfc850_year_more_than_50_years_ahead_is_read_in_the_past() {
        let t = parse_http_date_in("Friday, 01-Jan-77 00:00:00 GMT", 2026).unwrap();
        assert_eq!(
            format_http_date(t).unwrap(),
            "Sat, 01 Jan 1977 00:00:00 GMT"
        );
        let t = parse_http_date_in("Sunday, 01-Jan-45 00:00:00 GMT", 2026).unwrap();
        assert_eq!(
            format_http_date(t).unwrap(),
            "Sun, 01 Jan 2045 00:00:00 GMT"
        );
    }

    #[test]
    fn malformed_http_dates_are_refused() {
        for s in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1995 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Funday, 06-Nov-94 08:49:37 GMT",
        ] {
            assert!(parse_http_date_in(s, 2026).is_err(), "{s}");
        }
    }

    #[test]
    fn format_writes_imf_fixdate_before_the_epoch_too() {
        assert_eq!(
            format_http_date(at(T_1994)).unwrap(),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        let t = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(
            format_http_date(t).unwrap(),
            "Wed, 31 Dec 1969 23:59:59 GMT"
        );
        assert_eq!(
            format_http_date(at(951_782_400)).unwrap(),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
    }

    #[test]
    fn cookie_date_reads_http_dates_and_lenient_forms() {
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "06 november 1994 8:49:37",
            "Sun, 06-Nov-1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_cookie_date(s), Some(at(T_1994)), "{s}");
        }
    }

    #[test]
    fn cookie_date_fails_where_the_algorithm_says() {
        for s in [
            "Sun, 06 Nov 1994",          // no time
            "Sun, 32 Nov 1994 08:49:37", // day 32
            "Sun, 06 Nov 1600 08:49:37", // before 1601
            "Sun, 31 Feb 1994 08:49:37", // no such date
            "Sun, 06 Nov 1994 08:60:37", // minute 60
            "Sun, 06 Xyz 1994 08:49:37", // no month
            "",
        ] {
            assert_eq!(parse_cookie_date(s), None, "{s}");
        }
    }

    proptest! {
        #[test]
        fn date_parsers_never_panic(s in ".{0,40}|[A-Za-z0-9é :,-]{0,40}") {
            let _ = parse_http_date_in(&s, 2026);
            let _ = parse_cookie_date(&s);
        }

        #[test]
        fn formatted_dates_parse_back(secs in -11_644_473_600i64..253_402_300_799i64) {
            let t = from_unix(secs).unwrap();
            let s = format_http_date(t).unwrap();
            prop_assert_eq!(parse_http_date_in(&s, 2026).unwrap(), t);
            prop_assert_eq!(parse_cookie_date(&s), Some(t));
        }
    }
}
