//! Saving what the window shows, for a report or a spreadsheet: the visible time
//! window of one host as CSV, and a screenshot of the window as PNG.
//!
//! The UI thread only copies the visible columns out of the history (cheap);
//! formatting and writing the file happen on a named thread of their own
//! ([`SaveReporter::spawn`]), since disk I/O may block (ARCHITECTURE.md).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

use crate::history::{HostHistory, Metric};

/// Why an export failed, in words for the person who asked for it.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file could not be created or written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The CSV writer failed (it only fails on I/O).
    #[error("cannot write {path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// What the CSV writer said.
        source: csv::Error,
    },
    /// The PNG encoder failed.
    #[error("cannot save the screenshot as {path}: {source}")]
    Png {
        /// The file.
        path: PathBuf,
        /// What the encoder said.
        source: image::ImageError,
    },
    /// There is nothing to export yet.
    #[error("nothing to export: the host has no samples in the visible window")]
    Empty,
    /// The writer thread could not be started.
    #[error("cannot start saving: {0}")]
    Thread(std::io::Error),
}

/// How a column's values are written: as the history keeps them
/// (`history::column`), no digit more and none less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    /// Percentages, kept in half-percent steps: one decimal.
    Percent,
    /// Bytes, rates and load, kept as the `f32` received: the shortest text
    /// that reads back as that float, all digits of a whole number.
    Received,
    /// Temperatures, kept in hundredths of a degree.
    Celsius,
}

/// A column of a series per interface or disk: its metric and its name.
type PairColumn = (fn(usize) -> Metric, &'static str);

/// Every series the host view shows, each column named with its unit; a
/// series of one interface, disk or sensor carries its name after a colon
/// (`network_rx_bytes_per_sec:eth0`), so a spreadsheet can split on it.
fn columns(history: &HostHistory) -> Vec<(Metric, String, Precision)> {
    let fixed = [
        (Metric::CpuTotal, "cpu_total_percent", Precision::Percent),
        (Metric::LoadOne, "load_1m", Precision::Received),
        (Metric::LoadFive, "load_5m", Precision::Received),
        (Metric::LoadFifteen, "load_15m", Precision::Received),
        (Metric::MemoryUsed, "memory_used_bytes", Precision::Received),
        (Metric::SwapUsed, "swap_used_bytes", Precision::Received),
        (
            Metric::NetworkRx,
            "network_rx_bytes_per_sec",
            Precision::Received,
        ),
        (
            Metric::NetworkTx,
            "network_tx_bytes_per_sec",
            Precision::Received,
        ),
        (
            Metric::DiskRead,
            "disk_read_bytes_per_sec",
            Precision::Received,
        ),
        (
            Metric::DiskWrite,
            "disk_write_bytes_per_sec",
            Precision::Received,
        ),
    ];
    let mut columns: Vec<_> = fixed
        .into_iter()
        .map(|(metric, name, precision)| (metric, name.to_owned(), precision))
        .collect();
    columns.extend((0..history.core_count()).map(|core| {
        (
            Metric::CpuCore(core),
            format!("cpu{core}_percent"),
            Precision::Percent,
        )
    }));
    // Two columns per interface and per disk.
    let pairs: [(&[String], [PairColumn; 2]); 2] = [
        (
            history.interfaces(),
            [
                (Metric::InterfaceRx, "network_rx_bytes_per_sec"),
                (Metric::InterfaceTx, "network_tx_bytes_per_sec"),
            ],
        ),
        (
            history.disks(),
            [
                (Metric::DiskDeviceRead, "disk_read_bytes_per_sec"),
                (Metric::DiskDeviceWrite, "disk_write_bytes_per_sec"),
            ],
        ),
    ];
    for (names, pair) in pairs {
        for (n, name) in names.iter().enumerate() {
            columns.extend(pair.map(|(metric, column)| {
                (metric(n), format!("{column}:{name}"), Precision::Received)
            }));
        }
    }
    columns.extend(history.sensors().iter().enumerate().map(|(n, name)| {
        (
            Metric::Temperature(n),
            format!("temperature_celsius:{name}"),
            Precision::Celsius,
        )
    }));
    columns
}

/// The visible part of one host's history, copied out to be written elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportTable {
    /// Column names, each with its unit.
    header: Vec<String>,
    precisions: Vec<Precision>,
    /// When each sample was taken (Unix ms), oldest first.
    timestamps_ms: Vec<u64>,
    /// One row per sample, one value per metric; NaN where unknown.
    rows: Vec<Vec<f32>>,
}

impl ExportTable {
    /// The samples of `history` from `start_ms` to `end_ms` (inclusive), every
    /// series the host view draws. The rows that only mark a gap in the
    /// history are left out: a gap shows as a jump in the time column, as it
    /// does in the plots.
    #[must_use]
    pub fn from_history(history: &HostHistory, start_ms: u64, end_ms: u64) -> Self {
        let metrics = columns(history);
        let timestamps_ms: Vec<u64> = history
            .points(Metric::CpuTotal, start_ms)
            .map(|(ts, _)| ts)
            .take_while(|&ts| ts <= end_ms)
            .collect();
        let mut rows = vec![Vec::with_capacity(metrics.len()); timestamps_ms.len()];
        for (metric, _, _) in &metrics {
            for (row, (_, value)) in rows.iter_mut().zip(history.points(*metric, start_ms)) {
                row.push(value);
            }
        }
        let (timestamps_ms, rows) = timestamps_ms
            .into_iter()
            .zip(rows)
            .filter(|(_, row)| !row.iter().all(|v| v.is_nan()))
            .unzip();
        Self {
            header: std::iter::once("time_unix_ms".to_owned())
                .chain(std::iter::once("time_utc".to_owned()))
                .chain(metrics.iter().map(|(_, name, _)| name.clone()))
                .collect(),
            precisions: metrics.iter().map(|&(_, _, precision)| precision).collect(),
            timestamps_ms,
            rows,
        }
    }

    /// Number of samples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the window holds no sample.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the table as CSV: a header, then one row per sample; an unknown
    /// value is an empty cell, never a zero.
    pub fn write_csv(&self, out: impl Write) -> Result<(), csv::Error> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(&self.header)?;
        for (&ts, row) in self.timestamps_ms.iter().zip(&self.rows) {
            let cells = row
                .iter()
                .zip(&self.precisions)
                .map(|(&value, &precision)| cell(value, precision));
            writer.write_record([ts.to_string(), utc_text(ts)].into_iter().chain(cells))?;
        }
        writer.flush()?;
        Ok(())
    }

    /// Writes the CSV to the file at `path`.
    pub fn save(&self, path: &Path) -> Result<(), ExportError> {
        save_csv(path, |out| self.write_csv(out))
    }
}

/// Creates the file at `path` and has `write` put a CSV in it; each failure
/// names the file.
pub(crate) fn save_csv(
    path: &Path,
    write: impl FnOnce(std::io::BufWriter<std::fs::File>) -> Result<(), csv::Error>,
) -> Result<(), ExportError> {
    let file = std::fs::File::create(path).map_err(|source| ExportError::Write {
        path: path.to_owned(),
        source,
    })?;
    write(std::io::BufWriter::new(file)).map_err(|source| ExportError::Csv {
        path: path.to_owned(),
        source,
    })
}

/// From 2²⁴ up an `f32` holds whole numbers only, and its shortest text
/// would end in zeros (892,030,976 as "892031000"): written whole instead.
const WHOLE_FROM: f32 = 16_777_216.0;

/// A value as received: the shortest decimal that reads back as the same
/// `f32`, all digits of a whole number; empty when unknown.
pub(crate) fn received_cell(value: f32) -> String {
    cell(value, Precision::Received)
}

fn cell(value: f32, precision: Precision) -> String {
    if value.is_nan() {
        return String::new();
    }
    match precision {
        Precision::Percent => format!("{value:.1}"),
        Precision::Received if value.abs() >= WHOLE_FROM => format!("{:.0}", f64::from(value)),
        // The shortest text that reads back as the same float: 0.37, not
        // 0.3700000047683716.
        Precision::Received | Precision::Celsius => value.to_string(),
    }
}

/// `1700000000000` → `"2023-11-14T22:13:20.000Z"`; empty if out of range.
/// Always with milliseconds, so every row has the same shape.
#[must_use]
pub fn utc_text(timestamp_ms: u64) -> String {
    i64::try_from(timestamp_ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// Saves a screenshot of the window as PNG.
pub fn save_png(image: &egui::ColorImage, path: &Path) -> Result<(), ExportError> {
    let [width, height] = image.size;
    let too_big = |_| ExportError::Png {
        path: path.to_owned(),
        source: image::ImageError::Limits(image::error::LimitError::from_kind(
            image::error::LimitErrorKind::DimensionError,
        )),
    };
    let width = u32::try_from(width).map_err(too_big)?;
    let height = u32::try_from(height).map_err(too_big)?;
    image::save_buffer_with_format(
        path,
        image.as_raw(),
        width,
        height,
        image::ExtendedColorType::Rgba8,
        image::ImageFormat::Png,
    )
    .map_err(|source| ExportError::Png {
        path: path.to_owned(),
        source,
    })
}

/// Where exports go unless the user says otherwise: the Downloads folder, else
/// the home folder, else the current one.
#[must_use]
pub fn default_dir() -> PathBuf {
    dirs::download_dir()
        .filter(|dir| dir.is_dir())
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A file name for an export of `what` (a host name), safe on every file
/// system, dated by the span it covers (`from_ms` to `to_ms`, Unix ms) or the
/// instant it shows: `hostpulse-db-1-20231114-221320-to-20231114-222320.csv`.
#[must_use]
pub fn file_name(what: &str, from_ms: Option<u64>, to_ms: u64, extension: &str) -> String {
    let what: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    match from_ms {
        Some(from_ms) => format!(
            "hostpulse-{what}-{}-to-{}.{extension}",
            stamp(from_ms),
            stamp(to_ms)
        ),
        None => format!("hostpulse-{what}-{}.{extension}", stamp(to_ms)),
    }
}

/// `1700000000000` → `"20231114-221320"` (UTC).
fn stamp(timestamp_ms: u64) -> String {
    let digits: String = utc_text(timestamp_ms)
        .chars()
        .take(19)
        .filter(char::is_ascii_digit)
        .collect();
    let (date, clock) = digits.split_at(digits.len().min(8));
    format!("{date}-{clock}")
}

/// A save running on its own thread.
#[derive(Debug)]
pub struct PendingSave {
    result: Receiver<Result<PathBuf, ExportError>>,
}

/// How a save stands.
#[derive(Debug)]
pub enum SaveStatus {
    /// Still writing.
    Running,
    /// Written to this file.
    Saved(PathBuf),
    /// Failed.
    Failed(ExportError),
}

impl PendingSave {
    /// Whether the save has finished; never blocks.
    #[must_use]
    pub fn poll(&self) -> SaveStatus {
        match self.result.try_recv() {
            Ok(Ok(path)) => SaveStatus::Saved(path),
            Ok(Err(error)) => SaveStatus::Failed(error),
            Err(TryRecvError::Empty) => SaveStatus::Running,
            Err(TryRecvError::Disconnected) => SaveStatus::Failed(ExportError::Thread(
                std::io::Error::other("the writer thread stopped without a word"),
            )),
        }
    }
}

/// The writing end of a [`PendingSave`]: starts the save when the data is
/// ready (a screenshot arrives a frame after it is asked for).
#[derive(Debug)]
pub struct SaveReporter {
    sender: SyncSender<Result<PathBuf, ExportError>>,
}

/// A save to be started by the returned reporter, watched through the
/// returned [`PendingSave`].
#[must_use]
pub fn pending_save() -> (SaveReporter, PendingSave) {
    // One result per save: the channel never holds more.
    let (sender, result) = sync_channel(1);
    (SaveReporter { sender }, PendingSave { result })
}

impl SaveReporter {
    /// Runs `save` (writing to `path`) on a named thread, then calls `done`
    /// (to wake the UI).
    pub fn spawn(
        self,
        path: PathBuf,
        save: impl FnOnce(&Path) -> Result<(), ExportError> + Send + 'static,
        done: impl FnOnce() + Send + 'static,
    ) {
        let sender = self.sender.clone();
        let started = std::thread::Builder::new()
            .name("hostpulse-export".into())
            .spawn(move || {
                let outcome = save(&path).map(|()| path);
                // The receiver is gone only if the app closed: nobody to tell.
                let _ = sender.send(outcome);
                done();
            });
        if let Err(error) = started {
            let _ = self.sender.send(Err(ExportError::Thread(error)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_empty_when_unknown_and_as_received_otherwise() {
        assert_eq!(cell(f32::NAN, Precision::Received), "");
        assert_eq!(cell(42.5, Precision::Percent), "42.5");
        assert_eq!(cell(6_441_648_128.0, Precision::Received), "6441648128");
        assert_eq!(cell(892_030_976.0, Precision::Received), "892030976");
        assert_eq!(cell(49_998.4, Precision::Received), "49998.4");
        assert_eq!(cell(0.37, Precision::Received), "0.37");
        assert_eq!(cell(0.0, Precision::Received), "0");
        assert_eq!(cell(-12.25, Precision::Celsius), "-12.25");
    }

    #[test]
    fn file_names_are_safe_and_dated() {
        assert_eq!(
            file_name(
                "db 1/prod",
                Some(1_700_000_000_000),
                1_700_000_060_000,
                "csv"
            ),
            "hostpulse-db-1-prod-20231114-221320-to-20231114-221420.csv"
        );
        assert_eq!(
            file_name("screenshot", None, 1_700_000_000_000, "png"),
            "hostpulse-screenshot-20231114-221320.png"
        );
        assert_eq!(utc_text(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
        assert_eq!(utc_text(1_700_000_000_042), "2023-11-14T22:13:20.042Z");
    }

    #[test]
    fn a_screenshot_round_trips_through_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shot.png");
        let mut shot = egui::ColorImage::filled([3, 2], egui::Color32::from_rgb(10, 20, 30));
        shot.pixels[5] = egui::Color32::from_rgb(200, 100, 0);
        save_png(&shot, &path).unwrap();
        let read = image::open(&path).unwrap().to_rgba8();
        assert_eq!(read.dimensions(), (3, 2));
        assert_eq!(read.get_pixel(0, 0).0, [10, 20, 30, 255]);
        assert_eq!(read.get_pixel(2, 1).0, [200, 100, 0, 255]);
    }

    #[test]
    fn a_failed_save_says_which_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join("x.csv");
        let table = ExportTable::from_history(&HostHistory::default(), 0, u64::MAX);
        let error = table.save(&path).unwrap_err().to_string();
        assert!(error.starts_with("cannot write "), "{error}");
        assert!(error.contains("x.csv"), "{error}");
    }
}
