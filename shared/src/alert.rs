//! Alerts as they travel: the rules a server evaluates, what is firing now, and
//! each transition as it happens. The server's `hostpulse-alerts` crate makes
//! them; viewers and webhook receivers read them.

use serde::{Deserialize, Serialize};

/// How bad an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look soon.
    Warning,
    /// Needs someone now.
    Critical,
}

impl Severity {
    /// The name used in config files, messages and metric labels.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// Which side of the threshold is the bad one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Fires when the value rises above the threshold.
    Above,
    /// Fires when the value falls below the threshold.
    Below,
}

/// A rule as a viewer sees it (the hello lists every rule in force).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertRule {
    /// The rule's name, unique on its server.
    pub name: String,
    /// The metric, as the sample names it, e.g. `cpu.total_percent`.
    pub metric: String,
    /// Only this instance (a mount point, sensor label or interface), or every
    /// instance when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The bad side of the threshold.
    pub comparison: Comparison,
    /// The value past which the rule starts counting.
    pub threshold: f64,
    /// The value the metric must come back past before the alert resolves.
    pub clear: f64,
    /// How long the value must stay bad before the alert fires.
    pub for_secs: u64,
    /// How bad.
    pub severity: Severity,
    /// A sentence for a person, if the rule has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The value stayed bad for the rule's `for`: someone should look.
    Firing,
    /// The value came back past the clear threshold.
    Resolved,
    /// A state this build does not know.
    #[serde(other)]
    Unknown,
}

/// One alert transition, or (with [`AlertState::Firing`]) one alert firing now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertEvent {
    /// The rule's name.
    pub rule: String,
    /// The metric the rule watches, e.g. `cpu.total_percent`.
    pub metric: String,
    /// The instance that fired (a mount point, sensor label or interface), or
    /// an empty string for host-wide metrics.
    #[serde(default)]
    pub instance: String,
    /// What happened.
    pub state: AlertState,
    /// How bad.
    pub severity: Severity,
    /// The metric's value in the sample that caused the transition.
    pub value: f64,
    /// The threshold crossed: the rule's threshold when firing, its clear
    /// threshold when resolving.
    pub threshold: f64,
    /// When, in Unix milliseconds (the sample's timestamp).
    pub timestamp_ms: u64,
    /// When the alert started firing, in Unix milliseconds.
    pub firing_since_ms: u64,
    /// The rule's sentence for a person, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The alerting part of the hello: the rules in force and what is firing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertsSummary {
    /// Every rule the server evaluates.
    pub rules: Vec<AlertRule>,
    /// Every alert firing when the hello was sent, oldest first.
    pub firing: Vec<AlertEvent>,
}
