//! Alerts in words for a person: which host, what, and how much, with the
//! value in its unit (read from the metric's name, which carries it). The
//! notifications, the alerts panel and the plots' labels all say it the same
//! way.

use std::time::Duration;

use hostpulse_alerts::rule::format_duration;
use hostpulse_shared::{AlertEvent, AlertRule, AlertState, Comparison};

use crate::format;

/// `value` of `metric` with its unit: `93.2 %`, `4.0 °C below critical`,
/// `1.2 MiB/s`, `1.52 per core`.
#[must_use]
pub fn value(metric: &str, value: f64) -> String {
    if metric == "sampler.stalled" {
        return if value >= 0.5 { "stalled" } else { "sampling" }.to_owned();
    }
    if metric == "temperature.below_critical_celsius" {
        return format!("{value:.1} °C below critical");
    }
    if metric.ends_with("_percent") {
        format!("{value:.1} %")
    } else if metric.ends_with("celsius") {
        format!("{value:.1} °C")
    } else if metric.ends_with("_bytes_per_sec") {
        format::bytes_per_sec(value)
    } else if metric.ends_with("_per_core") {
        format!("{value:.2} per core")
    } else {
        format!("{value:.2}")
    }
}

/// What the rule watches, in words: the metric, and the instance when the
/// rule is about one of several (`filesystem.used_percent of /srv`).
#[must_use]
pub fn what(event: &AlertEvent) -> String {
    if event.instance.is_empty() {
        event.metric.clone()
    } else {
        format!("{} of {}", event.metric, event.instance)
    }
}

/// The notification's title: `db-1: filesystem_full firing on /srv`.
#[must_use]
pub fn headline(host: &str, event: &AlertEvent) -> String {
    format!("{host}: {}", transition(event))
}

/// What happened, without the host: `filesystem_full firing on /srv`.
#[must_use]
pub fn transition(event: &AlertEvent) -> String {
    let state = match event.state {
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
        AlertState::Unknown => "changed",
    };
    if event.instance.is_empty() {
        format!("{} {state}", event.rule)
    } else {
        format!("{} {state} on {}", event.rule, event.instance)
    }
}

/// How much, against which threshold: `filesystem.used_percent of /srv is
/// 93.4 %, above 90.0 %` when firing, `… is back to 84.0 %, below 85.0 %
/// after 12m` when resolved. `rule` gives the side of the threshold; without
/// it the sentence just names the threshold.
#[must_use]
pub fn how_much(event: &AlertEvent, rule: Option<&AlertRule>) -> String {
    let value = value(&event.metric, event.value);
    let threshold = self::value(&event.metric, event.threshold);
    let what = what(event);
    let side = |firing: bool| match (rule.map(|r| r.comparison), firing) {
        (Some(Comparison::Above), true) | (Some(Comparison::Below), false) => "above ",
        (Some(Comparison::Below), true) | (Some(Comparison::Above), false) => "below ",
        (None, _) => "threshold ",
    };
    if event.metric == "sampler.stalled" {
        return match event.state {
            AlertState::Resolved => "samples are coming again".to_owned(),
            _ => "no sample has been taken for five intervals".to_owned(),
        };
    }
    match event.state {
        AlertState::Firing => format!("{what} is {value}, {}{threshold}", side(true)),
        AlertState::Resolved => {
            let lasted_ms = event.timestamp_ms.saturating_sub(event.firing_since_ms);
            format!(
                "{what} is back to {value}, {}{threshold}, after {}",
                side(false),
                format_duration(Duration::from_millis(lasted_ms / 1000 * 1000))
            )
        }
        AlertState::Unknown => format!("{what} is {value}"),
    }
}

/// The whole notification text under the headline: how much, then the
/// rule's own sentence if it has one.
#[must_use]
pub fn body(event: &AlertEvent, rule: Option<&AlertRule>) -> String {
    let how_much = how_much(event, rule);
    match &event.description {
        Some(description) if event.state == AlertState::Firing => {
            format!("{how_much}.\n{description}")
        }
        _ => format!("{how_much}."),
    }
}

/// A rule as one line: `cpu_busy: cpu.total_percent above 90.0 % for 5m`.
#[must_use]
pub fn rule(rule: &AlertRule) -> String {
    let side = match rule.comparison {
        Comparison::Above => "above",
        Comparison::Below => "below",
    };
    let scope = rule
        .instance
        .as_ref()
        .map(|instance| format!(" of {instance}"))
        .unwrap_or_default();
    if rule.metric == "sampler.stalled" {
        return format!("{}: no sample for five intervals", rule.name);
    }
    let wait = match rule.for_secs {
        0 => "at once".to_owned(),
        secs => format!("for {}", format_duration(Duration::from_secs(secs))),
    };
    format!(
        "{}: {}{scope} {side} {} {wait}",
        rule.name,
        rule.metric,
        value(&rule.metric, rule.threshold),
    )
}

#[cfg(test)]
mod tests {
    use hostpulse_shared::Severity;

    use super::*;
    use crate::alerts::tests::event;

    fn disk_rule() -> AlertRule {
        AlertRule {
            name: "full".into(),
            metric: "filesystem.used_percent".into(),
            instance: None,
            comparison: Comparison::Above,
            threshold: 90.0,
            clear: 85.0,
            for_secs: 60,
            severity: Severity::Warning,
            description: None,
        }
    }

    #[test]
    fn values_carry_the_unit_of_their_metric() {
        assert_eq!(value("cpu.total_percent", 93.24), "93.2 %");
        assert_eq!(value("temperature.celsius", 96.0), "96.0 °C");
        assert_eq!(
            value("temperature.below_critical_celsius", 4.0),
            "4.0 °C below critical"
        );
        assert_eq!(value("network.rx_bytes_per_sec", 2048.0), "2.0 KiB/s");
        assert_eq!(value("load.1m_per_core", 1.5), "1.50 per core");
    }

    #[test]
    fn a_notice_names_the_host_what_and_how_much() {
        let mut fired = event("full", "/srv", AlertState::Firing, 60_000, 60_000);
        fired.value = 93.44;
        fired.description = Some("A file system is over 90 % full.".into());
        assert_eq!(headline("db-1", &fired), "db-1: full firing on /srv");
        assert_eq!(
            body(&fired, Some(&disk_rule())),
            "filesystem.used_percent of /srv is 93.4 %, above 90.0 %.\n\
             A file system is over 90 % full."
        );
        let mut resolved = event("full", "/srv", AlertState::Resolved, 780_000, 60_000);
        resolved.value = 84.0;
        resolved.threshold = 85.0;
        assert_eq!(
            body(&resolved, Some(&disk_rule())),
            "filesystem.used_percent of /srv is back to 84.0 %, below 85.0 %, after 12m."
        );
        assert_eq!(
            rule(&disk_rule()),
            "full: filesystem.used_percent above 90.0 % for 1m"
        );
    }
}
