//! Fault schedules: what goes wrong on one in-memory connection.
//!
//! A [`Faults`] value is a plain description, built in builder style and handed to
//! `MockNet::push_faults` or `duplex`; the stream code (`stream.rs`) applies it. Directions
//! are named from the client's point of view: *to_server* is what the client writes,
//! *to_client* is what the server writes.

use std::time::Duration;

use crate::rng::Rng;

/// The default in-flight capacity of each direction of a connection: 64 KiB.
pub const DEFAULT_BUFFER: usize = 64 * 1024;

/// How a direction ends once its byte allowance is spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CutKind {
    /// The reader sees end of stream; the writer gets `BrokenPipe`.
    Close,
    /// The reader and the writer get `ConnectionReset`.
    Reset,
}

/// A direction's allowance: `after` bytes go through, then the cut takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cut {
    pub(crate) after: u64,
    pub(crate) kind: CutKind,
}

/// The fault schedule of one connection, built in builder style.
///
/// The default, [`Faults::none`], is a perfect connection with 64 KiB in flight each way.
/// A cut (close or reset) is per direction: the reader of that direction gets the first
/// `n` bytes, then end of stream (close) or `ConnectionReset` (reset); the writer's bytes
/// beyond `n` are refused with `BrokenPipe` (close) or `ConnectionReset` (reset). The
/// other direction is not affected.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cohttp_mock::Faults;
///
/// // The response is cut after its first 100 bytes, and every read waits 5 ms.
/// let f = Faults::none()
///     .close_to_client_after(100)
///     .delay_each_read(Duration::from_millis(5));
/// assert_ne!(f, Faults::none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    pub(crate) to_client: Option<Cut>,
    pub(crate) to_server: Option<Cut>,
    pub(crate) one_byte: bool,
    pub(crate) read_delay: Option<Duration>,
    pub(crate) server_read_limit: Option<u64>,
    pub(crate) client_read_limit: Option<u64>,
    pub(crate) buffer: Option<usize>,
}

impl Faults {
    /// No fault: every byte goes through, 64 KiB in flight each way.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// The client reads end of stream after `n` bytes from the server.
    pub fn close_to_client_after(mut self, n: u64) -> Faults {
        self.to_client = Some(Cut {
            after: n,
            kind: CutKind::Close,
        });
        self
    }

    /// The client reads `ConnectionReset` after `n` bytes from the server.
    pub fn reset_to_client_after(mut self, n: u64) -> Faults {
        self.to_client = Some(Cut {
            after: n,
            kind: CutKind::Reset,
        });
        self
    }

    /// The server reads end of stream after `n` bytes from the client.
    pub fn close_to_server_after(mut self, n: u64) -> Faults {
        self.to_server = Some(Cut {
            after: n,
            kind: CutKind::Close,
        });
        self
    }

    /// The server reads `ConnectionReset` after `n` bytes from the client.
    pub fn reset_to_server_after(mut self, n: u64) -> Faults {
        self.to_server = Some(Cut {
            after: n,
            kind: CutKind::Reset,
        });
        self
    }

    /// Every read and every write, on both ends, moves at most one byte.
    pub fn one_byte_io(mut self) -> Faults {
        self.one_byte = true;
        self
    }

    /// Every read, on both ends, first waits `d` of virtual time.
    pub fn delay_each_read(mut self, d: Duration) -> Faults {
        self.read_delay = Some(d);
        self
    }

    /// The server end never reads past its first `n` bytes: its reads stay pending, the
    /// buffer fills up and the client's writes wait (backpressure).
    pub fn server_stops_reading_after(mut self, n: u64) -> Faults {
        self.server_read_limit = Some(n);
        self
    }

    /// The client end never reads past its first `n` bytes.
    pub fn client_stops_reading_after(mut self, n: u64) -> Faults {
        self.client_read_limit = Some(n);
        self
    }

    /// The in-flight capacity of each direction, in bytes (at least 1).
    pub fn buffer(mut self, bytes: usize) -> Faults {
        self.buffer = Some(bytes.max(1));
        self
    }

    /// A random schedule drawn from `seed`, for fault campaigns.
    ///
    /// It may pick a small buffer (1 byte to 64 KiB), one-byte I/O, a read delay of up to
    /// 50 ms, and at most one cut (close or reset, either direction, after 0 to 2047
    /// bytes). It never stops a reader: a campaign must end without a timeout. The same
    /// seed always gives the same schedule.
    pub fn random(seed: u64) -> Faults {
        let mut rng = Rng::new(seed ^ 0x6661_756c_7473);
        let mut f = Faults::none();
        const SIZES: [usize; 6] = [1, 7, 64, 1024, 4096, DEFAULT_BUFFER];
        if !rng.one_in(3) {
            let i = rng.below(SIZES.len() as u64) as usize;
            f = f.buffer(SIZES.get(i).copied().unwrap_or(DEFAULT_BUFFER));
        }
        if rng.one_in(4) {
            f = f.one_byte_io();
        }
        if rng.one_in(4) {
            f = f.delay_each_read(Duration::from_millis(1 + rng.below(50)));
        }
        let n = rng.below(2048);
        f = match rng.below(8) {
            0 => f.close_to_client_after(n),
            1 => f.reset_to_client_after(n),
            2 => f.close_to_server_after(n),
            3 => f.reset_to_server_after(n),
            _ => f,
        };
        f
    }

    /// The in-flight capacity each way.
    pub(crate) fn capacity(&self) -> usize {
        self.buffer.unwrap_or(DEFAULT_BUFFER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_schedules_are_reproducible_and_varied() {
        assert_eq!(Faults::random(42), Faults::random(42));
        let distinct: std::collections::HashSet<String> = (0..64)
            .map(|s| format!("{:?}", Faults::random(s)))
            .collect();
        assert!(
            distinct.len() > 16,
            "only {} distinct schedules",
            distinct.len()
        );
        assert!((0..64).all(|s| {
            let f = Faults::random(s);
            f.server_read_limit.is_none() && f.client_read_limit.is_none()
        }));
    }

    #[test]
    fn buffer_is_at_least_one_byte() {
        assert_eq!(Faults::none().buffer(0).capacity(), 1);
        assert_eq!(Faults::none().capacity(), DEFAULT_BUFFER);
    }
}
