//! One answer to a `history_range` request, kept as the plots read it: a
//! column of times and, per series the dashboard draws, columns of min, mean
//! and max in `f32` (finer than a pixel or a hover label shows). Series it
//! never draws (totals since boot, sizes, uptime) are not kept.
//!
//! A point of an aggregated tier stands for its whole span, `time_ms` to
//! `time_ms + step_ms`: every value in it lay between its min and max. So it
//! is read back as a [`Bucket`] with that span, and two points are joined only
//! when one's span ends where the next one's begins, with no gap the server
//! named between them. A raw point is one sample.

use std::cell::Cell;

use hostpulse_shared::{HistoryRange, RangeTier};

use super::plan::RangeWant;
use crate::history::decimate::Columns;

/// What a plot draws for one span of time: the lowest, mean and highest
/// value in it (all equal for a raw sample).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Start of the span (Unix ms).
    pub start_ms: u64,
    /// End of the span (Unix ms); the start for a raw sample.
    pub end_ms: u64,
    /// Lowest value.
    pub min: f32,
    /// Mean value (weighted by samples).
    pub mean: f32,
    /// Highest value.
    pub max: f32,
}

impl Bucket {
    /// The middle of the span, where the mean is drawn.
    #[must_use]
    pub fn middle_ms(&self) -> u64 {
        self.start_ms + (self.end_ms - self.start_ms) / 2
    }
}

/// The values of one series, one per point; NaN where unknown. `min` and
/// `max` are empty for the raw tier (they equal `mean`).
#[derive(Debug, Clone, Default)]
struct SeriesValues {
    mean: Vec<f32>,
    min: Vec<f32>,
    max: Vec<f32>,
}

/// A range read from a server's disk, as kept in a host's cache.
#[derive(Debug)]
pub struct FetchedRange {
    /// What was asked: the cache finds answers by it.
    pub want: RangeWant,
    /// The tier the points come from.
    pub tier: RangeTier,
    /// The span of one point (ms); the sampling interval for raw.
    pub step_ms: u64,
    times_ms: Vec<u64>,
    names: Vec<String>,
    values: Vec<SeriesValues>,
    /// Stretches without data, as `(last data before, first data after)`.
    gaps: Vec<(u64, u64)>,
    /// When the range was last drawn, on its cache's clock.
    pub(super) last_used: Cell<u64>,
    /// Whether it has been drawn serving a whole window yet.
    shown_whole: Cell<bool>,
}

impl FetchedRange {
    /// The answer `range` to the request `want`, keeping the series the
    /// dashboard draws.
    #[must_use]
    pub fn new(want: RangeWant, range: &HistoryRange) -> Self {
        let kept: Vec<usize> = (0..range.series.len())
            .filter(|&index| drawn(&range.series[index]))
            .collect();
        let aggregated = range.tier != RangeTier::Raw;
        let mut values: Vec<SeriesValues> = vec![SeriesValues::default(); kept.len()];
        for column in &mut values {
            column.mean.reserve_exact(range.points.len());
            if aggregated {
                column.min.reserve_exact(range.points.len());
                column.max.reserve_exact(range.points.len());
            }
        }
        for point in &range.points {
            for (column, &index) in values.iter_mut().zip(&kept) {
                let mean = value(&point.mean, index);
                column.mean.push(mean);
                if aggregated {
                    // A server that left them out means they equal the mean.
                    let or_mean = |list: &[Option<f64>]| {
                        if list.is_empty() {
                            mean
                        } else {
                            value(list, index)
                        }
                    };
                    column.min.push(or_mean(&point.min));
                    column.max.push(or_mean(&point.max));
                }
            }
        }
        Self {
            want,
            tier: range.tier,
            step_ms: range.step_ms.max(1),
            times_ms: range.points.iter().map(|p| p.time_ms).collect(),
            names: kept.iter().map(|&i| range.series[i].clone()).collect(),
            values,
            gaps: range.gaps.iter().map(|g| (g.from_ms, g.to_ms)).collect(),
            last_used: Cell::new(0),
            shown_whole: Cell::new(false),
        }
    }

    /// True the first time it is called, then false: whether this draw,
    /// serving a whole window, is the range's first.
    pub fn first_whole_draw(&self) -> bool {
        !self.shown_whole.replace(true)
    }

    /// Whether points stand for spans of samples (min, mean, max), not for
    /// single samples.
    #[must_use]
    pub fn is_aggregated(&self) -> bool {
        self.tier != RangeTier::Raw
    }

    /// The series kept, named as the server names them.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The index of the series called `name`.
    #[must_use]
    pub fn series(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Number of points.
    #[must_use]
    pub fn len(&self) -> usize {
        self.times_ms.len()
    }

    /// True when the server had no data in the span.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.times_ms.is_empty()
    }

    /// When the first point starts, if any (Unix ms).
    #[must_use]
    pub fn first_ms(&self) -> Option<u64> {
        self.times_ms.first().copied()
    }

    /// Where the first data in the span is, when the span asked starts
    /// before it: the server had nothing older (Unix ms).
    #[must_use]
    pub fn data_starts_ms(&self) -> Option<u64> {
        match self.gaps.first() {
            Some(&(from, to)) if from == self.want.from_ms && self.first_ms() == Some(to) => {
                Some(to)
            }
            _ => None,
        }
    }

    /// The mean of series `series` at `at_ms`: the point whose span holds it
    /// (a raw sample: the last at most three steps before it); `None` where
    /// the range knows no value there.
    #[must_use]
    pub fn mean_at(&self, series: usize, at_ms: u64) -> Option<f32> {
        let index = self
            .times_ms
            .partition_point(|&t| t <= at_ms)
            .checked_sub(1)?;
        let reach_ms = if self.is_aggregated() {
            self.step_ms
        } else {
            self.step_ms.saturating_mul(3)
        };
        if at_ms - self.times_ms[index] >= reach_ms {
            return None;
        }
        let value = *self.values.get(series)?.mean.get(index)?;
        (!value.is_nan()).then_some(value)
    }

    /// Point `index` of series `series`.
    #[must_use]
    pub fn bucket(&self, series: usize, index: usize) -> Option<Bucket> {
        let column = self.values.get(series)?;
        let start_ms = *self.times_ms.get(index)?;
        let mean = column.mean[index];
        let (min, max) = if self.is_aggregated() {
            (column.min[index], column.max[index])
        } else {
            (mean, mean)
        };
        Some(Bucket {
            start_ms,
            end_ms: if self.is_aggregated() {
                start_ms + self.step_ms
            } else {
                start_ms
            },
            min,
            mean,
            max,
        })
    }

    /// The indices of the points whose span reaches into `start_ms..=end_ms`
    /// and starts before `until_ms` (where the live history takes over),
    /// plus one before, so a line runs on to the left edge.
    #[must_use]
    pub fn indices(&self, start_ms: u64, end_ms: u64, until_ms: u64) -> std::ops::Range<usize> {
        let reach = if self.is_aggregated() {
            self.step_ms
        } else {
            0
        };
        let first = self
            .times_ms
            .partition_point(|&t| t.saturating_add(reach) < start_ms)
            .saturating_sub(1);
        let last = self
            .times_ms
            .partition_point(|&t| t <= end_ms && t < until_ms);
        first..last.max(first)
    }

    /// Series `series` from `start_ms` to `end_ms`, before `until_ms`, as
    /// runs of buckets a line may join: a run ends at an unknown value, at a
    /// gap the server named, and where a bucket does not start where the one
    /// before ended (or, raw, more than `max_raw_step_ms` after it).
    #[must_use]
    pub fn runs(
        &self,
        series: usize,
        start_ms: u64,
        end_ms: u64,
        until_ms: u64,
        max_raw_step_ms: u64,
    ) -> Vec<Vec<Bucket>> {
        let mut runs: Vec<Vec<Bucket>> = Vec::new();
        let mut current: Vec<Bucket> = Vec::new();
        let mut gaps = self.gaps.iter().peekable();
        for index in self.indices(start_ms, end_ms, until_ms) {
            let Some(bucket) = self.bucket(series, index) else {
                break;
            };
            let joined = current.last().is_some_and(|previous| {
                while gaps.next_if(|g| g.1 <= previous.start_ms).is_some() {}
                let named_gap = gaps
                    .peek()
                    .is_some_and(|g| g.0 < bucket.start_ms && g.1 > previous.start_ms);
                let next_in_time = if self.is_aggregated() {
                    bucket.start_ms <= previous.end_ms
                } else {
                    bucket.start_ms.saturating_sub(previous.start_ms)
                        <= max_raw_step_ms.max(self.step_ms)
                };
                next_in_time && !named_gap
            });
            if (!joined || bucket.mean.is_nan()) && !current.is_empty() {
                runs.push(std::mem::take(&mut current));
            }
            if !bucket.mean.is_nan() {
                current.push(bucket);
            }
        }
        if !current.is_empty() {
            runs.push(current);
        }
        runs
    }

    /// The highest value of series `series` in each of `columns`, for the
    /// points before `until_ms`; NaN where none falls. A bucket fills every
    /// column its span touches.
    #[must_use]
    pub fn column_max(&self, series: usize, columns: Columns, until_ms: u64) -> Vec<f32> {
        let mut cells = vec![f32::NAN; columns.count.max(1)];
        for index in self.indices(columns.start_ms, columns.end_ms, until_ms) {
            let Some(bucket) = self.bucket(series, index) else {
                break;
            };
            if bucket.end_ms < columns.start_ms || bucket.max.is_nan() {
                continue;
            }
            let last_ms = if bucket.end_ms > bucket.start_ms {
                bucket.end_ms - 1
            } else {
                bucket.end_ms
            };
            let (first, last) = (columns.index(bucket.start_ms), columns.index(last_ms));
            for cell in &mut cells[first..=last] {
                // `f32::max` ignores NaN on either side.
                *cell = cell.max(bucket.max);
            }
        }
        cells
    }

    /// Bytes held on the heap.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let values: usize = self
            .values
            .iter()
            .map(|v| (v.mean.capacity() + v.min.capacity() + v.max.capacity()) * size_of::<f32>())
            .sum();
        let names: usize = self.names.iter().map(String::capacity).sum();
        self.times_ms.capacity() * size_of::<u64>()
            + values
            + self.values.capacity() * size_of::<SeriesValues>()
            + names
            + self.names.capacity() * size_of::<String>()
            + self.gaps.capacity() * size_of::<(u64, u64)>()
    }
}

/// Whether the dashboard draws or exports the series called `name`: rates,
/// percentages (the total's `cpu.total_percent` and each core's
/// `cpu.core.N.percent`, which the heat strip draws), load, memory and swap
/// in use, temperatures. Not the totals since boot, sizes, space left, uptime
/// or the process count.
fn drawn(name: &str) -> bool {
    name.ends_with("_percent")
        || name.ends_with(".percent")
        || name.ends_with("_bytes_per_sec")
        || name.ends_with(".celsius")
        || name.starts_with("load.")
        || name == "memory.used_bytes"
        || name == "memory.swap_used_bytes"
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "plots draw in f32, far finer than a pixel"
)]
fn value(list: &[Option<f64>], index: usize) -> f32 {
    list.get(index)
        .copied()
        .flatten()
        .map_or(f32::NAN, |v| v as f32)
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "values copied, not computed")]
mod tests {
    use hostpulse_shared::{RangeGap, RangePoint};

    use super::*;

    const MINUTE_MS: u64 = 60_000;
    const T0: u64 = 1_760_000_000_000 / MINUTE_MS * MINUTE_MS;

    /// Minutes 0–9 and 20–29 of CPU (a spike to 97 in minute 5) with the
    /// totals the dashboard does not keep, and a gap between.
    fn minutes() -> HistoryRange {
        let point = |minute: u64| {
            let spike = minute == 5;
            RangePoint {
                time_ms: T0 + minute * MINUTE_MS,
                samples: 60,
                mean: vec![Some(10.0 + minute as f64), Some(1e9), None],
                min: vec![Some(5.0), Some(1e9), None],
                max: vec![Some(if spike { 97.0 } else { 20.0 }), Some(1e9), None],
            }
        };
        HistoryRange {
            id: 7,
            tier: RangeTier::Minute,
            step_ms: MINUTE_MS,
            from_ms: T0,
            to_ms: T0 + 30 * MINUTE_MS,
            series: vec![
                "cpu.total_percent".into(),
                "network.eth0.rx_bytes_total".into(),
                "cpu.core.0.percent".into(),
            ],
            points: (0..10).chain(20..30).map(point).collect(),
            gaps: vec![RangeGap {
                from_ms: T0 + 9 * MINUTE_MS,
                to_ms: T0 + 20 * MINUTE_MS,
            }],
        }
    }

    fn want() -> RangeWant {
        RangeWant {
            from_ms: T0,
            to_ms: T0 + 30 * MINUTE_MS,
            column_ms: MINUTE_MS,
        }
    }

    #[test]
    fn keeps_what_is_drawn_and_breaks_at_gaps_and_unknowns() {
        let range = FetchedRange::new(want(), &minutes());
        assert_eq!(range.names(), ["cpu.total_percent", "cpu.core.0.percent"]);
        assert!(range.is_aggregated());
        let cpu = range.series("cpu.total_percent").unwrap();
        let runs = range.runs(cpu, T0, T0 + 30 * MINUTE_MS, u64::MAX, 2500);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0].len(), 10);
        assert_eq!(runs[0][5].max, 97.0, "the spike is kept");
        assert_eq!(runs[0][5].end_ms - runs[0][5].start_ms, MINUTE_MS);
        assert_eq!(runs[1][0].start_ms, T0 + 20 * MINUTE_MS);
        // A series with no value anywhere draws nothing.
        let core = range.series("cpu.core.0.percent").unwrap();
        assert!(
            range
                .runs(core, T0, T0 + 30 * MINUTE_MS, u64::MAX, 2500)
                .is_empty()
        );
        // Before `until` only, where the live history takes over.
        let early = range.runs(cpu, T0, T0 + 30 * MINUTE_MS, T0 + 3 * MINUTE_MS, 2500);
        assert_eq!(early.concat().len(), 3);
    }

    #[test]
    fn a_missing_bucket_breaks_the_run_even_without_a_named_gap() {
        let mut answer = minutes();
        answer.points.remove(3);
        let range = FetchedRange::new(want(), &answer);
        let runs = range.runs(0, T0, T0 + 30 * MINUTE_MS, u64::MAX, 2500);
        assert_eq!(runs.len(), 3, "{runs:?}");
    }

    #[test]
    fn column_maxima_cover_each_bucket_span() {
        let range = FetchedRange::new(want(), &minutes());
        let columns = Columns {
            start_ms: T0,
            end_ms: T0 + 30 * MINUTE_MS,
            count: 60,
        };
        let cells = range.column_max(0, columns, u64::MAX);
        assert_eq!(
            (cells[10], cells[11]),
            (97.0, 97.0),
            "minute 5 spans two cells"
        );
        assert_eq!(cells[12], 20.0);
        assert!(
            cells[20].is_nan() && cells[39].is_nan(),
            "the gap has no cell"
        );
        assert_eq!(cells[40], 20.0);
        assert_eq!(range.data_starts_ms(), None, "data from the first minute");
    }

    #[test]
    fn a_range_starting_before_the_data_says_where_it_starts() {
        let mut answer = minutes();
        answer.from_ms = T0 - 60 * MINUTE_MS;
        answer.gaps.insert(
            0,
            RangeGap {
                from_ms: T0 - 60 * MINUTE_MS,
                to_ms: T0,
            },
        );
        let range = FetchedRange::new(
            RangeWant {
                from_ms: T0 - 60 * MINUTE_MS,
                ..want()
            },
            &answer,
        );
        assert_eq!(range.data_starts_ms(), Some(T0));
        assert!(range.heap_bytes() >= 20 * (8 + 2 * 3 * 4));
    }

    #[test]
    fn only_the_first_whole_draw_is_the_first() {
        let range = FetchedRange::new(want(), &minutes());
        assert!(range.first_whole_draw());
        assert!(!range.first_whole_draw());
    }
}
