//! Replay blocks: the history ring cut into runs of [`BLOCK_SEQS`]
//! consecutive seqs, aligned on seq, each encoded once per codec into
//! complete `history` messages of kind `replay` that every session sends as
//! they are (a `Bytes` clone), so that a thousand viewers joining at once cost
//! one encoding of the history and no per-viewer join (ARCHITECTURE.md,
//! invariant 2).
//!
//! A block is made the first time a replay covers all of its seqs while the
//! ring holds them, encoded in a codec the first time a session sends it in
//! that codec, and dropped from the table as soon as the ring drops its
//! oldest sample; a session still sending it keeps it alive until it has
//! sent it, as a batch kept its samples before. A block's messages are cut
//! by the same rule as every other batch (about [`HISTORY_MESSAGE_BYTES`]
//! each, see [`next_elements`]), so the frames a slow viewer may have
//! queued stay as small as before, and now shared rather than its own.
//!
//! What a replay holds besides whole blocks — the samples before the first
//! aligned seq, the partial newest block, samples read from the store — is
//! joined per session as before, from each sample's encoding kept with it;
//! a block takes those encodings from its samples when it is encoded, so
//! the history is held encoded once, in blocks or per sample.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use actix_web::web::Bytes;
use bytestring::ByteString;
use hostpulse_shared::{Codec, History, HistoryKind};

use crate::hub::{EncodeError, Recorded};

/// Seqs per block: a block holds the samples `n * BLOCK_SEQS ..
/// (n + 1) * BLOCK_SEQS`. Small enough that what each session still joins
/// itself (at most two partial blocks) is a few dozen samples, large enough
/// that a block's last message is rarely much shorter than the others.
pub const BLOCK_SEQS: u64 = 32;

/// About the size of one `history` message: a long replay is many small
/// frames, so the couple a slow viewer may have pending stay cheap.
pub const HISTORY_MESSAGE_BYTES: usize = 2 * 1024;
/// Most samples in one `history` message, however small they are.
pub const HISTORY_CHUNK_MAX: usize = 256;

/// One WebSocket message, in its session's codec: text for JSON, binary for
/// MessagePack. Cloning shares the bytes.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A JSON text frame.
    Text(ByteString),
    /// A MessagePack binary frame.
    Binary(Bytes),
}

impl Outgoing {
    /// `payload`, encoded in `codec`, as the frame that carries it.
    pub fn new(codec: Codec, payload: Vec<u8>) -> Result<Self, EncodeError> {
        if codec.is_binary() {
            Ok(Self::Binary(payload.into()))
        } else {
            let text = String::from_utf8(payload).map_err(|_| EncodeError::NotUtf8)?;
            Ok(Self::Text(text.into()))
        }
    }

    /// The encoded message.
    #[cfg(test)]
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(bytes) => bytes,
        }
    }
}

/// The encodings of the samples of the next `history` message taken from the
/// front of `rest`: at least one sample (none only when `rest` is empty), at
/// most about [`HISTORY_MESSAGE_BYTES`] or [`HISTORY_CHUNK_MAX`] samples.
/// Each encoding is made once and kept with its sample.
pub fn next_elements(rest: &[Arc<Recorded>], codec: Codec) -> Result<Vec<Bytes>, EncodeError> {
    let mut elements = Vec::new();
    let mut message_bytes = 0;
    for recorded in rest {
        let element = recorded.element(codec)?;
        let full = message_bytes + element.len() > HISTORY_MESSAGE_BYTES;
        if !elements.is_empty() && (full || elements.len() == HISTORY_CHUNK_MAX) {
            break;
        }
        message_bytes += element.len();
        elements.push(element);
    }
    Ok(elements)
}

/// One message of a block, and how many of the block's samples it carries.
#[derive(Debug, Clone)]
pub struct Part {
    /// The `history` message (kind `replay`, not `last`).
    pub message: Outgoing,
    /// Samples in it.
    pub samples: usize,
}

/// [`BLOCK_SEQS`] consecutive samples of the ring and their messages.
#[derive(Debug)]
pub struct Block {
    samples: Vec<Arc<Recorded>>,
    json: OnceLock<Arc<[Part]>>,
    msgpack: OnceLock<Arc<[Part]>>,
    /// The table's count of encodings made.
    encoded: Arc<AtomicU64>,
}

impl Block {
    /// The seq of its first sample (a multiple of [`BLOCK_SEQS`]).
    #[must_use]
    pub fn first_seq(&self) -> u64 {
        self.samples.first().map_or(0, |recorded| recorded.seq)
    }

    /// Its messages in `codec`, encoded by the first caller and shared by
    /// every caller after.
    pub fn parts(&self, codec: Codec) -> Result<Arc<[Part]>, EncodeError> {
        let cell = match codec {
            Codec::Json => &self.json,
            Codec::MessagePack => &self.msgpack,
        };
        if let Some(parts) = cell.get() {
            return Ok(Arc::clone(parts));
        }
        let parts = self.encode(codec)?;
        // Another thread may have set it meanwhile: the bytes are the same.
        Ok(Arc::clone(cell.get_or_init(|| parts)))
    }

    fn encode(&self, codec: Codec) -> Result<Arc<[Part]>, EncodeError> {
        let head = History {
            kind: Some(HistoryKind::Replay),
            id: None,
            last: false,
            samples: Vec::new(),
        };
        let mut parts = Vec::new();
        let mut sent = 0;
        while sent < self.samples.len() {
            let elements = next_elements(&self.samples[sent..], codec)?;
            sent += elements.len();
            parts.push(Part {
                message: Outgoing::new(codec, codec.join_history(&head, &elements)?)?,
                samples: elements.len(),
            });
        }
        // The block holds them now.
        for recorded in &self.samples {
            recorded.forget_element(codec);
        }
        self.encoded.fetch_add(1, Ordering::Relaxed);
        Ok(parts.into())
    }
}

/// The blocks the ring holds whole, by first seq.
#[derive(Debug, Default)]
pub struct Blocks {
    table: Mutex<BTreeMap<u64, Arc<Block>>>,
    encoded: Arc<AtomicU64>,
}

impl Blocks {
    /// The blocks lying wholly within `wanted` (contiguous seqs, oldest
    /// first) and within `ring` (the history ring, contiguous, oldest
    /// first), oldest first; those not made yet are made from `ring`.
    pub fn covering(
        &self,
        wanted: &[Arc<Recorded>],
        ring: &VecDeque<Arc<Recorded>>,
    ) -> VecDeque<Arc<Block>> {
        let mut out = VecDeque::new();
        let (Some(first), Some(last), Some(ring_first), Some(ring_last)) = (
            wanted.first().map(|s| s.seq),
            wanted.last().map(|s| s.seq),
            ring.front().map(|s| s.seq),
            ring.back().map(|s| s.seq),
        ) else {
            return out;
        };
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let mut start = first.max(ring_first).next_multiple_of(BLOCK_SEQS);
        while let Some(end) = start.checked_add(BLOCK_SEQS - 1)
            && end <= last.min(ring_last)
        {
            let block = table.entry(start).or_insert_with(|| {
                let offset = usize::try_from(start - ring_first).unwrap_or(usize::MAX);
                Arc::new(Block {
                    samples: ring
                        .range(offset..)
                        .take_while(|recorded| recorded.seq <= end)
                        .cloned()
                        .collect(),
                    json: OnceLock::new(),
                    msgpack: OnceLock::new(),
                    encoded: Arc::clone(&self.encoded),
                })
            });
            out.push_back(Arc::clone(block));
            start = end + 1;
        }
        out
    }

    /// Forgets every block holding `seq` or older: the ring no longer holds
    /// it whole.
    pub fn drop_through(&self, seq: u64) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table
            .first_key_value()
            .is_some_and(|(&first, _)| first <= seq)
        {
            *table = table.split_off(&seq.saturating_add(1));
        }
    }

    /// Blocks in the table now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Block encodings made since the start (one per block per codec).
    #[must_use]
    pub fn encoded_count(&self) -> u64 {
        self.encoded.load(Ordering::Relaxed)
    }
}
