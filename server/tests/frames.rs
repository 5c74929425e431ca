//! Frame headers that break RFC 6455, written raw to a real `/ws`: each is
//! refused with close 1002 (protocol error) as soon as its header shows it,
//! after the frames before it have been answered.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use common::{Client, connect, masked_frame, read_close, read_hello, start_server, write_raw};
use hostpulse_server::BackgroundServer;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;

const TEXT: u8 = 0x81;
const PING: u8 = 0x89;
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
