//! The CSV of a window that reaches past the live history, at the resolution
//! it is drawn at: one row per point of the range fetched from the server's
//! disk, then the live samples after it gathered into spans of the same
//! length. For an aggregated tier each series has three columns, its min,
//! mean and max over the row's span (`cpu.total_percent_min`, …); for raw
//! samples one, the value. Names are the server's, with their unit. An
//! unknown value is an empty cell, never a zero; a span without data has no
//! row, so a gap shows as a jump in the time column, as in the plots.
//!
//! Kept apart from [`crate::export`], which writes the live history sample by
//! sample; this module only builds the table, copied out on the UI thread,
//! and writes it on the export's own thread.

use std::io::Write;
use std::path::Path;

use crate::export::{ExportError, received_cell, save_csv, utc_text};
use crate::history::HostHistory;
use crate::past::PastPart;
use crate::past::names::metrics;

/// One row: the start of its span (Unix ms), and per series min, mean, max.
type Row = (u64, Vec<[f32; 3]>);

/// What a window drawn from a fetched range shows, copied out to be written
/// elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeTable {
    names: Vec<String>,
    aggregated: bool,
    rows: Vec<Row>,
}

impl RangeTable {
    /// The window `start_ms..=end_ms`: the points of `past` in it before the
    /// live history starts, then the samples of `history` from there to
    /// `end_ms`, in spans as long as the range's points.
    #[must_use]
    pub fn compose(past: &PastPart<'_>, history: &HostHistory, start_ms: u64, end_ms: u64) -> Self {
        let range = past.range;
        let names: Vec<String> = range.names().to_vec();
        let mut rows: Vec<Row> = Vec::new();
        for index in range.indices(start_ms, end_ms, past.until_ms) {
            let time_ms = range.bucket(0, index).map_or(0, |b| b.start_ms);
            if time_ms < start_ms {
                continue; // The point kept so lines reach the edge.
            }
            let values = (0..names.len())
                .map(|series| {
                    range
                        .bucket(series, index)
                        .map_or([f32::NAN; 3], |b| [b.min, b.mean, b.max])
                })
                .collect();
            rows.push((time_ms, values));
        }
        let live_from_ms = past.until_ms.max(start_ms);
        if live_from_ms <= end_ms {
            rows.extend(live_rows(
                history,
                &names,
                live_from_ms,
                end_ms,
                range.step_ms,
                range.is_aggregated(),
            ));
        }
        Self {
            names,
            aggregated: range.is_aggregated(),
            rows,
        }
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the window holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the table as CSV.
    pub fn write_csv(&self, out: impl Write) -> Result<(), csv::Error> {
        let mut writer = csv::Writer::from_writer(out);
        let mut header = vec!["time_unix_ms".to_owned(), "time_utc".to_owned()];
        for name in &self.names {
            if self.aggregated {
                header.extend(["min", "mean", "max"].map(|stat| format!("{name}_{stat}")));
            } else {
                header.push(name.clone());
            }
        }
        writer.write_record(&header)?;
        for (time_ms, values) in &self.rows {
            let mut record = vec![time_ms.to_string(), utc_text(*time_ms)];
            for [min, mean, max] in values {
                if self.aggregated {
                    record.extend([*min, *mean, *max].map(received_cell));
                } else {
                    record.push(received_cell(*mean));
                }
            }
            writer.write_record(&record)?;
        }
        writer.flush()?;
        Ok(())
    }

    /// Writes the CSV to the file at `path`.
    pub fn save(&self, path: &Path) -> Result<(), ExportError> {
        save_csv(path, |out| self.write_csv(out))
    }
}

/// The live samples from `from_ms` to `to_ms` of the series `names`: each
/// sample a row when the range is raw, else gathered into spans of `step_ms`
/// (on multiples of it since the epoch, as the server's minutes and hours
/// are) with their min, mean and max.
fn live_rows(
    history: &HostHistory,
    names: &[String],
    from_ms: u64,
    to_ms: u64,
    step_ms: u64,
    aggregated: bool,
) -> Vec<Row> {
    let known = metrics(history);
    let step_ms = if aggregated { step_ms.max(1) } else { 1 };
    let mut rows: Vec<(u64, Vec<Stats>)> = Vec::new();
    for (series, name) in names.iter().enumerate() {
        let Some(&(metric, _)) = known.iter().find(|(_, n)| n == name) else {
            continue;
        };
        let mut row = 0;
        for (time_ms, value) in history.points(metric, from_ms) {
            if time_ms > to_ms {
                break;
            }
            let span_ms = time_ms / step_ms * step_ms;
            while rows.get(row).is_some_and(|r| r.0 < span_ms) {
                row += 1;
            }
            if rows.get(row).is_none_or(|r| r.0 != span_ms) {
                rows.insert(row, (span_ms, vec![Stats::default(); names.len()]));
            }
            rows[row].1[series].add(value);
        }
    }
    rows.into_iter()
        .filter(|(_, stats)| stats.iter().any(|s| s.count > 0))
        .map(|(time_ms, stats)| (time_ms, stats.iter().map(Stats::finish).collect()))
        .collect()
}

/// Min, sum and max of the known values of one series in one span.
#[derive(Debug, Clone, Copy)]
struct Stats {
    min: f32,
    sum: f64,
    max: f32,
    count: u32,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            min: f32::INFINITY,
            sum: 0.0,
            max: f32::NEG_INFINITY,
            count: 0,
        }
    }
}

impl Stats {
    fn add(&mut self, value: f32) {
        if value.is_nan() {
            return;
        }
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += f64::from(value);
        self.count += 1;
    }

    #[allow(clippy::cast_possible_truncation, reason = "a mean of f32 values")]
    fn finish(&self) -> [f32; 3] {
        if self.count == 0 {
            return [f32::NAN; 3];
        }
        [
            self.min,
            (self.sum / f64::from(self.count)) as f32,
            self.max,
        ]
    }
}
