//! How long to wait before the next reconnect: exponential with jitter, so a
//! fleet of dashboards does not hammer a server that has just come back.

use std::time::Duration;

/// First delay.
const BASE: Duration = Duration::from_millis(500);
/// Growth per failed attempt.
const FACTOR: f64 = 1.6;
/// Longest delay.
const CAP: Duration = Duration::from_secs(30);
/// Jitter as a fraction of the delay, either way.
const JITTER: f64 = 0.2;

/// The delay before attempt number `attempt` (0 for the first retry). `jitter` is
/// a number in `[-1, 1]` that spreads the delay by up to ±20 %.
#[must_use]
pub fn reconnect_delay(attempt: u32, jitter: f64) -> Duration {
    let exponent = i32::try_from(attempt.min(64)).unwrap_or(64);
    let nominal = (BASE.as_secs_f64() * FACTOR.powi(exponent)).min(CAP.as_secs_f64());
    let spread = 1.0 + JITTER * jitter.clamp(-1.0, 1.0);
    Duration::from_secs_f64(nominal * spread)
}

/// [`reconnect_delay`] with fresh random jitter.
#[must_use]
pub fn random_reconnect_delay(attempt: u32) -> Duration {
    reconnect_delay(attempt, fastrand::f64().mul_add(2.0, -1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_1_6_from_half_a_second_up_to_30_seconds() {
        assert_eq!(reconnect_delay(0, 0.0), Duration::from_millis(500));
        assert_eq!(reconnect_delay(1, 0.0), Duration::from_millis(800));
        assert_eq!(reconnect_delay(2, 0.0), Duration::from_millis(1280));
        assert_eq!(reconnect_delay(20, 0.0), CAP);
        assert_eq!(reconnect_delay(u32::MAX, 0.0), CAP);
    }

    #[test]
    fn jitter_spreads_by_twenty_percent() {
        assert_eq!(reconnect_delay(0, 1.0), Duration::from_millis(600));
        assert_eq!(reconnect_delay(0, -1.0), Duration::from_millis(400));
        assert_eq!(
            reconnect_delay(0, 7.0),
            Duration::from_millis(600),
            "clamped"
        );
        for _ in 0..100 {
            let delay = random_reconnect_delay(0);
            assert!(delay >= Duration::from_millis(400) && delay <= Duration::from_millis(600));
        }
    }
}
