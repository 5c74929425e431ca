//! Made-up but realistic samples, for filling a store of any age quickly
//! (`hostpulse-server --fill-history`, the benchmarks, the tests): noisy CPU
//! with bursts, memory walking in whole pages, traffic with totals that
//! add up, disks filling slowly, sensors in whole degrees, a stable set of
//! processes whose CPU and memory move.

use hostpulse_shared::{
    CpuSample, DiskSample, LoadAverage, MemorySample, NetworkSample, ProcessSample, Sample,
    TemperatureSample,
};

use crate::store::Store;

/// The shape of the host being made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostShape {
    /// Logical CPUs.
    pub cpus: usize,
    /// Network interfaces.
    pub interfaces: usize,
    /// Mounted file systems.
    pub disks: usize,
    /// Temperature sensors.
    pub sensors: usize,
    /// Processes in each sample's top list.
    pub processes: usize,
}

impl HostShape {
    /// The typical host of the targets: 4 CPUs, 2 interfaces, 2 disks,
    /// 4 sensors, 20 top processes.
    pub const TYPICAL: HostShape = HostShape {
        cpus: 4,
        interfaces: 2,
        disks: 2,
        sensors: 4,
        processes: 20,
    };

    /// The large host of the targets: 64 CPUs.
    pub const LARGE: HostShape = HostShape {
        cpus: 64,
        interfaces: 4,
        disks: 4,
        sensors: 8,
        processes: 20,
    };
}

/// A deterministic generator of samples one interval apart.
#[derive(Debug, Clone)]
pub struct Generator {
    shape: HostShape,
    rng: fastrand::Rng,
    seq: u64,
    epoch: u64,
    used_pages: u64,
    rx_totals: Vec<u64>,
    tx_totals: Vec<u64>,
    available: Vec<u64>,
    memory: Vec<u64>,
    busy: f32,
}

const TOTAL_BYTES: u64 = 16 << 30;
const PAGE: u64 = 4096;

impl Generator {
    /// A host of `shape`, its sequence seeded with `seed`.
    #[must_use]
    pub fn new(shape: HostShape, seed: u64) -> Self {
        Self {
            shape,
            rng: fastrand::Rng::with_seed(seed),
            seq: 0,
            epoch: seed,
            used_pages: (TOTAL_BYTES / PAGE) / 3,
            rx_totals: vec![0; shape.interfaces],
            tx_totals: vec![0; shape.interfaces],
            available: vec![200 << 30; shape.disks],
            memory: (0..shape.processes)
                .map(|i| (50 << 20) / (i as u64 + 1))
                .collect(),
            busy: 5.0,
        }
    }

    /// The next sample, taken at `timestamp_ms`, `interval_secs` after the last.
    pub fn sample(&mut self, timestamp_ms: u64, interval_secs: f64) -> Sample {
        let rng = &mut self.rng;
        // Mostly idle, with bursts that last a while.
        if rng.u8(..) < 3 {
            self.busy = if self.busy > 20.0 {
                3.0
            } else {
                40.0 + rng.f32() * 50.0
            };
        }
        let per_core: Vec<f32> = (0..self.shape.cpus)
            .map(|_| tenth((self.busy * (0.4 + rng.f32() * 1.2)).min(100.0)))
            .collect();
        let total = tenth(per_core.iter().sum::<f32>() / per_core.len().max(1) as f32);
        let step = rng.i64(-300..=300);
        self.used_pages = self
            .used_pages
            .saturating_add_signed(step)
            .clamp(1, TOTAL_BYTES / PAGE);
        let used = self.used_pages * PAGE;
        let networks = (0..self.shape.interfaces)
            .map(|i| {
                let rx = (rng.f64() * rng.f64() * 200_000.0).round();
                let tx = (rng.f64() * rng.f64() * 50_000.0).round();
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                {
                    self.rx_totals[i] += (rx * interval_secs) as u64;
                    self.tx_totals[i] += (tx * interval_secs) as u64;
                }
                NetworkSample {
                    interface: format!("eth{i}"),
                    rx_bytes_per_sec: Some(rx),
                    tx_bytes_per_sec: Some(tx),
                    rx_bytes_total: self.rx_totals[i],
                    tx_bytes_total: self.tx_totals[i],
                }
            })
            .collect();
        let disks = (0..self.shape.disks)
            .map(|i| {
                if rng.u8(..) < 20 {
                    self.available[i] = self.available[i].saturating_sub(PAGE * rng.u64(1..64));
                }
                DiskSample {
                    mount_point: if i == 0 {
                        "/".to_owned()
                    } else {
                        format!("/data{i}")
                    },
                    device: format!(
                        "/dev/vd{}",
                        char::from(b'a' + u8::try_from(i % 26).unwrap_or(0))
                    ),
                    file_system: "ext4".to_owned(),
                    total_bytes: 500 << 30,
                    available_bytes: self.available[i],
                    read_bytes_per_sec: Some((rng.f64().powi(4) * 5e6).round()),
                    write_bytes_per_sec: Some((rng.f64().powi(3) * 2e6).round()),
                }
            })
            .collect();
        let temperatures = (0..self.shape.sensors)
            .map(|i| TemperatureSample {
                label: format!("coretemp Core {i}"),
                #[allow(clippy::cast_possible_truncation)]
                celsius: (38.0 + self.busy / 4.0 + rng.f32() * 2.0).round(),
                critical_celsius: None,
            })
            .collect();
        let top_processes = self.processes();
        let load = f64::from(self.busy) / 25.0;
        let sample = Sample {
            epoch: self.epoch,
            seq: self.seq,
            timestamp_ms,
            uptime_secs: timestamp_ms / 1000 - 1_600_000_000,
            cpu: CpuSample {
                total_percent: total,
                per_core_percent: per_core,
            },
            load: Some(LoadAverage {
                one: (load * 100.0).round() / 100.0,
                five: (load * 80.0).round() / 100.0,
                fifteen: (load * 60.0).round() / 100.0,
            }),
            memory: MemorySample {
                total_bytes: TOTAL_BYTES,
                used_bytes: used,
                available_bytes: TOTAL_BYTES - used,
                swap_total_bytes: 2 << 30,
                swap_used_bytes: 0,
            },
            networks,
            disks,
            temperatures,
            process_count: 180 + u32::from(self.rng.u8(..8)),
            top_processes,
        };
        self.seq += 1;
        sample
    }

    /// The top list: the same processes each time, their CPU and memory moving.
    fn processes(&mut self) -> Vec<ProcessSample> {
        let rng = &mut self.rng;
        let mut top_processes: Vec<ProcessSample> = (0..self.shape.processes)
            .map(|i| {
                self.memory[i] = self.memory[i].saturating_add_signed(rng.i64(-2..=2) * 4096);
                ProcessSample {
                    pid: 1000 + u32::try_from(i).unwrap_or(0) * 7,
                    name: format!("proc-{i}"),
                    cpu_percent: tenth(rng.f32() * self.busy / (i as f32 + 1.0)),
                    memory_bytes: self.memory[i],
                }
            })
            .collect();
        top_processes.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
        top_processes
    }
}

fn tenth(value: f32) -> f32 {
    (value * 10.0).round() / 10.0
}

/// Fills `store` with `days` of history ending at `end_ms`: a sample every
/// second for the raw tier's retention, every `old_step_ms` before that (10 s
/// keeps several samples behind each minute's min, mean and max). `progress`
/// is told the share of the span written so far, now and then.
pub fn fill(
    store: &mut Store,
    shape: HostShape,
    days: f64,
    end_ms: u64,
    old_step_ms: u64,
    mut progress: impl FnMut(f64),
) {
    let raw_ms = store.config().raw_retention_ms;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let span_ms = (days * 86_400_000.0) as u64;
    let mut generator = Generator::new(shape, 1);
    let start_ms = end_ms.saturating_sub(span_ms);
    let mut time = start_ms;
    let mut since_flush = 0_u32;
    while time <= end_ms {
        let step_ms = if end_ms - time > raw_ms {
            old_step_ms
        } else {
            1000
        };
        let sample = generator.sample(time, step_ms as f64 / 1000.0);
        store.push(&sample);
        since_flush += 1;
        if since_flush == 100_000 {
            store.flush();
            since_flush = 0;
            progress((time - start_ms) as f64 / span_ms.max(1) as f64);
        }
        time += step_ms;
    }
    store.flush();
    progress(1.0);
}
