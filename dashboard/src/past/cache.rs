//! The ranges fetched for one host, least recently drawn first out: at most
//! [`MAX_RANGES`] of them and [`MAX_BYTES`] together (ARCHITECTURE.md,
//! invariant 7). A year of a typical host at 1,600 points is about 0.5 MB, a
//! 64-CPU host's about 2 MB, so the cap holds several views to go back to
//! while keeping a host's fetched history under what its live day takes.

use std::cell::Cell;

use super::plan::{Need, RangeWant};
use super::range::FetchedRange;

/// The most ranges kept per host.
pub const MAX_RANGES: usize = 8;
/// The most bytes the ranges of one host may hold together (16 MiB).
pub const MAX_BYTES: usize = 16 << 20;

/// Fetched ranges of one host, with the order they were last drawn in.
#[derive(Debug, Default)]
pub struct RangeCache {
    ranges: Vec<FetchedRange>,
    /// Counts draws, to order the ranges by their last.
    clock: Cell<u64>,
}

impl RangeCache {
    /// Keeps `range` as the most recently used, dropping the least recently
    /// drawn others until the caps hold (the new one always stays).
    pub fn insert(&mut self, range: FetchedRange) {
        self.ranges.retain(|r| r.want != range.want);
        self.touch(&range);
        self.ranges.push(range);
        while self.ranges.len() > 1
            && (self.ranges.len() > MAX_RANGES || self.heap_bytes() > MAX_BYTES)
        {
            let newest = self.ranges.len() - 1;
            let Some(oldest) = (0..newest).min_by_key(|&i| self.ranges[i].last_used.get()) else {
                break;
            };
            self.ranges.remove(oldest);
        }
    }

    /// The range to draw `need` from, and whether it serves it fully: one
    /// that does if any (the finest), else the one covering most of it, to
    /// show while a better one loads. Marks it drawn.
    #[must_use]
    pub fn best_for(&self, need: &Need) -> Option<(&FetchedRange, bool)> {
        let serving = self
            .ranges
            .iter()
            .filter(|r| r.want.serves(need))
            .min_by_key(|r| r.want.column_ms);
        let found = serving.map(|r| (r, true)).or_else(|| {
            self.ranges
                .iter()
                .filter(|r| r.want.overlap_ms(need) > 0)
                .max_by_key(|r| (r.want.overlap_ms(need), std::cmp::Reverse(r.want.column_ms)))
                .map(|r| (r, false))
        });
        if let Some((range, _)) = found {
            self.touch(range);
        }
        found
    }

    /// Whether a range kept answers `want` exactly.
    #[must_use]
    pub fn holds(&self, want: &RangeWant) -> bool {
        self.ranges.iter().any(|r| r.want == *want)
    }

    /// The range drawn last that reaches into `start_ms..end_ms`.
    #[must_use]
    pub fn latest_over(&self, start_ms: u64, end_ms: u64) -> Option<&FetchedRange> {
        self.ranges
            .iter()
            .filter(|r| r.want.from_ms < end_ms && r.want.to_ms > start_ms)
            .max_by_key(|r| r.last_used.get())
    }

    /// Number of ranges kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// True when none is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Bytes the kept ranges hold on the heap.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.ranges
            .iter()
            .map(FetchedRange::heap_bytes)
            .sum::<usize>()
            + self.ranges.capacity() * size_of::<FetchedRange>()
    }

    /// Forgets every range (the host's address changed).
    pub fn clear(&mut self) {
        self.ranges.clear();
    }

    fn touch(&self, range: &FetchedRange) {
        let now = self.clock.get() + 1;
        self.clock.set(now);
        range.last_used.set(now);
    }
}

#[cfg(test)]
mod tests {
    use hostpulse_shared::{HistoryRange, RangePoint, RangeTier};

    use super::*;

    const HOUR_MS: u64 = 3_600_000;

    /// A range of `points` hourly points of `series` series, starting at hour `at`.
    fn range(at: u64, points: u64, series: usize) -> FetchedRange {
        let want = RangeWant {
            from_ms: at * HOUR_MS,
            to_ms: (at + points) * HOUR_MS,
            column_ms: HOUR_MS,
        };
        let answer = HistoryRange {
            id: 1,
            tier: RangeTier::Hour,
            step_ms: HOUR_MS,
            from_ms: want.from_ms,
            to_ms: want.to_ms,
            series: (0..series)
                .map(|n| format!("cpu.core.{n}.percent"))
                .collect(),
            points: (0..points)
                .map(|n| RangePoint {
                    time_ms: (at + n) * HOUR_MS,
                    samples: 3600,
                    mean: vec![Some(1.0); series],
                    min: vec![Some(0.0); series],
                    max: vec![Some(2.0); series],
                })
                .collect(),
            gaps: Vec::new(),
        };
        FetchedRange::new(want, &answer)
    }

    fn need(at: u64, hours: u64) -> Need {
        Need {
            start_ms: at * HOUR_MS,
            end_ms: (at + hours) * HOUR_MS,
            column_ms: HOUR_MS,
        }
    }

    #[test]
    fn the_least_recently_drawn_goes_first_and_the_count_cap_holds() {
        let mut cache = RangeCache::default();
        for n in 0..MAX_RANGES as u64 {
            cache.insert(range(n * 100, 10, 4));
        }
        // Range 0 is drawn again, so range 1 is now the least recently drawn.
        assert!(cache.best_for(&need(2, 5)).is_some_and(|(_, full)| full));
        cache.insert(range(10_000, 10, 4));
        assert_eq!(cache.len(), MAX_RANGES);
        assert!(cache.best_for(&need(2, 5)).is_some(), "kept: drawn lately");
        assert!(
            cache.best_for(&need(102, 5)).is_none(),
            "dropped: drawn longest ago"
        );
    }

    #[test]
    fn the_byte_cap_holds_but_the_newest_range_always_stays() {
        let mut cache = RangeCache::default();
        // 1,600 points of 200 series: about 3.8 MB each.
        for n in 0..6 {
            cache.insert(range(n * 10_000, 1600, 200));
            assert!(
                cache.heap_bytes() <= MAX_BYTES,
                "{} bytes",
                cache.heap_bytes()
            );
        }
        assert!(cache.len() < 6 && !cache.is_empty(), "{}", cache.len());
        assert!(
            cache.best_for(&need(50_000, 100)).is_some(),
            "the newest stays"
        );
        // One range over the cap on its own is still kept: it is being drawn.
        cache.insert(range(90_000, 10_000, 200));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_partial_range_is_offered_while_a_better_one_loads() {
        let mut cache = RangeCache::default();
        cache.insert(range(0, 24, 2));
        let (_, full) = cache.best_for(&need(12, 24)).unwrap();
        assert!(!full, "half of it only");
        assert!(cache.best_for(&need(100, 24)).is_none());
        assert!(cache.holds(&range(0, 24, 2).want));
    }
}
