//! The floor of the server-cost benchmark: what it costs just to ask sysinfo,
//! once a second, for everything a HostPulse sample carries, with no server,
//! no encoding and no history around it. Every list is rescanned every tick
//! (CPUs, memory, every process's CPU and memory, network interfaces, mounts
//! and their I/O, sensors), as `server/src/sampling/sampler.rs` does today, so the
//! figure is what a sampler doing the same reads cannot go below.
//!
//! [`Floor::collect`] reads every value the sample would carry and folds it
//! into a [`Collected`] summary, so the work cannot be skipped as unused.

use sysinfo::{
    Components, DiskRefreshKind, Disks, Networks, ProcessRefreshKind, ProcessesToUpdate, System,
};

/// The sysinfo handles, primed once.
pub struct Floor {
    system: System,
    networks: Networks,
    disks: Disks,
    components: Components,
}

/// What one tick read: counts, and sums that depend on every value read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Collected {
    /// CPUs seen.
    pub cpu_count: usize,
    /// Sum of the per-CPU usage, percent.
    pub cpu_percent_sum: f64,
    /// Memory in use.
    pub used_memory_bytes: u64,
    /// Processes seen (threads are not listed).
    pub process_count: usize,
    /// Sum of every process's CPU usage, percent.
    pub process_cpu_percent_sum: f64,
    /// Sum of every process's resident memory.
    pub process_memory_bytes_sum: u64,
    /// Network interfaces seen.
    pub interface_count: usize,
    /// Sum of every interface's received and sent byte totals.
    pub network_bytes_total: u64,
    /// Mounts seen.
    pub mount_count: usize,
    /// Sum of every mount's available bytes and I/O byte totals.
    pub disk_bytes_sum: u64,
    /// Sensors with a temperature.
    pub sensor_count: usize,
    /// Seconds since boot.
    pub uptime_secs: u64,
    /// The 1-minute load average, when the platform has one.
    pub load_one: Option<f64>,
}

impl Floor {
    /// Opens and primes the handles (CPU usage needs a first reading).
    pub fn new() -> Result<Self, sysinfo::Error> {
        let mut system = System::new()?;
        system.refresh_cpu_usage();
        system.refresh_processes_specifics(ProcessesToUpdate::All, true, process_kind());
        Ok(Self {
            system,
            networks: Networks::new_with_refreshed_list()?,
            disks: Disks::new_with_refreshed_list_specifics(disk_kind())?,
            components: Components::new_with_refreshed_list()?,
        })
    }

    /// One tick: refresh and rescan everything, and read every value.
    pub fn collect(&mut self) -> Collected {
        let system = &mut self.system;
        system.refresh_cpu_usage();
        system.refresh_memory();
        system.refresh_processes_specifics(ProcessesToUpdate::All, true, process_kind());
        self.networks.refresh(true);
        self.disks.refresh_specifics(true, disk_kind());
        self.components.refresh(true);

        let cpus = system.cpus();
        let processes = system.processes();
        Collected {
            cpu_count: cpus.len(),
            cpu_percent_sum: cpus.iter().map(|cpu| f64::from(cpu.usage())).sum(),
            used_memory_bytes: system.used_memory()
                + system.available_memory()
                + system.used_swap(),
            process_count: processes.len(),
            process_cpu_percent_sum: processes
                .values()
                .map(|p| f64::from(p.cpu_usage()) + p.name().len() as f64)
                .sum(),
            process_memory_bytes_sum: processes.values().map(sysinfo::Process::memory).sum(),
            interface_count: self.networks.len(),
            network_bytes_total: self
                .networks
                .values()
                .map(|data| data.total_received() + data.total_transmitted())
                .sum(),
            mount_count: self.disks.len(),
            disk_bytes_sum: self
                .disks
                .iter()
                .map(|disk| {
                    let usage = disk.usage();
                    disk.available_space() + usage.total_read_bytes + usage.total_written_bytes
                })
                .sum(),
            sensor_count: self
                .components
                .iter()
                .filter_map(sysinfo::Component::temperature)
                .count(),
            uptime_secs: System::uptime().unwrap_or_default(),
            load_one: System::load_average().ok().map(|load| load.one),
        }
    }
}

/// CPU and memory of each process, threads not listed: what a sample needs.
fn process_kind() -> ProcessRefreshKind {
    ProcessRefreshKind::nothing()
        .with_cpu()
        .with_memory()
        .without_tasks()
}

/// Space and I/O counters of each mount.
fn disk_kind() -> DiskRefreshKind {
    DiskRefreshKind::nothing().with_storage().with_io_usage()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads this machine: every family a sample carries must be there.
    #[test]
    fn a_tick_reads_this_machine() {
        let mut floor = Floor::new().unwrap();
        let collected = floor.collect();
        assert!(collected.cpu_count > 0, "{collected:?}");
        assert!(collected.used_memory_bytes > 0, "{collected:?}");
        assert!(collected.process_count > 0, "{collected:?}");
        assert!(collected.process_memory_bytes_sum > 0, "{collected:?}");
        assert!(collected.interface_count > 0, "{collected:?}");
        assert!(collected.uptime_secs > 0, "{collected:?}");
    }
}
