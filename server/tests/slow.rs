//! A viewer that stops reading: it is given a couple of frames, then closed
//! with 1008, counted, and dropped — while a viewer that reads misses nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{bound_reads, connect, next_sample, read_start, start_server_with};
use hostpulse_server::Config;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;

/// Connects a viewer whose kernel receive buffer is tiny, so it fills at once.
fn connect_small_window(server: &hostpulse_server::BackgroundServer) -> common::Client {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&server.addr().into()).unwrap();
    let stream = tungstenite::stream::MaybeTlsStream::Plain(TcpStream::from(socket));
    let (client, _) = tungstenite::client(server.ws_url(), stream).unwrap();
    bound_reads(client)
}

fn stalled_count(server: &hostpulse_server::BackgroundServer) -> u64 {
    common::metric(server, "hostpulse_stalled_viewers_total")
}

#[test]
fn a_viewer_that_stops_reading_is_closed_with_1008_and_the_others_miss_nothing() {
    let server = start_server_with(Config {
        interval: Duration::from_millis(100),
        ..Config::default()
    });
    let mut reader = connect(&server);
    let (_, history) = read_start(&mut reader);
    let mut last_seq = history.last().map(|s| s.seq);

    // Ask for the whole history again and again, and read none of it.
    let mut stalled = connect_small_window(&server);
    for _ in 0..200 {
        stalled
            .send(Message::text(
                r#"{"type":"history_request","before_seq":1000000000,"limit":3600}"#,
            ))
            .unwrap();
    }

    // The reader keeps getting every sample while the other one stalls.
    let give_up = Instant::now() + Duration::from_secs(40);
    while stalled_count(&server) == 0 {
        assert!(
            Instant::now() < give_up,
            "the stalled viewer was never dropped"
        );
        let (sample, _) = next_sample(&mut reader);
        if let Some(last) = last_seq {
            assert_eq!(sample.seq, last + 1, "the reading viewer missed a sample");
        }
        last_seq = Some(sample.seq);
    }

    // Reading again, within the grace period, the stalled viewer finds its close.
    let close = loop {
        match stalled.read() {
            Ok(Message::Close(frame)) => break frame.expect("a close code"),
            Ok(_) => {}
            Err(error) => panic!("no close frame before the end: {error}"),
        }
    };
    assert_eq!(close.code, CloseCode::Policy);
    assert!(close.reason.contains("not reading"), "{}", close.reason);
}
