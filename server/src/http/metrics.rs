//! `GET /metrics`: the latest sample in the Prometheus text exposition format,
//! with node_exporter's metric names and labels for the families HostPulse
//! collects, so stock Grafana node dashboards work; plus `hostpulse_*` metrics
//! about the server itself. A scrape renders what the hub holds and never
//! triggers sampling (ARCHITECTURE.md, invariant 1).
//!
//! The format is written by hand: it is a few lines per family, and rendering a
//! snapshot needs none of a metrics registry's machinery.

use std::fmt::Write as _;

use actix_web::{HttpResponse, web};
use hostpulse_shared::Sample;

use crate::hub::Hub;
use crate::sampling::counters::Counters;

/// The exposition format's media type, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Registers `/metrics`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/metrics")
            .wrap(actix_web::middleware::from_fn(
                crate::http::auth::check_metrics,
            ))
            .route(web::get().to(metrics)),
    );
}

async fn metrics(
    req: actix_web::HttpRequest,
    hub: web::Data<Hub>,
) -> Result<HttpResponse, crate::http::query::QueryError> {
    crate::http::query::Params::parse(req.query_string(), &[])?;
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(render(&hub)))
}

/// The whole exposition for the hub's latest sample.
#[must_use]
pub fn render(hub: &Hub) -> String {
    let mut out = Exposition::default();
    if let Some(latest) = hub.latest() {
        node_metrics(&mut out, hub, &latest.sample, &latest.counters);
        out.family(
            "hostpulse_samples_total",
            "counter",
            "Samples taken since the server started.",
        );
        out.value(
            "hostpulse_samples_total",
            &[],
            (latest.sample.seq + 1) as f64,
        );
        out.family(
            "hostpulse_sample_duration_seconds",
            "gauge",
            "Time taken by the latest sample.",
        );
        out.value(
            "hostpulse_sample_duration_seconds",
            &[],
            latest.counters.sample_duration_secs,
        );
    }
    viewer_metrics(&mut out, hub);
    store_metrics(&mut out, hub);
    if let Some(alerting) = hub.alerting() {
        out.family(
            "hostpulse_alert_firing",
            "gauge",
            "1 for each alert firing now (rule, instance, severity); absent when none fires.",
        );
        for event in alerting.firing() {
            out.value(
                "hostpulse_alert_firing",
                &[
                    ("alert", &event.rule),
                    ("instance", &event.instance),
                    ("severity", event.severity.as_str()),
                ],
                1.0,
            );
        }
    }
    out.family(
        "hostpulse_build_info",
        "gauge",
        "Always 1; the labels say which HostPulse server this is.",
    );
    out.value(
        "hostpulse_build_info",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            (
                "protocol_version",
                &hostpulse_shared::PROTOCOL_VERSION.to_string(),
            ),
        ],
        1.0,
    );
    out.text
}

/// The viewers: how many, how many fell behind or stalled, and the replay
/// blocks their joins share.
fn viewer_metrics(out: &mut Exposition, hub: &Hub) {
    out.family(
        "hostpulse_clients",
        "gauge",
        "WebSocket viewers connected now.",
    );
    out.value("hostpulse_clients", &[], hub.client_count() as f64);
    out.family(
        "hostpulse_lagged_samples_total",
        "counter",
        "Live samples slow viewers fell behind on and received from the history instead.",
    );
    out.value(
        "hostpulse_lagged_samples_total",
        &[],
        hub.lagged_count() as f64,
    );
    out.family(
        "hostpulse_stalled_viewers_total",
        "counter",
        "Viewers closed (1008) and then dropped because they stopped reading.",
    );
    out.value(
        "hostpulse_stalled_viewers_total",
        &[],
        hub.stalled_count() as f64,
    );
    let (blocks, encodings) = hub.replay_block_counts();
    out.family(
        "hostpulse_replay_blocks",
        "gauge",
        "Runs of past samples kept encoded for every viewer's replay.",
    );
    out.value("hostpulse_replay_blocks", &[], blocks as f64);
    out.family(
        "hostpulse_replay_block_encodings_total",
        "counter",
        "Replay blocks encoded (once per block and codec, whatever the number of viewers).",
    );
    out.value(
        "hostpulse_replay_block_encodings_total",
        &[],
        encodings as f64,
    );
}

/// The history on disk, when the server keeps one.
fn store_metrics(out: &mut Exposition, hub: &Hub) {
    let Some(archive) = hub.archive() else {
        return;
    };
    let (status, dropped_samples) = archive.status();
    out.family(
        "hostpulse_store_writable",
        "gauge",
        "1 while the history on disk takes writes; 0 while it cannot (a full disk).",
    );
    out.value(
        "hostpulse_store_writable",
        &[],
        f64::from(u8::from(status.writable)),
    );
    out.family(
        "hostpulse_store_bytes",
        "gauge",
        "Bytes the history on disk takes, per tier.",
    );
    for tier in &status.tiers {
        out.value(
            "hostpulse_store_bytes",
            &[("tier", tier.tier.name())],
            tier.bytes_on_disk as f64,
        );
    }
    out.family(
        "hostpulse_store_oldest_timestamp_seconds",
        "gauge",
        "Time of the oldest row each tier of the history on disk holds.",
    );
    for tier in &status.tiers {
        if let Some(oldest_ms) = tier.oldest_ms {
            out.value(
                "hostpulse_store_oldest_timestamp_seconds",
                &[("tier", tier.tier.name())],
                oldest_ms as f64 / 1000.0,
            );
        }
    }
    out.family(
        "hostpulse_store_dropped_blocks_total",
        "counter",
        "Closed blocks of history given up because the disk refused them too long.",
    );
    out.value(
        "hostpulse_store_dropped_blocks_total",
        &[],
        status.dropped_blocks as f64,
    );
    out.family(
        "hostpulse_store_dropped_samples_total",
        "counter",
        "Samples the history's writer could not take (the disk was too slow); viewers got them.",
    );
    out.value(
        "hostpulse_store_dropped_samples_total",
        &[],
        dropped_samples as f64,
    );
}

/// The node_exporter-named families, one helper per group.
fn node_metrics(out: &mut Exposition, hub: &Hub, sample: &Sample, counters: &Counters) {
    cpu_metrics(out, sample, counters);
    memory_metrics(out, sample);
    network_metrics(out, sample);
    storage_metrics(out, sample, counters);
    host_metrics(out, hub, sample);
}

fn cpu_metrics(out: &mut Exposition, sample: &Sample, counters: &Counters) {
    if !counters.cpu_seconds.is_empty() {
        out.family(
            "node_cpu_seconds_total",
            "counter",
            "Seconds the CPUs spent in each mode.",
        );
        for (cpu, seconds) in counters.cpu_seconds.iter().enumerate() {
            let cpu = cpu.to_string();
            for (mode, value) in seconds.modes() {
                out.value(
                    "node_cpu_seconds_total",
                    &[("cpu", &cpu), ("mode", mode)],
                    value,
                );
            }
        }
    }
    if let Some(load) = sample.load {
        for (name, value) in [
            ("node_load1", load.one),
            ("node_load5", load.five),
            ("node_load15", load.fifteen),
        ] {
            out.family(name, "gauge", "Run-queue load average.");
            out.value(name, &[], value);
        }
    }
}

fn memory_metrics(out: &mut Exposition, sample: &Sample) {
    let memory = &sample.memory;
    for (name, help, bytes) in [
        (
            "node_memory_MemTotal_bytes",
            "Installed memory.",
            memory.total_bytes,
        ),
        (
            "node_memory_MemAvailable_bytes",
            "Memory available for new work without swapping.",
            memory.available_bytes,
        ),
        (
            "node_memory_SwapTotal_bytes",
            "Swap space configured.",
            memory.swap_total_bytes,
        ),
        (
            "node_memory_SwapFree_bytes",
            "Swap space free.",
            memory
                .swap_total_bytes
                .saturating_sub(memory.swap_used_bytes),
        ),
    ] {
        out.family(name, "gauge", help);
        out.value(name, &[], bytes as f64);
    }
}

fn network_metrics(out: &mut Exposition, sample: &Sample) {
    let networks = &sample.networks;
    out.counter_per_device(
        "node_network_receive_bytes_total",
        "Bytes received by the interface.",
        networks
            .iter()
            .map(|n| (n.interface.as_str(), n.rx_bytes_total)),
    );
    out.counter_per_device(
        "node_network_transmit_bytes_total",
        "Bytes sent by the interface.",
        networks
            .iter()
            .map(|n| (n.interface.as_str(), n.tx_bytes_total)),
    );
}

fn storage_metrics(out: &mut Exposition, sample: &Sample, counters: &Counters) {
    for (name, help, available) in [
        ("node_filesystem_size_bytes", "File system size.", false),
        (
            "node_filesystem_avail_bytes",
            "File system space available to unprivileged users.",
            true,
        ),
    ] {
        out.family(name, "gauge", help);
        for disk in &sample.disks {
            let bytes = if available {
                disk.available_bytes
            } else {
                disk.total_bytes
            };
            out.value(
                name,
                &[
                    ("device", &disk.device),
                    ("fstype", &disk.file_system),
                    ("mountpoint", &disk.mount_point),
                ],
                bytes as f64,
            );
        }
    }
    out.counter_per_device(
        "node_disk_read_bytes_total",
        "Bytes read from the device.",
        counters
            .disks
            .iter()
            .map(|d| (d.device.as_str(), d.read_bytes_total)),
    );
    out.counter_per_device(
        "node_disk_written_bytes_total",
        "Bytes written to the device.",
        counters
            .disks
            .iter()
            .map(|d| (d.device.as_str(), d.written_bytes_total)),
    );
}

fn host_metrics(out: &mut Exposition, hub: &Hub, sample: &Sample) {
    // Sensor labels need not be unique (two NVMe drives are both "nvme
    // Composite"); `Sample::sensors` numbers the repeats, so no series is
    // doubled and the names match the alerts' instances.
    if !sample.temperatures.is_empty() {
        out.family(
            "hostpulse_temperature_celsius",
            "gauge",
            "Temperature reported by a sensor.",
        );
        for (sensor, temperature) in sample.sensors() {
            out.value(
                "hostpulse_temperature_celsius",
                &[("sensor", &sensor)],
                f64::from(temperature.celsius),
            );
        }
    }
    if sample
        .temperatures
        .iter()
        .any(|t| t.critical_celsius.is_some())
    {
        out.family(
            "hostpulse_temperature_critical_celsius",
            "gauge",
            "The temperature a sensor itself calls critical (only sensors that report one).",
        );
        for (sensor, temperature) in sample.sensors() {
            if let Some(critical) = temperature.critical_celsius {
                out.value(
                    "hostpulse_temperature_critical_celsius",
                    &[("sensor", &sensor)],
                    f64::from(critical),
                );
            }
        }
    }
    let host = &hub.hello().host;
    out.family(
        "node_boot_time_seconds",
        "gauge",
        "Boot time, in seconds since the Unix epoch.",
    );
    out.value("node_boot_time_seconds", &[], host.boot_time_secs as f64);
    out.family(
        "node_uname_info",
        "gauge",
        "Labeled system information as provided by the uname system call.",
    );
    out.value(
        "node_uname_info",
        &[
            ("machine", &host.architecture),
            ("nodename", &host.hostname),
            ("release", &host.kernel_version),
            ("sysname", sysname()),
        ],
        1.0,
    );
}

/// What `uname -s` says on this platform.
fn sysname() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        "freebsd" => "FreeBSD",
        "windows" => "Windows",
        other => other,
    }
}

/// The text being written: `# HELP`/`# TYPE` headers and value lines.
#[derive(Debug, Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// A counter family with one value per `device`.
    fn counter_per_device<'a>(
        &mut self,
        name: &str,
        help: &str,
        values: impl Iterator<Item = (&'a str, u64)>,
    ) {
        self.family(name, "counter", help);
        for (device, total) in values {
            self.value(name, &[("device", device)], total as f64);
        }
    }

    fn value(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (index, (label, label_value)) in labels.iter().enumerate() {
                if index > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{label}=\"{}\"", escape(label_value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", number(value));
    }
}

/// A label value with `\`, `"` and newlines escaped, as the format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample value as the format writes it.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use hostpulse_shared::{Hello, HostInfo, MemorySample, NetworkSample};

    use super::*;
    use crate::sampling::counters::{CpuSeconds, DiskCounters};

    fn hub_with_one_sample() -> Hub {
        let hub = Hub::new(Hello {
            host: HostInfo {
                hostname: "db-1".into(),
                kernel_version: "6.1.0".into(),
                architecture: "x86_64".into(),
                boot_time_secs: 1_700_000_000,
                ..HostInfo::default()
            },
            history_capacity: 10,
            ..Hello::default()
        })
        .unwrap();
        hub.publish(
            Sample {
                seq: 41,
                memory: MemorySample {
                    total_bytes: 1000,
                    available_bytes: 600,
                    swap_total_bytes: 100,
                    swap_used_bytes: 30,
                    ..MemorySample::default()
                },
                networks: vec![NetworkSample {
                    interface: "eth\"0".into(),
                    rx_bytes_total: 5,
                    tx_bytes_total: 7,
                    ..NetworkSample::default()
                }],
                ..Sample::default()
            },
            Counters {
                cpu_seconds: vec![CpuSeconds {
                    idle: 12.5,
                    user: 3.25,
                    ..CpuSeconds::default()
                }],
                disks: vec![DiskCounters {
                    device: "vda".into(),
                    read_bytes_total: 4096,
                    written_bytes_total: 512,
                }],
                sample_duration_secs: 0.002,
            },
        )
        .unwrap();
        hub
    }

    #[test]
    fn renders_node_exporter_names_from_the_latest_sample() {
        let text = render(&hub_with_one_sample());
        for line in [
            "# TYPE node_cpu_seconds_total counter",
            "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 12.5",
            "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 3.25",
            "node_memory_MemTotal_bytes 1000",
            "node_memory_MemAvailable_bytes 600",
            "node_memory_SwapFree_bytes 70",
            "node_network_receive_bytes_total{device=\"eth\\\"0\"} 5",
            "node_network_transmit_bytes_total{device=\"eth\\\"0\"} 7",
            "node_disk_read_bytes_total{device=\"vda\"} 4096",
            "node_boot_time_seconds 1700000000",
            "node_uname_info{machine=\"x86_64\",nodename=\"db-1\",release=\"6.1.0\",sysname=\"Linux\"} 1",
            "hostpulse_samples_total 42",
            "hostpulse_sample_duration_seconds 0.002",
            "hostpulse_clients 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn before_the_first_sample_only_self_metrics_are_served() {
        let hub = Hub::new(Hello::default()).unwrap();
        let text = render(&hub);
        assert!(text.contains("hostpulse_build_info{"));
        assert!(!text.contains("node_"));
    }

    #[test]
    fn repeated_sensor_labels_become_distinct_series() {
        let hub = Hub::new(Hello::default()).unwrap();
        let reading = |celsius, critical_celsius| hostpulse_shared::TemperatureSample {
            label: "nvme Composite".into(),
            celsius,
            critical_celsius,
        };
        hub.publish(
            Sample {
                temperatures: vec![reading(40.0, None), reading(41.5, Some(84.5))],
                ..Sample::default()
            },
            Counters::default(),
        )
        .unwrap();
        let text = render(&hub);
        assert!(text.contains("hostpulse_temperature_celsius{sensor=\"nvme Composite\"} 40\n"));
        assert!(
            text.contains("hostpulse_temperature_celsius{sensor=\"nvme Composite #2\"} 41.5\n")
        );
        // Only the sensor that reports a critical temperature has one.
        let critical: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("hostpulse_temperature_critical_celsius{"))
            .collect();
        assert_eq!(
            critical,
            ["hostpulse_temperature_critical_celsius{sensor=\"nvme Composite #2\"} 84.5"]
        );
    }

    #[test]
    fn values_and_labels_follow_the_format() {
        assert_eq!(escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.5), "0.5");
    }
}
