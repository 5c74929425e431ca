//! Per-host time series, columnar and bounded by age and by count (DESIGN
//! invariant 7). Pure data: no egui, no I/O, so it is tested on its own.
//!
//! Values are `f32`: plenty for plotting, and half the memory of `f64`. An unknown
//! value is stored as NaN and drawn as a gap, never as zero.

use std::collections::VecDeque;

use hostpulse_shared::Sample;

/// What a plot can ask the history for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// All CPUs together, percent.
    CpuTotal,
    /// One logical CPU, percent.
    CpuCore(usize),
    /// Memory in use, bytes.
    MemoryUsed,
    /// Swap in use, bytes.
    SwapUsed,
    /// Received on all non-loopback interfaces, bytes per second.
    NetworkRx,
    /// Sent on all non-loopback interfaces, bytes per second.
    NetworkTx,
    /// Read from all devices, bytes per second.
    DiskRead,
    /// Written to all devices, bytes per second.
    DiskWrite,
}

/// Limits of one host's history.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Samples older than this, relative to the newest, are dropped.
    pub max_age_ms: u64,
    /// At most this many samples are kept.
    pub max_samples: usize,
}

impl Default for Retention {
    /// One hour, or 3,600 samples (an hour at 1 Hz) whichever is less.
    fn default() -> Self {
        Self {
            max_age_ms: 60 * 60 * 1000,
            max_samples: 3600,
        }
    }
}

/// The recent samples of one host, one column per metric.
#[derive(Debug, Default)]
pub struct HostHistory {
    retention: Retention,
    timestamps_ms: VecDeque<u64>,
    cpu_total: VecDeque<f32>,
    cpu_cores: Vec<VecDeque<f32>>,
    memory_used: VecDeque<f32>,
    swap_used: VecDeque<f32>,
    network_rx: VecDeque<f32>,
    network_tx: VecDeque<f32>,
    disk_read: VecDeque<f32>,
    disk_write: VecDeque<f32>,
    latest: Option<Sample>,
    /// `(epoch, seq)` of the newest sample, to drop duplicates.
    newest_key: Option<(u64, u64)>,
}

impl HostHistory {
    /// An empty history with the given limits.
    #[must_use]
    pub fn new(retention: Retention) -> Self {
        Self {
            retention,
            ..Self::default()
        }
    }

    /// Appends a sample. A duplicate (same epoch, seq not above the newest) is
    /// ignored. A sample from another epoch follows a gap. A sample that is not
    /// later than the newest kept (the server's clock was set back) starts the
    /// history over, since time must only move forward along the x axis.
    pub fn push(&mut self, sample: Sample) {
        if let Some((epoch, seq)) = self.newest_key {
            if sample.epoch == epoch && sample.seq <= seq {
                return;
            }
            if sample.epoch != epoch {
                self.mark_gap();
            }
        }
        if self
            .timestamps_ms
            .back()
            .is_some_and(|&newest| sample.timestamp_ms <= newest)
        {
            *self = Self::new(self.retention);
        }
        self.newest_key = Some((sample.epoch, sample.seq));
        if self.cpu_cores.len() != sample.cpu.per_core_percent.len() {
            // A different machine answers at this address: per-core columns start over,
            // padded with gaps so every column keeps the same length.
            self.cpu_cores =
                vec![VecDeque::from(vec![f32::NAN; self.len()]); sample.cpu.per_core_percent.len()];
        }
        self.timestamps_ms.push_back(sample.timestamp_ms);
        self.cpu_total.push_back(sample.cpu.total_percent);
        for (column, value) in self.cpu_cores.iter_mut().zip(&sample.cpu.per_core_percent) {
            column.push_back(*value);
        }
        self.memory_used.push_back(sample.memory.used_bytes as f32);
        self.swap_used
            .push_back(sample.memory.swap_used_bytes as f32);
        self.network_rx
            .push_back(known(sample.network_rx_bytes_per_sec()));
        self.network_tx
            .push_back(known(sample.network_tx_bytes_per_sec()));
        self.disk_read
            .push_back(known(sample.disk_read_bytes_per_sec()));
        self.disk_write
            .push_back(known(sample.disk_write_bytes_per_sec()));
        self.latest = Some(sample);
        self.evict();
    }

    /// Records that what comes next does not continue what came before (the
    /// server restarted, or the outage outlasted its history): a row of unknown
    /// values just after the newest sample, so no line bridges the two.
    pub fn mark_gap(&mut self) {
        let Some(&newest) = self.timestamps_ms.back() else {
            return;
        };
        if self.cpu_total.back().is_some_and(|v| v.is_nan()) {
            return; // Already marked.
        }
        self.timestamps_ms.push_back(newest + 1);
        for column in self.columns_mut() {
            column.push_back(f32::NAN);
        }
        self.evict();
    }

    fn evict(&mut self) {
        let Some(&newest) = self.timestamps_ms.back() else {
            return;
        };
        let oldest_kept = newest.saturating_sub(self.retention.max_age_ms);
        while self.timestamps_ms.len() > self.retention.max_samples
            || self
                .timestamps_ms
                .front()
                .is_some_and(|&ts| ts < oldest_kept)
        {
            self.timestamps_ms.pop_front();
            for column in self.columns_mut() {
                column.pop_front();
            }
        }
    }

    fn columns_mut(&mut self) -> impl Iterator<Item = &mut VecDeque<f32>> {
        [
            &mut self.cpu_total,
            &mut self.memory_used,
            &mut self.swap_used,
            &mut self.network_rx,
            &mut self.network_tx,
            &mut self.disk_read,
            &mut self.disk_write,
        ]
        .into_iter()
        .chain(self.cpu_cores.iter_mut())
    }

    /// Number of samples kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.timestamps_ms.len()
    }

    /// True before the first sample.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.timestamps_ms.is_empty()
    }

    /// The newest sample, whole (tables and current values read it).
    #[must_use]
    pub fn latest(&self) -> Option<&Sample> {
        self.latest.as_ref()
    }

    /// Number of per-core columns.
    #[must_use]
    pub fn core_count(&self) -> usize {
        self.cpu_cores.len()
    }

    /// Timestamp of the newest sample, in Unix milliseconds.
    #[must_use]
    pub fn newest_ms(&self) -> Option<u64> {
        self.timestamps_ms.back().copied()
    }

    /// When the oldest sample kept was taken (Unix ms).
    #[must_use]
    pub fn oldest_ms(&self) -> Option<u64> {
        self.timestamps_ms.front().copied()
    }

    /// `(timestamp_ms, value)` of `metric` for every sample at or after `since_ms`,
    /// oldest first. Unknown values come as NaN.
    pub fn points(&self, metric: Metric, since_ms: u64) -> impl Iterator<Item = (u64, f32)> + '_ {
        let column = self.column(metric);
        let start = self.timestamps_ms.partition_point(|&ts| ts < since_ms);
        self.timestamps_ms.range(start..).copied().zip(
            column
                .into_iter()
                .flat_map(move |c| c.range(start..).copied()),
        )
    }

    fn column(&self, metric: Metric) -> Option<&VecDeque<f32>> {
        Some(match metric {
            Metric::CpuTotal => &self.cpu_total,
            Metric::CpuCore(core) => self.cpu_cores.get(core)?,
            Metric::MemoryUsed => &self.memory_used,
            Metric::SwapUsed => &self.swap_used,
            Metric::NetworkRx => &self.network_rx,
            Metric::NetworkTx => &self.network_tx,
            Metric::DiskRead => &self.disk_read,
            Metric::DiskWrite => &self.disk_write,
        })
    }
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "f32 is the storage precision: plenty to plot"
)]
fn known(value: Option<f64>) -> f32 {
    value.map_or(f32::NAN, |v| v as f32)
}

/// Splits `points` into runs to draw as separate lines: a run ends at an unknown
/// value, or where consecutive samples are more than `max_step_ms` apart (the
/// viewer was disconnected, or the server was down). A gap is never bridged.
pub fn segments(
    points: impl Iterator<Item = (u64, f32)>,
    max_step_ms: u64,
) -> Vec<Vec<(u64, f32)>> {
    let mut runs: Vec<Vec<(u64, f32)>> = Vec::new();
    let mut current: Vec<(u64, f32)> = Vec::new();
    for (ts, value) in points {
        let breaks = value.is_nan()
            || current
                .last()
                .is_some_and(|&(previous, _)| ts.saturating_sub(previous) > max_step_ms);
        if breaks && !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
        if !value.is_nan() {
            current.push((ts, value));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

#[cfg(test)]
mod tests {
    use hostpulse_shared::{CpuSample, MemorySample, NetworkSample};

    use super::*;

    fn sample(seq: u64, timestamp_ms: u64) -> Sample {
        Sample {
            seq,
            timestamp_ms,
            cpu: CpuSample {
                total_percent: seq as f32,
                per_core_percent: vec![1.0, 2.0],
            },
            memory: MemorySample {
                used_bytes: 1024,
                ..MemorySample::default()
            },
            networks: vec![NetworkSample {
                interface: "eth0".into(),
                rx_bytes_per_sec: (seq > 0).then_some(100.0),
                ..NetworkSample::default()
            }],
            ..Sample::default()
        }
    }

    #[test]
    fn evicts_by_count() {
        let mut history = HostHistory::new(Retention {
            max_age_ms: u64::MAX,
            max_samples: 3,
        });
        for seq in 0..10 {
            history.push(sample(seq, 1000 + seq * 1000));
        }
        assert_eq!(history.len(), 3);
        let cpu: Vec<f32> = history
            .points(Metric::CpuTotal, 0)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(cpu, [7.0, 8.0, 9.0]);
        assert_eq!(history.points(Metric::CpuCore(1), 0).count(), 3);
    }

    #[test]
    fn evicts_by_age() {
        let mut history = HostHistory::new(Retention {
            max_age_ms: 5_000,
            max_samples: usize::MAX,
        });
        for seq in 0..20 {
            history.push(sample(seq, seq * 1000));
        }
        let times: Vec<u64> = history
            .points(Metric::MemoryUsed, 0)
            .map(|(ts, _)| ts)
            .collect();
        assert_eq!(times, [14_000, 15_000, 16_000, 17_000, 18_000, 19_000]);
    }

    #[test]
    fn ignores_duplicates() {
        let mut history = HostHistory::new(Retention::default());
        history.push(sample(1, 2000));
        history.push(sample(1, 2000));
        history.push(sample(0, 1000));
        assert_eq!(history.len(), 1);
    }

    #[test]
    fn a_clock_set_back_starts_over_instead_of_freezing() {
        let mut history = HostHistory::new(Retention::default());
        history.push(sample(1, 50_000));
        history.push(sample(2, 51_000));
        history.push(sample(3, 10_000));
        assert_eq!(history.len(), 1);
        assert_eq!(history.latest().unwrap().seq, 3);
    }

    #[test]
    fn a_new_epoch_follows_a_gap() {
        let mut history = HostHistory::new(Retention::default());
        history.push(sample(5, 1000));
        let restarted = Sample {
            epoch: 9,
            ..sample(0, 2000)
        };
        history.push(restarted);
        let runs = segments(history.points(Metric::CpuTotal, 0), 10_000);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(history.len(), 3, "two samples and one gap row");
        // A gap is marked once however often it is reported.
        history.mark_gap();
        history.mark_gap();
        assert_eq!(history.len(), 4);
    }

    #[test]
    fn points_start_at_the_requested_time() {
        let mut history = HostHistory::new(Retention::default());
        for seq in 0..10 {
            history.push(sample(seq, seq * 1000));
        }
        let first = history.points(Metric::CpuTotal, 7_500).next();
        assert_eq!(first, Some((8_000, 8.0)));
        assert_eq!(
            history.points(Metric::CpuCore(9), 0).count(),
            0,
            "no such core"
        );
    }

    #[test]
    fn unknown_rates_are_nan_not_zero() {
        let mut history = HostHistory::new(Retention::default());
        history.push(sample(0, 1000));
        history.push(sample(1, 2000));
        let rx: Vec<f32> = history
            .points(Metric::NetworkRx, 0)
            .map(|(_, v)| v)
            .collect();
        assert!(rx[0].is_nan());
        assert!((rx[1] - 100.0).abs() < f32::EPSILON);
    }

    #[test]
    fn a_marked_gap_breaks_every_line_even_between_close_samples() {
        let mut history = HostHistory::new(Retention::default());
        history.push(sample(1, 1000));
        history.push(sample(2, 2000));
        history.mark_gap();
        history.push(sample(3, 3000));
        let runs = segments(history.points(Metric::CpuCore(0), 0), 10_000);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[1], vec![(3000, 1.0)]);
        assert_eq!(history.latest().unwrap().seq, 3);
    }

    #[test]
    fn segments_break_at_gaps_and_unknown_values() {
        let points = [
            (1000, 1.0),
            (2000, 2.0),
            (3000, f32::NAN),
            (4000, 4.0),
            (5000, 5.0),
            (60_000, 6.0),
        ];
        let runs = segments(points.into_iter(), 2500);
        assert_eq!(
            runs,
            vec![
                vec![(1000, 1.0), (2000, 2.0)],
                vec![(4000, 4.0), (5000, 5.0)],
                vec![(60_000, 6.0)],
            ]
        );
    }
}
