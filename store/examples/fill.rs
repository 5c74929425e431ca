//! Fills a store with synthetic history of any age, quickly, then measures
//! it: size per tier, time to open, and range reads.
//!
//! ```text
//! cargo run --release -p hostpulse-store --example fill -- \
//!     --days 730 --dir /tmp/history [--large] [--max-mib 256] [--old-step-secs 10] [--keep] [--reuse]
//! ```
//!
//! `--days` of history ending now are written (a sample per second for the
//! raw tier's 7 days, one per `--old-step-secs` before); `--large` makes the 64-CPU host
//! instead of the typical one. Then the store is reopened (time to open
//! printed) and 7-day and 1-year reads at 1,600 points are timed, 20 each
//! (p50 and p95 printed). `--reuse` skips the filling and measures the store
//! already in `--dir`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use hostpulse_store::synthetic::{HostShape, fill};
use hostpulse_store::{Store, StoreConfig, Tier};

fn main() -> Result<()> {
    let mut days = 730.0_f64;
    let mut dir = None;
    let mut shape = HostShape::TYPICAL;
    let mut max_mib = 256_u64;
    let mut keep = false;
    let mut old_step_secs = 10_u64;
    let mut reuse = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--days" => days = args.next().context("--days DAYS")?.parse()?,
            "--dir" => dir = Some(PathBuf::from(args.next().context("--dir DIR")?)),
            "--large" => shape = HostShape::LARGE,
            "--max-mib" => max_mib = args.next().context("--max-mib MIB")?.parse()?,
            "--keep" => keep = true,
            "--reuse" => {
                reuse = true;
                keep = true;
            }
            "--old-step-secs" => {
                old_step_secs = args.next().context("--old-step-secs S")?.parse()?;
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let dir = dir.context("--dir DIR is needed")?;
    let mut config = StoreConfig::new(&dir);
    config.max_bytes = max_mib << 20;
    let end_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis(),
    )?;
    let started = Instant::now();
    if !reuse {
        let (mut store, _) = Store::open(config.clone())?;
        fill(
            &mut store,
            shape,
            days,
            end_ms,
            old_step_secs * 1000,
            |_| {},
        );
        store.close(None);
        println!(
            "filled {days} days of a {}-CPU host in {:.1} s",
            shape.cpus,
            started.elapsed().as_secs_f64()
        );
    }
    for tier in Tier::ALL {
        let bytes: u64 = std::fs::read_dir(dir.join(tier.name()))?
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        println!(
            "  {:>6}: {:>8.2} MiB",
            tier.name(),
            bytes as f64 / f64::from(1 << 20)
        );
    }
    let opened = Instant::now();
    let (store, _) = Store::open(config)?;
    let open_ms = opened.elapsed().as_secs_f64() * 1000.0;
    println!(
        "total {:.2} MiB; reopened in {open_ms:.1} ms",
        store.bytes_on_disk() as f64 / f64::from(1 << 20)
    );
    for (label, span_days) in [("7 days", 7_u64), ("1 year", 365)] {
        let from = end_ms - span_days * 86_400_000;
        let mut times: Vec<f64> = Vec::new();
        let mut tier = Tier::Raw;
        let mut points = 0;
        for _ in 0..20 {
            let asked = Instant::now();
            let range = store.range(from, end_ms, 1600)?;
            times.push(asked.elapsed().as_secs_f64() * 1000.0);
            tier = range.tier;
            points = range.points.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {label} at 1,600 points: {} tier, {points} points, p50 {:.1} ms, p95 {:.1} ms",
            tier.name(),
            times[9],
            times[18]
        );
    }
    drop(store);
    if !keep {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
