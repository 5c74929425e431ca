//! One measurement of a host, taken once per interval by the server.
//!
//! Rates (`_bytes_per_sec`) are `None` when they cannot be known yet, for example on
//! the first sample after an interface or disk appears: a viewer draws a gap there,
//! never a zero.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Everything measured on a host at one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Sample {
    /// Random per server start; a new epoch means the sequence started over.
    pub epoch: u64,
    /// Tick number within the epoch, starting at 0 and rising by one per tick.
    pub seq: u64,
    /// When the tick fired, in Unix milliseconds.
    pub timestamp_ms: u64,
    /// Seconds since the host booted.
    pub uptime_secs: u64,
    /// Processor usage.
    pub cpu: CpuSample,
    /// Run-queue load averages; `None` where the platform has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadAverage>,
    /// Memory and swap.
    pub memory: MemorySample,
    /// One entry per network interface, sorted by name.
    #[serde(default)]
    pub networks: Vec<NetworkSample>,
    /// One entry per mounted file system, sorted by mount point.
    #[serde(default)]
    pub disks: Vec<DiskSample>,
    /// One entry per temperature sensor that gave a reading.
    #[serde(default)]
    pub temperatures: Vec<TemperatureSample>,
    /// Number of processes (threads not counted).
    pub process_count: u32,
    /// The top processes by CPU and the top by memory, merged, without duplicates,
    /// sorted by CPU usage, highest first.
    #[serde(default)]
    pub top_processes: Vec<ProcessSample>,
}

/// Processor usage over the last interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CpuSample {
    /// Usage of all logical CPUs together, 0–100.
    pub total_percent: f32,
    /// Usage of each logical CPU, 0–100, in CPU order.
    pub per_core_percent: Vec<f32>,
}

/// Run-queue load averages over 1, 5 and 15 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoadAverage {
    /// Over the last minute.
    pub one: f64,
    /// Over the last five minutes.
    pub five: f64,
    /// Over the last fifteen minutes.
    pub fifteen: f64,
}

/// Memory and swap at the tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemorySample {
    /// Installed memory.
    pub total_bytes: u64,
    /// Memory in use by processes and the kernel (not counting reclaimable cache).
    pub used_bytes: u64,
    /// Memory available for new work without swapping.
    pub available_bytes: u64,
    /// Swap space configured.
    pub swap_total_bytes: u64,
    /// Swap space in use.
    pub swap_used_bytes: u64,
}

/// Traffic on one network interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NetworkSample {
    /// Interface name, e.g. "eth0".
    pub interface: String,
    /// Bytes received per second over the last interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rx_bytes_per_sec: Option<f64>,
    /// Bytes sent per second over the last interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_bytes_per_sec: Option<f64>,
    /// Bytes received since the interface came up.
    pub rx_bytes_total: u64,
    /// Bytes sent since the interface came up.
    pub tx_bytes_total: u64,
}

/// Space and I/O of one mounted file system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DiskSample {
    /// Where it is mounted, e.g. "/".
    pub mount_point: String,
    /// The device or source, e.g. "/dev/nvme0n1p2".
    pub device: String,
    /// File system type, e.g. "ext4".
    pub file_system: String,
    /// Size of the file system.
    pub total_bytes: u64,
    /// Space available to unprivileged users.
    pub available_bytes: u64,
    /// Bytes read per second over the last interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_bytes_per_sec: Option<f64>,
    /// Bytes written per second over the last interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_bytes_per_sec: Option<f64>,
}

/// One temperature sensor reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TemperatureSample {
    /// Sensor label, e.g. "coretemp Package id 0".
    pub label: String,
    /// Temperature in degrees Celsius.
    pub celsius: f32,
    /// The temperature the sensor itself calls critical, in degrees Celsius,
    /// where it reports one (`temp*_crit` in Linux hwmon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_celsius: Option<f32>,
}

/// One process among the busiest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessSample {
    /// Process id.
    pub pid: u32,
    /// Executable name.
    pub name: String,
    /// CPU usage over the last interval, where 100 is one logical CPU fully busy
    /// (a multi-threaded process can exceed 100).
    pub cpu_percent: f32,
    /// Resident memory.
    pub memory_bytes: u64,
}

impl Sample {
    /// Sum of the receive rates of all interfaces except loopback, or `None` when
    /// no interface has a known rate.
    #[must_use]
    pub fn network_rx_bytes_per_sec(&self) -> Option<f64> {
        self.network_total(|n| n.rx_bytes_per_sec)
    }

    /// Sum of the send rates of all interfaces except loopback, or `None` when no
    /// interface has a known rate.
    #[must_use]
    pub fn network_tx_bytes_per_sec(&self) -> Option<f64> {
        self.network_total(|n| n.tx_bytes_per_sec)
    }

    fn network_total(&self, rate: impl Fn(&NetworkSample) -> Option<f64>) -> Option<f64> {
        sum_known(
            self.networks
                .iter()
                .filter(|n| !is_loopback(&n.interface))
                .map(rate),
        )
    }

    /// Sum of the read rates of all devices, or `None` when none is known. A device
    /// mounted in several places counts once.
    #[must_use]
    pub fn disk_read_bytes_per_sec(&self) -> Option<f64> {
        sum_known(self.disks_by_device().map(|d| d.read_bytes_per_sec))
    }

    /// Sum of the write rates of all devices, or `None` when none is known. A device
    /// mounted in several places counts once.
    #[must_use]
    pub fn disk_write_bytes_per_sec(&self) -> Option<f64> {
        sum_known(self.disks_by_device().map(|d| d.write_bytes_per_sec))
    }

    /// Each sensor with a name unique within the sample: its label, or for a
    /// label seen before (two `NVMe` drives are both "nvme Composite") the
    /// label with " #2", " #3"… in sample order, so that `/metrics`, alert
    /// instances and viewers name the same sensor the same way.
    pub fn sensors(&self) -> impl Iterator<Item = (Cow<'_, str>, &TemperatureSample)> {
        self.temperatures.iter().enumerate().map(|(index, sensor)| {
            let repeats = self.temperatures[..index]
                .iter()
                .filter(|earlier| earlier.label == sensor.label)
                .count();
            let name = if repeats == 0 {
                Cow::Borrowed(sensor.label.as_str())
            } else {
                Cow::Owned(format!("{} #{}", sensor.label, repeats + 1))
            };
            (name, sensor)
        })
    }

    /// The first mount of each device: I/O counters belong to the device, so a
    /// bind mount would otherwise count the same bytes twice.
    fn disks_by_device(&self) -> impl Iterator<Item = &DiskSample> {
        self.disks.iter().enumerate().filter_map(|(index, disk)| {
            let seen_before = self.disks[..index].iter().any(|d| d.device == disk.device);
            (!seen_before).then_some(disk)
        })
    }
}

impl NetworkSample {
    /// Whether this is the loopback interface, whose traffic never leaves the
    /// machine (left out of host totals and per-interface plots).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.interface)
    }
}

/// Loopback traffic never leaves the machine, so it is left out of host totals.
fn is_loopback(interface: &str) -> bool {
    interface == "lo" || interface.starts_with("lo0")
}

fn sum_known(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_totals_skip_loopback_and_unknown_rates() {
        let sample = Sample {
            networks: vec![
                NetworkSample {
                    interface: "lo".into(),
                    rx_bytes_per_sec: Some(1e9),
                    ..NetworkSample::default()
                },
                NetworkSample {
                    interface: "eth0".into(),
                    rx_bytes_per_sec: Some(100.0),
                    ..NetworkSample::default()
                },
                NetworkSample {
                    interface: "eth1".into(),
                    rx_bytes_per_sec: None,
                    ..NetworkSample::default()
                },
            ],
            ..Sample::default()
        };
        assert_eq!(sample.network_rx_bytes_per_sec(), Some(100.0));
        assert_eq!(sample.network_tx_bytes_per_sec(), None);
        assert_eq!(sample.disk_read_bytes_per_sec(), None);
    }

    #[test]
    fn repeated_sensor_labels_get_numbered_names() {
        let reading = |label: &str| TemperatureSample {
            label: label.into(),
            ..TemperatureSample::default()
        };
        let sample = Sample {
            temperatures: vec![
                reading("nvme Composite"),
                reading("cpu"),
                reading("nvme Composite"),
                reading("nvme Composite"),
            ],
            ..Sample::default()
        };
        let names: Vec<String> = sample.sensors().map(|(name, _)| name.into()).collect();
        assert_eq!(
            names,
            [
                "nvme Composite",
                "cpu",
                "nvme Composite #2",
                "nvme Composite #3"
            ]
        );
    }

    #[test]
    fn a_device_mounted_twice_counts_once() {
        let disk = |mount: &str, device: &str| DiskSample {
            mount_point: mount.into(),
            device: device.into(),
            read_bytes_per_sec: Some(10.0),
            write_bytes_per_sec: Some(1.0),
            ..DiskSample::default()
        };
        let sample = Sample {
            disks: vec![
                disk("/", "/dev/vda1"),
                disk("/srv", "/dev/vda1"),
                disk("/home", "/dev/vdb1"),
            ],
            ..Sample::default()
        };
        assert_eq!(sample.disk_read_bytes_per_sec(), Some(20.0));
        assert_eq!(sample.disk_write_bytes_per_sec(), Some(2.0));
    }
}
