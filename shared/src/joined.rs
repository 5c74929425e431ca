//! `history` messages joined from samples that were encoded one by one.
//!
//! A server replaying its history to many viewers encodes each past sample
//! once per codec and keeps the bytes; every replay then only copies them into
//! messages. The joined bytes are exactly what encoding the whole message
//! gives (the tests hold both codecs to that), so readers cannot tell.

use crate::Codec;

/// `{"type":"history","samples":[` … `]}` in JSON.
const JSON_PREFIX: &[u8] = br#"{"type":"history","samples":["#;
const JSON_SUFFIX: &[u8] = b"]}";

/// A two-entry map, `"type": "history"`, then the key `"samples"`, in
/// MessagePack; the array of samples follows.
const MSGPACK_PREFIX: &[u8] = b"\x82\xa4type\xa7history\xa7samples";

impl Codec {
    /// The `history` message carrying `elements`, each a sample encoded
    /// alone with [`Codec::encode`], in order.
    #[must_use]
    pub fn join_history<E: AsRef<[u8]>>(self, elements: &[E]) -> Vec<u8> {
        let payload: usize = elements.iter().map(|e| e.as_ref().len() + 1).sum();
        let mut message = Vec::with_capacity(payload + 32);
        match self {
            Self::Json => {
                message.extend_from_slice(JSON_PREFIX);
                for (index, element) in elements.iter().enumerate() {
                    if index > 0 {
                        message.push(b',');
                    }
                    message.extend_from_slice(element.as_ref());
                }
                message.extend_from_slice(JSON_SUFFIX);
            }
            Self::MessagePack => {
                message.extend_from_slice(MSGPACK_PREFIX);
                let count = u32::try_from(elements.len()).unwrap_or(u32::MAX);
                // Writing to a Vec cannot fail.
                let _ = rmp::encode::write_array_len(&mut message, count);
                for element in elements {
                    message.extend_from_slice(element.as_ref());
                }
            }
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{ServerMessage, ServerMessageRef};

    fn samples(count: usize) -> Vec<Arc<crate::Sample>> {
        (0..count as u64)
            .map(|seq| {
                Arc::new(crate::Sample {
                    epoch: 7,
                    seq,
                    timestamp_ms: 1_795_000_000_000 + seq * 1000,
                    uptime_secs: 60 + seq,
                    process_count: 42,
                    ..crate::Sample::default()
                })
            })
            .collect()
    }

    /// Every count up to past MessagePack's 15-element short array and its
    /// 16-bit array header, in both codecs.
    #[test]
    fn joined_messages_are_the_bytes_of_the_whole_message() {
        for count in [0, 1, 2, 15, 16, 17, 300, 65_536] {
            let samples = samples(count);
            for codec in Codec::ALL {
                let elements: Vec<Vec<u8>> = samples
                    .iter()
                    .map(|s| codec.encode(&**s).unwrap())
                    .collect();
                let whole = codec
                    .encode(&ServerMessageRef::History { samples: &samples })
                    .unwrap();
                let joined = codec.join_history(&elements);
                assert!(joined == whole, "{codec:?}, {count} samples differ");
                let decoded: ServerMessage = codec.decode(&joined).unwrap();
                let ServerMessage::History(history) = decoded else {
                    panic!("not a history message");
                };
                assert_eq!(history.samples.len(), count);
            }
        }
    }
}
