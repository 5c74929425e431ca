//! Reads that never hold the writer off for long: what a read needs is taken
//! from the store under its lock in microseconds, as a [`View`] (handles on
//! the blocks on disk, copies of the few rows held only in memory), and
//! decoded afterwards without the lock.

use std::ops::Range;

use hostpulse_shared::{ProcessSample, Sample};

use crate::aggregate::Bucket;
use crate::block::Block;
use crate::ingest::copy_row;
use crate::segment::{BlockMeta, BlockRef};
use crate::series;
use crate::store::Store;
use crate::tier::{Tier, align};

/// The blocks a read needs, readable without the store.
#[derive(Debug, Clone, Default)]
pub struct View {
    stored: Vec<BlockRef>,
    in_memory: Vec<Block>,
}

/// A block of a view: on disk, or in memory.
#[derive(Debug)]
enum Source {
    Stored(BlockRef),
    InMemory(Block),
}

impl View {
    /// Every block, oldest first, each decoded when the iterator reaches it;
    /// a block that cannot be read is skipped with a warning.
    pub fn into_blocks(self) -> impl Iterator<Item = Block> {
        let mut sources: Vec<(u64, Source)> = self
            .stored
            .into_iter()
            .map(|stored| (stored.entry.meta.first_ms, Source::Stored(stored)))
            .chain(self.in_memory.into_iter().map(|block| {
                let first = block.times_ms.first().copied().unwrap_or(0);
                (first, Source::InMemory(block))
            }))
            .collect();
        sources.sort_by_key(|(first, _)| *first);
        sources.into_iter().filter_map(|(_, source)| match source {
            Source::InMemory(block) => Some(block),
            Source::Stored(stored) => match stored.read() {
                Ok(block) => Some(block),
                Err(error) => {
                    tracing::warn!("history: skipping a block: {error}");
                    None
                }
            },
        })
    }

    /// The samples of `epoch` with a seq in `seqs`, in seq order.
    #[must_use]
    pub fn samples(self, epoch: u64, seqs: &Range<u64>) -> Vec<Sample> {
        let mut samples = Vec::new();
        for block in self.into_blocks() {
            for row in 0..block.len() {
                if block.epochs[row] == epoch && seqs.contains(&block.seqs[row]) {
                    samples.push(sample_of(&block, row));
                }
            }
        }
        samples.sort_by_key(|s| s.seq);
        samples.dedup_by_key(|s| s.seq);
        samples
    }
}

/// Where to look for the processes at a moment: each tier's rows around it.
#[derive(Debug, Clone)]
pub struct ProcessesPlan {
    time_ms: u64,
    views: Vec<(Tier, u64, View)>,
}

impl ProcessesPlan {
    /// The process list nearest to the moment: a raw sample's while raw data
    /// covers it, else the minute's (or hour's) peaks, with the tier and the
    /// time of the row it comes from.
    #[must_use]
    pub fn run(self) -> Option<(Tier, u64, Vec<ProcessSample>)> {
        for (tier, window, view) in self.views {
            let mut best: Option<(u64, u64, Vec<ProcessSample>)> = None;
            for block in view.into_blocks() {
                for (row, &time) in block.times_ms.iter().enumerate() {
                    let distance = time.abs_diff(self.time_ms);
                    if distance <= window && best.as_ref().is_none_or(|b| distance < b.0) {
                        best = Some((distance, time, processes_of(&block.processes.row(row))));
                    }
                }
            }
            if let Some((_, time, processes)) = best {
                return Some((tier, time, processes));
            }
        }
        None
    }
}

impl Store {
    /// Every row of `tier` in `from_ms..=to_ms`: written blocks, blocks the
    /// disk has not taken yet, the open block, and for an aggregated tier the
    /// bucket being filled.
    pub(crate) fn view(&self, tier: Tier, from_ms: u64, to_ms: u64) -> View {
        let index = tier.index();
        let overlaps = |meta: &BlockMeta| meta.last_ms >= from_ms && meta.first_ms <= to_ms;
        let stored = self.tiers[index].block_refs(overlaps);
        let mut in_memory: Vec<Block> = self
            .pending
            .iter()
            .filter(|(i, block)| *i == index && BlockMeta::of(block).is_some_and(|m| overlaps(&m)))
            .map(|(_, block)| block.clone())
            .collect();
        let live = self.live_rows(index);
        if BlockMeta::of(&live).is_some_and(|m| overlaps(&m)) {
            in_memory.push(live);
        }
        View { stored, in_memory }
    }

    /// The raw rows that may hold samples of `epoch` with a seq in `seqs`.
    pub(crate) fn seq_view(&self, epoch: u64, seqs: &Range<u64>) -> View {
        // Seqs rise with time within an epoch; a block spanning a restart
        // (two epochs) may hold anything.
        let may_hold = |meta: &BlockMeta| {
            meta.first_epoch != meta.last_epoch
                || (meta.first_epoch == epoch
                    && meta.first_seq < seqs.end
                    && meta.last_seq >= seqs.start)
        };
        let raw = &self.tiers[0];
        let stored = raw.block_refs(may_hold);
        let wanted = |block: &Block, row: usize| {
            block.epochs[row] == epoch && seqs.contains(&block.seqs[row])
        };
        let in_memory = self
            .pending
            .iter()
            .filter(|(index, _)| *index == 0)
            .map(|(_, block)| block)
            .chain(std::iter::once(&raw.open))
            .map(|block| rows_where(block, wanted))
            .filter(|block| !block.is_empty())
            .collect();
        View { stored, in_memory }
    }

    /// Where the process list nearest to `time_ms` may be, per tier.
    #[must_use]
    pub fn plan_processes_at(&self, time_ms: u64) -> ProcessesPlan {
        let views = Tier::ALL
            .into_iter()
            .map(|tier| {
                let window = tier.bucket_ms().unwrap_or(self.config.interval_ms) * 2;
                let view = self.view(
                    tier,
                    time_ms.saturating_sub(window),
                    time_ms.saturating_add(window),
                );
                (tier, window, view)
            })
            .collect();
        ProcessesPlan { time_ms, views }
    }

    /// The process list nearest to `time_ms` (see [`ProcessesPlan::run`]).
    #[must_use]
    pub fn processes_at(&self, time_ms: u64) -> Option<(Tier, u64, Vec<ProcessSample>)> {
        self.plan_processes_at(time_ms).run()
    }

    /// Raw samples of `epoch` with a seq in `seqs`, in seq order; a seq the
    /// store does not have is simply absent.
    #[must_use]
    pub fn samples(&self, epoch: u64, seqs: Range<u64>) -> Vec<Sample> {
        self.seq_view(epoch, &seqs).samples(epoch, &seqs)
    }

    /// Raw samples taken in `from_ms..=to_ms`, oldest first.
    #[must_use]
    pub fn raw_samples(&self, from_ms: u64, to_ms: u64) -> Vec<Sample> {
        let mut samples = Vec::new();
        for block in self.view(Tier::Raw, from_ms, to_ms).into_blocks() {
            for (row, time) in block.times_ms.iter().enumerate() {
                if (from_ms..=to_ms).contains(time) {
                    samples.push(sample_of(&block, row));
                }
            }
        }
        samples
    }

    /// Tier `index`'s open block with its unfinished bucket as a last row,
    /// and for the hour tier the minute tier's unfinished bucket folded in:
    /// the live edge of every tier reaches the newest sample.
    fn live_rows(&self, index: usize) -> Block {
        let state = &self.tiers[index];
        let mut open = state.open.clone();
        let mut bucket = state.bucket.clone().filter(|b| !b.is_empty());
        if index == 2
            && let Some(minute) = self.tiers[1].bucket.clone().filter(|b| !b.is_empty())
        {
            let mut row = Block::new(3);
            minute.write_to(&mut row);
            let start = align(row.times_ms[0], Tier::Hour.bucket_ms().unwrap_or(1));
            if bucket.as_ref().is_some_and(|b| b.start_ms != start)
                && let Some(previous) = bucket.take()
            {
                previous.write_to(&mut open);
            }
            let processes = row.processes.row(0);
            bucket
                .get_or_insert_with(|| Bucket::new(start))
                .add(&row, 0, &processes);
        }
        if let Some(bucket) = bucket {
            bucket.write_to(&mut open);
        }
        open
    }
}

/// The rows of `block` that `wanted` keeps, as a block.
fn rows_where(block: &Block, wanted: impl Fn(&Block, usize) -> bool) -> Block {
    let mut kept = Block::new(block.stats);
    for row in 0..block.len() {
        if wanted(block, row) {
            copy_row(block, row, &mut kept);
        }
    }
    kept
}

fn processes_of(entries: &[(u32, &str, i64, u64)]) -> Vec<ProcessSample> {
    entries
        .iter()
        .map(|&(pid, name, cpu, memory_bytes)| ProcessSample {
            pid,
            name: name.to_owned(),
            cpu_percent: series::int_to_percent(cpu),
            memory_bytes,
        })
        .collect()
}

/// Row `row` of a raw block as a sample.
fn sample_of(block: &Block, row: usize) -> Sample {
    let values: Vec<i64> = (0..block.keys.len())
        .map(|index| block.columns[index][row])
        .collect();
    let mut sample = series::rebuild(&block.keys, &values);
    sample.epoch = block.epochs[row];
    sample.seq = block.seqs[row];
    sample.timestamp_ms = block.times_ms[row];
    sample.top_processes = processes_of(&block.processes.row(row));
    sample
}
