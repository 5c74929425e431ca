//! The top processes of each sample, kept to answer "which process caused that
//! spike?" for any moment in a host's history.
//!
//! A sample carries up to twenty processes, the largest part of it by far. To
//! keep a day of history small, the last hour keeps every sample's list, and
//! older time keeps one list per ten seconds: the busiest of them (highest
//! total CPU), which is the one a spike on the plot points at. Names are
//! stored once and referred to by number, and CPU and memory in two bytes
//! each (within 0.032 %, see [`super::column`]): twelve bytes a process.

use std::collections::{HashMap, VecDeque};

use hostpulse_shared::ProcessSample;

use super::column::{magnitude, to_magnitude_code};

/// How long every sample's list is kept.
const FULL_RATE_MS: u64 = 60 * 60 * 1000;
/// Older than [`FULL_RATE_MS`], one list is kept per this much time.
const THINNED_STEP_MS: u64 = 10_000;
/// Names are rebuilt from the lists kept once the table holds this many
/// (short-lived processes with unique names would otherwise grow it forever).
const NAMES_BEFORE_COMPACTING: usize = 4096;

/// One process, compactly.
#[derive(Debug, Clone, Copy)]
struct Record {
    pid: u32,
    name: u32,
    /// Percent of one CPU, as a magnitude code.
    cpu_percent: u16,
    /// Resident bytes, as a magnitude code.
    memory_bytes: u16,
}

/// The list of one sample.
#[derive(Debug, Clone)]
struct Snapshot {
    timestamp_ms: u64,
    records: Box<[Record]>,
}

impl Snapshot {
    fn total_cpu_percent(&self) -> f32 {
        self.records.iter().map(|r| magnitude(r.cpu_percent)).sum()
    }
}

/// The top processes of one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// When the sample was taken (Unix ms).
    pub timestamp_ms: u64,
    /// Its top processes, as the server sent them (memory at `f32` precision).
    pub processes: Vec<ProcessSample>,
}

/// Top-process lists over time, bounded like the rest of the history.
#[derive(Debug, Default, Clone)]
pub struct ProcessLog {
    names: Vec<Box<str>>,
    name_ids: HashMap<Box<str>, u32>,
    /// The last hour, one list per sample.
    recent: VecDeque<Snapshot>,
    /// Before that, one list per [`THINNED_STEP_MS`].
    older: VecDeque<Snapshot>,
    /// The table size at which names are compacted next.
    compact_at: usize,
}

impl ProcessLog {
    /// Records the list of the sample taken at `timestamp_ms`.
    pub fn push(&mut self, timestamp_ms: u64, processes: &[ProcessSample]) {
        let records = processes
            .iter()
            .map(|p| Record {
                pid: p.pid,
                name: self.intern(&p.name),
                cpu_percent: to_magnitude_code(p.cpu_percent),
                #[allow(clippy::cast_precision_loss, reason = "kept to four digits anyway")]
                memory_bytes: to_magnitude_code(p.memory_bytes as f32),
            })
            .collect();
        self.recent.push_back(Snapshot {
            timestamp_ms,
            records,
        });
        if self.names.len() >= self.compact_at.max(NAMES_BEFORE_COMPACTING) {
            self.compact_names();
        }
        while let Some(front) = self.recent.front() {
            if front.timestamp_ms.saturating_add(FULL_RATE_MS) >= timestamp_ms {
                break;
            }
            if let Some(aged) = self.recent.pop_front() {
                self.thin_into_older(aged);
            }
        }
    }

    fn thin_into_older(&mut self, aged: Snapshot) {
        match self.older.back_mut() {
            Some(last)
                if last.timestamp_ms / THINNED_STEP_MS == aged.timestamp_ms / THINNED_STEP_MS =>
            {
                if aged.total_cpu_percent() > last.total_cpu_percent() {
                    *last = aged;
                }
            }
            _ => self.older.push_back(aged),
        }
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.into());
        self.name_ids.insert(name.into(), id);
        id
    }

    /// Drops the lists taken before `oldest_ms`.
    pub fn forget_before(&mut self, oldest_ms: u64) {
        for ring in [&mut self.older, &mut self.recent] {
            while ring.front().is_some_and(|s| s.timestamp_ms < oldest_ms) {
                ring.pop_front();
            }
        }
    }

    /// Keeps only the names still referred to, renumbered, and compacts
    /// again when the table has doubled since (so a host with many live
    /// names is not compacted on every sample).
    fn compact_names(&mut self) {
        let old_names = std::mem::take(&mut self.names);
        self.name_ids.clear();
        let mut renumbered: HashMap<u32, u32> = HashMap::new();
        for snapshot in self.older.iter_mut().chain(self.recent.iter_mut()) {
            for record in &mut snapshot.records {
                let old = record.name;
                record.name = *renumbered.entry(old).or_insert_with(|| {
                    let name = old_names.get(old as usize).map_or("", |n| &**n);
                    let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                    self.names.push(name.into());
                    self.name_ids.insert(name.into(), id);
                    id
                });
            }
        }
        self.compact_at = NAMES_BEFORE_COMPACTING.max(2 * self.names.len());
    }

    /// The list kept nearest to `at_ms`, if any.
    #[must_use]
    pub fn nearest(&self, at_ms: u64) -> Option<Moment> {
        let candidates = [&self.older, &self.recent].into_iter().flat_map(|ring| {
            let after = ring.partition_point(|s| s.timestamp_ms < at_ms);
            [after.checked_sub(1), Some(after)]
                .into_iter()
                .flatten()
                .filter_map(|index| ring.get(index))
        });
        let nearest = candidates.min_by_key(|s| s.timestamp_ms.abs_diff(at_ms))?;
        Some(Moment {
            timestamp_ms: nearest.timestamp_ms,
            processes: nearest
                .records
                .iter()
                .map(|r| ProcessSample {
                    pid: r.pid,
                    name: self
                        .names
                        .get(r.name as usize)
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    cpu_percent: magnitude(r.cpu_percent),
                    #[allow(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "stored from a u64 of bytes"
                    )]
                    memory_bytes: magnitude(r.memory_bytes).round() as u64,
                })
                .collect(),
        })
    }

    /// Number of lists kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.recent.len() + self.older.len()
    }

    /// True when no list is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes allocated on the heap, counting spare capacity.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let snapshots = |ring: &VecDeque<Snapshot>| {
            ring.capacity() * size_of::<Snapshot>()
                + ring
                    .iter()
                    .map(|s| s.records.len() * size_of::<Record>())
                    .sum::<usize>()
        };
        let names: usize = self.names.iter().map(|n| n.len()).sum();
        snapshots(&self.recent)
            + snapshots(&self.older)
            // Each name is held twice: in the list and as the map's key.
            + 2 * names
            + self.names.capacity() * size_of::<Box<str>>()
            + self.name_ids.capacity() * (size_of::<Box<str>>() + size_of::<u32>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, cpu_percent: f32) -> ProcessSample {
        ProcessSample {
            pid,
            name: format!("proc-{pid}"),
            cpu_percent,
            memory_bytes: 4096,
        }
    }

    #[test]
    fn the_nearest_list_answers_with_its_own_time() {
        let mut log = ProcessLog::default();
        log.push(1_000, &[process(1, 5.0)]);
        log.push(2_000, &[process(2, 90.0)]);
        let moment = log.nearest(1_900).unwrap();
        assert_eq!(moment.timestamp_ms, 2_000);
        let [kept] = &moment.processes[..] else {
            panic!("{moment:?}")
        };
        assert_eq!((kept.pid, kept.name.as_str()), (2, "proc-2"));
        assert!((kept.cpu_percent - 90.0).abs() < 0.03, "{kept:?}");
        assert!(kept.memory_bytes.abs_diff(4096) <= 2, "{kept:?}");
        assert_eq!(log.nearest(0).unwrap().timestamp_ms, 1_000);
        assert_eq!(log.nearest(99_999).unwrap().timestamp_ms, 2_000);
    }

    #[test]
    fn past_an_hour_the_busiest_list_of_each_ten_seconds_is_kept() {
        let mut log = ProcessLog::default();
        // Two hours at 1 Hz; the spike at 1_005 s stands out in its ten seconds.
        for secs in 1_000..(1_000 + 7_200) {
            let cpu = if secs == 1_005 { 95.0 } else { 1.0 };
            log.push(secs * 1000, &[process(u32::try_from(secs).unwrap(), cpu)]);
        }
        let recent = 3_601;
        let older = 3_599 / 10 + 1;
        assert_eq!(log.len(), recent + older);
        let spike = log.nearest(1_004_000).unwrap();
        assert_eq!(spike.timestamp_ms, 1_005_000);
        assert_eq!(spike.processes[0].pid, 1_005);
        // One name per pid in this test: the table was compacted to the names
        // still referred to, and names survive it.
        assert!(log.names.len() < 7_200, "{}", log.names.len());
        assert_eq!(
            log.nearest(1_004_000).unwrap().processes[0].name,
            "proc-1005"
        );

        log.forget_before(5_000_000);
        assert_eq!(log.nearest(0).unwrap().timestamp_ms / 10_000, 500);
        let latest = log.nearest(u64::MAX).unwrap();
        assert_eq!(latest.processes[0].name, "proc-8199");
    }
}
