//! The allocations-per-request row: runs the `bench-allocs` binary (built beside this
//! executable; see `src/bin/bench-allocs.rs`) for our server and hyper's, and reads its
//! figures. Deterministic, so one run per side; the target is absolute (at most
//! 2 allocations per request for ours), not a ratio.

use std::path::Path;
use std::process::Command;

use super::report::Run;

/// Requests counted per side.
const REQUESTS: u64 = 20_000;

/// `(ours, hyper)` allocations per request on `GET /plaintext`, one request at a time
/// on one connection. Ours is `None` when `ours` is false (our server not built).
pub fn measure(xtask: &Path, ours: bool) -> (Option<Run>, Run) {
    let program = xtask.with_file_name(format!("bench-allocs{}", std::env::consts::EXE_SUFFIX));
    let one = |server: &str| -> Run {
        let out = Command::new(&program)
            .args(["--server", server, "--requests", &REQUESTS.to_string()])
            .output();
        let out = match out {
            Ok(o) if o.status.success() => o,
            Ok(o) => {
                return Run::failed(format!(
                    "bench-allocs failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
            Err(e) => return Run::failed(format!("could not run {}: {e}", program.display())),
        };
        let text = String::from_utf8_lossy(&out.stdout);
        match parse(&text) {
            Some((per_request, bytes)) => Run {
                value: per_request,
                errors: 0,
                note: format!("{REQUESTS} requests, {bytes:.0} bytes allocated per request"),
            },
            None => Run::failed(format!("unreadable bench-allocs output: {text:?}")),
        }
    };
    let ours = ours.then(|| one("ours"));
    (ours, one("hyper"))
}

/// `per_request` and `bytes_per_request` of a `bench-allocs` line.
fn parse(text: &str) -> Option<(f64, f64)> {
    let line = text.lines().find(|l| l.starts_with("bench-allocs "))?;
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))?
            .parse::<f64>()
            .ok()
    };
    Some((field("per_request")?, field("bytes_per_request")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_allocs_line_is_read() {
        let out = "bench-allocs server=ours path=/plaintext depth=1 requests=20000 allocs=40000 \
                   per_request=2.000 bytes_per_request=656.0\n";
        assert_eq!(parse(out), Some((2.0, 656.0)));
        assert_eq!(parse("nothing\n"), None);
    }
}
