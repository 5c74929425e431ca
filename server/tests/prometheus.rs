//! `/metrics` against the real Prometheus tools: `promtool check metrics` on a
//! real server's output, and a real Prometheus (Debian's `prometheus` package,
//! on loopback, with temporary storage) scraping a real server every second,
//! whose query answers must agree with the WebSocket stream.
//!
//! These tests need `prometheus` and `promtool` on the PATH; without them they
//! fail and say what to install (`scripts/test.sh` installs them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{connect, http_get, http_get_at, next_sample, read_start, start_server};

/// The lint names promtool objects to but node_exporter uses, and so must we:
/// stock Grafana dashboards query these exact names.
const NODE_EXPORTER_CAMEL_CASE: [&str; 4] = [
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
    "node_memory_SwapFree_bytes",
    "node_memory_SwapTotal_bytes",
];

/// The path of `tool`, or a failure that says how to get it.
fn require(tool: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{tool}` is not installed: install Debian's `prometheus` package \
                 (apt-get install prometheus), or run scripts/test.sh, which does"
            )
        })
}

#[test]
fn promtool_accepts_the_exposition() {
    let promtool = require("promtool");
    let server = start_server();
    let mut client = connect(&server);
    read_start(&mut client);
    next_sample(&mut client);
    let (status, body) = http_get(&server, "/metrics");
    assert_eq!(status, 200);

    let mut check = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let output = check.wait_with_output().unwrap();
    let findings = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    // 0: clean; 3: lint findings only; anything else is a parse error.
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 3)),
        "promtool exit {code:?}:\n{findings}"
    );
    for finding in findings.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            NODE_EXPORTER_CAMEL_CASE
                .iter()
                .any(|name| finding.starts_with(name) && finding.contains("camelCase")),
            "unexpected promtool finding: {finding}"
        );
    }
}

/// A Prometheus process on loopback, stopped and cleaned up when dropped.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(target: SocketAddr) -> Self {
        let binary = require("prometheus");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: hostpulse\n    static_configs:\n      \
                 - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        // A port the OS says is free right now.
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Self {
            child,
            addr,
            _dir: dir,
        }
    }

    /// The result vector of an instant query, once it has `min_series` series;
    /// gives up after a minute.
    fn query(&mut self, promql: &str, min_series: usize) -> Vec<serde_json::Value> {
        let path = format!(
            "/api/v1/query?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("query", promql)
                .finish()
        );
        let give_up = Instant::now() + Duration::from_mins(1);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("prometheus exited ({status}); see its log in the temporary directory");
            }
            if std::net::TcpStream::connect(self.addr).is_ok() {
                let (status, body) = http_get_at(self.addr, &path);
                if status == 200 {
                    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
                    let result = answer["data"]["result"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    if result.len() >= min_series {
                        return result;
                    }
                }
            }
            assert!(
                Instant::now() < give_up,
                "no answer to {promql} within a minute"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

fn value(series: &serde_json::Value) -> f64 {
    series["value"][1].as_str().unwrap().parse().unwrap()
}

#[test]
fn a_real_prometheus_scrapes_values_that_agree_with_the_stream() {
    let server = start_server();
    let mut client = connect(&server);
    let (hello, _) = read_start(&mut client);
    let cores = hello.host.core_count as usize;
    let mut prometheus = Prometheus::start(server.addr());

    let up = prometheus.query("up{job=\"hostpulse\"}", 1);
    assert_eq!(up[0]["value"][1], "1", "the target is up");

    // Each CPU spends about one second per second across its modes. (irate, from
    // the last two scrapes: rate() over a window the data does not fill yet
    // divides by the whole window and reads low.)
    let per_cpu = prometheus.query("sum by (cpu) (irate(node_cpu_seconds_total[15s]))", cores);
    assert_eq!(
        per_cpu.len(),
        cores,
        "one series per CPU the hello announced"
    );
    for series in &per_cpu {
        let seconds_per_second = value(series);
        assert!(
            (0.5..=1.5).contains(&seconds_per_second),
            "cpu {} spent {seconds_per_second} s per s",
            series["metric"]["cpu"]
        );
    }

    let available = value(&prometheus.query("node_memory_MemAvailable_bytes", 1)[0]);
    let streamed = next_sample(&mut client).0.memory.available_bytes as f64;
    let difference = (available - streamed).abs() / streamed;
    assert!(
        difference < 0.1,
        "Prometheus {available} vs stream {streamed}"
    );

    let total = &prometheus.query("node_memory_MemTotal_bytes", 1)[0]["value"][1];
    assert_eq!(total, &hello.host.memory_total_bytes.to_string());
    let samples = value(&prometheus.query("hostpulse_samples_total", 1)[0]);
    assert!(samples >= 1.0);
}
