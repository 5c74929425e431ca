//! Made-up hosts with smooth, deterministic data, for UI tests, frame-time
//! measurements and screenshots: the real panels, fed without a server.

use hostpulse_shared::{
    CpuSample, DiskSample, Hello, HostInfo, LoadAverage, MemorySample, NetworkSample,
    ProcessSample, Sample, TemperatureSample,
};

use crate::host::Host;
use crate::link::{Link, LinkEvent, LinkState, Wake};

/// When sample 0 of every synthetic host was taken (Unix ms).
pub const START_MS: u64 = 1_700_000_000_000;

/// The shape of a synthetic host.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Logical CPUs.
    pub cores: u32,
    /// Non-loopback network interfaces (a loopback one is added).
    pub interfaces: usize,
    /// Devices, one mount each.
    pub disks: usize,
    /// Temperature sensors.
    pub sensors: usize,
    /// Processes in each sample's top list (the server sends up to 20).
    pub processes: usize,
}

impl Default for Shape {
    /// A typical small server: 4 CPUs, 2 interfaces, 2 disks, 4 sensors, 20
    /// top processes.
    fn default() -> Self {
        Self {
            cores: 4,
            interfaces: 2,
            disks: 2,
            sensors: 4,
            processes: 20,
        }
    }
}

/// The greeting of a synthetic host named `hostname`.
#[must_use]
pub fn hello(hostname: &str, shape: Shape) -> Hello {
    Hello {
        protocol_version: hostpulse_shared::PROTOCOL_VERSION,
        server_version: "0.1.0".into(),
        epoch: 1,
        interval_ms: 1000,
        history_capacity: 3600,
        host: HostInfo {
            hostname: hostname.into(),
            os_name: "Debian GNU/Linux".into(),
            os_version: "12".into(),
            kernel_version: "6.1.0".into(),
            architecture: "x86_64".into(),
            cpu_model: "Synthetic CPU".into(),
            core_count: shape.cores,
            memory_total_bytes: 16 << 30,
            boot_time_secs: 1_700_000_000,
        },
        alerts: None,
    }
}

/// Sample number `seq`, one second after sample `seq - 1`. Every 600th sample
/// has a CPU spike on core 1, caused by process "spike".
#[must_use]
pub fn sample(seq: u64, shape: Shape) -> Sample {
    let phase = (seq % 100_000) as f32 / 20.0;
    let spike = seq % 600 == 300;
    let wave = |offset: f32| 40.0 + 30.0 * (phase + offset).sin();
    let mut top_processes: Vec<ProcessSample> = (0..shape.processes)
        .map(|n| ProcessSample {
            pid: 100 + u32::try_from(n).unwrap_or(0),
            name: format!("worker-{n}"),
            cpu_percent: (20.0 - n as f32).max(0.0) * wave(n as f32) / 100.0,
            memory_bytes: ((n as u64 % 7) + 1) * (64 << 20),
        })
        .collect();
    if spike && let Some(first) = top_processes.first_mut() {
        *first = ProcessSample {
            pid: 4242,
            name: "spike".into(),
            cpu_percent: 99.0,
            memory_bytes: 512 << 20,
        };
    }
    let mut networks = vec![NetworkSample {
        interface: "lo".into(),
        rx_bytes_per_sec: Some(1e6),
        tx_bytes_per_sec: Some(1e6),
        ..NetworkSample::default()
    }];
    networks.extend((0..shape.interfaces).map(|n| NetworkSample {
        interface: format!("eth{n}"),
        rx_bytes_per_sec: Some(f64::from(200_000.0 + 150_000.0 * (phase + n as f32).cos())),
        tx_bytes_per_sec: Some(50_000.0 * (n as f64 + 1.0)),
        rx_bytes_total: seq * 200_000,
        tx_bytes_total: seq * 50_000,
    }));
    Sample {
        epoch: 1,
        seq,
        timestamp_ms: START_MS + seq * 1000,
        uptime_secs: 3600 + seq,
        cpu: CpuSample {
            total_percent: if spike { 97.0 } else { wave(0.0) },
            per_core_percent: (0..shape.cores)
                .map(|core| {
                    if spike && core == 1 {
                        100.0
                    } else {
                        wave(core as f32)
                    }
                })
                .collect(),
        },
        load: Some(LoadAverage {
            one: 1.5 + f64::from(phase.sin()),
            five: 1.2,
            fifteen: 0.9,
        }),
        memory: MemorySample {
            total_bytes: 16 << 30,
            used_bytes: (6 << 30) + (seq % 3600) * (1 << 20),
            available_bytes: 9 << 30,
            swap_total_bytes: 2 << 30,
            swap_used_bytes: 128 << 20,
        },
        networks,
        disks: (0..shape.disks)
            .map(|n| DiskSample {
                mount_point: if n == 0 {
                    "/".into()
                } else {
                    format!("/data{n}")
                },
                device: format!(
                    "/dev/vd{}1",
                    char::from(b'a' + u8::try_from(n % 26).unwrap_or(0))
                ),
                file_system: "ext4".into(),
                total_bytes: 100 << 30,
                available_bytes: (40 + 10 * n as u64) << 30,
                read_bytes_per_sec: Some(1_000_000.0 * (1.0 + f64::from(phase.sin()))),
                write_bytes_per_sec: Some(250_000.0),
            })
            .collect(),
        temperatures: (0..shape.sensors)
            .map(|n| TemperatureSample {
                label: format!("coretemp Core {n}"),
                celsius: 45.0 + 5.0 * (phase + n as f32).sin(),
                critical_celsius: Some(100.0),
            })
            .collect(),
        process_count: 211,
        top_processes,
    }
}

/// A host named `name` in link state `state`, holding samples `0..samples`.
#[must_use]
pub fn host(wake: Wake, id: u64, name: &str, state: LinkState, samples: u64, shape: Shape) -> Host {
    let link = Link::detached(format!("ws://{name}:9470/ws"), state, wake);
    let mut host = Host::detached(id, link);
    host.apply(LinkEvent::Hello(hello(name, shape)));
    for seq in 0..samples {
        host.apply(LinkEvent::Sample(sample(seq, shape)));
    }
    host
}
