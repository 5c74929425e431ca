//! Which binary encoding should the stream offer beside JSON? Bytes per sample
//! and time to encode and decode one, for a real sample of this machine and for a
//! synthetic large host (64 cores, 20 interfaces, 30 mounts). Then what
//! joining a `history` message from pre-encoded samples costs (its head
//! encoded by serde, the samples spliced in), against the floor of copying
//! the same bytes behind a fixed prefix.
//!
//! Run: `cargo bench --workspace --all-features --bench codecs`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark, not a library"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use hostpulse_server::test_support::Sampler;
use hostpulse_shared::{
    Codec, DiskSample, History, HistoryKind, NetworkSample, ProcessSample, Sample, ServerMessage,
    ServerMessageRef, TemperatureSample,
};

const ROUNDS: u32 = 2000;

/// Median time of `ROUNDS` calls of `f`, measured in batches of 10.
fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..ROUNDS / 10)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..10 {
                f();
            }
            start.elapsed() / 10
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

struct Row {
    codec: &'static str,
    bytes: usize,
    encode: Duration,
    decode: Option<Duration>,
    note: &'static str,
}

fn measure(sample: &Sample) -> Vec<Row> {
    let message = ServerMessageRef::Sample(sample);
    let json = serde_json::to_vec(&message).unwrap();
    let named = rmp_serde::to_vec_named(&message).unwrap();
    let compact = rmp_serde::to_vec(&message).unwrap();
    let mut cbor = Vec::new();
    ciborium::into_writer(&message, &mut cbor).unwrap();
    let postcard = postcard::to_stdvec(&ServerMessage::Sample(sample.clone())).unwrap();

    vec![
        Row {
            codec: "JSON (serde_json)",
            bytes: json.len(),
            encode: median(|| drop(black_box(serde_json::to_vec(&message).unwrap()))),
            decode: Some(median(|| {
                drop(black_box(
                    serde_json::from_slice::<ServerMessage>(&json).unwrap(),
                ));
            })),
            note: "self-describing, default",
        },
        Row {
            codec: "MessagePack, named fields (rmp-serde)",
            bytes: named.len(),
            encode: median(|| drop(black_box(rmp_serde::to_vec_named(&message).unwrap()))),
            decode: Some(median(|| {
                drop(black_box(
                    rmp_serde::from_slice::<ServerMessage>(&named).unwrap(),
                ));
            })),
            note: "self-describing: unknown fields can be skipped",
        },
        Row {
            codec: "CBOR (ciborium)",
            bytes: cbor.len(),
            encode: median(|| {
                let mut out = Vec::new();
                ciborium::into_writer(&message, &mut out).unwrap();
                drop(black_box(out));
            }),
            decode: Some(median(|| {
                drop(black_box(
                    ciborium::from_reader::<ServerMessage, _>(cbor.as_slice()).unwrap(),
                ));
            })),
            note: "self-describing: unknown fields can be skipped",
        },
        Row {
            codec: "MessagePack, positional (rmp-serde)",
            bytes: compact.len(),
            encode: median(|| drop(black_box(rmp_serde::to_vec(&message).unwrap()))),
            decode: None,
            note: "fields by position: an added field breaks old readers",
        },
        Row {
            codec: "postcard",
            bytes: postcard.len(),
            encode: median(|| {
                drop(black_box(
                    postcard::to_stdvec(&ServerMessage::Sample(sample.clone())).unwrap(),
                ));
            }),
            decode: None,
            note: "not self-describing: no tagged enums, no skipped or added fields",
        },
    ]
}

fn big_host() -> Sample {
    Sample {
        epoch: 1 << 40,
        seq: 123_456,
        timestamp_ms: 1_764_000_000_000,
        uptime_secs: 9_000_000,
        cpu: hostpulse_shared::CpuSample {
            total_percent: 37.25,
            per_core_percent: (0..64).map(|c| (c * 37 % 100) as f32 + 0.5).collect(),
        },
        load: Some(hostpulse_shared::LoadAverage {
            one: 12.5,
            five: 10.25,
            fifteen: 8.0,
        }),
        memory: hostpulse_shared::MemorySample {
            total_bytes: 512 << 30,
            used_bytes: 300 << 30,
            available_bytes: 200 << 30,
            swap_total_bytes: 16 << 30,
            swap_used_bytes: 1 << 30,
        },
        networks: (0..20u32)
            .map(|i| NetworkSample {
                interface: format!("enp{i}s0f1"),
                rx_bytes_per_sec: Some(1_234_567.0 * f64::from(i)),
                tx_bytes_per_sec: Some(765_432.0 * f64::from(i)),
                rx_bytes_total: 98_765_432_100 * u64::from(i),
                tx_bytes_total: 12_345_678_900 * u64::from(i),
            })
            .collect(),
        disks: (0..30)
            .map(|i| DiskSample {
                mount_point: format!("/srv/data{i}"),
                device: format!("/dev/nvme{i}n1p1"),
                file_system: "xfs".into(),
                total_bytes: 4 << 40,
                available_bytes: 1 << 40,
                read_bytes_per_sec: Some(50_000_000.0),
                write_bytes_per_sec: Some(20_000_000.0),
            })
            .collect(),
        temperatures: (0..16u16)
            .map(|i| TemperatureSample {
                label: format!("coretemp Core {i}"),
                celsius: 55.0 + f32::from(i),
                critical_celsius: Some(100.0),
            })
            .collect(),
        process_count: 1200,
        top_processes: (0..20)
            .map(|i| ProcessSample {
                pid: 10_000 + i,
                name: format!("worker-{i}"),
                cpu_percent: 99.5 - i as f32,
                memory_bytes: (2 << 30) + u64::from(i),
            })
            .collect(),
    }
}

fn print_table(title: &str, rows: &[Row]) {
    println!("\n{title}\n");
    println!("| codec | bytes per sample | encode | decode | note |");
    println!("|---|---:|---:|---:|---|");
    for row in rows {
        let decode = row.decode.map_or_else(
            || "–".to_owned(),
            |d| format!("{:.1} µs", d.as_secs_f64() * 1e6),
        );
        println!(
            "| {} | {} | {:.1} µs | {} | {} |",
            row.codec,
            row.bytes,
            row.encode.as_secs_f64() * 1e6,
            decode,
            row.note
        );
    }
}

/// The floor of joining a `history` message: the elements copied behind a
/// fixed prefix into a buffer of the right size, nothing encoded.
fn copy_floor(elements: &[Vec<u8>]) -> Vec<u8> {
    const PREFIX: &[u8] = br#"{"type":"history","kind":"reply","id":7,"last":true,"samples":["#;
    let payload: usize = elements.iter().map(|e| e.len() + 1).sum();
    let mut message = Vec::with_capacity(PREFIX.len() + payload + 2);
    message.extend_from_slice(PREFIX);
    for (index, element) in elements.iter().enumerate() {
        if index > 0 {
            message.push(b',');
        }
        message.extend_from_slice(element);
    }
    message.extend_from_slice(b"]}");
    message
}

/// Joining `history` messages of `samples` (as the server's replies are
/// made), in both codecs, against [`copy_floor`].
fn print_join_table(cases: &[(&str, Vec<Sample>)]) {
    let head = History {
        kind: Some(HistoryKind::Reply),
        id: Some(7),
        last: true,
        samples: Vec::new(),
    };
    println!("\nJoining a history message from encoded samples\n");
    println!(
        "| message | codec | bytes | join | floor: copy behind a fixed prefix | join / floor |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (what, samples) in cases {
        for codec in Codec::ALL {
            let elements: Vec<Vec<u8>> = samples.iter().map(|s| codec.encode(s).unwrap()).collect();
            let joined = codec.join_history(&head, &elements).unwrap();
            let join = median(|| drop(black_box(codec.join_history(&head, &elements).unwrap())));
            let floor = median(|| drop(black_box(copy_floor(&elements))));
            println!(
                "| {what} | {codec:?} | {} | {:.2} µs | {:.2} µs | {:.2} |",
                joined.len(),
                join.as_secs_f64() * 1e6,
                floor.as_secs_f64() * 1e6,
                join.as_secs_f64() / floor.as_secs_f64()
            );
        }
    }
}

fn main() {
    let mut sampler = Sampler::new().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let this_host = sampler.sample(1 << 40, 1234, 1_764_000_000_000);
    print_table(
        &format!(
            "This machine ({} CPUs, {} interfaces, {} mounts, {} top processes)",
            this_host.cpu.per_core_percent.len(),
            this_host.networks.len(),
            this_host.disks.len(),
            this_host.top_processes.len()
        ),
        &measure(&this_host),
    );
    print_table(
        "Synthetic large host (64 CPUs, 20 interfaces, 30 mounts, 20 top processes)",
        &measure(&big_host()),
    );
    let small = Sample {
        top_processes: Vec::new(),
        ..this_host.clone()
    };
    print_join_table(&[
        ("one sample of this machine", vec![this_host]),
        ("256 samples without processes", vec![small; 256]),
    ]);
}
