//! The server seen from outside while it is under load: its resident memory
//! and CPU time from `/proc`, and the viewer count it reports on `/metrics`.
//! Reading these from outside keeps the measurement honest: the server does
//! nothing special for the benchmark.
//!
//! CPU time is the sum of `/proc/PID/task/*/schedstat` (nanoseconds, per
//! thread); where that file is missing it falls back to `utime + stime` from
//! `/proc/PID/stat` (ticks of 10 ms, `USER_HZ` being 100 on Linux). Threads that
//! exit between two readings take their schedstat time with them; the server's
//! threads live as long as it does, so the windows measured here are whole.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::http;

/// Nanoseconds per `/proc/PID/stat` tick (`USER_HZ` = 100).
pub const NS_PER_TICK: u64 = 10_000_000;

/// How long a `/metrics` scrape may take.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(2);

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStats {
    /// Resident memory now (`VmRSS`).
    pub rss_bytes: u64,
    /// Most resident memory since the process started (`VmHWM`).
    pub hwm_bytes: u64,
    /// CPU time used so far, all threads, user and system.
    pub cpu_ns: u64,
}

/// Reads `pid`'s memory and CPU time.
pub fn read_proc(pid: u32) -> std::io::Result<ProcStats> {
    let (rss_bytes, hwm_bytes) = read_memory(pid)?;
    let times = read_cpu_times(pid)?;
    Ok(ProcStats {
        rss_bytes,
        hwm_bytes,
        cpu_ns: times.schedstat_ns.unwrap_or(times.stat_ns),
    })
}

/// `pid`'s resident memory now and its peak (`VmRSS`, `VmHWM`), in bytes.
pub fn read_memory(pid: u32) -> std::io::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_status(&status)
        .ok_or_else(|| std::io::Error::other(format!("no VmRSS/VmHWM in /proc/{pid}/status")))
}

/// A process's CPU time so far, all threads, user and system, read two ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// The sum of the live threads' `schedstat` run time, to the nanosecond;
    /// `None` where the kernel does not provide schedstat. Time of threads
    /// that have exited is not in it.
    pub schedstat_ns: Option<u64>,
    /// `utime + stime` of `/proc/PID/stat` in nanoseconds: whole 10 ms ticks,
    /// but it keeps the time of threads that have exited.
    pub stat_ns: u64,
}

/// Reads `pid`'s CPU time both ways (see [`CpuTimes`]).
pub fn read_cpu_times(pid: u32) -> std::io::Result<CpuTimes> {
    let dir = PathBuf::from(format!("/proc/{pid}"));
    let stat = std::fs::read_to_string(dir.join("stat"))?;
    let ticks = parse_stat_ticks(&stat)
        .ok_or_else(|| std::io::Error::other(format!("cannot parse /proc/{pid}/stat")))?;
    Ok(CpuTimes {
        schedstat_ns: schedstat_ns(&dir).ok(),
        stat_ns: ticks * NS_PER_TICK,
    })
}

/// The sum of every thread's on-CPU nanoseconds.
fn schedstat_ns(dir: &std::path::Path) -> std::io::Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(dir.join("task"))? {
        let path = task?.path().join("schedstat");
        // A thread may end between listing and reading: it no longer counts.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        total += parse_schedstat(&text)
            .ok_or_else(|| std::io::Error::other(format!("cannot parse {}", path.display())))?;
    }
    Ok(total)
}

/// `VmRSS` and `VmHWM` from `/proc/PID/status`, in bytes.
fn parse_status(text: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The first field of a schedstat line: time spent on the CPU, in ns.
fn parse_schedstat(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

/// `utime + stime` (fields 14 and 15) of `/proc/PID/stat`, in ticks. The
/// command name (field 2) may hold spaces and parentheses, so fields are
/// counted after its closing parenthesis.
fn parse_stat_ticks(text: &str) -> Option<u64> {
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The soft limit on open files of `pid` (`Max open files` in
/// `/proc/PID/limits`); `None` when unreadable or unlimited.
#[must_use]
pub fn open_files_limit(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = text
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU time over wall time, as a percentage of one core.
#[must_use]
pub fn cpu_percent(cpu_ns: u64, wall: Duration) -> f64 {
    let wall_ns = wall.as_nanos() as f64;
    if wall_ns == 0.0 {
        0.0
    } else {
        cpu_ns as f64 / wall_ns * 100.0
    }
}

/// What the server says about itself on `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ServerGauges {
    /// `hostpulse_clients`: viewers connected now.
    pub clients: u64,
    /// `hostpulse_lagged_samples_total`: samples viewers fell behind on so far.
    pub lagged_samples: u64,
    /// `hostpulse_sample_duration_seconds`, in ms: how long the latest
    /// sampling took, the part of the latency spent before the fan-out.
    pub sample_duration_ms: Option<f64>,
}

/// Scrapes `http://addr/metrics`; `None` when it cannot (refused, 401, timeout).
pub async fn scrape(addr: SocketAddr, token: Option<&str>) -> Option<ServerGauges> {
    let response = http::get(addr, "/metrics", token, SCRAPE_TIMEOUT)
        .await
        .ok()?;
    if response.status != 200 {
        return None;
    }
    parse_metrics(&String::from_utf8_lossy(&response.body))
}

fn parse_metrics(body: &str) -> Option<ServerGauges> {
    // Both are counts of whole things, which the server writes without a
    // fraction ("1010"); a ".0" is allowed for other writers.
    let text = |name: &str| {
        body.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map(str::trim)
    };
    let count = |name: &str| {
        text(name)
            .map(|value| value.trim_end_matches(".0"))
            .and_then(|value| value.parse::<u64>().ok())
    };
    Some(ServerGauges {
        clients: count("hostpulse_clients")?,
        lagged_samples: count("hostpulse_lagged_samples_total").unwrap_or(0),
        sample_duration_ms: text("hostpulse_sample_duration_seconds")
            .and_then(|value| value.parse::<f64>().ok())
            .map(|secs| secs * 1000.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_gives_rss_and_peak() {
        let status = "Name:\thostpulse-serve\nVmPeak:\t  300000 kB\nVmHWM:\t    8192 kB\nVmRSS:\t    6144 kB\n";
        assert_eq!(parse_status(status), Some((6144 * 1024, 8192 * 1024)));
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[test]
    fn schedstat_gives_nanoseconds() {
        assert_eq!(parse_schedstat("123456789 2000 17\n"), Some(123_456_789));
        assert_eq!(parse_schedstat(""), None);
    }

    #[test]
    fn stat_ticks_skip_a_name_with_spaces_and_parentheses() {
        let stat = "4242 (odd (name) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 125 0 0 20 0 5 0";
        assert_eq!(parse_stat_ticks(stat), Some(375));
    }

    #[test]
    fn our_own_process_can_be_read() {
        let stats = read_proc(std::process::id()).unwrap();
        assert!(stats.rss_bytes > 0 && stats.hwm_bytes >= stats.rss_bytes);
        assert!(open_files_limit(std::process::id()).is_some());
    }

    #[test]
    fn metrics_give_the_viewer_count() {
        let body = "# HELP hostpulse_clients x\nhostpulse_clients 1010\nhostpulse_lagged_samples_total 3\nhostpulse_sample_duration_seconds 0.0025\n";
        assert_eq!(
            parse_metrics(body),
            Some(ServerGauges {
                clients: 1010,
                lagged_samples: 3,
                sample_duration_ms: Some(2.5),
            })
        );
        assert_eq!(parse_metrics("{}"), None);
    }

    #[test]
    fn cpu_percent_is_of_one_core() {
        assert!((cpu_percent(500_000_000, Duration::from_secs(2)) - 25.0).abs() < 1e-9);
        assert!(cpu_percent(1, Duration::ZERO).abs() < f64::EPSILON);
    }
}
