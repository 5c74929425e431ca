//! One append-only file of blocks: a magic header, then framed records, each a
//! block's summary ([`BlockMeta`]) and the block. Opening checks every
//! record's checksum; a damaged tail is copied aside (never lost) and cut off,
//! and a file that is not ours at all is reported as unreadable for the caller
//! to move aside.
//!
//! The raw tier's journal of not-yet-closed rows is a segment too, emptied
//! each time its rows are written as a block.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::block::{Block, BlockError};
use crate::frame;

/// The first bytes of every file this store writes, with the format version.
pub const MAGIC: &[u8; 8] = b"HPHIST\x00\x01";

/// What a block holds, readable without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockMeta {
    /// Time of the first row, Unix ms.
    pub first_ms: u64,
    /// Time of the last row, Unix ms.
    pub last_ms: u64,
    /// Number of rows.
    pub rows: u32,
    /// Epoch of the first row.
    pub first_epoch: u64,
    /// Seq of the first row.
    pub first_seq: u64,
    /// Epoch of the last row.
    pub last_epoch: u64,
    /// Seq of the last row.
    pub last_seq: u64,
}

impl BlockMeta {
    /// The summary of `block`; `None` when it has no row.
    #[must_use]
    pub fn of(block: &Block) -> Option<Self> {
        let last = block.len().checked_sub(1)?;
        Some(Self {
            first_ms: block.times_ms[0],
            last_ms: block.times_ms[last],
            rows: u32::try_from(block.len()).unwrap_or(u32::MAX),
            first_epoch: block.epochs[0],
            first_seq: block.seqs[0],
            last_epoch: block.epochs[last],
            last_seq: block.seqs[last],
        })
    }
}

/// Where a block lies in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Its summary.
    pub meta: BlockMeta,
    /// Offset of the encoded block.
    pub offset: u64,
    /// Length of the encoded block.
    pub len: usize,
}

/// A file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file is not one this store wrote (or its header is destroyed).
    #[error("{path}: not a HostPulse history file ({reason})")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: &'static str,
    },
    /// A block that passed its checksum does not decode.
    #[error("{path}: {source}")]
    Block {
        /// The file.
        path: PathBuf,
        /// Why.
        source: BlockError,
    },
}

/// What opening a file had to repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The file.
    pub path: PathBuf,
    /// Blocks kept.
    pub kept_blocks: usize,
    /// Bytes kept.
    pub kept_bytes: u64,
    /// Bytes cut off.
    pub cut_bytes: u64,
    /// Where the cut bytes were copied.
    pub saved_to: Option<PathBuf>,
}

/// An open segment file.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    file: File,
    len: u64,
    entries: Vec<Entry>,
}

impl Segment {
    /// Opens `path`, creating it when absent; repairs a damaged tail.
    /// `now_ms` names the copy of what is cut off.
    pub fn open(path: &Path, now_ms: u64) -> Result<(Self, Option<Repair>), SegmentError> {
        let io = |source| SegmentError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        let bytes = fs::read(path).map_err(io)?;
        if bytes.is_empty() {
            file.write_all(MAGIC).map_err(io)?;
            file.sync_data().map_err(io)?;
            return Ok((Self::empty(path, file), None));
        }
        if bytes.len() < MAGIC.len() {
            // A header torn while being written: nothing else can follow it.
            if MAGIC.starts_with(&bytes) {
                file.set_len(0).map_err(io)?;
                file.write_all(MAGIC).map_err(io)?;
                return Ok((Self::empty(path, file), None));
            }
            return Err(SegmentError::Unreadable {
                path: path.to_owned(),
                reason: "shorter than the header",
            });
        }
        if &bytes[..MAGIC.len()] != MAGIC {
            return Err(SegmentError::Unreadable {
                path: path.to_owned(),
                reason: "wrong header",
            });
        }
        let body = &bytes[MAGIC.len()..];
        let scanned = frame::scan(body);
        let mut entries = Vec::with_capacity(scanned.records.len());
        let mut valid_len = MAGIC.len();
        for record in &scanned.records {
            let payload = &body[record.payload_offset..record.payload_offset + record.payload_len];
            // A record whose summary does not parse is damage the checksum missed.
            let Ok((meta, rest)) = postcard::take_from_bytes::<BlockMeta>(payload) else {
                break;
            };
            let offset = MAGIC.len() + record.payload_offset + (payload.len() - rest.len());
            entries.push(Entry {
                meta,
                offset: offset as u64,
                len: rest.len(),
            });
            valid_len = MAGIC.len() + record.payload_offset + record.payload_len;
        }
        let mut repair = None;
        if valid_len < bytes.len() {
            let saved_to = path.with_extension(format!("damaged-{now_ms}"));
            let saved = fs::write(&saved_to, &bytes[valid_len..]).is_ok();
            file.set_len(valid_len as u64).map_err(io)?;
            file.sync_data().map_err(io)?;
            repair = Some(Repair {
                path: path.to_owned(),
                kept_blocks: entries.len(),
                kept_bytes: valid_len as u64,
                cut_bytes: (bytes.len() - valid_len) as u64,
                saved_to: saved.then_some(saved_to),
            });
        }
        Ok((
            Self {
                path: path.to_owned(),
                file,
                len: valid_len as u64,
                entries,
            },
            repair,
        ))
    }

    fn empty(path: &Path, file: File) -> Self {
        Self {
            path: path.to_owned(),
            file,
            len: MAGIC.len() as u64,
            entries: Vec::new(),
        }
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the file.
    #[must_use]
    pub fn len_bytes(&self) -> u64 {
        self.len
    }

    /// The blocks, in the order written.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Appends `block` and makes it durable. On failure (a full disk) the file
    /// is cut back to where it was, so a later append follows a sound record.
    pub fn append(&mut self, block: &Block) -> Result<(), SegmentError> {
        let Some(meta) = BlockMeta::of(block) else {
            return Ok(());
        };
        let encoded = block.encode().map_err(|source| SegmentError::Block {
            path: self.path.clone(),
            source,
        })?;
        let mut payload = postcard::to_stdvec(&meta).map_err(|source| SegmentError::Block {
            path: self.path.clone(),
            source: BlockError::Envelope(source),
        })?;
        let meta_len = payload.len();
        payload.extend_from_slice(&encoded);
        let record = frame::encode(&payload);
        let written = self
            .file
            .write_all(&record)
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            let _ = self.file.set_len(self.len);
            return Err(SegmentError::Io {
                path: self.path.clone(),
                source,
            });
        }
        self.entries.push(Entry {
            meta,
            offset: self.len + (frame::RECORD_HEADER_BYTES + meta_len) as u64,
            len: encoded.len(),
        });
        self.len += record.len() as u64;
        Ok(())
    }

    /// Empties the file back to its header.
    pub fn reset(&mut self) -> Result<(), SegmentError> {
        let io = |source| SegmentError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.set_len(MAGIC.len() as u64).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.len = MAGIC.len() as u64;
        self.entries.clear();
        Ok(())
    }

    /// Reads and decodes one block.
    pub fn read(&self, entry: &Entry) -> Result<Block, SegmentError> {
        let mut bytes = vec![0; entry.len];
        self.file
            .read_exact_at(&mut bytes, entry.offset)
            .map_err(|source| SegmentError::Io {
                path: self.path.clone(),
                source,
            })?;
        Block::decode(&bytes).map_err(|source| SegmentError::Block {
            path: self.path.clone(),
            source,
        })
    }
}

/// Moves an unreadable file aside as `<name>.unreadable-<now_ms>`, and says where.
pub fn move_aside(path: &Path, now_ms: u64) -> io::Result<PathBuf> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".unreadable-{now_ms}"));
    let target = path.with_file_name(name);
    fs::rename(path, &target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::SeriesKey;

    fn block(first_seq: u64, rows: u64) -> Block {
        let mut block = Block::new(1);
        for seq in first_seq..first_seq + rows {
            block.begin_row(seq * 1000, seq, 1, 1);
            block.set(&SeriesKey::CpuTotal, 0, i64::try_from(seq % 7).unwrap());
            block.end_row();
            block.processes.push_row([]);
        }
        block
    }

    #[test]
    fn blocks_written_come_back_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.seg");
        let (mut segment, repair) = Segment::open(&path, 0).unwrap();
        assert!(repair.is_none());
        segment.append(&block(0, 10)).unwrap();
        segment.append(&block(10, 5)).unwrap();
        drop(segment);
        let (segment, repair) = Segment::open(&path, 0).unwrap();
        assert!(repair.is_none());
        assert_eq!(segment.entries().len(), 2);
        assert_eq!(segment.read(&segment.entries()[1]).unwrap(), block(10, 5));
        assert_eq!(segment.entries()[1].meta.last_seq, 14);
    }

    #[test]
    fn a_torn_tail_is_cut_off_and_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.seg");
        let (mut segment, _) = Segment::open(&path, 0).unwrap();
        segment.append(&block(0, 10)).unwrap();
        segment.append(&block(10, 10)).unwrap();
        let len = segment.len_bytes();
        drop(segment);
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(len - 3).unwrap();
        let (segment, repair) = Segment::open(&path, 42).unwrap();
        let repair = repair.unwrap();
        assert_eq!(repair.kept_blocks, 1);
        assert_eq!(segment.entries().len(), 1);
        let saved = repair.saved_to.unwrap();
        assert!(saved.to_string_lossy().ends_with("damaged-42"));
        assert_eq!(fs::metadata(saved).unwrap().len(), repair.cut_bytes);
    }

    #[test]
    fn a_foreign_file_is_unreadable_and_can_be_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.seg");
        fs::write(&path, b"SQLite format 3\0 and more").unwrap();
        let error = Segment::open(&path, 0).unwrap_err();
        assert!(matches!(error, SegmentError::Unreadable { .. }), "{error}");
        let moved = move_aside(&path, 7).unwrap();
        assert!(!path.exists());
        assert!(moved.to_string_lossy().ends_with("0.seg.unreadable-7"));
    }
}
