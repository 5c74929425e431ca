//! Golden vectors: each protocol message as it must look on the wire, in both
//! encodings, kept in `tests/golden/`. An accidental schema change (a renamed
//! field, a changed tag) fails here; a deliberate one regenerates the files with
//! `HOSTPULSE_UPDATE_GOLDEN=1 cargo test --workspace --test golden` and shows in
//! review as a diff.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::path::PathBuf;

use common::{full_sample, hello};
use hostpulse_shared::{
    AlertEvent, AlertRule, AlertState, AlertsSummary, ClientMessage, Codec, Comparison, Hello,
    History, HistoryKind, HistoryRange, ProcessesAt, ProcessesRequest, RangeGap, RangePoint,
    RangeRequest, RangeTier, RequestError, Reset, ResetReason, Sample, ServerMessage, Severity,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The rules and firing alert of the `hello_with_alerts` example.
fn alerts_summary() -> AlertsSummary {
    AlertsSummary {
        rules: vec![
            AlertRule {
                name: "cpu_busy".into(),
                metric: "cpu.total_percent".into(),
                instance: None,
                comparison: Comparison::Above,
                threshold: 90.0,
                clear: 80.0,
                for_secs: 300,
                severity: Severity::Warning,
                description: Some("The CPUs have been over 90 % busy for 5 minutes.".into()),
            },
            AlertRule {
                name: "home_full".into(),
                metric: "filesystem.used_percent".into(),
                instance: Some("/home".into()),
                comparison: Comparison::Above,
                threshold: 95.0,
                clear: 90.0,
                for_secs: 600,
                severity: Severity::Critical,
                description: None,
            },
        ],
        firing: vec![AlertEvent {
            rule: "cpu_busy".into(),
            metric: "cpu.total_percent".into(),
            instance: String::new(),
            state: AlertState::Firing,
            severity: Severity::Warning,
            value: 96.1,
            threshold: 90.0,
            timestamp_ms: 1_764_000_300_000,
            firing_since_ms: 1_764_000_300_000,
            description: Some("The CPUs have been over 90 % busy for 5 minutes.".into()),
        }],
    }
}

/// Every server message, by file name.
fn server_messages() -> Vec<(&'static str, ServerMessage)> {
    // Two short samples keep the example readable; `sample` shows every field.
    let short = |seq: u64| Sample {
        seq,
        timestamp_ms: 1_764_000_000_000 + (seq - 42) * 1000,
        networks: Vec::new(),
        disks: Vec::new(),
        temperatures: Vec::new(),
        top_processes: Vec::new(),
        ..full_sample()
    };
    vec![
        ("hello", ServerMessage::Hello(hello())),
        (
            "hello_with_alerts",
            ServerMessage::Hello(Hello {
                alerts: Some(alerts_summary()),
                ..hello()
            }),
        ),
        (
            "history",
            ServerMessage::History(History {
                kind: Some(HistoryKind::Replay),
                id: None,
                last: true,
                samples: vec![short(42), short(43)],
            }),
        ),
        (
            "history_reply",
            ServerMessage::History(History {
                kind: Some(HistoryKind::Reply),
                id: Some(7),
                last: true,
                samples: vec![short(42)],
            }),
        ),
        (
            "reset",
            ServerMessage::Reset(Reset {
                reason: ResetReason::EpochChanged,
                message: "the server restarted since your last sample: starting afresh".into(),
            }),
        ),
        ("sample", ServerMessage::Sample(full_sample())),
        (
            "alert",
            ServerMessage::Alert(AlertEvent {
                rule: "filesystem_full".into(),
                metric: "filesystem.used_percent".into(),
                instance: "/srv".into(),
                state: AlertState::Firing,
                severity: Severity::Warning,
                value: 93.4,
                threshold: 90.0,
                timestamp_ms: 1_764_000_000_000,
                firing_since_ms: 1_764_000_000_000,
                description: Some("A file system is over 90 % full.".into()),
            }),
        ),
        (
            "error",
            ServerMessage::Error {
                message: "unknown message type: ignored".into(),
            },
        ),
        (
            "history_range",
            ServerMessage::HistoryRange(history_range()),
        ),
        (
            "processes",
            ServerMessage::Processes(ProcessesAt {
                id: 4,
                at_ms: 1_764_000_061_500,
                tier: Some(RangeTier::Raw),
                time_ms: Some(1_764_000_061_000),
                processes: full_sample().top_processes,
            }),
        ),
        (
            "request_error",
            ServerMessage::RequestError(RequestError {
                id: 3,
                message: "`to_ms`: the end (1764000000000 ms) is before the start \
                          (1764000180000 ms): swap them"
                    .into(),
            }),
        ),
    ]
}

/// A minute-tier answer with min, mean and max, a missing value and a gap.
fn history_range() -> HistoryRange {
    HistoryRange {
        id: 3,
        tier: RangeTier::Minute,
        step_ms: 60_000,
        from_ms: 1_764_000_000_000,
        to_ms: 1_764_000_180_000,
        series: vec!["cpu.total_percent".into(), "memory.used_bytes".into()],
        points: vec![
            RangePoint {
                time_ms: 1_764_000_000_000,
                samples: 60,
                mean: vec![Some(12.5), Some(3_221_225_472.0)],
                min: vec![Some(3.1), Some(3_200_000_000.0)],
                max: vec![Some(97.0), None],
            },
            RangePoint {
                time_ms: 1_764_000_120_000,
                samples: 42,
                mean: vec![Some(8.0), Some(3_221_225_472.0)],
                min: vec![Some(2.0), Some(3_221_225_472.0)],
                max: vec![Some(11.4), Some(3_221_225_472.0)],
            },
        ],
        gaps: vec![RangeGap {
            from_ms: 1_764_000_000_000,
            to_ms: 1_764_000_120_000,
        }],
    }
}

/// Every client message, by file name.
fn client_messages() -> Vec<(&'static str, ClientMessage)> {
    vec![
        (
            "history_request",
            ClientMessage::HistoryRequest {
                before_seq: 100,
                limit: 60,
                id: Some(7),
            },
        ),
        (
            "history_range_request",
            ClientMessage::HistoryRange(RangeRequest {
                id: 3,
                from_ms: 1_764_000_000_000,
                to_ms: 1_764_000_180_000,
                points: 1600,
            }),
        ),
        (
            "processes_request",
            ClientMessage::ProcessesRequest(ProcessesRequest {
                id: 4,
                at_ms: 1_764_000_061_500,
            }),
        ),
    ]
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for line in bytes.chunks(32) {
        for byte in line {
            write!(out, "{byte:02x}").unwrap();
        }
        out.push('\n');
    }
    out
}

fn unhex(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

/// Checks (or, when asked, rewrites) the golden files of one message.
fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, message: &T) {
    let json = String::from_utf8(Codec::Json.encode(message).unwrap()).unwrap() + "\n";
    let msgpack = hex(&Codec::MessagePack.encode(message).unwrap());
    let json_path = golden_dir().join(format!("{name}.json"));
    let msgpack_path = golden_dir().join(format!("{name}.msgpack.hex"));
    if std::env::var_os("HOSTPULSE_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&json_path, &json).unwrap();
        std::fs::write(&msgpack_path, &msgpack).unwrap();
    }
    let golden_json = std::fs::read_to_string(&json_path)
        .unwrap_or_else(|e| panic!("{}: {e}", json_path.display()));
    let golden_msgpack = std::fs::read_to_string(&msgpack_path)
        .unwrap_or_else(|e| panic!("{}: {e}", msgpack_path.display()));

    // Both codecs decode the golden vectors to the same value…
    assert_eq!(
        &Codec::Json.decode::<T>(golden_json.as_bytes()).unwrap(),
        message,
        "{name}.json"
    );
    assert_eq!(
        &Codec::MessagePack
            .decode::<T>(&unhex(&golden_msgpack))
            .unwrap(),
        message,
        "{name}.msgpack.hex"
    );
    // …and today's encoder still writes exactly those bytes.
    assert_eq!(json, golden_json, "{name}.json changed");
    assert_eq!(msgpack, golden_msgpack, "{name}.msgpack.hex changed");
}

#[test]
fn server_messages_match_their_golden_vectors() {
    for (name, message) in server_messages() {
        check(name, &message);
    }
}

#[test]
fn client_messages_match_their_golden_vectors() {
    for (name, message) in client_messages() {
        check(name, &message);
    }
}

/// Every JSON example in PROTOCOL.md is a real message: it decodes to one of the
/// golden values, so the document cannot drift from the code.
#[test]
fn protocol_md_examples_are_real_messages() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../PROTOCOL.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let servers = server_messages();
    let clients = client_messages();
    let mut examples = 0;
    for block in doc.split("```json\n").skip(1) {
        let example = block.split("```").next().unwrap();
        let server = Codec::Json.decode::<ServerMessage>(example.as_bytes());
        let client = Codec::Json.decode::<ClientMessage>(example.as_bytes());
        let known = matches!(&server, Ok(m) if servers.iter().any(|(_, g)| g == m))
            || matches!(&client, Ok(m) if clients.iter().any(|(_, g)| g == m));
        assert!(
            known,
            "PROTOCOL.md example is not a golden message:\n{example}"
        );
        examples += 1;
    }
    assert_eq!(
        examples,
        servers.len() + clients.len(),
        "one example per message"
    );
}

/// The REST bodies of the on-disk history's reads: a range request's fields
/// (as query parameters) and its answer (additive to v1).
#[test]
fn range_bodies_match_their_golden_vectors() {
    check(
        "range_request",
        &RangeRequest {
            id: 3,
            from_ms: 1_764_000_000_000,
            to_ms: 1_764_000_180_000,
            points: 1600,
        },
    );
    check("history_range_body", &history_range());
}
