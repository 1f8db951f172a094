//! The backend conformance suite (feature `testkit`): one set of behavioural cases that
//! every backend runs over its real networking, timers and spawning.
//!
//! A backend crate calls [`run`] from one of its tests with its [`Runtime`] and a way
//! to block on a future; every case runs with a deadline, and the test fails listing
//! each failing case by name. Set `COHTTP_CASE=<name>` to run one case alone.
//!
//! ```no_run
//! // in cohttp-yourruntime/tests/conformance.rs
//! # fn your_runtime() -> cohttp_core::Runtime { panic!("your backend's runtime") }
//! # fn block_on<T>(f: impl std::future::Future<Output = T>) -> T { panic!("your runtime's block_on") }
//! #[test]
//! fn conformance_yourruntime() {
//!     block_on(cohttp_core::testkit::run(your_runtime())).assert_passed();
//! }
//! ```
//!
//! The cases are grouped by what they check: `runtime_*` (the runtime contract
//! itself: connect, accept, half-close, timers, spawning, Unix sockets), `http_*`
//! (this crate's server and client over the backend: the demo routes, the key-value
//! store through a connection cache, a raw 16-deep pipelined burst, keep-alive, retries
//! when the server closes, 64 MiB streamed each way, a trickling client, the header
//! timeout against slowloris, graceful shutdown, Unix sockets) and, with the `tls`
//! feature, `tls_*` (a TLS echo and a TLS half-close over the backend's TCP, and an
//! `https` round trip between this crate's client and its server with TLS).

pub mod demo;
mod http_cases;
mod runtime_cases;
#[cfg(feature = "tls")]
mod tls_cases;

use std::fmt;
use std::time::Duration;

use crate::runtime::{BoxFuture, Runtime};

/// One named behavioural check.
pub struct Case {
    /// The case's name (what `COHTTP_CASE` selects).
    pub name: &'static str,
    /// Runs the case; `Err` says what went wrong.
    pub run: fn(Runtime) -> BoxFuture<'static, Result<(), String>>,
}

/// What a run of the suite found.
#[derive(Debug, Default)]
pub struct Report {
    /// The cases that passed.
    pub passed: Vec<&'static str>,
    /// The cases that failed, with why.
    pub failed: Vec<(&'static str, String)>,
}

impl Report {
    /// Panics, listing every failed case, unless all passed (and at least one ran).
    pub fn assert_passed(&self) {
        if !self.failed.is_empty() || self.passed.is_empty() {
            panic!("conformance suite failed:\n{self}");
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, why) in &self.failed {
            writeln!(f, "FAILED {name}: {why}")?;
        }
        write!(
            f,
            "{} passed, {} failed",
            self.passed.len(),
            self.failed.len()
        )
    }
}

/// Every case of the suite.
pub fn cases() -> Vec<Case> {
    let mut all = runtime_cases::cases();
    all.extend(http_cases::cases());
    #[cfg(feature = "tls")]
    all.extend(tls_cases::cases());
    all
}

/// Runs every case (or the one `COHTTP_CASE` names) on `rt`, each within 60 seconds
/// of the runtime's clock.
pub async fn run(rt: Runtime) -> Report {
    run_cases(rt, cases()).await
}

/// Runs the given cases on `rt` (see [`run`]).
pub async fn run_cases(rt: Runtime, cases: Vec<Case>) -> Report {
    let only = std::env::var("COHTTP_CASE").ok();
    let mut report = Report::default();
    for case in cases {
        if only.as_deref().is_some_and(|o| o != case.name) {
            continue;
        }
        let outcome = rt
            .timeout(Duration::from_secs(60), (case.run)(rt.clone()))
            .await;
        match outcome {
            Ok(Ok(())) => report.passed.push(case.name),
            Ok(Err(why)) => report.failed.push((case.name, why)),
            Err(_) => report
                .failed
                .push((case.name, "timed out after 60 s".into())),
        }
    }
    report
}

/// Fails a case with a message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}
pub(crate) use ensure;
