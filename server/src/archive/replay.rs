//! Replays that reach past the in-memory ring: the ring holds the newest
//! `history` samples; older samples of the current epoch (those from before
//! a clean restart included) are read from the store. Whatever is replayed
//! stays contiguous in seq: a stretch the store does not hold whole is left
//! out (a recent replay starts later) or refused (a resume gets its reset).
//!
//! [`replay`] and [`history_after`] run the reads on the blocking pool
//! ([`super::Archive::read`]); without a store they are the hub's own.

use std::ops::Range;
use std::sync::Arc;

use hostpulse_shared::ResetReason;

use super::Archive;
use crate::hub::{Hub, Recorded, Replay, Replayed};

/// `hub.replay(replay)`, reaching into the store where the ring does not go
/// back far enough (the ring alone if the read fails).
pub(crate) async fn replay(hub: &Arc<Hub>, replay: Replay) -> Replayed {
    let Some(archive) = hub.archive() else {
        return hub.replay(replay);
    };
    let reader = Arc::clone(hub);
    archive
        .read(move |archive| extend(&reader, archive, replay))
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "replaying from the ring alone");
            hub.replay(replay)
        })
}

/// REST's page of samples after `after_seq` (all kept when `None`), at most
/// `limit`, oldest first, reaching into the store where the ring does not.
pub(crate) async fn history_after(
    hub: &Arc<Hub>,
    after_seq: Option<u64>,
    limit: usize,
) -> Vec<Arc<Recorded>> {
    let Some(archive) = hub.archive() else {
        return hub.history_after(after_seq, limit);
    };
    let reader = Arc::clone(hub);
    archive
        .read(move |archive| page(&reader, archive, after_seq, limit))
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "paging from the ring alone");
            hub.history_after(after_seq, limit)
        })
}

/// [`replay`], on the calling thread. At most the hub's history capacity is
/// replayed.
fn extend(hub: &Hub, archive: &Archive, replay: Replay) -> Replayed {
    let replayed = hub.replay(replay);
    let epoch = hub.hello().epoch;
    match replay {
        Replay::Recent { count } => {
            let Some(oldest) = replayed.samples.first().map(|s| s.seq) else {
                return replayed;
            };
            let missing = count.saturating_sub(replayed.samples.len()) as u64;
            let older = contiguous_up_to(archive, epoch, oldest.saturating_sub(missing)..oldest);
            prepend(older, replayed)
        }
        Replay::Before { before_seq, limit } => {
            let missing = limit.saturating_sub(replayed.samples.len()) as u64;
            if missing == 0 {
                return replayed;
            }
            let have_from = replayed.samples.first().map_or(before_seq, |s| s.seq);
            let older =
                contiguous_up_to(archive, epoch, have_from.saturating_sub(missing)..have_from);
            prepend(older, replayed)
        }
        Replay::Resume {
            epoch: asked,
            after_seq,
            ..
        } if asked == epoch => resume(hub, archive, after_seq).unwrap_or(replayed),
        Replay::Resume { .. } => replayed,
    }
}

/// Everything after `after_seq` of the current epoch, from the store and
/// then the ring, if the store holds all of it that the ring does not.
fn resume(hub: &Hub, archive: &Archive, after_seq: u64) -> Option<Replayed> {
    let capacity = hub.history_capacity();
    let ring = hub.replay(Replay::Recent { count: capacity });
    let first = after_seq.checked_add(1)?;
    let from_store = match ring.samples.first() {
        Some(oldest) if oldest.seq <= first => return None,
        Some(oldest) => {
            let wanted = first..oldest.seq;
            let count = usize::try_from(oldest.seq - first).ok()?;
            if count + ring.samples.len() > capacity {
                return None;
            }
            let samples = archive.samples(hub.hello().epoch, wanted);
            (samples.len() == count).then_some(samples)?
        }
        // Nothing sampled since the start yet: whatever the store has after
        // the viewer's last sample, from before a clean restart.
        None => {
            let end = first.saturating_add(capacity as u64);
            let samples = archive.samples(hub.hello().epoch, first..end);
            if samples.first().is_some_and(|s| s.seq != first) {
                return Some(Replayed {
                    reset: Some(ResetReason::HistoryTooShort),
                    ..Replayed::default()
                });
            }
            samples
        }
    };
    let from_store: Vec<Arc<Recorded>> = from_store
        .into_iter()
        .map(|sample| Arc::new(Recorded::new(Arc::new(sample))))
        .collect();
    let newest_seq = ring.newest_seq.or(from_store.last().map(|s| s.seq));
    let mut samples = from_store;
    samples.extend(ring.samples);
    is_contiguous(&samples).then_some(Replayed {
        reset: None,
        samples,
        newest_seq,
    })
}

/// The store's samples of `epoch` in `seqs` that run without a hole up to
/// the end of `seqs` (the newest stretch of them).
fn contiguous_up_to(archive: &Archive, epoch: u64, seqs: Range<u64>) -> Vec<Arc<Recorded>> {
    if seqs.is_empty() {
        return Vec::new();
    }
    let end = seqs.end;
    let mut samples = archive.samples(epoch, seqs);
    let run = samples
        .iter()
        .rev()
        .zip((0..end).rev())
        .take_while(|(sample, expected)| sample.seq == *expected)
        .count();
    samples
        .split_off(samples.len() - run)
        .into_iter()
        .map(|sample| Arc::new(Recorded::new(Arc::new(sample))))
        .collect()
}

fn prepend(mut older: Vec<Arc<Recorded>>, replayed: Replayed) -> Replayed {
    if older.is_empty() {
        return replayed;
    }
    older.extend(replayed.samples);
    Replayed {
        samples: older,
        ..replayed
    }
}

fn is_contiguous(samples: &[Arc<Recorded>]) -> bool {
    samples
        .windows(2)
        .all(|pair| pair[1].seq == pair[0].seq + 1)
}

/// [`history_after`], on the calling thread.
fn page(hub: &Hub, archive: &Archive, after_seq: Option<u64>, limit: usize) -> Vec<Arc<Recorded>> {
    let from_ring = hub.history_after(after_seq, limit);
    let Some(after) = after_seq else {
        return from_ring;
    };
    let ring_oldest = hub.history_after(None, 1).first().map(|s| s.seq);
    let first = after.saturating_add(1);
    let end = ring_oldest.unwrap_or(first).max(first);
    let wanted = first..end.min(first.saturating_add(limit as u64));
    if wanted.is_empty() {
        return from_ring;
    }
    let mut page: Vec<Arc<Recorded>> = archive
        .samples(hub.hello().epoch, wanted)
        .into_iter()
        .map(|sample| Arc::new(Recorded::new(Arc::new(sample))))
        .collect();
    page.extend(from_ring);
    page.truncate(limit);
    page
}
