//! One append-only file of blocks: a magic header, then framed records, each a
//! block's summary ([`BlockMeta`]) and the block.
//!
//! Opening reads only each record's header and summary, so a store of any
//! size opens in milliseconds: the last record's checksum is verified there
//! (a torn write is the damage a crash leaves), every other record's when it
//! is read. A damaged tail is copied aside (never lost) and cut off; a record
//! that fails its checksum when read is skipped with a warning; a file that
//! is not ours at all is reported as unreadable for the caller to move aside.
//!
//! The tiers' journals of not-yet-closed rows are files of the same shape
//! (another magic, blocks [`Packing::Plain`]), emptied each time their rows
//! are written as a closed block.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::block::{Block, BlockError, Packing};
use crate::frame;

/// The first bytes of every segment file, with the format version.
pub const MAGIC: &[u8; 8] = b"HPHIST\x00\x01";
/// The first bytes of every journal file, with the format version.
pub const JOURNAL_MAGIC: &[u8; 8] = b"HPJRNL\x00\x01";

/// Bytes of the header both kinds of file start with.
const HEADER_BYTES: u64 = MAGIC.len() as u64;

/// The most bytes a [`BlockMeta`] takes (seven varints of at most 10 bytes).
const MAX_META_BYTES: usize = 70;

/// Which kind of file, and what its records may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A segment of closed blocks, all of whose rows lie in `start_ms..end_ms`.
    Segment {
        /// The start of the segment's span.
        start_ms: u64,
        /// The end of the segment's span (exclusive).
        end_ms: u64,
    },
    /// A tier's journal of rows not yet in a closed block.
    Journal,
}

impl Kind {
    fn magic(self) -> &'static [u8; 8] {
        match self {
            Kind::Segment { .. } => MAGIC,
            Kind::Journal => JOURNAL_MAGIC,
        }
    }

    fn packing(self) -> Packing {
        match self {
            Kind::Segment { .. } => Packing::Pco,
            Kind::Journal => Packing::Plain,
        }
    }

    /// Whether `meta` could have been written to this file: a summary that
    /// parses out of damaged bytes almost never passes.
    fn admits(self, meta: &BlockMeta) -> bool {
        let sound = meta.rows > 0 && meta.first_ms <= meta.last_ms;
        match self {
            Kind::Segment { start_ms, end_ms } => {
                sound && meta.first_ms >= start_ms && meta.last_ms < end_ms
            }
            Kind::Journal => sound,
        }
    }
}

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

/// Where a record lies in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The block's summary.
    pub meta: BlockMeta,
    /// Offset of the record's payload (the summary, then the block).
    pub offset: u64,
    /// Length of the payload.
    pub len: usize,
    /// The payload's CRC-32.
    pub crc: u32,
    /// Bytes of the summary at the payload's start.
    pub meta_len: usize,
}

impl Entry {
    fn header(&self) -> frame::Header {
        frame::Header {
            len: self.len,
            crc: self.crc,
        }
    }
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
    /// A record's bytes no longer match their checksum.
    #[error("{path}: the block at byte {offset} fails its checksum")]
    Checksum {
        /// The file.
        path: PathBuf,
        /// Where the record's payload starts.
        offset: u64,
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

/// One block in a file, readable without the segment (and so without the
/// store's lock): the file stays readable even once retention deletes it.
#[derive(Debug, Clone)]
pub struct BlockRef {
    file: Arc<File>,
    path: Arc<Path>,
    packing: Packing,
    /// Where the block lies.
    pub entry: Entry,
}

impl BlockRef {
    /// Reads the block, checking its checksum, and decodes it.
    pub fn read(&self) -> Result<Block, SegmentError> {
        let entry = &self.entry;
        let mut payload = vec![0; entry.len];
        self.file
            .read_exact_at(&mut payload, entry.offset)
            .map_err(|source| SegmentError::Io {
                path: self.path.to_path_buf(),
                source,
            })?;
        if !entry.header().matches(&payload) {
            return Err(SegmentError::Checksum {
                path: self.path.to_path_buf(),
                offset: entry.offset,
            });
        }
        let bytes = payload.get(entry.meta_len..).unwrap_or_default();
        Block::decode_as(bytes, self.packing).map_err(|source| SegmentError::Block {
            path: self.path.to_path_buf(),
            source,
        })
    }
}

/// An open segment or journal file.
#[derive(Debug)]
pub struct Segment {
    path: Arc<Path>,
    file: Arc<File>,
    kind: Kind,
    len: u64,
    entries: Vec<Entry>,
}

impl Segment {
    /// Opens `path`, creating it when absent; repairs a damaged tail.
    /// `now_ms` names the copy of what is cut off.
    pub fn open(
        path: &Path,
        kind: Kind,
        now_ms: u64,
    ) -> Result<(Self, Option<Repair>), SegmentError> {
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
        let file_len = file.metadata().map_err(io)?.len();
        let magic = kind.magic();
        let mut header = vec![0; usize::try_from(file_len.min(HEADER_BYTES)).unwrap_or(0)];
        file.read_exact_at(&mut header, 0).map_err(io)?;
        if header.len() < magic.len() {
            // Empty, or a header torn while being written: nothing else can follow it.
            if !magic.starts_with(&header) {
                return Err(SegmentError::Unreadable {
                    path: path.to_owned(),
                    reason: "shorter than the header",
                });
            }
            file.set_len(0).map_err(io)?;
            file.write_all(magic).map_err(io)?;
            file.sync_data().map_err(io)?;
            return Ok((Self::new(path, file, kind, HEADER_BYTES, Vec::new()), None));
        }
        if header != magic {
            return Err(SegmentError::Unreadable {
                path: path.to_owned(),
                reason: "wrong header",
            });
        }
        let mut entries = walk(&file, kind, file_len).map_err(io)?;
        // The last record is where a crash tears a write: check it whole now.
        while let Some(last) = entries.last() {
            if record_is_sound(&file, last).map_err(io)? {
                break;
            }
            entries.pop();
        }
        let valid_len = entries
            .last()
            .map_or(HEADER_BYTES, |e| e.offset + e.len as u64);
        let mut repair = None;
        if valid_len < file_len {
            let mut cut = vec![0; usize::try_from(file_len - valid_len).unwrap_or(0)];
            let saved_to = path.with_extension(format!("damaged-{now_ms}"));
            let saved = file.read_exact_at(&mut cut, valid_len).is_ok()
                && fs::write(&saved_to, &cut).is_ok();
            file.set_len(valid_len).map_err(io)?;
            file.sync_data().map_err(io)?;
            repair = Some(Repair {
                path: path.to_owned(),
                kept_blocks: entries.len(),
                kept_bytes: valid_len,
                cut_bytes: file_len - valid_len,
                saved_to: saved.then_some(saved_to),
            });
        }
        Ok((Self::new(path, file, kind, valid_len, entries), repair))
    }

    fn new(path: &Path, file: File, kind: Kind, len: u64, entries: Vec<Entry>) -> Self {
        Self {
            path: Arc::from(path),
            file: Arc::new(file),
            kind,
            len,
            entries,
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

    /// A handle on the block at `entry`, readable without this segment.
    #[must_use]
    pub fn block_ref(&self, entry: &Entry) -> BlockRef {
        BlockRef {
            file: Arc::clone(&self.file),
            path: Arc::clone(&self.path),
            packing: self.kind.packing(),
            entry: *entry,
        }
    }

    /// Reads and decodes one block.
    pub fn read(&self, entry: &Entry) -> Result<Block, SegmentError> {
        self.block_ref(entry).read()
    }

    /// Appends `block` and makes it durable. On failure (a full disk) the file
    /// is cut back to where it was, so a later append follows a sound record.
    pub fn append(&mut self, block: &Block) -> Result<(), SegmentError> {
        let Some(meta) = BlockMeta::of(block) else {
            return Ok(());
        };
        let error = |source| SegmentError::Block {
            path: self.path.to_path_buf(),
            source,
        };
        let encoded = block.encode_as(self.kind.packing()).map_err(error)?;
        let mut payload = postcard::to_stdvec(&meta).map_err(|e| error(BlockError::Envelope(e)))?;
        let meta_len = payload.len();
        payload.extend_from_slice(&encoded);
        let record = frame::encode(&payload);
        let mut file = &*self.file;
        let written = file.write_all(&record).and_then(|()| file.sync_data());
        if let Err(source) = written {
            let _ = file.set_len(self.len);
            return Err(SegmentError::Io {
                path: self.path.to_path_buf(),
                source,
            });
        }
        self.entries.push(Entry {
            meta,
            offset: self.len + frame::RECORD_HEADER_BYTES as u64,
            len: payload.len(),
            crc: crc32fast::hash(&payload),
            meta_len,
        });
        self.len += record.len() as u64;
        Ok(())
    }

    /// Replaces the file's records with `block` alone, atomically: a new file
    /// is written beside it and renamed over it, so a crash leaves the old
    /// records or the new one, never neither.
    pub fn replace_with(&mut self, block: &Block) -> Result<(), SegmentError> {
        let io = |source| SegmentError::Io {
            path: self.path.to_path_buf(),
            source,
        };
        let mut name = self.path.file_name().unwrap_or_default().to_owned();
        name.push(".new");
        let fresh_path = self.path.with_file_name(name);
        let _ = fs::remove_file(&fresh_path);
        let (mut fresh, _) = Segment::open(&fresh_path, self.kind, 0)?;
        fresh.append(block)?;
        fs::rename(&fresh_path, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        fresh.path = Arc::clone(&self.path);
        *self = fresh;
        Ok(())
    }

    /// Empties the file back to its header.
    pub fn reset(&mut self) -> Result<(), SegmentError> {
        let io = |source| SegmentError::Io {
            path: self.path.to_path_buf(),
            source,
        };
        self.file.set_len(HEADER_BYTES).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.len = HEADER_BYTES;
        self.entries.clear();
        Ok(())
    }
}

/// The records of `file` after its header, read header and summary only,
/// up to the first that cannot be one of `kind`'s.
fn walk(file: &File, kind: Kind, file_len: u64) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut offset = HEADER_BYTES;
    let mut head = [0_u8; frame::RECORD_HEADER_BYTES + MAX_META_BYTES];
    while offset < file_len {
        let available = usize::try_from(file_len - offset).unwrap_or(usize::MAX);
        let want = head.len().min(available);
        file.read_exact_at(&mut head[..want], offset)?;
        let Some(header) = frame::Header::parse(&head[..want]) else {
            break;
        };
        let payload_offset = offset + frame::RECORD_HEADER_BYTES as u64;
        if header.len > frame::MAX_PAYLOAD_BYTES || payload_offset + header.len as u64 > file_len {
            break;
        }
        let start = frame::RECORD_HEADER_BYTES;
        let end = want.min(start + header.len);
        let Ok((meta, rest)) = postcard::take_from_bytes::<BlockMeta>(&head[start..end]) else {
            break;
        };
        if !kind.admits(&meta) {
            break;
        }
        entries.push(Entry {
            meta,
            offset: payload_offset,
            len: header.len,
            crc: header.crc,
            meta_len: end - start - rest.len(),
        });
        offset = payload_offset + header.len as u64;
    }
    Ok(entries)
}

/// Whether the record at `entry` matches its checksum.
fn record_is_sound(file: &File, entry: &Entry) -> io::Result<bool> {
    let mut payload = vec![0; entry.len];
    file.read_exact_at(&mut payload, entry.offset)?;
    Ok(entry.header().matches(&payload))
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

    const KIND: Kind = Kind::Segment {
        start_ms: 0,
        end_ms: u64::MAX,
    };

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
        let (mut segment, repair) = Segment::open(&path, KIND, 0).unwrap();
        assert!(repair.is_none());
        segment.append(&block(0, 10)).unwrap();
        segment.append(&block(10, 5)).unwrap();
        drop(segment);
        let (segment, repair) = Segment::open(&path, KIND, 0).unwrap();
        assert!(repair.is_none());
        assert_eq!(segment.entries().len(), 2);
        assert_eq!(segment.read(&segment.entries()[1]).unwrap(), block(10, 5));
        assert_eq!(segment.entries()[1].meta.last_seq, 14);
    }

    #[test]
    fn a_torn_tail_is_cut_off_and_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.seg");
        let (mut segment, _) = Segment::open(&path, KIND, 0).unwrap();
        segment.append(&block(0, 10)).unwrap();
        segment.append(&block(10, 10)).unwrap();
        let len = segment.len_bytes();
        drop(segment);
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(len - 3).unwrap();
        let (segment, repair) = Segment::open(&path, KIND, 42).unwrap();
        let repair = repair.unwrap();
        assert_eq!(repair.kept_blocks, 1);
        assert_eq!(segment.entries().len(), 1);
        let saved = repair.saved_to.unwrap();
        assert!(saved.to_string_lossy().ends_with("damaged-42"));
        assert_eq!(fs::metadata(saved).unwrap().len(), repair.cut_bytes);
    }

    #[test]
    fn a_flipped_byte_mid_file_costs_that_block_only_when_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.seg");
        let (mut segment, _) = Segment::open(&path, KIND, 0).unwrap();
        for first in [0, 10, 20] {
            segment.append(&block(first, 10)).unwrap();
        }
        let middle = segment.entries()[1];
        drop(segment);
        let mut bytes = fs::read(&path).unwrap();
        let at = usize::try_from(middle.offset).unwrap() + middle.len - 2;
        bytes[at] ^= 0x10;
        fs::write(&path, bytes).unwrap();
        let (segment, repair) = Segment::open(&path, KIND, 0).unwrap();
        assert!(repair.is_none(), "only the last record is checked at open");
        let entries = segment.entries().to_vec();
        assert_eq!(entries.len(), 3);
        assert_eq!(segment.read(&entries[0]).unwrap(), block(0, 10));
        assert!(matches!(
            segment.read(&entries[1]),
            Err(SegmentError::Checksum { .. })
        ));
        assert_eq!(segment.read(&entries[2]).unwrap(), block(20, 10));
    }

    #[test]
    fn a_summary_outside_the_segments_span_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.seg");
        let (mut segment, _) = Segment::open(&path, KIND, 0).unwrap();
        segment.append(&block(0, 10)).unwrap();
        segment.append(&block(100, 10)).unwrap();
        drop(segment);
        let narrow = Kind::Segment {
            start_ms: 0,
            end_ms: 50_000,
        };
        let (segment, repair) = Segment::open(&path, narrow, 0).unwrap();
        assert_eq!(segment.entries().len(), 1);
        assert_eq!(repair.unwrap().kept_blocks, 1);
    }

    #[test]
    fn a_journal_keeps_plain_blocks_and_is_not_a_segment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.journal");
        let (mut journal, _) = Segment::open(&path, Kind::Journal, 0).unwrap();
        journal.append(&block(0, 3)).unwrap();
        drop(journal);
        let (journal, _) = Segment::open(&path, Kind::Journal, 0).unwrap();
        assert_eq!(journal.read(&journal.entries()[0]).unwrap(), block(0, 3));
        drop(journal);
        assert!(matches!(
            Segment::open(&path, KIND, 0),
            Err(SegmentError::Unreadable { .. })
        ));
    }

    #[test]
    fn a_foreign_file_is_unreadable_and_can_be_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.seg");
        fs::write(&path, b"SQLite format 3\0 and more").unwrap();
        let error = Segment::open(&path, KIND, 0).unwrap_err();
        assert!(matches!(error, SegmentError::Unreadable { .. }), "{error}");
        let moved = move_aside(&path, 7).unwrap();
        assert!(!path.exists());
        assert!(moved.to_string_lossy().ends_with("0.seg.unreadable-7"));
    }
}
