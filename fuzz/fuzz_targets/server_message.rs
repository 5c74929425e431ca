//! The dashboard's decoder for what a server sends (`dashboard/src/link.rs`): a
//! text frame is decoded as JSON, a binary frame as MessagePack, into a
//! [`ServerMessage`]. The first input byte picks the codec.
//!
//! Whatever the bytes, decoding must return a message or an error, never panic.
//! A message that decodes must survive a MessagePack round trip, and, when its
//! numbers are all finite (JSON has no NaN or infinity), a JSON one too.

#![no_main]

use hostpulse_fuzz::{all_finite, assert_message_pack_stable, assert_round_trip, decode_frame};
use hostpulse_shared::{Codec, ServerMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(message) = decode_frame::<ServerMessage>(data) else {
        return;
    };
    assert_message_pack_stable(&message);
    if all_finite(&message) {
        for codec in Codec::ALL {
            assert_round_trip(&message, codec);
        }
    }
});
