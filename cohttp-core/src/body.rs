//! Message bodies: [`Body`], empty, one byte string, a list of byte strings, or a stream.
//!
//! A `Body` is what a request sends and what a response carries. Bodies read from the
//! wire are streams that borrow nothing from the caller: they can be moved to another
//! task and read later. Dropping a wire body unread is allowed; the connection drains
//! it (bounded) or closes, and logs a warning.
//!
//! The [transfer encoding](Body::transfer_encoding) a body implies: a fixed length for
//! empty, byte-string and chunk-list bodies and for streams of known length; chunked
//! for other streams.
//!
//! ```
//! # futures_executor::block_on(async {
//! use cohttp_core::body::{Body, TransferEncoding};
//!
//! let body = Body::from_chunks(["one", " ", "bar"]);
//! assert_eq!(body.transfer_encoding(), TransferEncoding::Fixed(7));
//! assert_eq!(body.to_string().await.unwrap(), "one bar");
//!
//! let form = Body::from_form(&[("a", &["1", "2"][..]), ("b", &["x y"][..])]);
//! assert_eq!(form.to_string().await.unwrap(), "a=1&a=2&b=x+y");
//! # });
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{Stream, StreamExt};

use crate::error::{Error, ErrorKind, Result};

/// A boxed stream of body chunks.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send + 'static>>;

/// How a body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    /// `Content-Length` with this many bytes.
    Fixed(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A message body. See the module docs.
///
/// Implements [`Stream`] of `Result<Bytes>`: chunks come out as they were given (empty
/// ones included; the chunked encoder skips those).
pub struct Body {
    inner: Inner,
}

enum Inner {
    Empty,
    Bytes(Bytes),
    Chunks(VecDeque<Bytes>),
    Stream {
        stream: BodyStream,
        length: Option<u64>,
    },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Empty => f.write_str("Body::Empty"),
            Inner::Bytes(b) => write!(f, "Body::Bytes({} bytes)", b.len()),
            Inner::Chunks(c) => write!(f, "Body::Chunks({} chunks)", c.len()),
            Inner::Stream { length, .. } => match length {
                Some(n) => write!(f, "Body::Stream({n} bytes)"),
                None => f.write_str("Body::Stream"),
            },
        }
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl Body {
    /// The empty body.
    pub fn empty() -> Body {
        Body {
            inner: Inner::Empty,
        }
    }

    /// A body of one byte string.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Body {
        Body {
            inner: Inner::Bytes(bytes.into()),
        }
    }

    /// A body of a list of byte strings, sent in that order (a fixed length on the wire).
    pub fn from_chunks<I, B>(chunks: I) -> Body
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        Body {
            inner: Inner::Chunks(chunks.into_iter().map(Into::into).collect()),
        }
    }

    /// A body from a stream of chunks of unknown length (chunked on the wire).
    pub fn from_stream<S, E>(stream: S) -> Body
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<Error>,
    {
        Body {
            inner: Inner::Stream {
                stream: Box::pin(stream.map(|r| r.map_err(Into::into))),
                length: None,
            },
        }
    }

    /// A body from a stream whose total length is known (`Content-Length` on the wire).
    ///
    /// The stream must yield exactly `length` bytes; a writer that sees more or fewer
    /// fails the message rather than corrupt the connection.
    pub fn from_sized_stream<S, E>(stream: S, length: u64) -> Body
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<Error>,
    {
        Body {
            inner: Inner::Stream {
                stream: Box::pin(stream.map(|r| r.map_err(Into::into))),
                length: Some(length),
            },
        }
    }

    /// A body from an already boxed stream, with its length if known. Used by the wire
    /// readers of the client and the server; allocates nothing more.
    pub fn from_body_stream(stream: BodyStream, length: Option<u64>) -> Body {
        Body {
            inner: Inner::Stream { stream, length },
        }
    }

    /// An `application/x-www-form-urlencoded` body; each key keeps all its values, in
    /// order (the seed's `(string * string list) list`).
    pub fn from_form<K, V>(form: &[(K, &[V])]) -> Body
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, vs) in form {
            for v in vs.iter() {
                ser.append_pair(k.as_ref(), v.as_ref());
            }
        }
        Body::from(ser.finish())
    }

    /// The length when known without reading: empty, bytes, chunk lists, sized streams.
    pub fn known_length(&self) -> Option<u64> {
        match &self.inner {
            Inner::Empty => Some(0),
            Inner::Bytes(b) => Some(b.len() as u64),
            Inner::Chunks(c) => Some(c.iter().map(|b| b.len() as u64).sum()),
            Inner::Stream { length, .. } => *length,
        }
    }

    /// The transfer encoding this body implies (see the module docs).
    pub fn transfer_encoding(&self) -> TransferEncoding {
        match self.known_length() {
            Some(n) => TransferEncoding::Fixed(n),
            None => TransferEncoding::Chunked,
        }
    }

    /// The whole body when it is in memory in one piece (empty or one buffer): what a
    /// server can write with the head, without polling the body.
    pub(crate) fn as_slice(&self) -> Option<&[u8]> {
        match &self.inner {
            Inner::Empty => Some(&[]),
            Inner::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this body is a stream (which cannot be replayed once read).
    pub fn is_stream(&self) -> bool {
        matches!(self.inner, Inner::Stream { .. })
    }

    /// A copy of this body if it can be replayed without reading (not a stream).
    ///
    /// Used by automatic retries: a streamed body cannot be sent twice.
    pub fn try_clone(&self) -> Option<Body> {
        let inner = match &self.inner {
            Inner::Empty => Inner::Empty,
            Inner::Bytes(b) => Inner::Bytes(b.clone()),
            Inner::Chunks(c) => Inner::Chunks(c.clone()),
            Inner::Stream { .. } => return None,
        };
        Some(Body { inner })
    }

    /// The body's length, buffering a stream to measure it (the stream is replaced by
    /// its chunks, so the body can still be sent).
    pub async fn length(&mut self) -> Result<u64> {
        if let Some(n) = self.known_length() {
            return Ok(n);
        }
        let taken = std::mem::take(self);
        let chunks = taken.to_chunks().await?;
        *self = Body::from_chunks(chunks);
        Ok(self.known_length().unwrap_or(0))
    }

    /// Whether the body has no bytes. A stream is read up to its first non-empty chunk,
    /// which is kept, so nothing is lost.
    pub async fn is_empty(&mut self) -> Result<bool> {
        match &mut self.inner {
            Inner::Empty => Ok(true),
            Inner::Bytes(b) => Ok(b.is_empty()),
            Inner::Chunks(c) => Ok(c.iter().all(|b| b.is_empty())),
            Inner::Stream { stream, length } => {
                if let Some(n) = length {
                    return Ok(*n == 0);
                }
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    if !chunk.is_empty() {
                        let rest =
                            std::mem::replace(stream, Box::pin(futures_util::stream::empty()));
                        let first = futures_util::stream::once(async move { Ok(chunk) });
                        *stream = Box::pin(first.chain(rest));
                        return Ok(false);
                    }
                }
                self.inner = Inner::Empty;
                Ok(true)
            }
        }
    }

    /// All of the body in one byte string.
    pub async fn to_bytes(self) -> Result<Bytes> {
        self.to_bytes_limited(u64::MAX).await
    }

    /// All of the body in one byte string, failing with a [`crate::Limit::BodyBytes`]
    /// error past `max` bytes.
    pub async fn to_bytes_limited(self, max: u64) -> Result<Bytes> {
        let too_big = || Error::limit(crate::error::Limit::BodyBytes);
        match self.inner {
            Inner::Empty => Ok(Bytes::new()),
            Inner::Bytes(b) if b.len() as u64 <= max => Ok(b),
            Inner::Bytes(_) => Err(too_big()),
            Inner::Chunks(mut c) if c.len() == 1 => {
                let b = c.pop_front().unwrap_or_default();
                if b.len() as u64 > max {
                    return Err(too_big());
                }
                Ok(b)
            }
            inner => {
                let mut body = Body { inner };
                // A body of one chunk (a small response, say) is that chunk, not a copy:
                // the copying starts at the second chunk.
                let mut first: Option<Bytes> = None;
                let mut buf = BytesMut::new();
                while let Some(chunk) = body.next().await {
                    let chunk = chunk?;
                    let held = first.as_ref().map_or(0, Bytes::len);
                    if (held + buf.len() + chunk.len()) as u64 > max {
                        return Err(too_big());
                    }
                    match first.take() {
                        None if buf.is_empty() => first = Some(chunk),
                        None => buf.extend_from_slice(&chunk),
                        Some(f) => {
                            buf.reserve(f.len() + chunk.len());
                            buf.extend_from_slice(&f);
                            buf.extend_from_slice(&chunk);
                        }
                    }
                }
                Ok(match first {
                    Some(f) => f,
                    None => buf.freeze(),
                })
            }
        }
    }

    /// All of the body as a UTF-8 string; an [`ErrorKind::Decode`] error if it is not.
    pub async fn to_string(self) -> Result<String> {
        let bytes = self.to_bytes().await?;
        String::from_utf8(bytes.to_vec()).map_err(|e| {
            Error::new(ErrorKind::Decode)
                .with_context("body is not UTF-8")
                .with_source(e)
        })
    }

    /// The body's chunks, in order, as they were given or read.
    pub async fn to_chunks(self) -> Result<Vec<Bytes>> {
        match self.inner {
            Inner::Empty => Ok(Vec::new()),
            Inner::Bytes(b) => Ok(vec![b]),
            Inner::Chunks(c) => Ok(c.into()),
            inner => {
                let mut body = Body { inner };
                let mut out = Vec::new();
                while let Some(chunk) = body.next().await {
                    out.push(chunk?);
                }
                Ok(out)
            }
        }
    }

    /// The body as a boxed stream of chunks.
    pub fn into_stream(self) -> BodyStream {
        match self.inner {
            Inner::Stream { stream, .. } => stream,
            inner => Box::pin(Body { inner }),
        }
    }

    /// Decodes an `application/x-www-form-urlencoded` body: each key once, in order of
    /// first appearance, with all its values in order.
    pub async fn to_form(self) -> Result<Vec<(String, Vec<String>)>> {
        let bytes = self.to_bytes().await?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(&bytes) {
            match out.iter_mut().find(|(key, _)| *key == k) {
                Some((_, vs)) => vs.push(v.into_owned()),
                None => out.push((k.into_owned(), vec![v.into_owned()])),
            }
        }
        Ok(out)
    }

    /// Reads the body to its end, discarding it.
    pub async fn drain(mut self) -> Result<()> {
        while let Some(chunk) = self.next().await {
            chunk?;
        }
        Ok(())
    }

    /// A body whose every chunk is passed through `f`. The result has no known length
    /// unless `f` is applied to a body that is not a stream (then it is applied at once).
    pub fn map<F>(self, mut f: F) -> Body
    where
        F: FnMut(Bytes) -> Bytes + Send + 'static,
    {
        match self.inner {
            Inner::Empty => Body::empty(),
            Inner::Bytes(b) => Body::from_bytes(f(b)),
            Inner::Chunks(c) => Body::from_chunks(c.into_iter().map(f)),
            Inner::Stream { stream, .. } => {
                Body::from_body_stream(Box::pin(stream.map(move |r| r.map(&mut f))), None)
            }
        }
    }
}

impl Stream for Body {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match &mut this.inner {
            Inner::Empty => Poll::Ready(None),
            Inner::Bytes(_) => match std::mem::replace(&mut this.inner, Inner::Empty) {
                Inner::Bytes(b) => Poll::Ready(Some(Ok(b))),
                _ => Poll::Ready(None),
            },
            Inner::Chunks(c) => Poll::Ready(c.pop_front().map(Ok)),
            Inner::Stream { stream, .. } => stream.as_mut().poll_next(cx),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::Empty => (0, Some(0)),
            Inner::Bytes(_) => (1, Some(1)),
            Inner::Chunks(c) => (c.len(), Some(c.len())),
            Inner::Stream { stream, .. } => stream.size_hint(),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        Body::from_bytes(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Body {
        Body::from_bytes(b)
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::from_bytes(s)
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::from_bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Body {
        Body::from_bytes(Bytes::from_static(s))
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Body {
        Body::empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use futures_util::stream;

    fn streamed(parts: &[&'static str]) -> Body {
        Body::from_stream(stream::iter(
            parts
                .iter()
                .map(|p| Ok::<_, Error>(Bytes::from_static(p.as_bytes())))
                .collect::<Vec<_>>(),
        ))
    }

    #[test]
    fn transfer_encoding_follows_what_is_known() {
        assert_eq!(
            Body::empty().transfer_encoding(),
            TransferEncoding::Fixed(0)
        );
        assert_eq!(
            Body::from("abc").transfer_encoding(),
            TransferEncoding::Fixed(3)
        );
        assert_eq!(
            Body::from_chunks(["one", "", " ", "bar", ""]).transfer_encoding(),
            TransferEncoding::Fixed(7)
        );
        assert_eq!(
            streamed(&["a"]).transfer_encoding(),
            TransferEncoding::Chunked
        );
        let sized =
            Body::from_sized_stream(stream::iter(vec![Ok::<_, Error>(Bytes::from("ab"))]), 2);
        assert_eq!(sized.transfer_encoding(), TransferEncoding::Fixed(2));
    }

    #[test]
    fn length_buffers_a_stream_and_keeps_it() {
        block_on(async {
            let mut b = streamed(&["ab", "", "cde"]);
            assert_eq!(b.length().await.unwrap(), 5);
            assert_eq!(b.transfer_encoding(), TransferEncoding::Fixed(5));
            assert_eq!(b.to_string().await.unwrap(), "abcde");
        })
    }

    #[test]
    fn is_empty_keeps_the_first_chunk() {
        block_on(async {
            let mut b = streamed(&["", "x", "y"]);
            assert!(!b.is_empty().await.unwrap());
            assert_eq!(b.to_string().await.unwrap(), "xy");
            let mut e = streamed(&["", ""]);
            assert!(e.is_empty().await.unwrap());
            assert_eq!(e.to_bytes().await.unwrap(), Bytes::new());
        })
    }

    #[test]
    fn chunks_come_out_as_given() {
        block_on(async {
            let chunks = Body::from_chunks(["one", "", " ", "bar", ""])
                .to_chunks()
                .await
                .unwrap();
            assert_eq!(chunks, vec!["one", "", " ", "bar", ""]);
            let s = streamed(&["a", "b"]).to_chunks().await.unwrap();
            assert_eq!(s, vec!["a", "b"]);
        })
    }

    #[test]
    fn form_round_trip_keeps_repeated_keys_in_order() {
        block_on(async {
            let body = Body::from_form(&[
                ("k", &["1", "2"][..]),
                ("z", &["a&b=c"][..]),
                ("é", &[""][..]),
            ]);
            let form = body.to_form().await.unwrap();
            assert_eq!(
                form,
                vec![
                    ("k".to_string(), vec!["1".to_string(), "2".to_string()]),
                    ("z".to_string(), vec!["a&b=c".to_string()]),
                    ("é".to_string(), vec![String::new()]),
                ]
            );
            let interleaved = Body::from("a=1&b=2&a=3").to_form().await.unwrap();
            assert_eq!(
                interleaved[0],
                ("a".to_string(), vec!["1".to_string(), "3".to_string()])
            );
        })
    }

    #[test]
    fn to_bytes_limited_refuses_past_the_limit() {
        block_on(async {
            let e = streamed(&["abc", "def"])
                .to_bytes_limited(5)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::Limit(crate::error::Limit::BodyBytes));
            assert!(Body::from("abcdef").to_bytes_limited(5).await.is_err());
            assert_eq!(
                Body::from("abcde").to_bytes_limited(5).await.unwrap(),
                "abcde"
            );
        })
    }

    #[test]
    fn to_bytes_of_a_one_chunk_stream_is_that_chunk_and_more_chunks_are_joined() {
        let chunk = Bytes::from_static(b"Hello, World!");
        let one = Body::from_stream(stream::iter(vec![Ok::<_, Error>(chunk.clone())]));
        let out = block_on(one.to_bytes()).unwrap();
        assert_eq!(out, chunk);
        // The very bytes, not a copy.
        assert_eq!(out.as_ptr(), chunk.as_ptr());
        assert_eq!(
            &block_on(streamed(&["a", "", "bc", "d"]).to_bytes()).unwrap()[..],
            b"abcd"
        );
        assert_eq!(
            &block_on(streamed(&["", "xy"]).to_bytes()).unwrap()[..],
            b"xy"
        );
        assert!(block_on(streamed(&["ab", "cd"]).to_bytes_limited(3)).is_err());
        assert_eq!(
            &block_on(streamed(&["ab", "c"]).to_bytes_limited(3)).unwrap()[..],
            b"abc"
        );
    }

    #[test]
    fn to_string_refuses_invalid_utf8() {
        block_on(async {
            let e = Body::from(vec![0xff, 0xfe]).to_string().await.unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::Decode);
        })
    }

    #[test]
    fn map_and_drain() {
        block_on(async {
            let upper = streamed(&["ab", "c"]).map(|b| Bytes::from(b.to_ascii_uppercase()));
            assert_eq!(upper.to_string().await.unwrap(), "ABC");
            let lower = Body::from_chunks(["A", "B"]).map(|b| Bytes::from(b.to_ascii_lowercase()));
            assert_eq!(lower.known_length(), Some(2));
            assert_eq!(lower.to_string().await.unwrap(), "ab");
            streamed(&["x"; 10]).drain().await.unwrap();
        })
    }

    #[test]
    fn stream_errors_surface() {
        block_on(async {
            let b = Body::from_stream(stream::iter(vec![
                Ok(Bytes::from("a")),
                Err(Error::malformed(crate::error::Malformed::TruncatedBody)),
            ]));
            let e = b.to_bytes().await.unwrap_err();
            assert_eq!(
                e.kind(),
                &ErrorKind::Malformed(crate::error::Malformed::TruncatedBody)
            );
        })
    }

    #[test]
    fn try_clone_refuses_streams() {
        assert!(Body::from("x").try_clone().is_some());
        assert!(streamed(&["x"]).try_clone().is_none());
    }
}
