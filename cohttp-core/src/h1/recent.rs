//! What one connection's last requests said, so that a value repeated request after
//! request is checked once: the `Host` field value and the origin-form target. Clients
//! send the same `Host` on every request of a connection, and often the same target
//! (an API polled, a health check, a benchmark); checking those bytes into a
//! `HeaderValue` or a `PathAndQuery` again each time is most of what a small request
//! costs to build. Not a general cache: one entry per kind, for one connection.
//!
//! A kept value is an owned copy, never a slice of the read buffer (which it would keep
//! alive), and it is made only when the same bytes come twice in a row: a connection
//! whose requests all differ, or that carries one request, allocates nothing here. A
//! kept value is handed out only for exactly its own bytes, so what a request is built
//! from never depends on what came before (only how much work it took).

use http::header::HeaderValue;
use http::uri::PathAndQuery;

use crate::error::Result;

/// Values longer than this are neither remembered nor kept.
const RECENT_MAX: usize = 64;

/// A value that can be given back as the bytes it was made from.
pub(crate) trait AsRaw: Clone {
    /// The bytes the value was checked from.
    fn raw(&self) -> &[u8];
}

impl AsRaw for PathAndQuery {
    fn raw(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

/// The last value of one kind a connection's requests carried (see the module docs).
pub(crate) struct Recent<T> {
    /// The value made from `last`'s bytes when they came twice in a row.
    kept: Option<T>,
    /// The bytes of the last value seen (the first `len`), when it was short enough.
    last: [u8; RECENT_MAX],
    /// How many bytes of `last` are the last value; `None` when it was too long (or
    /// there was none yet).
    len: Option<u8>,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Recent {
            kept: None,
            last: [0; RECENT_MAX],
            len: None,
        }
    }
}

impl<T: AsRaw> Recent<T> {
    /// The value for `raw`: the kept one when it was made from the same bytes; else
    /// `owned()`, kept, when `raw` repeats the last value seen; else `shared()`. Both
    /// makers must check `raw` the same way (they differ only in where the bytes live),
    /// so the result, error or value, is the same whichever is used.
    pub(crate) fn value(
        &mut self,
        raw: &[u8],
        shared: impl FnOnce() -> Result<T>,
        owned: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        if let Some(kept) = &self.kept {
            if kept.raw() == raw {
                // The last value seen is now the kept one, not what `last` holds: a
                // value alternating with the kept one is not twice in a row.
                self.len = None;
                return Ok(kept.clone());
            }
        }
        if raw.len() > RECENT_MAX {
            self.len = None;
            return shared();
        }
        if self.len.map(usize::from) == Some(raw.len()) && self.last[..raw.len()] == *raw {
            let value = owned()?;
            // Kept only when it gives back exactly `raw` (a maker may accept less).
            if value.raw() == raw {
                self.kept = Some(value.clone());
            }
            return Ok(value);
        }
        self.last[..raw.len()].copy_from_slice(raw);
        // At most RECENT_MAX (64): fits.
        self.len = Some(raw.len() as u8);
        shared()
    }

    /// The value kept, if any.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> Option<&T> {
        self.kept.as_ref()
    }
}

/// A `Host` field value, and whether it is a valid `Host` when that was found out as
/// it was kept (a kept value's bytes never change, nor does the answer).
#[derive(Clone)]
pub(crate) struct HostValue {
    /// The field value.
    pub(crate) value: HeaderValue,
    /// Whether it is a valid `Host` (RFC 9112 §3.2), when known.
    pub(crate) valid: Option<bool>,
}

impl AsRaw for HostValue {
    fn raw(&self) -> &[u8] {
        self.value.as_bytes()
    }
}

/// A connection's recent `Host` value and origin-form target.
#[derive(Default)]
pub(crate) struct RecentFields {
    /// The `Host` field value.
    pub(crate) host: Recent<HostValue>,
    /// The origin-form request target.
    pub(crate) target: Recent<PathAndQuery>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, Malformed};
    use bytes::Bytes;
    use std::cell::Cell;

    // The server keeps `HostValue`s; these tests exercise the memory on bare values.
    impl AsRaw for HeaderValue {
        fn raw(&self) -> &[u8] {
            self.as_bytes()
        }
    }

    /// Makes values from `buf` (shared) or from a copy (owned), counting each kind.
    struct Makers {
        shared: Cell<usize>,
        owned: Cell<usize>,
    }

    impl Makers {
        fn new() -> Self {
            Makers {
                shared: Cell::new(0),
                owned: Cell::new(0),
            }
        }

        fn get(&self, recent: &mut Recent<HeaderValue>, buf: &Bytes) -> Result<HeaderValue> {
            let check = |v: std::result::Result<HeaderValue, _>| {
                v.map_err(|_| Error::malformed(Malformed::HeaderValue))
            };
            recent.value(
                buf,
                || {
                    self.shared.set(self.shared.get() + 1);
                    check(HeaderValue::from_maybe_shared(buf.clone()))
                },
                || {
                    self.owned.set(self.owned.get() + 1);
                    check(HeaderValue::from_bytes(buf))
                },
            )
        }

        fn counts(&self) -> (usize, usize) {
            (self.shared.get(), self.owned.get())
        }
    }

    #[test]
    fn a_value_is_kept_when_it_comes_twice_in_a_row_then_reused() {
        let (mut recent, m) = (Recent::default(), Makers::new());
        let host = Bytes::from_static(b"example.com:8080");
        for _ in 0..5 {
            assert_eq!(m.get(&mut recent, &host).unwrap(), "example.com:8080");
        }
        // First seen: shared; second: owned and kept; then the kept one, three times.
        assert_eq!(m.counts(), (1, 1));
    }

    #[test]
    fn values_that_all_differ_are_never_kept() {
        let (mut recent, m) = (Recent::default(), Makers::new());
        for i in 0..10 {
            let host = Bytes::from(format!("h{i}.example"));
            assert_eq!(m.get(&mut recent, &host).unwrap(), host.as_ref());
        }
        assert_eq!(m.counts(), (10, 0));
        assert!(recent.kept.is_none());
    }

    #[test]
    fn a_kept_value_is_given_only_for_its_own_bytes() {
        let (mut recent, m) = (Recent::default(), Makers::new());
        let a = Bytes::from_static(b"a.example");
        let b = Bytes::from_static(b"b.example");
        for v in [&a, &a, &b, &a, &b, &b, &b] {
            assert_eq!(m.get(&mut recent, v).unwrap(), v.as_ref());
        }
        // a (shared), a (owned, kept), b (shared), a (kept), b (the last seen was a:
        // shared), b (owned, kept), b (kept).
        assert_eq!(m.counts(), (3, 2));
    }

    #[test]
    fn a_value_alternating_with_the_kept_one_is_never_made_owned() {
        let (mut recent, m) = (Recent::default(), Makers::new());
        let a = Bytes::from_static(b"/plaintext");
        let b = Bytes::from_static(b"/plaintext?y");
        m.get(&mut recent, &a).unwrap();
        m.get(&mut recent, &a).unwrap();
        assert_eq!(m.counts(), (1, 1));
        for _ in 0..10 {
            m.get(&mut recent, &b).unwrap();
            m.get(&mut recent, &a).unwrap();
        }
        // b each time by a shared slice, a kept: no copy made after the first.
        assert_eq!(m.counts(), (11, 1));
    }

    #[test]
    fn a_kept_value_does_not_hold_the_buffer_it_was_read_from() {
        let mut recent = Recent::default();
        let m = Makers::new();
        let buf = Bytes::from(b"GET / HTTP/1.1\r\nHost: held.example\r\n\r\n".to_vec());
        let host = buf.slice(22..34);
        m.get(&mut recent, &host).unwrap();
        m.get(&mut recent, &host).unwrap();
        let kept = recent.kept.as_ref().expect("kept after two");
        let range = buf.as_ptr_range();
        assert!(!range.contains(&kept.as_bytes().as_ptr()));
    }

    #[test]
    fn long_values_are_never_kept() {
        let (mut recent, m) = (Recent::default(), Makers::new());
        let long = Bytes::from("x".repeat(RECENT_MAX + 1));
        let edge = Bytes::from("y".repeat(RECENT_MAX));
        for _ in 0..3 {
            m.get(&mut recent, &long).unwrap();
        }
        assert_eq!(m.counts(), (3, 0));
        for _ in 0..3 {
            m.get(&mut recent, &edge).unwrap();
        }
        assert_eq!(m.counts(), (4, 1));
    }

    #[test]
    fn an_invalid_value_is_refused_every_time_and_never_kept() {
        let (mut recent, m) = (Recent::default(), Makers::new());
        let bad = Bytes::from_static(b"bad\x7fhost");
        for _ in 0..3 {
            let e = m.get(&mut recent, &bad).unwrap_err();
            assert_eq!(
                e.kind(),
                &crate::ErrorKind::Malformed(Malformed::HeaderValue)
            );
        }
        assert!(recent.kept.is_none());
    }

    #[test]
    fn the_empty_value_is_remembered_like_any_other() {
        let (mut recent, m) = (Recent::default(), Makers::new());
        let empty = Bytes::new();
        for _ in 0..3 {
            assert_eq!(m.get(&mut recent, &empty).unwrap(), "");
        }
        assert_eq!(m.counts(), (1, 1));
    }
}
