//! The soak's watch on the server process: a thread sampling its resident memory (`VmRSS`)
//! and open descriptors (`/proc/PID/fd`) before the load, once a second during it and at its
//! end, with a line per sample on stderr, and
//! the verdicts drawn from the samples (memory growth after warm-up).
//!
//! Readings come from `bench/rss.rs`; this file neither drives load nor prints the summary.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::load::Stats;
use crate::bench::rss::{fd_count, rss_kib};

/// Time between samples.
pub const PERIOD: Duration = Duration::from_secs(1);
/// Samples at the end of the load whose maximum is compared with the warm-up level.
pub const END_SAMPLES: usize = 5;
/// Largest growth allowed, in percent of the warm-up level.
pub const MAX_GROWTH_PERCENT: f64 = 5.0;
/// Warm-up lasts at least this long (and at least the first 10% of requests).
pub const MIN_WARMUP: Duration = Duration::from_secs(10);

/// One reading of the server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Time since the load started.
    pub at: Duration,
    /// Requests sent so far.
    pub sent: u64,
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// Open descriptors.
    pub fds: u64,
}

/// The sampling thread.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Sample>>,
}

impl Sampler {
    /// Samples `pid` now (before any load), then every [`PERIOD`], reading progress from
    /// `stats` (of `total` requests), until [`Sampler::finish`] (which takes a last sample)
    /// or until the process is gone.
    pub fn start(pid: u32, stats: Arc<Stats>, total: u64) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let started = Instant::now();
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut next = started;
            loop {
                let stopping = flag.load(Relaxed);
                let now = Instant::now();
                if now < next && !stopping {
                    std::thread::sleep((next - now).min(Duration::from_millis(50)));
                    continue;
                }
                next += PERIOD;
                match take(pid, &stats, started, total) {
                    Some(s) => samples.push(s),
                    None => {
                        eprintln!("soak: the server (pid {pid}) is gone");
                        break;
                    }
                }
                if stopping {
                    break;
                }
            }
            samples
        });
        Sampler { stop, thread }
    }

    /// Takes a last sample, stops sampling and returns the samples.
    pub fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Reads the server once and prints the line; `None` when the process is gone.
fn take(pid: u32, stats: &Stats, started: Instant, total: u64) -> Option<Sample> {
    let s = Sample {
        at: started.elapsed(),
        sent: stats.total_sent(),
        rss_kib: rss_kib(pid)?,
        fds: fd_count(pid)?,
    };
    eprintln!(
        "soak: t={:>6.1}s sent={:>8} ({:>5.1}%) rss={} KiB fds={} errors={}",
        s.at.as_secs_f64(),
        s.sent,
        s.sent as f64 * 100.0 / total.max(1) as f64,
        s.rss_kib,
        s.fds,
        stats.errors.load(Relaxed),
    );
    Some(s)
}

/// The memory curve and its verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Memory {
    /// The first sample (before the load), KiB.
    pub first: u64,
    /// The warm-up level: the largest sample taken during warm-up (the first 10% of the
    /// requests or the first [`MIN_WARMUP`], whichever ends later), not counting the one
    /// before the first request (the first sample after warm-up when there is none), KiB.
    pub warmup: u64,
    /// The last sample, KiB.
    pub last: u64,
    /// The largest sample, KiB.
    pub max: u64,
    /// The end level: the largest of the last [`END_SAMPLES`] samples, KiB.
    pub end: u64,
    /// Growth of the end level over the warm-up level, percent.
    pub growth_percent: f64,
    /// Samples taken after warm-up; fewer than [`END_SAMPLES`] and the growth is not judged.
    pub after_warmup: usize,
}

impl Memory {
    /// Whether the growth was judged (enough samples after warm-up).
    pub fn judged(&self) -> bool {
        self.after_warmup >= END_SAMPLES
    }

    /// True when judged and grown past [`MAX_GROWTH_PERCENT`].
    pub fn grew(&self) -> bool {
        self.judged() && self.growth_percent > MAX_GROWTH_PERCENT
    }
}

/// Reads the memory curve of `samples`, warm-up being the samples with at most
/// `warmup_sent` requests sent or taken within [`MIN_WARMUP`]. `None` without samples.
///
/// Both levels are maxima over several samples, so the allocator's ups and downs (a freed
/// arena, a large response in flight at one sample) weigh on both sides alike.
pub fn memory(samples: &[Sample], warmup_sent: u64) -> Option<Memory> {
    let first = samples.first()?;
    let split = samples.partition_point(|s| s.sent <= warmup_sent || s.at <= MIN_WARMUP);
    let warmup = samples[..split]
        .iter()
        .filter(|s| s.sent > 0)
        .map(|s| s.rss_kib)
        .max()
        .or_else(|| samples.get(split).map(|s| s.rss_kib))
        .unwrap_or(first.rss_kib);
    let after = samples.len() - split;
    let tail = &samples[samples.len().saturating_sub(END_SAMPLES)..];
    let end = tail
        .iter()
        .map(|s| s.rss_kib)
        .max()
        .unwrap_or(first.rss_kib);
    let max = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    Some(Memory {
        first: first.rss_kib,
        warmup,
        last: samples.last().map_or(0, |s| s.rss_kib),
        max,
        end,
        growth_percent: (end as f64 - warmup as f64) * 100.0 / (warmup.max(1) as f64),
        after_warmup: after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(points: &[(u64, u64)]) -> Vec<Sample> {
        points
            .iter()
            .enumerate()
            .map(|(i, &(sent, rss_kib))| Sample {
                // 20 s apart: past MIN_WARMUP from the first sample on.
                at: Duration::from_secs(20 * (i as u64 + 1)),
                sent,
                rss_kib,
                fds: 10,
            })
            .collect()
    }

    #[test]
    fn flat_curve_after_warmup_passes() {
        let s = curve(&[
            (5, 8000),
            (10, 9000),
            (20, 9100),
            (40, 9000),
            (60, 9200),
            (80, 9100),
            (100, 9300),
        ]);
        let m = memory(&s, 10).unwrap();
        assert_eq!((m.first, m.warmup, m.end, m.max), (8000, 9000, 9300, 9300));
        assert_eq!(m.after_warmup, 5);
        assert!(m.judged() && !m.grew(), "{m:?}");
    }

    #[test]
    fn steady_growth_fails() {
        let s = curve(&[
            (10, 9000),
            (20, 9300),
            (40, 9500),
            (60, 9700),
            (80, 9900),
            (100, 10000),
        ]);
        let m = memory(&s, 10).unwrap();
        assert!(m.grew(), "{m:?}");
        assert!((m.growth_percent - 11.11).abs() < 0.01);
    }

    #[test]
    fn a_peak_during_warmup_sets_the_level() {
        let s = curve(&[
            (5, 12000),
            (10, 9000),
            (20, 9000),
            (40, 12400),
            (60, 9000),
            (80, 9000),
            (100, 9000),
        ]);
        let m = memory(&s, 10).unwrap();
        assert_eq!(m.warmup, 12000);
        assert!(!m.grew(), "{m:?}");
    }

    #[test]
    fn the_sample_before_the_load_is_not_the_warmup_level() {
        let s = curve(&[
            (0, 2000),
            (50, 9000),
            (60, 9100),
            (70, 9000),
            (80, 9000),
            (90, 9000),
        ]);
        let m = memory(&s, 10).unwrap();
        assert_eq!((m.first, m.warmup), (2000, 9000));
        assert!(m.judged() && !m.grew(), "{m:?}");
    }

    #[test]
    fn warmup_lasts_at_least_min_warmup() {
        let mut s = curve(&[(5, 9000), (10, 9000), (20, 9900), (40, 9900), (60, 9900)]);
        let more = curve(&[(70, 9900), (80, 9900), (90, 9900), (95, 9900), (100, 9900)]);
        s.extend(more);
        for (i, x) in s.iter_mut().enumerate() {
            x.at = Duration::from_secs(3 * (i as u64 + 1));
        }
        // 10% of requests is reached at 6 s, but warm-up runs to 10 s: 9900 is its level.
        let m = memory(&s, 10).unwrap();
        assert_eq!(m.warmup, 9900);
        assert!(!m.grew(), "{m:?}");
    }

    #[test]
    fn short_run_is_not_judged() {
        let s = curve(&[(5, 9000), (50, 20000), (100, 30000)]);
        let m = memory(&s, 10).unwrap();
        assert!(!m.judged() && !m.grew());
        assert_eq!(memory(&[], 10), None);
    }

    #[test]
    fn no_sample_in_warmup_takes_the_first_after_it() {
        let s = curve(&[(50, 9000), (60, 9100), (70, 9000), (80, 9000), (90, 9000)]);
        let m = memory(&s, 10).unwrap();
        assert_eq!(m.warmup, 9000);
        assert!(m.judged() && !m.grew());
    }
}
