//! Samples in: each goes into the raw tier's open block, and its row into
//! the minute bucket, whose row goes into the hour bucket when the minute
//! ends. A block closes when a row falls outside its span, and goes to disk
//! ([`crate::persist`]).

use hostpulse_shared::Sample;

use crate::aggregate::Bucket;
use crate::block::Block;
use crate::series;
use crate::store::Store;
use crate::tier::align;

impl Store {
    /// Adds one sample. Writes to disk only when a block closes; call
    /// [`Store::flush`] to make the open rows durable.
    pub fn push(&mut self, sample: &Sample) {
        let time_ms = sample.timestamp_ms;
        self.newest_ms = self.newest_ms.max(time_ms);
        self.roll(0, time_ms);
        let open = &mut self.tiers[0].open;
        open.begin_row(time_ms, sample.seq, sample.epoch, 1);
        for (key, value) in series::flatten(sample) {
            open.set(&key, 0, value);
        }
        open.end_row();
        open.processes
            .push_row(sample.top_processes.iter().map(|p| {
                (
                    p.pid,
                    p.name.clone(),
                    series::percent_to_int(p.cpu_percent),
                    p.memory_bytes,
                )
            }));
        let row = open.len() - 1;
        let open = std::mem::take(&mut self.tiers[0].open);
        self.feed(0, &open, row);
        self.tiers[0].open = open;
    }

    /// Folds row `row` of `block` (of tier `index`) into the coarser tier's
    /// bucket, closing that bucket (and cascading) when the row is past it.
    pub(crate) fn feed(&mut self, index: usize, block: &Block, row: usize) {
        let coarse = index + 1;
        if coarse >= self.tiers.len() {
            return;
        }
        let bucket_ms = self.tiers[coarse].tier.bucket_ms().unwrap_or(1);
        let start = align(block.times_ms[row], bucket_ms);
        if self.tiers[coarse]
            .bucket
            .as_ref()
            .is_some_and(|b| b.start_ms != start)
        {
            self.close_bucket(coarse);
        }
        let processes = block.processes.row(row);
        self.tiers[coarse]
            .bucket
            .get_or_insert_with(|| Bucket::new(start))
            .add(block, row, &processes);
    }

    /// Writes tier `index`'s bucket as a row of its open block.
    fn close_bucket(&mut self, index: usize) {
        let Some(bucket) = self.tiers[index].bucket.take() else {
            return;
        };
        if bucket.is_empty() {
            return;
        }
        self.roll(index, bucket.start_ms);
        bucket.write_to(&mut self.tiers[index].open);
        let open = std::mem::take(&mut self.tiers[index].open);
        let row = open.len() - 1;
        self.feed(index, &open, row);
        self.tiers[index].open = open;
    }

    /// Closes tier `index`'s open block if `time_ms` falls outside its span,
    /// and says whether it did.
    pub(crate) fn roll(&mut self, index: usize, time_ms: u64) -> bool {
        let tier = self.tiers[index].tier;
        let open = &self.tiers[index].open;
        let Some(&first) = open.times_ms.first() else {
            return false;
        };
        let last = open.times_ms.last().copied().unwrap_or(first);
        let same_span = align(time_ms, tier.block_ms()) == align(first, tier.block_ms());
        // A clock stepped backwards also closes the block: rows stay in time order.
        if same_span && time_ms > last {
            return false;
        }
        let block = std::mem::replace(&mut self.tiers[index].open, Block::new(tier.stats()));
        self.pending.push((index, block));
        // Nothing of the new open block is in the journal yet.
        self.tiers[index].journaled_rows = 0;
        self.write_pending();
        true
    }
}

/// Appends row `row` of `from` to `to` (same tier).
pub(crate) fn copy_row(from: &Block, row: usize, to: &mut Block) {
    to.begin_row(
        from.times_ms[row],
        from.seqs[row],
        from.epochs[row],
        from.counts[row],
    );
    for (index, key) in from.keys.iter().enumerate() {
        for stat in 0..from.stats {
            to.set(key, stat, from.columns[index * from.stats + stat][row]);
        }
    }
    to.end_row();
    let entries = from.processes.row(row);
    to.processes.push_row(
        entries
            .into_iter()
            .map(|(pid, name, cpu, memory)| (pid, name.to_owned(), cpu, memory)),
    );
}
