//! Fewer points than samples, for drawing: a plot a thousand pixels wide cannot
//! show more than a thousand columns, so a day of samples is cut down to the
//! smallest and largest value of each pixel column. Peaks survive (a one-second
//! spike is still drawn at full height), gaps survive (an unknown value or a
//! jump in time breaks the line), and drawing a day costs about what drawing
//! five minutes does.

/// Time cut into equal columns, one per pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// Left edge of the first column (Unix ms).
    pub start_ms: u64,
    /// Right edge of the last column (Unix ms).
    pub end_ms: u64,
    /// How many columns; at least one is used.
    pub count: usize,
}

impl Columns {
    /// The column `timestamp_ms` falls in; times outside land in the first or
    /// last one.
    #[must_use]
    pub fn index(&self, timestamp_ms: u64) -> usize {
        let count = self.count.max(1);
        let span = self.end_ms.saturating_sub(self.start_ms);
        if span == 0 || timestamp_ms <= self.start_ms {
            return 0;
        }
        let offset = u128::from(timestamp_ms - self.start_ms);
        let index = offset * count as u128 / u128::from(span);
        usize::try_from(index).map_or(count - 1, |i| i.min(count - 1))
    }

    /// The first instant of column `index` (Unix ms): the left edge of the
    /// first column it does not fall before.
    #[must_use]
    pub fn start_of(&self, index: usize) -> u64 {
        let span = u128::from(self.end_ms.saturating_sub(self.start_ms));
        let count = self.count.max(1) as u128;
        // Smallest t with floor((t - start) * count / span) >= index.
        let offset = (index as u128 * span).div_ceil(count);
        self.start_ms
            .saturating_add(u64::try_from(offset).unwrap_or(u64::MAX))
    }
}

/// Walks columns left to right as time moves forward, without a division per
/// sample, for the references that walk every sample.
#[cfg(test)]
struct ColumnCursor {
    columns: Columns,
    index: usize,
    /// Where the next column starts (Unix ms).
    next_start_ms: u64,
}

#[cfg(test)]
impl ColumnCursor {
    fn new(columns: Columns) -> Self {
        Self {
            columns,
            index: 0,
            next_start_ms: columns.start_of(1),
        }
    }

    /// The column of `timestamp_ms`, which must not be earlier than the last.
    fn column(&mut self, timestamp_ms: u64) -> usize {
        let last = self.columns.count.max(1) - 1;
        if self.index < last && timestamp_ms >= self.next_start_ms {
            self.index = self.columns.index(timestamp_ms);
            self.next_start_ms = self.columns.start_of(self.index + 1);
        }
        self.index
    }
}

/// The lowest and highest value of each column, in time order, from `points`
/// (oldest first). A NaN value in the output marks a break in the line: where
/// the input had an unknown value, or where consecutive samples are more than
/// `max_step_ms` apart.
///
/// The reference that walks every sample: `HostHistory::decimated` gives the
/// same points through [`MinMax`], and is tested against this.
#[cfg(test)]
#[must_use]
pub fn min_max(
    points: impl Iterator<Item = (u64, f32)>,
    columns: Columns,
    max_step_ms: u64,
) -> Vec<(u64, f32)> {
    let mut lines = MinMax::new(columns, max_step_ms);
    let mut cursor = ColumnCursor::new(columns);
    for (timestamp_ms, value) in points {
        let inside = (columns.start_ms..columns.end_ms).contains(&timestamp_ms);
        lines.point(
            timestamp_ms,
            value,
            inside.then(|| cursor.column(timestamp_ms)),
        );
    }
    lines.finish()
}

/// `min_max` one step at a time, for a caller that can find a whole
/// column's extremes without walking its samples one by one (see
/// `HostHistory::decimated`): the output is the same either way.
#[derive(Debug)]
pub struct MinMax {
    out: Vec<(u64, f32)>,
    current: Option<Extremes>,
    previous_ms: Option<u64>,
    max_step_ms: u64,
}

impl MinMax {
    /// Nothing taken in yet.
    #[must_use]
    pub fn new(columns: Columns, max_step_ms: u64) -> Self {
        Self {
            out: Vec::with_capacity(2 * columns.count + 8),
            current: None,
            previous_ms: None,
            max_step_ms,
        }
    }

    /// Takes in one sample (NaN: unknown), in `column`, or `None` beyond
    /// either edge: such a sample (kept so the line reaches the edge) is drawn
    /// as it is, so it neither stands in for the extremes inside nor hides
    /// another beyond the same edge.
    pub fn point(&mut self, timestamp_ms: u64, value: f32, column: Option<usize>) {
        if self.breaks_before(timestamp_ms, value.is_nan()) {
            return;
        }
        match (column, &mut self.current) {
            (None, _) => {
                self.flush();
                self.out.push((timestamp_ms, value));
            }
            (Some(column), Some(extremes)) if extremes.column == column => {
                extremes.add(timestamp_ms, value);
            }
            (Some(column), _) => {
                self.flush();
                self.current = Some(Extremes::new(column, timestamp_ms, value));
            }
        }
    }

    /// Takes in all the samples of `column` at once: taken from `first_ms` to
    /// `last_ms`, none unknown, none more than `max_step_ms` after the one
    /// before, with these extremes (the first of equal values).
    pub fn whole_column(
        &mut self,
        column: usize,
        first_ms: u64,
        last_ms: u64,
        min: (u64, f32),
        max: (u64, f32),
    ) {
        self.breaks_before(first_ms, false);
        self.previous_ms = Some(last_ms);
        self.flush();
        self.current = Some(Extremes { column, min, max });
    }

    /// The points, two per column at most, NaN marking breaks.
    #[must_use]
    pub fn finish(mut self) -> Vec<(u64, f32)> {
        self.flush();
        self.out
    }

    /// Ends the line before a sample that is unknown or too long after the
    /// one before; true when the sample is unknown (nothing to draw).
    fn breaks_before(&mut self, timestamp_ms: u64, unknown: bool) -> bool {
        let jumped = self
            .previous_ms
            .is_some_and(|p| timestamp_ms.saturating_sub(p) > self.max_step_ms);
        self.previous_ms = Some(timestamp_ms);
        if unknown || jumped {
            self.flush();
            if self.out.last().is_some_and(|(_, v)| !v.is_nan()) {
                self.out.push((timestamp_ms, f32::NAN));
            }
        }
        unknown
    }

    fn flush(&mut self) {
        if let Some(done) = self.current.take() {
            done.write(&mut self.out);
        }
    }
}

/// The highest value in each column: one row of a heat strip. When columns
/// are narrower than the time between samples, a sample also fills the empty
/// columns before it (it measured that whole interval), up to `max_step_ms`
/// back; beyond that, or with no sample at all, a column is NaN.
///
/// The reference that walks every sample: `HostHistory::core_strip` gives
/// the same cells a column at a time, and is tested against this.
#[cfg(test)]
#[must_use]
pub fn column_max(
    points: impl Iterator<Item = (u64, f32)>,
    columns: Columns,
    max_step_ms: u64,
) -> Vec<f32> {
    let mut cells = MaxCells::new(columns, max_step_ms);
    let mut cursor = ColumnCursor::new(columns);
    for (timestamp_ms, value) in points {
        let column = cursor.column(timestamp_ms);
        cells.add(column, (timestamp_ms, value), timestamp_ms, value);
    }
    cells.finish()
}

/// `column_max` a column (or a sample) at a time, which `HostHistory::core_strip`
/// feeds a column at a time.
#[derive(Debug)]
pub struct MaxCells {
    cells: Vec<f32>,
    /// When the last sample taken in was, and its column.
    previous: Option<(u64, usize)>,
    max_step_ms: u64,
}

impl MaxCells {
    /// Every cell NaN.
    #[must_use]
    pub fn new(columns: Columns, max_step_ms: u64) -> Self {
        Self {
            cells: vec![f32::NAN; columns.count.max(1)],
            previous: None,
            max_step_ms,
        }
    }

    /// Takes in samples of `column`, in time order after those taken in
    /// before: the first `(timestamp_ms, value)`, when the last was taken,
    /// and the highest known value among them (NaN: none known).
    pub fn add(&mut self, column: usize, first: (u64, f32), last_ms: u64, max: f32) {
        // `f32::max` ignores NaN on either side.
        self.cells[column] = self.cells[column].max(max);
        let (first_ms, first_value) = first;
        if let Some((previous_ms, previous_column)) = self.previous
            && first_ms.saturating_sub(previous_ms) <= self.max_step_ms
            && !first_value.is_nan()
        {
            for cell in &mut self.cells[(previous_column + 1).min(column)..column] {
                if cell.is_nan() {
                    *cell = first_value;
                }
            }
        }
        self.previous = Some((last_ms, column));
    }

    /// The cells, one per column.
    #[must_use]
    pub fn finish(self) -> Vec<f32> {
        self.cells
    }
}

/// The extremes of one column so far.
#[derive(Debug, Clone, Copy)]
struct Extremes {
    column: usize,
    min: (u64, f32),
    max: (u64, f32),
}

impl Extremes {
    fn new(column: usize, timestamp_ms: u64, value: f32) -> Self {
        Self {
            column,
            min: (timestamp_ms, value),
            max: (timestamp_ms, value),
        }
    }

    fn add(&mut self, timestamp_ms: u64, value: f32) {
        if value < self.min.1 {
            self.min = (timestamp_ms, value);
        }
        if value > self.max.1 {
            self.max = (timestamp_ms, value);
        }
    }

    /// Both extremes, in the order they happened (one point when they are one).
    fn write(self, out: &mut Vec<(u64, f32)>) {
        let (first, second) = if self.min.0 <= self.max.0 {
            (self.min, self.max)
        } else {
            (self.max, self.min)
        };
        out.push(first);
        if second.0 != first.0 {
            out.push(second);
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "values stored and read back exactly")]
mod tests {
    use super::*;

    /// A day at 1 Hz, flat at 10 except a one-second spike to 99 and a dip to 1.
    fn day() -> Vec<(u64, f32)> {
        (0..86_400u64)
            .map(|secs| {
                let value = match secs {
                    40_000 => 99.0,
                    70_001 => 1.0,
                    _ => 10.0,
                };
                (secs * 1000, value)
            })
            .collect()
    }

    fn columns(count: usize) -> Columns {
        Columns {
            start_ms: 0,
            end_ms: 86_400_000,
            count,
        }
    }

    #[test]
    fn a_day_becomes_at_most_two_points_per_column_and_keeps_its_peaks() {
        let out = min_max(day().into_iter(), columns(1000), 2500);
        assert!(out.len() <= 2000, "{} points", out.len());
        assert!(out.len() >= 1000);
        let max = out.iter().map(|p| p.1).fold(f32::MIN, f32::max);
        let min = out.iter().map(|p| p.1).fold(f32::MAX, f32::min);
        assert_eq!(max, 99.0);
        assert_eq!(min, 1.0);
        assert!(
            out.contains(&(40_000_000, 99.0)),
            "the spike keeps its time"
        );
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "time order");
    }

    #[test]
    fn the_cursor_agrees_with_the_index_everywhere() {
        for (count, span) in [(1000, 86_400_000u64), (7, 1000), (640, 300_000), (3, 2)] {
            let columns = Columns {
                start_ms: 5_000,
                end_ms: 5_000 + span,
                count,
            };
            let mut cursor = ColumnCursor::new(columns);
            let step = (span / 5000).max(1);
            for t in (0..=span + 10).step_by(usize::try_from(step).unwrap()) {
                assert_eq!(
                    cursor.column(5_000 + t),
                    columns.index(5_000 + t),
                    "{count} {span} {t}"
                );
            }
        }
    }

    #[test]
    fn fewer_samples_than_columns_pass_through_unchanged() {
        let points: Vec<(u64, f32)> = (0..300u64).map(|s| (s * 1000, s as f32)).collect();
        let out = min_max(
            points.iter().copied(),
            Columns {
                start_ms: 0,
                end_ms: 300_000,
                count: 1000,
            },
            2500,
        );
        assert_eq!(out, points);
    }

    #[test]
    fn unknown_values_and_jumps_in_time_survive_as_breaks() {
        let mut points = day();
        points[50_000].1 = f32::NAN;
        // An hour with no samples.
        points.retain(|&(ts, _)| !(60_000_000..63_600_000).contains(&ts));
        let out = min_max(points.into_iter(), columns(1000), 2500);
        let breaks: Vec<u64> = out.iter().filter(|p| p.1.is_nan()).map(|p| p.0).collect();
        assert_eq!(breaks, [50_000_000, 63_600_000]);
        // No line crosses the hour without samples.
        assert!(!out.iter().any(|p| (60_000_000..63_600_000).contains(&p.0)));
    }

    #[test]
    fn column_max_keeps_the_peak_of_each_column_and_leaves_empty_ones_unknown() {
        let strip = column_max(day().into_iter(), columns(864), 2500);
        assert_eq!(strip.len(), 864);
        assert_eq!(strip[400], 99.0, "the spike's column");
        assert_eq!(strip[0], 10.0);
        let sparse = column_max([(0, 5.0), (86_399_000, 7.0)].into_iter(), columns(10), 2500);
        assert_eq!(sparse[0], 5.0);
        assert!(sparse[5].is_nan(), "too far apart to fill");
        assert_eq!(sparse[9], 7.0);
        // Five minutes over a thousand columns: each sample fills the columns
        // back to the one before it.
        let five_minutes: Vec<(u64, f32)> = (0..=300u64).map(|s| (s * 1000, s as f32)).collect();
        let filled = column_max(
            five_minutes.into_iter(),
            Columns {
                start_ms: 0,
                end_ms: 300_000,
                count: 1000,
            },
            2500,
        );
        assert!(filled.iter().all(|v| !v.is_nan()));
        assert_eq!(filled[5], 2.0, "columns between samples 1 and 2 show 2");
    }
}
