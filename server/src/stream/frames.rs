//! Header-level checks on the raw WebSocket frames a peer sends, made on the
//! byte stream before actix-http's codec reads it.
//!
//! actix-http checks most of these itself, but not in a way a session can
//! answer well: it reports reserved bits as an I/O error, which looks like a
//! dropped connection (so the peer got no close code), and it reads a control
//! frame's or a huge frame's length only once the whole frame is buffered (so
//! a ping declaring a gigabyte ran into the byte budget and got 1009, not
//! 1002). Here each frame is judged by its first bytes, before any of its
//! payload is passed on. No extension is ever negotiated, so every reserved
//! bit must be zero.
//!
//! A text, binary or continuation frame declaring more than the message
//! limit is refused at its header too, before any of its payload is
//! buffered (1009), and a close frame's reason is checked for UTF-8 (1007:
//! actix-http reports it as a bad opcode).
//!
//! Fragment order is checked here too: actix-http does check it, but while
//! decoding a batch of frames, and an error there drops the message it has just
//! completed, so the frames before the bad one would go unanswered. Masking,
//! close payloads and UTF-8 stay with actix-http and the session.

/// A frame header the protocol does not allow (RFC 6455 §5.2, §5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// RSV1–3 (as bits 0b100, 0b010, 0b001) set without an extension.
    #[error("reserved bits {0:#05b} set, and no extension was negotiated")]
    ReservedBits(u8),
    /// An opcode RFC 6455 reserves (3–7, 0xB–0xF).
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A ping, pong or close without FIN.
    #[error("a control frame may not be fragmented")]
    FragmentedControl,
    /// A ping, pong or close with more than 125 bytes of payload.
    #[error("a control frame may carry at most 125 bytes")]
    ControlTooLong,
    /// A 64-bit payload length with its most significant bit set.
    #[error("payload length with its most significant bit set")]
    LengthTopBit,
    /// A continuation frame outside a fragmented message.
    #[error("a continuation frame with nothing to continue")]
    NothingToContinue,
    /// A text or binary frame inside a fragmented message.
    #[error("a new message inside a fragmented one")]
    MessageInsideFragments,
    /// A data frame declaring more payload than a message may have.
    #[error("a frame declaring {declared_bytes} bytes, over the limit of {limit_bytes}")]
    TooBig {
        /// The length its header declares.
        declared_bytes: u64,
        /// The most a message may have.
        limit_bytes: u64,
    },
    /// A close frame whose reason is not UTF-8 (RFC 6455 §5.5.1, §8.1).
    #[error("the close reason is not UTF-8")]
    CloseReasonNotUtf8,
}

/// A frame refused by [`FrameChecker::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Where the refused frame starts in the bytes checked (0 when it began
    /// in earlier ones): the bytes before it are whole frames, or the rest of
    /// one, that passed.
    pub frame_start: usize,
    /// What is wrong with it.
    pub violation: Violation,
}

/// The longest header: 2 bytes, a 64-bit length, a masking key.
const MAX_HEADER_BYTES: usize = 2 + 8 + 4;
/// The 7-bit length that says a 16-bit length follows.
const LENGTH_16: u8 = 126;
/// The 7-bit length that says a 64-bit length follows.
const LENGTH_64: u8 = 127;
/// Most payload bytes a control frame may carry.
const MAX_CONTROL_PAYLOAD: u8 = 125;

/// Follows the frames in a peer's byte stream, fed in any chunks.
#[derive(Debug)]
pub struct FrameChecker {
    state: State,
    /// Inside a fragmented message: its first frame came, its last not yet.
    fragmented: bool,
    /// The most payload a data frame may declare.
    max_payload_bytes: u64,
}

#[derive(Debug)]
enum State {
    /// Reading a frame header: its bytes so far.
    Header {
        head: [u8; MAX_HEADER_BYTES],
        filled: usize,
    },
    /// Passing over a payload: the bytes left of it.
    Payload { left: u64 },
    /// Reading a close frame's payload, to check its reason.
    Close {
        mask: [u8; 4],
        payload: [u8; MAX_CONTROL_PAYLOAD as usize],
        filled: usize,
        len: usize,
    },
    /// A frame was refused: nothing passes any more.
    Refused(Violation),
}

impl State {
    const NEXT_HEADER: Self = Self::Header {
        head: [0; MAX_HEADER_BYTES],
        filled: 0,
    };
}

impl Default for FrameChecker {
    /// No limit on the payload a frame declares.
    fn default() -> Self {
        Self::new(u64::MAX)
    }
}

impl FrameChecker {
    /// Refuses data frames declaring more than `max_payload_bytes`.
    #[must_use]
    pub fn new(max_payload_bytes: u64) -> Self {
        Self {
            state: State::NEXT_HEADER,
            fragmented: false,
            max_payload_bytes,
        }
    }

    /// Checks the next `bytes` of the stream.
    pub fn check(&mut self, bytes: &[u8]) -> Result<(), Refused> {
        let mut at = 0;
        // Where the frame being read starts in `bytes`; 0 if it began earlier.
        let mut frame_start = 0;
        loop {
            match &mut self.state {
                State::Refused(violation) => {
                    return Err(Refused {
                        frame_start,
                        violation: *violation,
                    });
                }
                State::Payload { left } => {
                    let rest = u64::try_from(bytes.len() - at).unwrap_or(u64::MAX);
                    if *left > rest {
                        *left -= rest;
                        return Ok(());
                    }
                    // `left` fits in `rest`, itself a usize.
                    at += usize::try_from(*left).unwrap_or(usize::MAX);
                    self.state = State::NEXT_HEADER;
                    frame_start = at;
                }
                State::Close {
                    mask,
                    payload,
                    filled,
                    len,
                } => {
                    let take = (*len - *filled).min(bytes.len() - at);
                    for (n, byte) in bytes[at..at + take].iter().enumerate() {
                        payload[*filled + n] = byte ^ mask[(*filled + n) % 4];
                    }
                    *filled += take;
                    at += take;
                    if *filled < *len {
                        return Ok(());
                    }
                    if *len > 2 && std::str::from_utf8(&payload[2..*len]).is_err() {
                        self.state = State::Refused(Violation::CloseReasonNotUtf8);
                    } else {
                        self.state = State::NEXT_HEADER;
                        frame_start = at;
                    }
                }
                State::Header { head, filled } => {
                    let Some(&byte) = bytes.get(at) else {
                        return Ok(());
                    };
                    head[*filled] = byte;
                    *filled += 1;
                    at += 1;
                    let head = &head[..*filled];
                    match read_header(head, self.fragmented) {
                        Err(violation) => self.state = State::Refused(violation),
                        Ok(None) => {}
                        Ok(Some(left)) => {
                            let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0F);
                            if opcode <= 0x2 {
                                self.fragmented = !fin;
                            }
                            if opcode <= 0x2 && left > self.max_payload_bytes {
                                self.state = State::Refused(Violation::TooBig {
                                    declared_bytes: left,
                                    limit_bytes: self.max_payload_bytes,
                                });
                            } else if opcode == 0x8 && left > 0 {
                                // Control payloads are at most 125 bytes (checked above).
                                let masked = head[1] & 0x80 != 0;
                                let mut mask = [0; 4];
                                if masked {
                                    mask.copy_from_slice(&head[head.len() - 4..]);
                                }
                                self.state = State::Close {
                                    mask,
                                    payload: [0; MAX_CONTROL_PAYLOAD as usize],
                                    filled: 0,
                                    len: usize::try_from(left).unwrap_or(0),
                                };
                            } else if left == 0 {
                                self.state = State::NEXT_HEADER;
                                frame_start = at;
                            } else {
                                self.state = State::Payload { left };
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Reads a header as far as it has come: its payload length once it is
/// complete, `None` while bytes are missing, or what is wrong with it as
/// soon as the bytes that show it have come. `fragmented`: a fragmented
/// message has begun and not ended.
fn read_header(head: &[u8], fragmented: bool) -> Result<Option<u64>, Violation> {
    let Some(&first) = head.first() else {
        return Ok(None);
    };
    let reserved = (first >> 4) & 0b111;
    if reserved != 0 {
        return Err(Violation::ReservedBits(reserved));
    }
    let opcode = first & 0x0F;
    match opcode {
        0x3..=0x7 | 0xB..=0xF => return Err(Violation::ReservedOpcode(opcode)),
        0x0 if !fragmented => return Err(Violation::NothingToContinue),
        0x1 | 0x2 if fragmented => return Err(Violation::MessageInsideFragments),
        _ => {}
    }
    let Some(&second) = head.get(1) else {
        return Ok(None);
    };
    let short_length = second & 0x7F;
    if opcode >= 0x8 {
        if first & 0x80 == 0 {
            return Err(Violation::FragmentedControl);
        }
        if short_length > MAX_CONTROL_PAYLOAD {
            return Err(Violation::ControlTooLong);
        }
    }
    let length_bytes = match short_length {
        LENGTH_16 => 2,
        LENGTH_64 => 8,
        _ => 0,
    };
    if length_bytes == 8 && head.get(2).is_some_and(|byte| byte & 0x80 != 0) {
        return Err(Violation::LengthTopBit);
    }
    let mask_bytes = if second & 0x80 == 0 { 0 } else { 4 };
    if head.len() < 2 + length_bytes + mask_bytes {
        return Ok(None);
    }
    let length = if length_bytes == 0 {
        u64::from(short_length)
    } else {
        head[2..2 + length_bytes]
            .iter()
            .fold(0, |length, &byte| (length << 8) | u64::from(byte))
    };
    Ok(Some(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame: `first` byte, then `payload_len` bytes of payload.
    fn frame(first: u8, payload_len: usize) -> Vec<u8> {
        let mut bytes = vec![first];
        match payload_len {
            0..=125 => bytes.push(0x80 | u8::try_from(payload_len).unwrap_or(0)),
            126..=0xFFFF => {
                bytes.push(0x80 | LENGTH_16);
                bytes.extend_from_slice(&u16::try_from(payload_len).unwrap_or(0).to_be_bytes());
            }
            _ => {
                bytes.push(0x80 | LENGTH_64);
                bytes.extend_from_slice(&(payload_len as u64).to_be_bytes());
            }
        }
        bytes.extend_from_slice(&[1, 2, 3, 4]);
        bytes.resize(bytes.len() + payload_len, 0x55);
        bytes
    }

    const TEXT: u8 = 0x81;
    const PING: u8 = 0x89;
    const CLOSE: u8 = 0x88;

    fn stream_of_good_frames() -> Vec<u8> {
        [
            frame(TEXT, 0),
            frame(TEXT, 5),
            frame(0x02, 125), // binary, not final
            frame(0x00, 126), // continuation, 16-bit length
            frame(PING, 125),
            frame(0x80, 70_000), // last continuation, 64-bit length
            frame(CLOSE, 2),
        ]
        .concat()
    }

    #[test]
    fn good_frames_pass_however_the_stream_is_cut() {
        let stream = stream_of_good_frames();
        let mut whole = FrameChecker::default();
        assert_eq!(whole.check(&stream), Ok(()));
        for chunk_len in [1, 2, 3, 7, 13, 1000] {
            let mut checker = FrameChecker::default();
            for chunk in stream.chunks(chunk_len) {
                assert_eq!(checker.check(chunk), Ok(()), "chunks of {chunk_len}");
            }
            assert!(
                matches!(checker.state, State::Header { filled: 0, .. }),
                "ends between frames"
            );
        }
    }

    #[test]
    fn reserved_bits_are_refused_where_the_frame_starts() {
        let good = frame(TEXT, 13);
        for (first, bits) in [(0xC1, 0b100), (0xA1, 0b010), (0x91, 0b001), (0xF8, 0b111)] {
            let mut checker = FrameChecker::default();
            let stream = [good.clone(), frame(first, 13), frame(PING, 0)].concat();
            assert_eq!(
                checker.check(&stream),
                Err(Refused {
                    frame_start: good.len(),
                    violation: Violation::ReservedBits(bits),
                })
            );
            // Nothing passes after a refusal.
            assert_eq!(
                checker.check(&frame(TEXT, 1)),
                Err(Refused {
                    frame_start: 0,
                    violation: Violation::ReservedBits(bits),
                })
            );
        }
    }

    #[test]
    fn a_frame_begun_in_earlier_bytes_is_refused_from_the_start_of_these() {
        let mut checker = FrameChecker::default();
        let ping = frame(PING, 126);
        // The first byte alone is fine; the length in the second is not.
        assert_eq!(checker.check(&ping[..1]), Ok(()));
        assert_eq!(
            checker.check(&ping[1..]),
            Err(Refused {
                frame_start: 0,
                violation: Violation::ControlTooLong,
            })
        );
    }

    #[test]
    fn reserved_opcodes_are_refused() {
        for opcode in (0x3..=0x7).chain(0xB..=0xF) {
            let mut checker = FrameChecker::default();
            assert_eq!(
                checker.check(&frame(0x80 | opcode, 0)),
                Err(Refused {
                    frame_start: 0,
                    violation: Violation::ReservedOpcode(opcode),
                })
            );
        }
    }

    #[test]
    fn control_frames_must_be_whole_and_short() {
        for first in [0x08, 0x09, 0x0A] {
            let refused = FrameChecker::default().check(&frame(first, 3));
            assert_eq!(
                refused.map_err(|r| r.violation),
                Err(Violation::FragmentedControl)
            );
        }
        // A close declaring a 16-bit or a 64-bit length: refused at its second byte.
        for second in [0x80 | LENGTH_16, 0x80 | LENGTH_64] {
            let refused = FrameChecker::default().check(&[CLOSE, second]);
            assert_eq!(
                refused.map_err(|r| r.violation),
                Err(Violation::ControlTooLong)
            );
        }
    }

    #[test]
    fn a_length_with_its_top_bit_set_is_refused_at_its_first_byte() {
        let refused = FrameChecker::default().check(&[TEXT, 0x80 | LENGTH_64, 0x80]);
        assert_eq!(
            refused.map_err(|r| r.violation),
            Err(Violation::LengthTopBit)
        );
    }

    #[test]
    fn fragments_must_come_in_order() {
        let violation = |frames: &[Vec<u8>]| {
            FrameChecker::default()
                .check(&frames.concat())
                .map_err(|r| r.violation)
        };
        assert_eq!(
            violation(&[frame(0x80, 1)]),
            Err(Violation::NothingToContinue)
        );
        assert_eq!(
            violation(&[frame(0x01, 1), frame(TEXT, 1)]),
            Err(Violation::MessageInsideFragments)
        );
        assert_eq!(
            violation(&[frame(0x02, 1), frame(0x80, 1), frame(0x00, 1)]),
            Err(Violation::NothingToContinue),
            "the last fragment ended the message"
        );
        // Control frames may come between fragments, and change nothing.
        assert_eq!(
            violation(&[
                frame(0x01, 1),
                frame(PING, 1),
                frame(0x80, 1),
                frame(TEXT, 1)
            ]),
            Ok(())
        );
    }

    #[test]
    fn a_data_frame_over_the_limit_is_refused_at_its_header() {
        let mut checker = FrameChecker::new(4096);
        assert_eq!(checker.check(&frame(TEXT, 4096)), Ok(()));
        let big = frame(0x82, 4097);
        // The whole header, and not a byte of the payload.
        let refused = checker.check(&big[..8]);
        assert_eq!(
            refused.map_err(|r| r.violation),
            Err(Violation::TooBig {
                declared_bytes: 4097,
                limit_bytes: 4096
            })
        );
        // Control frames have their own limit; continuations count as data.
        let mut checker = FrameChecker::new(10);
        assert_eq!(checker.check(&frame(PING, 100)), Ok(()));
        let refused = checker.check(&[frame(0x01, 5), frame(0x80, 11)].concat());
        assert!(matches!(
            refused,
            Err(Refused {
                violation: Violation::TooBig { .. },
                ..
            })
        ));
    }

    /// A masked close frame with `payload`, under the mask 1, 2, 3, 4.
    fn close(payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut bytes = vec![CLOSE, 0x80 | u8::try_from(payload.len()).unwrap()];
        bytes.extend_from_slice(&mask);
        bytes.extend(payload.iter().enumerate().map(|(n, b)| b ^ mask[n % 4]));
        bytes
    }

    #[test]
    fn a_close_reason_must_be_utf8_however_the_frame_is_cut() {
        let good = close(&[0x03, 0xE8, b'b', b'y', 0xC3, 0xA9]);
        let bad = close(&[0x03, 0xE8, b'o', 0xFF, b'k']);
        for chunk_len in [1, 3, 100] {
            let mut checker = FrameChecker::default();
            for chunk in good.chunks(chunk_len) {
                assert_eq!(checker.check(chunk), Ok(()));
            }
            let mut checker = FrameChecker::default();
            let result: Result<Vec<()>, Refused> = bad
                .chunks(chunk_len)
                .map(|chunk| checker.check(chunk))
                .collect();
            assert_eq!(
                result.map_err(|r| r.violation),
                Err(Violation::CloseReasonNotUtf8),
                "chunks of {chunk_len}"
            );
        }
        // A close without a reason, or with only a code, passes.
        assert_eq!(FrameChecker::default().check(&close(&[])), Ok(()));
        assert_eq!(FrameChecker::default().check(&close(&[0x03, 0xE8])), Ok(()));
    }

    #[test]
    fn a_long_payload_is_followed_to_its_end() {
        let mut checker = FrameChecker::default();
        let big = frame(0x82, 1 << 20);
        let after = frame(0xC1, 0);
        assert_eq!(checker.check(&big[..100]), Ok(()));
        assert_eq!(checker.check(&big[100..]), Ok(()));
        assert_eq!(
            checker.check(&after),
            Err(Refused {
                frame_start: 0,
                violation: Violation::ReservedBits(0b100),
            })
        );
    }
}
