//! Replays made of shared blocks, over a real WebSocket on loopback: two
//! viewers joining one after the other are sent the same blocks, encoded
//! once (the server's own count in `/metrics`); what a replay says is what
//! the per-session path (a `history_request` reply) says for the same seqs;
//! and a resume that starts just before a block boundary gets exactly what
//! it missed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use common::{Client, connect_to, next_text, read_start, start_server_with};
use hostpulse_server::{BackgroundServer, Config};
use hostpulse_shared::codec::decode_json;
use hostpulse_shared::{HistoryKind, Sample, ServerMessage};
use tungstenite::Message;

/// Seqs per replay block (`server/src/replay_blocks.rs`).
const BLOCK_SEQS: u64 = 32;

fn encodings(server: &BackgroundServer) -> u64 {
    common::metric(server, "hostpulse_replay_block_encodings_total")
}

fn seqs(samples: &[Sample]) -> Vec<u64> {
    samples.iter().map(|sample| sample.seq).collect()
}

/// Whole blocks within `first..=last`.
fn whole_blocks(first: u64, last: u64) -> u64 {
    let start = first.next_multiple_of(BLOCK_SEQS);
    (last + 1).saturating_sub(start) / BLOCK_SEQS
}

/// The `history` messages of kind `reply` answering `request`, skipping the
/// live samples around them.
fn reply(client: &mut Client, request: &str) -> Vec<Sample> {
    client.send(Message::Text(request.into())).unwrap();
    let mut samples = Vec::new();
    loop {
        if let ServerMessage::History(history) = decode_json(&next_text(client)).unwrap()
            && history.kind == Some(HistoryKind::Reply)
        {
            samples.extend(history.samples);
            if history.last {
                return samples;
            }
        }
    }
}

#[test]
fn joins_share_encoded_blocks_and_replay_exactly_what_the_per_session_path_does() {
    let server = start_server_with(Config {
        interval: Duration::from_millis(100),
        ..Config::default()
    });
    let url = server.ws_url();
    // Wait, live, until the ring holds three whole blocks and a few samples.
    let mut watcher = connect_to(&url);
    let (hello, _) = read_start(&mut watcher);
    let mut newest = None;
    while newest.is_none_or(|seq| seq < 4 * BLOCK_SEQS + 5) {
        if let ServerMessage::Sample(sample) = decode_json(&next_text(&mut watcher)).unwrap() {
            newest = Some(sample.seq);
        }
    }
    let before = encodings(&server);

    let all = format!("{url}?history_secs=3600");
    let mut first = connect_to(&all);
    let (_, first_replay) = read_start(&mut first);
    let after_first = encodings(&server);
    let mut second = connect_to(&all);
    let (_, second_replay) = read_start(&mut second);
    let after_second = encodings(&server);

    let (a_first, a_last) = (first_replay[0].seq, first_replay.last().unwrap().seq);
    let b_last = second_replay.last().unwrap().seq;
    assert_eq!(seqs(&first_replay), (a_first..=a_last).collect::<Vec<_>>());
    assert!(whole_blocks(a_first, a_last) >= 3, "{a_first}..={a_last}");
    // The first join encoded its whole blocks; the second encoded only those
    // completed since the first (a block every 3.2 s at this interval).
    assert_eq!(after_first - before, whole_blocks(a_first, a_last));
    assert_eq!(
        after_second - after_first,
        whole_blocks(a_first, b_last) - whole_blocks(a_first, a_last)
    );
    // Both say the same for the seqs they share.
    let shared = usize::try_from(a_last - second_replay[0].seq + 1).unwrap();
    assert_eq!(
        &second_replay[..shared],
        &first_replay[first_replay.len() - shared..]
    );

    // The same seqs through the per-session path: the reply to a request.
    let count = first_replay.len();
    let request = format!(
        r#"{{"type":"history_request","before_seq":{},"limit":{count}}}"#,
        a_last + 1
    );
    assert_eq!(reply(&mut first, &request), first_replay);

    // A resume from just before the second whole block: two samples joined
    // for the viewer, then blocks, then the partial newest block.
    let boundary = a_first.next_multiple_of(BLOCK_SEQS) + BLOCK_SEQS;
    let after_seq = boundary - 3;
    let mut resumed = connect_to(&format!(
        "{url}?resume_epoch={}&resume_after_seq={after_seq}",
        hello.epoch
    ));
    let (_, missed) = read_start(&mut resumed);
    let missed_last = missed.last().unwrap().seq;
    assert_eq!(
        seqs(&missed),
        (after_seq + 1..=missed_last).collect::<Vec<_>>()
    );
    let offset = usize::try_from(after_seq + 1 - a_first).unwrap();
    assert_eq!(&missed[..count - offset], &first_replay[offset..]);
}
