//! What reaches the disk and what leaves it: closed blocks into their
//! segment files, the open rows into the journals at each flush, the clean
//! stop, and the deletions that retention and the size cap ask for.
//!
//! A write the disk refuses (a full disk) never stops the caller: the store
//! says once that it cannot write, keeps a few closed blocks in memory
//! ([`MAX_PENDING_BLOCKS`]), and writes again when space returns.

use std::fs;

use crate::block::Block;
use crate::ingest::copy_row;
use crate::segment::{Kind, Segment, SegmentError};
use crate::store::{Store, now_ms};
use crate::tier::align;

/// Closed blocks kept in memory while the disk refuses them.
pub const MAX_PENDING_BLOCKS: usize = 8;

/// Room kept free under the cap for the next block.
const CAP_HEADROOM_BYTES: u64 = 1 << 20;

impl Store {
    /// Writes closed blocks; keeps them (a few) while the disk refuses them.
    pub(crate) fn write_pending(&mut self) {
        while !self.pending.is_empty() {
            let (index, block) = self.pending.remove(0);
            let first = block.times_ms.first().copied().unwrap_or(0);
            self.make_room();
            let written = self
                .segment_for(index, first)
                .and_then(|segment| segment.append(&block));
            match written {
                Ok(()) => {
                    // Its rows are in the block now; the journal is emptied
                    // once no other closed block of the tier waits for the disk.
                    if !self.pending.iter().any(|(i, _)| *i == index) {
                        let state = &mut self.tiers[index];
                        if state.journal.reset().is_ok() {
                            state.journaled_rows = 0;
                        }
                    }
                    self.set_writable(true, None);
                }
                Err(error) => {
                    self.pending.insert(0, (index, block));
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

    pub(crate) fn set_writable(&mut self, writable: bool, error: Option<&SegmentError>) {
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
        let span = state.tier.segment_ms();
        let start = align(time_ms, span);
        if !state.segments.contains_key(&start) {
            let path = state.dir.join(format!("{start}.seg"));
            let kind = Kind::Segment {
                start_ms: start,
                end_ms: start.saturating_add(span),
            };
            let (segment, _) = Segment::open(&path, kind, now_ms())?;
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

    /// Makes every tier's open rows durable (the journals). Cheap: only the
    /// rows since the last flush are written.
    pub fn flush(&mut self) {
        self.write_pending();
        for index in 0..self.tiers.len() {
            let state = &mut self.tiers[index];
            if state.journaled_rows >= state.open.len() {
                continue;
            }
            let mut tail = Block::new(state.open.stats);
            for row in state.journaled_rows..state.open.len() {
                copy_row(&state.open, row, &mut tail);
            }
            let appended = state.journal.append(&tail);
            if appended.is_ok() {
                state.journaled_rows = state.open.len();
            }
            match appended {
                Ok(()) => self.set_writable(true, None),
                Err(error) => {
                    self.set_writable(false, Some(&error));
                    return;
                }
            }
        }
    }

    /// Writes tier `index`'s journal afresh with its open block's rows.
    pub(crate) fn rewrite_journal(&mut self, index: usize) {
        let state = &mut self.tiers[index];
        match state.journal.replace_with(&state.open) {
            Ok(()) => state.journaled_rows = state.open.len(),
            Err(error) => {
                tracing::warn!("history: cannot rewrite a journal: {error}");
                state.journaled_rows = 0;
            }
        }
    }

    /// Flushes and, when the newest sample kept is `last_published` (or
    /// whatever it is, for `None`), marks the store cleanly closed after it:
    /// the next open may then go on with its epoch. Pushing again afterwards
    /// is allowed, and the store counts as open again at its next open.
    pub fn close(&mut self, last_published: Option<(u64, u64)>) {
        self.flush();
        let all_written = self.tiers.iter().all(|t| t.journaled_rows == t.open.len());
        let Some((epoch, seq, _)) = self.newest_row() else {
            return;
        };
        if self.writable && all_written && last_published.is_none_or(|last| last == (epoch, seq)) {
            self.mark_clean(epoch, seq);
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
        while self.bytes_on_disk() + CAP_HEADROOM_BYTES > self.config.max_bytes {
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
            // Readers holding one of its blocks keep reading the open file.
            let _ = fs::remove_file(segment.path());
        }
    }
}
