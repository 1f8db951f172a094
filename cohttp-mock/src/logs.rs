//! Capturing `log` records in tests.
//!
//! [`capture_logs`] installs, once per process, a logger that records every record logged
//! on a thread where a capture is active, at every level. Records are kept per thread, so
//! tests running in parallel do not see each other's logs. Because the mock executor runs
//! every task on the thread that calls `Sim::block_on`, a test that captures on its own
//! thread sees everything its world logs. This is not a general-purpose logger: records
//! logged while no capture is active on the thread are discarded.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Once;

use log::{Level, LevelFilter, Log, Metadata, Record};

/// One captured record: `(level, target, message)`.
pub type LogRecord = (Level, String, String);

thread_local! {
    /// Active captures on this thread: capture id → records since its creation.
    static SINKS: RefCell<(u64, BTreeMap<u64, Vec<LogRecord>>)> =
        const { RefCell::new((0, BTreeMap::new())) };
}

struct Recorder;

impl Log for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        // `try_with`: a record logged during thread teardown is dropped, not a panic.
        let _ = SINKS.try_with(|s| {
            let Ok(mut s) = s.try_borrow_mut() else {
                return;
            };
            if s.1.is_empty() {
                return;
            }
            let entry: LogRecord = (
                record.level(),
                record.target().to_string(),
                record.args().to_string(),
            );
            for sink in s.1.values_mut() {
                sink.push(entry.clone());
            }
        });
    }

    fn flush(&self) {}
}

static RECORDER: Recorder = Recorder;
static INSTALL: Once = Once::new();

/// A capture of the `log` records logged on this thread; stops when dropped.
///
/// Not `Send`: read it on the thread that created it (where `Sim::block_on` runs).
#[derive(Debug)]
pub struct LogCapture {
    id: u64,
    _not_send: PhantomData<*const ()>,
}

/// Starts capturing the `log` records of this thread.
///
/// The first call installs the process-wide logger (with `log::set_logger`) and sets the
/// maximum level to `Trace`. If another logger was installed first, nothing is captured:
/// do not install one in tests that use this.
///
/// # Examples
///
/// ```
/// let logs = cohttp_mock::capture_logs();
/// log::warn!(target: "app", "body dropped unread");
/// let records = logs.take();
/// assert_eq!(records.len(), 1);
/// assert_eq!(records[0].0, log::Level::Warn);
/// assert_eq!(records[0].1, "app");
/// assert_eq!(records[0].2, "body dropped unread");
/// ```
pub fn capture_logs() -> LogCapture {
    INSTALL.call_once(|| {
        if log::set_logger(&RECORDER).is_ok() {
            log::set_max_level(LevelFilter::Trace);
        }
    });
    let id = SINKS.with(|s| {
        let mut s = s.borrow_mut();
        s.0 += 1;
        let id = s.0;
        s.1.insert(id, Vec::new());
        id
    });
    LogCapture {
        id,
        _not_send: PhantomData,
    }
}

impl LogCapture {
    /// The records captured since the capture started or since the last `take`.
    pub fn take(&self) -> Vec<LogRecord> {
        SINKS.with(|s| {
            s.borrow_mut()
                .1
                .get_mut(&self.id)
                .map(std::mem::take)
                .unwrap_or_default()
        })
    }

    /// Whether a record at `level` whose message contains `needle` was captured (and not
    /// yet taken).
    pub fn contains(&self, level: Level, needle: &str) -> bool {
        SINKS.with(|s| {
            s.borrow()
                .1
                .get(&self.id)
                .is_some_and(|v| v.iter().any(|(l, _, m)| *l == level && m.contains(needle)))
        })
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        let _ = SINKS.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                s.1.remove(&self.id);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_per_thread_and_stop_when_dropped() {
        let logs = capture_logs();
        log::info!(target: "here", "seen");
        std::thread::spawn(|| log::info!(target: "there", "not seen"))
            .join()
            .unwrap();
        assert!(logs.contains(Level::Info, "seen"));
        assert_eq!(
            logs.take(),
            vec![(Level::Info, "here".to_string(), "seen".to_string())]
        );
        assert!(logs.take().is_empty());
        drop(logs);
        let later = capture_logs();
        log::debug!("after");
        assert_eq!(later.take().len(), 1);
    }
}
