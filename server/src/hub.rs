//! The meeting point of the sampler and the sessions: it keeps the recent history
//! in a bounded ring, encodes each sample once per codec, and fans the same bytes
//! out to every session.
//!
//! The broadcast channel is bounded; a session that falls behind loses its
//! place in the channel, not samples: it catches up from the history ring by
//! seq, and only a session whose gap has left the ring gets a reset
//! (ARCHITECTURE.md, invariants 3 and 6). The ring is bounded by count
//! (invariant 7).
//!
//! Each published sample is also offered, without waiting, to the history on
//! disk ([`crate::archive`]) and to the alert evaluator, when they run.

use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use bytestring::ByteString;
use hostpulse_shared::{
    AlertEvent, AlertsSummary, Codec, Hello, ResetReason, Sample, ServerMessageRef,
};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::archive::Archive;
use crate::replay_blocks::{Block, Blocks};
use crate::sampling::counters::Counters;

/// Live frames the channel holds for sessions that are momentarily behind.
/// Beyond this a session is told it lagged and catches up from the ring.
const BROADCAST_CAPACITY: usize = 8;

/// The shortest time without a sample that counts as a stall.
const MIN_STALE_AFTER: Duration = Duration::from_secs(5);

/// Alert transitions kept for sessions that are momentarily behind; they
/// come a few at a time at most, and `/api/v1/alerts` has the rest.
const ALERT_CAPACITY: usize = 64;

/// A message encoded once in every codec, shared by every session that sends it.
/// Cloning shares the bytes.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The JSON text frame.
    pub json: ByteString,
    /// The MessagePack binary frame.
    pub msgpack: Bytes,
}

impl Encoded {
    /// Encodes `message` in every codec.
    pub fn new<T: Serialize>(message: &T) -> Result<Self, EncodeError> {
        let json =
            String::from_utf8(Codec::Json.encode(message)?).map_err(|_| EncodeError::NotUtf8)?;
        Ok(Self {
            json: json.into(),
            msgpack: Codec::MessagePack.encode(message)?.into(),
        })
    }
}

/// One live sample, encoded.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The sample's sequence number, so a session can skip what it already sent.
    pub seq: u64,
    /// The `sample` message in every codec.
    pub encoded: Encoded,
}

/// A message could not be encoded. Our own types always encode; this would be a bug.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The codec failed.
    #[error("cannot encode a server message: {0}")]
    Codec(#[from] hostpulse_shared::CodecError),
    /// JSON came out as something other than UTF-8.
    #[error("cannot encode a server message: JSON is not UTF-8")]
    NotUtf8,
}

/// A sample in the history, with its encoding as an element of a `history`
/// message in each codec, made the first time a batch joined for one
/// session needs it and shared by every one after. Once the sample's replay
/// block is encoded, the block holds that encoding and takes it from here
/// ([`crate::replay_blocks`]), so the history is held encoded once.
#[derive(Debug)]
pub struct Recorded {
    sample: Arc<Sample>,
    /// A std lock, held only to clone or move the bytes.
    json: Mutex<Option<Bytes>>,
    msgpack: Mutex<Option<Bytes>>,
}

impl Recorded {
    /// A sample not encoded yet.
    pub(crate) fn new(sample: Arc<Sample>) -> Self {
        Self {
            sample,
            json: Mutex::new(None),
            msgpack: Mutex::new(None),
        }
    }

    fn cell(&self, codec: Codec) -> std::sync::MutexGuard<'_, Option<Bytes>> {
        match codec {
            Codec::Json => &self.json,
            Codec::MessagePack => &self.msgpack,
        }
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
    }

    /// The sample as an element of a `history` message in `codec`
    /// (see [`Codec::join_history`]), kept for the next batch.
    pub fn element(&self, codec: Codec) -> Result<Bytes, EncodeError> {
        if let Some(bytes) = self.cell(codec).as_ref() {
            return Ok(bytes.clone());
        }
        // Encoded outside the lock; another thread may have kept the same
        // bytes meanwhile.
        let bytes = Bytes::from(codec.encode(&*self.sample)?);
        Ok(self.cell(codec).get_or_insert(bytes).clone())
    }

    /// Drops the element kept in `codec`: its replay block holds it now.
    pub fn forget_element(&self, codec: Codec) {
        self.cell(codec).take();
    }

    /// Whether the element in `codec` is kept here.
    #[cfg(test)]
    pub fn keeps_element(&self, codec: Codec) -> bool {
        self.cell(codec).is_some()
    }
}

impl Deref for Recorded {
    type Target = Sample;

    fn deref(&self) -> &Sample {
        &self.sample
    }
}

/// The most recent sample, for REST and health checks.
#[derive(Debug, Clone)]
pub struct Latest {
    /// The sample itself.
    pub sample: Arc<Sample>,
    /// The counters taken with it, for `/metrics`.
    pub counters: Arc<Counters>,
    /// When it was published.
    pub published_at: Instant,
}

/// Which past samples a viewer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The newest `count` samples.
    Recent {
        /// How many.
        count: usize,
    },
    /// What a viewer missed since `after_seq` of `epoch`; if that cannot be
    /// given, a reset and the newest `fallback_count` samples.
    Resume {
        /// The epoch of the viewer's last sample.
        epoch: u64,
        /// The seq of the viewer's last sample.
        after_seq: u64,
        /// How many recent samples to send instead when resuming is impossible.
        fallback_count: usize,
    },
    /// Up to `limit` samples just before `before_seq`.
    Before {
        /// Only samples below this seq.
        before_seq: u64,
        /// At most this many.
        limit: usize,
    },
}

/// The answer to a [`Replay`].
#[derive(Debug, Clone, Default)]
pub struct Replayed {
    /// Set when a resume was refused.
    pub reset: Option<ResetReason>,
    /// The samples, oldest first, contiguous in seq.
    pub samples: Vec<Arc<Recorded>>,
    /// The newest seq in the history when the replay was taken: live samples
    /// continue after it.
    pub newest_seq: Option<u64>,
}

#[derive(Debug, Default)]
struct State {
    /// The history ring, oldest first; seqs are contiguous.
    history: VecDeque<Arc<Recorded>>,
    latest: Option<Latest>,
}

/// The hello as sent now: the fixed greeting plus the alerting summary as of
/// the last alert transition, encoded once.
#[derive(Debug)]
pub struct Greeting {
    /// The hello.
    pub hello: Hello,
    /// The hello message in every codec.
    pub encoded: Encoded,
}

impl Greeting {
    fn new(hello: Hello) -> Result<Self, EncodeError> {
        let encoded = Encoded::new(&ServerMessageRef::Hello(&hello))?;
        Ok(Self { hello, encoded })
    }
}

/// Shared state between the sampler thread, the HTTP routes and the sessions.
#[derive(Debug)]
pub struct Hub {
    /// The parts of the hello that never change (no alerting summary).
    hello: Hello,
    /// Replaced, never edited, at each alert transition: a session clones
    /// the `Arc` and sends bytes encoded once for everyone.
    greeting: RwLock<Arc<Greeting>>,
    history_capacity: usize,
    /// A std lock: it is held only to push or clone `Arc`s, never across an await.
    state: RwLock<State>,
    /// The ring's replay blocks, encoded once for every session. Locked after
    /// `state`, never before.
    blocks: Blocks,
    frames: broadcast::Sender<Frame>,
    shutdown: watch::Sender<bool>,
    clients: AtomicUsize,
    /// Live frames sessions skipped because they fell behind (and then took
    /// from the history instead).
    lagged: AtomicU64,
    stalled: AtomicU64,
    /// Alert transitions, encoded once, for every session.
    alerts: broadcast::Sender<Encoded>,
    /// The alert evaluator, once started: every published sample is offered
    /// to it (a bounded queue that never waits).
    alerting: OnceLock<Arc<hostpulse_alerts::Engine>>,
    /// The history on disk, unless the server keeps its history in memory
    /// only: every published sample is handed to its writer (never waiting).
    archive: OnceLock<Archive>,
}

impl Hub {
    /// A hub that greets every viewer with `hello` and keeps
    /// `hello.history_capacity` samples (at least one).
    pub fn new(hello: Hello) -> Result<Self, EncodeError> {
        let greeting = RwLock::new(Arc::new(Greeting::new(hello.clone())?));
        let history_capacity = usize::try_from(hello.history_capacity)
            .unwrap_or(usize::MAX)
            .max(1);
        Ok(Self {
            hello,
            greeting,
            history_capacity,
            state: RwLock::new(State::default()),
            blocks: Blocks::default(),
            frames: broadcast::channel(BROADCAST_CAPACITY).0,
            shutdown: watch::channel(false).0,
            clients: AtomicUsize::new(0),
            lagged: AtomicU64::new(0),
            stalled: AtomicU64::new(0),
            alerts: broadcast::channel(ALERT_CAPACITY).0,
            alerting: OnceLock::new(),
            archive: OnceLock::new(),
        })
    }

    /// Records `sample` in the history, encodes it once per codec, and hands
    /// the frame to every session; `counters` are kept for `/metrics`.
    pub fn publish(&self, sample: Sample, counters: Counters) -> Result<(), EncodeError> {
        let frame = Frame {
            seq: sample.seq,
            encoded: Encoded::new(&ServerMessageRef::Sample(&sample))?,
        };
        let sample = Arc::new(sample);
        let sample_for_alerts = Arc::clone(&sample);
        let dropped = {
            let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
            let dropped = if state.history.len() == self.history_capacity {
                state.history.pop_front()
            } else {
                None
            };
            state
                .history
                .push_back(Arc::new(Recorded::new(Arc::clone(&sample))));
            state.latest = Some(Latest {
                sample,
                counters: Arc::new(counters),
                published_at: Instant::now(),
            });
            dropped
        };
        if let Some(dropped) = dropped {
            self.blocks.drop_through(dropped.seq);
        }
        // Sent after the history is updated: a session that subscribed, then read
        // the history, sees each sample at least once (and drops duplicates by seq).
        // An error only means no session is listening right now.
        let _ = self.frames.send(frame);
        if let Some(archive) = self.archive.get() {
            archive.append(Arc::clone(&sample_for_alerts));
        }
        if let Some(engine) = self.alerting.get() {
            engine.offer(sample_for_alerts);
        }
        Ok(())
    }

    /// Hands every sample from now on to the history on disk; once only.
    pub fn attach_archive(&self, archive: Archive) {
        if self.archive.set(archive).is_err() {
            tracing::error!("the history on disk was attached twice; keeping the first");
        }
    }

    /// The history on disk, unless the server keeps its history in memory only.
    #[must_use]
    pub fn archive(&self) -> Option<&Archive> {
        self.archive.get()
    }

    /// Starts offering every sample to `engine`; once only.
    pub fn attach_alerting(&self, engine: Arc<hostpulse_alerts::Engine>) {
        if self.alerting.set(engine).is_err() {
            tracing::error!("alerting was attached twice; keeping the first");
        }
    }

    /// The alert evaluator's rules, firing alerts and history, if alerting runs.
    #[must_use]
    pub fn alerting(&self) -> Option<Arc<hostpulse_alerts::Status>> {
        self.alerting.get().map(|engine| engine.status())
    }

    /// Puts the alerting summary (rules and what is firing) into the hello
    /// that every session starts with, encoded once.
    pub fn set_alerts(&self, summary: AlertsSummary) -> Result<(), EncodeError> {
        let greeting = Arc::new(Greeting::new(Hello {
            alerts: Some(summary),
            ..self.hello.clone()
        })?);
        *self
            .greeting
            .write()
            .unwrap_or_else(PoisonError::into_inner) = greeting;
        Ok(())
    }

    /// Announces an alert transition: first the hello is brought up to date
    /// with `summary` (which already includes the transition), then the
    /// `alert` message is encoded once and handed to every session. In that
    /// order, a session that subscribed before reading the hello misses no
    /// transition; one that read the new hello also gets the message, which
    /// it applies again to the same effect (PROTOCOL.md, *hello*).
    pub fn publish_alert(&self, event: &AlertEvent, summary: AlertsSummary) {
        if let Err(error) = self.set_alerts(summary) {
            tracing::error!(%error, "the hello keeps the alerts as they were");
        }
        match Encoded::new(&ServerMessageRef::Alert(event)) {
            // An error only means no session is listening right now.
            Ok(encoded) => drop(self.alerts.send(encoded)),
            Err(error) => tracing::error!(%error, "dropping an alert message"),
        }
    }

    /// A receiver of every alert transition from now on.
    #[must_use]
    pub fn subscribe_alerts(&self) -> broadcast::Receiver<Encoded> {
        self.alerts.subscribe()
    }

    /// The parts of the greeting that never change: versions, epoch,
    /// interval, host (its `alerts` is always `None`; see [`Hub::greeting`]).
    #[must_use]
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The greeting as sent now, alerts included, and its encoding.
    #[must_use]
    pub fn greeting(&self) -> Arc<Greeting> {
        Arc::clone(&self.greeting.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The most recent sample, if any was taken yet.
    #[must_use]
    pub fn latest(&self) -> Option<Latest> {
        self.state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .latest
            .clone()
    }

    /// Samples kept at most.
    #[must_use]
    pub fn history_capacity(&self) -> usize {
        self.history_capacity
    }

    /// Past samples, as asked.
    #[must_use]
    pub fn replay(&self, replay: Replay) -> Replayed {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let history = &state.history;
        let newest = |count: usize| -> Vec<Arc<Recorded>> {
            history
                .range(history.len().saturating_sub(count)..)
                .cloned()
                .collect()
        };
        let newest_seq = history.back().map(|s| s.seq);
        match replay {
            Replay::Recent { count } => Replayed {
                reset: None,
                samples: newest(count),
                newest_seq,
            },
            Replay::Resume {
                epoch,
                after_seq,
                fallback_count,
            } => {
                let reset = if epoch != self.hello.epoch {
                    Some(ResetReason::EpochChanged)
                } else if newest_seq.is_none_or(|newest| after_seq > newest) {
                    // Claims samples this server never sent: its live seqs
                    // would not continue the viewer's.
                    Some(ResetReason::SeqAhead)
                } else if history
                    .front()
                    .is_some_and(|oldest| after_seq.saturating_add(1) < oldest.seq)
                {
                    Some(ResetReason::HistoryTooShort)
                } else {
                    None
                };
                let samples = if reset.is_some() {
                    newest(fallback_count)
                } else {
                    let start = history.partition_point(|s| s.seq <= after_seq);
                    history.range(start..).cloned().collect()
                };
                Replayed {
                    reset,
                    samples,
                    newest_seq,
                }
            }
            Replay::Before { before_seq, limit } => {
                let end = history.partition_point(|s| s.seq < before_seq);
                Replayed {
                    reset: None,
                    samples: history
                        .range(end.saturating_sub(limit)..end)
                        .cloned()
                        .collect(),
                    newest_seq,
                }
            }
        }
    }

    /// The replay blocks lying wholly within `wanted` (contiguous, oldest
    /// first) that the ring holds, oldest first (see [`crate::replay_blocks`]).
    #[must_use]
    pub fn replay_blocks(&self, wanted: &[Arc<Recorded>]) -> VecDeque<Arc<Block>> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        self.blocks.covering(wanted, &state.history)
    }

    /// Replay blocks kept now, and block encodings made since the start.
    #[must_use]
    pub fn replay_block_counts(&self) -> (usize, u64) {
        (self.blocks.len(), self.blocks.encoded_count())
    }

    /// Samples with a seq above `after_seq` (all when `None`), oldest first, at
    /// most `limit`.
    #[must_use]
    pub fn history_after(&self, after_seq: Option<u64>, limit: usize) -> Vec<Arc<Recorded>> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let start = after_seq.map_or(0, |after| state.history.partition_point(|s| s.seq <= after));
        state.history.range(start..).take(limit).cloned().collect()
    }

    /// A receiver of every frame published from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.frames.subscribe()
    }

    /// Tells every session to close with "going away".
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once [`Hub::shut_down`] has been called.
    #[must_use]
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Counts a session for as long as the returned guard lives, if fewer
    /// than `max` are counted: the check and the count are one atomic step,
    /// so concurrent callers never pass `max`.
    #[must_use]
    pub fn try_client_guard(self: &Arc<Self>, max: usize) -> Option<ClientGuard> {
        self.clients
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count < max).then_some(count + 1)
            })
            .ok()
            .map(|_| ClientGuard(Arc::clone(self)))
    }

    /// How old the newest sample may grow before the sampler counts as stuck:
    /// five intervals, and never less than 5 s, so a short interval on a busy
    /// machine is not called a stall. The one rule for `/healthz` and the
    /// systemd watchdog alike (the first sample may take up to an interval,
    /// which this also covers).
    pub fn stale_after(&self) -> Duration {
        Duration::from_millis(self.hello.interval_ms.saturating_mul(5)).max(MIN_STALE_AFTER)
    }

    /// Counts live frames a session skipped because it fell behind.
    pub fn count_lagged(&self, skipped: u64) {
        self.lagged.fetch_add(skipped, Ordering::Relaxed);
    }

    /// Live frames skipped by slow sessions since the start.
    #[must_use]
    pub fn lagged_count(&self) -> u64 {
        self.lagged.load(Ordering::Relaxed)
    }

    /// Counts a viewer dropped because it stopped reading.
    pub fn count_stalled(&self) {
        self.stalled.fetch_add(1, Ordering::Relaxed);
    }

    /// Viewers dropped for not reading since the start.
    #[must_use]
    pub fn stalled_count(&self) -> u64 {
        self.stalled.load(Ordering::Relaxed)
    }

    /// Number of WebSocket sessions open now.
    #[must_use]
    pub fn client_count(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }
}

/// Keeps a session counted in [`Hub::client_count`] until dropped.
#[derive(Debug)]
pub struct ClientGuard(Arc<Hub>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(capacity: u32) -> Hub {
        Hub::new(Hello {
            epoch: 7,
            history_capacity: capacity,
            ..Hello::default()
        })
        .unwrap()
    }

    fn publish(hub: &Hub, seqs: std::ops::Range<u64>) {
        for seq in seqs {
            hub.publish(
                Sample {
                    epoch: 7,
                    seq,
                    ..Sample::default()
                },
                Counters::default(),
            )
            .unwrap();
        }
    }

    fn seqs(replayed: &Replayed) -> Vec<u64> {
        replayed.samples.iter().map(|s| s.seq).collect()
    }

    #[test]
    fn publishing_encodes_once_and_every_subscriber_gets_the_same_bytes() {
        let hub = hub(10);
        let mut first = hub.subscribe();
        let mut second = hub.subscribe();
        publish(&hub, 3..4);

        let a = first.try_recv().unwrap();
        let b = second.try_recv().unwrap();
        assert_eq!(a.seq, 3);
        // Same allocations, not two encodings of the same value.
        assert_eq!(
            a.encoded.json.as_bytes().as_ptr(),
            b.encoded.json.as_bytes().as_ptr()
        );
        assert_eq!(a.encoded.msgpack.as_ptr(), b.encoded.msgpack.as_ptr());
    }

    #[test]
    fn a_slow_subscriber_skips_instead_of_queueing() {
        let hub = hub(10);
        let mut slow = hub.subscribe();
        publish(&hub, 0..100);
        assert!(matches!(
            slow.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
        let next = slow.try_recv().unwrap();
        assert_eq!(next.seq, 100 - BROADCAST_CAPACITY as u64);
    }

    #[test]
    fn the_sampler_counts_as_stuck_after_five_intervals_and_never_under_five_seconds() {
        let at = |interval_ms| {
            Hub::new(Hello {
                interval_ms,
                ..Hello::default()
            })
            .unwrap()
            .stale_after()
        };
        assert_eq!(at(100), Duration::from_secs(5));
        assert_eq!(at(1000), Duration::from_secs(5));
        assert_eq!(at(2000), Duration::from_secs(10));
        assert_eq!(at(60_000), Duration::from_mins(5));
    }

    #[test]
    fn history_is_bounded_by_count() {
        let hub = hub(5);
        publish(&hub, 0..12);
        assert_eq!(
            seqs(&hub.replay(Replay::Recent { count: 100 })),
            [7, 8, 9, 10, 11]
        );
        assert_eq!(seqs(&hub.replay(Replay::Recent { count: 2 })), [10, 11]);
        assert_eq!(hub.latest().unwrap().sample.seq, 11);
    }

    #[test]
    fn resume_gives_exactly_what_was_missed() {
        let hub = hub(10);
        publish(&hub, 0..8);
        let resume = |after_seq| {
            hub.replay(Replay::Resume {
                epoch: 7,
                after_seq,
                fallback_count: 3,
            })
        };
        let replayed = resume(4);
        assert_eq!(replayed.reset, None);
        assert_eq!(seqs(&replayed), [5, 6, 7]);
        assert!(resume(7).samples.is_empty(), "nothing missed");
        // A viewer claiming seqs the server never sent starts afresh.
        let ahead = resume(8);
        assert_eq!(ahead.reset, Some(ResetReason::SeqAhead));
        assert_eq!(seqs(&ahead), [5, 6, 7]);
        assert_eq!(resume(u64::MAX).reset, Some(ResetReason::SeqAhead));
    }

    #[test]
    fn resume_resets_on_a_new_epoch_or_a_gap_older_than_the_history() {
        let hub = hub(4);
        publish(&hub, 0..10); // keeps 6..=9
        let other_epoch = hub.replay(Replay::Resume {
            epoch: 8,
            after_seq: 8,
            fallback_count: 2,
        });
        assert_eq!(other_epoch.reset, Some(ResetReason::EpochChanged));
        assert_eq!(seqs(&other_epoch), [8, 9]);

        let too_old = hub.replay(Replay::Resume {
            epoch: 7,
            after_seq: 3,
            fallback_count: 2,
        });
        assert_eq!(too_old.reset, Some(ResetReason::HistoryTooShort));
        // Exactly at the edge: seq 5 was the last seen, 6 is the oldest kept.
        let edge = hub.replay(Replay::Resume {
            epoch: 7,
            after_seq: 5,
            fallback_count: 2,
        });
        assert_eq!(edge.reset, None);
        assert_eq!(seqs(&edge), [6, 7, 8, 9]);
    }

    #[test]
    fn older_history_on_request() {
        let hub = hub(10);
        publish(&hub, 0..10);
        let before = |before_seq, limit| seqs(&hub.replay(Replay::Before { before_seq, limit }));
        assert_eq!(before(5, 2), [3, 4]);
        assert_eq!(before(2, 10), [0, 1]);
        assert!(before(0, 10).is_empty());
        let after: Vec<u64> = hub
            .history_after(Some(6), 2)
            .iter()
            .map(|s| s.seq)
            .collect();
        assert_eq!(after, [7, 8]);
    }

    #[test]
    fn the_hello_carries_the_alerts_and_changes_before_each_alert_message() {
        let hub = hub(10);
        assert_eq!(hub.greeting().hello.alerts, None, "no alerting, no field");
        let mut messages = hub.subscribe_alerts();
        let fired = AlertEvent {
            rule: "cpu_busy".into(),
            metric: "cpu.total_percent".into(),
            instance: String::new(),
            state: hostpulse_shared::AlertState::Firing,
            severity: hostpulse_shared::Severity::Warning,
            value: 95.0,
            threshold: 90.0,
            timestamp_ms: 1_000,
            firing_since_ms: 1_000,
            description: None,
        };
        let summary = AlertsSummary {
            rules: Vec::new(),
            firing: vec![fired.clone()],
        };
        hub.publish_alert(&fired, summary.clone());

        // The message is out, and the hello a session would send now
        // already lists the alert: encoded once, shared by every session.
        let sent = messages.try_recv().unwrap();
        let alert: hostpulse_shared::ServerMessage =
            Codec::Json.decode(sent.json.as_bytes()).unwrap();
        assert_eq!(alert, hostpulse_shared::ServerMessage::Alert(fired));
        let (first, second) = (hub.greeting(), hub.greeting());
        assert!(Arc::ptr_eq(&first, &second));
        let hello: hostpulse_shared::ServerMessage =
            Codec::MessagePack.decode(&first.encoded.msgpack).unwrap();
        let hostpulse_shared::ServerMessage::Hello(hello) = hello else {
            panic!("not a hello: {hello:?}");
        };
        assert_eq!(hello.alerts, Some(summary));
        assert_eq!(hello.epoch, 7, "the rest of the hello is kept");
        assert_eq!(hub.hello().alerts, None, "the fixed part stays fixed");
    }

    #[test]
    fn client_guards_count_sessions() {
        let hub = Arc::new(hub(1));
        let one = hub.try_client_guard(usize::MAX).unwrap();
        let two = hub.try_client_guard(usize::MAX).unwrap();
        assert_eq!(hub.client_count(), 2);
        assert!(hub.try_client_guard(2).is_none(), "the cap is full");
        let three = hub.try_client_guard(3).expect("room for a third");
        assert_eq!(hub.client_count(), 3);
        drop(three);
        drop(one);
        drop(two);
        assert_eq!(hub.client_count(), 0);
    }
}
