//! `hostpulse-alert-latency`: how late an alert arrives. A real server at
//! 1 Hz watches the send rate of a network interface this program alone
//! sends on (a veth pair into a namespace of its own), with a rule that
//! fires after 2 s above 100 KB/s and a webhook to a receiver here; the real
//! dashboard binary watches the server on a private desktop (Xvfb, a D-Bus
//! bus of its own, dunst). Traffic goes on until the alert fires and off
//! until it resolves, `--fires` times. For each fire, the latency runs from
//! the sample that completed `for` (the event's `timestamp_ms`, the tick
//! that took it) to the webhook request arriving here, and to dunst taking
//! the dashboard's notification (dunst's own timestamp, `CLOCK_MONOTONIC`,
//! set against the wall clock here). Needs root (the interface), Xvfb,
//! dbus-daemon and dunst; prints the figures, and writes them as JSON.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measurement program: the shared helpers fail loudly"
)]

#[path = "../../../dashboard/tests/common/desktop.rs"]
mod desktop;
#[path = "../../../alerts/tests/common/receiver.rs"]
#[allow(dead_code, reason = "the benchmark uses part of the receiver")]
mod receiver;
#[path = "../../../server/tests/common/traffic.rs"]
mod traffic;

use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Parser;
use serde::Serialize;

/// The rule's threshold, on the wire.
const THRESHOLD_BYTES_PER_SEC: f64 = 100_000.0;
/// Longest wait for one fire or resolve to arrive.
const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Parser)]
#[command(name = "hostpulse-alert-latency", version, about)]
struct Args {
    /// The server binary.
    #[arg(long)]
    server: PathBuf,
    /// The dashboard binary.
    #[arg(long)]
    dashboard: PathBuf,
    /// How many fires to time (at least 1).
    #[arg(long, default_value_t = 20,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    fires: usize,
    /// Also write the figures as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// The figures of one path.
#[derive(Debug, Serialize)]
struct Latencies {
    /// Every fire's latency, in ms, in the order of the fires.
    ms: Vec<f64>,
    p50_ms: f64,
    p95_ms: f64,
    max_ms: f64,
}

impl Latencies {
    fn of(ms: Vec<f64>) -> Self {
        let mut sorted = ms.clone();
        sorted.sort_by(f64::total_cmp);
        // Nearest rank: the smallest value at or above `percent` % of the fires.
        let rank = |percent: usize| {
            let at = (sorted.len() * percent)
                .div_ceil(100)
                .clamp(1, sorted.len());
            sorted.get(at - 1).copied().unwrap_or_default()
        };
        Self {
            p50_ms: rank(50),
            p95_ms: rank(95),
            max_ms: sorted.last().copied().unwrap_or_default(),
            ms,
        }
    }
}

#[derive(Debug, Serialize)]
struct Report {
    fires: usize,
    webhook: Latencies,
    desktop: Latencies,
}

/// A child stopped by PID when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => {
            let line = |name: &str, l: &Latencies| {
                println!(
                    "{name}: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms over {} fires",
                    l.p50_ms,
                    l.p95_ms,
                    l.max_ms,
                    l.ms.len()
                );
            };
            line("webhook", &report.webhook);
            line("desktop", &report.desktop);
            if let Some(path) = &args.json {
                let json = serde_json::to_string_pretty(&report).unwrap_or_default();
                if let Err(error) = std::fs::write(path, json + "\n") {
                    eprintln!(
                        "hostpulse-alert-latency: cannot write {}: {error}",
                        path.display()
                    );
                    return ExitCode::from(2);
                }
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("hostpulse-alert-latency: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn unix_ms(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

/// Wall-clock ms minus `CLOCK_MONOTONIC` ms, now: what turns dunst's
/// monotonic timestamps into wall-clock time.
fn wall_minus_monotonic_ms() -> f64 {
    let monotonic = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let monotonic_ms = monotonic.tv_sec as f64 * 1000.0 + monotonic.tv_nsec as f64 / 1e6;
    unix_ms(SystemTime::now()) - monotonic_ms
}

fn run(args: &Args) -> anyhow::Result<Report> {
    let veth = traffic::Veth::create();
    let pacer = veth.pacer();
    let hook = receiver::HttpReceiver::start(receiver::Behaviour::Accept);
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "interval_ms = 1000\n\n[[alert]]\nname = \"link_busy\"\n\
             metric = \"network.tx_bytes_per_sec\"\ninterface = \"{}\"\nabove = {THRESHOLD_BYTES_PER_SEC}\n\
             clear = {}\nfor = \"2s\"\nseverity = \"critical\"\n\n\
             [[webhook]]\nname = \"bench\"\nurl = \"{}\"\nretries = 0\n",
            veth.name(),
            THRESHOLD_BYTES_PER_SEC / 2.0,
            hook.url("/hook")
        ),
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let _server = Running(
        Command::new(&args.server)
            .args(["--config"])
            .arg(&config)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            // Its own state: nothing firing from an earlier run.
            .arg("--data-dir")
            .arg(dir.path().join("state"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the server")?,
    );
    let desktop = desktop::Desktop::start(true);
    let _dashboard = Running(
        desktop
            .command(&args.dashboard)
            .arg(format!("ws://127.0.0.1:{port}/ws"))
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the dashboard")?,
    );
    // Let both settle: the dashboard connected, the first samples taken.
    std::thread::sleep(Duration::from_secs(5));

    let mut webhook_ms = Vec::new();
    let mut fired_at_ms = Vec::new();
    for fire in 0..args.fires {
        let event = traffic_until(&pacer, &hook, THRESHOLD_BYTES_PER_SEC * 2.0, "firing")
            .with_context(|| format!("fire {}", fire + 1))?;
        let (at_ms, arrived_ms) = event;
        fired_at_ms.push(at_ms);
        webhook_ms.push(arrived_ms - at_ms);
        traffic_until(&pacer, &hook, 0.0, "resolved")
            .with_context(|| format!("resolve {}", fire + 1))?;
    }

    // dunst's notices of the fires, in order, against the fires' times.
    let offset_ms = wall_minus_monotonic_ms();
    let give_up = Instant::now() + PATIENCE;
    let shown = loop {
        let shown: Vec<desktop::Shown> = desktop
            .shown()
            .into_iter()
            .filter(|s| s.summary.contains("link_busy firing"))
            .collect();
        if shown.len() >= args.fires || Instant::now() > give_up {
            break shown;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    if shown.len() != args.fires {
        bail!(
            "dunst showed {} notices of {} fires: is the dashboard running?",
            shown.len(),
            args.fires
        );
    }
    let desktop_ms = shown
        .iter()
        .zip(&fired_at_ms)
        .map(|(s, at_ms)| s.monotonic_us as f64 / 1000.0 + offset_ms - at_ms)
        .collect();
    Ok(Report {
        fires: args.fires,
        webhook: Latencies::of(webhook_ms),
        desktop: Latencies::of(desktop_ms),
    })
}

/// Sends at `bytes_per_sec` until the webhook receives a transition in
/// `state`; returns its `timestamp_ms` and when it arrived (Unix ms).
fn traffic_until(
    pacer: &traffic::Pacer,
    hook: &receiver::HttpReceiver,
    bytes_per_sec: f64,
    state: &str,
) -> anyhow::Result<(f64, f64)> {
    let give_up = Instant::now() + PATIENCE;
    while Instant::now() < give_up {
        pacer.send_until(bytes_per_sec, Instant::now() + Duration::from_millis(50));
        while let Ok(request) = hook.requests.try_recv() {
            let arrived_ms = unix_ms(request.arrived_at);
            let body = request.json();
            if body["alert"]["state"] == state {
                let at_ms = body["alert"]["timestamp_ms"].as_f64().unwrap_or_default();
                return Ok((at_ms, arrived_ms));
            }
        }
    }
    bail!("no {state} alert within {PATIENCE:?}")
}
