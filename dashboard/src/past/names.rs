//! Which series of a server's range answer stands for which of the
//! dashboard's metrics: the server names series with their unit
//! (`network.eth0.rx_bytes_per_sec`, PROTOCOL.md), the live history by the
//! part's index among the names it holds.

use crate::history::{HostHistory, Metric};

/// The server's name for `metric` of the host whose live history is
/// `history`; `None` for the sums over every interface or device, which the
/// server keeps per part only, and for a part the live history does not name.
#[must_use]
pub fn series_name(metric: Metric, history: &HostHistory) -> Option<String> {
    let part = |names: &[String], n: usize| names.get(n).cloned();
    Some(match metric {
        Metric::CpuTotal => "cpu.total_percent".to_owned(),
        Metric::CpuCore(core) => format!("cpu.core.{core}.percent"),
        Metric::MemoryUsed => "memory.used_bytes".to_owned(),
        Metric::SwapUsed => "memory.swap_used_bytes".to_owned(),
        Metric::LoadOne => "load.one".to_owned(),
        Metric::LoadFive => "load.five".to_owned(),
        Metric::LoadFifteen => "load.fifteen".to_owned(),
        Metric::InterfaceRx(n) => format!(
            "network.{}.rx_bytes_per_sec",
            part(history.interfaces(), n)?
        ),
        Metric::InterfaceTx(n) => format!(
            "network.{}.tx_bytes_per_sec",
            part(history.interfaces(), n)?
        ),
        Metric::DiskDeviceRead(n) => {
            format!("disk.{}.read_bytes_per_sec", part(history.disks(), n)?)
        }
        Metric::DiskDeviceWrite(n) => {
            format!("disk.{}.write_bytes_per_sec", part(history.disks(), n)?)
        }
        Metric::Temperature(n) => format!("temperature.{}.celsius", part(history.sensors(), n)?),
        Metric::NetworkRx | Metric::NetworkTx | Metric::DiskRead | Metric::DiskWrite => {
            return None;
        }
    })
}

/// Every metric of `history` the server keeps a series for, with that
/// series' name.
#[must_use]
pub fn metrics(history: &HostHistory) -> Vec<(Metric, String)> {
    let fixed = [
        Metric::CpuTotal,
        Metric::MemoryUsed,
        Metric::SwapUsed,
        Metric::LoadOne,
        Metric::LoadFive,
        Metric::LoadFifteen,
    ];
    let parts = |count: usize, kinds: &[fn(usize) -> Metric]| {
        (0..count)
            .flat_map(|n| kinds.iter().map(move |kind| kind(n)))
            .collect::<Vec<_>>()
    };
    fixed
        .into_iter()
        .chain(parts(history.core_count(), &[Metric::CpuCore]))
        .chain(parts(
            history.interfaces().len(),
            &[Metric::InterfaceRx, Metric::InterfaceTx],
        ))
        .chain(parts(
            history.disks().len(),
            &[Metric::DiskDeviceRead, Metric::DiskDeviceWrite],
        ))
        .chain(parts(history.sensors().len(), &[Metric::Temperature]))
        .filter_map(|metric| series_name(metric, history).map(|name| (metric, name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Retention;
    use crate::synthetic::{self, Shape};

    #[test]
    fn parts_are_named_as_the_server_names_them() {
        let mut history = HostHistory::new(Retention::default());
        history.push(synthetic::sample(0, Shape::default()));
        assert_eq!(
            series_name(Metric::InterfaceTx(1), &history).as_deref(),
            Some("network.eth1.tx_bytes_per_sec")
        );
        assert_eq!(
            series_name(Metric::DiskDeviceRead(0), &history).as_deref(),
            Some("disk./.read_bytes_per_sec")
        );
        assert_eq!(
            series_name(Metric::CpuCore(3), &history).as_deref(),
            Some("cpu.core.3.percent")
        );
        assert_eq!(series_name(Metric::InterfaceRx(9), &history), None);
        assert_eq!(series_name(Metric::NetworkRx, &history), None);
        // 6 host-wide, 4 CPUs, 2 × 2 interfaces, 2 × 2 disks, 4 sensors.
        let all = metrics(&history);
        assert_eq!(all.len(), 6 + 4 + 4 + 4 + 4);
        assert!(all.contains(&(
            Metric::Temperature(3),
            format!("temperature.{}.celsius", history.sensors()[3])
        )));
    }
}
