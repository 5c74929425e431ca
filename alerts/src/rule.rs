//! A validated alert rule: what it watches, which side of which threshold is
//! bad, how long it must stay bad, and where it clears.
//!
//! Flapping is handled by the rule's shape, not by timers: once a value has
//! crossed the threshold, only coming back past the separate `clear`
//! threshold cancels the wait or resolves the alert. A value that wobbles
//! around the threshold therefore fires once and stays firing.

use std::time::Duration;

use hostpulse_shared::{AlertRule, Comparison, Severity};

use crate::metric::Metric;

/// One rule, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique among the rules; used in messages, labels and `--test-alert`.
    pub name: String,
    /// What it watches.
    pub metric: Metric,
    /// Only this instance (mount, sensor, interface); every one when `None`.
    pub instance: Option<String>,
    /// The bad side of the threshold.
    pub comparison: Comparison,
    /// Crossing it starts the wait.
    pub threshold: f64,
    /// Coming back past it cancels the wait or resolves the alert.
    pub clear: f64,
    /// How long the value must stay past `clear` after crossing `threshold`.
    pub for_duration: Duration,
    /// How bad.
    pub severity: Severity,
    /// A sentence for a person.
    pub description: Option<String>,
}

impl Rule {
    /// Whether `value` is past the threshold.
    #[must_use]
    pub fn is_bad(&self, value: f64) -> bool {
        match self.comparison {
            Comparison::Above => value > self.threshold,
            Comparison::Below => value < self.threshold,
        }
    }

    /// Whether `value` is back past the clear threshold.
    #[must_use]
    pub fn is_clear(&self, value: f64) -> bool {
        match self.comparison {
            Comparison::Above => value < self.clear,
            Comparison::Below => value > self.clear,
        }
    }

    /// The rule as viewers see it.
    #[must_use]
    pub fn to_wire(&self) -> AlertRule {
        AlertRule {
            name: self.name.clone(),
            metric: self.metric.name().to_owned(),
            instance: self.instance.clone(),
            comparison: self.comparison,
            threshold: self.threshold,
            clear: self.clear,
            for_secs: self.for_duration.as_secs(),
            severity: self.severity,
            description: self.description.clone(),
        }
    }

    /// One line for `--check-config`, e.g.
    /// `cpu_busy: cpu.total_percent above 90 for 5m, clears below 80 (warning)`.
    #[must_use]
    pub fn summary(&self) -> String {
        let (side, back) = match self.comparison {
            Comparison::Above => ("above", "below"),
            Comparison::Below => ("below", "above"),
        };
        let scope = match (&self.instance, self.metric.instances()) {
            (Some(instance), crate::metric::Instances::Each(key)) => {
                format!(" ({key} {instance:?})")
            }
            (None, crate::metric::Instances::Each(key)) => format!(" (every {key})"),
            _ => String::new(),
        };
        let condition = if self.metric.is_flag() {
            String::new()
        } else {
            format!(" {side} {}", self.threshold)
        };
        let clears = if self.metric.is_flag() {
            String::new()
        } else {
            format!(", clears {back} {}", self.clear)
        };
        format!(
            "{}: {}{scope}{condition} for {}{clears} ({})",
            self.name,
            self.metric.name(),
            format_duration(self.for_duration),
            self.severity.as_str()
        )
    }
}

/// `5m`, `90s`, `1h 30m`: the way rules write durations.
#[must_use]
pub fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let parts = [(secs / 3600, "h"), (secs / 60 % 60, "m"), (secs % 60, "s")];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(comparison: Comparison, threshold: f64, clear: f64) -> Rule {
        Rule {
            name: "r".into(),
            metric: Metric::CpuTotalPercent,
            instance: None,
            comparison,
            threshold,
            clear,
            for_duration: Duration::from_secs(330),
            severity: Severity::Warning,
            description: None,
        }
    }

    #[test]
    fn the_bad_side_and_the_clear_side_depend_on_the_comparison() {
        let above = rule(Comparison::Above, 90.0, 80.0);
        assert!(above.is_bad(90.5) && !above.is_bad(90.0));
        assert!(above.is_clear(79.9) && !above.is_clear(85.0));
        let below = rule(Comparison::Below, 10.0, 15.0);
        assert!(below.is_bad(9.0) && !below.is_bad(12.0));
        assert!(below.is_clear(15.5) && !below.is_clear(12.0));
    }

    #[test]
    fn summaries_read_as_a_sentence() {
        assert_eq!(
            rule(Comparison::Above, 90.0, 80.0).summary(),
            "r: cpu.total_percent above 90 for 5m 30s, clears below 80 (warning)"
        );
    }
}
