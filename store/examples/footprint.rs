//! What the history costs on disk for real samples: the samples a real
//! server kept (its store, read while it is stopped) are replayed in a loop,
//! with fresh seqs and times one second apart, into a fresh store for
//! `--days` of history; then the raw tier is weighed whole — every byte of
//! its files, time, seq, epoch, framing, keys and the journal included —
//! against the values it holds (every value of every series of every sample;
//! a rate not known yet is not counted), with the top processes' columns
//! counted apart (as pco packs them; the journal's few rows are packed
//! plainly on disk).
//!
//! ```text
//! hostpulse-server --data-dir /tmp/real &   # let it sample a while, then stop it
//! cargo build --workspace --all-features --examples
//! target/debug/examples/footprint --from /tmp/real/history --days 1 --out /tmp/footprint
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hostpulse_store::block::Block;
use hostpulse_store::segment::{Kind, Segment};
use hostpulse_store::series::MISSING;
use hostpulse_store::{Store, StoreConfig, Tier};

fn main() -> Result<()> {
    let mut from = None;
    let mut out = None;
    let mut days = 1.0_f64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--from" => from = Some(PathBuf::from(args.next().context("--from DIR")?)),
            "--out" => out = Some(PathBuf::from(args.next().context("--out DIR")?)),
            "--days" => days = args.next().context("--days DAYS")?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    let from = from.context("--from DIR (a store a real server wrote) is needed")?;
    let out = out.context("--out DIR is needed")?;
    if out.exists() {
        bail!("{} exists: give a new directory", out.display());
    }
    let real = {
        let (store, _) = Store::open(StoreConfig::new(&from))?;
        store.raw_samples(0, u64::MAX)
    };
    if real.is_empty() {
        bail!("{} holds no raw samples", from.display());
    }
    let series = real
        .iter()
        .map(|s| hostpulse_store::series::flatten(s).len());
    println!(
        "{} real samples, {:.1} series each on average",
        real.len(),
        series.sum::<usize>() as f64 / real.len() as f64
    );
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let count = (days * 86_400.0) as u64;
    let start_ms = 1_800_000_000_000;
    {
        let (mut store, _) = Store::open(StoreConfig::new(&out))?;
        for i in 0..count {
            let mut sample = real[usize::try_from(i)? % real.len()].clone();
            sample.epoch = 1;
            sample.seq = i;
            sample.timestamp_ms = start_ms + i * 1000;
            store.push(&sample);
            if i % 5 == 4 {
                store.flush();
            }
        }
        store.close(None);
    }
    let raw = weigh(&out.join(Tier::Raw.name()))?;
    println!(
        "raw tier: {} bytes on disk for {} samples, {} values and {} process entries",
        raw.bytes, raw.rows, raw.values, raw.process_entries
    );
    println!(
        "  per stored value, everything but the process columns: {:.3} B",
        (raw.bytes - raw.process_bytes) as f64 / raw.values as f64
    );
    println!(
        "  per process entry (pid, name, CPU, memory): {:.2} B",
        raw.process_bytes as f64 / raw.process_entries.max(1) as f64
    );
    for tier in [Tier::Minute, Tier::Hour] {
        println!(
            "{} tier: {} bytes",
            tier.name(),
            weigh(&out.join(tier.name()))?.bytes
        );
    }
    Ok(())
}

#[derive(Default)]
struct Weight {
    bytes: u64,
    rows: u64,
    values: u64,
    process_bytes: u64,
    process_entries: u64,
}

/// Every file of a tier's folder, and what its blocks hold.
fn weigh(dir: &Path) -> Result<Weight> {
    let mut weight = Weight::default();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        weight.bytes += std::fs::metadata(&path)?.len();
        let kind = if path.extension().is_some_and(|x| x == "seg") {
            Kind::Segment {
                start_ms: 0,
                end_ms: u64::MAX,
            }
        } else if path.ends_with("open.journal") {
            Kind::Journal
        } else {
            continue;
        };
        let (segment, _) = Segment::open(&path, kind, 0)?;
        for entry in segment.entries() {
            let block: Block = segment.read(entry)?;
            let (_, process_bytes) = block.encoded_parts()?;
            weight.rows += block.len() as u64;
            weight.values += block
                .columns
                .iter()
                .map(|column| column.iter().filter(|&&v| v != MISSING).count() as u64)
                .sum::<u64>();
            weight.process_bytes += process_bytes as u64;
            weight.process_entries += block.processes.len() as u64;
        }
    }
    Ok(weight)
}
