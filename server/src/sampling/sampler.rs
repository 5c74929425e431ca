//! Owns the sysinfo handles and turns one refresh of them into a [`Sample`].
//!
//! sysinfo reads `/proc` and `/sys` with blocking calls, so a [`Sampler`] lives on
//! its own thread (see [`crate::sampling::ticker`]) and never on an async executor.
//!
//! Each tick refreshes only what changes from one second to the next: CPU,
//! memory, the network and disk counters, temperatures and the processes. The
//! lists of devices (mounts and their sizes, sensors) are scanned again every
//! [`DEVICE_RESCAN`].

use std::collections::HashSet;
use std::time::{Duration, Instant};

use hostpulse_shared::{
    CpuSample, DiskSample, HostInfo, LoadAverage, MemorySample, NetworkSample, ProcessSample,
    Sample, TemperatureSample,
};
use sysinfo::{Components, DiskRefreshKind, Disks, System};

use crate::sampling::counters::{Counters, DiskCounters, read_cpu_seconds};
use crate::sampling::mounts::MountTable;
use crate::sampling::netdev::NetworkTotals;
use crate::sampling::rate::CounterRates;
#[cfg(test)]
use crate::sampling::top::TOP_PROCESSES;

/// How often the lists of mounts and sensors are read again, and the space
/// left on each mount: a new mount or sensor shows within this time.
pub const DEVICE_RESCAN: Duration = Duration::from_secs(5);

/// The system's figures cannot be read on this platform.
#[derive(Debug, thiserror::Error)]
pub enum SamplerError {
    /// sysinfo could not be initialised.
    #[error("cannot read system information: {0}")]
    System(#[from] sysinfo::Error),
    /// The network interfaces' totals cannot be read.
    #[error("cannot read the network interfaces' byte counts: {0}")]
    Network(#[from] std::io::Error),
}

/// The sysinfo state between two samples, and the previous counter readings that
/// rates are computed from.
pub struct Sampler {
    system: System,
    #[cfg(target_os = "linux")]
    processes: crate::sampling::procstat::ProcessTable,
    devices_scanned_at: Instant,
    networks: NetworkTotals,
    disks: Disks,
    /// The mount points of [`Sampler::disks`] that are file systems of their
    /// own (not the sandbox's bind mounts), read at each rescan.
    disk_mounts: HashSet<String>,
    components: Components,
    network_rx: CounterRates,
    network_tx: CounterRates,
    disk_read: CounterRates,
    disk_write: CounterRates,
    networks_refreshed_at: Instant,
    disks_refreshed_at: Instant,
    /// Byte totals per device from the last disk refresh, for [`Sampler::counters`].
    disk_totals: Vec<DiskCounters>,
}

impl Sampler {
    /// Opens the sysinfo handles and primes them, so the first sample already has
    /// CPU usage (which needs two readings) and the counters rates start from.
    pub fn new() -> Result<Self, SamplerError> {
        let mut system = System::new()?;
        system.refresh_cpu_usage();
        system.refresh_memory();
        let mut sampler = Self {
            system,
            #[cfg(target_os = "linux")]
            processes: crate::sampling::procstat::ProcessTable::new(),
            devices_scanned_at: Instant::now(),
            networks: NetworkTotals::new()?,
            disks: Disks::new_with_refreshed_list_specifics(disk_refresh_kind())?,
            disk_mounts: HashSet::new(),
            components: Components::new_with_refreshed_list()?,
            network_rx: CounterRates::default(),
            network_tx: CounterRates::default(),
            disk_read: CounterRates::default(),
            disk_write: CounterRates::default(),
            networks_refreshed_at: Instant::now(),
            disks_refreshed_at: Instant::now(),
            disk_totals: Vec::new(),
        };
        sampler.scan_mounts();
        // Record the first counter readings; their rates are unknown by design.
        sampler.networks();
        sampler.disks(false);
        sampler.processes();
        Ok(sampler)
    }

    /// Facts about the host that do not change while the server runs.
    #[must_use]
    pub fn host_info(&self) -> HostInfo {
        HostInfo {
            hostname: System::host_name().unwrap_or_default(),
            os_name: System::name().unwrap_or_default(),
            os_version: System::os_version().unwrap_or_default(),
            kernel_version: System::kernel_version().unwrap_or_default(),
            architecture: System::cpu_arch(),
            cpu_model: self
                .system
                .cpus()
                .first()
                .map(|cpu| cpu.brand().trim().to_owned())
                .unwrap_or_default(),
            core_count: u32::try_from(self.system.cpus().len()).unwrap_or(u32::MAX),
            memory_total_bytes: self.system.total_memory(),
            boot_time_secs: System::boot_time().unwrap_or_default(),
        }
    }

    /// Refreshes everything and returns the sample for tick `seq`.
    pub fn sample(&mut self, epoch: u64, seq: u64, timestamp_ms: u64) -> Sample {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        let rescan = self.devices_scanned_at.elapsed() >= DEVICE_RESCAN;
        if rescan {
            self.devices_scanned_at = Instant::now();
        }
        let (process_count, top_processes) = self.processes();
        Sample {
            epoch,
            seq,
            timestamp_ms,
            uptime_secs: System::uptime().unwrap_or_default(),
            cpu: CpuSample {
                total_percent: self.system.global_cpu_usage(),
                per_core_percent: self.system.cpus().iter().map(sysinfo::Cpu::usage).collect(),
            },
            load: System::load_average().ok().map(|load| LoadAverage {
                one: load.one,
                five: load.five,
                fifteen: load.fifteen,
            }),
            memory: MemorySample {
                total_bytes: self.system.total_memory(),
                used_bytes: self.system.used_memory(),
                available_bytes: self.system.available_memory(),
                swap_total_bytes: self.system.total_swap(),
                swap_used_bytes: self.system.used_swap(),
            },
            networks: self.networks(),
            disks: self.disks(rescan),
            temperatures: self.temperatures(rescan),
            process_count,
            top_processes,
        }
    }

    fn networks(&mut self) -> Vec<NetworkSample> {
        if let Err(error) = self.networks.refresh() {
            tracing::warn!(%error, "cannot read the network interfaces' byte counts");
        }
        let now = Instant::now();
        let elapsed = now.duration_since(self.networks_refreshed_at);
        self.networks_refreshed_at = now;

        let mut samples: Vec<NetworkSample> = self
            .networks
            .iter()
            .map(|totals| {
                let interface = totals.name.to_owned();
                let rx_bytes_total = totals.rx_bytes_total;
                let tx_bytes_total = totals.tx_bytes_total;
                NetworkSample {
                    rx_bytes_per_sec: self.network_rx.update(&interface, rx_bytes_total, elapsed),
                    tx_bytes_per_sec: self.network_tx.update(&interface, tx_bytes_total, elapsed),
                    interface,
                    rx_bytes_total,
                    tx_bytes_total,
                }
            })
            .collect();
        samples.sort_by(|a, b| a.interface.cmp(&b.interface));
        let present = |key: &str| samples.iter().any(|s| s.interface == key);
        self.network_rx.retain(present);
        self.network_tx.retain(present);
        samples
    }

    /// Every disk's counters; with `rescan`, the mounts and their space too.
    fn disks(&mut self, rescan: bool) -> Vec<DiskSample> {
        if rescan {
            self.disks.refresh_specifics(true, disk_refresh_kind());
            self.scan_mounts();
        } else {
            let counters = DiskRefreshKind::nothing().with_io_usage();
            for disk in &mut self.disks {
                disk.refresh_specifics(counters);
            }
        }
        let now = Instant::now();
        let elapsed = now.duration_since(self.disks_refreshed_at);
        self.disks_refreshed_at = now;

        let mut samples: Vec<DiskSample> = self
            .disks
            .iter()
            .filter_map(|disk| {
                let mount_point = disk.mount_point().to_string_lossy().into_owned();
                if !self.disk_mounts.contains(&mount_point) {
                    return None;
                }
                let usage = disk.usage();
                Some(DiskSample {
                    device: disk.name().to_string_lossy().into_owned(),
                    file_system: disk.file_system().to_string_lossy().into_owned(),
                    total_bytes: disk.total_space(),
                    available_bytes: disk.available_space(),
                    read_bytes_per_sec: self.disk_read.update(
                        &mount_point,
                        usage.total_read_bytes,
                        elapsed,
                    ),
                    write_bytes_per_sec: self.disk_write.update(
                        &mount_point,
                        usage.total_written_bytes,
                        elapsed,
                    ),
                    mount_point,
                })
            })
            .collect();
        samples.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
        self.disk_totals = self.disk_counters();
        let present = |key: &str| samples.iter().any(|s| s.mount_point == key);
        self.disk_read.retain(present);
        self.disk_write.retain(present);
        samples
    }

    /// Which of the listed mounts are file systems of their own (`mounts`).
    fn scan_mounts(&mut self) {
        let listed: Vec<String> = self
            .disks
            .iter()
            .map(|disk| disk.mount_point().to_string_lossy().into_owned())
            .collect();
        self.disk_mounts = MountTable::read()
            .distinct(listed.iter().map(String::as_str))
            .into_iter()
            .map(str::to_owned)
            .collect();
    }

    /// CPU times and per-device byte totals as of the last [`Sampler::sample`].
    #[must_use]
    pub fn counters(&self) -> Counters {
        Counters {
            cpu_seconds: read_cpu_seconds(),
            disks: self.disk_totals.clone(),
            sample_duration_secs: 0.0,
        }
    }

    /// One entry per device (a device mounted twice counts once), sorted.
    fn disk_counters(&self) -> Vec<DiskCounters> {
        let mut totals: Vec<DiskCounters> = Vec::new();
        for disk in &self.disks {
            let name = disk.name().to_string_lossy();
            let device = name.strip_prefix("/dev/").unwrap_or(&name);
            if totals.iter().any(|t| t.device == device) {
                continue;
            }
            let usage = disk.usage();
            totals.push(DiskCounters {
                device: device.to_owned(),
                read_bytes_total: usage.total_read_bytes,
                written_bytes_total: usage.total_written_bytes,
            });
        }
        totals.sort_by(|a, b| a.device.cmp(&b.device));
        totals
    }

    /// Every sensor's reading; with `rescan`, the list of sensors too.
    fn temperatures(&mut self, rescan: bool) -> Vec<TemperatureSample> {
        if rescan {
            self.components.refresh(true);
        } else {
            for component in &mut self.components {
                component.refresh();
            }
        }
        self.components
            .iter()
            .filter_map(|component| {
                let celsius = component.temperature()?;
                celsius.is_finite().then(|| TemperatureSample {
                    label: component.label().to_owned(),
                    celsius,
                    // Many sensors report none, and some a zero or a
                    // nonsense value: only a critical above the reading's
                    // floor of 0 °C means anything.
                    critical_celsius: component
                        .critical()
                        .filter(|critical| critical.is_finite() && *critical > 0.0),
                })
            })
            .collect()
    }

    /// The process count, and the top processes by CPU and by memory, merged.
    #[cfg(target_os = "linux")]
    fn processes(&mut self) -> (u32, Vec<ProcessSample>) {
        if let Err(error) = self.processes.refresh() {
            tracing::warn!(%error, "cannot list processes in /proc");
        }
        crate::sampling::top::top_processes(self.processes.iter())
    }

    /// The process count, and the top processes by CPU and by memory, merged.
    #[cfg(not(target_os = "linux"))]
    fn processes(&mut self) -> (u32, Vec<ProcessSample>) {
        use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, ThreadKind};
        // CPU and memory only, and no threads listed as processes.
        let kind = ProcessRefreshKind::nothing()
            .with_cpu()
            .with_memory()
            .without_tasks();
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        crate::sampling::top::top_processes(
            self.system
                .processes()
                .values()
                .filter(|p| p.thread_kind() != Some(ThreadKind::Userland))
                .map(|p| crate::sampling::top::ProcessStat {
                    pid: p.pid().as_u32(),
                    name: p.name().to_str().unwrap_or_default(),
                    cpu_percent: p.cpu_usage(),
                    memory_bytes: p.memory(),
                }),
        )
    }
}

fn disk_refresh_kind() -> DiskRefreshKind {
    DiskRefreshKind::nothing().with_storage().with_io_usage()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads this machine through sysinfo: the sample must be plausible.
    #[test]
    fn a_real_sample_is_plausible() {
        let mut sampler = Sampler::new().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(250));
        let sample = sampler.sample(1, 0, 0);
        let host = sampler.host_info();

        assert!(!sample.cpu.per_core_percent.is_empty());
        assert_eq!(sample.cpu.per_core_percent.len(), host.core_count as usize);
        for core in &sample.cpu.per_core_percent {
            assert!((0.0..=100.0).contains(core), "core at {core}%");
        }
        assert!(sample.memory.used_bytes <= sample.memory.total_bytes);
        assert!(sample.memory.total_bytes > 0);
        assert!(!sample.networks.is_empty(), "no network interface seen");
        assert!(sample.process_count > 0);
        assert!(!sample.top_processes.is_empty());
        assert!(sample.top_processes.len() <= 2 * TOP_PROCESSES);
        let busiest_first = sample
            .top_processes
            .windows(2)
            .all(|w| w[0].cpu_percent >= w[1].cpu_percent);
        assert!(busiest_first, "top processes are sorted by CPU");
        // The second reading of each counter has a rate.
        assert!(sample.networks.iter().all(|n| n.rx_bytes_per_sec.is_some()));
    }
}
