//! Example values shared by the schema tests: every field set, nothing random.

#![allow(dead_code, reason = "each test file uses some of these")]

use hostpulse_shared::{
    CpuSample, DiskSample, Hello, HostInfo, LoadAverage, MemorySample, NetworkSample,
    ProcessSample, Sample, TemperatureSample,
};

pub fn full_sample() -> Sample {
    Sample {
        epoch: 4_503_599_627_370_495,
        seq: 42,
        timestamp_ms: 1_764_000_000_000,
        uptime_secs: 86_400,
        cpu: CpuSample {
            total_percent: 37.5,
            per_core_percent: vec![50.0, 25.0],
        },
        load: Some(LoadAverage {
            one: 0.5,
            five: 0.25,
            fifteen: 0.125,
        }),
        memory: MemorySample {
            total_bytes: 16 << 30,
            used_bytes: 4 << 30,
            available_bytes: 12 << 30,
            swap_total_bytes: 2 << 30,
            swap_used_bytes: 0,
        },
        networks: vec![NetworkSample {
            interface: "eth0".into(),
            rx_bytes_per_sec: Some(1250.5),
            tx_bytes_per_sec: Some(320.25),
            rx_bytes_total: 123_456_789,
            tx_bytes_total: 987_654,
        }],
        disks: vec![DiskSample {
            mount_point: "/".into(),
            device: "/dev/vda1".into(),
            file_system: "ext4".into(),
            total_bytes: 100 << 30,
            available_bytes: 40 << 30,
            read_bytes_per_sec: Some(4096.0),
            write_bytes_per_sec: Some(0.0),
        }],
        temperatures: vec![TemperatureSample {
            label: "coretemp Package id 0".into(),
            celsius: 48.5,
            critical_celsius: Some(100.0),
        }],
        process_count: 211,
        top_processes: vec![ProcessSample {
            pid: 1234,
            name: "cargo".into(),
            cpu_percent: 150.0,
            memory_bytes: 512 << 20,
        }],
    }
}

pub fn hello() -> Hello {
    Hello {
        protocol_version: hostpulse_shared::PROTOCOL_VERSION,
        server_version: "0.1.0".into(),
        epoch: 7,
        interval_ms: 1000,
        history_capacity: 3600,
        host: HostInfo {
            hostname: "db-1".into(),
            os_name: "Debian GNU/Linux".into(),
            os_version: "12".into(),
            kernel_version: "6.1.0".into(),
            architecture: "x86_64".into(),
            cpu_model: "Example CPU".into(),
            core_count: 2,
            memory_total_bytes: 16 << 30,
            boot_time_secs: 1_763_900_000,
        },
        alerts: None,
    }
}
