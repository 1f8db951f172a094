//! Shared machinery of the fault campaigns (`campaign_*.rs`): which seeds to run, the
//! per-seed fault schedule, and the bookkeeping of a campaign's totals.
//!
//! A schedule is `faulty` connections with one fault each (a close or reset after k
//! bytes either way, or a server that stops reading), optionally worsened by one-byte
//! I/O, small buffers and read stalls, followed by connections that are slow but
//! healthy. Every schedule is drawn from the seed alone, so a seed replays exactly.
//!
//! Environment: `CAMPAIGN_SEED=N` runs that seed alone; `CAMPAIGN_SEEDS=N` runs seeds
//! `0..N` (default 500).
#![allow(dead_code)]

use std::io::Write;
use std::time::Duration;

use cohttp_mock::{Event, Faults};

/// The seeds to run: `CAMPAIGN_SEED` alone, else `0..CAMPAIGN_SEEDS` (default 500).
pub fn seeds() -> Vec<u64> {
    if let Some(one) = env_u64("CAMPAIGN_SEED") {
        return vec![one];
    }
    (0..env_u64("CAMPAIGN_SEEDS").unwrap_or(500)).collect()
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
    )
}

/// A small deterministic generator (splitmix64), independent of the mock's own.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x6361_6d70_6169_676e)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// The fault of one faulty connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    CloseToClient(u64),
    ResetToClient(u64),
    CloseToServer(u64),
    ResetToServer(u64),
    ServerStopsReading(u64),
}

impl Fault {
    /// Whether the fault is an orderly end (a close) rather than an error or a stall.
    pub fn is_graceful(&self) -> bool {
        matches!(self, Fault::CloseToClient(_) | Fault::CloseToServer(_))
    }

    /// Whether the fault ends the connection (a close or a reset) rather than stalling
    /// it: a request that got no byte of its response may be sent again either way
    /// (RFC 9112 §9.3.1).
    pub fn ends_the_connection(&self) -> bool {
        !matches!(self, Fault::ServerStopsReading(_))
    }
}

/// What the connections of one seed suffer, in connection order.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub faulty: Vec<(Fault, Faults)>,
    /// Faults of the healthy connections that follow (slowness only).
    pub healthy: Faults,
}

/// Slowness that breaks nothing: small buffers, one-byte I/O, short read stalls.
fn slowness(rng: &mut Rng, mut f: Faults) -> Faults {
    const SIZES: [usize; 5] = [1, 7, 64, 1024, 4096];
    if rng.one_in(3) {
        f = f.buffer(SIZES[rng.below(SIZES.len() as u64) as usize]);
    }
    let one_byte = rng.one_in(5);
    if one_byte {
        f = f.one_byte_io();
    }
    if rng.one_in(4) {
        // Short when one byte at a time, so a head still arrives within the server's
        // header timeout.
        let most = if one_byte { 3 } else { 40 };
        f = f.delay_each_read(Duration::from_millis(1 + rng.below(most)));
    }
    f
}

/// The schedule of `seed`: up to `max_faulty` faulty connections, cut within the first
/// `span` bytes, then healthy ones.
pub fn schedule(seed: u64, max_faulty: u64, span: u64) -> Schedule {
    let mut rng = Rng::new(seed);
    let n = rng.below(max_faulty + 1);
    let mut faulty = Vec::new();
    for _ in 0..n {
        let k = rng.below(span);
        let fault = match rng.below(9) {
            0 | 1 => Fault::CloseToClient(k),
            2 => Fault::ResetToClient(k),
            3 | 4 => Fault::CloseToServer(k),
            5 => Fault::ResetToServer(k),
            6 => Fault::ServerStopsReading(k),
            // A connection closed by the server before it answers anything, the
            // classic keep-alive race.
            _ => Fault::CloseToClient(0),
        };
        let base = slowness(&mut rng, Faults::none());
        let faults = match fault {
            Fault::CloseToClient(k) => base.close_to_client_after(k),
            Fault::ResetToClient(k) => base.reset_to_client_after(k),
            Fault::CloseToServer(k) => base.close_to_server_after(k),
            Fault::ResetToServer(k) => base.reset_to_server_after(k),
            Fault::ServerStopsReading(k) => base.server_stops_reading_after(k),
        };
        faulty.push((fault, faults));
    }
    let healthy = slowness(&mut rng, Faults::none());
    Schedule { faulty, healthy }
}

/// Faults that fired in a trace (cuts taking effect, stalls, stopped readers).
pub fn faults_fired(trace: &[Event]) -> usize {
    trace
        .iter()
        .filter(|e| matches!(e, Event::Fault { .. }))
        .count()
}

/// Totals of a campaign, printed at its end.
#[derive(Default, Debug)]
pub struct Totals {
    pub seeds: u64,
    pub faulty_connections: u64,
    pub faults_fired: u64,
    pub requests: u64,
    pub ok: u64,
    pub failed: u64,
    pub retried: u64,
}

/// Runs `one` on every seed; a failing seed names itself and how to replay it.
pub fn run_campaign(name: &str, mut one: impl FnMut(u64, &mut Totals)) -> Totals {
    let mut totals = Totals::default();
    for seed in seeds() {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            one(seed, &mut totals);
        }));
        if let Err(panic) = outcome {
            eprintln!("{name}: seed={seed} failed; replay with CAMPAIGN_SEED={seed}");
            std::panic::resume_unwind(panic);
        }
        totals.seeds += 1;
    }
    // Straight to the process's stderr, not through `println!`, which the test harness
    // captures: CI's log shows these figures on every run, passing or not.
    let _ = writeln!(
        std::io::stderr(),
        "{name}: seeds={} faulty_connections={} faults_fired={} attempts={} ok={} failed={} resent={}",
        totals.seeds,
        totals.faulty_connections,
        totals.faults_fired,
        totals.requests,
        totals.ok,
        totals.failed,
        totals.retried
    );
    totals
}
