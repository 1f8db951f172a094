//! The buffer helpers over `futures-io` that the client and the server share.
//!
//! Reading goes into the spare room of one [`BytesMut`] per connection, so heads are
//! parsed in place and bodies split from it without copying. This crate forbids
//! `unsafe`, so the room is zero-filled before each read (a `memset` of at most
//! [`MAX_READ`] bytes).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_io::{AsyncRead, AsyncWrite};

/// The most one read asks for.
pub const MAX_READ: usize = 64 * 1024;

/// Reads once from `r` into `buf`'s spare room, reserving `at_least` bytes first.
/// `Ok(0)` is end of stream.
pub fn poll_read_buf<R: AsyncRead + Unpin + ?Sized>(
    r: &mut R,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    at_least: usize,
) -> Poll<io::Result<usize>> {
    let start = buf.len();
    buf.reserve(at_least.max(1));
    let room = (buf.capacity() - start).min(MAX_READ);
    buf.resize(start + room, 0);
    match Pin::new(r).poll_read(cx, &mut buf[start..]) {
        Poll::Ready(Ok(n)) => {
            buf.truncate(start + n.min(room));
            Poll::Ready(Ok(n.min(room)))
        }
        other => {
            buf.truncate(start);
            other
        }
    }
}

/// Reads once from `r` into `buf` (see [`poll_read_buf`]).
pub fn read_buf<'a, R: AsyncRead + Unpin + ?Sized>(
    r: &'a mut R,
    buf: &'a mut BytesMut,
    at_least: usize,
) -> impl Future<Output = io::Result<usize>> + 'a {
    futures_util::future::poll_fn(move |cx| poll_read_buf(r, cx, buf, at_least))
}

/// Writes all of `data`, looping on short writes, then flushes.
pub async fn write_all<W: AsyncWrite + Unpin + ?Sized>(w: &mut W, data: &[u8]) -> io::Result<()> {
    let mut rest = data;
    while !rest.is_empty() {
        let n = futures_util::future::poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, rest)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        rest = &rest[n.min(rest.len())..];
    }
    futures_util::future::poll_fn(|cx| Pin::new(&mut *w).poll_flush(cx)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;

    #[test]
    fn reads_append_and_eof_is_zero() {
        block_on(async {
            let mut src: &[u8] = b"hello";
            let mut buf = BytesMut::from(&b">"[..]);
            let n = read_buf(&mut src, &mut buf, 16).await.unwrap();
            assert_eq!(n, 5);
            assert_eq!(&buf[..], b">hello");
            assert_eq!(read_buf(&mut src, &mut buf, 16).await.unwrap(), 0);
            assert_eq!(&buf[..], b">hello");
        })
    }

    #[test]
    fn write_all_writes_everything() {
        block_on(async {
            let mut out = futures_util::io::Cursor::new(Vec::new());
            write_all(&mut out, b"abc").await.unwrap();
            assert_eq!(out.into_inner(), b"abc");
        })
    }
}
