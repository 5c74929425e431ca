//! Property tests for the decoders both programs run on untrusted input: the
//! server decodes what viewers send, the dashboard what servers send. Whatever
//! the bytes, decoding returns a value or an error — it never panics. (The
//! coverage-guided fuzz targets in `fuzz/` go further; these run in every
//! `cargo test`, with no instrumented build.)

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly at the first surprise"
)]

use hostpulse_shared::{ClientMessage, Codec, ServerMessage};
use proptest::prelude::*;

/// Golden vectors to mutate: real messages are the likeliest to reach deep code.
fn golden(name: &str, codec: Codec) -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    match codec {
        Codec::Json => std::fs::read(dir.join(format!("{name}.json"))).unwrap(),
        Codec::MessagePack => {
            let hex = std::fs::read_to_string(dir.join(format!("{name}.msgpack.hex"))).unwrap();
            let digits: String = hex.split_whitespace().collect();
            (0..digits.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
                .collect()
        }
    }
}

fn decode_everything(bytes: &[u8]) {
    for codec in Codec::ALL {
        let _ = codec.decode::<ServerMessage>(bytes);
        let _ = codec.decode::<ClientMessage>(bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        decode_everything(&bytes);
    }

    #[test]
    fn json_shaped_text_never_panics(text in r#"\{("[a-z_]{1,12}":(-?[0-9]{1,25}|"[a-z]{0,8}"|\[\]|null|true|\{\}),?){0,8}\}"#) {
        decode_everything(text.as_bytes());
    }

    #[test]
    fn mutated_golden_messages_never_panic(
        name in prop::sample::select(vec!["hello", "history", "reset", "sample", "error", "history_request"]),
        binary in any::<bool>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let codec = if binary { Codec::MessagePack } else { Codec::Json };
        let mut bytes = golden(name, codec);
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= value;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        decode_everything(&bytes);
    }
}
