//! The body of a response read from a client connection: a bounded hand-off from the
//! connection's reader task to whoever holds the response.
//!
//! The reader task decodes the body off the wire and pushes its chunks here; the holder reads
//! them as a [`Stream`]. Backpressure: the reader waits while 64 KiB are queued. A body that
//! ends without its end marker (the connection failed or was closed) yields an error, never a
//! shorter body. Dropping the body unread logs a warning and tells the reader, which drains the
//! rest (bounded) so the next response is not blocked. This file is the hand-off only; the
//! decoding and the drain are in `reader.rs`.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::stream::Stream;

use crate::error::{Error, Result};

use super::connection::Shared;

/// Bytes queued before the reader waits for the holder.
const QUEUE_BYTES: usize = 64 * 1024;

/// What the reader task hands over.
pub(crate) enum Frame {
    Data(Bytes),
    End,
    Error(Error),
}

#[derive(Default)]
struct Slot {
    queue: VecDeque<Frame>,
    queued_bytes: usize,
    consumer: Option<Waker>,
    producer: Option<Waker>,
    receiver_gone: bool,
    sender_gone: bool,
    /// No warning on drop (the call that wanted this body was cancelled).
    quiet: bool,
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

/// The reader task's end of a response body.
pub(crate) struct BodySender {
    slot: Arc<Mutex<Slot>>,
}

/// The holder's end: a stream of the body's chunks.
pub(crate) struct IncomingBody {
    slot: Arc<Mutex<Slot>>,
    shared: Arc<Shared>,
    finished: bool,
}

/// Frames a recycled slot's queue may hold room for; one that grew past this (a body
/// that waited on its holder) is not kept for the next body.
const SPARE_FRAMES: usize = 16;

/// The slot of a finished body, kept by the reader task for the next body: reused if its
/// holder is gone by then (the usual case when responses are read one by one), which saves
/// allocating (and freeing) a slot and its queue per response.
#[derive(Default)]
pub(crate) struct Spare(Option<Arc<Mutex<Slot>>>);

/// A connected pair for one response body (on `spare`'s slot, when nobody else holds it).
pub(crate) fn channel(shared: Arc<Shared>, spare: &mut Spare) -> (BodySender, IncomingBody) {
    let reused = spare.0.take().and_then(|mut slot| {
        let s = Arc::get_mut(&mut slot)?
            .get_mut()
            .unwrap_or_else(|p| p.into_inner());
        let mut queue = std::mem::take(&mut s.queue);
        queue.clear();
        *s = Slot {
            queue,
            ..Slot::default()
        };
        Some(slot)
    });
    let slot = reused.unwrap_or_else(|| Arc::new(Mutex::new(Slot::default())));
    (
        BodySender { slot: slot.clone() },
        IncomingBody {
            slot,
            shared,
            finished: false,
        },
    )
}

impl BodySender {
    /// Ends the body like a drop, and keeps its slot in `spare` for the next body.
    pub(crate) fn finish(self, spare: &mut Spare) {
        let slot = self.slot.clone();
        drop(self);
        if lock(&slot).queue.capacity() <= SPARE_FRAMES {
            spare.0 = Some(slot);
        }
    }

    /// Ready when a frame may be sent: `true`, or the holder dropped the body: `false`.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<bool> {
        let mut s = lock(&self.slot);
        if s.receiver_gone {
            return Poll::Ready(false);
        }
        if s.queued_bytes < QUEUE_BYTES && s.queue.len() < 256 {
            return Poll::Ready(true);
        }
        s.producer = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Whether the holder dropped the body; registers to be woken when it does.
    pub(crate) fn poll_gone(&self, cx: &mut Context<'_>) -> bool {
        let mut s = lock(&self.slot);
        if !s.receiver_gone {
            s.producer = Some(cx.waker().clone());
        }
        s.receiver_gone
    }

    /// Whether the holder dropped the body.
    pub(crate) fn is_gone(&self) -> bool {
        lock(&self.slot).receiver_gone
    }

    /// Drops of the body log nothing (its call was cancelled: nobody could read it).
    pub(crate) fn quiet(&self) {
        lock(&self.slot).quiet = true;
    }

    /// Queues a frame (dropped if the holder is gone).
    pub(crate) fn send(&self, frame: Frame) {
        let mut s = lock(&self.slot);
        if s.receiver_gone {
            return;
        }
        if let Frame::Data(b) = &frame {
            s.queued_bytes += b.len();
        }
        s.queue.push_back(frame);
        if let Some(w) = s.consumer.take() {
            w.wake();
        }
    }

    /// Waits for room, then queues the frame. `false` when the holder is gone.
    pub(crate) async fn send_data(&self, data: Bytes) -> bool {
        if !futures_util::future::poll_fn(|cx| self.poll_ready(cx)).await {
            return false;
        }
        self.send(Frame::Data(data));
        true
    }
}

impl Drop for BodySender {
    fn drop(&mut self) {
        let mut s = lock(&self.slot);
        s.sender_gone = true;
        if let Some(w) = s.consumer.take() {
            w.wake();
        }
    }
}

impl Stream for IncomingBody {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        let frame = {
            let mut s = lock(&self.slot);
            match s.queue.pop_front() {
                Some(f) => {
                    if let Frame::Data(b) = &f {
                        s.queued_bytes -= b.len();
                    }
                    if let Some(w) = s.producer.take() {
                        w.wake();
                    }
                    Some(f)
                }
                None if s.sender_gone => None,
                None => {
                    s.consumer = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        };
        match frame {
            Some(Frame::Data(b)) => Poll::Ready(Some(Ok(b))),
            Some(Frame::End) => {
                self.finished = true;
                Poll::Ready(None)
            }
            Some(Frame::Error(e)) => {
                self.finished = true;
                Poll::Ready(Some(Err(e)))
            }
            None => {
                self.finished = true;
                Poll::Ready(Some(Err(self.shared.failure())))
            }
        }
    }
}

impl Drop for IncomingBody {
    fn drop(&mut self) {
        let mut s = lock(&self.slot);
        let ended = matches!(s.queue.back(), Some(Frame::End) | Some(Frame::Error(_)));
        let read_to_end = ended && s.queued_bytes == 0;
        if !(self.finished || s.quiet || read_to_end) {
            log::warn!(
                target: "cohttp::client",
                "connection {}: response body dropped unread; draining it (bounded) so the \
                 connection can go on. Read or drain response bodies.",
                self.shared.id
            );
        }
        s.receiver_gone = true;
        s.queue.clear();
        s.queued_bytes = 0;
        if let Some(w) = s.producer.take() {
            w.wake();
        }
    }
}
