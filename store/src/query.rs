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
    /// Reads and merges the points.
    #[must_use]
    pub fn run(self) -> Range {
        let Self {
            tier,
            from_ms,
            to_ms,
            max_points,
            native_step_ms: native_step,
            view,
        } = self;
        let span_ms = to_ms - from_ms + 1;
        let blocks = view.blocks();
        let keys = keys_of(&blocks);
        let rows = rows_in(&blocks, &keys, from_ms, to_ms);
        let (keys, rows) = only_present(keys, rows);
        let gaps = gaps_of(&rows, from_ms, to_ms, native_step);
        let merge = span_ms.div_ceil(max_points as u64).max(native_step);
        let step_ms = if merge > native_step {
            merge.div_ceil(native_step) * native_step
        } else {
            native_step
        };
        let points = merge_rows(rows, &keys, from_ms, step_ms, step_ms > native_step);
        Range {
            tier,
            step_ms,
            series: keys.iter().map(SeriesKey::id).collect(),
            points,
            gaps,
        }
    }
}

/// The keys with a value in some row, and the rows with only those: a series
/// the blocks hold only outside the span is not part of the answer.
fn only_present(keys: Vec<SeriesKey>, mut rows: Vec<Row>) -> (Vec<SeriesKey>, Vec<Row>) {
    let present: Vec<bool> = (0..keys.len())
        .map(|index| rows.iter().any(|row| row.2[index].is_some()))
        .collect();
    for row in &mut rows {
        let mut index = 0;
        row.2.retain(|_| {
            index += 1;
            present[index - 1]
        });
    }
    let keys = keys
        .into_iter()
        .zip(&present)
        .filter_map(|(key, &kept)| kept.then_some(key))
        .collect();
    (keys, rows)
}

/// The keys of `blocks`, in first-seen order.
fn keys_of(blocks: &[Block]) -> Vec<SeriesKey> {
    let mut keys: Vec<SeriesKey> = Vec::new();
    for block in blocks {
        for key in &block.keys {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
    }
    keys
}

/// A row, as (time, samples, per key (min, mean, max)), integers as stored.
type Row = (u64, u32, Vec<Option<(i64, i64, i64)>>);

fn rows_in(blocks: &[Block], keys: &[SeriesKey], from_ms: u64, to_ms: u64) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for block in blocks {
        let columns: Vec<Option<usize>> = keys
            .iter()
            .map(|key| block.keys.iter().position(|k| k == key))
            .collect();
        for row in 0..block.len() {
            let time = block.times_ms[row];
            if time < from_ms || time > to_ms {
                continue;
            }
            let values = columns
                .iter()
                .map(|column| {
                    let index = (*column)?;
                    let stat = |s: usize| block.columns[index * block.stats + s][row];
                    let (min, mean, max) = if block.stats == 1 {
                        (stat(0), stat(0), stat(0))
                    } else {
                        (stat(0), stat(1), stat(2))
                    };
                    (mean != MISSING).then_some((min, mean, max))
                })
                .collect();
            rows.push((time, block.counts[row], values));
        }
    }
    rows.sort_by_key(|r| r.0);
    rows.dedup_by_key(|r| r.0);
    rows
}

fn gaps_of(rows: &[Row], from_ms: u64, to_ms: u64, step_ms: u64) -> Vec<Gap> {
    // Half a step of slack on either side of the expected next row.
    let late = step_ms + step_ms / 2;
    let mut gaps = Vec::new();
    let mut previous = None::<u64>;
    for (time, _, _) in rows {
        let since = previous.unwrap_or(from_ms);
        if time.saturating_sub(since) > late {
            gaps.push(Gap {
                from_ms: since,
                to_ms: *time,
            });
        }
        previous = Some(*time);
    }
    let last = previous.unwrap_or(from_ms);
    if to_ms.saturating_sub(last) > late {
        gaps.push(Gap {
            from_ms: last,
            to_ms,
        });
    }
    gaps
}

/// A point being merged: start, samples, per key (min, weighted sum of
/// means, max, weight).
type Merging = (u64, u32, Vec<Option<(i64, f64, i64, u64)>>);

fn merge_rows(
    rows: Vec<Row>,
    keys: &[SeriesKey],
    from_ms: u64,
    step_ms: u64,
    merging: bool,
) -> Vec<Point> {
    let unscale = |key: &SeriesKey, value: i64| series::unscaled(key, value);
    let point_of = |time_ms: u64, samples: u32, values: &[Option<(i64, i64, i64)>]| Point {
        time_ms,
        samples,
        min: keys
            .iter()
            .zip(values)
            .map(|(k, v)| v.and_then(|v| unscale(k, v.0)))
            .collect(),
        mean: keys
            .iter()
            .zip(values)
            .map(|(k, v)| v.and_then(|v| unscale(k, v.1)))
            .collect(),
        max: keys
            .iter()
            .zip(values)
            .map(|(k, v)| v.and_then(|v| unscale(k, v.2)))
            .collect(),
    };
    if !merging {
        return rows.iter().map(|(t, n, v)| point_of(*t, *n, v)).collect();
    }
    let mut points = Vec::new();
    let mut current: Option<Merging> = None;
    let finish = |(start, samples, values): Merging| {
        #[allow(clippy::cast_possible_truncation)] // a mean of i64s fits an i64
        let values: Vec<Option<(i64, i64, i64)>> = values
            .into_iter()
            .map(|v| v.map(|(min, sum, max, n)| (min, (sum / n.max(1) as f64).round() as i64, max)))
            .collect();
        point_of(start, samples, &values)
    };
    for (time, samples, values) in rows {
        let start = from_ms + (time - from_ms) / step_ms * step_ms;
        if current.as_ref().is_some_and(|c| c.0 != start)
            && let Some(done) = current.take()
        {
            points.push(finish(done));
        }
        let entry = current.get_or_insert_with(|| (start, 0, vec![None; keys.len()]));
        entry.1 = entry.1.saturating_add(samples);
        let weight = u64::from(samples.max(1));
        for (slot, value) in entry.2.iter_mut().zip(values) {
            let Some((min, mean, max)) = value else {
                continue;
            };
            let merged = slot.get_or_insert((min, 0.0, max, 0));
            merged.0 = merged.0.min(min);
            merged.2 = merged.2.max(max);
            merged.1 += mean as f64 * weight as f64;
            merged.3 += weight;
        }
    }
    if let Some(done) = current.take() {
        points.push(finish(done));
    }
    points
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
