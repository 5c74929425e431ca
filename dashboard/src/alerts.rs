//! What a host's server says about alerts: the rules in force, what is
//! firing, and when each alert fired and resolved (the spans shaded on the
//! plots), with the transitions the app has not yet logged and announced.
//! Pure data, no egui and no I/O, so it is tested on its own.
//!
//! The server's hello lists the rules and what is firing, and each later
//! transition comes as an `alert` message. A viewer connecting at the moment
//! of a transition may get it twice, in the hello and as a message
//! (PROTOCOL.md, *hello*): alerts are keyed by `(rule, instance)`, and a
//! transition that changes nothing is not news.
//!
//! - [`describe`]: alerts in words for a person (values with their units).
//! - [`log`]: the dashboard-wide log of transitions, newest first.
//! - [`reachability`]: the dashboard's own rule, a host unreachable for 30 s.

pub mod describe;
pub mod log;
pub mod reachability;

use std::collections::VecDeque;

use hostpulse_shared::{AlertEvent, AlertRule, AlertState, AlertsSummary, Severity};

/// Closed firing spans kept per host for the plots; the oldest go first.
/// A day of an alert flapping every ten minutes is 144.
pub const MAX_SPANS: usize = 512;

/// Transitions kept for the app to take; more means nobody is taking them
/// (a host fed without an app), and the oldest go.
const MAX_FRESH: usize = 256;

/// One stretch of time during which an alert fired.
#[derive(Debug, Clone, PartialEq)]
pub struct FiringSpan {
    /// The rule's name.
    pub rule: String,
    /// The metric the rule watches.
    pub metric: String,
    /// The instance ("" for host-wide metrics).
    pub instance: String,
    /// How bad.
    pub severity: Severity,
    /// When it started firing (Unix ms, the host's clock).
    pub start_ms: u64,
    /// When it resolved; `None` while it still fires.
    pub end_ms: Option<u64>,
}

/// One host's alerts, as its server reports them.
#[derive(Debug, Default)]
pub struct HostAlerts {
    /// The rules of the last hello; `None` when the server evaluates no
    /// alerts (or predates them).
    rules: Option<Vec<AlertRule>>,
    /// Firing now, in the order they started.
    firing: Vec<AlertEvent>,
    /// Spans that ended, oldest first.
    closed: VecDeque<FiringSpan>,
    /// Transitions not yet taken by the app, oldest first.
    fresh: Vec<AlertEvent>,
    /// A hello has come before: the next one is a reconnect.
    greeted: bool,
}

impl HostAlerts {
    /// Takes up the alerting part of a hello received at `now_ms`. On the
    /// first hello, what is firing is shown but not announced: it fired
    /// before the dashboard was watching. On a reconnect, an alert that
    /// started firing meanwhile is announced, and one that stopped has its
    /// span closed at `now_ms` (the resolve itself was missed).
    pub fn on_hello(&mut self, summary: Option<&AlertsSummary>, now_ms: u64) {
        let (rules, firing) = match summary {
            Some(summary) => (Some(summary.rules.clone()), summary.firing.clone()),
            None => (None, Vec::new()),
        };
        self.rules = rules;
        let before = std::mem::take(&mut self.firing);
        for gone in before.iter().filter(|old| !contains(&firing, old)) {
            self.close_span(span_of(gone, Some(now_ms.max(gone.firing_since_ms))));
        }
        for event in &firing {
            if self.greeted && !contains(&before, event) {
                self.push_fresh(event.clone());
            }
        }
        self.firing = firing;
        self.greeted = true;
    }

    /// Takes up one transition. A firing for an alert already firing since
    /// the same moment, or a resolve for one not firing, is the same news
    /// twice: it changes nothing and is not announced again.
    pub fn on_event(&mut self, event: AlertEvent) {
        let at = self.firing.iter().position(|f| same_alert(f, &event));
        match event.state {
            AlertState::Firing => {
                if let Some(at) = at {
                    if self.firing[at].firing_since_ms == event.firing_since_ms {
                        return;
                    }
                    self.firing.remove(at);
                }
                self.firing.push(event.clone());
            }
            AlertState::Resolved => {
                let Some(at) = at else { return };
                self.firing.remove(at);
                self.close_span(span_of(&event, Some(event.timestamp_ms)));
            }
            // News to show, not to act on (PROTOCOL.md, *alert*).
            AlertState::Unknown => {}
        }
        self.push_fresh(event);
    }

    /// The transitions since the last call, oldest first.
    pub fn take_fresh(&mut self) -> Vec<AlertEvent> {
        std::mem::take(&mut self.fresh)
    }

    /// Whether the server evaluates alert rules.
    #[must_use]
    pub fn evaluated(&self) -> bool {
        self.rules.is_some()
    }

    /// The rules in force (none when the server evaluates none).
    #[must_use]
    pub fn rules(&self) -> &[AlertRule] {
        self.rules.as_deref().unwrap_or_default()
    }

    /// The rule named `name`, if the server has it.
    #[must_use]
    pub fn rule(&self, name: &str) -> Option<&AlertRule> {
        self.rules().iter().find(|rule| rule.name == name)
    }

    /// What is firing now, in the order it started.
    #[must_use]
    pub fn firing(&self) -> &[AlertEvent] {
        &self.firing
    }

    /// The worst severity firing now, if anything is.
    #[must_use]
    pub fn worst(&self) -> Option<Severity> {
        self.firing.iter().map(|event| event.severity).max()
    }

    /// Every span kept: the closed ones, oldest first, then the open ones.
    pub fn spans(&self) -> impl Iterator<Item = FiringSpan> + '_ {
        self.closed
            .iter()
            .cloned()
            .chain(self.firing.iter().map(|event| span_of(event, None)))
    }

    fn close_span(&mut self, span: FiringSpan) {
        if self.closed.contains(&span) {
            return;
        }
        if self.closed.len() == MAX_SPANS {
            self.closed.pop_front();
        }
        self.closed.push_back(span);
    }

    fn push_fresh(&mut self, event: AlertEvent) {
        if self.fresh.len() == MAX_FRESH {
            self.fresh.remove(0);
        }
        self.fresh.push(event);
    }
}

/// The same rule on the same instance.
fn same_alert(a: &AlertEvent, b: &AlertEvent) -> bool {
    a.rule == b.rule && a.instance == b.instance
}

/// Whether `list` has `event`'s alert, firing since the same moment.
fn contains(list: &[AlertEvent], event: &AlertEvent) -> bool {
    list.iter()
        .any(|e| same_alert(e, event) && e.firing_since_ms == event.firing_since_ms)
}

fn span_of(event: &AlertEvent, end_ms: Option<u64>) -> FiringSpan {
    FiringSpan {
        rule: event.rule.clone(),
        metric: event.metric.clone(),
        instance: event.instance.clone(),
        severity: event.severity,
        start_ms: event.firing_since_ms,
        end_ms,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A transition of rule `rule` on `instance`, at `at_ms`, firing since
    /// `since_ms`.
    pub(crate) fn event(
        rule: &str,
        instance: &str,
        state: AlertState,
        at_ms: u64,
        since_ms: u64,
    ) -> AlertEvent {
        AlertEvent {
            rule: rule.into(),
            metric: "filesystem.used_percent".into(),
            instance: instance.into(),
            state,
            severity: Severity::Warning,
            value: 93.0,
            threshold: 90.0,
            timestamp_ms: at_ms,
            firing_since_ms: since_ms,
            description: None,
        }
    }

    fn summary(firing: Vec<AlertEvent>) -> AlertsSummary {
        AlertsSummary {
            rules: Vec::new(),
            firing,
        }
    }

    #[test]
    fn a_fire_and_a_resolve_are_news_once_and_leave_a_span() {
        let mut alerts = HostAlerts::default();
        alerts.on_hello(Some(&summary(Vec::new())), 0);
        assert!(alerts.evaluated());
        let fired = event("full", "/srv", AlertState::Firing, 1_000, 1_000);
        alerts.on_event(fired.clone());
        // The same firing again (it was in a hello read meanwhile): no news.
        alerts.on_event(fired.clone());
        assert_eq!(alerts.firing(), std::slice::from_ref(&fired));
        assert_eq!(alerts.worst(), Some(Severity::Warning));
        let resolved = event("full", "/srv", AlertState::Resolved, 5_000, 1_000);
        alerts.on_event(resolved.clone());
        alerts.on_event(resolved.clone());
        assert_eq!(alerts.take_fresh(), [fired, resolved]);
        assert!(alerts.take_fresh().is_empty());
        assert!(alerts.firing().is_empty());
        let spans: Vec<FiringSpan> = alerts.spans().collect();
        assert_eq!(spans.len(), 1);
        assert_eq!((spans[0].start_ms, spans[0].end_ms), (1_000, Some(5_000)));
    }

    #[test]
    fn the_first_hello_shows_what_fires_and_a_reconnect_announces_what_changed() {
        let mut alerts = HostAlerts::default();
        let old = event("full", "/srv", AlertState::Firing, 1_000, 1_000);
        alerts.on_hello(Some(&summary(vec![old.clone()])), 2_000);
        assert_eq!(alerts.firing(), std::slice::from_ref(&old));
        assert!(alerts.take_fresh().is_empty(), "fired before we watched");
        assert_eq!(alerts.spans().next().unwrap().end_ms, None, "still open");

        // Reconnected: /srv resolved and /home fired while we were away.
        let new = event("full", "/home", AlertState::Firing, 8_000, 8_000);
        alerts.on_hello(Some(&summary(vec![new.clone()])), 9_000);
        assert_eq!(alerts.take_fresh(), std::slice::from_ref(&new));
        assert_eq!(alerts.firing(), [new]);
        let spans: Vec<(String, Option<u64>)> = alerts
            .spans()
            .map(|span| (span.instance, span.end_ms))
            .collect();
        assert_eq!(
            spans,
            [("/srv".to_owned(), Some(9_000)), ("/home".to_owned(), None)]
        );

        // A server without alerting: nothing evaluated, nothing firing.
        alerts.on_hello(None, 10_000);
        assert!(!alerts.evaluated() && alerts.firing().is_empty());
    }

    #[test]
    fn spans_are_bounded() {
        let mut alerts = HostAlerts::default();
        for n in 0..(MAX_SPANS as u64 + 10) {
            alerts.on_event(event("r", "", AlertState::Firing, n * 10, n * 10));
            alerts.on_event(event("r", "", AlertState::Resolved, n * 10 + 5, n * 10));
        }
        assert_eq!(alerts.spans().count(), MAX_SPANS);
        assert_eq!(alerts.spans().next().unwrap().start_ms, 100);
        assert!(alerts.take_fresh().len() <= MAX_FRESH);
    }
}
