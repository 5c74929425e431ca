//! Every server message survives a JSON round trip unchanged, and the JSON keeps
//! the shape third-party readers rely on (a `"type"` tag, units in field names).

use hostpulse_shared::codec::{decode_json, encode_json};
use hostpulse_shared::{
    CpuSample, DiskSample, Hello, HostInfo, LoadAverage, MemorySample, NetworkSample,
    ProcessSample, Sample, ServerMessage, TemperatureSample,
};

fn full_sample() -> Sample {
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
            tx_bytes_per_sec: None,
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

fn hello() -> Hello {
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
    }
}

#[test]
fn every_server_message_round_trips() {
    let messages = [
        ServerMessage::Hello(hello()),
        ServerMessage::Sample(full_sample()),
        ServerMessage::Sample(Sample::default()),
        ServerMessage::Error {
            message: "too slow".into(),
        },
    ];
    for message in messages {
        let text = encode_json(&message).unwrap();
        let back: ServerMessage = decode_json(&text).unwrap();
        assert_eq!(back, message, "round trip changed {text}");
    }
}

#[test]
fn json_is_tagged_and_names_units() {
    let text = encode_json(&ServerMessage::Sample(full_sample())).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["type"], "sample");
    assert_eq!(value["seq"], 42);
    assert_eq!(value["memory"]["used_bytes"], 4u64 << 30);
    assert_eq!(value["networks"][0]["rx_bytes_per_sec"], 1250.5);
    // An unknown rate is left out, not sent as zero.
    assert!(value["networks"][0].get("tx_bytes_per_sec").is_none());
}

#[test]
fn readers_ignore_unknown_fields_and_types() {
    let newer = r#"{"type":"hello","protocol_version":1,"server_version":"9.9.9","epoch":1,
        "interval_ms":1000,"host":{"hostname":"h","os_name":"","os_version":"","kernel_version":"",
        "architecture":"","cpu_model":"","core_count":1,"memory_total_bytes":1,"boot_time_secs":0,
        "gpu":"added later"},"added_later":true}"#;
    let ServerMessage::Hello(hello) = decode_json(newer).unwrap() else {
        panic!("expected a hello");
    };
    assert_eq!(hello.server_version, "9.9.9");

    let unknown: ServerMessage = decode_json(r#"{"type":"added_later","x":1}"#).unwrap();
    assert_eq!(unknown, ServerMessage::Unknown);
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    for bad in [
        "",
        "{",
        "null",
        r#"{"type":5}"#,
        r#"{"type":"sample","seq":"x"}"#,
    ] {
        assert!(
            decode_json::<ServerMessage>(bad).is_err(),
            "{bad:?} should not decode"
        );
    }
}

#[test]
fn borrowed_messages_encode_like_owned_ones() {
    use hostpulse_shared::ServerMessageRef;
    let sample = full_sample();
    let hello = hello();
    assert_eq!(
        encode_json(&ServerMessageRef::Sample(&sample)).unwrap(),
        encode_json(&ServerMessage::Sample(sample.clone())).unwrap()
    );
    assert_eq!(
        encode_json(&ServerMessageRef::Hello(&hello)).unwrap(),
        encode_json(&ServerMessage::Hello(hello.clone())).unwrap()
    );
    assert_eq!(
        encode_json(&ServerMessageRef::Error { message: "x" }).unwrap(),
        encode_json(&ServerMessage::Error {
            message: "x".into()
        })
        .unwrap()
    );
}
