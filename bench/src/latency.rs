//! Tick-to-receipt latency: the wall time a viewer receives a live sample,
//! minus the sample's own `timestamp_ms` (taken by the server when it starts
//! sampling). So it covers sampling, encoding, the fan-out and the viewer's own
//! scheduling. The timestamp has whole milliseconds, so a figure may read up to
//! 1 ms high; the server and the load generator share the machine's clock.
//!
//! All viewers record into one HDR histogram behind a mutex: a histogram per
//! viewer would cost hundreds of KiB each at 10,000 viewers, and one lock per
//! sample per viewer is nothing beside decoding the sample.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Largest latency recorded exactly: an hour, in microseconds. Longer ones
/// count as this.
const MAX_MICROS: u64 = 3_600_000_000;

/// The latencies of every viewer's live samples.
#[derive(Debug)]
pub struct Latency {
    histogram: Mutex<Histogram<u64>>,
    /// Receipts that came before the sample's timestamp (clock steps).
    negative: AtomicU64,
}

/// Percentiles of the recorded latencies, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Live samples measured.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Receipts timed before the sample's timestamp, counted as 0.
    pub negative: u64,
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl Latency {
    /// An empty record, 3 significant figures from 1 µs to an hour.
    #[must_use]
    pub fn new() -> Self {
        let histogram = Histogram::new_with_bounds(1, MAX_MICROS, 3)
            .unwrap_or_else(|_| unreachable!("valid bounds: low ≥ 1, high ≥ 2 × low, 3 figures"));
        Self {
            histogram: Mutex::new(histogram),
            negative: AtomicU64::new(0),
        }
    }

    /// Records one live sample stamped `timestamp_ms`, received at `received`.
    pub fn record(&self, timestamp_ms: u64, received: SystemTime) {
        let received_us = received
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        let sent_us = timestamp_ms.saturating_mul(1000);
        let latency_us = if received_us < sent_us {
            self.negative.fetch_add(1, Ordering::Relaxed);
            0
        } else {
            received_us - sent_us
        };
        self.histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record(latency_us.min(MAX_MICROS));
    }

    /// The percentiles so far.
    #[must_use]
    pub fn summary(&self) -> LatencySummary {
        let histogram = self
            .histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let ms = |micros: u64| micros as f64 / 1000.0;
        if histogram.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: histogram.len(),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
            negative: self.negative.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at_ms(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn percentiles_come_out_in_milliseconds() {
        let latency = Latency::new();
        for delay_ms in 1..=100 {
            latency.record(1_000_000, at_ms(1_000_000 + delay_ms));
        }
        let summary = latency.summary();
        assert_eq!(summary.count, 100);
        assert!((summary.p50_ms - 50.0).abs() < 0.1, "{summary:?}");
        assert!((summary.p99_ms - 99.0).abs() < 0.1, "{summary:?}");
        assert!((summary.max_ms - 100.0).abs() < 0.1, "{summary:?}");
    }

    #[test]
    fn a_receipt_before_the_timestamp_counts_as_zero() {
        let latency = Latency::new();
        latency.record(2_000, at_ms(1_999));
        let summary = latency.summary();
        assert_eq!((summary.count, summary.negative), (1, 1));
        assert!(summary.max_ms.abs() < f64::EPSILON);
    }

    #[test]
    fn nothing_recorded_is_all_zero() {
        assert_eq!(Latency::new().summary(), LatencySummary::default());
    }
}
