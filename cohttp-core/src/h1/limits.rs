//! [`Limits`]: the bounds on what a peer may send, with their defaults.
//!
//! Each bound, when exceeded, is a typed [`Error`](crate::Error) of kind
//! [`ErrorKind::Limit`](crate::ErrorKind::Limit), which maps to the status a server
//! answers with (414, 431, 413 or 400; see [`Limit::status`](crate::Limit::status)).

/// Bounds on message heads and chunked framing.
///
/// ```
/// use cohttp_core::h1::Limits;
///
/// let strict = Limits { max_headers: 32, ..Limits::default() };
/// assert_eq!(strict.max_start_line, 8 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line or status line, in bytes, without its CRLF (default 8 KiB).
    pub max_start_line: usize,
    /// Most header fields in one head (default 100).
    pub max_headers: usize,
    /// Largest head, start line and fields included (default 64 KiB).
    pub max_head_bytes: usize,
    /// Longest chunk line (size and extensions), in bytes (default 4 KiB).
    pub max_chunk_ext: usize,
    /// Largest trailer section, in bytes (default 16 KiB).
    pub max_trailer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_start_line: 8 * 1024,
            max_headers: 100,
            max_head_bytes: 64 * 1024,
            max_chunk_ext: 4 * 1024,
            max_trailer_bytes: 16 * 1024,
        }
    }
}
