//! Batches of past samples, as `history` messages: the replay after the
//! hello, the catch-up of a viewer that fell behind, and the reply to a
//! `history_request`. Every message of a batch says which kind of batch it
//! belongs to (and, for a reply, the request's `id`), and the last one says
//! it is the last, so a viewer can tell an answer from the stream around it
//! without guessing from seqs.
//!
//! A batch is cut into messages of about
//! [`crate::replay_blocks::HISTORY_MESSAGE_BYTES`]: a session may have two
//! frames queued beyond what its connection has taken, so small messages
//! keep what a slow viewer pins small (BENCHMARKS.md, "slow viewers"). A
//! replay sends the ring's whole blocks as they were encoded once for every
//! session ([`crate::replay_blocks`]) and joins only the rest itself; what a
//! session joins is joined from the samples' shared encodings.

use std::collections::VecDeque;
use std::sync::Arc;

use actix_web::web::Bytes;
use hostpulse_shared::{Codec, History, HistoryKind};

use crate::hub::{EncodeError, Hub, Recorded};
use crate::replay_blocks::{Block, Outgoing, next_elements};

/// One batch of past samples, sent message by message.
#[derive(Debug)]
pub(crate) struct Batch {
    /// The fields every message of the batch carries (its `samples` unused).
    head: History,
    samples: Vec<Arc<Recorded>>,
    /// Samples already put in messages.
    sent: usize,
    /// Whether the message marked `last` has been made.
    finished: bool,
    /// The shared blocks still to send, oldest first, each lying wholly
    /// within `samples`.
    blocks: VecDeque<Arc<Block>>,
    /// Messages of the front block already sent.
    parts_sent: usize,
}

impl Batch {
    /// The past sent after the hello: the ring's whole blocks shared, the
    /// rest joined for this session.
    pub(crate) fn replay(hub: &Hub, samples: Vec<Arc<Recorded>>) -> Self {
        let blocks = hub.replay_blocks(&samples);
        Self::new(HistoryKind::Replay, None, samples, blocks)
    }

    /// What a viewer that fell behind skipped.
    pub(crate) fn catch_up(samples: Vec<Arc<Recorded>>) -> Self {
        Self::new(HistoryKind::CatchUp, None, samples, VecDeque::new())
    }

    /// The answer to a `history_request` carrying `id`, if it carried one.
    pub(crate) fn reply(id: Option<u32>, samples: Vec<Arc<Recorded>>) -> Self {
        Self::new(HistoryKind::Reply, id, samples, VecDeque::new())
    }

    fn new(
        kind: HistoryKind,
        id: Option<u32>,
        samples: Vec<Arc<Recorded>>,
        blocks: VecDeque<Arc<Block>>,
    ) -> Self {
        Self {
            head: History {
                kind: Some(kind),
                id,
                last: false,
                samples: Vec::new(),
            },
            samples,
            sent: 0,
            finished: false,
            blocks,
            parts_sent: 0,
        }
    }

    /// The newest seq in the batch, if it holds any sample.
    pub(crate) fn last_seq(&self) -> Option<u64> {
        self.samples.last().map(|recorded| recorded.seq)
    }

    /// The next message of the batch encoded in `codec`: at least one sample
    /// (none only for an empty batch), cut as
    /// [`crate::replay_blocks::next_elements`] cuts. `None` once the
    /// message marked `last` has been made.
    pub(crate) fn next_message(&mut self, codec: Codec) -> Result<Option<Outgoing>, EncodeError> {
        if self.finished {
            return Ok(None);
        }
        let rest = &self.samples[self.sent..];
        let next_seq = rest.first().map(|recorded| recorded.seq);
        let shared = match self.blocks.front() {
            Some(block) if self.parts_sent > 0 || Some(block.first_seq()) == next_seq => {
                let parts = block.parts(codec)?;
                parts
                    .get(self.parts_sent)
                    .cloned()
                    .map(|part| (part, parts.len()))
            }
            _ => None,
        };
        if let Some((part, parts)) = shared {
            self.parts_sent += 1;
            if self.parts_sent == parts {
                self.blocks.pop_front();
                self.parts_sent = 0;
            }
            if self.sent + part.samples < self.samples.len() {
                self.sent += part.samples;
                return Ok(Some(part.message));
            }
            // The batch's last message says so: joined for this session.
            let elements = rest[..part.samples]
                .iter()
                .map(|recorded| recorded.element(codec))
                .collect::<Result<Vec<_>, _>>()?;
            return self.join(codec, &elements);
        }
        // Joined here, up to the next block if one follows.
        let until = self.blocks.front().map_or(rest.len(), |block| {
            rest.iter()
                .position(|recorded| recorded.seq == block.first_seq())
                .unwrap_or(rest.len())
        });
        let elements = next_elements(&rest[..until], codec)?;
        self.join(codec, &elements)
    }

    /// The next `elements.len()` samples, whose encodings `elements` are,
    /// joined into one message for this session.
    fn join(&mut self, codec: Codec, elements: &[Bytes]) -> Result<Option<Outgoing>, EncodeError> {
        self.sent += elements.len();
        self.finished = self.sent == self.samples.len();
        self.head.last = self.finished;
        let payload = codec.join_history(&self.head, elements)?;
        Ok(Some(Outgoing::new(codec, payload)?))
    }
}

#[cfg(test)]
mod tests {
    use hostpulse_shared::{Hello, Sample, ServerMessage};

    use super::*;
    use crate::hub::Replay;
    use crate::replay_blocks::{BLOCK_SEQS, HISTORY_CHUNK_MAX};
    use crate::sampling::counters::Counters;

    /// `count` samples with `processes` top processes each.
    fn recorded(count: u64, processes: usize) -> Vec<Arc<Recorded>> {
        hub(10_000, count, processes)
            .replay(Replay::Recent { count: usize::MAX })
            .samples
    }

    /// A hub keeping `capacity` samples that was given seqs `0..count`, with
    /// `processes` top processes each.
    fn hub(capacity: u32, count: u64, processes: usize) -> Hub {
        let hub = Hub::new(Hello {
            epoch: 7,
            history_capacity: capacity,
            ..Hello::default()
        })
        .unwrap();
        for seq in 0..count {
            let top_processes = (0..processes)
                .map(|n| hostpulse_shared::ProcessSample {
                    pid: u32::try_from(n).unwrap(),
                    name: format!("process-{n}"),
                    cpu_percent: 1.5,
                    memory_bytes: 1 << 20,
                })
                .collect();
            let sample = Sample {
                epoch: 7,
                seq,
                top_processes,
                ..Sample::default()
            };
            hub.publish(sample, Counters::default()).unwrap();
        }
        hub
    }

    fn frames(mut batch: Batch, codec: Codec) -> Vec<Outgoing> {
        std::iter::from_fn(|| batch.next_message(codec).unwrap()).collect()
    }

    fn decode(frames: &[Outgoing], codec: Codec) -> Vec<History> {
        frames
            .iter()
            .map(|frame| {
                let ServerMessage::History(history) = codec.decode(frame.as_bytes()).unwrap()
                else {
                    panic!("not a history message");
                };
                history
            })
            .collect()
    }

    fn messages(batch: Batch, codec: Codec) -> Vec<History> {
        decode(&frames(batch, codec), codec)
    }

    fn samples_of(messages: &[History]) -> Vec<Sample> {
        messages.iter().flat_map(|m| m.samples.clone()).collect()
    }

    /// A replay of `samples` joined whole for one session, as before blocks.
    fn joined_whole(samples: Vec<Arc<Recorded>>) -> Batch {
        Batch::new(HistoryKind::Replay, None, samples, VecDeque::new())
    }

    /// Two sessions' replays of the newest `count` samples in `codec`, and
    /// the samples the same replay joined whole sends.
    fn two_replays(hub: &Hub, count: usize, codec: Codec) -> [Vec<Outgoing>; 2] {
        let replayed = || hub.replay(Replay::Recent { count }).samples;
        let first = frames(Batch::replay(hub, replayed()), codec);
        let second = frames(Batch::replay(hub, replayed()), codec);
        let old = messages(joined_whole(replayed()), codec);
        assert_eq!(
            samples_of(&decode(&first, codec)),
            samples_of(&old),
            "{codec:?}"
        );
        [first, second]
    }

    #[test]
    fn replays_share_their_blocks_and_say_what_joining_them_whole_says() {
        // Seqs 0..200: a replay of the newest 150 starts at 50, within the
        // block at 32; whole blocks at 64, 96, 128 and 160; the rest
        // (192..200) is the partial newest block.
        let hub = hub(1_000, 200, 20);
        for codec in Codec::ALL {
            // Same samples as joined whole, same seqs, same kind, `last` on
            // the last message only.
            let [first, second] = two_replays(&hub, 150, codec);
            let sent = decode(&first, codec);
            let seqs: Vec<u64> = samples_of(&sent).iter().map(|s| s.seq).collect();
            assert_eq!(seqs, (50..200).collect::<Vec<_>>(), "{codec:?}");
            for (n, message) in sent.iter().enumerate() {
                assert_eq!(message.kind, Some(HistoryKind::Replay));
                assert_eq!(message.last, n + 1 == sent.len(), "{codec:?} message {n}");
            }
            // The four blocks' messages are the same bytes in both sessions;
            // the head and the tail are each session's own.
            assert_eq!(first.len(), second.len());
            let same = |a: &Outgoing, b: &Outgoing| a.as_bytes().as_ptr() == b.as_bytes().as_ptr();
            let shared: Vec<bool> = first.iter().zip(&second).map(|(a, b)| same(a, b)).collect();
            assert!(!shared[0], "the head is joined per session");
            assert!(!shared[shared.len() - 1], "the tail is joined per session");
            let shared_samples: usize = sent
                .iter()
                .zip(&shared)
                .filter(|(_, shared)| **shared)
                .map(|(message, _)| message.samples.len())
                .sum();
            assert_eq!(shared_samples as u64, 4 * BLOCK_SEQS, "{codec:?}");
        }
        // Each block was encoded once per codec, for both sessions.
        assert_eq!(hub.replay_block_counts(), (4, 8));
    }

    #[test]
    fn a_block_takes_its_samples_encodings_and_the_rest_keep_theirs() {
        // Seqs 0..100: blocks at 0, 32 and 64, and 96..100 joined per session.
        let hub = hub(1_000, 100, 20);
        let replayed = hub.replay(Replay::Recent { count: 100 }).samples;
        assert!(frames(Batch::replay(&hub, replayed.clone()), Codec::MessagePack).len() > 1);
        for recorded in &replayed {
            let joined_here = recorded.seq >= 96;
            assert_eq!(
                recorded.keeps_element(Codec::MessagePack),
                joined_here,
                "seq {}",
                recorded.seq
            );
            assert!(!recorded.keeps_element(Codec::Json), "never sent in JSON");
        }
    }

    #[test]
    fn a_replay_ending_on_a_block_marks_its_last_message_for_itself() {
        // Seqs 0..192: the newest 100 are 92..192, ending with the block at 160.
        let hub = hub(1_000, 192, 20);
        for codec in Codec::ALL {
            let [first, second] = two_replays(&hub, 100, codec);
            let sent = decode(&first, codec);
            assert!(sent.last().unwrap().last);
            assert!(sent[..sent.len() - 1].iter().all(|m| !m.last));
            let (a, b) = (first.last().unwrap(), second.last().unwrap());
            assert_ne!(a.as_bytes().as_ptr(), b.as_bytes().as_ptr());
        }
    }

    #[test]
    fn a_block_is_forgotten_when_the_ring_drops_its_first_sample() {
        let hub = hub(64, 64, 0);
        let replayed = hub.replay(Replay::Recent { count: 64 }).samples;
        let blocks = hub.replay_blocks(&replayed);
        let firsts: Vec<u64> = blocks.iter().map(|block| block.first_seq()).collect();
        assert_eq!(firsts, [0, 32]);
        assert_eq!(hub.replay_block_counts().0, 2);
        // Seq 64 pushes seq 0 out of the ring, and the block at 0 with it.
        let sample = Sample {
            epoch: 7,
            seq: 64,
            ..Sample::default()
        };
        hub.publish(sample, Counters::default()).unwrap();
        assert_eq!(hub.replay_block_counts().0, 1);
        let replayed = hub.replay(Replay::Recent { count: 64 }).samples;
        let firsts: Vec<u64> = hub
            .replay_blocks(&replayed)
            .iter()
            .map(|block| block.first_seq())
            .collect();
        assert_eq!(firsts, [32], "no block is made for seqs the ring lacks");
    }

    #[test]
    fn a_batch_is_cut_into_small_messages_the_last_of_which_says_so() {
        for codec in Codec::ALL {
            let sent = messages(Batch::reply(Some(9), recorded(40, 20)), codec);
            assert!(
                sent.len() > 1,
                "{codec:?}: one message for 40 large samples"
            );
            let seqs: Vec<u64> = sent
                .iter()
                .flat_map(|m| m.samples.iter().map(|s| s.seq))
                .collect();
            assert_eq!(seqs, (0..40).collect::<Vec<_>>(), "{codec:?}");
            for (n, message) in sent.iter().enumerate() {
                assert_eq!(message.kind, Some(HistoryKind::Reply));
                assert_eq!(message.id, Some(9));
                assert_eq!(message.last, n + 1 == sent.len(), "{codec:?} message {n}");
                assert!(!message.samples.is_empty());
            }
            // Small samples share a message, up to the cap.
            let small = messages(joined_whole(recorded(600, 0)), codec);
            assert!(small[0].samples.len() > 1, "{codec:?}");
            assert!(small.iter().all(|m| m.samples.len() <= HISTORY_CHUNK_MAX));
            assert_eq!(small.iter().map(|m| m.samples.len()).sum::<usize>(), 600);
        }
    }

    #[test]
    fn an_empty_batch_is_one_empty_message_marked_last() {
        let sent = messages(Batch::catch_up(Vec::new()), Codec::Json);
        assert_eq!(sent.len(), 1);
        assert!(sent[0].samples.is_empty() && sent[0].last);
        assert_eq!(sent[0].kind, Some(HistoryKind::CatchUp));
        assert_eq!(sent[0].id, None, "only replies carry an id");
    }
}
