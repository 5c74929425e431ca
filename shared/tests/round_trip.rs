//! Every server message survives a JSON round trip unchanged, and the JSON keeps
//! the shape third-party readers rely on (a `"type"` tag, units in field names).

mod common;

use common::{full_sample, hello};
use hostpulse_shared::codec::{decode_json, encode_json};
use hostpulse_shared::{Sample, ServerMessage};

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

/// A rate is a quotient, so it usually takes all 17 significant digits; JSON
/// must bring back the very same `f64`, not its neighbour (found by fuzzing).
#[test]
fn json_keeps_every_bit_of_a_float() {
    let mut sample = full_sample();
    // One byte over 1.0003 s, and the fuzzer's first find.
    sample.networks[0].rx_bytes_per_sec = Some(1.0 / 1.0003);
    sample.disks[0].write_bytes_per_sec = Some(4.778_309_726_736_482e-299);
    let load = sample.load.as_mut().unwrap();
    load.one = 11.996_401_079_676_097;
    let message = ServerMessage::Sample(sample);
    let back: ServerMessage = decode_json(&encode_json(&message).unwrap()).unwrap();
    assert_eq!(back, message);
}

#[test]
fn json_is_tagged_and_names_units() {
    let mut sample = full_sample();
    sample.networks[0].tx_bytes_per_sec = None;
    let text = encode_json(&ServerMessage::Sample(sample)).unwrap();
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
