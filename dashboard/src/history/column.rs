//! How one metric is stored over time: a ring of `f32`, or of one byte per
//! value for percentages, whose half-percent steps are finer than a plot or a
//! heat strip can show. Per-core CPU is the widest part of a host's history
//! (64 columns on a 64-CPU machine), so it gets the byte.
//!
//! An unknown value reads back as NaN in both kinds.

use std::collections::VecDeque;
use std::collections::vec_deque;
use std::ops::Range;

/// The byte stored for an unknown percentage.
const PERCENT_UNKNOWN: u8 = u8::MAX;
/// Stored steps per percent.
const PERCENT_STEPS: f32 = 2.0;

/// The values of one metric, oldest first.
#[derive(Debug, Clone)]
pub enum Column {
    /// Any value, at `f32` precision.
    Values(VecDeque<f32>),
    /// 0–100 in half-percent steps.
    Percent(VecDeque<u8>),
}

impl Column {
    /// An empty column of any values.
    #[must_use]
    pub fn values() -> Self {
        Self::Values(VecDeque::new())
    }

    /// An empty column of percentages.
    #[must_use]
    pub fn percent() -> Self {
        Self::Percent(VecDeque::new())
    }

    /// Appends a value (NaN for unknown).
    pub fn push(&mut self, value: f32) {
        match self {
            Self::Values(values) => values.push_back(value),
            Self::Percent(values) => values.push_back(to_percent_byte(value)),
        }
    }

    /// Appends `count` unknown values.
    pub fn push_unknown(&mut self, count: usize) {
        self.reserve_exact(count);
        for _ in 0..count {
            self.push(f32::NAN);
        }
    }

    /// Makes room for `additional` more values, exactly.
    pub fn reserve_exact(&mut self, additional: usize) {
        match self {
            Self::Values(values) => values.reserve_exact(additional),
            Self::Percent(values) => values.reserve_exact(additional),
        }
    }

    /// Drops the oldest value.
    pub fn pop_front(&mut self) {
        match self {
            Self::Values(values) => {
                values.pop_front();
            }
            Self::Percent(values) => {
                values.pop_front();
            }
        }
    }

    /// The values at `range` of indices, oldest first.
    #[must_use]
    pub fn range(&self, range: Range<usize>) -> ColumnValues<'_> {
        match self {
            Self::Values(values) => ColumnValues::Values(values.range(range)),
            Self::Percent(values) => ColumnValues::Percent(values.range(range)),
        }
    }

    /// Whether the newest value is unknown.
    #[must_use]
    pub fn newest_is_unknown(&self) -> bool {
        match self {
            Self::Values(values) => values.back().is_some_and(|v| v.is_nan()),
            Self::Percent(values) => values.back() == Some(&PERCENT_UNKNOWN),
        }
    }

    /// Bytes allocated on the heap, counting spare capacity.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        match self {
            Self::Values(values) => values.capacity() * size_of::<f32>(),
            Self::Percent(values) => values.capacity(),
        }
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 0–200 first"
)]
fn to_percent_byte(value: f32) -> u8 {
    if value.is_nan() {
        PERCENT_UNKNOWN
    } else {
        (value.clamp(0.0, 100.0) * PERCENT_STEPS).round() as u8
    }
}

fn from_percent_byte(byte: u8) -> f32 {
    if byte == PERCENT_UNKNOWN {
        f32::NAN
    } else {
        f32::from(byte) / PERCENT_STEPS
    }
}

/// An iterator over part of a [`Column`], as `f32`.
#[derive(Debug)]
pub enum ColumnValues<'a> {
    /// From a column of values.
    Values(vec_deque::Iter<'a, f32>),
    /// From a column of percentages.
    Percent(vec_deque::Iter<'a, u8>),
}

impl Iterator for ColumnValues<'_> {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        match self {
            Self::Values(values) => values.next().copied(),
            Self::Percent(values) => values.next().map(|&b| from_percent_byte(b)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Self::Values(values) => values.size_hint(),
            Self::Percent(values) => values.size_hint(),
        }
    }
}

/// Columns for things that come and go by name: network interfaces, disks,
/// temperature sensors. Each name has `N` columns (received and sent, read
/// and written, or one reading), all as long as the history. A name that
/// appears late is padded with unknowns before it; a name missing from a
/// sample gets an unknown; a name unseen in everything kept is dropped.
#[derive(Debug, Clone)]
pub struct KeyedColumns<const N: usize> {
    names: Vec<String>,
    columns: Vec<[Column; N]>,
    /// The absolute row number at which each name last had a value.
    last_seen_row: Vec<u64>,
}

impl<const N: usize> Default for KeyedColumns<N> {
    fn default() -> Self {
        Self {
            names: Vec::new(),
            columns: Vec::new(),
            last_seen_row: Vec::new(),
        }
    }
}

impl<const N: usize> KeyedColumns<N> {
    /// The names, in the order they first appeared.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The `part`-th column of the `index`-th name.
    #[must_use]
    pub fn column(&self, index: usize, part: usize) -> Option<&Column> {
        self.columns.get(index)?.get(part)
    }

    /// Appends row number `row` (the history held `rows_before` rows before
    /// it), with a value for each name given.
    pub fn push_row<'s>(
        &mut self,
        row: u64,
        rows_before: usize,
        values: impl Iterator<Item = (&'s str, [f32; N])>,
    ) {
        let mut row_values: Vec<Option<[f32; N]>> = vec![None; self.names.len()];
        for (name, value) in values {
            let index = if let Some(index) = self.names.iter().position(|n| n == name) {
                index
            } else {
                self.names.push(name.to_owned());
                self.columns.push(std::array::from_fn(|_| {
                    let mut column = Column::values();
                    column.push_unknown(rows_before);
                    column
                }));
                self.last_seen_row.push(row);
                row_values.push(None);
                self.names.len() - 1
            };
            row_values[index] = Some(value);
            self.last_seen_row[index] = row;
        }
        for (columns, value) in self.columns.iter_mut().zip(row_values) {
            let value = value.unwrap_or([f32::NAN; N]);
            for (column, v) in columns.iter_mut().zip(value) {
                column.push(v);
            }
        }
    }

    /// Every column, for rows appended or dropped together.
    pub fn columns_mut(&mut self) -> impl Iterator<Item = &mut Column> {
        self.columns.iter_mut().flatten()
    }

    /// Drops the names last seen before absolute row `first_row`, the oldest
    /// row still kept: nothing left to draw for them.
    pub fn forget_unseen(&mut self, first_row: u64) {
        let mut index = 0;
        while index < self.names.len() {
            if self.last_seen_row[index] < first_row {
                self.names.remove(index);
                self.columns.remove(index);
                self.last_seen_row.remove(index);
            } else {
                index += 1;
            }
        }
    }

    /// Bytes allocated on the heap.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let names: usize = self.names.iter().map(String::capacity).sum();
        let columns: usize = self.columns.iter().flatten().map(Column::heap_bytes).sum();
        names
            + columns
            + self.names.capacity() * size_of::<String>()
            + self.columns.capacity() * size_of::<[Column; N]>()
            + self.last_seen_row.capacity() * size_of::<u64>()
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "values stored and read back exactly")]
mod tests {
    use super::*;

    #[test]
    fn percentages_keep_half_percent_steps_and_unknowns() {
        let mut column = Column::percent();
        for value in [0.0, 12.3, 100.0, 140.0, f32::NAN] {
            column.push(value);
        }
        let back: Vec<f32> = column.range(0..5).collect();
        assert_eq!(&back[..4], [0.0, 12.5, 100.0, 100.0]);
        assert!(back[4].is_nan());
        assert!(column.newest_is_unknown());
    }

    #[test]
    fn keyed_columns_pad_late_names_and_forget_gone_ones() {
        let mut keyed = KeyedColumns::<2>::default();
        keyed.push_row(0, 0, [("eth0", [1.0, 2.0])].into_iter());
        keyed.push_row(1, 1, [("eth1", [3.0, 4.0])].into_iter());
        assert_eq!(keyed.names(), ["eth0", "eth1"]);
        let eth0: Vec<f32> = keyed.column(0, 0).unwrap().range(0..2).collect();
        assert_eq!(eth0[0], 1.0);
        assert!(eth0[1].is_nan(), "missing from the second sample");
        let eth1: Vec<f32> = keyed.column(1, 1).unwrap().range(0..2).collect();
        assert!(eth1[0].is_nan(), "padded before it appeared");
        assert_eq!(eth1[1], 4.0);
        // Once row 0 is gone, eth0 has nothing left to show.
        keyed.forget_unseen(1);
        assert_eq!(keyed.names(), ["eth1"]);
    }
}
