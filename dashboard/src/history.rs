//! Per-host time series, columnar and bounded by age and by count
//! (ARCHITECTURE.md). Pure data: no egui, no I/O, so it is tested on its own.
//!
//! Values are kept in one to four bytes each ([`column`](mod@column)):
//! percentages in half-percent steps, bytes, rates and load as the `f32`
//! received (a CSV export writes them back digit for digit), temperatures in
//! hundredths of a degree. An unknown value reads back as NaN and is drawn as
//! a gap, never as zero.
//! Plots read it decimated ([`decimate`], read out in `drawn`), and the top processes of each
//! moment are kept beside it ([`processes`]).
//! A day at 1 Hz fits in about 8 MB for a typical host (BENCHMARKS.md).

pub mod column;
pub mod decimate;
mod drawn;
pub mod processes;

pub use self::drawn::segments;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use hostpulse_shared::Sample;

use self::column::{Column, KeyedColumns};
use self::processes::{Moment, ProcessLog};

/// What a plot can ask the history for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Load average over one minute.
    LoadOne,
    /// Load average over five minutes.
    LoadFive,
    /// Load average over fifteen minutes.
    LoadFifteen,
    /// Received on the `n`-th of [`HostHistory::interfaces`], bytes per second.
    InterfaceRx(usize),
    /// Sent on the `n`-th of [`HostHistory::interfaces`], bytes per second.
    InterfaceTx(usize),
    /// Read from the `n`-th of [`HostHistory::disks`], bytes per second.
    DiskDeviceRead(usize),
    /// Written to the `n`-th of [`HostHistory::disks`], bytes per second.
    DiskDeviceWrite(usize),
    /// The `n`-th of [`HostHistory::sensors`], degrees Celsius.
    Temperature(usize),
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
    /// A day, or 86,400 samples (a day at 1 Hz) whichever is less.
    fn default() -> Self {
        Self {
            max_age_ms: 24 * 60 * 60 * 1000,
            max_samples: 86_400,
        }
    }
}

/// Numbers each history, so a cache of what was drawn from one is never used
/// for another (or for the same host after its history started over).
static NEXT_HISTORY_ID: AtomicU64 = AtomicU64::new(1);

/// The recent samples of one host, one column per metric.
#[derive(Debug)]
pub struct HostHistory {
    /// Unique among histories made in this process.
    id: u64,
    retention: Retention,
    timestamps_ms: VecDeque<u64>,
    /// The number of rows ever dropped from the front: the absolute row
    /// number of the oldest row kept.
    first_row: u64,
    cpu_total: Column,
    cpu_cores: Vec<Column>,
    memory_used: Column,
    swap_used: Column,
    network_rx: Column,
    network_tx: Column,
    disk_read: Column,
    disk_write: Column,
    load: [Column; 3],
    /// Received and sent, per non-loopback interface.
    interfaces: KeyedColumns<2>,
    /// Read and written, per device, named by its first mount point.
    disks: KeyedColumns<2>,
    /// Degrees Celsius, per sensor.
    sensors: KeyedColumns<1>,
    processes: ProcessLog,
    latest: Option<Sample>,
    /// `(epoch, seq)` of the newest sample, to drop duplicates.
    newest_key: Option<(u64, u64)>,
}

impl Default for HostHistory {
    fn default() -> Self {
        Self {
            id: 0,
            retention: Retention::default(),
            timestamps_ms: VecDeque::new(),
            first_row: 0,
            cpu_total: Column::percent(),
            cpu_cores: Vec::new(),
            memory_used: Column::magnitude(),
            swap_used: Column::magnitude(),
            network_rx: Column::magnitude(),
            network_tx: Column::magnitude(),
            disk_read: Column::magnitude(),
            disk_write: Column::magnitude(),
            load: std::array::from_fn(|_| Column::magnitude()),
            interfaces: KeyedColumns::new(Column::magnitude),
            disks: KeyedColumns::new(Column::magnitude),
            sensors: KeyedColumns::new(Column::celsius),
            processes: ProcessLog::default(),
            latest: None,
            newest_key: None,
        }
    }
}

impl HostHistory {
    /// An empty history with the given limits.
    #[must_use]
    pub fn new(retention: Retention) -> Self {
        Self {
            id: NEXT_HISTORY_ID.fetch_add(1, Ordering::Relaxed),
            retention,
            ..Self::default()
        }
    }

    /// Unique among histories made in this process, and new when this one
    /// starts over: rows kept only ever grow at the newest end, and drop at
    /// the oldest, while the id stays the same.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.id
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
            let rows = self.len();
            self.cpu_cores = (0..sample.cpu.per_core_percent.len())
                .map(|_| {
                    let mut column = Column::percent();
                    column.push_unknown(rows);
                    column
                })
                .collect();
        }
        let (row, rows_before) = (self.first_row + self.len() as u64, self.len());
        self.grow_if_full();
        self.timestamps_ms.push_back(sample.timestamp_ms);
        self.cpu_total.push(sample.cpu.total_percent);
        for (column, value) in self.cpu_cores.iter_mut().zip(&sample.cpu.per_core_percent) {
            column.push(*value);
        }
        self.memory_used.push(sample.memory.used_bytes as f32);
        self.swap_used.push(sample.memory.swap_used_bytes as f32);
        self.network_rx
            .push(known(sample.network_rx_bytes_per_sec()));
        self.network_tx
            .push(known(sample.network_tx_bytes_per_sec()));
        self.disk_read.push(known(sample.disk_read_bytes_per_sec()));
        self.disk_write
            .push(known(sample.disk_write_bytes_per_sec()));
        let load = sample.load.map(|l| [l.one, l.five, l.fifteen]);
        for (index, column) in self.load.iter_mut().enumerate() {
            column.push(known(load.map(|l| l[index])));
        }
        self.push_keyed(row, rows_before, &sample);
        self.processes
            .push(sample.timestamp_ms, &sample.top_processes);
        self.latest = Some(sample);
        self.evict();
    }

    fn push_keyed(&mut self, row: u64, rows_before: usize, sample: &Sample) {
        self.interfaces.push_row(
            row,
            rows_before,
            sample
                .networks
                .iter()
                .filter(|n| !n.is_loopback())
                .map(|n| {
                    (
                        n.interface.as_str(),
                        [known(n.rx_bytes_per_sec), known(n.tx_bytes_per_sec)],
                    )
                }),
        );
        // I/O belongs to the device: a device mounted twice counts once, under
        // its first mount point.
        let first_mounts = sample.disks.iter().enumerate().filter(|(index, disk)| {
            !sample.disks[..*index]
                .iter()
                .any(|d| d.device == disk.device)
        });
        self.disks.push_row(
            row,
            rows_before,
            first_mounts.map(|(_, d)| {
                (
                    d.mount_point.as_str(),
                    [known(d.read_bytes_per_sec), known(d.write_bytes_per_sec)],
                )
            }),
        );
        self.sensors.push_row(
            row,
            rows_before,
            sample
                .temperatures
                .iter()
                .map(|t| (t.label.as_str(), [t.celsius])),
        );
    }

    /// Grows every column before it is full, doubling but never past the
    /// retention's count (plus a gap row): left to themselves, the rings
    /// would double to 131,072 rows to hold a day's 86,400, half again the
    /// memory.
    fn grow_if_full(&mut self) {
        let len = self.len();
        if len < self.timestamps_ms.capacity() {
            return;
        }
        let ceiling = self.retention.max_samples.saturating_add(1);
        let additional = len.max(1024).min(ceiling.saturating_sub(len)).max(1);
        self.timestamps_ms.reserve_exact(additional);
        for column in self.columns_mut() {
            column.reserve_exact(additional);
        }
    }

    /// Records that what comes next does not continue what came before (the
    /// server restarted, or the outage outlasted its history): a row of unknown
    /// values just after the newest sample, so no line bridges the two.
    pub fn mark_gap(&mut self) {
        let Some(&newest) = self.timestamps_ms.back() else {
            return;
        };
        if self.cpu_total.newest_is_unknown() {
            return; // Already marked.
        }
        self.grow_if_full();
        self.timestamps_ms.push_back(newest + 1);
        for column in self.columns_mut() {
            column.push(f32::NAN);
        }
        self.evict();
    }

    fn evict(&mut self) {
        let Some(&newest) = self.timestamps_ms.back() else {
            return;
        };
        let oldest_kept = newest.saturating_sub(self.retention.max_age_ms);
        let mut dropped = false;
        while self.timestamps_ms.len() > self.retention.max_samples
            || self
                .timestamps_ms
                .front()
                .is_some_and(|&ts| ts < oldest_kept)
        {
            self.timestamps_ms.pop_front();
            self.first_row += 1;
            dropped = true;
            for column in self.columns_mut() {
                column.pop_front();
            }
        }
        if dropped {
            let first_row = self.first_row;
            self.interfaces.forget_unseen(first_row);
            self.disks.forget_unseen(first_row);
            self.sensors.forget_unseen(first_row);
            if let Some(&oldest) = self.timestamps_ms.front() {
                self.processes.forget_before(oldest);
            }
        }
    }

    fn columns_mut(&mut self) -> impl Iterator<Item = &mut Column> {
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
        .chain(self.load.iter_mut())
        .chain(self.cpu_cores.iter_mut())
        .chain(self.interfaces.columns_mut())
        .chain(self.disks.columns_mut())
        .chain(self.sensors.columns_mut())
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

    /// The non-loopback network interfaces with a value in the history, for
    /// [`Metric::InterfaceRx`] and [`Metric::InterfaceTx`].
    #[must_use]
    pub fn interfaces(&self) -> &[String] {
        self.interfaces.names()
    }

    /// The devices with a value in the history, named by their first mount
    /// point, for [`Metric::DiskDeviceRead`] and [`Metric::DiskDeviceWrite`].
    #[must_use]
    pub fn disks(&self) -> &[String] {
        self.disks.names()
    }

    /// The temperature sensors with a value in the history, for
    /// [`Metric::Temperature`].
    #[must_use]
    pub fn sensors(&self) -> &[String] {
        self.sensors.names()
    }

    /// Timestamp of the newest sample, in Unix milliseconds.
    #[must_use]
    pub fn newest_ms(&self) -> Option<u64> {
        self.timestamps_ms.back().copied()
    }

    /// When the first sample after `after_ms` was taken (Unix ms).
    #[must_use]
    pub fn first_after(&self, after_ms: u64) -> Option<u64> {
        let row = self.timestamps_ms.partition_point(|&ts| ts <= after_ms);
        self.timestamps_ms.get(row).copied()
    }

    /// When the oldest sample kept was taken (Unix ms).
    #[must_use]
    pub fn oldest_ms(&self) -> Option<u64> {
        self.timestamps_ms.front().copied()
    }

    /// The top processes kept nearest to `at_ms`, with the time of their sample.
    #[must_use]
    pub fn processes_near(&self, at_ms: u64) -> Option<Moment> {
        self.processes.nearest(at_ms)
    }

    /// `(timestamp_ms, value)` of `metric` for every sample at or after `since_ms`,
    /// oldest first. Unknown values come as NaN.
    pub fn points(&self, metric: Metric, since_ms: u64) -> impl Iterator<Item = (u64, f32)> + '_ {
        let start = self.timestamps_ms.partition_point(|&ts| ts < since_ms);
        self.points_in(metric, start..self.len())
    }

    /// The value of `metric` in the newest sample at or before `at_ms`;
    /// `None` when there is none or it is unknown.
    #[must_use]
    pub fn value_at(&self, metric: Metric, at_ms: u64) -> Option<f32> {
        let row = self
            .timestamps_ms
            .partition_point(|&ts| ts <= at_ms)
            .checked_sub(1)?;
        let value = self.column(metric)?.get(row);
        (!value.is_nan()).then_some(value)
    }

    /// The highest known value of `metric` from `start_ms` to `end_ms`
    /// (inclusive); NaN when none is known there.
    #[must_use]
    pub fn max_between(&self, metric: Metric, start_ms: u64, end_ms: u64) -> f32 {
        let first = self.timestamps_ms.partition_point(|&ts| ts < start_ms);
        let end = self.timestamps_ms.partition_point(|&ts| ts <= end_ms);
        self.column(metric)
            .map_or(f32::NAN, |column| column.max_known(first..end.max(first)))
    }

    fn points_in(
        &self,
        metric: Metric,
        rows: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (u64, f32)> + '_ {
        let values = self.column(metric).map(|c| c.range(rows.clone()));
        self.timestamps_ms
            .range(rows)
            .copied()
            .zip(values.into_iter().flatten())
    }

    fn column(&self, metric: Metric) -> Option<&Column> {
        Some(match metric {
            Metric::CpuTotal => &self.cpu_total,
            Metric::CpuCore(core) => self.cpu_cores.get(core)?,
            Metric::MemoryUsed => &self.memory_used,
            Metric::SwapUsed => &self.swap_used,
            Metric::NetworkRx => &self.network_rx,
            Metric::NetworkTx => &self.network_tx,
            Metric::DiskRead => &self.disk_read,
            Metric::DiskWrite => &self.disk_write,
            Metric::LoadOne => &self.load[0],
            Metric::LoadFive => &self.load[1],
            Metric::LoadFifteen => &self.load[2],
            Metric::InterfaceRx(n) => self.interfaces.column(n, 0)?,
            Metric::InterfaceTx(n) => self.interfaces.column(n, 1)?,
            Metric::DiskDeviceRead(n) => self.disks.column(n, 0)?,
            Metric::DiskDeviceWrite(n) => self.disks.column(n, 1)?,
            Metric::Temperature(n) => self.sensors.column(n, 0)?,
        })
    }

    /// Bytes this history holds on the heap, counting spare capacity (but not
    /// the newest sample, kept whole).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let fixed: usize = [
            &self.cpu_total,
            &self.memory_used,
            &self.swap_used,
            &self.network_rx,
            &self.network_tx,
            &self.disk_read,
            &self.disk_write,
        ]
        .into_iter()
        .chain(&self.load)
        .chain(&self.cpu_cores)
        .map(Column::heap_bytes)
        .sum();
        self.timestamps_ms.capacity() * size_of::<u64>()
            + fixed
            + self.cpu_cores.capacity() * size_of::<Column>()
            + self.interfaces.heap_bytes()
            + self.disks.heap_bytes()
            + self.sensors.heap_bytes()
            + self.processes.heap_bytes()
    }
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "columns take f32 and keep less precision still"
)]
fn known(value: Option<f64>) -> f32 {
    value.map_or(f32::NAN, |v| v as f32)
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "values stored and read back exactly")]
mod tests {
    use hostpulse_shared::{CpuSample, MemorySample, NetworkSample};

    use super::decimate::Columns;
    use super::*;
    use crate::synthetic::Shape;

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

    /// One step of a random history: how long after the step before, and
    /// what comes: a gap mark, an unknown rate, or values.
    fn random_sample(seq: u64, timestamp_ms: u64, kind: u8, value: f32) -> Sample {
        let mut sample = sample(seq, timestamp_ms);
        sample.cpu.total_percent = value;
        // Plateaus, so equal values (ties between extremes) are common.
        sample.cpu.per_core_percent = vec![(value / 20.0).floor() * 20.0, 100.0 - value];
        sample.memory.used_bytes = u64::from(kind) << 20;
        sample.networks[0].rx_bytes_per_sec = (kind != 1).then_some(f64::from(value) * 1e3);
        sample
    }

    fn bits(points: &[(u64, f32)]) -> Vec<(u64, u32)> {
        points.iter().map(|&(ts, v)| (ts, v.to_bits())).collect()
    }

    proptest::proptest! {
        /// The fast decimation and heat strip give exactly what walking
        /// every sample gives, whatever the gaps, unknowns and ties.
        #[test]
        fn decimation_matches_walking_every_sample(
            steps in proptest::collection::vec((1_u64..4000, 0_u8..8, 0.0_f32..100.0), 1..300),
            start_ms in 0_u64..400_000,
            span_ms in 1_u64..600_000,
            count in 0_usize..90,
            max_step_ms in 500_u64..3000,
        ) {
            let mut history = HostHistory::new(Retention::default());
            let mut timestamp_ms = 1_000_000;
            for (seq, (step_ms, kind, value)) in steps.into_iter().enumerate() {
                timestamp_ms += step_ms;
                if kind == 0 {
                    history.mark_gap();
                } else {
                    history.push(random_sample(seq as u64 + 1, timestamp_ms, kind, value));
                }
            }
            let columns = Columns {
                start_ms: 1_000_000 + start_ms,
                end_ms: 1_000_000 + start_ms + span_ms,
                count,
            };
            let rows = history.rows_around(columns.start_ms, columns.end_ms);
            for metric in [
                Metric::CpuTotal,
                Metric::CpuCore(0),
                Metric::MemoryUsed,
                Metric::NetworkRx,
                Metric::InterfaceRx(0),
            ] {
                let walked = decimate::min_max(
                    history.points_in(metric, rows.clone()),
                    columns,
                    max_step_ms,
                );
                let fast = history.decimated(metric, columns, max_step_ms);
                proptest::prop_assert_eq!(bits(&fast), bits(&walked), "{:?}", metric);
            }
            let strip = history.core_strip(columns, max_step_ms);
            for (core, cells) in strip.iter().enumerate() {
                let walked = decimate::column_max(
                    history.points_in(Metric::CpuCore(core), rows.clone()),
                    columns,
                    max_step_ms,
                );
                let as_bits = |cells: &[f32]| cells.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                proptest::prop_assert_eq!(as_bits(cells), as_bits(&walked), "core {}", core);
            }
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
        assert!(kept(rx[1], 100.0), "{}", rx[1]);
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

    /// Whether `read` is `sampled` as a magnitude column keeps it.
    fn kept(read: f32, sampled: f32) -> bool {
        (read - sampled).abs() <= sampled.abs() * 0.000_32
    }

    /// A history of `samples` synthetic samples of a typical host.
    fn synthetic(samples: u64) -> HostHistory {
        let mut history = HostHistory::new(Retention::default());
        for seq in 0..samples {
            history.push(crate::synthetic::sample(seq, Shape::default()));
        }
        history
    }

    #[test]
    fn interfaces_disks_and_sensors_get_their_own_columns() {
        let history = synthetic(10);
        assert_eq!(history.interfaces(), ["eth0", "eth1"], "loopback left out");
        assert_eq!(history.disks(), ["/", "/data1"]);
        assert_eq!(history.sensors().len(), 4);
        let tx: Vec<f32> = history
            .points(Metric::InterfaceTx(1), 0)
            .map(|(_, v)| v)
            .collect();
        assert!(tx.iter().all(|&v| kept(v, 100_000.0)), "{tx:?}");
        assert_eq!(history.points(Metric::Temperature(3), 0).count(), 10);
        let load = history.points(Metric::LoadFive, 0).next().unwrap().1;
        assert!(kept(load, 1.2), "{load}");
    }

    #[test]
    fn the_processes_of_a_moment_come_from_the_nearest_sample() {
        let history = synthetic(400);
        let spike_ms = crate::synthetic::sample(300, Shape::default()).timestamp_ms;
        let moment = history.processes_near(spike_ms + 400).unwrap();
        assert_eq!(moment.timestamp_ms, spike_ms);
        assert_eq!(moment.processes[0].name, "spike");
        assert_eq!(moment.processes.len(), 20);
    }

    #[test]
    fn decimation_reads_only_the_requested_range() {
        let history = synthetic(3600);
        let start_ms = crate::synthetic::START_MS + 1_000_000;
        let columns = Columns {
            start_ms,
            end_ms: start_ms + 600_000,
            count: 100,
        };
        let points = history.decimated(Metric::CpuTotal, columns, 2500);
        // Two per column, one before the left edge, two at or after the right.
        assert!(points.len() <= 2 * 100 + 3, "{}", points.len());
        // One sample beyond each edge, so lines reach the plot's borders.
        assert_eq!(points.first().unwrap().0, start_ms - 1000);
        assert_eq!(points.last().unwrap().0, start_ms + 601_000);
        // The spike at sample 1500 survives, at full height.
        assert!(points.contains(&(crate::synthetic::START_MS + 1_500_000, 97.0)));
        let strip = history.core_strip(columns, 2500);
        assert_eq!(strip.len(), 4);
        assert_eq!(strip[1][83], 100.0, "core 1's spike, 500 s into 600");
    }

    /// ARCHITECTURE.md, invariant 7: a day at 1 Hz in at most 16 MB per host, for a typical host
    /// (4 CPUs, 2 interfaces, 2 disks, 4 sensors, 20 top processes a sample).
    #[test]
    fn a_day_at_one_hertz_fits_in_16_mb() {
        let history = synthetic(90_000);
        assert_eq!(
            history.len(),
            86_400,
            "a day, then eviction by count and age"
        );
        let bytes = history.heap_bytes();
        println!("a day of a typical host: {bytes} bytes");
        assert!(bytes <= 16 * 1024 * 1024, "{bytes} bytes");
        // Held data, not spare capacity alone: far more than a day's timestamps.
        assert!(bytes > 86_400 * 8 * 10);
    }

    #[test]
    #[allow(clippy::float_cmp, reason = "values kept exactly")]
    fn values_at_an_instant_and_highs_between_two() {
        let history = synthetic(10);
        let start = crate::synthetic::START_MS;
        let at = |seq: u64| crate::synthetic::sample(seq, Shape::default());
        let memory = |seq: u64| at(seq).memory.used_bytes as f32;
        assert_eq!(
            history.value_at(Metric::MemoryUsed, start + 3_500),
            Some(memory(3))
        );
        assert_eq!(
            history.value_at(Metric::MemoryUsed, start + 3_000),
            Some(memory(3))
        );
        assert_eq!(
            history.value_at(Metric::MemoryUsed, start - 1),
            None,
            "before the first"
        );
        assert_eq!(
            history.value_at(Metric::InterfaceRx(7), start),
            None,
            "no such interface"
        );
        let highest = (2..=4).map(memory).fold(0.0, f32::max);
        assert_eq!(
            history.max_between(Metric::MemoryUsed, start + 2_000, start + 4_000),
            highest
        );
        assert!(
            history
                .max_between(Metric::MemoryUsed, start + 20_000, start + 30_000)
                .is_nan()
        );
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
