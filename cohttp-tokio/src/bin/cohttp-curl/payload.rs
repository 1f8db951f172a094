//! Request bodies of `cohttp-curl`: literal bytes and files, as a list of segments sent
//! in order, streamed from disk (files are never read whole into memory).
//!
//! A [`Payload`] can make its body again (for a redirect that keeps it): files are
//! opened anew each time.

use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use cohttp_core::{Body, Error};
use futures_util::stream::{self, StreamExt};
use tokio::io::AsyncReadExt;

use crate::args::Data;
use crate::failure::Failure;
use crate::multipart;

/// How much of a file is read at once.
const READ_CHUNK: usize = 64 * 1024;

/// One piece of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// These bytes.
    Bytes(Bytes),
    /// The content of this file, `len` bytes long when the payload was made.
    File {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
    },
}

impl Segment {
    fn len(&self) -> u64 {
        match self {
            Segment::Bytes(b) => b.len() as u64,
            Segment::File { len, .. } => *len,
        }
    }

    /// A file segment, its length read from the file system.
    pub fn file(path: &str) -> Result<Segment, Failure> {
        let meta = std::fs::metadata(path)
            .map_err(|e| Failure::new(26, format!("cannot read {path}: {e}")))?;
        if !meta.is_file() {
            return Err(Failure::new(26, format!("cannot read {path}: not a file")));
        }
        Ok(Segment::File {
            path: path.into(),
            len: meta.len(),
        })
    }
}

/// A request body and the `Content-Type` it goes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The `Content-Type` value (with the boundary for multipart), unless the user's
    /// `-H` gives one.
    pub content_type: String,
    /// The body, in order.
    pub segments: Vec<Segment>,
}

impl Payload {
    /// The payload for `data`.
    pub fn new(data: &Data) -> Result<Payload, Failure> {
        match data {
            Data::Form(items) => {
                // curl: `@FILE` is read whole with carriage returns and newlines removed;
                // several items are joined with `&`.
                let mut joined = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        joined.push(b'&');
                    }
                    match item.strip_prefix('@') {
                        Some(path) => {
                            let content = std::fs::read(path).map_err(|e| {
                                Failure::new(26, format!("cannot read {path}: {e}"))
                            })?;
                            joined.extend(
                                content.into_iter().filter(|b| !matches!(b, b'\r' | b'\n')),
                            );
                        }
                        None => joined.extend_from_slice(item.as_bytes()),
                    }
                }
                let t = "application/x-www-form-urlencoded";
                Ok(Payload {
                    content_type: t.into(),
                    segments: vec![Segment::Bytes(joined.into())],
                })
            }
            Data::Binary(item) => {
                let segment = match item.strip_prefix('@') {
                    Some(path) => Segment::file(path)?,
                    None => Segment::Bytes(Bytes::copy_from_slice(item.as_bytes())),
                };
                let t = "application/x-www-form-urlencoded";
                Ok(Payload {
                    content_type: t.into(),
                    segments: vec![segment],
                })
            }
            Data::Multipart(fields) => {
                let form = multipart::Form::parse(fields)?;
                let boundary = form.boundary();
                Ok(Payload {
                    content_type: format!("multipart/form-data; boundary={boundary}"),
                    segments: form.encode(&boundary)?,
                })
            }
        }
    }

    /// The body's length.
    pub fn len(&self) -> u64 {
        self.segments.iter().map(Segment::len).sum()
    }

    /// A fresh body: the segments in order, files streamed in 64 KiB reads.
    pub fn body(&self) -> Body {
        let len = self.len();
        let segments = self.segments.clone();
        let stream = stream::iter(segments).flat_map(|segment| match segment {
            Segment::Bytes(b) => stream::once(async move { Ok(b) }).boxed(),
            Segment::File { path, len } => file_stream(path, len).boxed(),
        });
        Body::from_sized_stream(stream, len)
    }
}

/// The first `len` bytes of the file at `path`, read as the stream is polled.
fn file_stream(
    path: PathBuf,
    len: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, Error>> + Send {
    enum State {
        Closed(PathBuf),
        Open(tokio::fs::File),
        Done,
    }
    stream::unfold((State::Closed(path), len), |(state, left)| async move {
        let read_err = |path: &std::path::Path, e: std::io::Error| {
            Error::from(e).with_context(format!("cannot read {}", path.display()))
        };
        let mut file = match state {
            State::Done => return None,
            State::Open(f) => f,
            State::Closed(path) => match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) => return Some((Err(read_err(&path, e)), (State::Done, 0))),
            },
        };
        if left == 0 {
            return None;
        }
        let want = READ_CHUNK.min(usize::try_from(left).unwrap_or(READ_CHUNK));
        let mut buf = BytesMut::with_capacity(want);
        match (&mut file).take(want as u64).read_buf(&mut buf).await {
            Ok(0) => Some((
                Err(Error::usage("file shrank while it was being sent")),
                (State::Done, 0),
            )),
            Ok(n) => Some((Ok(buf.freeze()), (State::Open(file), left - n as u64))),
            Err(e) => Some((
                Err(Error::from(e).with_context("cannot read the file being sent")),
                (State::Done, 0),
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_items_join_with_ampersand_and_files_lose_newlines() {
        let dir = std::env::temp_dir().join(format!("cohttp-curl-payload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("form.txt");
        std::fs::write(&f, "b=2\r\nc=3\n").unwrap();
        let data = Data::Form(vec!["a=1".into(), format!("@{}", f.display())]);
        let p = Payload::new(&data).unwrap();
        assert_eq!(
            p.segments,
            [Segment::Bytes(Bytes::from_static(b"a=1&b=2c=3"))]
        );
        assert_eq!(p.content_type, "application/x-www-form-urlencoded");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn file_bodies_stream_the_whole_file() {
        let dir = std::env::temp_dir().join(format!("cohttp-curl-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("big.bin");
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&f, &content).unwrap();
        let p = Payload::new(&Data::Binary(format!("@{}", f.display()))).unwrap();
        assert_eq!(p.len(), content.len() as u64);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let got = rt.block_on(p.body().to_bytes()).unwrap();
        assert_eq!(&got[..], &content[..]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_upload_file_is_a_read_failure() {
        let e = Payload::new(&Data::Binary("@/nonexistent/cohttp-curl".into())).unwrap_err();
        assert_eq!(e.code, 26);
    }
}
