//! The buffer helpers over `futures-io` that the client and the server share.
//!
//! Reading goes into one [`BytesMut`] per connection, so heads are parsed in place and
//! bodies split from it without copying. This crate forbids `unsafe`, so a read cannot
//! target uninitialized memory: each read goes into a per-thread scratch buffer that
//! was zero-filled once, and only the bytes read are copied into the connection's
//! buffer. A connection's buffer thus grows to what its peer sends, never to the read
//! size, and no read pays for zero-filling room it does not use.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_io::{AsyncRead, AsyncWrite};

/// The most one read asks for.
pub const MAX_READ: usize = 64 * 1024;

thread_local! {
    /// Where reads land before their bytes are copied to a connection's buffer:
    /// [`MAX_READ`] bytes, zero-filled once per thread.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; MAX_READ].into_boxed_slice());
}

/// Reads once from `r` and appends what it read to `buf`, asking for `at_least` bytes
/// or `buf`'s spare capacity, whichever is more (at most [`MAX_READ`]). `Ok(0)` is end
/// of stream.
pub fn poll_read_buf<R: AsyncRead + Unpin + ?Sized>(
    r: &mut R,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    at_least: usize,
) -> Poll<io::Result<usize>> {
    let want = at_least.max(buf.capacity() - buf.len()).clamp(1, MAX_READ);
    let scratch = SCRATCH.try_with(|cell| {
        // Taken already: a transport whose read reads another connection on this
        // thread (a tunnel). That read then zero-fills its own room.
        let mut scratch = cell.try_borrow_mut().ok()?;
        Some(
            match Pin::new(&mut *r).poll_read(cx, &mut scratch[..want]) {
                Poll::Ready(Ok(n)) => {
                    let n = n.min(want);
                    buf.extend_from_slice(&scratch[..n]);
                    Poll::Ready(Ok(n))
                }
                other => other,
            },
        )
    });
    match scratch {
        Ok(Some(polled)) => polled,
        _ => poll_read_zeroed(r, cx, buf, want),
    }
}

/// [`poll_read_buf`] without the scratch buffer: into `buf`'s own room, zero-filled.
fn poll_read_zeroed<R: AsyncRead + Unpin + ?Sized>(
    r: &mut R,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    want: usize,
) -> Poll<io::Result<usize>> {
    let start = buf.len();
    buf.resize(start + want, 0);
    match Pin::new(r).poll_read(cx, &mut buf[start..]) {
        Poll::Ready(Ok(n)) => {
            buf.truncate(start + n.min(want));
            Poll::Ready(Ok(n.min(want)))
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

    /// A reader whose every read reads, through `poll_read_buf`, from another reader:
    /// the nested read finds the scratch buffer taken and zero-fills instead.
    struct Nested<'a>(&'a [u8]);

    impl AsyncRead for Nested<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            out: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let mut inner = BytesMut::new();
            let n = futures_util::ready!(poll_read_buf(&mut self.0, cx, &mut inner, 4))?;
            out[..n].copy_from_slice(&inner[..n]);
            Poll::Ready(Ok(n))
        }
    }

    #[test]
    fn nested_reads_on_one_thread_do_not_share_the_scratch_buffer() {
        block_on(async {
            let mut src = Nested(b"tunnelled");
            let mut buf = BytesMut::new();
            let mut total = 0;
            loop {
                let n = read_buf(&mut src, &mut buf, 8).await.unwrap();
                if n == 0 {
                    break;
                }
                total += n;
            }
            assert_eq!(total, 9);
            assert_eq!(&buf[..], b"tunnelled");
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
