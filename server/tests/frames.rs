//! Frame headers that break RFC 6455, written raw to a real `/ws`: each is
//! refused with close 1002 (protocol error) as soon as its header shows it,
//! after the frames before it have been answered. And where RFC 6455 is
//! precise and the server once departed from it: the HTTP version of the
//! handshake, the close code for each kind of bad input, and a size declared
//! too large refused at its header.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{Client, connect, masked_frame, read_close, read_hello, start_server, write_raw};
use hostpulse_server::BackgroundServer;
use hostpulse_shared::ServerMessage;
use hostpulse_shared::codec::decode_json;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;

const TEXT: u8 = 0x81;
const PING: u8 = 0x89;
const CLOSE: u8 = 0x88;
/// RSV1: meaningful only with an extension, and `/ws` negotiates none.
const RSV1: u8 = 0x40;

/// A viewer past its hello, ready to misbehave.
fn viewer() -> (BackgroundServer, Client) {
    let server = start_server();
    let mut client = connect(&server);
    read_hello(&mut client);
    (server, client)
}

#[test]
fn a_frame_with_rsv1_set_is_refused_with_1002() {
    let (_server, mut client) = viewer();
    write_raw(&mut client, &masked_frame(TEXT | RSV1, b"{}"));
    let close = read_close(&mut client).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Protocol);
    assert!(close.reason.contains("reserved bits"), "{}", close.reason);
}

#[test]
fn frames_before_the_refused_one_are_answered_first() {
    let (_server, mut client) = viewer();
    // A ping, then a frame with RSV1 set, in one write.
    let bytes = [
        masked_frame(PING, b"before"),
        masked_frame(TEXT | RSV1, b"{}"),
    ]
    .concat();
    write_raw(&mut client, &bytes);
    let mut pongs = Vec::new();
    let close = loop {
        match client.read().expect("a pong, then a close") {
            Message::Pong(payload) => pongs.push(payload),
            Message::Close(close) => break close.expect("a close frame with a code"),
            _ => {}
        }
    };
    assert_eq!(pongs, [b"before".to_vec()]);
    assert_eq!(close.code, CloseCode::Protocol);
}

#[test]
fn a_ping_declaring_a_gigabyte_is_refused_at_its_header_with_1002() {
    let (_server, mut client) = viewer();
    // Without the header check this ran into the byte budget: 1009.
    let mut header = vec![PING, 0x80 | 127];
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    header.extend_from_slice(&[0; 4]);
    write_raw(&mut client, &header);
    let close = read_close(&mut client).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Protocol);
}

#[test]
fn an_upgrade_over_http_1_0_is_refused() {
    let server = start_server();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
        .write_all(
            b"GET /ws HTTP/1.0\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
              Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        )
        .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.0 400") || response.starts_with("HTTP/1.1 400"),
        "{response}"
    );
    assert!(
        response.contains("HTTP/1.1"),
        "the refusal says what is needed: {response}"
    );
}

#[test]
fn a_close_whose_reason_is_not_utf8_gets_1007() {
    let (_server, mut client) = viewer();
    // Code 1000, then a reason that is not UTF-8.
    write_raw(
        &mut client,
        &masked_frame(CLOSE, &[0x03, 0xE8, b'o', 0xFF, b'k']),
    );
    let close = read_close(&mut client).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Invalid, "{}", close.reason);
}

#[test]
fn a_close_with_a_reserved_code_gets_1002() {
    let (_server, mut client) = viewer();
    // 1005 may never be sent in a close frame (RFC 6455 §7.4.1).
    write_raw(&mut client, &masked_frame(CLOSE, &[0x03, 0xED]));
    let close = read_close(&mut client).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Protocol, "{}", close.reason);
}

#[test]
fn a_flood_of_pings_is_a_policy_violation() {
    let (_server, mut client) = viewer();
    let flood: Vec<u8> = (0..100_000).flat_map(|_| masked_frame(PING, b"")).collect();
    write_raw(&mut client, &flood);
    let close = loop {
        match client.read() {
            Ok(Message::Close(frame)) => break frame.expect("a close frame with a code"),
            Ok(_) => {}
            Err(error) => panic!("connection ended without a close frame: {error}"),
        }
    };
    assert_eq!(close.code, CloseCode::Policy, "{}", close.reason);
}

#[test]
fn a_message_declaring_more_than_the_limit_is_refused_at_its_header_with_1009() {
    let (_server, mut client) = viewer();
    // A text frame declaring 1 GiB: only its header is sent.
    let mut header = vec![0x81, 0xFF];
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    header.extend_from_slice(&[0; 4]);
    write_raw(&mut client, &header);
    let close = read_close(&mut client).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Size, "{}", close.reason);
    // Just over the 4 KiB limit, declared with a 16-bit length: the same.
    let (_server, mut client) = viewer();
    let mut header = vec![0x82, 0xFE];
    header.extend_from_slice(&4097u16.to_be_bytes());
    header.extend_from_slice(&[0; 4]);
    write_raw(&mut client, &header);
    let close = read_close(&mut client).expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Size, "{}", close.reason);
}

#[test]
fn a_history_request_limit_beyond_32_bits_is_capped_not_refused() {
    let (_server, mut client) = viewer();
    client
        .send(Message::text(
            r#"{"type":"history_request","before_seq":1000000,"limit":18446744073709551615}"#,
        ))
        .unwrap();
    // A history reply comes (perhaps after live samples), never a close.
    loop {
        let text = common::next_text(&mut client);
        match decode_json(&text).unwrap() {
            ServerMessage::History(_) => break,
            ServerMessage::Sample(_) => {}
            other => panic!("expected the history reply, got {other:?}"),
        }
    }
}
