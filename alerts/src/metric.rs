//! The metrics a rule can watch, named as the sample names them with their
//! units, and how each is read from a [`Sample`]. A metric over several
//! instances (mounts, sensors, interfaces) yields one value per instance, so
//! each fires on its own.

use hostpulse_shared::Sample;

/// A metric a rule can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// `cpu.total_percent`: all logical CPUs together, 0–100.
    CpuTotalPercent,
    /// `memory.available_percent`: memory available for new work, 0–100.
    MemoryAvailablePercent,
    /// `swap.used_percent`: swap in use, 0–100 (nothing where no swap is set up).
    SwapUsedPercent,
    /// `load.1m_per_core`: the one-minute load average divided by the logical
    /// CPU count.
    Load1mPerCore,
    /// `filesystem.used_percent`: space used on each mount, 0–100 (space
    /// reserved for root counts as used, as unprivileged users see it).
    FilesystemUsedPercent,
    /// `temperature.celsius`: each sensor's reading.
    TemperatureCelsius,
    /// `temperature.below_critical_celsius`: how far each sensor is below the
    /// temperature it calls critical (only sensors that report one).
    TemperatureBelowCriticalCelsius,
    /// `network.rx_bytes_per_sec`: bytes received per second on each interface.
    NetworkRxBytesPerSec,
    /// `network.tx_bytes_per_sec`: bytes sent per second on each interface.
    NetworkTxBytesPerSec,
    /// `sampler.stalled`: 1 while no sample has come for five intervals, else 0.
    SamplerStalled,
}

/// Which instances a metric has, and the rule key that picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instances {
    /// One value for the whole host.
    Host,
    /// One value per instance; the rule key that names one.
    Each(&'static str),
}

impl Metric {
    /// Every metric, in the order the docs list them.
    pub const ALL: [Self; 10] = [
        Self::CpuTotalPercent,
        Self::MemoryAvailablePercent,
        Self::SwapUsedPercent,
        Self::Load1mPerCore,
        Self::FilesystemUsedPercent,
        Self::TemperatureCelsius,
        Self::TemperatureBelowCriticalCelsius,
        Self::NetworkRxBytesPerSec,
        Self::NetworkTxBytesPerSec,
        Self::SamplerStalled,
    ];

    /// The name rules use.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::CpuTotalPercent => "cpu.total_percent",
            Self::MemoryAvailablePercent => "memory.available_percent",
            Self::SwapUsedPercent => "swap.used_percent",
            Self::Load1mPerCore => "load.1m_per_core",
            Self::FilesystemUsedPercent => "filesystem.used_percent",
            Self::TemperatureCelsius => "temperature.celsius",
            Self::TemperatureBelowCriticalCelsius => "temperature.below_critical_celsius",
            Self::NetworkRxBytesPerSec => "network.rx_bytes_per_sec",
            Self::NetworkTxBytesPerSec => "network.tx_bytes_per_sec",
            Self::SamplerStalled => "sampler.stalled",
        }
    }

    /// The metric a rule names, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Every metric name, comma-separated, for error messages.
    #[must_use]
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// The values a threshold of this metric can take, for validation.
    #[must_use]
    pub const fn range(self) -> (f64, f64) {
        match self {
            Self::CpuTotalPercent
            | Self::MemoryAvailablePercent
            | Self::SwapUsedPercent
            | Self::FilesystemUsedPercent => (0.0, 100.0),
            Self::Load1mPerCore | Self::TemperatureBelowCriticalCelsius => (0.0, 1_000.0),
            Self::TemperatureCelsius => (-273.15, 1_000.0),
            Self::NetworkRxBytesPerSec | Self::NetworkTxBytesPerSec => (0.0, 1e15),
            Self::SamplerStalled => (0.0, 1.0),
        }
    }

    /// Whether the metric is a yes/no (1/0) that needs no threshold.
    #[must_use]
    pub const fn is_flag(self) -> bool {
        matches!(self, Self::SamplerStalled)
    }

    /// Whether the metric has one value per instance, and the key picking one.
    #[must_use]
    pub const fn instances(self) -> Instances {
        match self {
            Self::FilesystemUsedPercent => Instances::Each("mount"),
            Self::TemperatureCelsius | Self::TemperatureBelowCriticalCelsius => {
                Instances::Each("sensor")
            }
            Self::NetworkRxBytesPerSec | Self::NetworkTxBytesPerSec => Instances::Each("interface"),
            _ => Instances::Host,
        }
    }

    /// Calls `each(instance, value)` for every value of this metric in
    /// `sample` (the instance is "" for host-wide metrics). Values that cannot
    /// be known (a rate on an interface's first sample, swap where there is
    /// none) are skipped: no information is not a reading of zero. Loopback is
    /// skipped unless `only` names it. `sampler.stalled` is not in samples.
    pub fn for_each(self, sample: &Sample, only: Option<&str>, mut each: impl FnMut(&str, f64)) {
        let wanted = |instance: &str| only.is_none_or(|o| o == instance);
        match self {
            Self::CpuTotalPercent => each("", f64::from(sample.cpu.total_percent)),
            Self::MemoryAvailablePercent => {
                if let Some(percent) =
                    percent_of(sample.memory.available_bytes, sample.memory.total_bytes)
                {
                    each("", percent);
                }
            }
            Self::SwapUsedPercent => {
                if let Some(percent) = percent_of(
                    sample.memory.swap_used_bytes,
                    sample.memory.swap_total_bytes,
                ) {
                    each("", percent);
                }
            }
            Self::Load1mPerCore => {
                let cores = sample.cpu.per_core_percent.len();
                if let (Some(load), true) = (sample.load, cores > 0) {
                    each("", load.one / cores as f64);
                }
            }
            Self::FilesystemUsedPercent => {
                for disk in sample.disks.iter().filter(|d| wanted(&d.mount_point)) {
                    let used = disk.total_bytes.saturating_sub(disk.available_bytes);
                    if let Some(percent) = percent_of(used, disk.total_bytes) {
                        each(&disk.mount_point, percent);
                    }
                }
            }
            Self::TemperatureCelsius => {
                for (name, sensor) in sample.sensors().filter(|(name, _)| wanted(name)) {
                    each(&name, f64::from(sensor.celsius));
                }
            }
            Self::TemperatureBelowCriticalCelsius => {
                for (name, sensor) in sample.sensors().filter(|(name, _)| wanted(name)) {
                    if let Some(critical) = sensor.critical_celsius {
                        each(&name, f64::from(critical) - f64::from(sensor.celsius));
                    }
                }
            }
            Self::NetworkRxBytesPerSec | Self::NetworkTxBytesPerSec => {
                let receive = self == Self::NetworkRxBytesPerSec;
                for network in &sample.networks {
                    let named = only == Some(network.interface.as_str());
                    if !(named || only.is_none() && !network.is_loopback()) {
                        continue;
                    }
                    let rate = if receive {
                        network.rx_bytes_per_sec
                    } else {
                        network.tx_bytes_per_sec
                    };
                    if let Some(rate) = rate {
                        each(&network.interface, rate);
                    }
                }
            }
            // A stall is the absence of samples: the engine checks it.
            Self::SamplerStalled => {}
        }
    }
}

/// `part` as a percentage of `whole`, or `None` when `whole` is zero.
fn percent_of(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64 * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostpulse_shared::{
        CpuSample, DiskSample, LoadAverage, MemorySample, NetworkSample, TemperatureSample,
    };

    fn values(metric: Metric, sample: &Sample, only: Option<&str>) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        metric.for_each(sample, only, |instance, value| {
            out.push((instance.to_owned(), value));
        });
        out
    }

    fn sample() -> Sample {
        Sample {
            cpu: CpuSample {
                total_percent: 40.0,
                per_core_percent: vec![40.0, 40.0],
            },
            load: Some(LoadAverage {
                one: 3.0,
                five: 0.0,
                fifteen: 0.0,
            }),
            memory: MemorySample {
                total_bytes: 1000,
                used_bytes: 900,
                available_bytes: 50,
                swap_total_bytes: 0,
                swap_used_bytes: 0,
            },
            disks: vec![
                DiskSample {
                    mount_point: "/".into(),
                    total_bytes: 200,
                    available_bytes: 20,
                    ..DiskSample::default()
                },
                DiskSample {
                    mount_point: "/empty".into(),
                    total_bytes: 0,
                    ..DiskSample::default()
                },
            ],
            temperatures: vec![
                TemperatureSample {
                    label: "cpu".into(),
                    celsius: 80.0,
                    critical_celsius: Some(100.0),
                },
                TemperatureSample {
                    label: "nvme".into(),
                    celsius: 40.0,
                    critical_celsius: None,
                },
                TemperatureSample {
                    label: "cpu".into(),
                    celsius: 97.5,
                    critical_celsius: Some(100.0),
                },
            ],
            networks: vec![
                NetworkSample {
                    interface: "lo".into(),
                    rx_bytes_per_sec: Some(5.0),
                    ..NetworkSample::default()
                },
                NetworkSample {
                    interface: "eth0".into(),
                    rx_bytes_per_sec: Some(7.0),
                    tx_bytes_per_sec: None,
                    ..NetworkSample::default()
                },
            ],
            ..Sample::default()
        }
    }

    #[test]
    fn every_metric_name_reads_back() {
        for metric in Metric::ALL {
            assert_eq!(Metric::from_name(metric.name()), Some(metric));
        }
        assert_eq!(Metric::from_name("cpu.total"), None);
    }

    #[test]
    fn host_metrics_give_one_value_and_unknowns_give_none() {
        let sample = sample();
        assert_eq!(
            values(Metric::CpuTotalPercent, &sample, None),
            [(String::new(), 40.0)]
        );
        assert_eq!(
            values(Metric::MemoryAvailablePercent, &sample, None),
            [(String::new(), 5.0)]
        );
        assert_eq!(
            values(Metric::Load1mPerCore, &sample, None),
            [(String::new(), 1.5)]
        );
        assert!(
            values(Metric::SwapUsedPercent, &sample, None).is_empty(),
            "no swap is no reading"
        );
    }

    #[test]
    fn instance_metrics_give_one_value_per_instance_or_the_one_named() {
        let sample = sample();
        assert_eq!(
            values(Metric::FilesystemUsedPercent, &sample, None),
            [("/".to_owned(), 90.0)],
            "an empty file system has no percentage"
        );
        assert_eq!(
            values(Metric::TemperatureCelsius, &sample, Some("nvme")),
            [("nvme".to_owned(), 40.0)]
        );
        assert_eq!(
            values(Metric::TemperatureBelowCriticalCelsius, &sample, None),
            [("cpu".to_owned(), 20.0), ("cpu #2".to_owned(), 2.5)],
            "only sensors with a critical temperature, repeated labels numbered"
        );
        assert_eq!(
            values(Metric::TemperatureCelsius, &sample, Some("cpu #2")),
            [("cpu #2".to_owned(), 97.5)]
        );
        assert_eq!(
            values(Metric::NetworkRxBytesPerSec, &sample, None),
            [("eth0".to_owned(), 7.0)],
            "loopback is left out unless named"
        );
        assert_eq!(
            values(Metric::NetworkRxBytesPerSec, &sample, Some("lo")),
            [("lo".to_owned(), 5.0)]
        );
        assert!(values(Metric::NetworkTxBytesPerSec, &sample, None).is_empty());
    }
}
