//! One peer's cost: start polling it, let it settle for a warm-up, then read
//! its CPU time at the start and end of the measurement window and its peak
//! resident memory at the end. CPU time is per-thread schedstat run time (to
//! the nanosecond); the 10 ms ticks of `/proc/PID/stat` are read beside it as
//! a check, since they also keep the time of threads that exited during the
//! window, which schedstat of the live threads cannot.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

use crate::cost::peer::{Peer, PeerError};
use crate::cost::poller::{self, Poll, PollTally};
use crate::probe::{self, CpuTimes};

/// How a peer is measured.
#[derive(Debug, Clone)]
pub struct CostConfig {
    /// How it is kept busy.
    pub poll: Poll,
    /// Time between polls.
    pub period: Duration,
    /// Polled but not measured, after the peer is ready.
    pub warmup: Duration,
    /// The measurement window.
    pub window: Duration,
    /// How long the peer may take to accept connections.
    pub ready_timeout: Duration,
}

/// A measurement that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CostError {
    /// The peer did not start, or stopped.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// Its `/proc` entry could not be read.
    #[error("cannot read /proc/{pid}: {source}")]
    Proc {
        /// The peer's PID.
        pid: u32,
        /// What failed.
        source: std::io::Error,
    },
}

/// One peer's figures.
#[derive(Debug, Clone, Serialize)]
pub struct CostReport {
    /// The program measured.
    pub program: String,
    /// Its PID.
    pub pid: u32,
    /// The warm-up before the window.
    pub warmup_secs: f64,
    /// The window's length as measured.
    pub window_secs: f64,
    /// CPU time in the window over its length, percent of one core, from
    /// schedstat (from `/proc/PID/stat` ticks where schedstat is missing).
    pub cpu_percent: f64,
    /// The same from `/proc/PID/stat` ticks, to check against.
    pub stat_cpu_percent: f64,
    /// The ticks exceed schedstat by more than rounding explains (see
    /// [`exited_threads_suspected`]): threads that ran in the window exited
    /// before its end, and `cpu_percent` misses their time.
    pub exited_threads_suspected: bool,
    /// `VmHWM` at the end: the most memory it ever had resident.
    pub peak_rss_bytes: u64,
    /// `VmRSS` at the end.
    pub rss_end_bytes: u64,
    /// What the polling saw over warm-up and window.
    pub poll: PollTally,
    /// It was polled without an error, answered, and ran to the end.
    pub passed: bool,
}

/// Measures `peer` as `config` says. The peer keeps running; the caller stops it.
pub async fn measure(peer: &mut Peer, config: &CostConfig) -> Result<CostReport, CostError> {
    peer.wait_ready(config.ready_timeout).await?;
    let pid = peer.pid;
    let proc_error = |source| CostError::Proc { pid, source };
    let (stop, stopped) = watch::channel(false);
    let polling = tokio::spawn({
        let (how, addr, period) = (config.poll.clone(), peer.addr, config.period);
        async move { poller::poll(&how, addr, period, stopped).await }
    });

    tokio::time::sleep(config.warmup).await;
    peer.check_running()?;
    let start = probe::read_cpu_times(pid).map_err(proc_error)?;
    let started_at = Instant::now();
    tokio::time::sleep(config.window).await;
    let end = probe::read_cpu_times(pid).map_err(proc_error)?;
    let window = started_at.elapsed();
    let (rss_end_bytes, peak_rss_bytes) = probe::read_memory(pid).map_err(proc_error)?;
    peer.check_running()?;

    let _ = stop.send(true);
    let poll = polling.await.unwrap_or_default();
    let (cpu_ns, stat_ns) = cpu_deltas(start, end);
    let answered = config.poll == Poll::Nothing || (poll.responses > 0 && poll.errors == 0);
    Ok(CostReport {
        program: peer.program().to_owned(),
        pid,
        warmup_secs: config.warmup.as_secs_f64(),
        window_secs: window.as_secs_f64(),
        cpu_percent: probe::cpu_percent(cpu_ns, window),
        stat_cpu_percent: probe::cpu_percent(stat_ns, window),
        exited_threads_suspected: exited_threads_suspected(cpu_ns, stat_ns),
        peak_rss_bytes,
        rss_end_bytes,
        poll,
        passed: answered,
    })
}

/// CPU time over the window: schedstat's (or the ticks' where it is missing),
/// and the ticks'.
fn cpu_deltas(start: CpuTimes, end: CpuTimes) -> (u64, u64) {
    let stat_ns = end.stat_ns.saturating_sub(start.stat_ns);
    let cpu_ns = match (start.schedstat_ns, end.schedstat_ns) {
        (Some(start), Some(end)) => end.saturating_sub(start),
        _ => stat_ns,
    };
    (cpu_ns, stat_ns)
}

/// Whether the ticks' CPU time exceeds schedstat's by more than the ticks'
/// own uncertainty: a tick either side of each reading, and the kernel's
/// sampling of which thread a tick goes to (a few percent).
#[must_use]
pub fn exited_threads_suspected(schedstat_ns: u64, stat_ns: u64) -> bool {
    let slack_ns = (4 * probe::NS_PER_TICK).max(schedstat_ns / 20);
    stat_ns > schedstat_ns + slack_ns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_rounding_is_not_taken_for_exited_threads() {
        let ms = |ms: u64| ms * 1_000_000;
        // Glances over 60 s: 840 ms by schedstat, 870 ms by ticks.
        assert!(!exited_threads_suspected(ms(840), ms(870)));
        assert!(!exited_threads_suspected(ms(100), ms(140)));
        assert!(exited_threads_suspected(ms(100), ms(150)));
        assert!(exited_threads_suspected(ms(840), ms(1200)));
    }

    #[test]
    fn schedstat_is_preferred_and_ticks_fill_in() {
        let at = |schedstat_ns, stat_ns| CpuTimes {
            schedstat_ns,
            stat_ns,
        };
        assert_eq!(
            cpu_deltas(at(Some(1_000), 0), at(Some(4_500_000), 10_000_000)),
            (4_499_000, 10_000_000)
        );
        assert_eq!(
            cpu_deltas(at(None, 10_000_000), at(Some(9), 30_000_000)),
            (20_000_000, 20_000_000)
        );
    }
}
