//! The store itself: samples in, tiers kept, files repaired, retention and
//! the size cap enforced, reads answered.
//!
//! Each tier keeps its newest block open in memory and writes it when the
//! block's span ends; the raw tier also appends its open rows to a journal at
//! every [`Store::flush`], so a crash loses only what came after the last
//! flush. The open minute and hour rows are never written: opening the store
//! rebuilds them from the finer tier.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use hostpulse_shared::{ProcessSample, Sample};

use crate::aggregate::Bucket;
use crate::block::Block;
use crate::lock::{DirLock, LockError};
use crate::segment::{self, BlockMeta, Repair, Segment, SegmentError};
use crate::series::{self, SeriesKey};
use crate::tier::{Tier, align};

const DAY_MS: u64 = 86_400_000;
/// The journal of the raw tier's open rows.
const JOURNAL_FILE: &str = "open.journal";
/// Written at a clean close: the epoch and seq of the last sample kept.
const CLEAN_FILE: &str = "clean-stop";
/// Closed blocks kept in memory while the disk refuses them.
const MAX_PENDING_BLOCKS: usize = 8;

/// How much to keep, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The directory; created when absent.
    pub dir: PathBuf,
    /// How long raw samples (and their process lists) are kept.
    pub raw_retention_ms: u64,
    /// How long per-minute rows are kept.
    pub minute_retention_ms: u64,
    /// How long per-hour rows are kept.
    pub hour_retention_ms: u64,
    /// The most the store's files may take on disk.
    pub max_bytes: u64,
    /// The sampling interval, to tell a gap from the next sample.
    pub interval_ms: u64,
}

impl StoreConfig {
    /// The defaults: 7 days raw, 90 days of minutes, 2 years of hours, 256 MiB.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            raw_retention_ms: 7 * DAY_MS,
            minute_retention_ms: 90 * DAY_MS,
            hour_retention_ms: 730 * DAY_MS,
            max_bytes: 256 << 20,
            interval_ms: 1000,
        }
    }

    fn retention_ms(&self, tier: Tier) -> u64 {
        match tier {
            Tier::Raw => self.raw_retention_ms,
            Tier::Minute => self.minute_retention_ms,
            Tier::Hour => self.hour_retention_ms,
        }
    }
}

/// The store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process has it.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// A file or folder could not be made or read.
    #[error("history directory {path}: {source}")]
    Io {
        /// What.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A segment failed in a way repair cannot fix.
    #[error(transparent)]
    Segment(#[from] SegmentError),
}

/// What opening found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The newest sample kept: (epoch, seq, time).
    pub newest: Option<(u64, u64, u64)>,
    /// Whether the store was closed cleanly after that sample (so nothing
    /// after it was lost, and its epoch may go on).
    pub clean: bool,
    /// Files whose damaged tail was cut off.
    pub repairs: Vec<Repair>,
    /// Files that could not be read at all, and where they were moved.
    pub moved_aside: Vec<(PathBuf, PathBuf)>,
}

/// The store's health, for `/healthz` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStatus {
    /// Whether the last write succeeded.
    pub writable: bool,
    /// Bytes of all its files.
    pub bytes_on_disk: u64,
    /// Blocks given up because the disk refused them too long.
    pub dropped_blocks: u64,
}

#[derive(Debug)]
struct TierState {
    tier: Tier,
    dir: PathBuf,
    /// By segment start.
    segments: BTreeMap<u64, Segment>,
    open: Block,
    /// The coarser tier's row being filled from this tier's rows... held by the
    /// coarser tier: this is this tier's own bucket (unused for raw).
    bucket: Option<Bucket>,
}

impl TierState {
    fn newest_written_ms(&self) -> Option<u64> {
        self.segments
            .values()
            .flat_map(|s| s.entries().iter())
            .map(|e| e.meta.last_ms)
            .max()
    }
}

/// An open store. Not thread-safe by itself: the writer thread owns it
/// behind a lock ([`crate::writer`]).
#[derive(Debug)]
pub struct Store {
    config: StoreConfig,
    _lock: DirLock,
    tiers: [TierState; 3],
    journal: Segment,
    journaled_rows: usize,
    pending: Vec<(Tier, Block)>,
    writable: bool,
    cap_logged: bool,
    dropped_blocks: u64,
    newest_ms: u64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Store {
    /// Opens (or creates) the store in `config.dir`, repairing what it must.
    pub fn open(config: StoreConfig) -> Result<(Self, Recovered), StoreError> {
        fs::create_dir_all(&config.dir).map_err(io_error(&config.dir))?;
        let lock = DirLock::acquire(&config.dir)?;
        let now = now_ms();
        let mut recovered = Recovered::default();
        let mut open_tier = |tier: Tier| -> Result<TierState, StoreError> {
            let dir = config.dir.join(tier.name());
            fs::create_dir_all(&dir).map_err(io_error(&dir))?;
            let mut segments = BTreeMap::new();
            let mut names: Vec<(u64, PathBuf)> = fs::read_dir(&dir)
                .map_err(io_error(&dir))?
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let path = entry.path();
                    let start = path
                        .file_name()?
                        .to_str()?
                        .strip_suffix(".seg")?
                        .parse::<u64>()
                        .ok()?;
                    Some((start, path))
                })
                .collect();
            names.sort();
            for (start, path) in names {
                if let Some(segment) = open_segment(&path, now, &mut recovered)? {
                    segments.insert(start, segment);
                }
            }
            Ok(TierState {
                tier,
                dir,
                segments,
                open: Block::new(tier.stats()),
                bucket: None,
            })
        };
        let tiers = [
            open_tier(Tier::Raw)?,
            open_tier(Tier::Minute)?,
            open_tier(Tier::Hour)?,
        ];
        let journal_path = config.dir.join(Tier::Raw.name()).join(JOURNAL_FILE);
        let journal = match open_segment(&journal_path, now, &mut recovered)? {
            Some(journal) => journal,
            None => Segment::open(&journal_path, now)?.0,
        };
        let mut store = Self {
            config,
            _lock: lock,
            tiers,
            journal,
            journaled_rows: 0,
            pending: Vec::new(),
            writable: true,
            cap_logged: false,
            dropped_blocks: 0,
            newest_ms: 0,
        };
        store.recover_open_rows();
        recovered.newest = store.newest_row();
        let clean_path = store.config.dir.join(CLEAN_FILE);
        if let Ok(text) = fs::read_to_string(&clean_path) {
            let mut parts = text.split_whitespace().map(str::parse::<u64>);
            if let (Some(Ok(epoch)), Some(Ok(seq))) = (parts.next(), parts.next()) {
                recovered.clean = recovered
                    .newest
                    .is_some_and(|(e, s, _)| e == epoch && s == seq);
            }
            // From now on the store is open: a crash must not look clean.
            let _ = fs::remove_file(&clean_path);
        }
        for repair in &recovered.repairs {
            tracing::warn!(
                "history: {} had a damaged tail: kept {} blocks ({} bytes), cut {} bytes{}",
                repair.path.display(),
                repair.kept_blocks,
                repair.kept_bytes,
                repair.cut_bytes,
                repair
                    .saved_to
                    .as_ref()
                    .map(|p| format!(", saved to {}", p.display()))
                    .unwrap_or_default()
            );
        }
        for (from, to) in &recovered.moved_aside {
            tracing::warn!(
                "history: {} could not be read at all; moved aside to {}",
                from.display(),
                to.display()
            );
        }
        Ok((store, recovered))
    }

    /// The raw journal's rows become the open raw block again, and the open
    /// minute and hour rows are rebuilt from the finer tiers.
    fn recover_open_rows(&mut self) {
        let last_raw = self.tiers[0].newest_written_ms();
        let mut journal_rows = Block::new(1);
        let mut skipped = 0_usize;
        for entry in self.journal.entries().to_vec() {
            match self.journal.read(&entry) {
                Ok(tail) => {
                    for row in 0..tail.len() {
                        if last_raw.is_none_or(|last| tail.times_ms[row] > last) {
                            copy_row(&tail, row, &mut journal_rows);
                        } else {
                            skipped += 1;
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!("history: skipping a journal entry: {error}");
                    skipped += 1;
                }
            }
        }
        if skipped == 0 {
            self.journaled_rows = journal_rows.len();
        } else {
            // Rows already in a raw block (a crash between writing it and
            // emptying the journal): the journal is rewritten with the rest.
            let _ = self.journal.reset();
            self.journaled_rows = 0;
        }
        // The hour tier's open rows, from minute blocks after its newest block.
        let hour_done = self.tiers[2]
            .newest_written_ms()
            .map(|t| t + Tier::Hour.bucket_ms().unwrap_or(0));
        let minute_done = self.tiers[1]
            .newest_written_ms()
            .map(|t| t + Tier::Minute.bucket_ms().unwrap_or(0));
        for block in self.written_blocks(Tier::Minute, hour_done.unwrap_or(0), u64::MAX) {
            for row in 0..block.len() {
                if hour_done.is_none_or(|done| block.times_ms[row] >= done) {
                    self.feed(1, &block, row);
                }
            }
        }
        for block in self.written_blocks(Tier::Raw, minute_done.unwrap_or(0), u64::MAX) {
            for row in 0..block.len() {
                if minute_done.is_none_or(|done| block.times_ms[row] >= done) {
                    self.feed(0, &block, row);
                }
            }
        }
        for row in 0..journal_rows.len() {
            self.newest_ms = self.newest_ms.max(journal_rows.times_ms[row]);
            copy_row(&journal_rows, row, &mut self.tiers[0].open);
            if minute_done.is_none_or(|done| journal_rows.times_ms[row] >= done) {
                self.feed(0, &journal_rows, row);
            }
        }
        self.newest_ms = self.newest_ms.max(last_raw.unwrap_or(0));
        self.flush();
    }

    fn newest_row(&self) -> Option<(u64, u64, u64)> {
        let open = &self.tiers[0].open;
        if let Some(last) = open.len().checked_sub(1) {
            return Some((open.epochs[last], open.seqs[last], open.times_ms[last]));
        }
        self.tiers[0]
            .segments
            .values()
            .flat_map(|s| s.entries().iter())
            .max_by_key(|e| e.meta.last_ms)
            .map(|e| (e.meta.last_epoch, e.meta.last_seq, e.meta.last_ms))
    }

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
    fn feed(&mut self, index: usize, block: &Block, row: usize) {
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
        let processes: Vec<(u32, &str, i64, u64)> =
            block.processes.rows().nth(row).unwrap_or_default();
        self.tiers[coarse]
            .bucket
            .get_or_insert_with(|| Bucket::new(start))
            .add(block, row, &processes);
    }

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

    /// Closes tier `index`'s open block if `time_ms` falls outside its span.
    fn roll(&mut self, index: usize, time_ms: u64) {
        let tier = self.tiers[index].tier;
        let open = &self.tiers[index].open;
        let Some(&first) = open.times_ms.first() else {
            return;
        };
        let last = open.times_ms.last().copied().unwrap_or(first);
        let same_span = align(time_ms, tier.block_ms()) == align(first, tier.block_ms());
        // A clock stepped backwards also closes the block: rows stay in time order.
        if same_span && time_ms > last {
            return;
        }
        let block = std::mem::replace(&mut self.tiers[index].open, Block::new(tier.stats()));
        self.pending.push((tier, block));
        self.write_pending();
        if index == 0 {
            self.journaled_rows = 0;
        }
    }

    /// Writes closed blocks; keeps them (a few) while the disk refuses them.
    fn write_pending(&mut self) {
        while !self.pending.is_empty() {
            let (tier, block) = self.pending.remove(0);
            let first = block.times_ms.first().copied().unwrap_or(0);
            let index = Tier::ALL.iter().position(|t| *t == tier).unwrap_or(0);
            self.make_room();
            let written = self
                .segment_for(index, first)
                .and_then(|segment| segment.append(&block));
            match written {
                Ok(()) => {
                    if tier == Tier::Raw {
                        // Its rows are in the block now, and no others are open.
                        if self.journal.reset().is_ok() {
                            self.journaled_rows = 0;
                        }
                    }
                    self.set_writable(true, None);
                }
                Err(error) => {
                    self.pending.insert(0, (tier, block));
                    self.set_writable(false, Some(&error));
                    while self.pending.len() > MAX_PENDING_BLOCKS {
                        self.pending.remove(0);
                        self.dropped_blocks += 1;
                    }
                    return;
                }
            }
        }
        self.enforce_retention();
    }

    fn set_writable(&mut self, writable: bool, error: Option<&SegmentError>) {
        if writable != self.writable {
            if writable {
                tracing::info!("history: writing again");
            } else if let Some(error) = error {
                tracing::error!(
                    "history: cannot write ({error}); sampling and live viewers go on, history \
                     waits for space"
                );
            }
        }
        self.writable = writable;
    }

    fn segment_for(&mut self, index: usize, time_ms: u64) -> Result<&mut Segment, SegmentError> {
        let state = &mut self.tiers[index];
        let start = align(time_ms, state.tier.segment_ms());
        if !state.segments.contains_key(&start) {
            let path = state.dir.join(format!("{start}.seg"));
            let (segment, _) = Segment::open(&path, now_ms())?;
            state.segments.insert(start, segment);
        }
        state
            .segments
            .get_mut(&start)
            .ok_or_else(|| SegmentError::Unreadable {
                path: state.dir.clone(),
                reason: "segment vanished",
            })
    }

    /// Makes the raw tier's open rows durable (the journal). Cheap: only the
    /// rows since the last flush are written.
    pub fn flush(&mut self) {
        self.write_pending();
        let open = &self.tiers[0].open;
        if self.journaled_rows >= open.len() {
            return;
        }
        let mut tail = Block::new(1);
        for row in self.journaled_rows..open.len() {
            copy_row(open, row, &mut tail);
        }
        match self.journal.append(&tail) {
            Ok(()) => {
                self.journaled_rows = open.len();
                self.set_writable(true, None);
            }
            Err(error) => self.set_writable(false, Some(&error)),
        }
    }

    /// Flushes and marks the store cleanly closed after its newest sample;
    /// pushing again afterwards is allowed and makes it unclean again.
    pub fn close(&mut self) {
        self.flush();
        if let Some((epoch, seq, _)) = self.newest_row()
            && self.writable
            && self.journaled_rows == self.tiers[0].open.len()
        {
            let path = self.config.dir.join(CLEAN_FILE);
            let _ = fs::write(&path, format!("{epoch} {seq}\n"));
        }
    }

    /// Deletes segments past their tier's retention.
    fn enforce_retention(&mut self) {
        for index in 0..self.tiers.len() {
            let retention = self.config.retention_ms(self.tiers[index].tier);
            let cutoff = self.newest_ms.saturating_sub(retention);
            let span = self.tiers[index].tier.segment_ms();
            let expired: Vec<u64> = self.tiers[index]
                .segments
                .keys()
                .copied()
                .filter(|&start| start + span <= cutoff)
                .collect();
            for start in expired {
                self.delete_segment(index, start);
            }
        }
    }

    /// Deletes the oldest segments, finest tier first, until the store is
    /// under its cap with room for a block.
    fn make_room(&mut self) {
        let headroom = 1 << 20;
        while self.bytes_on_disk() + headroom > self.config.max_bytes {
            // First each tier's older segments, finest tier first; only then
            // the newest ones.
            let order = [
                (0, true),
                (1, true),
                (2, true),
                (0, false),
                (1, false),
                (2, false),
            ];
            let Some((index, start)) = order.into_iter().find_map(|(index, keep_newest)| {
                let segments = &self.tiers[index].segments;
                (segments.len() > usize::from(keep_newest))
                    .then(|| segments.keys().next().map(|&s| (index, s)))
                    .flatten()
            }) else {
                return;
            };
            if !self.cap_logged {
                self.cap_logged = true;
                tracing::warn!(
                    "history: the store reached its cap of {} bytes; deleting the oldest {} data \
                     first (said once)",
                    self.config.max_bytes,
                    self.tiers[index].tier.name()
                );
            }
            self.delete_segment(index, start);
        }
    }

    fn delete_segment(&mut self, index: usize, start: u64) {
        if let Some(segment) = self.tiers[index].segments.remove(&start) {
            let _ = fs::remove_file(segment.path());
        }
    }

    /// Bytes of every file the store keeps.
    #[must_use]
    pub fn bytes_on_disk(&self) -> u64 {
        self.tiers
            .iter()
            .flat_map(|t| t.segments.values())
            .map(Segment::len_bytes)
            .sum::<u64>()
            + self.journal.len_bytes()
    }

    /// Health.
    #[must_use]
    pub fn status(&self) -> StoreStatus {
        StoreStatus {
            writable: self.writable,
            bytes_on_disk: self.bytes_on_disk(),
            dropped_blocks: self.dropped_blocks,
        }
    }

    /// The configuration it runs with.
    #[must_use]
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Written blocks of `tier` with rows in `from_ms..=to_ms`, oldest first.
    pub(crate) fn written_blocks(&self, tier: Tier, from_ms: u64, to_ms: u64) -> Vec<Block> {
        let index = Tier::ALL.iter().position(|t| *t == tier).unwrap_or(0);
        let mut blocks = Vec::new();
        for segment in self.tiers[index].segments.values() {
            for entry in segment.entries() {
                if overlaps(&entry.meta, from_ms, to_ms) {
                    match segment.read(entry) {
                        Ok(block) => blocks.push(block),
                        Err(error) => tracing::warn!("history: skipping a block: {error}"),
                    }
                }
            }
        }
        blocks.sort_by_key(|b| b.times_ms.first().copied().unwrap_or(0));
        blocks
    }

    /// Every row of `tier` in `from_ms..=to_ms`: written blocks, the open
    /// block, and for an aggregated tier the bucket being filled.
    pub(crate) fn blocks_in(&self, tier: Tier, from_ms: u64, to_ms: u64) -> Vec<Block> {
        let index = Tier::ALL.iter().position(|t| *t == tier).unwrap_or(0);
        let mut blocks = self.written_blocks(tier, from_ms, to_ms);
        for pending in self.pending.iter().filter(|(t, _)| *t == tier) {
            blocks.push(pending.1.clone());
        }
        let open = self.live_rows(index);
        if !open.is_empty() {
            blocks.push(open);
        }
        blocks
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
            let processes = row.processes.rows().next().unwrap_or_default();
            bucket
                .get_or_insert_with(|| Bucket::new(start))
                .add(&row, 0, &processes);
        }
        if let Some(bucket) = bucket {
            bucket.write_to(&mut open);
        }
        open
    }

    /// The oldest time `tier` holds, if any.
    #[must_use]
    pub fn oldest_ms(&self, tier: Tier) -> Option<u64> {
        let index = Tier::ALL.iter().position(|t| *t == tier).unwrap_or(0);
        let state = &self.tiers[index];
        state
            .segments
            .values()
            .flat_map(|s| s.entries().iter())
            .map(|e| e.meta.first_ms)
            .min()
            .or_else(|| state.open.times_ms.first().copied())
    }

    /// Raw samples of `epoch` after `after_seq`, oldest first, at most
    /// `limit`; empty when the store has none of that epoch.
    #[must_use]
    pub fn samples_after(&self, epoch: u64, after_seq: u64, limit: usize) -> Vec<Sample> {
        let mut found = Vec::new();
        // Newest first, until the epoch's rows reach back to `after_seq`.
        let mut blocks: Vec<Block> = Vec::new();
        let open = &self.tiers[0].open;
        let mut seen_epoch = open.epochs.contains(&epoch);
        if !open.is_empty() {
            blocks.push(open.clone());
        }
        let mut written: Vec<(&Segment, &segment::Entry)> = self.tiers[0]
            .segments
            .values()
            .flat_map(|s| s.entries().iter().map(move |e| (s, e)))
            .collect();
        written.sort_by_key(|(_, e)| std::cmp::Reverse(e.meta.last_ms));
        for (segment, entry) in written {
            let reached = blocks.last().is_some_and(|b| {
                b.epochs
                    .iter()
                    .zip(&b.seqs)
                    .any(|(&e, &s)| e == epoch && s <= after_seq)
            });
            if reached {
                break;
            }
            let may_hold = entry.meta.first_epoch == epoch || entry.meta.last_epoch == epoch;
            if !may_hold {
                if seen_epoch {
                    break;
                }
                continue;
            }
            if let Ok(block) = segment.read(entry) {
                seen_epoch = true;
                blocks.push(block);
            }
        }
        for block in blocks.iter().rev() {
            let mut entries = block.processes.rows();
            for row in 0..block.len() {
                let processes = entries.next().unwrap_or_default();
                if block.epochs[row] == epoch && block.seqs[row] > after_seq {
                    found.push(sample_of(block, row, &processes));
                    if found.len() == limit {
                        return found;
                    }
                }
            }
        }
        found
    }

    /// Raw samples taken in `from_ms..=to_ms`, oldest first.
    #[must_use]
    pub fn raw_samples(&self, from_ms: u64, to_ms: u64) -> Vec<Sample> {
        let mut samples = Vec::new();
        for block in self.blocks_in(Tier::Raw, from_ms, to_ms) {
            for (row, processes) in block.processes.rows().enumerate() {
                let time = block.times_ms[row];
                if (from_ms..=to_ms).contains(&time) {
                    samples.push(sample_of(&block, row, &processes));
                }
            }
        }
        samples
    }

    /// The process list nearest to `time_ms`: a raw sample's while raw data
    /// covers that time, else the minute's (or hour's) peaks.
    #[must_use]
    pub fn processes_at(&self, time_ms: u64) -> Option<(Tier, u64, Vec<ProcessSample>)> {
        for tier in Tier::ALL {
            let window = tier.bucket_ms().unwrap_or(self.config.interval_ms) * 2;
            let blocks = self.blocks_in(tier, time_ms.saturating_sub(window), time_ms + window);
            let mut best: Option<(u64, u64, Vec<ProcessSample>)> = None;
            for block in &blocks {
                for (row, entries) in block.processes.rows().enumerate() {
                    let time = block.times_ms[row];
                    let distance = time.abs_diff(time_ms);
                    if distance <= window && best.as_ref().is_none_or(|b| distance < b.0) {
                        best = Some((distance, time, processes_of(&entries)));
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

fn open_segment(
    path: &Path,
    now: u64,
    recovered: &mut Recovered,
) -> Result<Option<Segment>, StoreError> {
    match Segment::open(path, now) {
        Ok((segment, repair)) => {
            recovered.repairs.extend(repair);
            Ok(Some(segment))
        }
        Err(SegmentError::Unreadable { .. }) => {
            let to = segment::move_aside(path, now).map_err(io_error(path))?;
            recovered.moved_aside.push((path.to_owned(), to));
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

fn overlaps(meta: &BlockMeta, from_ms: u64, to_ms: u64) -> bool {
    meta.last_ms >= from_ms && meta.first_ms <= to_ms
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
    let entries = from.processes.rows().nth(row).unwrap_or_default();
    to.processes.push_row(
        entries
            .into_iter()
            .map(|(pid, name, cpu, memory)| (pid, name.to_owned(), cpu, memory)),
    );
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
fn sample_of(block: &Block, row: usize, processes: &[(u32, &str, i64, u64)]) -> Sample {
    let values: Vec<i64> = (0..block.keys.len())
        .map(|index| block.columns[index][row])
        .collect();
    let mut sample = series::rebuild(&block.keys, &values);
    sample.epoch = block.epochs[row];
    sample.seq = block.seqs[row];
    sample.timestamp_ms = block.times_ms[row];
    sample.top_processes = processes_of(processes);
    sample
}

/// The keys of `blocks`, in first-seen order.
pub(crate) fn keys_of(blocks: &[Block]) -> Vec<SeriesKey> {
    let mut keys: Vec<SeriesKey> = Vec::new();
    for block in blocks {
        for key in &block.keys {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
    }
    keys
}
