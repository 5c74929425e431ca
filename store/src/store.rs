//! The store itself: its configuration, opening (repairing what must be
//! repaired and putting the open rows back), and its health.
//!
//! Each tier keeps its newest block open in memory and writes it when the
//! block's span ends ([`crate::ingest`]); every tier also appends its open
//! rows to a journal of its own at each [`Store::flush`]
//! ([`crate::persist`]), so a crash loses only what came after the last
//! flush, and opening reads the journals instead of rebuilding the open rows
//! from the finer tiers. Only the coarser tiers' unfinished buckets (at most
//! a minute of raw rows and an hour of minute rows since the last flush) are
//! rebuilt at open.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::aggregate::Bucket;
use crate::block::Block;
use crate::ingest::copy_row;
use crate::lock::{DirLock, LockError};
use crate::segment::{self, BlockMeta, BlockRef, Kind, Repair, Segment, SegmentError};
use crate::tier::Tier;

pub(crate) const DAY_MS: u64 = 86_400_000;
/// Each tier's journal of the open block's rows.
pub(crate) const JOURNAL_FILE: &str = "open.journal";
/// Written at a clean close: the epoch and seq of the last sample kept.
const CLEAN_FILE: &str = "clean-stop";

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

    pub(crate) fn retention_ms(&self, tier: Tier) -> u64 {
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

/// One tier's share of the store, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierStatus {
    /// Which tier.
    pub tier: Tier,
    /// Bytes of its files.
    pub bytes_on_disk: u64,
    /// Its oldest row, Unix ms.
    pub oldest_ms: Option<u64>,
}

/// The store's health, for `/healthz` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStatus {
    /// Whether the last write succeeded.
    pub writable: bool,
    /// Bytes of all its files.
    pub bytes_on_disk: u64,
    /// Blocks given up because the disk refused them too long.
    pub dropped_blocks: u64,
    /// Per tier, finest first.
    pub tiers: [TierStatus; 3],
}

/// One tier: its files, its open block and the bucket it is filling.
#[derive(Debug)]
pub(crate) struct TierState {
    pub(crate) tier: Tier,
    pub(crate) dir: PathBuf,
    /// By segment start.
    pub(crate) segments: BTreeMap<u64, Segment>,
    /// The rows of the block not yet closed.
    pub(crate) open: Block,
    /// This tier's row being filled from the finer tier's rows (none for raw).
    pub(crate) bucket: Option<Bucket>,
    /// The open block's rows as written at the flushes.
    pub(crate) journal: Segment,
    /// Rows of `open` already in the journal.
    pub(crate) journaled_rows: usize,
}

impl TierState {
    pub(crate) fn newest_written_ms(&self) -> Option<u64> {
        self.entries().map(|e| e.meta.last_ms).max()
    }

    /// Its newest row, written or open.
    fn newest_ms(&self) -> Option<u64> {
        self.open
            .times_ms
            .last()
            .copied()
            .or_else(|| self.newest_written_ms())
    }

    pub(crate) fn oldest_ms(&self) -> Option<u64> {
        self.entries()
            .map(|e| e.meta.first_ms)
            .min()
            .or_else(|| self.open.times_ms.first().copied())
    }

    /// Handles on the written blocks whose summary `wanted` keeps.
    pub(crate) fn block_refs(&self, wanted: impl Fn(&BlockMeta) -> bool) -> Vec<BlockRef> {
        self.segments
            .values()
            .flat_map(|segment| {
                segment
                    .entries()
                    .iter()
                    .filter(|entry| wanted(&entry.meta))
                    .map(|entry| segment.block_ref(entry))
            })
            .collect()
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = &segment::Entry> {
        self.segments.values().flat_map(|s| s.entries().iter())
    }

    pub(crate) fn bytes_on_disk(&self) -> u64 {
        self.segments.values().map(Segment::len_bytes).sum::<u64>() + self.journal.len_bytes()
    }
}

/// An open store. Not thread-safe by itself: the writer thread owns it
/// behind a lock ([`crate::writer`]), and reads take a [`crate::read::View`]
/// under that lock and decode it outside.
#[derive(Debug)]
pub struct Store {
    pub(crate) config: StoreConfig,
    _lock: DirLock,
    pub(crate) tiers: [TierState; 3],
    /// Closed blocks (tier index, block) the disk has not taken yet.
    pub(crate) pending: Vec<(usize, Block)>,
    pub(crate) writable: bool,
    pub(crate) cap_logged: bool,
    pub(crate) dropped_blocks: u64,
    /// The newest time pushed, which retention counts back from.
    pub(crate) newest_ms: u64,
}

pub(crate) fn now_ms() -> u64 {
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

/// A tier's journal as read at open: its blocks, and whether it needs
/// writing afresh (a record was damaged or already in a closed block).
struct Journal {
    blocks: Vec<Block>,
    rewrite: bool,
}

impl Store {
    /// Opens (or creates) the store in `config.dir`, repairing what it must.
    pub fn open(config: StoreConfig) -> Result<(Self, Recovered), StoreError> {
        fs::create_dir_all(&config.dir).map_err(io_error(&config.dir))?;
        let lock = DirLock::acquire(&config.dir)?;
        let now = now_ms();
        let mut recovered = Recovered::default();
        let mut journals = Vec::with_capacity(Tier::ALL.len());
        let mut tiers = Vec::with_capacity(Tier::ALL.len());
        for tier in Tier::ALL {
            let (state, journal) = open_tier(&config.dir, tier, now, &mut recovered)?;
            tiers.push(state);
            journals.push(journal);
        }
        let Ok(tiers) = <[TierState; 3]>::try_from(tiers) else {
            unreachable!("one state per tier");
        };
        let mut store = Self {
            config,
            _lock: lock,
            tiers,
            pending: Vec::new(),
            writable: true,
            cap_logged: false,
            dropped_blocks: 0,
            newest_ms: 0,
        };
        store.recover(journals);
        recovered.newest = store.newest_row();
        let mark = store.take_clean_mark();
        recovered.clean = mark.is_some() && mark == recovered.newest.map(|(e, s, _)| (e, s));
        log_repairs(&recovered);
        Ok((store, recovered))
    }

    /// The journals' rows become the open blocks again, and the coarser
    /// tiers' unfinished buckets are rebuilt from the finer tiers' rows.
    fn recover(&mut self, journals: Vec<Journal>) {
        for (index, journal) in journals.into_iter().enumerate() {
            let written = self.tiers[index].newest_written_ms();
            let mut rewrite = journal.rewrite;
            for block in &journal.blocks {
                for row in 0..block.len() {
                    let time = block.times_ms[row];
                    // Rows already in a closed block: a crash between writing
                    // the block and emptying the journal.
                    if written.is_some_and(|w| time <= w) {
                        rewrite = true;
                        continue;
                    }
                    // Rows of a block the disk refused before the crash are
                    // written as their own block now.
                    rewrite |= self.roll(index, time);
                    copy_row(block, row, &mut self.tiers[index].open);
                }
            }
            self.newest_ms = self
                .newest_ms
                .max(self.tiers[index].newest_ms().unwrap_or(0));
            self.tiers[index].journaled_rows = self.tiers[index].open.len();
            if rewrite {
                self.rewrite_journal(index);
            }
        }
        // The hour bucket first: rebuilding the minute bucket may close minutes
        // and feed them to it.
        for index in [1, 0] {
            let coarse = index + 1;
            let bucket_ms = self.tiers[coarse].tier.bucket_ms().unwrap_or(1);
            let done = self.tiers[coarse].newest_ms().map(|t| t + bucket_ms);
            self.refeed(index, done);
        }
        self.flush();
    }

    /// Feeds tier `index`'s rows from `from_ms` on (all when `None`) to the
    /// coarser tier's bucket.
    fn refeed(&mut self, index: usize, from_ms: Option<u64>) {
        let from = from_ms.unwrap_or(0);
        let state = &self.tiers[index];
        let mut blocks: Vec<Block> = Vec::new();
        for segment in state.segments.values() {
            for entry in segment.entries().iter().filter(|e| e.meta.last_ms >= from) {
                match segment.read(entry) {
                    Ok(block) => blocks.push(block),
                    Err(error) => tracing::warn!("history: skipping a block: {error}"),
                }
            }
        }
        blocks.sort_by_key(|b| b.times_ms.first().copied().unwrap_or(0));
        blocks.push(state.open.clone());
        for block in &blocks {
            for row in 0..block.len() {
                if block.times_ms[row] >= from {
                    self.feed(index, block, row);
                }
            }
        }
    }

    /// The newest raw row: (epoch, seq, time).
    pub(crate) fn newest_row(&self) -> Option<(u64, u64, u64)> {
        let raw = &self.tiers[0];
        if let Some(last) = raw.open.len().checked_sub(1) {
            let open = &raw.open;
            return Some((open.epochs[last], open.seqs[last], open.times_ms[last]));
        }
        let pending = self
            .pending
            .iter()
            .filter(|(index, _)| *index == 0)
            .filter_map(|(_, block)| BlockMeta::of(block));
        raw.entries()
            .map(|e| e.meta)
            .chain(pending)
            .max_by_key(|meta| meta.last_ms)
            .map(|meta| (meta.last_epoch, meta.last_seq, meta.last_ms))
    }

    /// The clean-stop mark's (epoch, seq), removed for good: from now on the
    /// store is open, and a crash must not look clean.
    fn take_clean_mark(&self) -> Option<(u64, u64)> {
        let path = self.config.dir.join(CLEAN_FILE);
        let text = fs::read_to_string(&path).ok()?;
        let _ = fs::remove_file(&path);
        // Made durable: a stale mark could pass a lost run's samples for clean.
        if let Ok(dir) = fs::File::open(&self.config.dir) {
            let _ = dir.sync_all();
        }
        let mut parts = text.split_whitespace().map(str::parse::<u64>);
        match (parts.next(), parts.next()) {
            (Some(Ok(epoch)), Some(Ok(seq))) => Some((epoch, seq)),
            _ => None,
        }
    }

    /// Writes the clean-stop mark after the newest sample.
    pub(crate) fn mark_clean(&self, epoch: u64, seq: u64) {
        let path = self.config.dir.join(CLEAN_FILE);
        let written = fs::File::create(&path).and_then(|mut file| {
            writeln!(file, "{epoch} {seq}")?;
            file.sync_all()
        });
        if let Err(error) = written {
            tracing::warn!(
                "history: cannot mark the clean stop in {}: {error}",
                path.display()
            );
        }
    }

    /// Health.
    #[must_use]
    pub fn status(&self) -> StoreStatus {
        StoreStatus {
            writable: self.writable,
            bytes_on_disk: self.bytes_on_disk(),
            dropped_blocks: self.dropped_blocks,
            tiers: [0, 1, 2].map(|index| {
                let state = &self.tiers[index];
                TierStatus {
                    tier: state.tier,
                    bytes_on_disk: state.bytes_on_disk(),
                    oldest_ms: state.oldest_ms(),
                }
            }),
        }
    }

    /// The configuration it runs with.
    #[must_use]
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The oldest time `tier` holds, if any.
    #[must_use]
    pub fn oldest_ms(&self, tier: Tier) -> Option<u64> {
        self.tiers[tier.index()].oldest_ms()
    }

    /// Bytes of every file the store keeps.
    #[must_use]
    pub fn bytes_on_disk(&self) -> u64 {
        self.tiers.iter().map(TierState::bytes_on_disk).sum()
    }
}

/// Opens `tier`'s folder: its segments (unreadable ones moved aside) and its
/// journal, read whole.
fn open_tier(
    dir: &Path,
    tier: Tier,
    now: u64,
    recovered: &mut Recovered,
) -> Result<(TierState, Journal), StoreError> {
    let dir = dir.join(tier.name());
    fs::create_dir_all(&dir).map_err(io_error(&dir))?;
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
    let mut segments = BTreeMap::new();
    for (start_ms, path) in names {
        let kind = Kind::Segment {
            start_ms,
            end_ms: start_ms.saturating_add(tier.segment_ms()),
        };
        if let Some(segment) = open_segment(&path, kind, now, recovered)? {
            segments.insert(start_ms, segment);
        }
    }
    let journal_path = dir.join(JOURNAL_FILE);
    let journal = match open_segment(&journal_path, Kind::Journal, now, recovered)? {
        Some(journal) => journal,
        None => Segment::open(&journal_path, Kind::Journal, now)?.0,
    };
    let mut read = Journal {
        blocks: Vec::with_capacity(journal.entries().len()),
        rewrite: false,
    };
    for entry in journal.entries() {
        match journal.read(entry) {
            Ok(block) => read.blocks.push(block),
            Err(error) => {
                tracing::warn!("history: skipping a journal entry: {error}");
                read.rewrite = true;
            }
        }
    }
    let state = TierState {
        tier,
        dir,
        segments,
        open: Block::new(tier.stats()),
        bucket: None,
        journal,
        journaled_rows: 0,
    };
    Ok((state, read))
}

fn open_segment(
    path: &Path,
    kind: Kind,
    now: u64,
    recovered: &mut Recovered,
) -> Result<Option<Segment>, StoreError> {
    match Segment::open(path, kind, now) {
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

fn log_repairs(recovered: &Recovered) {
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
}
