//! Desktop notifications for real: a D-Bus session bus of the test's own,
//! Debian's dunst as the notification service on an Xvfb display, the
//! dashboard binary running against a real server on loopback, and what
//! dunst showed read back with `dunstctl`. Needs Xvfb, dbus-daemon and dunst
//! (`scripts/test.sh` installs them); a missing one fails the test, naming
//! its package.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

#[path = "common/desktop.rs"]
mod desktop;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use desktop::Desktop;
use hostpulse_alerts::{AlertsConfig, Metric, Rule};
use hostpulse_server::{BackgroundServer, Config};
use hostpulse_shared::{Comparison, Severity};

const DASHBOARD: &str = env!("CARGO_BIN_EXE_hostpulse-dashboard");

#[test]
fn the_test_notification_reaches_the_desktops_notification_service() {
    let desktop = Desktop::start(true);
    let output = desktop
        .command(DASHBOARD)
        .arg("--test-notification")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("shown by dunst"), "{stdout}");
    let shown = desktop.wait_for("HostPulse: test notification", desktop::STARTUP);
    assert_eq!(shown.body, "Alerts from your hosts will look like this.");
}

#[test]
fn without_a_notification_service_the_test_notification_says_so() {
    let desktop = Desktop::start(false);
    let output = desktop
        .command(DASHBOARD)
        .arg("--test-notification")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no desktop notification service answered"),
        "{stderr}"
    );
    assert!(
        stderr.contains("alerts panel"),
        "says where alerts go: {stderr}"
    );
}

/// The dashboard binary on `desktop`, watching `url` (and this computer).
struct Dashboard(Child);

impl Dashboard {
    fn start(desktop: &Desktop, url: &str) -> Self {
        let child = desktop
            .command(DASHBOARD)
            .arg(url)
            // Software GL: Xvfb has no GPU.
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the dashboard starts");
        Self(child)
    }

    /// Fails if the dashboard has exited.
    fn check_running(&mut self) {
        if let Some(status) = self.0.try_wait().unwrap() {
            panic!("the dashboard exited: {status}");
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A config whose one rule fires 2 s after the server's first sample and
/// never resolves: memory is always less than 100 % available.
fn config_that_fires() -> Config {
    let rule = Rule {
        name: "memory_watch".into(),
        metric: Metric::MemoryAvailablePercent,
        instance: None,
        comparison: Comparison::Below,
        threshold: 100.0,
        clear: 100.0,
        for_duration: Duration::from_secs(2),
        severity: Severity::Critical,
        description: Some("A rule that always fires, for the test.".into()),
    };
    Config {
        interval: Duration::from_millis(500),
        alerts: AlertsConfig {
            rules: vec![rule],
            ..AlertsConfig::default()
        },
        ..Config::default()
    }
}

/// The viewers a server has, from its `/metrics`.
fn viewers(addr: SocketAddr) -> Option<u64> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: test\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("hostpulse_clients "))
        .and_then(|n| n.trim().parse().ok())
}

/// Binds `addr` again once the server that had it has let it go.
fn bind_again(addr: SocketAddr) -> TcpListener {
    let give_up = Instant::now() + desktop::STARTUP;
    loop {
        match TcpListener::bind(addr) {
            Ok(listener) => return listener,
            Err(error) => {
                assert!(
                    Instant::now() < give_up,
                    "cannot bind {addr} again: {error}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

#[test]
fn the_running_dashboard_announces_an_alert_and_a_host_gone_for_30_s() {
    let desktop = Desktop::start(true);
    // First a server that evaluates nothing, until the dashboard is
    // connected: what fires at a first connection is shown, not announced
    // (it fired before the dashboard watched).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let quiet = Config {
        alerts: AlertsConfig::off(),
        ..Config::default()
    };
    let first = BackgroundServer::spawn(listener, quiet).unwrap();
    let mut dashboard = Dashboard::start(&desktop, &format!("ws://{addr}/ws"));
    let give_up = Instant::now() + desktop::STARTUP;
    while viewers(addr).unwrap_or(0) == 0 {
        dashboard.check_running();
        assert!(Instant::now() < give_up, "the dashboard never connected");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Then, on the same address, one whose rule fires. The dashboard
    // reconnects; the alert reaches it in the new hello or as an `alert`
    // message, whichever comes first, and is announced once either way.
    drop(first);
    let server = BackgroundServer::spawn(bind_again(addr), config_that_fires()).unwrap();

    let host = hostpulse_server_hostname();
    let fired = desktop.wait_for(&format!("{host}: memory_watch firing"), desktop::STARTUP);
    assert_eq!(fired.urgency, "CRITICAL");
    assert!(
        fired.body.starts_with("memory.available_percent is ")
            && fired.body.contains("%, below 100.0 %."),
        "how much: {}",
        fired.body
    );
    assert!(
        fired.body.contains("A rule that always fires"),
        "{}",
        fired.body
    );

    // The server goes away: 30 s later the dashboard's own rule says so.
    drop(server);
    let gone = desktop.wait_for(&format!("{host} unreachable"), Duration::from_mins(1));
    assert_eq!(gone.urgency, "CRITICAL");
    assert!(gone.body.contains("No answer since"), "{}", gone.body);
    dashboard.check_running();
    // Once each.
    let shown = desktop.shown();
    for title in [
        format!("{host}: memory_watch firing"),
        format!("{host} unreachable"),
    ] {
        assert_eq!(
            shown.iter().filter(|s| s.summary == title).count(),
            1,
            "{title}: {shown:#?}"
        );
    }
}

/// The name the server reports for this machine, as the dashboard shows it.
fn hostpulse_server_hostname() -> String {
    let server = BackgroundServer::spawn_on_loopback(Config {
        alerts: AlertsConfig::off(),
        ..Config::default()
    })
    .unwrap();
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET /api/v1/host HTTP/1.0\r\nHost: test\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1;
    let hello: serde_json::Value = serde_json::from_str(body).unwrap();
    hello["host"]["hostname"].as_str().unwrap().to_owned()
}
