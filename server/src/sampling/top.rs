//! Which processes a sample carries: the busiest by CPU and the largest by
//! memory, merged, from whatever source lists the host's processes.

use hostpulse_shared::ProcessSample;

/// How many processes each top list keeps (by CPU, and by memory).
pub const TOP_PROCESSES: usize = 10;

/// What a top list needs about one process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessStat<'a> {
    /// Process id.
    pub pid: u32,
    /// Its name.
    pub name: &'a str,
    /// CPU since the previous reading, percent of one core.
    pub cpu_percent: f32,
    /// Resident memory.
    pub memory_bytes: u64,
}

/// The number of `processes`, and the [`TOP_PROCESSES`] first by CPU merged
/// with the [`TOP_PROCESSES`] first by memory, busiest first. One pass, and
/// only the two short lists are kept.
pub fn top_processes<'a>(
    processes: impl Iterator<Item = ProcessStat<'a>>,
) -> (u32, Vec<ProcessSample>) {
    let mut count = 0_u32;
    let mut by_cpu: Vec<ProcessStat<'a>> = Vec::with_capacity(TOP_PROCESSES + 1);
    let mut by_memory: Vec<ProcessStat<'a>> = Vec::with_capacity(TOP_PROCESSES + 1);
    for process in processes {
        count = count.saturating_add(1);
        keep_largest(&mut by_cpu, process, |p| f64::from(p.cpu_percent));
        keep_largest(&mut by_memory, process, |p| p.memory_bytes as f64);
    }
    for process in by_memory {
        if !by_cpu.iter().any(|p| p.pid == process.pid) {
            by_cpu.push(process);
        }
    }
    by_cpu.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
    let top = by_cpu
        .into_iter()
        .map(|p| ProcessSample {
            pid: p.pid,
            name: p.name.to_owned(),
            cpu_percent: p.cpu_percent,
            memory_bytes: p.memory_bytes,
        })
        .collect();
    (count, top)
}

/// Inserts `process` into `list`, kept sorted largest first by `key` and
/// at most [`TOP_PROCESSES`] long.
fn keep_largest<'a>(
    list: &mut Vec<ProcessStat<'a>>,
    process: ProcessStat<'a>,
    key: impl Fn(&ProcessStat<'_>) -> f64,
) {
    let value = key(&process);
    if list.len() == TOP_PROCESSES && list.last().is_some_and(|last| key(last) >= value) {
        return;
    }
    let at = list.partition_point(|p| key(p) >= value);
    list.insert(at, process);
    list.truncate(TOP_PROCESSES);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, cpu_percent: f32, memory_bytes: u64) -> ProcessStat<'static> {
        ProcessStat {
            pid,
            name: "p",
            cpu_percent,
            memory_bytes,
        }
    }

    #[test]
    fn the_busiest_and_the_largest_are_merged_busiest_first() {
        // 100 processes: pid n uses n % 7 percent CPU and (100 - n) MiB.
        let all: Vec<_> = (1..=100)
            .map(|n| process(n, (n % 7) as f32 * 10.0, u64::from(100 - n) << 20))
            .collect();
        let (count, top) = top_processes(all.iter().copied());
        assert_eq!(count, 100);

        let mut expected_cpu: Vec<_> = all.clone();
        expected_cpu.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
        let cpu_floor = expected_cpu[TOP_PROCESSES - 1].cpu_percent;
        let busy = top.iter().filter(|p| p.cpu_percent >= cpu_floor).count();
        assert!(busy >= TOP_PROCESSES, "the 10 busiest are all in: {top:?}");
        for pid in 1..=10 {
            assert!(
                top.iter().any(|p| p.pid == pid),
                "largest pid {pid} is missing"
            );
        }
        assert!(top.len() <= 2 * TOP_PROCESSES);
        assert!(top.windows(2).all(|w| w[0].cpu_percent >= w[1].cpu_percent));
        let mut pids: Vec<_> = top.iter().map(|p| p.pid).collect();
        pids.sort_unstable();
        pids.dedup();
        assert_eq!(pids.len(), top.len(), "no process twice");
    }

    #[test]
    fn fewer_processes_than_a_list_are_all_kept() {
        let (count, top) = top_processes([process(1, 5.0, 1), process(2, 1.0, 9)].into_iter());
        assert_eq!(count, 2);
        assert_eq!(top.iter().map(|p| p.pid).collect::<Vec<_>>(), [1, 2]);
    }
}
