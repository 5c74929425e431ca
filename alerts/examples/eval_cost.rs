//! What evaluating rules costs per sample: the default rules against a large
//! host's sample (64 CPUs, 16 mounts, 16 sensors, 8 interfaces), beside an
//! evaluator with no rules (alerts off) timed the same way in the same run.
//! Prints nanoseconds per sample and the share of one core at 1 Hz.
//!
//! `cargo run -p hostpulse-alerts --example eval_cost [--release]`

use std::time::Instant;

use hostpulse_alerts::{Evaluator, default_rules};
use hostpulse_shared::{DiskSample, NetworkSample, Sample, TemperatureSample};

fn large_sample(seq: u64) -> Sample {
    let mut sample = Sample {
        seq,
        timestamp_ms: 1_764_000_000_000 + seq * 1000,
        ..Sample::default()
    };
    sample.cpu.total_percent = 35.0;
    sample.cpu.per_core_percent = vec![35.0; 64];
    sample.memory.total_bytes = 64 << 30;
    sample.memory.available_bytes = 40 << 30;
    sample.memory.swap_total_bytes = 8 << 30;
    sample.memory.swap_used_bytes = 1 << 30;
    sample.disks = (0..16)
        .map(|i| DiskSample {
            mount_point: format!("/srv/{i}"),
            total_bytes: 1 << 40,
            available_bytes: 1 << 39,
            ..DiskSample::default()
        })
        .collect();
    sample.temperatures = (0..16)
        .map(|i| TemperatureSample {
            label: format!("coretemp Core {i}"),
            celsius: 55.0,
            critical_celsius: Some(100.0),
        })
        .collect();
    sample.networks = (0..8)
        .map(|i| NetworkSample {
            interface: format!("eth{i}"),
            rx_bytes_per_sec: Some(1e6),
            tx_bytes_per_sec: Some(1e5),
            ..NetworkSample::default()
        })
        .collect();
    sample
}

fn ns_per_sample(mut evaluator: Evaluator, samples: &[Sample], rounds: usize) -> f64 {
    let mut events = Vec::new();
    let started = Instant::now();
    for _ in 0..rounds {
        for sample in samples {
            evaluator.on_sample(std::hint::black_box(sample), &mut events);
            evaluator.on_stall_check(sample.timestamp_ms, false, &mut events);
            events.clear();
        }
    }
    started.elapsed().as_nanos() as f64 / (rounds * samples.len()) as f64
}

fn main() {
    let samples: Vec<Sample> = (0..1000).map(large_sample).collect();
    let rounds = 100;
    // Warm up both, then measure alternately, three times each.
    ns_per_sample(Evaluator::new(default_rules()), &samples, 5);
    for run in 1..=3 {
        let off = ns_per_sample(Evaluator::new(Vec::new()), &samples, rounds);
        let on = ns_per_sample(Evaluator::new(default_rules()), &samples, rounds);
        let share = |ns: f64| ns / 1e9 * 100.0;
        println!(
            "run {run}: alerts off {off:.0} ns/sample ({:.5} % of a core at 1 Hz); \
             default rules {on:.0} ns/sample ({:.5} % of a core at 1 Hz); added {:.5} %",
            share(off),
            share(on),
            share(on - off)
        );
    }
}
