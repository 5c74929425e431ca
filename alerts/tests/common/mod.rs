//! Shared parts of the alerts tests.

#![allow(dead_code, reason = "each test file uses some of the helpers")]

pub mod receiver;

use std::time::Duration;

use hostpulse_alerts::webhook::SecretUrl;
use hostpulse_alerts::{Preset, Rule, Webhook};
use hostpulse_shared::Sample;

/// A webhook to `url` in `preset`, quick to time out and retry.
pub fn webhook(name: &str, preset: Preset, url: &str) -> Webhook {
    Webhook {
        name: name.into(),
        preset,
        url: SecretUrl::parse(url, "the test".into()).unwrap(),
        timeout: Duration::from_secs(5),
        retries: 3,
    }
}

/// `cpu.total_percent` above 50 (clear below 40), firing at once.
pub fn cpu_rule() -> Rule {
    let text = "[[alert]]\nname = \"cpu_test\"\nmetric = \"cpu.total_percent\"\n\
                above = 50\nclear = 40\nseverity = \"critical\"\n";
    hostpulse_alerts::AlertsConfig::parse(std::path::Path::new("test.toml"), text, None)
        .unwrap()
        .rules
        .remove(0)
}

/// A sample with only a CPU reading.
pub fn cpu_sample(seq: u64, percent: f32) -> Sample {
    let mut sample = Sample {
        seq,
        timestamp_ms: 1_764_000_000_000 + seq * 1000,
        ..Sample::default()
    };
    sample.cpu.total_percent = percent;
    sample
}
