//! Alerting end to end: a real server, a real CPU load, a real webhook
//! receiver on loopback, a real WebSocket viewer; bad rules refused with the
//! line named; a restart while firing that announces nothing twice; the
//! alert log read back after a restart.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;
#[path = "../../alerts/tests/common/receiver.rs"]
#[allow(dead_code, reason = "the tests use part of the receiver")]
mod receiver;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{config_from, connect, http_get, next_text, read_start, start_server_with};
use hostpulse_server::Args;
use hostpulse_shared::ServerMessage;
use hostpulse_shared::codec::decode_json;
use receiver::{Behaviour, HttpReceiver};

fn webhook(receiver: &HttpReceiver) -> String {
    format!(
        "[[webhook]]\nname = \"test\"\nurl = \"{}\"\nretries = 0\n",
        receiver.url("/hook")
    )
}

/// Busy loops on every core until dropped.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let threads = (0..cores)
            .map(|i| {
                let stop = Arc::clone(&stop);
                std::thread::Builder::new()
                    .name(format!("busy-{i}"))
                    .spawn(move || {
                        let mut x = 0_u64;
                        while !stop.load(Ordering::Relaxed) {
                            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                        }
                    })
                    .unwrap()
            })
            .collect();
        Self { stop, threads }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

#[test]
fn a_real_cpu_load_fires_to_the_webhook_the_viewers_the_api_and_metrics() {
    let receiver = HttpReceiver::start(Behaviour::Accept);
    let dir = tempfile::tempdir().unwrap();
    let config = config_from(
        dir.path(),
        &format!(
            "[[alert]]\nname = \"cpu_test\"\nmetric = \"cpu.total_percent\"\nabove = 50\n\
             clear = 10\nfor = \"1s\"\nseverity = \"critical\"\n\n{}",
            webhook(&receiver)
        ),
    );
    let server = start_server_with(config);
    let mut viewer = connect(&server);
    let (hello, _) = read_start(&mut viewer);
    let alerts = hello.alerts.expect("the hello lists the rules");
    assert_eq!(alerts.rules[0].name, "cpu_test");
    assert!(alerts.firing.is_empty(), "{alerts:?}");
    let load = Load::start();

    let fired = receiver.next();
    let body = fired.json();
    assert_eq!(body["alert"]["rule"], "cpu_test");
    assert_eq!(body["alert"]["state"], "firing");
    assert!(body["alert"]["value"].as_f64().unwrap() > 50.0, "{body}");
    assert_eq!(body["host"].as_str().map(str::is_empty), Some(false));

    // The viewer gets the same transition between its samples.
    let alert = loop {
        match decode_json(&next_text(&mut viewer)).unwrap() {
            ServerMessage::Alert(alert) => break alert,
            ServerMessage::Sample(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(alert.rule, "cpu_test");
    assert_eq!(
        serde_json::to_value(&alert).unwrap(),
        body["alert"],
        "the webhook and the stream say the same"
    );

    // A viewer connecting now reads it in its hello, as does /api/v1/host.
    let (later, _) = read_start(&mut connect(&server));
    let firing = later.alerts.unwrap().firing;
    assert!(
        firing.iter().any(|event| event.rule == "cpu_test"),
        "{firing:?}"
    );
    let (_, host) = http_get(&server, "/api/v1/host");
    let host: serde_json::Value = serde_json::from_str(&host).unwrap();
    assert_eq!(host["alerts"]["rules"][0]["name"], "cpu_test", "{host}");
    // Only now: with the load gone the alert may resolve.
    drop(load);

    let (status, history) = http_get(&server, "/api/v1/alerts/history?from=0");
    assert_eq!(status, 200);
    let history: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(history["events"][0]["rule"], "cpu_test");
    let (status, alerts) = http_get(&server, "/api/v1/alerts");
    assert_eq!(status, 200);
    let alerts: serde_json::Value = serde_json::from_str(&alerts).unwrap();
    assert_eq!(alerts["rules"][0]["name"], "cpu_test");
    let (_, metrics) = http_get(&server, "/metrics");
    assert!(
        metrics.contains("# TYPE hostpulse_alert_firing gauge"),
        "{metrics}"
    );
}

#[test]
fn bad_rules_are_refused_at_start_naming_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.toml");
    std::fs::write(
        &path,
        "interval_ms = 1000\n\n[[alert]]\nname = \"x\"\nmetric = \"cpu.busy\"\nabove = 90\n",
    )
    .unwrap();
    let args = <Args as clap::Parser>::try_parse_from([
        "hostpulse-server",
        "--config",
        path.to_str().unwrap(),
    ])
    .unwrap();
    let error = args.resolve(Vec::new()).unwrap_err().to_string();
    assert!(
        error.contains("server.toml, line 5") && error.contains("unknown metric \"cpu.busy\""),
        "{error}"
    );
    assert!(
        error.contains("cpu.total_percent"),
        "names the choices: {error}"
    );
}

#[test]
fn a_restart_while_firing_sends_no_second_notification() {
    let receiver = HttpReceiver::start(Behaviour::Accept);
    let dir = tempfile::tempdir().unwrap();
    // Always true on any host with memory.
    let always = "[[alert]]\nname = \"always\"\nmetric = \"memory.available_percent\"\n\
                  below = 100\nclear = 100\n";
    let data_dir = format!("data_dir = {:?}\n", dir.path().join("state"));
    let config = config_from(
        dir.path(),
        &format!("{data_dir}{always}\n{}", webhook(&receiver)),
    );
    let first = start_server_with(config);
    assert_eq!(receiver.next().json()["alert"]["rule"], "always");
    drop(first);

    // The second server also has a canary that fires at its first sample,
    // evaluated after `always` in the same sample: if `always` were
    // announced again, its notice would come first.
    let canary = "[[alert]]\nname = \"canary\"\nmetric = \"memory.available_percent\"\n\
                  below = 100\nclear = 100\n";
    let config = config_from(
        dir.path(),
        &format!("{data_dir}{always}\n{canary}\n{}", webhook(&receiver)),
    );
    let second = start_server_with(config);
    let next = receiver.next().json();
    assert_eq!(next["alert"]["rule"], "canary", "{next}");
    let (_, alerts) = http_get(&second, "/api/v1/alerts");
    let alerts: serde_json::Value = serde_json::from_str(&alerts).unwrap();
    let firing: Vec<&str> = alerts["firing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        firing,
        ["always", "canary"],
        "still firing after the restart"
    );
}

/// Rule names in `GET /api/v1/alerts/history` with `query`.
fn history_rules(server: &hostpulse_server::BackgroundServer, query: &str) -> Vec<String> {
    let (status, body) = http_get(server, &format!("/api/v1/alerts/history?{query}"));
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_alert_log_survives_a_restart_skips_a_torn_line_and_keeps_its_cap() {
    let receiver = HttpReceiver::start(Behaviour::Accept);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let always = "[[alert]]\nname = \"always\"\nmetric = \"memory.available_percent\"\n\
                  below = 100\nclear = 100\n";
    let data_dir = format!("data_dir = {state:?}\n");
    let first = start_server_with(config_from(
        dir.path(),
        &format!("{data_dir}{always}\n{}", webhook(&receiver)),
    ));
    assert_eq!(receiver.next().json()["alert"]["rule"], "always");
    drop(first);

    // Before the first server's line, more old transitions than the cap;
    // after it, the start of a line a crash cut short.
    let log_path = state.join(hostpulse_alerts::journal::FILE_NAME);
    let written = std::fs::read_to_string(&log_path).unwrap();
    let fired: serde_json::Value = serde_json::from_str(written.trim_end()).unwrap();
    let fired_ms = fired["timestamp_ms"].as_u64().unwrap();
    let cap = hostpulse_alerts::history::DEFAULT_CAPACITY;
    let mut log = String::new();
    for age in (1..=cap + 500).rev() {
        let mut old = fired.clone();
        old["rule"] = "old".into();
        old["timestamp_ms"] = (fired_ms - 1_000 * age as u64).into();
        log.push_str(&old.to_string());
        log.push('\n');
    }
    log.push_str(&written);
    log.push_str(r#"{"rule":"torn","metric":"memory.avail"#);
    std::fs::write(&log_path, log).unwrap();

    let canary = "[[alert]]\nname = \"canary\"\nmetric = \"memory.available_percent\"\n\
                  below = 100\nclear = 100\n";
    let second = start_server_with(config_from(
        dir.path(),
        &format!("{data_dir}{always}\n{canary}\n{}", webhook(&receiver)),
    ));
    assert_eq!(receiver.next().json()["alert"]["rule"], "canary");
    let rules = history_rules(&second, "from=0");
    assert_eq!(rules.len(), cap, "the newest {cap} are kept");
    assert_eq!(
        rules[cap - 2..],
        ["always", "canary"],
        "the transition from before the restart, then the new one; the torn line is gone"
    );
    assert!(rules[..cap - 2].iter().all(|rule| rule == "old"));
    let before_restart = history_rules(&second, &format!("from={fired_ms}&to={}", fired_ms + 1));
    assert_eq!(
        before_restart,
        ["always"],
        "ranges answer across the restart"
    );

    // The file was cut to what is kept, then the canary appended; every
    // line reads back.
    let lines: Vec<String> = std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), cap + 1);
    for line in &lines {
        serde_json::from_str::<hostpulse_shared::AlertEvent>(line).unwrap();
    }
    drop(second);

    // With the history in memory only, so is the log.
    let memory_dir = tempfile::tempdir().unwrap();
    let memory_state = memory_dir.path().join("state");
    let memory_only = start_server_with(config_from(
        memory_dir.path(),
        &format!(
            "data_dir = {memory_state:?}\n{always}\n{}\n[history]\nmemory_only = true\n",
            webhook(&receiver)
        ),
    ));
    assert_eq!(receiver.next().json()["alert"]["rule"], "always");
    assert_eq!(history_rules(&memory_only, "from=0"), ["always"]);
    assert!(
        !memory_state
            .join(hostpulse_alerts::journal::FILE_NAME)
            .exists(),
        "nothing written"
    );
}

#[test]
fn test_alert_sends_one_marked_notice_through_every_webhook() {
    let receiver = HttpReceiver::start(Behaviour::Accept);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.toml");
    std::fs::write(&path, webhook(&receiver)).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hostpulse-server"))
        .args([
            "--config",
            path.to_str().unwrap(),
            "--test-alert",
            "cpu_busy",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("webhook test: delivered (200)"), "{stdout}");
    let body = receiver.next().json();
    assert_eq!(body["test"], true);
    assert_eq!(body["alert"]["rule"], "cpu_busy", "a default rule");
    assert!(
        body["text"].as_str().unwrap().starts_with("TEST FIRING"),
        "{body}"
    );

    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_hostpulse-server"))
        .args(["--config", path.to_str().unwrap(), "--test-alert", "cpu"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr.contains("the rules are: cpu_busy, memory_low"),
        "{stderr}"
    );
}
