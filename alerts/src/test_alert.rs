//! `hostpulse-server --test-alert NAME`: one test notice for a rule, sent
//! through every webhook on the calling thread, with each webhook's own
//! timeout and retries, so a person can see the whole path work.

use hostpulse_shared::{AlertEvent, AlertState};

use crate::config::AlertsConfig;
use crate::delivery::{Delivery, FIRST_BACKOFF, agent, deliver, unix_ms};
use crate::webhook::Notice;

/// Why no test notice could be sent.
#[derive(Debug, thiserror::Error)]
pub enum TestAlertError {
    /// No rule has that name.
    #[error("no alert rule is called {name:?}; the rules are: {known}")]
    UnknownRule {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// There is nowhere to send it.
    #[error("no [[webhook]] is configured: add one (README, \"Adding a webhook\")")]
    NoWebhook,
}

/// Sends a test firing of the rule `name` on `host` to every webhook, and
/// says how each delivery went.
pub fn send_test(
    config: &AlertsConfig,
    name: &str,
    host: &str,
) -> Result<Vec<Delivery>, TestAlertError> {
    let rule = config
        .rule(name)
        .ok_or_else(|| TestAlertError::UnknownRule {
            name: name.to_owned(),
            known: config
                .rules
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if config.webhooks.is_empty() {
        return Err(TestAlertError::NoWebhook);
    }
    let now_ms = unix_ms(std::time::SystemTime::now());
    let notice = Notice {
        host: host.to_owned(),
        event: AlertEvent {
            rule: rule.name.clone(),
            metric: rule.metric.name().to_owned(),
            instance: rule.instance.clone().unwrap_or_default(),
            state: AlertState::Firing,
            severity: rule.severity,
            value: rule.threshold,
            threshold: rule.threshold,
            timestamp_ms: now_ms,
            firing_since_ms: now_ms,
            description: rule.description.clone(),
        },
        comparison: rule.comparison,
        test: true,
    };
    Ok(config
        .webhooks
        .iter()
        .map(|webhook| deliver(webhook, &agent(webhook), &notice, FIRST_BACKOFF, None))
        .collect())
}
