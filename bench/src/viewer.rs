//! A normal viewer: it reads every message as the dashboard would, decodes its
//! envelope with the shared crate's codec, follows its `(epoch, seq)` stream,
//! and times every live sample from its timestamp to its receipt: a `sample`
//! message, or a sample in a `history` message stamped after the viewer
//! connected (a replay or catch-up carrying samples taken while the viewer
//! was already there: live samples that came late).
//!
//! Only the envelope is decoded (the message type, and each sample's epoch,
//! seq and timestamp): the rest of a sample is skipped, not built. The load
//! generator shares the machine with the server it measures, and at 10,000
//! viewers full decoding cost it as much CPU as the server spent writing; the
//! full schema is checked by the protocol tests, not here.
//!
//! A run ends in two steps, so that stopping cannot itself look like a missed
//! sample: the coordinator first names the newest seq any viewer has seen, and
//! each viewer reads on until it has that one too (or is told to stop after a
//! grace period, when whatever it lacks counts as missed).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use hostpulse_shared::Codec;
use serde::Deserialize;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::connect::Socket;
use crate::latency::Latency;
use crate::seq::SeqTracker;

/// How long a viewer's goodbye (its close frame) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long after the stalled viewers start joining a live sample counts as
/// received "during the joins": the server gives up on a stalled viewer
/// 10–12 s after it connected, and by then every replay has gone out.
pub const JOIN_WINDOW: Duration = Duration::from_secs(15);

/// What every viewer of a run shares.
#[derive(Debug, Default)]
pub struct Shared {
    /// Latency of every live sample.
    pub latency: Latency,
    /// Latency of the live samples received within [`JOIN_WINDOW`] of the
    /// stalled viewers' first connect.
    pub latency_during_joins: Latency,
    /// When the stalled viewers started connecting.
    joins_started: OnceLock<Instant>,
    /// Viewers that have received a live sample.
    live_viewers: AtomicUsize,
    /// The newest seq any viewer has received, plus one (0: none yet).
    newest_seq_plus_one: AtomicU64,
    /// The server's interval, from the first hello.
    interval_ms: OnceLock<u64>,
}

impl Shared {
    /// The newest seq any viewer has received.
    #[must_use]
    pub fn newest_seq(&self) -> Option<u64> {
        self.newest_seq_plus_one
            .load(Ordering::Relaxed)
            .checked_sub(1)
    }

    /// The server's sampling interval, once a hello has arrived.
    #[must_use]
    pub fn interval_ms(&self) -> Option<u64> {
        self.interval_ms.get().copied()
    }

    fn saw(&self, seq: u64) {
        self.newest_seq_plus_one
            .fetch_max(seq.saturating_add(1), Ordering::Relaxed);
    }

    /// Notes the server's interval (the first hello wins).
    pub fn set_interval_ms(&self, interval_ms: u64) {
        let _ = self.interval_ms.set(interval_ms);
    }

    /// Viewers that have received a live sample so far.
    #[must_use]
    pub fn live_viewers(&self) -> usize {
        self.live_viewers.load(Ordering::Relaxed)
    }

    /// Marks now as the start of the joins (the first call wins).
    pub fn start_joins(&self) {
        let _ = self.joins_started.set(Instant::now());
    }

    /// Records one live sample's latency.
    fn record(&self, timestamp_ms: u64, received: SystemTime) {
        self.latency.record(timestamp_ms, received);
        if self
            .joins_started
            .get()
            .is_some_and(|started| started.elapsed() <= JOIN_WINDOW)
        {
            self.latency_during_joins.record(timestamp_ms, received);
        }
    }
}

/// Where the run is, as the viewers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Keep reading.
    Running,
    /// Read until this seq has arrived, then leave.
    FinishAt(u64),
    /// Leave now.
    Stop,
}

/// What one viewer received.
#[derive(Debug, Default, Clone)]
pub struct ViewerOutcome {
    /// Its `(epoch, seq)` stream.
    pub seqs: SeqTracker,
    /// Live `sample` messages (each also timed).
    pub live: u64,
    /// Samples that came in `history` messages after the first live sample:
    /// the server's catch-up for a viewer that fell behind.
    pub caught_up: u64,
    /// `reset` messages.
    pub resets: u64,
    /// `error` messages from the server.
    pub server_errors: u64,
    /// Frames the shared codec could not decode (the first error is kept).
    pub decode_errors: u64,
    /// The first decoding error.
    pub first_decode_error: Option<String>,
    /// How the connection ended before the run did, if it did (close code and
    /// reason, or the error).
    pub ended_early: Option<String>,
    /// When it started reading, in ms since the Unix epoch: samples stamped
    /// from then on were live while it watched.
    connected_ms: u64,
}

/// Reads `socket` until the run says stop.
pub async fn watch(
    mut socket: Socket,
    codec: Codec,
    shared: &Shared,
    mut phase: watch::Receiver<Phase>,
) -> ViewerOutcome {
    let mut outcome = ViewerOutcome {
        connected_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            }),
        ..ViewerOutcome::default()
    };
    loop {
        let done = match *phase.borrow_and_update() {
            Phase::Running => false,
            Phase::FinishAt(target) => outcome.seqs.last().is_some_and(|last| last >= target),
            Phase::Stop => true,
        };
        if done {
            break;
        }
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(message)) => {
                    if let Some(end) = outcome.take(&message, codec, shared) {
                        outcome.ended_early = Some(end);
                        return outcome;
                    }
                }
                Some(Err(error)) => {
                    outcome.ended_early = Some(error.to_string());
                    return outcome;
                }
                None => {
                    outcome.ended_early = Some("connection ended".into());
                    return outcome;
                }
            },
            changed = phase.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close(None)).await;
    outcome
}

impl ViewerOutcome {
    /// Takes in one message; returns how the connection ended, if it did.
    fn take(&mut self, message: &Message, codec: Codec, shared: &Shared) -> Option<String> {
        let received = SystemTime::now();
        let payload: &[u8] = match message {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(bytes) => bytes,
            Message::Close(frame) => {
                return Some(frame.as_ref().map_or_else(
                    || "closed without a code".to_owned(),
                    |frame| format!("closed {} {}", u16::from(frame.code), frame.reason),
                ));
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return None,
        };
        let decoded = match codec.decode::<Envelope>(payload) {
            Ok(decoded) => decoded,
            Err(error) => {
                self.decode_errors += 1;
                self.first_decode_error
                    .get_or_insert_with(|| error.to_string());
                return None;
            }
        };
        match decoded.kind {
            Kind::Hello => {
                if let Some(interval_ms) = decoded.interval_ms {
                    shared.set_interval_ms(interval_ms);
                }
            }
            Kind::History => {
                for sample in &decoded.samples {
                    self.seqs.observe(sample.epoch, sample.seq);
                    shared.saw(sample.seq);
                    if self.live > 0 {
                        self.caught_up += 1;
                    }
                    if sample.timestamp_ms >= self.connected_ms {
                        // Taken while this viewer was connected: a live
                        // sample that came late, in a batch.
                        shared.record(sample.timestamp_ms, received);
                    }
                }
            }
            Kind::Sample => {
                let (Some(epoch), Some(seq), Some(timestamp_ms)) =
                    (decoded.epoch, decoded.seq, decoded.timestamp_ms)
                else {
                    self.decode_errors += 1;
                    self.first_decode_error
                        .get_or_insert_with(|| "a sample without epoch, seq or timestamp".into());
                    return None;
                };
                self.seqs.observe(epoch, seq);
                shared.saw(seq);
                shared.record(timestamp_ms, received);
                if self.live == 0 {
                    shared.live_viewers.fetch_add(1, Ordering::Relaxed);
                }
                self.live += 1;
            }
            Kind::Reset => self.resets += 1,
            Kind::Error => self.server_errors += 1,
            Kind::Unknown => {}
        }
        None
    }
}

/// What a viewer reads of a server message: the `type` tag and the fields
/// that place it in the stream. Everything else is skipped.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Kind,
    /// A hello's interval.
    interval_ms: Option<u64>,
    /// A sample's place and time.
    epoch: Option<u64>,
    seq: Option<u64>,
    timestamp_ms: Option<u64>,
    /// A history's samples.
    #[serde(default)]
    samples: Vec<SamplePlace>,
}

/// The `type` of a server message (`hostpulse_shared::ServerMessage`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Hello,
    History,
    Reset,
    Sample,
    Error,
    #[serde(other)]
    Unknown,
}

/// A history sample's place in the stream, and its time.
#[derive(Debug, Deserialize)]
struct SamplePlace {
    epoch: u64,
    seq: u64,
    timestamp_ms: u64,
}

#[cfg(test)]
mod tests {
    use hostpulse_shared::{History, Sample, ServerMessage};

    use super::*;

    /// The envelope reads what the shared schema writes, with either codec.
    #[test]
    fn the_envelope_reads_shared_messages() {
        let sample = Sample {
            epoch: 7,
            seq: 42,
            timestamp_ms: 1_700_000_000_000,
            ..Sample::default()
        };
        for codec in Codec::ALL {
            let live = codec
                .encode(&ServerMessage::Sample(sample.clone()))
                .unwrap();
            let envelope: Envelope = codec.decode(&live).unwrap();
            assert!(matches!(envelope.kind, Kind::Sample), "{codec:?}");
            assert_eq!(
                (envelope.epoch, envelope.seq, envelope.timestamp_ms),
                (Some(7), Some(42), Some(1_700_000_000_000))
            );
            let history = ServerMessage::History(History {
                kind: Some(hostpulse_shared::HistoryKind::Replay),
                id: None,
                last: true,
                samples: vec![
                    sample.clone(),
                    Sample {
                        seq: 43,
                        ..sample.clone()
                    },
                ],
            });
            let envelope: Envelope = codec.decode(&codec.encode(&history).unwrap()).unwrap();
            assert!(matches!(envelope.kind, Kind::History));
            let places: Vec<(u64, u64)> =
                envelope.samples.iter().map(|s| (s.epoch, s.seq)).collect();
            assert_eq!(places, [(7, 42), (7, 43)]);
        }
    }
}
