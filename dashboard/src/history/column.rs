//! How one metric is stored over time: a ring of one to four bytes per value,
//! each kind at a precision finer than a plot, a heat strip or a hover label
//! shows. A day at 1 Hz is 86,400 values a column, and a large host has a
//! hundred columns, so the bytes per value decide a history's size.
//!
//! - [`Column::Percent`]: 0–100 in half-percent steps, one byte. Per-core CPU
//!   is most of a large host's columns (a 64-core host's day is 5.5 MB at one
//!   byte, 22 MB at four), and sampled CPU time is not steadier than that.
//! - [`Column::Magnitude`]: any value ≥ 0 (bytes, bytes per second, load) as
//!   the `f32` it arrived as, four bytes: a CSV export writes back what was
//!   received (byte counts, which are whole pages, exactly up to 64 GiB; rates
//!   and load to seven significant digits). Stored as the float's bits, which
//!   sort as the values do, so extremes are found without decoding.
//! - [`Column::Celsius`]: hundredths of a degree, two bytes, exact for what
//!   sensors report.
//!
//! An unknown value reads back as NaN in every kind. The two-byte logarithmic
//! code ([`to_magnitude_code`], within 0.032 %) is kept for the top processes
//! of each moment, twenty a sample, which only a table shows.

use std::collections::VecDeque;
use std::collections::vec_deque;
use std::ops::Range;
use std::sync::LazyLock;

/// The byte stored for an unknown percentage.
const PERCENT_UNKNOWN: u8 = u8::MAX;
/// Stored steps per percent.
const PERCENT_STEPS: f32 = 2.0;

/// The code stored for an unknown process magnitude; 0 stands for zero.
const MAGNITUDE_UNKNOWN: u16 = u16::MAX;
/// The bits stored for an unknown magnitude: a NaN, and above the bits of
/// every value ≥ 0 (+∞ included), so it never passes for an extreme.
const BITS_UNKNOWN: u32 = u32::MAX;
/// The smallest magnitude above zero that is kept apart from zero.
const MAGNITUDE_MIN: f64 = 1e-3;
/// The largest magnitude kept; larger ones are stored as this.
const MAGNITUDE_MAX: f64 = 1e15;
/// Codes 1..=65,534 cover `MAGNITUDE_MIN..=MAGNITUDE_MAX` evenly in `ln`.
const MAGNITUDE_CODES: u16 = u16::MAX - 1;

/// What each magnitude code reads back as (256 KiB, made on first use).
static MAGNITUDES: LazyLock<Box<[f32]>> =
    LazyLock::new(|| (0..=u16::MAX).map(from_magnitude_code).collect());

/// The stored hundredths for an unknown temperature.
const CELSIUS_UNKNOWN: i16 = i16::MIN;
/// Stored steps per degree.
const CELSIUS_STEPS: f32 = 100.0;

/// The values of one metric, oldest first.
#[derive(Debug, Clone)]
pub enum Column {
    /// 0–100 in half-percent steps.
    Percent(VecDeque<u8>),
    /// Values ≥ 0 as `f32` bits.
    Magnitude(VecDeque<u32>),
    /// Degrees Celsius in hundredths.
    Celsius(VecDeque<i16>),
}

impl Column {
    /// An empty column of percentages.
    #[must_use]
    pub fn percent() -> Self {
        Self::Percent(VecDeque::new())
    }

    /// An empty column of magnitudes: bytes, rates, load.
    #[must_use]
    pub fn magnitude() -> Self {
        Self::Magnitude(VecDeque::new())
    }

    /// An empty column of temperatures.
    #[must_use]
    pub fn celsius() -> Self {
        Self::Celsius(VecDeque::new())
    }

    /// Appends a value (NaN for unknown).
    pub fn push(&mut self, value: f32) {
        match self {
            Self::Percent(values) => values.push_back(to_percent_byte(value)),
            Self::Magnitude(values) => values.push_back(to_bits(value)),
            Self::Celsius(values) => values.push_back(to_celsius_hundredths(value)),
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
            Self::Percent(values) => values.reserve_exact(additional),
            Self::Magnitude(values) => values.reserve_exact(additional),
            Self::Celsius(values) => values.reserve_exact(additional),
        }
    }

    /// Drops the oldest value.
    pub fn pop_front(&mut self) {
        match self {
            Self::Percent(values) => {
                values.pop_front();
            }
            Self::Magnitude(values) => {
                values.pop_front();
            }
            Self::Celsius(values) => {
                values.pop_front();
            }
        }
    }

    /// The values at `range` of indices, oldest first.
    #[must_use]
    pub fn range(&self, range: Range<usize>) -> ColumnValues<'_> {
        match self {
            Self::Percent(values) => ColumnValues::Percent(values.range(range)),
            Self::Magnitude(values) => ColumnValues::Magnitude(values.range(range)),
            Self::Celsius(values) => ColumnValues::Celsius(values.range(range)),
        }
    }

    /// The value at `index` (NaN: unknown or out of range).
    #[must_use]
    pub fn get(&self, index: usize) -> f32 {
        match self {
            Self::Percent(values) => values
                .get(index)
                .map_or(f32::NAN, |&b| from_percent_byte(b)),
            Self::Magnitude(values) => values.get(index).map_or(f32::NAN, |&b| from_bits(b)),
            Self::Celsius(values) => values
                .get(index)
                .map_or(f32::NAN, |&h| from_celsius_hundredths(h)),
        }
    }

    /// The lowest and highest value in `range`, each with its index (the
    /// first of equal values); `None` when a value there is unknown (or the
    /// range is empty). Stored values sort as the values they stand for, so
    /// this compares them as stored, decoding only the two it returns.
    #[must_use]
    pub fn extremes(&self, range: Range<usize>) -> Option<((usize, f32), (usize, f32))> {
        let at = |index: usize| range.start + index;
        match self {
            Self::Percent(values) => {
                let (min, max) = extremes_of(values.range(range.clone()), PERCENT_UNKNOWN)?;
                Some((
                    (at(min.0), from_percent_byte(min.1)),
                    (at(max.0), from_percent_byte(max.1)),
                ))
            }
            Self::Magnitude(values) => {
                let (min, max) = extremes_of(values.range(range.clone()), BITS_UNKNOWN)?;
                Some(((at(min.0), from_bits(min.1)), (at(max.0), from_bits(max.1))))
            }
            Self::Celsius(values) => {
                let (min, max) = extremes_of(values.range(range.clone()), CELSIUS_UNKNOWN)?;
                Some((
                    (at(min.0), from_celsius_hundredths(min.1)),
                    (at(max.0), from_celsius_hundredths(max.1)),
                ))
            }
        }
    }

    /// The highest known value in `range`; NaN when none is known.
    #[must_use]
    pub fn max_known(&self, range: Range<usize>) -> f32 {
        match self {
            Self::Percent(values) => {
                max_of(values.range(range), PERCENT_UNKNOWN).map_or(f32::NAN, from_percent_byte)
            }
            Self::Magnitude(values) => {
                max_of(values.range(range), BITS_UNKNOWN).map_or(f32::NAN, from_bits)
            }
            Self::Celsius(values) => max_of(values.range(range), CELSIUS_UNKNOWN)
                .map_or(f32::NAN, from_celsius_hundredths),
        }
    }

    /// Whether the newest value is unknown.
    #[must_use]
    pub fn newest_is_unknown(&self) -> bool {
        match self {
            Self::Percent(values) => values.back() == Some(&PERCENT_UNKNOWN),
            Self::Magnitude(values) => values.back() == Some(&BITS_UNKNOWN),
            Self::Celsius(values) => values.back() == Some(&CELSIUS_UNKNOWN),
        }
    }

    /// Bytes allocated on the heap, counting spare capacity.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        match self {
            Self::Percent(values) => values.capacity(),
            Self::Magnitude(values) => values.capacity() * size_of::<u32>(),
            Self::Celsius(values) => values.capacity() * size_of::<i16>(),
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

/// A value ≥ 0 as the bits of its `f32` (NaN: unknown; below zero, and −0,
/// as zero, since no magnitude is negative). The bits of floats ≥ 0 sort as
/// the floats do.
fn to_bits(value: f32) -> u32 {
    if value.is_nan() {
        BITS_UNKNOWN
    } else if value > 0.0 {
        value.to_bits()
    } else {
        0
    }
}

/// What [`to_bits`] stored.
fn from_bits(bits: u32) -> f32 {
    if bits == BITS_UNKNOWN {
        f32::NAN
    } else {
        f32::from_bits(bits)
    }
}

/// `ln` of the ratio between neighbouring magnitude codes.
fn magnitude_step() -> f64 {
    (MAGNITUDE_MAX / MAGNITUDE_MIN).ln() / f64::from(MAGNITUDE_CODES - 1)
}

/// A value ≥ 0 as two bytes, within 0.032 % (NaN: unknown).
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 1–65,534 first"
)]
pub(crate) fn to_magnitude_code(value: f32) -> u16 {
    let value = f64::from(value);
    if value.is_nan() {
        MAGNITUDE_UNKNOWN
    } else if value < MAGNITUDE_MIN / 2.0 {
        0 // Zero, and anything negative (no magnitude is).
    } else {
        let steps = (value.max(MAGNITUDE_MIN).ln() - MAGNITUDE_MIN.ln()) / magnitude_step();
        steps.round().clamp(0.0, f64::from(MAGNITUDE_CODES - 1)) as u16 + 1
    }
}

/// What `code` (from [`to_magnitude_code`]) stands for.
pub(crate) fn magnitude(code: u16) -> f32 {
    MAGNITUDES[usize::from(code)]
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "f32 is the precision plots and labels use"
)]
fn from_magnitude_code(code: u16) -> f32 {
    match code {
        MAGNITUDE_UNKNOWN => f32::NAN,
        0 => 0.0,
        code => (MAGNITUDE_MIN.ln() + f64::from(code - 1) * magnitude_step()).exp() as f32,
    }
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "clamped to the i16 range first"
)]
fn to_celsius_hundredths(value: f32) -> i16 {
    if value.is_nan() {
        CELSIUS_UNKNOWN
    } else {
        (value * CELSIUS_STEPS)
            .round()
            .clamp(-f32::from(i16::MAX), f32::from(i16::MAX)) as i16
    }
}

fn from_celsius_hundredths(hundredths: i16) -> f32 {
    if hundredths == CELSIUS_UNKNOWN {
        f32::NAN
    } else {
        f32::from(hundredths) / CELSIUS_STEPS
    }
}

/// The first lowest and first highest of `values` with their positions, as
/// stored; `None` if one is `unknown` or there are none.
fn extremes_of<'a, T: Copy + Ord + 'a>(
    values: impl Iterator<Item = &'a T>,
    unknown: T,
) -> Option<((usize, T), (usize, T))> {
    let mut extremes: Option<((usize, T), (usize, T))> = None;
    for (index, &value) in values.enumerate() {
        if value == unknown {
            return None;
        }
        match &mut extremes {
            None => extremes = Some(((index, value), (index, value))),
            Some((min, max)) => {
                if value < min.1 {
                    *min = (index, value);
                }
                if value > max.1 {
                    *max = (index, value);
                }
            }
        }
    }
    extremes
}

/// The highest of `values` that is not `unknown`, as stored.
fn max_of<'a, T: Copy + Ord + 'a>(values: impl Iterator<Item = &'a T>, unknown: T) -> Option<T> {
    values.copied().filter(|&value| value != unknown).max()
}

/// An iterator over part of a [`Column`], as `f32`.
#[derive(Debug)]
pub enum ColumnValues<'a> {
    /// From a column of percentages.
    Percent(vec_deque::Iter<'a, u8>),
    /// From a column of magnitudes.
    Magnitude(vec_deque::Iter<'a, u32>),
    /// From a column of temperatures.
    Celsius(vec_deque::Iter<'a, i16>),
}

impl Iterator for ColumnValues<'_> {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        match self {
            Self::Percent(values) => values.next().map(|&b| from_percent_byte(b)),
            Self::Magnitude(values) => values.next().map(|&bits| from_bits(bits)),
            Self::Celsius(values) => values.next().map(|&h| from_celsius_hundredths(h)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Self::Percent(values) => values.size_hint(),
            Self::Magnitude(values) => values.size_hint(),
            Self::Celsius(values) => values.size_hint(),
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
    /// Makes an empty column of the kind these hold.
    new_column: fn() -> Column,
}

impl<const N: usize> KeyedColumns<N> {
    /// No names yet; each name's columns will be made by `new_column`.
    #[must_use]
    pub fn new(new_column: fn() -> Column) -> Self {
        Self {
            names: Vec::new(),
            columns: Vec::new(),
            last_seen_row: Vec::new(),
            new_column,
        }
    }

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
                    let mut column = (self.new_column)();
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
    fn magnitudes_come_back_as_received() {
        let mut column = Column::magnitude();
        let values = [
            0.0,
            0.001,
            0.37,
            1.0,
            1234.567,
            892_030_976.0,
            3.2e9,
            1.25e12,
            1e20,
            f32::INFINITY,
            -5.0,
            -0.0,
            f32::NAN,
        ];
        for value in values {
            column.push(value);
        }
        let back: Vec<f32> = column.range(0..values.len()).collect();
        assert_eq!(back[..10], values[..10], "every value ≥ 0 exactly");
        assert_eq!(back[10].to_bits(), 0, "nothing below zero");
        assert_eq!(back[11].to_bits(), 0, "−0 is zero");
        assert!(back[12].is_nan());
        assert!(column.newest_is_unknown());
        assert_eq!(column.heap_bytes(), column_capacity(&column) * 4);
        // Extremes compare the stored bits; an unknown is never one.
        assert_eq!(column.extremes(0..4), Some(((0, 0.0), (3, 1.0))));
        assert_eq!(column.extremes(0..13), None);
        assert_eq!(column.max_known(0..13), f32::INFINITY);
    }

    #[test]
    fn magnitude_bits_keep_their_order() {
        let bits: Vec<u32> = (0..2000)
            .map(|i| to_bits(1.07_f32.powi(i) * 1e-4))
            .chain([to_bits(f32::INFINITY), BITS_UNKNOWN])
            .collect();
        assert!(bits.windows(2).all(|pair| pair[0] <= pair[1]));
    }

    #[test]
    fn process_magnitudes_keep_their_order() {
        // Decimation picks the lowest and highest value of a column: a coarser
        // scale must never swap two of them.
        let codes: Vec<u16> = (0..2000)
            .map(|i| to_magnitude_code(1.07_f32.powi(i) * 1e-4))
            .collect();
        assert!(codes.windows(2).all(|pair| pair[0] <= pair[1]));
    }

    #[test]
    fn temperatures_keep_hundredths_below_zero_too() {
        let mut column = Column::celsius();
        for value in [41.5, -12.25, 0.0, 1000.0, f32::NAN] {
            column.push(value);
        }
        let back: Vec<f32> = column.range(0..5).collect();
        assert_eq!(&back[..4], [41.5, -12.25, 0.0, 327.67]);
        assert!(back[4].is_nan());
    }

    fn column_capacity(column: &Column) -> usize {
        match column {
            Column::Percent(values) => values.capacity(),
            Column::Magnitude(values) => values.capacity(),
            Column::Celsius(values) => values.capacity(),
        }
    }

    #[test]
    fn keyed_columns_pad_late_names_and_forget_gone_ones() {
        let mut keyed = KeyedColumns::<2>::new(Column::magnitude);
        keyed.push_row(0, 0, [("eth0", [1.0, 2.0])].into_iter());
        keyed.push_row(1, 1, [("eth1", [3.0, 4.0])].into_iter());
        assert_eq!(keyed.names(), ["eth0", "eth1"]);
        let eth0: Vec<f32> = keyed.column(0, 0).unwrap().range(0..2).collect();
        assert!((eth0[0] - 1.0).abs() < 0.001);
        assert!(eth0[1].is_nan(), "missing from the second sample");
        let eth1: Vec<f32> = keyed.column(1, 1).unwrap().range(0..2).collect();
        assert!(eth1[0].is_nan(), "padded before it appeared");
        assert!((eth1[1] - 4.0).abs() < 0.001);
        // Once row 0 is gone, eth0 has nothing left to show.
        keyed.forget_unseen(1);
        assert_eq!(keyed.names(), ["eth1"]);
    }
}
