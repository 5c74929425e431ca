//! Batches of past samples, as `history` messages: the replay after the
//! hello, the catch-up of a viewer that fell behind, and the reply to a
//! `history_request`. Every message of a batch says which kind of batch it
//! belongs to (and, for a reply, the request's `id`), and the last one says
//! it is the last, so a viewer can tell an answer from the stream around it
//! without guessing from seqs.
//!
//! A batch is cut into messages of about [`HISTORY_MESSAGE_BYTES`]: a session
//! may have two frames queued beyond what its connection has taken, so small
//! messages keep what a slow viewer pins small (BENCHMARKS.md, "slow
//! viewers"). Each message is joined from the samples' shared encodings.

use std::sync::Arc;

use hostpulse_shared::{Codec, History, HistoryKind};

use crate::hub::{EncodeError, Recorded};

/// About the size of one `history` message: a long replay is many small
/// frames, so the couple a slow viewer may have pending stay cheap.
pub const HISTORY_MESSAGE_BYTES: usize = 2 * 1024;
/// Most samples in one `history` message, however small they are.
pub const HISTORY_CHUNK_MAX: usize = 256;

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
}

impl Batch {
    /// The past sent after the hello.
    pub(crate) fn replay(samples: Vec<Arc<Recorded>>) -> Self {
        Self::new(HistoryKind::Replay, None, samples)
    }

    /// What a viewer that fell behind skipped.
    pub(crate) fn catch_up(samples: Vec<Arc<Recorded>>) -> Self {
        Self::new(HistoryKind::CatchUp, None, samples)
    }

    /// The answer to a `history_request` carrying `id`, if it carried one.
    pub(crate) fn reply(id: Option<u32>, samples: Vec<Arc<Recorded>>) -> Self {
        Self::new(HistoryKind::Reply, id, samples)
    }

    fn new(kind: HistoryKind, id: Option<u32>, samples: Vec<Arc<Recorded>>) -> Self {
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
        }
    }

    /// The newest seq in the batch, if it holds any sample.
    pub(crate) fn last_seq(&self) -> Option<u64> {
        self.samples.last().map(|recorded| recorded.seq)
    }

    /// The next message of the batch encoded in `codec`: at least one sample
    /// (none only for an empty batch), at most about
    /// [`HISTORY_MESSAGE_BYTES`] or [`HISTORY_CHUNK_MAX`] samples. `None`
    /// once the message marked `last` has been made.
    pub(crate) fn next_message(&mut self, codec: Codec) -> Result<Option<Vec<u8>>, EncodeError> {
        if self.finished {
            return Ok(None);
        }
        let rest = &self.samples[self.sent..];
        let mut elements = Vec::new();
        let mut message_bytes = 0;
        for recorded in rest {
            let element = recorded.element(codec)?;
            let full = message_bytes + element.len() > HISTORY_MESSAGE_BYTES;
            if !elements.is_empty() && (full || elements.len() == HISTORY_CHUNK_MAX) {
                break;
            }
            message_bytes += element.len();
            elements.push(element.clone());
        }
        self.sent += elements.len();
        self.finished = self.sent == self.samples.len();
        self.head.last = self.finished;
        Ok(Some(codec.join_history(&self.head, &elements)?))
    }
}

#[cfg(test)]
mod tests {
    use hostpulse_shared::{Hello, Sample, ServerMessage};

    use super::*;
    use crate::hub::{Hub, Replay};
    use crate::sampling::counters::Counters;

    /// A hub holding `count` samples with `processes` top processes each.
    fn recorded(count: u64, processes: usize) -> Vec<Arc<Recorded>> {
        let hub = Hub::new(Hello {
            epoch: 7,
            history_capacity: 10_000,
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
        hub.replay(Replay::Recent { count: usize::MAX }).samples
    }

    fn messages(mut batch: Batch, codec: Codec) -> Vec<History> {
        let mut out = Vec::new();
        while let Some(payload) = batch.next_message(codec).unwrap() {
            let ServerMessage::History(history) = codec.decode(&payload).unwrap() else {
                panic!("not a history message");
            };
            out.push(history);
        }
        out
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
            let small = messages(Batch::replay(recorded(600, 0)), codec);
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
