//! The store on real files: restarts clean and unclean, damage, retention,
//! the size cap, tier choice, a full disk.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::fs;
use std::path::Path;

use hostpulse_shared::Sample;
use hostpulse_store::synthetic::{Generator, HostShape, fill};
use hostpulse_store::{Store, StoreConfig, Tier};
use proptest::prelude::*;

const T0: u64 = 1_800_000_000_000; // aligned to the hour and the day

fn config(dir: &Path) -> StoreConfig {
    StoreConfig::new(dir)
}

fn samples(count: u64, start_ms: u64) -> Vec<Sample> {
    let mut generator = Generator::new(HostShape::TYPICAL, 9);
    (0..count)
        .map(|i| generator.sample(start_ms + i * 1000, 1.0))
        .collect()
}

fn seqs(samples: &[Sample]) -> Vec<u64> {
    samples.iter().map(|s| s.seq).collect()
}

#[test]
fn a_clean_close_keeps_every_sample_and_says_it_was_clean() {
    let dir = tempfile::tempdir().unwrap();
    let written = samples(2000, T0);
    {
        let (mut store, recovered) = Store::open(config(dir.path())).unwrap();
        assert_eq!(recovered.newest, None);
        for sample in &written {
            store.push(sample);
        }
        store.close(None);
    }
    let (store, recovered) = Store::open(config(dir.path())).unwrap();
    assert!(recovered.clean);
    let last = written.last().unwrap();
    assert_eq!(
        recovered.newest,
        Some((last.epoch, last.seq, last.timestamp_ms))
    );
    let read = store.raw_samples(0, u64::MAX);
    assert_eq!(seqs(&read), seqs(&written));
    // At the stored resolution, a sample reads back as it was written.
    assert_eq!(read[1234], written[1234]);
    let resumed = store.samples(last.epoch, 1991..2091);
    assert_eq!(seqs(&resumed), (1991..2000).collect::<Vec<_>>());
    assert!(
        store.samples(last.epoch + 1, 0..100).is_empty(),
        "another epoch"
    );
}

#[test]
fn a_crash_loses_only_what_came_after_the_last_flush_and_is_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    let written = samples(1000, T0);
    {
        let (mut store, _) = Store::open(config(dir.path())).unwrap();
        for sample in &written[..950] {
            store.push(sample);
        }
        store.flush();
        for sample in &written[950..] {
            store.push(sample);
        }
        // Dropped without close(): what a kill -9 leaves.
    }
    let (store, recovered) = Store::open(config(dir.path())).unwrap();
    assert!(!recovered.clean);
    assert_eq!(recovered.newest.map(|n| n.1), Some(949));
    assert_eq!(
        seqs(&store.raw_samples(0, u64::MAX)),
        (0..950).collect::<Vec<_>>()
    );
}

#[test]
fn a_second_opener_is_refused_naming_the_directory_and_the_pid() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, _) = Store::open(config(dir.path())).unwrap();
    let error = Store::open(config(dir.path())).unwrap_err().to_string();
    assert!(error.contains(&dir.path().display().to_string()), "{error}");
    assert!(error.contains(&std::process::id().to_string()), "{error}");
}

#[test]
fn a_file_that_is_not_ours_is_moved_aside_and_the_rest_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let written = samples(4000, T0);
    {
        let (mut store, _) = Store::open(config(dir.path())).unwrap();
        for sample in &written {
            store.push(sample);
        }
        store.close(None);
    }
    let stranger = dir.path().join("raw").join("1700000000000.seg");
    fs::write(&stranger, b"not a history file at all").unwrap();
    let (store, recovered) = Store::open(config(dir.path())).unwrap();
    assert_eq!(recovered.moved_aside.len(), 1);
    assert!(!stranger.exists());
    assert!(recovered.moved_aside[0].1.exists(), "moved, not deleted");
    assert_eq!(store.raw_samples(0, u64::MAX).len(), written.len());
}

fn damaged_copy(source: &Path, target: &Path) {
    fs::create_dir_all(target).unwrap();
    for entry in fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let to = target.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            damaged_copy(&entry.path(), &to);
        } else if entry.file_name() != "lock" {
            fs::copy(entry.path(), to).unwrap();
        }
    }
}

fn store_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = Tier::ALL
        .iter()
        .flat_map(|tier| fs::read_dir(dir.join(tier.name())).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| fs::metadata(p).unwrap().len() > 8)
        .collect();
    files.sort();
    files
}

/// One store, written once, that every damage case copies: four closed raw
/// blocks, an open one in the journal, minute rows.
fn pristine() -> &'static (tempfile::TempDir, Vec<Sample>) {
    static PRISTINE: std::sync::OnceLock<(tempfile::TempDir, Vec<Sample>)> =
        std::sync::OnceLock::new();
    PRISTINE.get_or_init(|| {
        let source = tempfile::tempdir().unwrap();
        let written = samples(3700, T0);
        let (mut store, _) = Store::open(config(source.path())).unwrap();
        for sample in &written {
            store.push(sample);
        }
        store.flush();
        (source, written)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn truncation_or_a_flipped_byte_keeps_everything_before_the_damage(
        file_pick in 0_usize..100,
        at in 0.0_f64..1.0,
        flip in any::<bool>(),
    ) {
        let (source, written) = pristine();
        let copy = tempfile::tempdir().unwrap();
        damaged_copy(source.path(), copy.path());
        let files = store_files(copy.path());
        let victim = &files[file_pick % files.len()];
        let mut bytes = fs::read(victim).unwrap();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let offset = ((bytes.len() - 1) as f64 * at) as usize;
        if flip {
            bytes[offset] ^= 0x40;
        } else {
            bytes.truncate(offset);
        }
        fs::write(victim, &bytes).unwrap();

        // What must survive: every block of every other file, and the blocks
        // of the damaged file that end before the damage.
        let (original, _) = hostpulse_store::segment::Segment::open(
            &source.path().join(victim.strip_prefix(copy.path()).unwrap()),
            if victim.ends_with("open.journal") {
                hostpulse_store::segment::Kind::Journal
            } else {
                hostpulse_store::segment::Kind::Segment { start_ms: 0, end_ms: u64::MAX }
            },
            0,
        ).unwrap();
        let lost: Vec<(u64, u64)> = original
            .entries()
            .iter()
            .filter(|e| e.offset + e.len as u64 > offset as u64)
            .map(|e| (e.meta.first_ms, e.meta.last_ms))
            .collect();
        drop(original);

        let (store, _) = Store::open(config(copy.path())).unwrap();
        let served = seqs(&store.raw_samples(0, u64::MAX));
        let raw_damaged = victim.starts_with(copy.path().join("raw"));
        for sample in written {
            let in_lost = raw_damaged
                && lost.iter().any(|(from, to)| (*from..=*to).contains(&sample.timestamp_ms));
            if !in_lost {
                prop_assert!(served.contains(&sample.seq), "seq {} missing", sample.seq);
            }
        }
    }
}

#[test]
fn the_range_picks_the_finest_tier_that_fits_and_its_min_mean_max_match_the_raw_data() {
    let dir = tempfile::tempdir().unwrap();
    let written = samples(3 * 3600, T0);
    let (mut store, _) = Store::open(config(dir.path())).unwrap();
    for sample in &written {
        store.push(sample);
    }
    let to = T0 + 3 * 3_600_000 - 1;

    let raw = store.range(T0, T0 + 99_999, 100).unwrap();
    assert_eq!(raw.tier, Tier::Raw);
    assert_eq!(raw.points.len(), 100);

    let minutes = store.range(T0, to, 200).unwrap();
    assert_eq!(minutes.tier, Tier::Minute);
    assert_eq!(minutes.points.len(), 180);
    let cpu = minutes
        .series
        .iter()
        .position(|s| s == "cpu.total_percent")
        .unwrap();
    for (minute, point) in minutes.points.iter().enumerate() {
        let values: Vec<f64> = written[minute * 60..(minute + 1) * 60]
            .iter()
            .map(|s| (f64::from(s.cpu.total_percent) * 10.0).round() / 10.0)
            .collect();
        let min = values.iter().copied().fold(f64::MAX, f64::min);
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        let mean = values.iter().sum::<f64>() / 60.0;
        assert_eq!(point.samples, 60);
        assert!(
            (point.min[cpu].unwrap() - min).abs() < 1e-9,
            "minute {minute}"
        );
        assert!(
            (point.max[cpu].unwrap() - max).abs() < 1e-9,
            "minute {minute}"
        );
        assert!(
            (point.mean[cpu].unwrap() - mean).abs() <= 0.05,
            "minute {minute}"
        );
    }

    // On the wire, minute points carry all three; raw points only their value.
    let wire = minutes.clone().into_wire(7, T0, to);
    assert_eq!((wire.id, wire.points.len()), (7, 180));
    assert_eq!(wire.points[3].max[cpu], minutes.points[3].max[cpu]);
    let wire_raw = raw.clone().into_wire(0, T0, T0 + 99_999);
    assert!(wire_raw.points[0].min.is_empty() && !wire_raw.points[0].mean.is_empty());

    let hours = store.range(T0, to, 3).unwrap();
    assert_eq!(hours.tier, Tier::Hour);
    assert_eq!(hours.points.len(), 3);
    let merged = store.range(T0, to, 1).unwrap();
    assert_eq!(merged.points.len(), 1);
    let all_max = written
        .iter()
        .map(|s| (f64::from(s.cpu.total_percent) * 10.0).round() / 10.0)
        .fold(f64::MIN, f64::max);
    assert!((merged.points[0].max[cpu].unwrap() - all_max).abs() < 1e-9);
    assert_eq!(merged.points[0].samples, 3 * 3600);
}

#[test]
fn time_without_samples_is_reported_as_a_gap_not_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::open(config(dir.path())).unwrap();
    let mut generator = Generator::new(HostShape::TYPICAL, 3);
    for second in (0..600).chain(900..1200) {
        store.push(&generator.sample(T0 + second * 1000, 1.0));
    }
    let range = store.range(T0, T0 + 1_199_000, 2000).unwrap();
    assert_eq!(range.tier, Tier::Raw);
    assert_eq!(range.points.len(), 900);
    assert_eq!(range.gaps.len(), 1);
    assert_eq!(
        (range.gaps[0].from_ms, range.gaps[0].to_ms),
        (T0 + 599_000, T0 + 900_000)
    );
}

#[test]
fn retention_and_the_size_cap_hold_over_a_synthetic_year() {
    let dir = tempfile::tempdir().unwrap();
    let day = 86_400_000;
    let mut config = config(dir.path());
    config.raw_retention_ms = day / 4;
    config.minute_retention_ms = 10 * day;
    config.hour_retention_ms = 200 * day;
    let end = T0 + 400 * day;
    {
        let (mut store, _) = Store::open(config.clone()).unwrap();
        fill(
            &mut store,
            HostShape::TYPICAL,
            400.0,
            end,
            1_800_000,
            |_| {},
        );
        let oldest = |tier| end - store.oldest_ms(tier).unwrap();
        assert!(oldest(Tier::Raw) <= day / 4 + Tier::Raw.segment_ms(), "raw");
        assert!(
            oldest(Tier::Minute) <= 10 * day + Tier::Minute.segment_ms(),
            "minute"
        );
        assert!(
            oldest(Tier::Hour) <= 200 * day + Tier::Hour.segment_ms(),
            "hour"
        );
        assert!(
            oldest(Tier::Hour) >= 200 * day - Tier::Hour.segment_ms(),
            "hour kept"
        );
        store.close(None);
    }
    // Now a cap below what that takes: the finest tier gives way first.
    let before = dir_bytes(dir.path());
    config.max_bytes = before * 3 / 4;
    let (mut store, _) = Store::open(config.clone()).unwrap();
    let hour_oldest = store.oldest_ms(Tier::Hour);
    let mut generator = Generator::new(HostShape::TYPICAL, 5);
    for second in 0..3600 {
        store.push(&generator.sample(end + 1000 + second * 1000, 1.0));
    }
    store.flush();
    assert!(store.bytes_on_disk() <= config.max_bytes);
    assert!(dir_bytes(dir.path()) <= config.max_bytes + 4096);
    // Hours go only once the finer tiers are down to their newest segment.
    if store.oldest_ms(Tier::Hour) != hour_oldest {
        for tier in [Tier::Raw, Tier::Minute] {
            let segments = fs::read_dir(dir.path().join(tier.name()))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "seg")
                })
                .count();
            assert!(
                segments <= 1,
                "{} still has {segments} segments",
                tier.name()
            );
        }
    }
    assert!(
        store.oldest_ms(Tier::Hour).is_some(),
        "the coarsest history is kept"
    );
}

fn dir_bytes(dir: &Path) -> u64 {
    Tier::ALL
        .iter()
        .flat_map(|tier| fs::read_dir(dir.join(tier.name())).unwrap())
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

#[test]
fn a_full_disk_stops_writing_without_blocking_and_writing_resumes_when_space_returns() {
    let mount = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "hostpulse-test"])
        .arg(mount.path())
        .status();
    assert!(
        mounted.is_ok_and(|s| s.success()),
        "this test mounts a 1 MiB tmpfs: run it as root (or with CAP_SYS_ADMIN)"
    );
    let result = std::panic::catch_unwind(|| {
        let dir = mount.path().join("history");
        let (mut store, _) = Store::open(config(&dir)).unwrap();
        let mut generator = Generator::new(HostShape::TYPICAL, 4);
        let mut time = T0;
        let mut push = |store: &mut Store, count: u64| {
            for _ in 0..count {
                store.push(&generator.sample(time, 1.0));
                time += 1000;
            }
            store.flush();
        };
        push(&mut store, 20);
        assert!(store.status().writable);
        // Fill the disk.
        let ballast = mount.path().join("ballast");
        let _ = fs::write(&ballast, vec![0_u8; 2 << 20]);
        push(&mut store, 20);
        assert!(!store.status().writable, "a full disk is reported");
        fs::remove_file(&ballast).unwrap();
        push(&mut store, 20);
        assert!(store.status().writable, "writing resumes");
        store.close(None);
        drop(store);
        let (store, recovered) = Store::open(config(&dir)).unwrap();
        assert!(recovered.repairs.is_empty(), "{:?}", recovered.repairs);
        assert_eq!(
            seqs(&store.raw_samples(0, u64::MAX)),
            (0..60).collect::<Vec<_>>()
        );
    });
    let _ = std::process::Command::new("umount")
        .arg(mount.path())
        .status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
