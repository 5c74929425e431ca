//! A real server on `127.0.0.1:0`, real WebSocket clients, real sysinfo data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use common::{
    Client, connect, http_get, next_sample, read_close, read_hello, start_server, write_raw,
};
use hostpulse_shared::Sample;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;

#[test]
fn hello_then_plausible_samples_one_interval_apart() {
    let server = start_server();
    let mut client = connect(&server);

    let hello = read_hello(&mut client);
    assert_eq!(hello.protocol_version, hostpulse_shared::PROTOCOL_VERSION);
    assert_eq!(hello.interval_ms, 250);
    assert_eq!(hello.server_version, env!("CARGO_PKG_VERSION"));
    assert!(hello.host.core_count > 0);
    assert!(!hello.host.hostname.is_empty());
    assert!(hello.host.memory_total_bytes > 0);

    let samples: Vec<Sample> = (0..4).map(|_| next_sample(&mut client).0).collect();
    for pair in samples.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1, "seq rises by one per tick");
        let step_ms = pair[1].timestamp_ms - pair[0].timestamp_ms;
        // Generous bounds: ticks land on interval boundaries, but a loaded
        // machine may skip one.
        assert!(
            (125..=2500).contains(&step_ms),
            "timestamps {step_ms} ms apart"
        );
    }
    for sample in &samples {
        assert_eq!(sample.epoch, hello.epoch);
        assert_eq!(
            sample.cpu.per_core_percent.len(),
            hello.host.core_count as usize
        );
        assert!((0.0..=100.0).contains(&sample.cpu.total_percent));
        for core in &sample.cpu.per_core_percent {
            assert!((0.0..=100.0).contains(core), "core at {core}%");
        }
        assert!(sample.memory.used_bytes <= sample.memory.total_bytes);
        assert!(sample.memory.swap_used_bytes <= sample.memory.swap_total_bytes);
        assert!(
            !sample.networks.is_empty(),
            "this machine has a network interface"
        );
        assert!(sample.process_count > 0);
        assert!(sample.uptime_secs > 0);
    }
    // Every interface has a rate once the server has seen it twice.
    let last = samples.last().unwrap();
    assert!(last.networks.iter().all(|n| n.rx_bytes_per_sec.is_some()));
}

#[test]
fn two_clients_receive_the_same_bytes_for_the_same_seq() {
    let server = start_server();
    let mut first = connect(&server);
    let mut second = connect(&server);
    read_hello(&mut first);
    read_hello(&mut second);

    let from_first: Vec<(u64, String)> = (0..5)
        .map(|_| next_sample(&mut first))
        .map(|(s, text)| (s.seq, text))
        .collect();
    let from_second: Vec<(u64, String)> = (0..5)
        .map(|_| next_sample(&mut second))
        .map(|(s, text)| (s.seq, text))
        .collect();

    let common: Vec<_> = from_first
        .iter()
        .filter(|(seq, _)| from_second.iter().any(|(other, _)| other == seq))
        .collect();
    assert!(
        common.len() >= 3,
        "clients saw different streams: {from_first:?} / {from_second:?}"
    );
    for (seq, text) in common {
        let other = &from_second.iter().find(|(s, _)| s == seq).unwrap().1;
        assert_eq!(text, other, "seq {seq} differs between clients");
    }
}

#[test]
fn garbage_from_one_client_closes_it_and_no_other_client_notices() {
    let server = start_server();
    let mut bystander = connect(&server);
    read_hello(&mut bystander);
    let before = next_sample(&mut bystander).0.seq;

    let mut rude = connect(&server);
    read_hello(&mut rude);
    rude.send(Message::Text("{ not json".into())).unwrap();
    let close = read_close(&mut rude).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Invalid);

    let mut binary = connect(&server);
    read_hello(&mut binary);
    binary.send(Message::Binary(vec![0xc1; 64])).unwrap();
    let close = read_close(&mut binary).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Invalid);

    // The bystander's stream goes on without a gap.
    for expected in before + 1..=before + 3 {
        let seq = next_sample(&mut bystander).0.seq;
        assert_eq!(seq, expected, "the bystander missed a sample");
    }
}

#[test]
fn an_oversized_frame_is_refused_with_1009() {
    let server = start_server();
    let mut client = connect(&server);
    read_hello(&mut client);
    client.send(Message::Text("x".repeat(64 * 1024))).unwrap();
    let close = read_close(&mut client).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Size);
}

#[test]
fn stopping_the_server_closes_every_client_with_going_away() {
    let server = start_server();
    let mut clients: Vec<Client> = (0..3).map(|_| connect(&server)).collect();
    for client in &mut clients {
        read_hello(client);
    }
    server.stop().expect("clean stop");
    for client in &mut clients {
        let close = read_close(client).expect("a close frame with a code");
        assert_eq!(close.code, CloseCode::Away);
    }
}

#[test]
fn healthz_reports_ok_once_samples_flow() {
    let server = start_server();
    let mut client = connect(&server);
    read_hello(&mut client);
    next_sample(&mut client);
    let (status, body) = http_get(&server, "/healthz");
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["clients"], 1);
}

#[test]
fn a_taken_port_names_the_address_and_what_to_do() {
    let server = start_server();
    let error = hostpulse_server::bind(server.addr())
        .unwrap_err()
        .to_string();
    assert!(error.contains(&server.addr().to_string()), "{error}");
    assert!(error.contains("--bind"), "{error}");
}

#[test]
fn a_frame_declaring_a_gigabyte_is_refused_with_1009_without_buffering_it() {
    let server = start_server();
    let mut client = connect(&server);
    read_hello(&mut client);

    // A masked text frame header declaring 1 GiB, then 1 MiB of it: far past
    // the 64 KiB a viewer may send at once, far short of the declared size.
    let mut header = vec![0x81, 0xFF];
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    write_raw(&mut client, &header);
    let chunk = vec![0x55u8; 64 * 1024];
    for _ in 0..16 {
        write_raw(&mut client, &chunk);
    }
    // The frame is refused as too big long before it could be complete.
    let close = read_close(&mut client).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Size);
}
