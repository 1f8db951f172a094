//! Body framing for the wire: [`Encoder`] for fixed-length, chunked and close-delimited
//! bodies.
//!
//! The encoder appends framed bytes to an output buffer, so a writer can coalesce many
//! messages into one write. A fixed-length body that would be longer or shorter than
//! announced is refused rather than sent: a wrong length corrupts every later message
//! on the connection.
//!
//! ```
//! use cohttp_core::body::TransferEncoding;
//! use cohttp_core::h1::Encoder;
//!
//! let mut out = Vec::new();
//! let mut e = Encoder::for_length(TransferEncoding::Chunked);
//! e.encode(b"abc", &mut out).unwrap();
//! e.encode(b"", &mut out).unwrap(); // empty chunks are skipped
//! e.finish(None, &mut out).unwrap();
//! assert_eq!(out, b"3\r\nabc\r\n0\r\n\r\n");
//! ```

use std::io::Write;

use http::HeaderMap;

use crate::body::TransferEncoding;
use crate::error::{Error, Malformed, Result};

/// Frames one message body. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoder {
    /// `Content-Length` framing with this many bytes still to send.
    Fixed {
        /// Bytes still to send.
        remaining: u64,
    },
    /// Chunked framing.
    Chunked,
    /// No framing: the body ends when the connection closes.
    CloseDelimited,
}

impl Encoder {
    /// The encoder for a body of this transfer encoding.
    pub fn for_length(te: TransferEncoding) -> Encoder {
        match te {
            TransferEncoding::Fixed(n) => Encoder::Fixed { remaining: n },
            TransferEncoding::Chunked => Encoder::Chunked,
        }
    }

    /// Appends `data`, framed, to `dst`.
    pub fn encode(&mut self, data: &[u8], dst: &mut Vec<u8>) -> Result<()> {
        match self {
            Encoder::Fixed { remaining } => {
                if data.len() as u64 > *remaining {
                    return Err(Error::usage(
                        "body is longer than its announced Content-Length",
                    ));
                }
                *remaining -= data.len() as u64;
                dst.extend_from_slice(data);
            }
            Encoder::Chunked => {
                if !data.is_empty() {
                    // Writing to a Vec cannot fail.
                    let _ = write!(dst, "{:x}\r\n", data.len());
                    dst.extend_from_slice(data);
                    dst.extend_from_slice(b"\r\n");
                }
            }
            Encoder::CloseDelimited => dst.extend_from_slice(data),
        }
        Ok(())
    }

    /// Accounts for `len` body bytes that the caller writes itself, right after what
    /// this encoder wrote so far (without copying them through it): possible for a
    /// fixed length (checked as by [`encode`](Self::encode)) and close-delimited body,
    /// whose bytes go out as they are. `Ok(false)` for chunked, whose framing must
    /// surround the bytes: nothing is accounted then.
    ///
    /// ```
    /// use cohttp_core::h1::Encoder;
    ///
    /// let mut e = Encoder::Fixed { remaining: 4 };
    /// assert!(e.encode_external(4).unwrap());
    /// assert!(e.encode_external(1).is_err());
    /// assert!(!Encoder::Chunked.encode_external(4).unwrap());
    /// ```
    pub fn encode_external(&mut self, len: usize) -> Result<bool> {
        match self {
            Encoder::Fixed { remaining } => {
                if len as u64 > *remaining {
                    return Err(Error::usage(
                        "body is longer than its announced Content-Length",
                    ));
                }
                *remaining -= len as u64;
                Ok(true)
            }
            Encoder::CloseDelimited => Ok(true),
            Encoder::Chunked => Ok(false),
        }
    }

    /// Appends the end of the body to `dst`: for chunked, the last chunk and the
    /// trailer fields. Fails if a fixed-length body is missing bytes.
    pub fn finish(&mut self, trailers: Option<&HeaderMap>, dst: &mut Vec<u8>) -> Result<()> {
        match self {
            Encoder::Fixed { remaining: 0 } | Encoder::CloseDelimited => Ok(()),
            Encoder::Fixed { .. } => Err(Error::usage(
                "body is shorter than its announced Content-Length",
            )),
            Encoder::Chunked => {
                dst.extend_from_slice(b"0\r\n");
                if let Some(t) = trailers {
                    for (name, value) in t {
                        if has_forbidden_bytes(value.as_bytes()) {
                            return Err(Error::malformed(Malformed::InvalidUserHeader));
                        }
                        dst.extend_from_slice(name.as_str().as_bytes());
                        dst.extend_from_slice(b": ");
                        dst.extend_from_slice(value.as_bytes());
                        dst.extend_from_slice(b"\r\n");
                    }
                }
                dst.extend_from_slice(b"\r\n");
                *self = Encoder::Fixed { remaining: 0 };
                Ok(())
            }
        }
    }
}

/// CR, LF and NUL may never appear in a field value on the wire.
///
/// Eight bytes at a time, it first looks for any byte below 14 (CR is 13): in a
/// field value only a tab is, so the exact search runs only for those.
pub(crate) fn has_forbidden_bytes(v: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = v.chunks_exact(8);
    let mut low = false;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_ne_bytes(w);
        // Non-zero exactly when some byte of `x` is below 14.
        low |= x.wrapping_sub(ONES * 14) & !x & HIGHS != 0;
    }
    low |= words.remainder().iter().any(|&b| b < 14);
    low && v.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_refuses_wrong_lengths() {
        let mut out = Vec::new();
        let mut e = Encoder::for_length(TransferEncoding::Fixed(3));
        assert!(e.encode(b"abcd", &mut out).is_err());
        e.encode(b"ab", &mut out).unwrap();
        assert!(e.finish(None, &mut out).is_err());
        e.encode(b"c", &mut out).unwrap();
        e.finish(None, &mut out).unwrap();
        assert_eq!(out, b"abc");
    }

    #[test]
    fn forbidden_bytes_found_at_every_position() {
        let slow = |v: &[u8]| v.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0);
        for len in 0..=20 {
            for pos in 0..len {
                for b in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    v[pos] = b;
                    assert_eq!(has_forbidden_bytes(&v), slow(&v), "{v:?}");
                    // A tab elsewhere does not hide it, nor make one up.
                    v[(pos + 1) % len] = b'\t';
                    assert_eq!(has_forbidden_bytes(&v), slow(&v), "{v:?}");
                }
            }
        }
    }

    #[test]
    fn chunked_writes_trailers() {
        let mut out = Vec::new();
        let mut t = HeaderMap::new();
        t.insert("x-sum", "1".parse().unwrap());
        let mut e = Encoder::Chunked;
        e.encode(&[b'a'; 26], &mut out).unwrap();
        e.finish(Some(&t), &mut out).unwrap();
        assert_eq!(
            out,
            b"1a\r\naaaaaaaaaaaaaaaaaaaaaaaaaa\r\n0\r\nx-sum: 1\r\n\r\n"
        );
    }
}
