//! What the plots read from a history: one metric cut down to the lowest and
//! highest value per pixel column, the heat strip's cells, and the runs of
//! samples a line may join. Kept apart from the storage in `history.rs`.

use std::ops::Range;

use super::decimate::{Columns, MaxCells, MinMax};
use super::{HostHistory, Metric};

impl HostHistory {
    /// The rows from the last one before `start_ms` to the first one after
    /// `end_ms`, so lines run on to the plot's edges.
    pub(super) fn rows_around(&self, start_ms: u64, end_ms: u64) -> Range<usize> {
        let first = self.timestamps_ms.partition_point(|&ts| ts < start_ms);
        let last = self.timestamps_ms.partition_point(|&ts| ts <= end_ms);
        first.saturating_sub(1)..(last + 1).min(self.len())
    }

    /// `metric` between `columns.start_ms` and `columns.end_ms`, cut down to
    /// the lowest and highest value per column (see `decimate::min_max`),
    /// NaN marking breaks: unknown values, and samples more than `max_step_ms`
    /// apart.
    ///
    /// The same points as `min_max` over every sample, found faster: a column
    /// with nothing unknown and no break inside is searched as stored (one
    /// comparison a sample, nothing decoded but its two extremes); only the
    /// others are walked sample by sample.
    #[must_use]
    pub fn decimated(&self, metric: Metric, columns: Columns, max_step_ms: u64) -> Vec<(u64, f32)> {
        let Some(column) = self.column(metric) else {
            return Vec::new();
        };
        let rows = self.rows_around(columns.start_ms, columns.end_ms);
        let first_inside = self.row_at(columns.start_ms, &rows);
        let bounds = self.column_bounds(columns, first_inside, self.row_at(columns.end_ms, &rows));
        let mut lines = MinMax::new(columns, max_step_ms);
        let beyond = |lines: &mut MinMax, rows: Range<usize>| {
            for row in rows {
                lines.point(self.timestamps_ms[row], column.get(row), None);
            }
        };
        beyond(&mut lines, rows.start..first_inside);
        for (index, pair) in bounds.windows(2).enumerate() {
            let inside = pair[0]..pair[1];
            if inside.is_empty() {
                continue;
            }
            let extremes = self
                .has_no_break(inside.clone(), max_step_ms)
                .then(|| column.extremes(inside.clone()))
                .flatten();
            if let Some(((min_row, min), (max_row, max))) = extremes {
                lines.whole_column(
                    index,
                    self.timestamps_ms[inside.start],
                    self.timestamps_ms[inside.end - 1],
                    (self.timestamps_ms[min_row], min),
                    (self.timestamps_ms[max_row], max),
                );
            } else {
                for row in inside {
                    lines.point(self.timestamps_ms[row], column.get(row), Some(index));
                }
            }
        }
        beyond(&mut lines, bounds[bounds.len() - 1]..rows.end);
        lines.finish()
    }

    /// The highest value of each CPU in each column, one row per CPU: the heat
    /// strip's cells, NaN where a cell has no sample (see
    /// `decimate::column_max`, which this matches: a sample beyond either
    /// edge counts in the first or last column, and a sample fills the empty
    /// columns before it, up to `max_step_ms` back).
    #[must_use]
    pub fn core_strip(&self, columns: Columns, max_step_ms: u64) -> Vec<Vec<f32>> {
        let rows = self.rows_around(columns.start_ms, columns.end_ms);
        let bounds = self.column_bounds(columns, rows.start, rows.end);
        self.cpu_cores
            .iter()
            .map(|column| {
                let mut cells = MaxCells::new(columns, max_step_ms);
                for (index, pair) in bounds.windows(2).enumerate() {
                    let inside = pair[0]..pair[1];
                    if !inside.is_empty() {
                        cells.add(
                            index,
                            (self.timestamps_ms[inside.start], column.get(inside.start)),
                            self.timestamps_ms[inside.end - 1],
                            column.max_known(inside),
                        );
                    }
                }
                cells.finish()
            })
            .collect()
    }

    /// The first row of `rows` taken at or after `at_ms`.
    fn row_at(&self, at_ms: u64, rows: &Range<usize>) -> usize {
        self.timestamps_ms
            .partition_point(|&ts| ts < at_ms)
            .clamp(rows.start, rows.end)
    }

    /// Where each of `columns` starts among the rows `first..last`, and
    /// `last`: column `i` holds the rows `bounds[i]..bounds[i + 1]`.
    fn column_bounds(&self, columns: Columns, first: usize, last: usize) -> Vec<usize> {
        let count = columns.count.max(1);
        let mut bounds = Vec::with_capacity(count + 1);
        bounds.push(first);
        for index in 1..count {
            bounds.push(self.row_at(columns.start_of(index), &(first..last)));
        }
        bounds.push(last);
        bounds
    }

    /// Whether no two consecutive samples in `rows` are more than
    /// `max_step_ms` apart.
    fn has_no_break(&self, rows: Range<usize>, max_step_ms: u64) -> bool {
        let mut times = self.timestamps_ms.range(rows);
        let Some(&first) = times.next() else {
            return true;
        };
        times
            .try_fold(first, |previous, &ts| {
                (ts.saturating_sub(previous) <= max_step_ms).then_some(ts)
            })
            .is_some()
    }
}

/// Splits `points` into runs to draw as separate lines: a run ends at an unknown
/// value, or where consecutive samples are more than `max_step_ms` apart (the
/// viewer was disconnected, or the server was down). A gap is never bridged.
pub fn segments(
    points: impl Iterator<Item = (u64, f32)>,
    max_step_ms: u64,
) -> Vec<Vec<(u64, f32)>> {
    let mut runs: Vec<Vec<(u64, f32)>> = Vec::new();
    let mut current: Vec<(u64, f32)> = Vec::new();
    for (ts, value) in points {
        let breaks = value.is_nan()
            || current
                .last()
                .is_some_and(|&(previous, _)| ts.saturating_sub(previous) > max_step_ms);
        if breaks && !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
        if !value.is_nan() {
            current.push((ts, value));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}
