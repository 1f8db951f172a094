//! `Range` requests on one representation (RFC 9110 §14): [`ByteRange`] and
//! [`parse_range`], which reads a `Range` field against a length.
//!
//! Only one range is served: a field with several ranges is answered with the whole
//! representation (`200`), which RFC 9110 §14.2 allows ("a server MAY ignore the Range
//! header field"), and so is a field that is not a valid `bytes` range set. This file
//! decides; it reads no file and writes no response.
//!
//! ```
//! use cohttp_core::server::{parse_range, ByteRange, RangeAnswer};
//!
//! assert_eq!(parse_range("bytes=0-9", 100), RangeAnswer::Partial(ByteRange { start: 0, end: 9 }));
//! assert_eq!(parse_range("bytes=-10", 100), RangeAnswer::Partial(ByteRange { start: 90, end: 99 }));
//! assert_eq!(parse_range("bytes=100-", 100), RangeAnswer::Unsatisfiable);
//! assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeAnswer::Whole);
//! ```

/// An inclusive range of byte positions, `start..=end` (RFC 9110 §14.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte position.
    pub start: u64,
    /// Last byte position, inclusive.
    pub end: u64,
}

impl ByteRange {
    /// The number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    /// Always `false`: a range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `Content-Range` value of this range of a representation of `total` bytes
    /// (`bytes 0-9/100`).
    pub fn content_range(&self, total: u64) -> String {
        format!("bytes {}-{}/{total}", self.start, self.end)
    }
}

/// What to answer to a `Range` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// Send the whole representation with `200`: the field is not a single valid
    /// `bytes` range (several ranges, another unit, a syntax error).
    Whole,
    /// Send this part with `206 Partial Content` and `Content-Range`.
    Partial(ByteRange),
    /// `416 Range Not Satisfiable`, with `Content-Range: bytes */<length>`.
    Unsatisfiable,
}

/// Reads a `Range` field value against a representation of `length` bytes.
///
/// Accepts `bytes=first-last`, `bytes=first-` and `bytes=-suffix` (the unit is
/// case-insensitive, whitespace around the range is allowed). A `last` past the end is
/// clipped to the end; a `first` at or past the end, or a zero suffix, is
/// unsatisfiable; a suffix longer than the representation means all of it.
pub fn parse_range(value: &str, length: u64) -> RangeAnswer {
    let Some((unit, set)) = value.split_once('=') else {
        return RangeAnswer::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || set.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return RangeAnswer::Whole;
    };
    match (number(first), number(last)) {
        (Some(first), last) if last.is_some() || last_is_empty(last, set) => {
            if last.is_some_and(|l| l < first) {
                return RangeAnswer::Whole;
            }
            if first >= length {
                return RangeAnswer::Unsatisfiable;
            }
            let end = last.map_or(length - 1, |l| l.min(length - 1));
            RangeAnswer::Partial(ByteRange { start: first, end })
        }
        (None, Some(suffix)) if first.is_empty() => {
            if suffix == 0 || length == 0 {
                return RangeAnswer::Unsatisfiable;
            }
            RangeAnswer::Partial(ByteRange {
                start: length.saturating_sub(suffix),
                end: length - 1,
            })
        }
        _ => RangeAnswer::Whole,
    }
}

/// Whether the `last-pos` part of `first-last` is empty (an open range `first-`).
fn last_is_empty(last: Option<u64>, set: &str) -> bool {
    last.is_none() && set.trim().ends_with('-')
}

/// A non-empty run of ASCII digits that fits in a `u64`.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(start: u64, end: u64) -> RangeAnswer {
        RangeAnswer::Partial(ByteRange { start, end })
    }

    #[test]
    fn single_ranges_of_each_form() {
        assert_eq!(parse_range("bytes=0-0", 10), partial(0, 0));
        assert_eq!(parse_range("bytes=2-5", 10), partial(2, 5));
        assert_eq!(parse_range("bytes=2-", 10), partial(2, 9));
        assert_eq!(parse_range("bytes=-3", 10), partial(7, 9));
        assert_eq!(parse_range("BYTES= 2-5 ", 10), partial(2, 5));
    }

    #[test]
    fn last_past_the_end_is_clipped_and_long_suffix_is_everything() {
        assert_eq!(parse_range("bytes=5-1000", 10), partial(5, 9));
        assert_eq!(parse_range("bytes=-1000", 10), partial(0, 9));
    }

    #[test]
    fn unsatisfiable_ranges() {
        assert_eq!(parse_range("bytes=10-", 10), RangeAnswer::Unsatisfiable);
        assert_eq!(parse_range("bytes=10-20", 10), RangeAnswer::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), RangeAnswer::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), RangeAnswer::Unsatisfiable);
        assert_eq!(parse_range("bytes=-5", 0), RangeAnswer::Unsatisfiable);
    }

    #[test]
    fn invalid_or_multiple_ranges_mean_the_whole_file() {
        for v in [
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=5-2",
            "bytes=a-b",
            "bytes=-",
            "bytes=1",
            "bytes",
            "bytes=+1-2",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(parse_range(v, 10), RangeAnswer::Whole, "{v}");
        }
    }

    #[test]
    fn content_range_values() {
        let r = ByteRange { start: 0, end: 9 };
        assert_eq!(r.content_range(100), "bytes 0-9/100");
        assert_eq!(r.len(), 10);
    }
}
