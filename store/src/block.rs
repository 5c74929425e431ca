//! A block: many consecutive rows of one tier, stored column by column, each
//! series compressed on its own with pco (which finds the deltas, common
//! factors and small ranges of a series by itself), so a flat series costs
//! next to nothing and a busy one only its entropy.
//!
//! Raw blocks hold one column per series; aggregated blocks three (min, mean,
//! max). Both carry the process lists of their rows in columns too.
//!
//! A journal's few rows are stored [`Packing::Plain`] instead: pco sets up a
//! decoder per column, which a block of a few rows does not repay, and the
//! journals are read back at every start.

use serde::{Deserialize, Serialize};

use crate::series::{MISSING, SeriesKey};

/// pco's level: 8 is its default, and the cost per block is small at any level.
const PCO_LEVEL: usize = 8;

/// A block could not be decoded: the bytes are not one this store wrote.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// The envelope is not valid.
    #[error("block envelope: {0}")]
    Envelope(#[from] postcard::Error),
    /// A column is not valid pco.
    #[error("block column: {0}")]
    Column(#[from] pco::errors::PcoError),
    /// The columns do not agree on the number of rows.
    #[error("block columns disagree on their length")]
    Ragged,
}

/// How a block's columns are turned into bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// Each column compressed with pco: closed blocks.
    Pco,
    /// Each column as plain varints: the journals' short blocks.
    Plain,
}

/// The process lists of a block's rows, in columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Processes {
    /// How many entries each row has.
    pub per_row: Vec<u32>,
    /// Process ids, row after row.
    pub pids: Vec<u32>,
    /// Index into `names`, per entry.
    pub name_ids: Vec<u32>,
    /// Every name the block's entries use, once.
    pub names: Vec<String>,
    /// CPU per entry, as [`crate::series::percent_to_int`] keeps it.
    pub cpu: Vec<i64>,
    /// Resident memory per entry.
    pub memory_bytes: Vec<u64>,
}

impl Processes {
    /// Number of entries in all rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pids.len()
    }

    /// Whether no row has an entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pids.is_empty()
    }

    /// Adds one row's entries.
    pub fn push_row(&mut self, entries: impl IntoIterator<Item = (u32, String, i64, u64)>) {
        let before = self.pids.len();
        for (pid, name, cpu, memory) in entries {
            let id = self
                .names
                .iter()
                .position(|n| *n == name)
                .unwrap_or_else(|| {
                    self.names.push(name);
                    self.names.len() - 1
                });
            self.pids.push(pid);
            self.name_ids.push(u32::try_from(id).unwrap_or(u32::MAX));
            self.cpu.push(cpu);
            self.memory_bytes.push(memory);
        }
        self.per_row
            .push(u32::try_from(self.pids.len() - before).unwrap_or(u32::MAX));
    }

    /// The entries of each row: (pid, name, cpu, memory).
    pub fn rows(&self) -> impl Iterator<Item = Vec<(u32, &str, i64, u64)>> + '_ {
        let mut start = 0_usize;
        self.per_row.iter().map(move |&count| {
            let end = start + count as usize;
            let row = (start..end.min(self.pids.len()))
                .map(|i| self.entry(i))
                .collect();
            start = end;
            row
        })
    }

    /// The entries of row `row` alone (none past the last row).
    #[must_use]
    pub fn row(&self, row: usize) -> Vec<(u32, &str, i64, u64)> {
        let start: usize = self.per_row.iter().take(row).map(|&n| n as usize).sum();
        let count = self.per_row.get(row).map_or(0, |&n| n as usize);
        (start..(start + count).min(self.pids.len()))
            .map(|i| self.entry(i))
            .collect()
    }

    fn entry(&self, i: usize) -> (u32, &str, i64, u64) {
        let name = self
            .names
            .get(self.name_ids[i] as usize)
            .map_or("", String::as_str);
        (self.pids[i], name, self.cpu[i], self.memory_bytes[i])
    }
}

/// Rows of one tier: one per raw sample, or one per minute or hour bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// When each row starts, Unix ms.
    pub times_ms: Vec<u64>,
    /// The seq of each row (of its last sample, for a bucket).
    pub seqs: Vec<u64>,
    /// The epoch of each row.
    pub epochs: Vec<u64>,
    /// Samples behind each row: 1 for raw.
    pub counts: Vec<u32>,
    /// The series, in column order.
    pub keys: Vec<SeriesKey>,
    /// Columns per series: 1 (raw) or 3 (min, mean, max).
    pub stats: usize,
    /// `keys.len() * stats` columns, each `times_ms.len()` long; key `k`,
    /// stat `s` is column `k * stats + s`.
    pub columns: Vec<Vec<i64>>,
    /// The process lists.
    pub processes: Processes,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    stats: u8,
    times_ms: Vec<u8>,
    seqs: Vec<u8>,
    epochs: Vec<u8>,
    counts: Vec<u8>,
    keys: Vec<SeriesKey>,
    columns: Vec<Vec<u8>>,
    per_row: Vec<u8>,
    pids: Vec<u8>,
    name_ids: Vec<u8>,
    names: Vec<String>,
    cpu: Vec<u8>,
    memory_bytes: Vec<u8>,
}

impl Block {
    /// An empty block with `stats` columns per series.
    #[must_use]
    pub fn new(stats: usize) -> Self {
        Self {
            stats,
            ..Self::default()
        }
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.times_ms.len()
    }

    /// Whether there is no row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.times_ms.is_empty()
    }

    /// The column of `key`'s stat `stat`, adding it (missing in earlier rows)
    /// when the series is new.
    pub fn column_mut(&mut self, key: &SeriesKey, stat: usize) -> &mut Vec<i64> {
        let index = self.keys.iter().position(|k| k == key).unwrap_or_else(|| {
            self.keys.push(key.clone());
            for _ in 0..self.stats {
                self.columns.push(vec![MISSING; self.times_ms.len()]);
            }
            self.keys.len() - 1
        });
        &mut self.columns[index * self.stats + stat]
    }

    /// Opens a row; the caller then pushes to every column via
    /// [`Block::set`] and ends it with [`Block::end_row`].
    pub fn begin_row(&mut self, time_ms: u64, seq: u64, epoch: u64, count: u32) {
        self.times_ms.push(time_ms);
        self.seqs.push(seq);
        self.epochs.push(epoch);
        self.counts.push(count);
    }

    /// Sets `key`'s stat in the open row.
    pub fn set(&mut self, key: &SeriesKey, stat: usize, value: i64) {
        let rows = self.times_ms.len();
        let column = self.column_mut(key, stat);
        column.resize(rows - 1, MISSING);
        column.push(value);
    }

    /// Pads every column the open row did not set.
    pub fn end_row(&mut self) {
        let rows = self.times_ms.len();
        for column in &mut self.columns {
            column.resize(rows, MISSING);
        }
    }

    /// The bytes this block is stored as, packed as `packing` says.
    pub fn encode_as(&self, packing: Packing) -> Result<Vec<u8>, BlockError> {
        match packing {
            Packing::Pco => self.encode(),
            Packing::Plain => Ok(postcard::to_stdvec(self)?),
        }
    }

    /// The block `bytes` hold, packed as `packing` says.
    pub fn decode_as(bytes: &[u8], packing: Packing) -> Result<Self, BlockError> {
        match packing {
            Packing::Pco => Self::decode(bytes),
            Packing::Plain => postcard::from_bytes::<Self>(bytes)?.checked(),
        }
    }

    /// The bytes this block is stored as (pco).
    pub fn encode(&self) -> Result<Vec<u8>, BlockError> {
        let envelope = Envelope {
            stats: u8::try_from(self.stats).unwrap_or(u8::MAX),
            times_ms: pack(&self.times_ms)?,
            seqs: pack(&self.seqs)?,
            epochs: pack(&self.epochs)?,
            counts: pack(&self.counts)?,
            keys: self.keys.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| pack(c))
                .collect::<Result<_, _>>()?,
            per_row: pack(&self.processes.per_row)?,
            pids: pack(&self.processes.pids)?,
            name_ids: pack(&self.processes.name_ids)?,
            names: self.processes.names.clone(),
            cpu: pack(&self.processes.cpu)?,
            memory_bytes: pack(&self.processes.memory_bytes)?,
        };
        Ok(postcard::to_stdvec(&envelope)?)
    }

    /// The block `bytes` hold (pco).
    pub fn decode(bytes: &[u8]) -> Result<Self, BlockError> {
        let envelope: Envelope = postcard::from_bytes(bytes)?;
        let block = Self {
            times_ms: unpack(&envelope.times_ms)?,
            seqs: unpack(&envelope.seqs)?,
            epochs: unpack(&envelope.epochs)?,
            counts: unpack(&envelope.counts)?,
            stats: usize::from(envelope.stats.max(1)),
            columns: envelope
                .columns
                .iter()
                .map(|c| unpack(c))
                .collect::<Result<_, _>>()?,
            keys: envelope.keys,
            processes: Processes {
                per_row: unpack(&envelope.per_row)?,
                pids: unpack(&envelope.pids)?,
                name_ids: unpack(&envelope.name_ids)?,
                names: envelope.names,
                cpu: unpack(&envelope.cpu)?,
                memory_bytes: unpack(&envelope.memory_bytes)?,
            },
        };
        block.checked()
    }

    /// The block, if its columns agree on their lengths (bytes that passed a
    /// checksum can still be a bug's).
    fn checked(self) -> Result<Self, BlockError> {
        let rows = self.times_ms.len();
        let processes = &self.processes;
        let ragged = self.stats == 0
            || self.seqs.len() != rows
            || self.epochs.len() != rows
            || self.counts.len() != rows
            || self.columns.len() != self.keys.len() * self.stats
            || self.columns.iter().any(|c| c.len() != rows)
            || processes.per_row.len() != rows
            || processes.per_row.iter().map(|&n| n as usize).sum::<usize>() != processes.pids.len()
            || processes.name_ids.len() != processes.pids.len()
            || processes.cpu.len() != processes.pids.len()
            || processes.memory_bytes.len() != processes.pids.len()
            || processes
                .name_ids
                .iter()
                .any(|&id| id as usize >= processes.names.len());
        if ragged {
            return Err(BlockError::Ragged);
        }
        Ok(self)
    }

    /// Bytes of the series columns alone in `encoded`, and of the process
    /// columns alone, for reporting what each part costs.
    pub fn encoded_parts(&self) -> Result<(usize, usize), BlockError> {
        let series = self
            .columns
            .iter()
            .map(|c| pack(c).map(|b| b.len()))
            .sum::<Result<usize, _>>()?;
        let p = &self.processes;
        let processes = pack(&p.per_row)?.len()
            + pack(&p.pids)?.len()
            + pack(&p.name_ids)?.len()
            + p.names.iter().map(|n| n.len() + 1).sum::<usize>()
            + pack(&p.cpu)?.len()
            + pack(&p.memory_bytes)?.len();
        Ok((series, processes))
    }
}

fn pack<T: pco::data_types::Number>(values: &[T]) -> Result<Vec<u8>, BlockError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let config = pco::ChunkConfig::default().with_compression_level(PCO_LEVEL);
    Ok(pco::standalone::simple_compress(values, &config)?)
}

fn unpack<T: pco::data_types::Number>(bytes: &[u8]) -> Result<Vec<T>, BlockError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(pco::standalone::simple_decompress(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_decodes_to_what_was_encoded_with_a_series_appearing_late() {
        let mut block = Block::new(1);
        for row in 0..100_u64 {
            block.begin_row(1000 * row, row, 7, 1);
            block.set(&SeriesKey::CpuTotal, 0, i64::try_from(row % 13).unwrap());
            if row > 50 {
                block.set(&SeriesKey::CpuCore(3), 0, 5);
            }
            block.end_row();
            block.processes.push_row([
                (1, "init".to_owned(), 0, 4096),
                (u32::try_from(row).unwrap(), "sh".to_owned(), 10, 8192),
            ]);
        }
        let bytes = block.encode().unwrap();
        let decoded = Block::decode(&bytes).unwrap();
        assert_eq!(decoded, block);
        let plain = block.encode_as(Packing::Plain).unwrap();
        assert_eq!(Block::decode_as(&plain, Packing::Plain).unwrap(), block);
        assert_eq!(decoded.columns[1][50], MISSING);
        assert_eq!(decoded.columns[1][51], 5);
        assert_eq!(
            decoded.processes.rows().nth(7).unwrap()[1],
            (7, "sh", 10, 8192)
        );
        assert_eq!(
            decoded.processes.row(7),
            decoded.processes.rows().nth(7).unwrap()
        );
        assert!(decoded.processes.row(100).is_empty());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Block::decode(&[0xff; 40]).is_err());
        assert!(Block::decode(&[]).is_err());
        assert!(Block::decode_as(&[0xff; 40], Packing::Plain).is_err());
    }
}
