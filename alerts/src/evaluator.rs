//! The state machine of every rule and instance: pending once the value
//! crosses the threshold, firing once it has stayed past the clear threshold
//! for the rule's `for`, resolved once it comes back past the clear threshold.
//! Pure: samples in, transitions out, no clock of its own (time is the
//! sample's timestamp), so a recorded series replays exactly.

use std::collections::HashMap;

use hostpulse_shared::{AlertEvent, AlertState, Sample};

use crate::metric::Metric;
use crate::rule::Rule;

/// Where one instance of one rule stands. Instances with no entry are fine.
#[derive(Debug, Clone, PartialEq)]
enum Track {
    /// Crossed the threshold at `since_ms`; not back past the clear threshold.
    Pending { since_ms: u64 },
    /// Fired with this event.
    Firing(AlertEvent),
}

#[derive(Debug, Clone)]
struct Watched {
    rule: Rule,
    for_ms: u64,
    /// By instance ("" for host-wide metrics).
    tracks: HashMap<String, Track>,
}

/// Evaluates a fixed set of rules against each sample.
#[derive(Debug, Clone)]
pub struct Evaluator {
    watched: Vec<Watched>,
}

impl Evaluator {
    /// An evaluator of `rules`, with nothing pending or firing.
    #[must_use]
    pub fn new(rules: Vec<Rule>) -> Self {
        Self {
            watched: rules
                .into_iter()
                .map(|rule| Watched {
                    for_ms: u64::try_from(rule.for_duration.as_millis()).unwrap_or(u64::MAX),
                    rule,
                    tracks: HashMap::new(),
                })
                .collect(),
        }
    }

    /// The rules, in config order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.watched.iter().map(|w| &w.rule)
    }

    /// Takes up alerts that were firing before a restart, without new events:
    /// they resolve as usual once their value clears. Alerts of rules that no
    /// longer exist are dropped; returns how many were taken up.
    pub fn restore(&mut self, firing: impl IntoIterator<Item = AlertEvent>) -> usize {
        let mut restored = 0;
        for event in firing {
            if event.state != AlertState::Firing {
                continue;
            }
            if let Some(watched) = self.watched.iter_mut().find(|w| w.rule.name == event.rule) {
                watched
                    .tracks
                    .insert(event.instance.clone(), Track::Firing(event));
                restored += 1;
            }
        }
        restored
    }

    /// Evaluates every rule (but `sampler.stalled`) against `sample`, and
    /// appends the transitions it causes to `events`.
    pub fn on_sample(&mut self, sample: &Sample, events: &mut Vec<AlertEvent>) {
        let now_ms = sample.timestamp_ms;
        for watched in &mut self.watched {
            if watched.rule.metric == Metric::SamplerStalled {
                continue;
            }
            let Watched {
                rule,
                for_ms,
                tracks,
            } = watched;
            rule.metric
                .for_each(sample, rule.instance.as_deref(), |instance, value| {
                    step(rule, *for_ms, tracks, instance, value, now_ms, events);
                });
        }
    }

    /// Evaluates the `sampler.stalled` rules: `stalled` says whether samples
    /// have stopped coming, as of `now_ms`.
    pub fn on_stall_check(&mut self, now_ms: u64, stalled: bool, events: &mut Vec<AlertEvent>) {
        let value = if stalled { 1.0 } else { 0.0 };
        for watched in &mut self.watched {
            if watched.rule.metric == Metric::SamplerStalled {
                step(
                    &watched.rule,
                    watched.for_ms,
                    &mut watched.tracks,
                    "",
                    value,
                    now_ms,
                    events,
                );
            }
        }
    }

    /// Every alert firing now, oldest first.
    #[must_use]
    pub fn firing(&self) -> Vec<AlertEvent> {
        let mut firing: Vec<AlertEvent> = self
            .watched
            .iter()
            .flat_map(|w| w.tracks.values())
            .filter_map(|track| match track {
                Track::Firing(event) => Some(event.clone()),
                Track::Pending { .. } => None,
            })
            .collect();
        firing.sort_by(|a, b| {
            (a.firing_since_ms, &a.rule, &a.instance).cmp(&(
                b.firing_since_ms,
                &b.rule,
                &b.instance,
            ))
        });
        firing
    }
}

/// One value of one instance of one rule.
fn step(
    rule: &Rule,
    for_ms: u64,
    tracks: &mut HashMap<String, Track>,
    instance: &str,
    value: f64,
    now_ms: u64,
    events: &mut Vec<AlertEvent>,
) {
    let event = |state: AlertState, threshold: f64, since_ms: u64| AlertEvent {
        rule: rule.name.clone(),
        metric: rule.metric.name().to_owned(),
        instance: instance.to_owned(),
        state,
        severity: rule.severity,
        value,
        threshold,
        timestamp_ms: now_ms,
        firing_since_ms: since_ms,
        description: rule.description.clone(),
    };
    match tracks.get(instance) {
        None => {
            if !rule.is_bad(value) {
                return;
            }
            if for_ms == 0 {
                let fired = event(AlertState::Firing, rule.threshold, now_ms);
                events.push(fired.clone());
                tracks.insert(instance.to_owned(), Track::Firing(fired));
            } else {
                tracks.insert(instance.to_owned(), Track::Pending { since_ms: now_ms });
            }
        }
        Some(Track::Pending { since_ms }) => {
            let since_ms = *since_ms;
            if rule.is_clear(value) {
                tracks.remove(instance);
            } else if now_ms.saturating_sub(since_ms) >= for_ms {
                let fired = event(AlertState::Firing, rule.threshold, now_ms);
                events.push(fired.clone());
                tracks.insert(instance.to_owned(), Track::Firing(fired));
            }
        }
        Some(Track::Firing(fired)) => {
            if rule.is_clear(value) {
                events.push(event(
                    AlertState::Resolved,
                    rule.clear,
                    fired.firing_since_ms,
                ));
                tracks.remove(instance);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hostpulse_shared::{Comparison, DiskSample, Severity, TemperatureSample};

    use super::*;

    const MINUTE_MS: u64 = 60_000;

    fn cpu_rule() -> Rule {
        crate::config::default_rules()
            .into_iter()
            .find(|r| r.name == "cpu_busy")
            .unwrap()
    }

    fn cpu_at(timestamp_ms: u64, percent: f32) -> Sample {
        let mut sample = Sample {
            timestamp_ms,
            ..Sample::default()
        };
        sample.cpu.total_percent = percent;
        sample
    }

    /// Feeds `(timestamp_ms, percent)` pairs and returns every transition.
    fn replay(
        evaluator: &mut Evaluator,
        series: impl Iterator<Item = (u64, f32)>,
    ) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        for (t, percent) in series {
            evaluator.on_sample(&cpu_at(t, percent), &mut events);
        }
        events
    }

    #[test]
    fn a_value_wobbling_around_the_threshold_for_an_hour_fires_once_and_resolves_once() {
        // The recorded series: 10 minutes quiet at 50 %, an hour at 1 Hz
        // alternating 1 % either side of the 90 % threshold (89.1, 90.9, …),
        // then 10 minutes quiet again.
        let quiet = 10 * MINUTE_MS;
        let wobble = 60 * MINUTE_MS;
        let series = (0..(quiet + wobble + quiet) / 1000).map(|second| {
            let t = second * 1000;
            let percent = if t < quiet || t >= quiet + wobble {
                50.0
            } else if second % 2 == 0 {
                90.0 * 1.01
            } else {
                90.0 * 0.99
            };
            (1_764_000_000_000 + t, percent)
        });
        let mut evaluator = Evaluator::new(vec![cpu_rule()]);
        let events = replay(&mut evaluator, series);
        let states: Vec<AlertState> = events.iter().map(|e| e.state).collect();
        assert_eq!(states, [AlertState::Firing, AlertState::Resolved]);
        // It fired once the wobble had lasted the rule's 5 minutes, and
        // resolved at the first quiet sample.
        assert_eq!(
            events[0].timestamp_ms - 1_764_000_000_000,
            quiet + 5 * MINUTE_MS
        );
        assert_eq!(events[1].timestamp_ms - 1_764_000_000_000, quiet + wobble);
        assert!(
            (events[1].threshold - 80.0).abs() < 1e-9,
            "resolved past the clear threshold"
        );
        assert!(evaluator.firing().is_empty());
    }

    #[test]
    fn a_dip_past_the_clear_threshold_restarts_the_wait() {
        let mut evaluator = Evaluator::new(vec![cpu_rule()]);
        let mut series = vec![
            (0, 95.0),
            (4 * MINUTE_MS, 95.0),
            (4 * MINUTE_MS + 1000, 70.0),
        ];
        series.extend((0..=5).map(|m| (5 * MINUTE_MS + m * MINUTE_MS, 95.0)));
        let events = replay(&mut evaluator, series.into_iter());
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].timestamp_ms,
            10 * MINUTE_MS,
            "5 minutes after the dip"
        );
        assert_eq!(events[0].state, AlertState::Firing);
        assert!((events[0].value - 95.0).abs() < 1e-9);
        assert_eq!(evaluator.firing(), events);
    }

    #[test]
    fn each_mount_fires_on_its_own() {
        let rule = crate::config::default_rules()
            .into_iter()
            .find(|r| r.name == "filesystem_full")
            .unwrap();
        let disks = |root_available: u64, home_available: u64| {
            vec![
                DiskSample {
                    mount_point: "/".into(),
                    total_bytes: 100,
                    available_bytes: root_available,
                    ..DiskSample::default()
                },
                DiskSample {
                    mount_point: "/home".into(),
                    total_bytes: 100,
                    available_bytes: home_available,
                    ..DiskSample::default()
                },
            ]
        };
        let mut evaluator = Evaluator::new(vec![rule]);
        let mut events = Vec::new();
        for (t, (root, home)) in [(0, (5, 50)), (MINUTE_MS, (5, 5)), (2 * MINUTE_MS, (20, 5))] {
            let sample = Sample {
                timestamp_ms: t,
                disks: disks(root, home),
                ..Sample::default()
            };
            evaluator.on_sample(&sample, &mut events);
        }
        let seen: Vec<(&str, AlertState)> = events
            .iter()
            .map(|e| (e.instance.as_str(), e.state))
            .collect();
        assert_eq!(
            seen,
            [
                ("/", AlertState::Firing),
                ("/", AlertState::Resolved),
                ("/home", AlertState::Firing),
            ],
            "/home filled up a minute after /, and fired a minute after that"
        );
        assert_eq!(evaluator.firing().len(), 1);
    }

    #[test]
    fn the_default_sensor_rule_fires_near_the_critical_temperature_and_resolves_below_it() {
        let rule = crate::config::default_rules()
            .into_iter()
            .find(|r| r.name == "sensor_hot")
            .unwrap();
        let sensors = |package: f32| {
            vec![
                TemperatureSample {
                    label: "coretemp Package id 0".into(),
                    celsius: package,
                    critical_celsius: Some(100.0),
                },
                // Hotter, but it reports no critical value: never judged.
                TemperatureSample {
                    label: "acpitz".into(),
                    celsius: 110.0,
                    critical_celsius: None,
                },
            ]
        };
        let mut evaluator = Evaluator::new(vec![rule]);
        let mut events = Vec::new();
        // 96 °C: 4 °C below critical, for 30 s; then 93 °C (not yet clear:
        // 7 °C below); then 91 °C, 9 °C below, past the clear threshold of 8.
        for (t, package) in [(0, 96.0), (30_000, 96.0), (40_000, 93.0), (50_000, 91.0)] {
            let sample = Sample {
                timestamp_ms: t,
                temperatures: sensors(package),
                ..Sample::default()
            };
            evaluator.on_sample(&sample, &mut events);
        }
        let seen: Vec<(&str, AlertState, u64)> = events
            .iter()
            .map(|e| (e.instance.as_str(), e.state, e.timestamp_ms))
            .collect();
        assert_eq!(
            seen,
            [
                ("coretemp Package id 0", AlertState::Firing, 30_000),
                ("coretemp Package id 0", AlertState::Resolved, 50_000),
            ]
        );
        assert!((events[0].value - 4.0).abs() < 1e-9, "{:?}", events[0]);
    }

    #[test]
    fn an_alert_restored_after_a_restart_fires_no_second_time_and_still_resolves() {
        let mut before = Evaluator::new(vec![cpu_rule()]);
        let fired = replay(&mut before, [(0, 95.0), (5 * MINUTE_MS, 95.0)].into_iter());
        assert_eq!(fired.len(), 1);

        let mut after = Evaluator::new(vec![cpu_rule()]);
        assert_eq!(after.restore(before.firing()), 1);
        assert_eq!(after.firing(), fired);
        let still_busy = replay(
            &mut after,
            [(6 * MINUTE_MS, 95.0), (12 * MINUTE_MS, 95.0)].into_iter(),
        );
        assert!(
            still_busy.is_empty(),
            "no second notification: {still_busy:?}"
        );
        let calm = replay(&mut after, [(13 * MINUTE_MS, 10.0)].into_iter());
        assert_eq!(calm.len(), 1);
        assert_eq!(calm[0].state, AlertState::Resolved);
        assert_eq!(calm[0].firing_since_ms, 5 * MINUTE_MS);

        let mut renamed = Evaluator::new(Vec::new());
        assert_eq!(
            renamed.restore(before.firing()),
            0,
            "a removed rule's alert is dropped"
        );
    }

    #[test]
    fn a_stalled_sampler_fires_at_once_and_resolves_when_samples_return() {
        let rule = Rule {
            name: "stalled".into(),
            metric: Metric::SamplerStalled,
            instance: None,
            comparison: Comparison::Above,
            threshold: 0.5,
            clear: 0.5,
            for_duration: Duration::ZERO,
            severity: Severity::Critical,
            description: None,
        };
        let mut evaluator = Evaluator::new(vec![rule]);
        let mut events = Vec::new();
        evaluator.on_sample(&cpu_at(0, 100.0), &mut events);
        evaluator.on_stall_check(1000, false, &mut events);
        assert!(events.is_empty());
        evaluator.on_stall_check(2000, true, &mut events);
        evaluator.on_stall_check(3000, true, &mut events);
        evaluator.on_stall_check(4000, false, &mut events);
        let states: Vec<AlertState> = events.iter().map(|e| e.state).collect();
        assert_eq!(states, [AlertState::Firing, AlertState::Resolved]);
    }
}
