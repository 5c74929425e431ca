//! Running totals that Prometheus wants as counters but the wire schema does not
//! carry: seconds each CPU spent in each mode (`/proc/stat`), and bytes read and
//! written per disk device. The sampler collects them each tick beside the
//! sample; `/metrics` renders the latest.

/// Seconds one CPU has spent in each mode since boot.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuSeconds {
    /// Normal user processes.
    pub user: f64,
    /// Niced user processes.
    pub nice: f64,
    /// The kernel.
    pub system: f64,
    /// Idle.
    pub idle: f64,
    /// Idle, waiting for I/O.
    pub iowait: f64,
    /// Servicing interrupts.
    pub irq: f64,
    /// Servicing soft interrupts.
    pub softirq: f64,
    /// Stolen by the hypervisor.
    pub steal: f64,
}

impl CpuSeconds {
    /// `(mode, seconds)` pairs, with node_exporter's mode names.
    #[must_use]
    pub fn modes(&self) -> [(&'static str, f64); 8] {
        [
            ("idle", self.idle),
            ("iowait", self.iowait),
            ("irq", self.irq),
            ("nice", self.nice),
            ("softirq", self.softirq),
            ("steal", self.steal),
            ("system", self.system),
            ("user", self.user),
        ]
    }
}

/// Bytes moved by one disk device since boot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskCounters {
    /// Device name without `/dev/`, e.g. "nvme0n1p2".
    pub device: String,
    /// Bytes read.
    pub read_bytes_total: u64,
    /// Bytes written.
    pub written_bytes_total: u64,
}

/// Everything counted at one tick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    /// One entry per logical CPU, in CPU order (empty where unknown).
    pub cpu_seconds: Vec<CpuSeconds>,
    /// One entry per device, sorted by name.
    pub disks: Vec<DiskCounters>,
    /// How long taking the sample took.
    pub sample_duration_secs: f64,
}

/// Linux reports CPU times in USER_HZ ticks, which the kernel fixes at 100 for
/// user space on every architecture it supports.
pub(crate) const USER_HZ: f64 = 100.0;

/// Parses the per-CPU lines (`cpu0 …`, `cpu1 …`) of `/proc/stat`.
#[must_use]
pub fn parse_proc_stat(text: &str) -> Vec<CpuSeconds> {
    text.lines()
        .filter(|line| {
            line.strip_prefix("cpu")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(|line| {
            let ticks: Vec<f64> = line
                .split_ascii_whitespace()
                .skip(1)
                .map(|field| field.parse::<f64>().unwrap_or(0.0) / USER_HZ)
                .collect();
            let at = |index: usize| ticks.get(index).copied().unwrap_or(0.0);
            CpuSeconds {
                user: at(0),
                nice: at(1),
                system: at(2),
                idle: at(3),
                iowait: at(4),
                irq: at(5),
                softirq: at(6),
                steal: at(7),
            }
        })
        .collect()
}

/// This machine's CPU times, or none where `/proc/stat` cannot be read.
#[must_use]
pub fn read_cpu_seconds() -> Vec<CpuSeconds> {
    std::fs::read_to_string("/proc/stat")
        .map(|text| parse_proc_stat(&text))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_seconds(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} s, expected {expected} s"
        );
    }

    #[test]
    fn proc_stat_ticks_become_seconds_per_cpu() {
        let text = "cpu  266728 0 40942 590427 2992 0 229 205 0 0\n\
                    cpu0 131827 1 19598 298338 812 3 38 90 0 0\n\
                    cpu1 134901 0 21344 292088 2179 0 191 115 0 0\n\
                    intr 123 4 5\n\
                    ctxt 999\n";
        let cpus = parse_proc_stat(text);
        assert_eq!(cpus.len(), 2, "the total line is not a CPU");
        assert_seconds(cpus[0].user, 1318.27);
        assert_seconds(cpus[0].nice, 0.01);
        assert_seconds(cpus[0].idle, 2983.38);
        assert_seconds(cpus[0].irq, 0.03);
        assert_seconds(cpus[1].steal, 1.15);
    }

    #[test]
    fn this_machine_has_cpu_times() {
        let cpus = read_cpu_seconds();
        assert!(!cpus.is_empty());
        assert!(cpus.iter().all(|c| c.idle + c.user + c.system > 0.0));
    }
}
