//! `history` messages joined from samples that were encoded one by one.
//!
//! A server replaying its history to many viewers encodes each past sample
//! once per codec and keeps the bytes; every replay then only copies them into
//! messages. The joined bytes are exactly what encoding the whole message
//! gives (the tests hold both codecs to that), so readers cannot tell.
//!
//! The message's other fields (`kind`, `id`, `last`) are encoded by serde
//! itself, with no samples; since `samples` is the last field, that encoding
//! ends with the empty array, which is replaced by the real one.

use crate::{Codec, CodecError, History, ServerMessage};

/// How the empty `samples` array ends a JSON `history` message.
const JSON_EMPTY_TAIL: &[u8] = b"[]}";
const JSON_TAIL: &[u8] = b"]}";
/// An empty MessagePack array (a fixarray of length 0).
const MSGPACK_EMPTY_ARRAY: u8 = 0x90;

impl Codec {
    /// The `history` message with the fields of `head` (whose `samples` are
    /// ignored) carrying `elements`, each a sample encoded alone with
    /// [`Codec::encode`], in order.
    pub fn join_history<E: AsRef<[u8]>>(
        self,
        head: &History,
        elements: &[E],
    ) -> Result<Vec<u8>, CodecError> {
        let head = ServerMessage::History(History {
            samples: Vec::new(),
            ..head.clone()
        });
        let mut message = self.encode(&head)?;
        let payload: usize = elements.iter().map(|e| e.as_ref().len() + 1).sum();
        message.reserve(payload + 8);
        match self {
            Self::Json => {
                if !message.ends_with(JSON_EMPTY_TAIL) {
                    return Err(CodecError::Layout("JSON history without trailing samples"));
                }
                message.truncate(message.len() - JSON_TAIL.len());
                for (index, element) in elements.iter().enumerate() {
                    if index > 0 {
                        message.push(b',');
                    }
                    message.extend_from_slice(element.as_ref());
                }
                message.extend_from_slice(JSON_TAIL);
            }
            Self::MessagePack => {
                if message.pop() != Some(MSGPACK_EMPTY_ARRAY) {
                    return Err(CodecError::Layout(
                        "MessagePack history without trailing samples",
                    ));
                }
                let count = u32::try_from(elements.len()).unwrap_or(u32::MAX);
                // Writing to a Vec cannot fail.
                let _ = rmp::encode::write_array_len(&mut message, count);
                for element in elements {
                    message.extend_from_slice(element.as_ref());
                }
            }
        }
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HistoryKind;

    fn samples(count: usize) -> Vec<crate::Sample> {
        (0..count as u64)
            .map(|seq| crate::Sample {
                epoch: 7,
                seq,
                timestamp_ms: 1_795_000_000_000 + seq * 1000,
                uptime_secs: 60 + seq,
                process_count: 42,
                ..crate::Sample::default()
            })
            .collect()
    }

    /// Every count up to past MessagePack's 15-element short array and its
    /// 16-bit array header, in both codecs, with and without the optional
    /// fields.
    #[test]
    fn joined_messages_are_the_bytes_of_the_whole_message() {
        let heads = [
            History::default(),
            History {
                kind: Some(HistoryKind::Replay),
                last: true,
                ..History::default()
            },
            History {
                kind: Some(HistoryKind::Reply),
                id: Some(u32::MAX),
                last: false,
                ..History::default()
            },
        ];
        for count in [0, 1, 2, 15, 16, 17, 300, 65_536] {
            let samples = samples(count);
            for head in &heads {
                for codec in Codec::ALL {
                    let elements: Vec<Vec<u8>> =
                        samples.iter().map(|s| codec.encode(s).unwrap()).collect();
                    let whole_message = ServerMessage::History(History {
                        samples: samples.clone(),
                        ..head.clone()
                    });
                    let whole = codec.encode(&whole_message).unwrap();
                    let joined = codec.join_history(head, &elements).unwrap();
                    assert!(
                        joined == whole,
                        "{codec:?}, {count} samples, {head:?} differ"
                    );
                    let decoded: ServerMessage = codec.decode(&joined).unwrap();
                    assert_eq!(decoded, whole_message);
                }
            }
        }
    }
}
