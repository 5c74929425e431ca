//! HostPulse alerting, apart from the server so it can be tested on its own:
//! rules read from the `[[alert]]` tables of the server's config, an
//! evaluator fed every sample, the alerts firing kept across restarts, and
//! delivery to webhooks that never slows sampling or viewers.
//!
//! Layout:
//! - [`metric`]: the metrics a rule can name, read from a sample.
//! - [`rule`]: a checked rule and its thresholds.
//! - [`config`]: the config file's alerting keys, checked, and the defaults.
//! - [`evaluator`]: pending → firing → resolved, pure.
//! - [`persist`]: what is firing, in a small file that survives restarts.
//! - [`history`]: the bounded log of transitions.
//! - [`journal`]: that log on disk, so that it survives restarts.
//! - [`webhook`]: a webhook's settings and the request it sends.
//! - [`delivery`]: webhook threads, retries and the delivery log.
//! - [`engine`]: all of it running beside a server.
//! - [`test_alert`]: one test notice through every webhook.

pub mod config;
pub mod delivery;
pub mod engine;
pub mod evaluator;
pub mod history;
pub mod journal;
pub mod metric;
pub mod persist;
pub mod rule;
pub mod test_alert;
#[cfg(test)]
mod testing;
pub mod webhook;

pub use config::{AlertsConfig, ConfigError, RulesOrigin, default_rules};
pub use engine::{Engine, EngineOptions, OnEvent, Status};
pub use evaluator::Evaluator;
pub use journal::Journal;
pub use metric::Metric;
pub use persist::StateFile;
pub use rule::Rule;
pub use webhook::{Notice, Preset, Webhook};
