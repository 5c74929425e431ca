//! A sample as a row of integers, one per series, and back.
//!
//! The store compresses each series on its own (see [`crate::block`]), and the
//! codec compresses integers best, so every value is turned into an integer at a
//! fixed resolution here, the one place that knows the units:
//! percentages to 0.1, load to 0.01, temperatures to 0.001 °C, rates to whole
//! bytes per second, byte counts exactly. A value that is unknown (a rate on the
//! first sample of an interface) is [`MISSING`], never zero.
//!
//! [`quantize`] gives a sample exactly as the store will read it back, so the
//! server can publish that one, and a sample is the same whether a viewer got
//! it live or from disk: one `(epoch, seq)`, one sample.

use hostpulse_shared::{
    CpuSample, DiskSample, LoadAverage, NetworkSample, ProcessSample, Sample, TemperatureSample,
};
use serde::{Deserialize, Serialize};

/// The integer that stands for "no value here".
pub const MISSING: i64 = i64::MIN;

/// Percentages are kept to this fraction (0.1 %).
const PERCENT_SCALE: f64 = 10.0;
/// Load averages are kept to 0.01, the kernel's own resolution.
const LOAD_SCALE: f64 = 100.0;
/// Temperatures are kept to 0.001 °C, the kernel's own resolution.
const CELSIUS_SCALE: f64 = 1000.0;

/// Which quantity of which part of the host one series holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SeriesKey {
    /// Seconds since boot.
    UptimeSecs,
    /// All CPUs together, percent.
    CpuTotal,
    /// One logical CPU, percent.
    CpuCore(u32),
    /// Load averages over 1, 5 and 15 minutes.
    Load1,
    /// See [`SeriesKey::Load1`].
    Load5,
    /// See [`SeriesKey::Load1`].
    Load15,
    /// Installed memory.
    MemoryTotal,
    /// Memory in use.
    MemoryUsed,
    /// Memory available.
    MemoryAvailable,
    /// Swap configured.
    SwapTotal,
    /// Swap in use.
    SwapUsed,
    /// A quantity of one network interface.
    Network(String, NetworkField),
    /// A quantity of one mounted file system.
    Disk(DiskId, DiskField),
    /// One temperature sensor.
    Temperature(String),
    /// Number of processes.
    ProcessCount,
}

/// The quantities kept for a network interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NetworkField {
    /// Receive rate.
    RxRate,
    /// Send rate.
    TxRate,
    /// Bytes received since the interface came up.
    RxTotal,
    /// Bytes sent since the interface came up.
    TxTotal,
}

/// The quantities kept for a mounted file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DiskField {
    /// Size.
    Total,
    /// Space available.
    Available,
    /// Read rate.
    ReadRate,
    /// Write rate.
    WriteRate,
}

/// What names a mounted file system.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DiskId {
    /// Mount point.
    pub mount_point: String,
    /// Device.
    pub device: String,
    /// File system type.
    pub file_system: String,
}

impl DiskId {
    /// The id of `disk`.
    #[must_use]
    pub fn of(disk: &DiskSample) -> Self {
        Self {
            mount_point: disk.mount_point.clone(),
            device: disk.device.clone(),
            file_system: disk.file_system.clone(),
        }
    }
}

impl SeriesKey {
    /// A stable name, with the unit, for answers: `cpu.core.3.percent`,
    /// `network.eth0.rx_bytes_per_sec`, `disk./.available_bytes`, ...
    #[must_use]
    pub fn id(&self) -> String {
        match self {
            SeriesKey::UptimeSecs => "uptime_secs".to_owned(),
            SeriesKey::CpuTotal => "cpu.total_percent".to_owned(),
            SeriesKey::CpuCore(core) => format!("cpu.core.{core}.percent"),
            SeriesKey::Load1 => "load.one".to_owned(),
            SeriesKey::Load5 => "load.five".to_owned(),
            SeriesKey::Load15 => "load.fifteen".to_owned(),
            SeriesKey::MemoryTotal => "memory.total_bytes".to_owned(),
            SeriesKey::MemoryUsed => "memory.used_bytes".to_owned(),
            SeriesKey::MemoryAvailable => "memory.available_bytes".to_owned(),
            SeriesKey::SwapTotal => "memory.swap_total_bytes".to_owned(),
            SeriesKey::SwapUsed => "memory.swap_used_bytes".to_owned(),
            SeriesKey::Network(interface, field) => format!(
                "network.{interface}.{}",
                match field {
                    NetworkField::RxRate => "rx_bytes_per_sec",
                    NetworkField::TxRate => "tx_bytes_per_sec",
                    NetworkField::RxTotal => "rx_bytes_total",
                    NetworkField::TxTotal => "tx_bytes_total",
                }
            ),
            SeriesKey::Disk(id, field) => format!(
                "disk.{}.{}",
                id.mount_point,
                match field {
                    DiskField::Total => "total_bytes",
                    DiskField::Available => "available_bytes",
                    DiskField::ReadRate => "read_bytes_per_sec",
                    DiskField::WriteRate => "write_bytes_per_sec",
                }
            ),
            SeriesKey::Temperature(label) => format!("temperature.{label}.celsius"),
            SeriesKey::ProcessCount => "process_count".to_owned(),
        }
    }
}

/// Every series value of one sample, in the order the sample lists its parts.
/// Each key comes once: a part listed twice (an interface or a file system
/// named twice) counts once, and sensors sharing a label are told apart as
/// [`unique_labels`] names them.
#[must_use]
pub fn flatten(sample: &Sample) -> Vec<(SeriesKey, i64)> {
    let mut row = flatten_listed(sample);
    let mut seen = std::collections::HashSet::with_capacity(row.len());
    row.retain(|(key, _)| seen.insert(key.clone()));
    row
}

fn flatten_listed(sample: &Sample) -> Vec<(SeriesKey, i64)> {
    let mut row = Vec::with_capacity(16 + sample.cpu.per_core_percent.len());
    row.push((SeriesKey::UptimeSecs, saturate(sample.uptime_secs)));
    row.push((
        SeriesKey::CpuTotal,
        scaled(f64::from(sample.cpu.total_percent), PERCENT_SCALE),
    ));
    for (core, percent) in (0_u32..).zip(&sample.cpu.per_core_percent) {
        row.push((
            SeriesKey::CpuCore(core),
            scaled(f64::from(*percent), PERCENT_SCALE),
        ));
    }
    if let Some(load) = sample.load {
        row.push((SeriesKey::Load1, scaled(load.one, LOAD_SCALE)));
        row.push((SeriesKey::Load5, scaled(load.five, LOAD_SCALE)));
        row.push((SeriesKey::Load15, scaled(load.fifteen, LOAD_SCALE)));
    }
    let memory = &sample.memory;
    row.push((SeriesKey::MemoryTotal, saturate(memory.total_bytes)));
    row.push((SeriesKey::MemoryUsed, saturate(memory.used_bytes)));
    row.push((SeriesKey::MemoryAvailable, saturate(memory.available_bytes)));
    row.push((SeriesKey::SwapTotal, saturate(memory.swap_total_bytes)));
    row.push((SeriesKey::SwapUsed, saturate(memory.swap_used_bytes)));
    for network in &sample.networks {
        let key = |field| SeriesKey::Network(network.interface.clone(), field);
        row.push((key(NetworkField::RxRate), rate(network.rx_bytes_per_sec)));
        row.push((key(NetworkField::TxRate), rate(network.tx_bytes_per_sec)));
        row.push((key(NetworkField::RxTotal), saturate(network.rx_bytes_total)));
        row.push((key(NetworkField::TxTotal), saturate(network.tx_bytes_total)));
    }
    for disk in &sample.disks {
        let id = DiskId::of(disk);
        let key = |field| SeriesKey::Disk(id.clone(), field);
        row.push((key(DiskField::Total), saturate(disk.total_bytes)));
        row.push((key(DiskField::Available), saturate(disk.available_bytes)));
        row.push((key(DiskField::ReadRate), rate(disk.read_bytes_per_sec)));
        row.push((key(DiskField::WriteRate), rate(disk.write_bytes_per_sec)));
    }
    for (label, temperature) in unique_labels(&sample.temperatures).zip(&sample.temperatures) {
        row.push((
            SeriesKey::Temperature(label),
            scaled(f64::from(temperature.celsius), CELSIUS_SCALE),
        ));
    }
    row.push((SeriesKey::ProcessCount, i64::from(sample.process_count)));
    row
}

/// The value a series holds, as the sample's own unit (`None` for [`MISSING`]).
#[must_use]
pub fn unscaled(key: &SeriesKey, value: i64) -> Option<f64> {
    if value == MISSING {
        return None;
    }
    let value = value as f64;
    Some(match key {
        SeriesKey::CpuTotal | SeriesKey::CpuCore(_) => value / PERCENT_SCALE,
        SeriesKey::Load1 | SeriesKey::Load5 | SeriesKey::Load15 => value / LOAD_SCALE,
        SeriesKey::Temperature(_) => value / CELSIUS_SCALE,
        _ => value,
    })
}

/// A sample rebuilt from its row (`values[i]` belongs to `keys[i]`); the
/// process list, epoch, seq and time are the caller's.
#[must_use]
pub fn rebuild(keys: &[SeriesKey], values: &[i64]) -> Sample {
    let mut sample = Sample::default();
    let mut load = LoadAverage::default();
    let mut has_load = false;
    let mut cores: Vec<(u32, f32)> = Vec::new();
    for (key, &value) in keys.iter().zip(values) {
        if value == MISSING && !is_rate(key) {
            continue;
        }
        let real = unscaled(key, value);
        let float = real.unwrap_or(0.0);
        let bytes = u64::try_from(value).unwrap_or(0);
        #[allow(clippy::cast_possible_truncation)] // percentages and °C fit an f32
        let single = float as f32;
        match key {
            SeriesKey::UptimeSecs => sample.uptime_secs = bytes,
            SeriesKey::CpuTotal => sample.cpu.total_percent = single,
            SeriesKey::CpuCore(core) => cores.push((*core, single)),
            SeriesKey::Load1 => (load.one, has_load) = (float, true),
            SeriesKey::Load5 => (load.five, has_load) = (float, true),
            SeriesKey::Load15 => (load.fifteen, has_load) = (float, true),
            SeriesKey::MemoryTotal => sample.memory.total_bytes = bytes,
            SeriesKey::MemoryUsed => sample.memory.used_bytes = bytes,
            SeriesKey::MemoryAvailable => sample.memory.available_bytes = bytes,
            SeriesKey::SwapTotal => sample.memory.swap_total_bytes = bytes,
            SeriesKey::SwapUsed => sample.memory.swap_used_bytes = bytes,
            SeriesKey::Network(interface, field) => {
                let network = network_entry(&mut sample.networks, interface);
                match field {
                    NetworkField::RxRate => network.rx_bytes_per_sec = real,
                    NetworkField::TxRate => network.tx_bytes_per_sec = real,
                    NetworkField::RxTotal => network.rx_bytes_total = bytes,
                    NetworkField::TxTotal => network.tx_bytes_total = bytes,
                }
            }
            SeriesKey::Disk(id, field) => {
                let disk = disk_entry(&mut sample.disks, id);
                match field {
                    DiskField::Total => disk.total_bytes = bytes,
                    DiskField::Available => disk.available_bytes = bytes,
                    DiskField::ReadRate => disk.read_bytes_per_sec = real,
                    DiskField::WriteRate => disk.write_bytes_per_sec = real,
                }
            }
            // The store keeps readings, not the sensor's fixed critical value.
            SeriesKey::Temperature(label) => sample.temperatures.push(TemperatureSample {
                label: label.clone(),
                celsius: single,
                critical_celsius: None,
            }),
            SeriesKey::ProcessCount => {
                sample.process_count = u32::try_from(value).unwrap_or(u32::MAX);
            }
        }
    }
    // A part whose every series is missing in this row was absent from the sample.
    sample.networks.retain(|n| {
        present(
            keys,
            values,
            |k| matches!(k, SeriesKey::Network(i, NetworkField::RxTotal) if *i == n.interface),
        )
    });
    sample.disks.retain(|d| {
        let wanted = DiskId::of(d);
        present(
            keys,
            values,
            |k| matches!(k, SeriesKey::Disk(id, DiskField::Total) if *id == wanted),
        )
    });
    cores.sort_by_key(|(core, _)| *core);
    sample.cpu = CpuSample {
        total_percent: sample.cpu.total_percent,
        per_core_percent: cores.into_iter().map(|(_, percent)| percent).collect(),
    };
    sample.load = has_load.then_some(load);
    sample
        .networks
        .sort_by(|a, b| a.interface.cmp(&b.interface));
    sample.disks.sort_by_key(DiskId::of);
    sample.temperatures.sort_by(|a, b| a.label.cmp(&b.label));
    sample
}

/// The sensors' labels, a repeated one numbered from its second use on
/// ("nvme Composite", "nvme Composite #2"), so two sensors never share a series.
pub fn unique_labels(temperatures: &[TemperatureSample]) -> impl Iterator<Item = String> + '_ {
    temperatures.iter().enumerate().map(|(index, temperature)| {
        let before = temperatures[..index]
            .iter()
            .filter(|t| t.label == temperature.label)
            .count();
        if before == 0 {
            temperature.label.clone()
        } else {
            format!("{} #{}", temperature.label, before + 1)
        }
    })
}

/// `sample` exactly as the store reads it back: every value at the stored
/// resolution, the parts in the store's order (interfaces by name, file
/// systems by mount point, sensors by label), a part listed twice once.
/// Quantizing twice changes nothing.
#[must_use]
pub fn quantize(sample: &Sample) -> Sample {
    let row = flatten(sample);
    let (keys, values): (Vec<SeriesKey>, Vec<i64>) = row.into_iter().unzip();
    let mut quantized = rebuild(&keys, &values);
    quantized.epoch = sample.epoch;
    quantized.seq = sample.seq;
    quantized.timestamp_ms = sample.timestamp_ms;
    quantized.top_processes = sample
        .top_processes
        .iter()
        .map(|p| ProcessSample {
            pid: p.pid,
            name: p.name.clone(),
            cpu_percent: int_to_percent(percent_to_int(p.cpu_percent)),
            memory_bytes: p.memory_bytes,
        })
        .collect();
    quantized
}

fn present(keys: &[SeriesKey], values: &[i64], wanted: impl Fn(&SeriesKey) -> bool) -> bool {
    keys.iter()
        .zip(values)
        .any(|(key, &value)| wanted(key) && value != MISSING)
}

fn network_entry<'a>(
    networks: &'a mut Vec<NetworkSample>,
    interface: &str,
) -> &'a mut NetworkSample {
    let index = networks
        .iter()
        .position(|n| n.interface == interface)
        .unwrap_or_else(|| {
            networks.push(NetworkSample {
                interface: interface.to_owned(),
                ..NetworkSample::default()
            });
            networks.len() - 1
        });
    &mut networks[index]
}

fn disk_entry<'a>(disks: &'a mut Vec<DiskSample>, id: &DiskId) -> &'a mut DiskSample {
    let index = disks
        .iter()
        .position(|d| DiskId::of(d) == *id)
        .unwrap_or_else(|| {
            disks.push(DiskSample {
                mount_point: id.mount_point.clone(),
                device: id.device.clone(),
                file_system: id.file_system.clone(),
                ..DiskSample::default()
            });
            disks.len() - 1
        });
    &mut disks[index]
}

fn is_rate(key: &SeriesKey) -> bool {
    matches!(
        key,
        SeriesKey::Network(_, NetworkField::RxRate | NetworkField::TxRate)
            | SeriesKey::Disk(_, DiskField::ReadRate | DiskField::WriteRate)
    )
}

fn saturate(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[allow(clippy::cast_possible_truncation)] // rounded, clamped to a range far inside i64
fn scaled(value: f64, scale: f64) -> i64 {
    if value.is_finite() {
        (value * scale).round().clamp(-9.0e15, 9.0e15) as i64
    } else {
        MISSING
    }
}

fn rate(value: Option<f64>) -> i64 {
    value.map_or(MISSING, |v| scaled(v, 1.0))
}

/// A percentage as kept in a process list (0.1 %).
#[must_use]
pub fn percent_to_int(percent: f32) -> i64 {
    scaled(f64::from(percent), PERCENT_SCALE)
}

/// The inverse of [`percent_to_int`].
#[must_use]
#[allow(clippy::cast_possible_truncation)] // percentages fit an f32
pub fn int_to_percent(value: i64) -> f32 {
    (value as f64 / PERCENT_SCALE) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostpulse_shared::MemorySample;

    pub(crate) fn sample() -> Sample {
        Sample {
            uptime_secs: 1234,
            cpu: CpuSample {
                total_percent: 12.3,
                per_core_percent: vec![10.1, 14.5],
            },
            load: Some(LoadAverage {
                one: 0.52,
                five: 0.4,
                fifteen: 0.25,
            }),
            memory: MemorySample {
                total_bytes: 8 << 30,
                used_bytes: 3 << 30,
                available_bytes: 5 << 30,
                swap_total_bytes: 0,
                swap_used_bytes: 0,
            },
            networks: vec![NetworkSample {
                interface: "eth0".into(),
                rx_bytes_per_sec: None,
                tx_bytes_per_sec: Some(120.0),
                rx_bytes_total: 1000,
                tx_bytes_total: 2000,
            }],
            disks: vec![DiskSample {
                mount_point: "/".into(),
                device: "/dev/vda".into(),
                file_system: "ext4".into(),
                total_bytes: 100 << 30,
                available_bytes: 40 << 30,
                read_bytes_per_sec: Some(4096.0),
                write_bytes_per_sec: Some(0.0),
            }],
            temperatures: vec![TemperatureSample {
                label: "cpu".into(),
                celsius: 41.5,
                critical_celsius: None,
            }],
            process_count: 321,
            ..Sample::default()
        }
    }

    #[test]
    fn a_sample_survives_flattening_at_the_stored_resolution() {
        let original = sample();
        let row = flatten(&original);
        let keys: Vec<SeriesKey> = row.iter().map(|(k, _)| k.clone()).collect();
        let values: Vec<i64> = row.iter().map(|(_, v)| *v).collect();
        assert_eq!(rebuild(&keys, &values), original);
    }

    #[test]
    fn a_part_missing_from_a_row_is_left_out_not_zeroed() {
        let original = sample();
        let row = flatten(&original);
        let keys: Vec<SeriesKey> = row.iter().map(|(k, _)| k.clone()).collect();
        let values: Vec<i64> = row
            .iter()
            .map(|(k, v)| {
                if matches!(k, SeriesKey::Network(..)) {
                    MISSING
                } else {
                    *v
                }
            })
            .collect();
        let rebuilt = rebuild(&keys, &values);
        assert!(rebuilt.networks.is_empty());
        assert_eq!(rebuilt.disks.len(), 1);
    }
}
