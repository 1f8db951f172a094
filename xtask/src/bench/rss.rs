//! What the bench and the soak read about a process from Linux's `/proc`: resident memory
//! (`VmRSS`), open file descriptors and CPU time used, plus raising this process's open-file
//! limit so ten thousand sockets fit.
//!
//! Only readings; nothing here starts or stops processes. Off Linux every reading is `None`.

use std::process::Command;
use std::sync::OnceLock;

/// Resident set size of process `pid` in KiB, from `/proc/PID/status`.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

/// The `VmRSS:` line of a `/proc/PID/status` text, in KiB.
fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut words = line.split_whitespace().skip(1);
    let n: u64 = words.next()?.parse().ok()?;
    (words.next()? == "kB").then_some(n)
}

/// Open file descriptors of process `pid`: the entries of `/proc/PID/fd`.
pub fn fd_count(pid: u32) -> Option<u64> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(dir.filter(|e| e.is_ok()).count() as u64)
}

/// CPU time a process used, all threads, in seconds (or, as a difference over a window
/// divided by its length, in cores).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuTime {
    /// In user space.
    pub user: f64,
    /// In the kernel, on the process's behalf (system calls, and the network stack's work
    /// done in them).
    pub system: f64,
}

impl CpuTime {
    /// User and system together.
    pub fn total(&self) -> f64 {
        self.user + self.system
    }

    /// The time used from `self` to `later`, divided by `seconds`: cores busy on average.
    pub fn cores_until(&self, later: &CpuTime, seconds: f64) -> CpuTime {
        CpuTime {
            user: (later.user - self.user) / seconds,
            system: (later.system - self.system) / seconds,
        }
    }
}

/// CPU time used so far by process `pid`, all threads.
pub fn cpu_time(pid: u32) -> Option<CpuTime> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (user, system) = parse_stat_ticks(&stat)?;
    let hz = clock_ticks_per_second();
    Some(CpuTime {
        user: user as f64 / hz,
        system: system as f64 / hz,
    })
}

/// `utime` and `stime` (fields 14 and 15) of a `/proc/PID/stat` line, in clock ticks. The
/// command name (field 2) may hold spaces and parentheses, so fields are counted after its
/// last `)`.
fn parse_stat_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After ")": field 3 (state) is the first word, so utime (14) is the 12th word.
    let mut words = rest.split_whitespace().skip(11);
    let utime: u64 = words.next()?.parse().ok()?;
    let stime: u64 = words.next()?.parse().ok()?;
    Some((utime, stime))
}

/// `sysconf(_SC_CLK_TCK)` as `getconf CLK_TCK` reports it (100 on every Linux we run on).
fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|&t| t > 0.0)
            .unwrap_or(100.0)
    })
}

/// Raises this process's soft `RLIMIT_NOFILE` as far as the hard limit allows and returns the
/// limit now in force. Child processes spawned afterwards inherit it.
pub fn raise_nofile() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("bench: could not raise RLIMIT_NOFILE: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_line_is_read_in_kib() {
        let status = "Name:\tserver\nVmPeak:\t  9000 kB\nVmRSS:\t    4321 kB\nThreads:\t1\n";
        assert_eq!(parse_vm_rss(status), Some(4321));
    }

    #[test]
    fn status_without_vm_rss_reads_none() {
        assert_eq!(parse_vm_rss("Name:\tzombie\nState:\tZ\n"), None);
    }

    #[test]
    fn stat_ticks_skip_a_command_name_with_spaces_and_parens() {
        let stat = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0 1 1 1";
        assert_eq!(parse_stat_ticks(stat), Some((7, 5)));
    }

    #[test]
    fn own_process_has_rss_and_cpu_time() {
        let pid = std::process::id();
        assert!(rss_kib(pid).is_some_and(|k| k > 0));
        assert!(cpu_time(pid).is_some());
        // stdin, stdout and stderr at least.
        assert!(fd_count(pid).is_some_and(|n| n >= 3));
    }
}
