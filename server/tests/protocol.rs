//! Protocol v1 against a real server: history on connect, resume without gaps or
//! duplicates, resets, the MessagePack subprotocol, control messages, REST reads.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::time::{Duration, Instant};

use common::{
    Client, bound_reads, connect, connect_to, http_get, next_sample, next_text, read_start,
    start_server_with,
};
use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;
use hostpulse_shared::codec::decode_json;
use hostpulse_shared::{
    ClientMessage, Codec, History, HistoryKind, ResetReason, Sample, ServerMessage,
};
use tungstenite::Message;
use tungstenite::client::IntoClientRequest;

const FAST: Duration = Duration::from_millis(100);

fn fast_server(history: usize) -> BackgroundServer {
    start_server_with(Config {
        interval: FAST,
        history_capacity: history,
        ..Config::default()
    })
}

/// Waits (bounded) until the server has published a sample with at least `seq`.
fn wait_for_seq(server: &BackgroundServer, seq: u64) {
    let give_up = Instant::now() + Duration::from_secs(20);
    while Instant::now() < give_up {
        let (status, body) = http_get(server, "/api/v1/snapshot");
        if status == 200 {
            let sample: Sample = serde_json::from_str(&body).unwrap();
            if sample.seq >= seq {
                return;
            }
        }
        std::thread::sleep(FAST);
    }
    panic!("the server never reached seq {seq}");
}

fn resume_url(server: &BackgroundServer, epoch: u64, after_seq: u64) -> String {
    format!(
        "{}?resume_epoch={epoch}&resume_after_seq={after_seq}",
        server.ws_url()
    )
}

fn seqs(samples: &[Sample]) -> Vec<u64> {
    samples.iter().map(|s| s.seq).collect()
}

fn assert_contiguous(seqs: &[u64]) {
    for pair in seqs.windows(2) {
        assert_eq!(pair[1], pair[0] + 1, "gap or duplicate in {seqs:?}");
    }
}

/// Reads the next message, which must be a `reset`, and returns its reason.
fn read_reset(client: &mut Client) -> ResetReason {
    match decode_json(&next_text(client)).unwrap() {
        ServerMessage::Reset(reset) => reset.reason,
        other => panic!("expected a reset, got {other:?}"),
    }
}

#[test]
fn a_late_viewer_gets_the_history_then_live_samples_without_a_seam() {
    let server = fast_server(3600);
    wait_for_seq(&server, 8);
    let mut client = connect(&server);
    let (hello, history) = read_start(&mut client);
    assert_eq!(hello.history_capacity, 3600);
    assert!(history.len() >= 9, "history of {} samples", history.len());
    assert_eq!(history[0].seq, 0, "the whole short history is replayed");

    let mut all = seqs(&history);
    for _ in 0..5 {
        all.push(next_sample(&mut client).0.seq);
    }
    assert_contiguous(&all);
}

#[test]
fn history_secs_chooses_how_much_past_comes_first() {
    let server = fast_server(3600);
    wait_for_seq(&server, 12);
    let mut client = connect_to(&format!("{}?history_secs=0", server.ws_url()));
    let (_, history) = read_start(&mut client);
    assert!(history.is_empty());
    let mut client = connect_to(&format!("{}?history_secs=1", server.ws_url()));
    let (_, history) = read_start(&mut client);
    assert_eq!(history.len(), 10, "one second at 100 ms");
}

#[test]
fn a_viewer_that_reconnects_gets_exactly_what_it_missed() {
    let server = fast_server(3600);
    let mut client = connect(&server);
    let (hello, _) = read_start(&mut client);
    let last = (0..3).map(|_| next_sample(&mut client).0).last().unwrap();
    client.close(None).unwrap();
    drop(client);

    // The viewer is away for about 15 intervals.
    wait_for_seq(&server, last.seq + 15);
    let mut client = connect_to(&resume_url(&server, hello.epoch, last.seq));
    let (again, missed) = read_start(&mut client);
    assert_eq!(again.epoch, hello.epoch);
    assert!(missed.len() >= 15, "{} missed", missed.len());
    assert_eq!(missed[0].seq, last.seq + 1, "nothing missing at the start");

    let mut all = seqs(&missed);
    for _ in 0..3 {
        all.push(next_sample(&mut client).0.seq);
    }
    assert_contiguous(&all);
}

#[test]
fn resuming_with_nothing_missed_continues_with_the_next_sample() {
    let server = fast_server(3600);
    wait_for_seq(&server, 3);
    let (status, body) = http_get(&server, "/api/v1/snapshot");
    assert_eq!(status, 200);
    let latest: Sample = serde_json::from_str(&body).unwrap();
    let mut client = connect_to(&resume_url(&server, latest.epoch, latest.seq));
    let (_, missed) = read_start(&mut client);
    let next = missed
        .first()
        .map_or_else(|| next_sample(&mut client).0.seq, |s| s.seq);
    assert_eq!(next, latest.seq + 1);
}

#[test]
fn a_resume_beyond_the_newest_sample_is_answered_with_a_reset() {
    let server = fast_server(3600);
    wait_for_seq(&server, 3);
    let (_, body) = http_get(&server, "/api/v1/snapshot");
    let latest: Sample = serde_json::from_str(&body).unwrap();
    // A seq the server has not reached: its live seqs would not continue the
    // viewer's, so it starts the viewer afresh, as after a restart.
    let mut client = connect_to(&resume_url(&server, latest.epoch, latest.seq + 1000));
    assert!(matches!(
        decode_json(&next_text(&mut client)).unwrap(),
        ServerMessage::Hello(_)
    ));
    assert_eq!(read_reset(&mut client), ResetReason::SeqAhead);
    let history = common::read_history(&mut client);
    assert!(history.len() > 3, "the recent history follows the reset");
    let live = next_sample(&mut client).0.seq;
    assert_eq!(
        live,
        history.last().unwrap().seq + 1,
        "then the live stream"
    );
}

#[test]
fn a_restarted_server_answers_a_resume_with_a_reset() {
    let first = fast_server(3600);
    let mut client = connect(&first);
    let (hello, _) = read_start(&mut client);
    let last = next_sample(&mut client).0;
    drop(client);
    first.stop().unwrap();

    let second = fast_server(3600);
    wait_for_seq(&second, 2);
    let mut client = connect_to(&resume_url(&second, hello.epoch, last.seq));
    let new_hello = match decode_json(&next_text(&mut client)).unwrap() {
        ServerMessage::Hello(hello) => hello,
        other => panic!("expected hello, got {other:?}"),
    };
    assert_ne!(new_hello.epoch, hello.epoch, "a new epoch per start");
    assert_eq!(read_reset(&mut client), ResetReason::EpochChanged);
    match decode_json(&next_text(&mut client)).unwrap() {
        ServerMessage::History(history) => {
            assert!(!history.samples.is_empty());
            assert!(history.samples.iter().all(|s| s.epoch == new_hello.epoch));
        }
        other => panic!("expected the new history, got {other:?}"),
    }
}

#[test]
fn a_gap_older_than_the_history_is_a_reset() {
    let server = fast_server(3);
    let mut client = connect(&server);
    let (hello, _) = read_start(&mut client);
    let last = next_sample(&mut client).0;
    drop(client);
    wait_for_seq(&server, last.seq + 6);

    let mut client = connect_to(&resume_url(&server, hello.epoch, last.seq));
    read_start_after_reset(&mut client, ResetReason::HistoryTooShort, 3);
}

fn read_start_after_reset(client: &mut Client, reason: ResetReason, history_len: usize) {
    assert!(matches!(
        decode_json(&next_text(client)).unwrap(),
        ServerMessage::Hello(_)
    ));
    assert_eq!(read_reset(client), reason);
    assert_eq!(common::read_history(client).len(), history_len);
}

#[test]
fn the_msgpack_subprotocol_is_negotiated_and_named_in_the_reply() {
    let server = fast_server(3600);
    wait_for_seq(&server, 2);
    let mut request = server.ws_url().into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "hostpulse.v1.msgpack".parse().unwrap(),
    );
    let (client, response) = tungstenite::connect(request).unwrap();
    let mut client = bound_reads(client);
    assert_eq!(
        response.headers()["Sec-WebSocket-Protocol"],
        "hostpulse.v1.msgpack"
    );
    // Binary frames: the hello, one or more `history`, then a live sample.
    let mut decoded = Vec::new();
    while !matches!(decoded.last(), Some(ServerMessage::Sample(_))) {
        match client.read().unwrap() {
            Message::Binary(bytes) => {
                decoded.push(Codec::MessagePack.decode::<ServerMessage>(&bytes).unwrap());
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected binary frames, got {other:?}"),
        }
    }
    assert!(matches!(decoded[0], ServerMessage::Hello(_)));
    assert!(
        decoded[1..decoded.len() - 1]
            .iter()
            .all(|m| matches!(m, ServerMessage::History(_)))
    );
    assert!(
        decoded.len() >= 3,
        "no history between the hello and the sample"
    );

    // Of several offers, the one we speak is chosen; of none, JSON, unnamed.
    let (status, reply) = common::handshake(
        &server,
        "Sec-WebSocket-Protocol: chat, hostpulse.v1.msgpack\r\n",
    );
    assert_eq!(status, 101, "{reply}");
    assert!(
        reply.contains("sec-websocket-protocol: hostpulse.v1.msgpack"),
        "{reply}"
    );
    let (status, reply) = common::handshake(&server, "Sec-WebSocket-Protocol: chat\r\n");
    assert_eq!(status, 101, "{reply}");
    assert!(!reply.contains("sec-websocket-protocol"), "{reply}");
}

/// Reads `history` messages (skipping live samples) until one marked `last`;
/// returns them.
fn read_batch(client: &mut Client) -> Vec<History> {
    let mut batch = Vec::new();
    loop {
        match decode_json(&next_text(client)).unwrap() {
            ServerMessage::History(history) => {
                let last = history.last;
                batch.push(history);
                if last {
                    return batch;
                }
            }
            ServerMessage::Sample(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn batch_seqs(batch: &[History]) -> Vec<u64> {
    batch.iter().flat_map(|h| seqs(&h.samples)).collect()
}

/// Sends a `history_request` and reads its reply, checking every message
/// of it is a reply carrying `id`.
fn ask(client: &mut Client, before_seq: u64, limit: u64, id: Option<u32>) -> Vec<u64> {
    let request = ClientMessage::HistoryRequest {
        before_seq,
        limit,
        id,
    };
    let text = hostpulse_shared::codec::encode_json(&request).unwrap();
    client.send(Message::Text(text)).unwrap();
    let reply = read_batch(client);
    assert!(
        reply
            .iter()
            .all(|h| h.kind == Some(HistoryKind::Reply) && h.id == id),
        "{reply:?}"
    );
    batch_seqs(&reply)
}

#[test]
fn history_requests_are_answered_with_marked_replies_after_the_replay() {
    let server = fast_server(3600);
    wait_for_seq(&server, 10);
    let mut client = connect(&server);
    assert!(matches!(
        decode_json(&next_text(&mut client)).unwrap(),
        ServerMessage::Hello(_)
    ));
    // Sent while the replay may still be going out: its reply follows the
    // replay, never inside it.
    client
        .send(Message::Text(
            r#"{"type":"history_request","before_seq":8,"limit":3,"id":42}"#.into(),
        ))
        .unwrap();
    let first_batch = read_batch(&mut client);
    assert!(
        first_batch
            .iter()
            .all(|h| h.kind == Some(HistoryKind::Replay) && h.id.is_none())
    );
    assert!(
        batch_seqs(&first_batch).len() >= 10,
        "{:?}",
        batch_seqs(&first_batch)
    );
    let reply = read_batch(&mut client);
    assert!(
        reply
            .iter()
            .all(|h| h.kind == Some(HistoryKind::Reply) && h.id == Some(42))
    );
    assert_eq!(batch_seqs(&reply), [5, 6, 7]);
    // Without an id: the same reply, without one.
    assert_eq!(ask(&mut client, 8, 2, None), [6, 7]);
    // Nothing older: one empty message, marked last.
    assert!(ask(&mut client, 0, 5, Some(7)).is_empty());
}

#[test]
fn unknown_control_messages_are_answered_and_the_stream_goes_on() {
    let server = fast_server(3600);
    wait_for_seq(&server, 2);
    let mut client = connect_to(&format!("{}?history_secs=0", server.ws_url()));
    read_start(&mut client);
    client
        .send(Message::Text(r#"{"type":"from_the_future"}"#.into()))
        .unwrap();
    let message = loop {
        match decode_json(&next_text(&mut client)).unwrap() {
            ServerMessage::Error { message } => break message,
            ServerMessage::Sample(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(message.contains("unknown message type"), "{message}");
    // The connection goes on.
    next_sample(&mut client);
}

#[test]
fn rest_reads_answer_and_name_bad_parameters() {
    let server = fast_server(3600);
    wait_for_seq(&server, 6);

    let (status, body) = http_get(&server, "/api/v1/host");
    assert_eq!(status, 200, "{body}");
    let host: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(host["protocol_version"], 1);
    assert!(host["host"]["core_count"].as_u64().unwrap() > 0);

    let (status, body) = http_get(&server, "/api/v1/snapshot");
    assert_eq!(status, 200, "{body}");
    let latest: Sample = serde_json::from_str(&body).unwrap();
    assert!(latest.seq >= 6);

    let (status, body) = http_get(&server, "/api/v1/history?since_seq=2&limit=3");
    assert_eq!(status, 200, "{body}");
    let history: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(history["epoch"], latest.epoch);
    let got: Vec<u64> = history["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [3, 4, 5]);

    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("since_seq=abc", "since_seq"),
        ("sinse_seq=1", "sinse_seq"),
    ] {
        let (status, body) = http_get(&server, &format!("/api/v1/history?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["parameter"], parameter, "{body}");
        assert!(error["error"].as_str().unwrap().contains(parameter));
    }

    // A bad stream query is refused before the upgrade.
    let (status, body) = http_get(&server, "/ws?resume_epoch=1");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("resume_after_seq"), "{body}");
}
