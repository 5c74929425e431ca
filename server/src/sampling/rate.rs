//! Turning monotonically rising counters (bytes received, bytes read) into rates
//! over the time that really elapsed between two readings — a late tick must not
//! inflate a rate by assuming a whole interval passed.

use std::collections::HashMap;
use std::time::Duration;

/// Bytes per second between two readings of a counter, or `None` when no rate can
/// be known: no time passed, or the counter went backwards (it was reset, e.g. an
/// interface was recreated).
#[must_use]
pub fn bytes_per_sec(previous_total: u64, current_total: u64, elapsed: Duration) -> Option<f64> {
    if elapsed.is_zero() || current_total < previous_total {
        return None;
    }
    Some((current_total - previous_total) as f64 / elapsed.as_secs_f64())
}

/// The previous readings of a family of named counters (one per interface, or per
/// disk), so each new reading can be turned into a rate.
#[derive(Debug, Default)]
pub struct CounterRates {
    previous: HashMap<String, u64>,
}

impl CounterRates {
    /// Records `current_total` for `key` and returns the rate since the previous
    /// reading of the same key, or `None` for a key seen for the first time.
    pub fn update(&mut self, key: &str, current_total: u64, elapsed: Duration) -> Option<f64> {
        if let Some(previous) = self.previous.get_mut(key) {
            let rate = bytes_per_sec(*previous, current_total, elapsed);
            *previous = current_total;
            rate
        } else {
            self.previous.insert(key.to_owned(), current_total);
            None
        }
    }

    /// Forgets keys that were not updated in the last round, so a family whose
    /// members come and go (USB disks, VPN interfaces) does not grow without bound.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.previous.retain(|key, _| keep(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_uses_the_measured_elapsed_time() {
        // 3,000 bytes over 1.5 s is 2,000 B/s, not the 3,000 B/s an assumed second gives.
        assert_eq!(
            bytes_per_sec(10_000, 13_000, Duration::from_millis(1500)),
            Some(2000.0)
        );
        assert_eq!(
            bytes_per_sec(0, 500, Duration::from_millis(250)),
            Some(2000.0)
        );
        assert_eq!(bytes_per_sec(7, 7, Duration::from_secs(1)), Some(0.0));
    }

    #[test]
    fn no_rate_without_time_or_across_a_counter_reset() {
        assert_eq!(bytes_per_sec(0, 100, Duration::ZERO), None);
        assert_eq!(bytes_per_sec(5_000, 100, Duration::from_secs(1)), None);
    }

    #[test]
    fn counter_rates_start_unknown_then_follow_each_key() {
        let mut rates = CounterRates::default();
        let second = Duration::from_secs(1);
        assert_eq!(rates.update("eth0", 1_000, second), None);
        assert_eq!(rates.update("eth1", 50, second), None);
        assert_eq!(
            rates.update("eth0", 1_600, Duration::from_millis(500)),
            Some(1200.0)
        );
        assert_eq!(rates.update("eth1", 150, second), Some(100.0));

        rates.retain(|key| key == "eth0");
        assert_eq!(
            rates.update("eth1", 250, second),
            None,
            "eth1 was forgotten"
        );
        assert_eq!(rates.update("eth0", 1_600, second), Some(0.0));
    }
}
