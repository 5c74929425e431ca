//! Folding finer rows into one coarser row: the min, mean and max of every
//! series over a bucket, and the processes that peaked in CPU and in memory in
//! it, so a one-second spike survives into the minute and the hour.

use std::collections::{BTreeMap, HashMap};

use crate::block::Block;
use crate::series::{MISSING, SeriesKey};

/// Processes kept per bucket for each of CPU and memory.
pub const PEAK_PROCESSES: usize = 5;

#[derive(Debug, Clone, Copy)]
struct Stat {
    min: i64,
    max: i64,
    /// Sum of means weighted by the rows behind them.
    weighted_sum: f64,
    weight: u64,
}

/// The bucket being filled.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Start of the bucket, Unix ms.
    pub start_ms: u64,
    samples: u32,
    last_seq: u64,
    last_epoch: u64,
    series: BTreeMap<SeriesKey, Stat>,
    /// Name, peak CPU and peak memory per pid.
    peaks: HashMap<u32, (String, i64, u64)>,
}

impl Bucket {
    /// An empty bucket starting at `start_ms`.
    #[must_use]
    pub fn new(start_ms: u64) -> Self {
        Self {
            start_ms,
            samples: 0,
            last_seq: 0,
            last_epoch: 0,
            series: BTreeMap::new(),
            peaks: HashMap::new(),
        }
    }

    /// Whether no row went in.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.samples == 0
    }

    /// Folds in row `row` of `block` (raw or aggregated).
    pub fn add(&mut self, block: &Block, row: usize, processes: &[(u32, &str, i64, u64)]) {
        let count = block.counts[row].max(1);
        self.samples = self.samples.saturating_add(count);
        self.last_seq = block.seqs[row];
        self.last_epoch = block.epochs[row];
        let stats = block.stats;
        for (index, key) in block.keys.iter().enumerate() {
            let column = |stat: usize| block.columns[index * stats + stat][row];
            let (min, mean, max) = if stats == 1 {
                (column(0), column(0), column(0))
            } else {
                (column(0), column(1), column(2))
            };
            if mean == MISSING {
                continue;
            }
            // Looked up before inserting: a key is cloned once per bucket, not per row.
            if !self.series.contains_key(key) {
                self.series.insert(
                    key.clone(),
                    Stat {
                        min,
                        max,
                        weighted_sum: 0.0,
                        weight: 0,
                    },
                );
            }
            let Some(entry) = self.series.get_mut(key) else {
                continue;
            };
            entry.min = entry.min.min(min);
            entry.max = entry.max.max(max);
            entry.weighted_sum += mean as f64 * f64::from(count);
            entry.weight += u64::from(count);
        }
        for &(pid, name, cpu, memory) in processes {
            match self.peaks.get_mut(&pid) {
                Some(peak) if peak.0 == name => {
                    peak.1 = peak.1.max(cpu);
                    peak.2 = peak.2.max(memory);
                }
                // A new process, or the pid reused by another: the newer one counts.
                _ => {
                    self.peaks.insert(pid, (name.to_owned(), cpu, memory));
                }
            }
        }
    }

    /// Writes the bucket as one row of `block` (an aggregated block).
    pub fn write_to(self, block: &mut Block) {
        block.begin_row(self.start_ms, self.last_seq, self.last_epoch, self.samples);
        for (key, stat) in &self.series {
            #[allow(clippy::cast_possible_truncation)] // a mean of i64s fits an i64
            let mean = (stat.weighted_sum / stat.weight.max(1) as f64).round() as i64;
            block.set(key, 0, stat.min);
            block.set(key, 1, mean);
            block.set(key, 2, stat.max);
        }
        block.end_row();
        let mut peaks: Vec<((u32, String), (i64, u64))> = self
            .peaks
            .into_iter()
            .map(|(pid, (name, cpu, memory))| ((pid, name), (cpu, memory)))
            .collect();
        peaks.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
        let mut kept: Vec<((u32, String), (i64, u64))> =
            peaks.iter().take(PEAK_PROCESSES).cloned().collect();
        peaks.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(&b.0)));
        for peak in peaks.into_iter().take(PEAK_PROCESSES) {
            if !kept.iter().any(|k| k.0 == peak.0) {
                kept.push(peak);
            }
        }
        block.processes.push_row(
            kept.into_iter()
                .map(|((pid, name), (cpu, memory))| (pid, name, cpu, memory)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_keeps_min_mean_max_and_the_peaking_processes() {
        let mut raw = Block::new(1);
        for (row, value) in [10_i64, 20, 90, 0].into_iter().enumerate() {
            let row = u64::try_from(row).unwrap();
            raw.begin_row(row * 1000, row, 3, 1);
            raw.set(&SeriesKey::CpuTotal, 0, value);
            raw.end_row();
        }
        let mut bucket = Bucket::new(0);
        for row in 0..4 {
            let processes: Vec<(u32, &str, i64, u64)> = (0..8)
                .map(|pid| {
                    (
                        pid,
                        "p",
                        i64::from(pid) * i64::try_from(row).unwrap(),
                        u64::from(10 - pid),
                    )
                })
                .collect();
            bucket.add(&raw, row, &processes);
        }
        let mut minute = Block::new(3);
        bucket.write_to(&mut minute);
        assert_eq!(minute.counts, [4]);
        assert_eq!(minute.seqs, [3]);
        assert_eq!(
            [
                minute.columns[0][0],
                minute.columns[1][0],
                minute.columns[2][0]
            ],
            [0, 30, 90]
        );
        let peaks = minute.processes.rows().next().unwrap();
        let pids: Vec<u32> = peaks.iter().map(|p| p.0).collect();
        // Five by CPU (7, 6, 5, 4, 3), then the largest by memory not yet in (0, 1, 2).
        assert_eq!(pids, [7, 6, 5, 4, 3, 0, 1, 2]);
        assert_eq!(peaks[0].2, 21);
    }
}
