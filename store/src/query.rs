//! Range reads: a span of time and a most number of points per series. The
//! answer comes from the finest tier whose rows in the span are no more than
//! the points asked for; when even the hour tier has more, neighbouring hours
//! are merged (min of the mins, max of the maxes, mean weighted by samples).
//! Where no data exists the answer says so with a gap, never a zero.

use serde::Serialize;

use crate::block::Block;
use crate::read::View;
use crate::series::{self, MISSING, SeriesKey};
use crate::store::Store;
use crate::tier::Tier;

/// A range read was asked wrongly.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RangeError {
    /// `to` is before `from`.
    #[error("`to` ({to_ms}) is before `from` ({from_ms})")]
    Backwards {
        /// Start asked.
        from_ms: u64,
        /// End asked.
        to_ms: u64,
    },
    /// Zero points asked.
    #[error("`points` must be at least 1")]
    NoPoints,
}

/// One point of every series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Start of the point's span (the sample's time, for raw), Unix ms.
    pub time_ms: u64,
    /// Samples behind the point.
    pub samples: u32,
    /// Per series, in [`Range::series`] order; `None` where unknown.
    pub min: Vec<Option<f64>>,
    /// See `min`.
    pub mean: Vec<Option<f64>>,
    /// See `min`.
    pub max: Vec<Option<f64>>,
}

/// A stretch with no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// The last data before it (or the range's start), Unix ms.
    pub from_ms: u64,
    /// The first data after it (or the range's end), Unix ms.
    pub to_ms: u64,
}

/// The answer to a range read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Range {
    /// The tier the points come from.
    pub tier: Tier,
    /// Span of one point: the tier's bucket, widened when buckets were merged;
    /// the sampling interval for raw.
    pub step_ms: u64,
    /// The series, named as [`SeriesKey::id`] names them.
    pub series: Vec<String>,
    /// The points, oldest first.
    pub points: Vec<Point>,
    /// Stretches of the range without data.
    pub gaps: Vec<Gap>,
}

/// A range read, planned under the store's lock and run without it.
#[derive(Debug, Clone)]
pub struct RangePlan {
    tier: Tier,
    from_ms: u64,
    to_ms: u64,
    max_points: usize,
    native_step_ms: u64,
    view: View,
}

impl Store {
    /// The history between `from_ms` and `to_ms` (inclusive) in at most
    /// `max_points` points per series.
    pub fn range(&self, from_ms: u64, to_ms: u64, max_points: usize) -> Result<Range, RangeError> {
        Ok(self.plan_range(from_ms, to_ms, max_points)?.run())
    }

    /// What [`Store::range`] reads: the tier, and its blocks in the span.
    pub fn plan_range(
        &self,
        from_ms: u64,
        to_ms: u64,
        max_points: usize,
    ) -> Result<RangePlan, RangeError> {
        if to_ms < from_ms {
            return Err(RangeError::Backwards { from_ms, to_ms });
        }
        if max_points == 0 {
            return Err(RangeError::NoPoints);
        }
        let span_ms = to_ms - from_ms + 1;
        let interval_ms = self.config().interval_ms.max(1);
        let tier = Tier::ALL
            .into_iter()
            .find(|&tier| {
                let step = tier.bucket_ms().unwrap_or(interval_ms);
                let fits = span_ms.div_ceil(step) <= max_points as u64;
                // A tier that holds nothing as old as `from` is skipped unless
                // nothing coarser does either.
                let covers = self.oldest_ms(tier).is_some_and(|oldest| oldest <= from_ms)
                    || tier == Tier::Hour;
                fits && covers
            })
            .unwrap_or(Tier::Hour);
        Ok(RangePlan {
            tier,
            from_ms,
            to_ms,
            max_points,
            native_step_ms: tier.bucket_ms().unwrap_or(interval_ms),
            view: self.view(tier, from_ms, to_ms),
        })
    }
}

impl RangePlan {
    /// Reads and merges the points, decoding one block at a time: a year's
    /// read holds its answer and one block, not the year's rows.
    #[must_use]
    pub fn run(self) -> Range {
        let span_ms = self.to_ms - self.from_ms + 1;
        let native_step = self.native_step_ms;
        let merge = span_ms.div_ceil(self.max_points as u64).max(native_step);
        let step_ms = if merge > native_step {
            merge.div_ceil(native_step) * native_step
        } else {
            native_step
        };
        let mut points = Points::new(self.from_ms, step_ms, step_ms > native_step);
        let mut gaps = Gaps::new(self.from_ms, native_step);
        for block in self.view.into_blocks() {
            let columns = points.columns_of(&block.keys);
            for row in 0..block.len() {
                let time = block.times_ms[row];
                // Rows stay in time order: a row at or before the last one (a
                // duplicate, or a clock stepped back) is left out.
                if time < self.from_ms || time > self.to_ms || !gaps.see(time) {
                    continue;
                }
                points.add(&block, row, &columns);
            }
        }
        let (keys, points) = points.finish();
        Range {
            tier: self.tier,
            step_ms,
            series: keys.iter().map(SeriesKey::id).collect(),
            points,
            gaps: gaps.finish(self.to_ms),
        }
    }
}

/// The stretches without rows, found as the rows go past in time order.
struct Gaps {
    previous: Option<u64>,
    from_ms: u64,
    /// Half a step of slack on either side of the expected next row.
    late_ms: u64,
    found: Vec<Gap>,
}

impl Gaps {
    fn new(from_ms: u64, step_ms: u64) -> Self {
        Self {
            previous: None,
            from_ms,
            late_ms: step_ms + step_ms / 2,
            found: Vec::new(),
        }
    }

    /// Notes a row at `time`; false when it is not after the last one.
    fn see(&mut self, time: u64) -> bool {
        if self.previous.is_some_and(|previous| time <= previous) {
            return false;
        }
        let since = self.previous.unwrap_or(self.from_ms);
        if time.saturating_sub(since) > self.late_ms {
            self.found.push(Gap {
                from_ms: since,
                to_ms: time,
            });
        }
        self.previous = Some(time);
        true
    }

    fn finish(mut self, to_ms: u64) -> Vec<Gap> {
        let last = self.previous.unwrap_or(self.from_ms);
        if to_ms.saturating_sub(last) > self.late_ms {
            self.found.push(Gap {
                from_ms: last,
                to_ms,
            });
        }
        self.found
    }
}

/// One series' rows in the point being built, as stored integers.
#[derive(Debug, Clone, Copy)]
struct Merged {
    min: i64,
    max: i64,
    /// Means weighted by the samples behind them.
    weighted_sum: f64,
    weight: u64,
    /// The mean of the last row: the point's own when it has one row.
    mean: i64,
    rows: u32,
}

impl Merged {
    fn mean(&self) -> i64 {
        if self.rows == 1 {
            return self.mean;
        }
        #[allow(clippy::cast_possible_truncation)] // a mean of i64s fits an i64
        let mean = (self.weighted_sum / self.weight.max(1) as f64).round() as i64;
        mean
    }
}

/// The point being built: start, samples, per series.
type Building = (u64, u32, Vec<Option<Merged>>);

/// The points, built row by row: each row a point of its own, or rows merged
/// into points of `step_ms` from `from_ms` (min of the mins, max of the
/// maxes, the mean weighted by samples).
struct Points {
    from_ms: u64,
    step_ms: u64,
    merging: bool,
    keys: Vec<SeriesKey>,
    done: Vec<Point>,
    current: Option<Building>,
}

impl Points {
    fn new(from_ms: u64, step_ms: u64, merging: bool) -> Self {
        Self {
            from_ms,
            step_ms,
            merging,
            keys: Vec::new(),
            done: Vec::new(),
            current: None,
        }
    }

    /// The index of each of a block's keys among the answer's, adding the
    /// ones not seen before.
    fn columns_of(&mut self, block_keys: &[SeriesKey]) -> Vec<usize> {
        block_keys
            .iter()
            .map(|key| {
                self.keys.iter().position(|k| k == key).unwrap_or_else(|| {
                    self.keys.push(key.clone());
                    self.keys.len() - 1
                })
            })
            .collect()
    }

    /// Adds row `row` of `block`, whose key `i` is the answer's `columns[i]`.
    fn add(&mut self, block: &Block, row: usize, columns: &[usize]) {
        let time = block.times_ms[row];
        let start = if self.merging {
            self.from_ms + (time - self.from_ms) / self.step_ms * self.step_ms
        } else {
            time
        };
        if self.current.as_ref().is_some_and(|c| c.0 != start) {
            self.finish_current();
        }
        let keys = self.keys.len();
        let (_, samples, values) = self.current.get_or_insert_with(|| (start, 0, Vec::new()));
        values.resize(keys, None);
        let count = block.counts[row].max(1);
        *samples = samples.saturating_add(block.counts[row]);
        for (index, &column) in columns.iter().enumerate() {
            let value = |s: usize| block.columns[index * block.stats + s][row];
            let (min, mean, max) = if block.stats == 1 {
                (value(0), value(0), value(0))
            } else {
                (value(0), value(1), value(2))
            };
            if mean == MISSING {
                continue;
            }
            let merged = values[column].get_or_insert(Merged {
                min,
                max,
                weighted_sum: 0.0,
                weight: 0,
                mean,
                rows: 0,
            });
            merged.min = merged.min.min(min);
            merged.max = merged.max.max(max);
            merged.weighted_sum += mean as f64 * f64::from(count);
            merged.weight += u64::from(count);
            merged.mean = mean;
            merged.rows += 1;
        }
    }

    fn finish_current(&mut self) {
        let Some((time_ms, samples, values)) = self.current.take() else {
            return;
        };
        let keys = &self.keys;
        let stat = |pick: fn(&Merged) -> i64| -> Vec<Option<f64>> {
            values
                .iter()
                .zip(keys)
                .map(|(merged, key)| merged.as_ref().and_then(|m| series::unscaled(key, pick(m))))
                .collect()
        };
        self.done.push(Point {
            time_ms,
            samples,
            min: stat(|m| m.min),
            mean: stat(Merged::mean),
            max: stat(|m| m.max),
        });
    }

    /// The keys with a value in some point, and the points with only those:
    /// a series the blocks hold only outside the span is not in the answer.
    fn finish(mut self) -> (Vec<SeriesKey>, Vec<Point>) {
        self.finish_current();
        let keys = self.keys.len();
        let present: Vec<bool> = (0..keys)
            .map(|index| {
                self.done
                    .iter()
                    .any(|p| p.mean.get(index).is_some_and(Option::is_some))
            })
            .collect();
        for point in &mut self.done {
            for column in [&mut point.min, &mut point.mean, &mut point.max] {
                column.resize(keys, None);
                let mut index = 0;
                column.retain(|_| {
                    index += 1;
                    present[index - 1]
                });
            }
        }
        let keys = self
            .keys
            .into_iter()
            .zip(&present)
            .filter_map(|(key, &kept)| kept.then_some(key))
            .collect();
        (keys, self.done)
    }
}

impl Range {
    /// The answer as it goes on the wire (see [`hostpulse_shared::range`]);
    /// raw points carry only `mean`, their value.
    #[must_use]
    pub fn into_wire(self, id: u32, from_ms: u64, to_ms: u64) -> hostpulse_shared::HistoryRange {
        use hostpulse_shared::{HistoryRange, RangeGap, RangePoint};
        let raw = self.tier == Tier::Raw;
        HistoryRange {
            id,
            tier: self.tier.wire(),
            step_ms: self.step_ms,
            from_ms,
            to_ms,
            series: self.series,
            points: self
                .points
                .into_iter()
                .map(|p| RangePoint {
                    time_ms: p.time_ms,
                    samples: p.samples,
                    mean: p.mean,
                    min: if raw { Vec::new() } else { p.min },
                    max: if raw { Vec::new() } else { p.max },
                })
                .collect(),
            gaps: self
                .gaps
                .into_iter()
                .map(|g| RangeGap {
                    from_ms: g.from_ms,
                    to_ms: g.to_ms,
                })
                .collect(),
        }
    }
}
