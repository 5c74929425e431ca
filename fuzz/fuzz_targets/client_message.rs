//! The server's decoder for what a viewer sends (`server/src/stream/ws.rs`): a text
//! frame is decoded as JSON, a binary frame as MessagePack, into a
//! [`ClientMessage`]. The first input byte picks the codec.
//!
//! Whatever the bytes, decoding must return a message or an error, never panic;
//! and a message that decodes must survive a round trip through both codecs.

#![no_main]

use hostpulse_fuzz::{assert_round_trip, decode_frame};
use hostpulse_shared::{ClientMessage, Codec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(message) = decode_frame::<ClientMessage>(data) {
        for codec in Codec::ALL {
            assert_round_trip(&message, codec);
        }
    }
});
