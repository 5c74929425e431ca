//! Turning messages into WebSocket frames and back. JSON text frames are the
//! default encoding: readable by any client, and what third-party tools expect.

use serde::{Serialize, de::DeserializeOwned};

/// A frame that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The frame is not valid JSON for the expected message type.
    #[error("malformed JSON message: {0}")]
    Json(#[from] serde_json::Error),
}

/// Encodes a message as one JSON text frame.
pub fn encode_json<T: Serialize>(message: &T) -> Result<String, CodecError> {
    Ok(serde_json::to_string(message)?)
}

/// Decodes one JSON text frame. Unknown fields are ignored, so newer peers that add
/// fields stay readable.
pub fn decode_json<T: DeserializeOwned>(text: &str) -> Result<T, CodecError> {
    Ok(serde_json::from_str(text)?)
}
