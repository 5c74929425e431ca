//! Which engine holds the history: the same compressed blocks written through
//! redb, fjall, `SQLite` (rusqlite, bundled) and a plain append-only log file,
//! measured side by side in one run.
//!
//! Input: real samples, as `GET /api/v1/history` returns them (one or more
//! JSON files). They are replayed in a loop, with fresh seqs and times, for
//! `--days` of 1 Hz history; each block holds 15 minutes, and the open block's
//! rows are written every 10 samples (the store's promise: kill -9 loses at
//! most 10 s), then dropped when its block is written.
//!
//! Reported per engine: on-disk bytes per stored value (codec bytes per value,
//! times the engine's space amplification: bytes on disk over bytes of the
//! records still live), CPU per sample written (process user + system time,
//! compression included), write
//! amplification (bytes the kernel wrote to disk, from /proc/self/io, per
//! logical byte handed to the engine), what a kill -9 mid-write keeps, what a
//! truncated or byte-flipped file keeps, and whether deleting the oldest half
//! gives the disk space back.
//!
//! ```text
//! cargo run --release -p hostpulse-store --example engines -- \
//!     --days 1 samples.json [more.json ...]
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hostpulse_shared::Sample;
use hostpulse_store::block::Block;
use hostpulse_store::frame;
use hostpulse_store::series::{self, MISSING};

const BLOCK_ROWS: usize = 900;
const TAIL_ROWS: usize = 10;
const ENGINES: [&str; 4] = ["redb", "fjall", "sqlite", "log"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Blocks,
    Tails,
}

trait Engine {
    fn put(&mut self, table: Table, key: u64, value: &[u8]) -> Result<()>;
    /// Drops every tail (they are all covered by the block just written).
    fn clear_tails(&mut self) -> Result<()>;
    /// Drops blocks with a key below `key`.
    fn delete_blocks_below(&mut self, key: u64) -> Result<()>;
    /// Makes everything so far durable.
    fn commit(&mut self) -> Result<()>;
    fn read_all(&mut self) -> Result<Vec<(u64, Vec<u8>)>>;
}

fn open(name: &str, dir: &Path) -> Result<Box<dyn Engine>> {
    Ok(match name {
        "redb" => Box::new(RedbEngine::open(dir)?),
        "fjall" => Box::new(FjallEngine::open(dir)?),
        "sqlite" => Box::new(SqliteEngine::open(dir)?),
        "log" => Box::new(LogEngine::open(dir)?),
        other => bail!("unknown engine {other}"),
    })
}

// ---------------------------------------------------------------- redb

const REDB_BLOCKS: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("blocks");
const REDB_TAILS: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("tails");

struct RedbEngine {
    db: redb::Database,
    pending: Vec<(Table, u64, Vec<u8>)>,
    clear: bool,
    below: Option<u64>,
}

impl RedbEngine {
    fn open(dir: &Path) -> Result<Self> {
        Ok(Self {
            db: redb::Database::create(dir.join("history.redb"))?,
            pending: Vec::new(),
            clear: false,
            below: None,
        })
    }
}

impl Engine for RedbEngine {
    fn put(&mut self, table: Table, key: u64, value: &[u8]) -> Result<()> {
        self.pending.push((table, key, value.to_vec()));
        Ok(())
    }
    fn clear_tails(&mut self) -> Result<()> {
        self.clear = true;
        Ok(())
    }
    fn delete_blocks_below(&mut self, key: u64) -> Result<()> {
        self.below = Some(key);
        self.commit()
    }
    fn commit(&mut self) -> Result<()> {
        use redb::ReadableTable;
        let txn = self.db.begin_write()?;
        {
            let mut blocks = txn.open_table(REDB_BLOCKS)?;
            let mut tails = txn.open_table(REDB_TAILS)?;
            if std::mem::take(&mut self.clear) {
                let keys: Vec<u64> = tails
                    .iter()?
                    .map(|entry| entry.map(|(k, _)| k.value()))
                    .collect::<Result<_, _>>()?;
                for key in keys {
                    tails.remove(key)?;
                }
            }
            for (table, key, value) in self.pending.drain(..) {
                match table {
                    Table::Blocks => blocks.insert(key, value.as_slice())?,
                    Table::Tails => tails.insert(key, value.as_slice())?,
                };
            }
            if let Some(below) = self.below.take() {
                let keys: Vec<u64> = blocks
                    .range(..below)?
                    .map(|entry| entry.map(|(k, _)| k.value()))
                    .collect::<Result<_, _>>()?;
                for key in keys {
                    blocks.remove(key)?;
                }
            }
        }
        txn.commit()?;
        Ok(())
    }
    fn read_all(&mut self) -> Result<Vec<(u64, Vec<u8>)>> {
        use redb::{ReadableDatabase, ReadableTable};
        let txn = self.db.begin_read()?;
        let mut all = Vec::new();
        for definition in [REDB_BLOCKS, REDB_TAILS] {
            let Ok(table) = txn.open_table(definition) else {
                continue;
            };
            for entry in table.iter()? {
                let (key, value) = entry?;
                all.push((key.value(), value.value().to_vec()));
            }
        }
        Ok(all)
    }
}

// ---------------------------------------------------------------- fjall

struct FjallEngine {
    db: fjall::Database,
    blocks: fjall::Keyspace,
    tails: fjall::Keyspace,
}

impl FjallEngine {
    fn open(dir: &Path) -> Result<Self> {
        let db = fjall::Database::builder(dir.join("fjall")).open()?;
        let blocks = db.keyspace("blocks", fjall::KeyspaceCreateOptions::default)?;
        let tails = db.keyspace("tails", fjall::KeyspaceCreateOptions::default)?;
        Ok(Self { db, blocks, tails })
    }
}

impl Engine for FjallEngine {
    fn put(&mut self, table: Table, key: u64, value: &[u8]) -> Result<()> {
        let keyspace = match table {
            Table::Blocks => &self.blocks,
            Table::Tails => &self.tails,
        };
        keyspace.insert(key.to_be_bytes(), value)?;
        Ok(())
    }
    fn clear_tails(&mut self) -> Result<()> {
        let keys: Vec<_> = self
            .tails
            .iter()
            .map(fjall::Guard::key)
            .collect::<Result<_, _>>()?;
        for key in keys {
            self.tails.remove(key)?;
        }
        Ok(())
    }
    fn delete_blocks_below(&mut self, key: u64) -> Result<()> {
        let keys: Vec<_> = self
            .blocks
            .range(..key.to_be_bytes())
            .map(fjall::Guard::key)
            .collect::<Result<_, _>>()?;
        for key in keys {
            self.blocks.remove(key)?;
        }
        self.commit()
    }
    fn commit(&mut self) -> Result<()> {
        self.db.persist(fjall::PersistMode::SyncAll)?;
        Ok(())
    }
    fn read_all(&mut self) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut all = Vec::new();
        for keyspace in [&self.blocks, &self.tails] {
            for guard in keyspace.iter() {
                let (key, value) = guard.into_inner()?;
                let key: [u8; 8] = key.as_ref().try_into().context("key length")?;
                all.push((u64::from_be_bytes(key), value.to_vec()));
            }
        }
        Ok(all)
    }
}

// ---------------------------------------------------------------- SQLite

struct SqliteEngine {
    connection: rusqlite::Connection,
    open_transaction: bool,
}

impl SqliteEngine {
    fn open(dir: &Path) -> Result<Self> {
        let connection = rusqlite::Connection::open(dir.join("history.sqlite"))?;
        connection.execute_batch(
            "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS blocks (k INTEGER PRIMARY KEY, v BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS tails (k INTEGER PRIMARY KEY, v BLOB NOT NULL);",
        )?;
        Ok(Self {
            connection,
            open_transaction: false,
        })
    }
    fn begin(&mut self) -> Result<()> {
        if !self.open_transaction {
            self.connection.execute_batch("BEGIN")?;
            self.open_transaction = true;
        }
        Ok(())
    }
}

impl Engine for SqliteEngine {
    fn put(&mut self, table: Table, key: u64, value: &[u8]) -> Result<()> {
        self.begin()?;
        let sql = match table {
            Table::Blocks => "INSERT OR REPLACE INTO blocks (k, v) VALUES (?1, ?2)",
            Table::Tails => "INSERT OR REPLACE INTO tails (k, v) VALUES (?1, ?2)",
        };
        self.connection
            .prepare_cached(sql)?
            .execute(rusqlite::params![i64::try_from(key)?, value])?;
        Ok(())
    }
    fn clear_tails(&mut self) -> Result<()> {
        self.begin()?;
        self.connection.execute("DELETE FROM tails", [])?;
        Ok(())
    }
    fn delete_blocks_below(&mut self, key: u64) -> Result<()> {
        self.begin()?;
        self.connection
            .execute("DELETE FROM blocks WHERE k < ?1", [i64::try_from(key)?])?;
        self.commit()?;
        self.connection
            .execute_batch("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
    fn commit(&mut self) -> Result<()> {
        if self.open_transaction {
            self.connection.execute_batch("COMMIT")?;
            self.open_transaction = false;
        }
        Ok(())
    }
    fn read_all(&mut self) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut all = Vec::new();
        for table in ["blocks", "tails"] {
            let mut statement = self
                .connection
                .prepare(&format!("SELECT k, v FROM {table}"))?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })?;
            for row in rows {
                let (key, value) = row?;
                all.push((u64::try_from(key)?, value));
            }
        }
        Ok(all)
    }
}

// ---------------------------------------------------------------- log

/// Blocks appended to `blocks.log`, the open block's rows to `open.journal`
/// (emptied when the block is written); both framed and checksummed.
struct LogEngine {
    dir: PathBuf,
    blocks: fs::File,
    journal: fs::File,
    dirty_blocks: bool,
}

impl LogEngine {
    fn open(dir: &Path) -> Result<Self> {
        let append = |name: &str| {
            fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
        };
        Ok(Self {
            dir: dir.to_owned(),
            blocks: append("blocks.log")?,
            journal: append("open.journal")?,
            dirty_blocks: false,
        })
    }
}

impl Engine for LogEngine {
    fn put(&mut self, table: Table, key: u64, value: &[u8]) -> Result<()> {
        let mut payload = key.to_le_bytes().to_vec();
        payload.extend_from_slice(value);
        let record = frame::encode(&payload);
        match table {
            Table::Blocks => {
                self.blocks.write_all(&record)?;
                self.dirty_blocks = true;
            }
            Table::Tails => self.journal.write_all(&record)?,
        }
        Ok(())
    }
    fn clear_tails(&mut self) -> Result<()> {
        // The block must be durable before the rows it replaces are dropped.
        self.blocks.sync_data()?;
        self.dirty_blocks = false;
        self.journal.set_len(0)?;
        Ok(())
    }
    fn delete_blocks_below(&mut self, key: u64) -> Result<()> {
        // The store deletes whole segment files; here, one rewrite of the file.
        let kept: Vec<(u64, Vec<u8>)> = read_log(&self.dir.join("blocks.log"))?
            .into_iter()
            .filter(|(k, _)| *k >= key)
            .collect();
        let path = self.dir.join("blocks.log.new");
        let mut file = fs::File::create(&path)?;
        for (k, v) in kept {
            let mut payload = k.to_le_bytes().to_vec();
            payload.extend_from_slice(&v);
            file.write_all(&frame::encode(&payload))?;
        }
        file.sync_all()?;
        fs::rename(&path, self.dir.join("blocks.log"))?;
        self.blocks = fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("blocks.log"))?;
        Ok(())
    }
    fn commit(&mut self) -> Result<()> {
        if std::mem::take(&mut self.dirty_blocks) {
            self.blocks.sync_data()?;
        }
        self.journal.sync_data()?;
        Ok(())
    }
    fn read_all(&mut self) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut all = read_log(&self.dir.join("blocks.log"))?;
        all.extend(read_log(&self.dir.join("open.journal"))?);
        Ok(all)
    }
}

fn read_log(path: &Path) -> Result<Vec<(u64, Vec<u8>)>> {
    let bytes = fs::read(path)?;
    Ok(frame::scan(&bytes)
        .records
        .iter()
        .filter_map(|r| {
            let payload = &bytes[r.payload_offset..r.payload_offset + r.payload_len];
            let key = u64::from_le_bytes(payload.get(..8)?.try_into().ok()?);
            Some((key, payload[8..].to_vec()))
        })
        .collect())
}

// ---------------------------------------------------------------- workload

/// Turns samples into the records the store writes, block by block.
struct Writer {
    open: Block,
    flushed_rows: usize,
    logical_bytes: u64,
    /// Bytes of the records still live: blocks, and the tails of the open block.
    live_bytes: u64,
    tail_bytes: u64,
    series_bytes: u64,
    series_values: u64,
    process_bytes: u64,
    process_entries: u64,
}

impl Writer {
    fn new() -> Self {
        Self {
            open: Block::new(1),
            flushed_rows: 0,
            logical_bytes: 0,
            live_bytes: 0,
            tail_bytes: 0,
            series_bytes: 0,
            series_values: 0,
            process_bytes: 0,
            process_entries: 0,
        }
    }

    /// Returns whether it committed.
    fn push(&mut self, engine: &mut dyn Engine, sample: &Sample) -> Result<bool> {
        self.open
            .begin_row(sample.timestamp_ms, sample.seq, sample.epoch, 1);
        for (key, value) in series::flatten(sample) {
            self.open.set(&key, 0, value);
        }
        self.open.end_row();
        self.open
            .processes
            .push_row(sample.top_processes.iter().map(|p| {
                (
                    p.pid,
                    p.name.clone(),
                    series::percent_to_int(p.cpu_percent),
                    p.memory_bytes,
                )
            }));
        if self.open.len() == BLOCK_ROWS {
            let bytes = frame::encode(&self.open.encode()?);
            let (series_bytes, process_bytes) = self.open.encoded_parts()?;
            self.series_bytes += series_bytes as u64;
            self.process_bytes += process_bytes as u64;
            self.series_values += self
                .open
                .columns
                .iter()
                .flatten()
                .filter(|&&v| v != MISSING)
                .count() as u64;
            self.process_entries += self.open.processes.len() as u64;
            self.logical_bytes += bytes.len() as u64 + 8;
            self.live_bytes += bytes.len() as u64 + 8;
            self.tail_bytes = 0;
            engine.put(Table::Blocks, self.open.times_ms[0], &bytes)?;
            engine.clear_tails()?;
            engine.commit()?;
            self.open = Block::new(1);
            self.flushed_rows = 0;
            return Ok(true);
        }
        if self.open.len() - self.flushed_rows == TAIL_ROWS {
            let tail = rows_from(&self.open, self.flushed_rows);
            let bytes = frame::encode(&tail.encode()?);
            self.logical_bytes += bytes.len() as u64 + 8;
            self.tail_bytes += bytes.len() as u64 + 8;
            engine.put(Table::Tails, sample.seq, &bytes)?;
            engine.commit()?;
            self.flushed_rows = self.open.len();
            return Ok(true);
        }
        Ok(false)
    }
}

/// The rows of `block` from `start` on, as a block of their own.
fn rows_from(block: &Block, start: usize) -> Block {
    let mut tail = Block::new(1);
    let mut entries = block.processes.rows().skip(start);
    for row in start..block.len() {
        tail.begin_row(block.times_ms[row], block.seqs[row], block.epochs[row], 1);
        for (index, key) in block.keys.iter().enumerate() {
            tail.set(key, 0, block.columns[index][row]);
        }
        tail.end_row();
        let list = entries.next().unwrap_or_default();
        tail.processes.push_row(
            list.into_iter()
                .map(|(pid, name, cpu, memory)| (pid, name.to_owned(), cpu, memory)),
        );
    }
    tail
}

/// Every seq the engine's records hold, in order.
fn seqs_in(engine: &mut dyn Engine) -> Result<Vec<u64>> {
    let mut seqs = Vec::new();
    for (_, value) in engine.read_all()? {
        // Every value carries its own checksum, whatever the engine.
        let Some(found) = frame::scan(&value).records.first().copied() else {
            continue;
        };
        let payload = &value[found.payload_offset..found.payload_offset + found.payload_len];
        if let Ok(block) = Block::decode(payload) {
            seqs.extend(block.seqs);
        }
    }
    seqs.sort_unstable();
    seqs.dedup();
    Ok(seqs)
}

fn load_samples(paths: &[PathBuf]) -> Result<Vec<Sample>> {
    #[derive(serde::Deserialize)]
    struct Body {
        samples: Vec<Sample>,
    }
    let mut by_seq = BTreeMap::new();
    for path in paths {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let body: Body = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a /api/v1/history answer", path.display()))?;
        for sample in body.samples {
            by_seq.insert(sample.seq, sample);
        }
    }
    if by_seq.len() < BLOCK_ROWS {
        bail!(
            "{} samples given; at least {BLOCK_ROWS} (one block) are needed",
            by_seq.len()
        );
    }
    Ok(by_seq.into_values().collect())
}

/// The real trace, looped: sample `i` of the history.
fn synthetic(trace: &[Sample], i: usize) -> Sample {
    let mut sample = trace[i % trace.len()].clone();
    sample.seq = i as u64;
    sample.epoch = 1;
    sample.timestamp_ms = 1_700_000_000_000 + 1000 * i as u64;
    sample
}

fn cpu_ticks() -> Result<u64> {
    let stat = fs::read_to_string("/proc/self/stat")?;
    let after = stat.rsplit_once(')').context("/proc/self/stat")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Ok(fields[11].parse::<u64>()? + fields[12].parse::<u64>()?)
}

fn disk_write_bytes() -> Result<u64> {
    let io = fs::read_to_string("/proc/self/io")?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .context("/proc/self/io has no write_bytes")?
        .trim()
        .parse()
        .context("write_bytes")
}

fn disk_usage(dir: &Path) -> Result<(u64, PathBuf)> {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut largest = (0, dir.to_owned());
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        for entry in fs::read_dir(&path)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.blocks() * 512;
                if meta.len() > largest.0 {
                    largest = (meta.len(), entry.path());
                }
            }
        }
    }
    Ok((total, largest.1))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.metadata()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Opens a damaged copy and counts the rows it still gives; a panic or an
/// error counts as nothing kept.
fn rows_after_damage(name: &str, dir: &Path, damage: impl Fn(&Path) -> Result<()>) -> String {
    let outcome = (|| -> Result<usize> {
        let (_, largest) = disk_usage(dir)?;
        damage(&largest)?;
        let name = name.to_owned();
        let dir = dir.to_owned();
        let counted = std::thread::Builder::new()
            .name("damaged-open".to_owned())
            .spawn(move || -> Result<usize> {
                let mut engine = open(&name, &dir)?;
                Ok(seqs_in(engine.as_mut())?.len())
            })?
            .join();
        match counted {
            Ok(result) => result,
            Err(_) => bail!("panicked"),
        }
    })();
    match outcome {
        Ok(rows) => rows.to_string(),
        Err(error) => format!("0 ({})", one_line(&error)),
    }
}

fn one_line(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    text.chars().take(60).collect()
}

struct Report {
    name: &'static str,
    cpu_us_per_sample: f64,
    space_amplification: f64,
    write_amplification: f64,
    bytes_after_half_deleted: f64,
    crash: String,
    truncated: String,
    flipped: String,
}

fn measure(
    name: &'static str,
    trace: &[Sample],
    rows: usize,
    work: &Path,
) -> Result<(Report, Writer)> {
    let dir = work.join(name);
    fs::create_dir_all(&dir)?;
    let ticks_before = cpu_ticks()?;
    let written_before = disk_write_bytes()?;
    let mut writer = Writer::new();
    {
        let mut engine = open(name, &dir)?;
        for i in 0..rows {
            writer.push(engine.as_mut(), &synthetic(trace, i))?;
        }
        engine.commit()?;
    }
    let ticks = cpu_ticks()? - ticks_before;
    let written = disk_write_bytes()? - written_before;
    let (on_disk, _) = disk_usage(&dir)?;
    let kept = {
        let mut engine = open(name, &dir)?;
        seqs_in(engine.as_mut())?.len()
    };
    if kept != rows {
        bail!("{name}: {kept} of {rows} rows read back");
    }

    // Damage copies, not the original.
    copy_dir(&dir, &work.join(format!("{name}-cut")))?;
    let truncated = rows_after_damage(name, &work.join(format!("{name}-cut")), |file| {
        let len = fs::metadata(file)?.len();
        fs::OpenOptions::new()
            .write(true)
            .open(file)?
            .set_len(len * 9 / 10)?;
        Ok(())
    });
    copy_dir(&dir, &work.join(format!("{name}-flip")))?;
    let flipped = rows_after_damage(name, &work.join(format!("{name}-flip")), |file| {
        let mut bytes = fs::read(file)?;
        let at = bytes.len() / 2;
        bytes[at] ^= 0x10;
        fs::write(file, bytes)?;
        Ok(())
    });

    // The oldest half deleted: does the disk get the space back?
    {
        let mut engine = open(name, &dir)?;
        let half = 1_700_000_000_000 + 1000 * (rows as u64 / 2);
        engine.delete_blocks_below(half)?;
    }
    let (after_delete, _) = disk_usage(&dir)?;

    let crash = crash_test(name, work)?;
    Ok((
        Report {
            name,
            cpu_us_per_sample: ticks as f64 * 10_000.0 / rows as f64,
            space_amplification: on_disk as f64 / (writer.live_bytes + writer.tail_bytes) as f64,
            write_amplification: written as f64 / writer.logical_bytes as f64,
            bytes_after_half_deleted: after_delete as f64 / on_disk as f64,
            crash,
            truncated,
            flipped,
        },
        writer,
    ))
}

/// Five kill -9s of a child writing as fast as it can; each time, did the
/// reopened engine keep every row the child had committed, and open at all?
fn crash_test(name: &str, work: &Path) -> Result<String> {
    let mut kept_all = 0;
    let mut lost_rows = 0_u64;
    for round in 0..5_u64 {
        let dir = work.join(format!("{name}-crash-{round}"));
        fs::create_dir_all(&dir)?;
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--crash-child", name])
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().context("child stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_millis(300 + 170 * round);
        let mut committed = None;
        while Instant::now() < deadline {
            match lines.next() {
                Some(line) => committed = Some(line?.trim().parse::<u64>()?),
                None => break,
            }
        }
        child.kill()?;
        child.wait()?;
        let mut engine = open(name, &dir)?;
        let seqs = seqs_in(engine.as_mut())?;
        let newest = seqs.last().copied();
        let contiguous = seqs.iter().enumerate().all(|(i, &s)| s == i as u64);
        if contiguous && newest >= committed {
            kept_all += 1;
        } else {
            lost_rows += committed.unwrap_or(0).saturating_sub(newest.unwrap_or(0));
        }
    }
    Ok(if kept_all == 5 {
        "5/5 reopened, no committed row lost".to_owned()
    } else {
        format!("{kept_all}/5 kept all; {lost_rows} committed rows lost")
    })
}

fn crash_child(name: &str, dir: &Path) -> Result<()> {
    let trace: Vec<Sample> = (0..BLOCK_ROWS as u64)
        .map(|seq| {
            let mut sample = series_test_sample();
            sample.cpu.total_percent = (seq % 100) as f32;
            sample
        })
        .collect();
    let mut engine = open(name, dir)?;
    let mut writer = Writer::new();
    let stdout = std::io::stdout();
    for i in 0.. {
        let sample = synthetic(&trace, i);
        if writer.push(engine.as_mut(), &sample)? {
            writeln!(stdout.lock(), "{}", sample.seq)?;
        }
    }
    Ok(())
}

fn series_test_sample() -> Sample {
    let mut sample = Sample::default();
    sample.cpu.per_core_percent = vec![1.0, 2.0];
    sample.memory.total_bytes = 8 << 30;
    sample
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--crash-child") {
        return crash_child(&args[1], Path::new(&args[2]));
    }
    let mut days = 1.0_f64;
    let mut paths = Vec::new();
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--days" {
            days = iter.next().context("--days needs a number")?.parse()?;
        } else {
            paths.push(PathBuf::from(arg));
        }
    }
    let trace = load_samples(&paths)?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rows = ((days * 86_400.0) as usize / BLOCK_ROWS).max(2) * BLOCK_ROWS;
    let work = tempfile::Builder::new()
        .prefix("hostpulse-engines")
        .tempdir_in("/var/tmp")?;
    println!(
        "{} real samples ({} series each, {} process entries on average), looped to {rows} rows",
        trace.len(),
        series::flatten(&trace[0]).len(),
        trace.iter().map(|s| s.top_processes.len()).sum::<usize>() / trace.len()
    );
    let mut reports = Vec::new();
    let mut codec = None;
    for name in ENGINES {
        let (report, writer) = measure(name, &trace, rows, work.path())?;
        codec.get_or_insert(writer);
        reports.push(report);
    }
    let Some(codec) = codec else {
        bail!("no engine ran")
    };
    let per_value = codec.series_bytes as f64 / codec.series_values as f64;
    println!(
        "codec: {per_value:.3} B per series value ({} values), {:.2} B per process entry ({} entries)",
        codec.series_values,
        codec.process_bytes as f64 / codec.process_entries as f64,
        codec.process_entries
    );
    println!(
        "| engine | B/value on disk | CPU µs/sample | space amp. | write amp. | size after deleting half | kill -9 ×5 | file cut to 90 % | 1 byte flipped |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &reports {
        println!(
            "| {} | {:.3} | {:.1} | {:.2} | {:.2} | {:.0} % | {} | {} rows of {rows} | {} rows of {rows} |",
            r.name,
            per_value * r.space_amplification,
            r.cpu_us_per_sample,
            r.space_amplification,
            r.write_amplification,
            r.bytes_after_half_deleted * 100.0,
            r.crash,
            r.truncated,
            r.flipped,
        );
    }
    Ok(())
}
