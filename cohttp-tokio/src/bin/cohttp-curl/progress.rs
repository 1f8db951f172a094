//! The progress bar of a download (`-o`): bytes, rate, ETA and percent when the length
//! is known, redrawn in place with `\r` at most ten times a second, on stderr, and only
//! when stderr is a terminal.
//!
//! [`render`] is the pure formatting; [`Progress`] throttles and draws.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The shortest time between two redraws.
const REDRAW: Duration = Duration::from_millis(100);

/// `n` bytes in binary units: `512 B`, `1.5 KiB`, `12.0 MiB`, `3.2 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A duration as `M:SS`, or `H:MM:SS` from an hour on.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The progress line for `done` bytes of `total` (if known) after `elapsed`.
///
/// `45.0% 45.0 MiB / 100.0 MiB 9.0 MiB/s ETA 0:06` with a known length;
/// `45.0 MiB 9.0 MiB/s` without.
pub fn render(done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let speed = format!("{}/s", bytes(rate as u64));
    match total {
        Some(total) => {
            let percent = if total == 0 {
                100.0
            } else {
                (done.min(total) as f64 * 100.0) / total as f64
            };
            let eta = if done >= total {
                clock(elapsed)
            } else if rate > 0.0 {
                format!(
                    "ETA {}",
                    clock(Duration::from_secs_f64((total - done) as f64 / rate))
                )
            } else {
                "ETA --:--".to_string()
            };
            format!(
                "{percent:5.1}% {} / {} {speed} {eta}",
                bytes(done),
                bytes(total)
            )
        }
        None => format!("{} {speed} {}", bytes(done), clock(elapsed)),
    }
}

/// A progress bar on stderr; draws nothing when stderr is not a terminal.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    total: Option<u64>,
    done: u64,
    start: Instant,
    last: Option<Instant>,
    width: usize,
}

impl Progress {
    /// A bar for a download of `total` bytes (if known), shown when `wanted` and stderr
    /// is a terminal.
    pub fn new(wanted: bool, total: Option<u64>) -> Progress {
        Progress {
            enabled: wanted && std::io::stderr().is_terminal(),
            total,
            done: 0,
            start: Instant::now(),
            last: None,
            width: 0,
        }
    }

    /// Counts `n` more bytes; redraws when the last draw is old enough.
    pub fn advance(&mut self, n: usize) {
        self.done += n as u64;
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let due = match self.last {
            None => true,
            Some(t) => now.duration_since(t) >= REDRAW,
        };
        if due {
            self.last = Some(now);
            self.draw(now);
        }
    }

    /// Draws the final state and ends the line.
    pub fn finish(&mut self) {
        if self.enabled {
            self.draw(Instant::now());
            let _ = std::io::stderr().write_all(b"\n");
            self.enabled = false;
        }
    }

    fn draw(&mut self, now: Instant) {
        let line = render(self.done, self.total, now.duration_since(self.start));
        // Spaces wipe what a longer previous line left behind.
        let pad = self.width.saturating_sub(line.len());
        self.width = line.len();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}{:pad$}", "");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(100 * 1024 * 1024), "100.0 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn known_length_shows_percent_rate_and_eta() {
        let line = render(45 << 20, Some(100 << 20), Duration::from_secs(5));
        assert_eq!(line, " 45.0% 45.0 MiB / 100.0 MiB 9.0 MiB/s ETA 0:06");
    }

    #[test]
    fn finished_download_shows_elapsed_time() {
        let line = render(10, Some(10), Duration::from_secs(3725));
        assert_eq!(line, "100.0% 10 B / 10 B 0 B/s 1:02:05");
    }

    #[test]
    fn unknown_length_shows_bytes_and_rate() {
        let line = render(2048, None, Duration::from_secs(2));
        assert_eq!(line, "2.0 KiB 1.0 KiB/s 0:02");
    }

    #[test]
    fn no_time_elapsed_has_no_eta() {
        let line = render(0, Some(10), Duration::ZERO);
        assert_eq!(line, "  0.0% 0 B / 10 B 0 B/s ETA --:--");
    }
}
