//! A webhook channel as configured: where to send (a URL that may carry a
//! token, so it is never printed), in which shape (HostPulse's own JSON, ntfy,
//! or a Slack-compatible incoming webhook), and how patiently. The request a
//! channel sends for an alert is built here; sending it is `delivery`'s job.

use std::time::Duration;

use hostpulse_shared::{AlertEvent, AlertState, Comparison, Severity};
use serde::Serialize;

/// The version of the JSON body of the `json` preset (PROTOCOL.md).
pub const BODY_VERSION: u32 = 1;

/// The shape of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// HostPulse's own JSON body (PROTOCOL.md, *Webhooks*).
    Json,
    /// An ntfy topic URL: the text as the body, title, priority and tags as
    /// headers.
    Ntfy,
    /// A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat,
    /// Discord's `/slack` endpoint): `{"text": …}`.
    Slack,
}

impl Preset {
    const ALL: [(Self, &'static str); 3] = [
        (Self::Json, "json"),
        (Self::Ntfy, "ntfy"),
        (Self::Slack, "slack"),
    ];

    /// The preset a config file names.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|(_, n)| *n == name)
            .map(|(preset, _)| preset)
    }

    /// Its name in config files.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::ALL
            .into_iter()
            .find(|(preset, _)| *preset == self)
            .map_or("json", |(_, name)| name)
    }

    /// Every preset name, for error messages.
    #[must_use]
    pub fn names() -> String {
        Self::ALL.map(|(_, name)| name).join(", ")
    }
}

/// A webhook URL: used, never printed (its path or query often is the token).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    url: String,
    origin: String,
}

impl SecretUrl {
    /// Checks `url` (read from `origin`, e.g. "file /etc/hostpulse/ntfy-url").
    pub fn parse(url: &str, origin: String) -> Result<Self, String> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(rest)
                if !rest.is_empty()
                    && !rest.starts_with('/')
                    && !url.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Ok(Self {
                    url: url.to_owned(),
                    origin,
                })
            }
            _ => Err(format!(
                "the URL from {origin} must start with http:// or https:// and name a host, \
                 with no spaces"
            )),
        }
    }

    /// The URL itself, for sending.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// What may be shown: where the URL came from and its scheme and host.
    #[must_use]
    pub fn redacted(&self) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("", &self.url));
        let host = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .rsplit('@')
            .next()
            .unwrap_or_default();
        format!("{scheme}://{host}/… (from {})", self.origin)
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

/// One configured webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Its name in the config and the delivery log.
    pub name: String,
    /// The request's shape.
    pub preset: Preset,
    /// Where to send.
    pub url: SecretUrl,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// Attempts after the first, with doubling waits between them.
    pub retries: u32,
}

impl Webhook {
    /// One line for `--check-config`, without the secret part of the URL.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{}: {} to {}, timeout {} ms, {} retries",
            self.name,
            self.preset.name(),
            self.url.redacted(),
            self.timeout.as_millis(),
            self.retries
        )
    }
}

/// What to send about: one alert event on one host.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// The host the server watches.
    pub host: String,
    /// What happened.
    pub event: AlertEvent,
    /// How the rule compares, for the sentence.
    pub comparison: Comparison,
    /// A test sent by `--test-alert`, not a real alert.
    pub test: bool,
}

/// The `json` preset's body (PROTOCOL.md, *Webhooks*).
#[derive(Debug, Serialize)]
struct JsonBody<'a> {
    version: u32,
    host: &'a str,
    test: bool,
    text: String,
    alert: &'a AlertEvent,
}

#[derive(Debug, Serialize)]
struct SlackBody {
    text: String,
}

/// A request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Other headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Notice {
    /// A sentence for a person, e.g. "FIRING (critical) `memory_low` on db-1:
    /// `memory.available_percent` is 7.2, below 10. Less than …".
    #[must_use]
    pub fn text(&self) -> String {
        let event = &self.event;
        let what = match event.state {
            AlertState::Firing => "FIRING",
            AlertState::Resolved => "RESOLVED",
            AlertState::Unknown => "ALERT",
        };
        // A resolve crossed the clear threshold the other way.
        let side = match (event.state == AlertState::Resolved, self.comparison) {
            (false, Comparison::Above) | (true, Comparison::Below) => "above",
            (false, Comparison::Below) | (true, Comparison::Above) => "below",
        };
        let instance = if event.instance.is_empty() {
            String::new()
        } else {
            format!(" [{}]", event.instance)
        };
        let test = if self.test { "TEST " } else { "" };
        let description = event
            .description
            .as_deref()
            .map(|d| format!(" {d}"))
            .unwrap_or_default();
        format!(
            "{test}{what} ({}) {}{instance} on {}: {} is {}, {side} {}.{description}",
            event.severity.as_str(),
            event.rule,
            self.host,
            event.metric,
            round(event.value),
            round(event.threshold),
        )
    }

    /// The request `preset` sends for this notice.
    pub fn request(&self, preset: Preset) -> Result<Request, serde_json::Error> {
        Ok(match preset {
            Preset::Json => Request {
                content_type: "application/json",
                headers: Vec::new(),
                body: serde_json::to_vec(&JsonBody {
                    version: BODY_VERSION,
                    host: &self.host,
                    test: self.test,
                    text: self.text(),
                    alert: &self.event,
                })?,
            },
            Preset::Slack => Request {
                content_type: "application/json",
                headers: Vec::new(),
                body: serde_json::to_vec(&SlackBody { text: self.text() })?,
            },
            Preset::Ntfy => {
                let resolved = self.event.state == AlertState::Resolved;
                let priority = match (resolved, self.event.severity) {
                    (true, _) => "3",
                    (false, Severity::Warning) => "4",
                    (false, Severity::Critical) => "5",
                };
                let tags = match (resolved, self.event.severity) {
                    (true, _) => "white_check_mark",
                    (false, Severity::Warning) => "warning",
                    (false, Severity::Critical) => "rotating_light",
                };
                Request {
                    content_type: "text/plain; charset=utf-8",
                    headers: vec![
                        (
                            "Title",
                            format!(
                                "{} {} on {}",
                                if resolved { "Resolved:" } else { "Alert:" },
                                self.event.rule,
                                self.host
                            ),
                        ),
                        ("Priority", priority.to_owned()),
                        ("Tags", tags.to_owned()),
                    ],
                    body: self.text().into_bytes(),
                }
            }
        })
    }
}

/// Values as a person reads them: at most two decimals, no trailing zeros.
fn round(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(state: AlertState) -> Notice {
        Notice {
            host: "db-1".into(),
            event: AlertEvent {
                rule: "memory_low".into(),
                metric: "memory.available_percent".into(),
                instance: String::new(),
                state,
                severity: Severity::Critical,
                value: 7.25,
                threshold: 10.0,
                timestamp_ms: 1_764_000_000_000,
                firing_since_ms: 1_764_000_000_000,
                description: Some("Memory is low.".into()),
            },
            comparison: Comparison::Below,
            test: false,
        }
    }

    #[test]
    fn the_text_names_the_host_the_rule_and_how_much() {
        assert_eq!(
            notice(AlertState::Firing).text(),
            "FIRING (critical) memory_low on db-1: memory.available_percent is 7.25, below 10. \
             Memory is low."
        );
        let mut resolved = notice(AlertState::Resolved);
        resolved.event.value = 16.0;
        resolved.event.threshold = 15.0;
        assert!(
            resolved.text().contains("is 16, above 15."),
            "{}",
            resolved.text()
        );
    }

    #[test]
    fn each_preset_shapes_its_request() {
        let notice = notice(AlertState::Firing);
        let json = notice.request(Preset::Json).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
        assert_eq!(body["version"], 1);
        assert_eq!(body["host"], "db-1");
        assert_eq!(body["alert"]["rule"], "memory_low");
        assert_eq!(body["alert"]["state"], "firing");

        let slack = notice.request(Preset::Slack).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&slack.body).unwrap();
        assert_eq!(body["text"], notice.text());

        let ntfy = notice.request(Preset::Ntfy).unwrap();
        assert_eq!(ntfy.body, notice.text().into_bytes());
        assert!(ntfy.headers.contains(&("Priority", "5".to_owned())));
        assert!(
            ntfy.headers
                .contains(&("Title", "Alert: memory_low on db-1".to_owned()))
        );
    }

    #[test]
    fn the_json_body_in_protocol_md_is_what_the_json_preset_sends() {
        let doc = include_str!("../../PROTOCOL.md");
        let section = &doc[doc.find("## Webhooks").unwrap()..];
        let example = section.split("```jsonc\n").nth(1).unwrap();
        let example = example.split("```").next().unwrap();
        let documented: serde_json::Value = serde_json::from_str(example).unwrap();
        let notice = Notice {
            host: "db-1".into(),
            event: AlertEvent {
                rule: "filesystem_full".into(),
                metric: "filesystem.used_percent".into(),
                instance: "/srv".into(),
                state: AlertState::Firing,
                severity: Severity::Warning,
                value: 93.4,
                threshold: 90.0,
                timestamp_ms: 1_764_000_000_000,
                firing_since_ms: 1_764_000_000_000,
                description: Some("A file system is over 90 % full.".into()),
            },
            comparison: Comparison::Above,
            test: false,
        };
        let sent: serde_json::Value =
            serde_json::from_slice(&notice.request(Preset::Json).unwrap().body).unwrap();
        assert_eq!(sent, documented);
    }

    #[test]
    fn urls_are_shown_only_as_scheme_and_host() {
        let url = SecretUrl::parse(
            "https://user:pw@ntfy.example.com/secret-topic?auth=tk",
            "file /etc/x".into(),
        )
        .unwrap();
        assert_eq!(
            url.redacted(),
            "https://ntfy.example.com/… (from file /etc/x)"
        );
        assert!(!format!("{url:?}").contains("secret-topic"));
        assert!(SecretUrl::parse("ntfy.sh/topic", "`url`".into()).is_err());
        assert!(SecretUrl::parse("https:///x", "`url`".into()).is_err());
    }
}
