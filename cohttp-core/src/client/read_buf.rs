//! The client reader's reads: bytes come off the transport into a scratch region that is
//! zeroed once and kept, then are appended to the parse buffer.
//!
//! `cohttp-core` forbids `unsafe`, so a read cannot go straight into a [`BytesMut`]'s
//! uninitialised spare room: that room would have to be zero-filled before every read
//! (`h1::io::poll_read_buf` does so), which costs a `memset` of the whole room per poll,
//! `Pending` polls included — for small responses, far more than the bytes read. Here the
//! zeroing is paid once per connection, and each read costs a copy of the bytes it got.
//! The scratch starts small and doubles (up to [`MAX_READ`]) when a read fills it, so bulk
//! bodies still move in large reads. This file is the read step only; parsing and
//! decoding are in `reader.rs`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_io::AsyncRead;

use crate::h1::io::MAX_READ;

/// The scratch region's first size.
const INITIAL: usize = 8 * 1024;

/// A connection's read scratch (see the module docs).
pub(crate) struct ReadBuf {
    scratch: Vec<u8>,
}

impl ReadBuf {
    pub(crate) fn new() -> ReadBuf {
        ReadBuf {
            scratch: vec![0; INITIAL],
        }
    }

    /// Reads once from `r` and appends what came to `buf`. `Ok(0)` is end of stream.
    pub(crate) fn poll_read<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        r: &mut R,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        let room = self.scratch.len();
        let n = match Pin::new(r).poll_read(cx, &mut self.scratch) {
            Poll::Ready(Ok(n)) => n.min(room),
            other => return other,
        };
        buf.extend_from_slice(self.scratch.get(..n).unwrap_or_default());
        if n == room && room < MAX_READ {
            // The transport had more than the room: read larger from now on.
            self.scratch.resize((room * 2).min(MAX_READ), 0);
        }
        Poll::Ready(Ok(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(rb: &mut ReadBuf, src: &mut &[u8], buf: &mut BytesMut) -> usize {
        futures_executor::block_on(futures_util::future::poll_fn(|cx| {
            rb.poll_read(src, cx, buf)
        }))
        .unwrap()
    }

    #[test]
    fn reads_append_and_the_room_grows_when_filled() {
        let data = vec![7u8; INITIAL * 3];
        let mut src: &[u8] = &data;
        let mut rb = ReadBuf::new();
        let mut buf = BytesMut::from(&b">"[..]);
        assert_eq!(read(&mut rb, &mut src, &mut buf), INITIAL);
        assert_eq!(rb.scratch.len(), INITIAL * 2);
        assert_eq!(read(&mut rb, &mut src, &mut buf), INITIAL * 2);
        assert_eq!(read(&mut rb, &mut src, &mut buf), 0);
        assert_eq!(buf.len(), 1 + INITIAL * 3);
        assert_eq!(&buf[..1], b">");
        assert!(buf[1..].iter().all(|&b| b == 7));
    }
}
