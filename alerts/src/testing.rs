//! Fixtures shared by the unit tests.

use hostpulse_shared::{AlertEvent, AlertState, Severity};

/// `rule` firing at `timestamp_ms` on the CPU, 95 against 90.
pub(crate) fn firing(rule: &str, timestamp_ms: u64) -> AlertEvent {
    AlertEvent {
        rule: rule.into(),
        metric: "cpu.total_percent".into(),
        instance: String::new(),
        state: AlertState::Firing,
        severity: Severity::Warning,
        value: 95.0,
        threshold: 90.0,
        timestamp_ms,
        firing_since_ms: timestamp_ms,
        description: None,
    }
}
