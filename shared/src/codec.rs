//! Turning messages into WebSocket frames and back, in either encoding.
//!
//! JSON text frames are the default: readable by any client. A viewer that offers
//! the `hostpulse.v1.msgpack` subprotocol gets MessagePack binary frames instead:
//! the same messages with the same field names (so unknown fields can still be
//! skipped), smaller and quicker to encode and decode. `BENCHMARKS.md` has the
//! figures behind that choice.

use serde::{Serialize, de::DeserializeOwned};

/// A frame that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The frame is not valid JSON for the expected message type.
    #[error("malformed JSON message: {0}")]
    Json(#[from] serde_json::Error),
    /// The frame is not valid MessagePack for the expected message type.
    #[error("malformed MessagePack message: {0}")]
    MessagePackDecode(#[from] rmp_serde::decode::Error),
    /// A value could not be written as MessagePack.
    #[error("cannot encode MessagePack: {0}")]
    MessagePackEncode(#[from] rmp_serde::encode::Error),
    /// An encoding did not have the layout a splice relies on (a bug).
    #[error("cannot join a message: {0}")]
    Layout(&'static str),
}

/// The encodings of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Codec {
    /// JSON text frames (the default).
    #[default]
    Json,
    /// MessagePack binary frames, maps with named fields.
    MessagePack,
}

impl Codec {
    /// Every codec. A viewer that offers several gets the first it lists that the
    /// server speaks.
    pub const ALL: [Self; 2] = [Self::MessagePack, Self::Json];

    /// The `Sec-WebSocket-Protocol` name that selects this codec.
    #[must_use]
    pub const fn subprotocol(self) -> &'static str {
        match self {
            Self::Json => "hostpulse.v1.json",
            Self::MessagePack => "hostpulse.v1.msgpack",
        }
    }

    /// The codec a subprotocol name selects, if any.
    #[must_use]
    pub fn from_subprotocol(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|codec| codec.subprotocol() == name.trim())
    }

    /// True for codecs sent as binary frames.
    #[must_use]
    pub const fn is_binary(self) -> bool {
        matches!(self, Self::MessagePack)
    }

    /// Encodes one message as the payload of one frame.
    pub fn encode<T: Serialize>(self, message: &T) -> Result<Vec<u8>, CodecError> {
        Ok(match self {
            Self::Json => serde_json::to_vec(message)?,
            Self::MessagePack => rmp_serde::to_vec_named(message)?,
        })
    }

    /// Decodes the payload of one frame. Unknown fields are ignored, so newer
    /// peers that add fields stay readable.
    pub fn decode<T: DeserializeOwned>(self, payload: &[u8]) -> Result<T, CodecError> {
        Ok(match self {
            Self::Json => serde_json::from_slice(payload)?,
            Self::MessagePack => rmp_serde::from_slice(payload)?,
        })
    }
}

/// Encodes a message as one JSON text frame.
pub fn encode_json<T: Serialize>(message: &T) -> Result<String, CodecError> {
    Ok(serde_json::to_string(message)?)
}

/// Decodes one JSON text frame.
pub fn decode_json<T: DeserializeOwned>(text: &str) -> Result<T, CodecError> {
    Ok(serde_json::from_str(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subprotocol_names_round_trip() {
        for codec in Codec::ALL {
            assert_eq!(Codec::from_subprotocol(codec.subprotocol()), Some(codec));
        }
        assert_eq!(Codec::from_subprotocol("chat"), None);
    }
}
