//! Records in an append-only file: a length, a CRC-32 of the payload, the
//! payload. A record whose checksum does not match is damage: a torn write at
//! a file's end, or a flipped byte anywhere ([`crate::segment`] decides what
//! is kept). [`scan`] reads a buffer of records up to the first damaged one,
//! never what came before it.

/// Bytes before each payload: its length and its CRC-32, little-endian.
pub const RECORD_HEADER_BYTES: usize = 8;

/// The largest payload a record may carry; a longer length field is damage.
pub const MAX_PAYLOAD_BYTES: usize = 64 << 20;

/// A record's header: its payload's length and CRC-32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The payload's length.
    pub len: usize,
    /// The payload's CRC-32.
    pub crc: u32,
}

impl Header {
    /// The header at the start of `bytes`, if they are long enough to hold one.
    #[must_use]
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let header: &[u8; RECORD_HEADER_BYTES] =
            bytes.get(..RECORD_HEADER_BYTES)?.try_into().ok()?;
        Some(Self {
            len: u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize,
            crc: u32::from_le_bytes([header[4], header[5], header[6], header[7]]),
        })
    }

    /// Whether `payload` is the one this header describes.
    #[must_use]
    pub fn matches(&self, payload: &[u8]) -> bool {
        payload.len() == self.len && crc32fast::hash(payload) == self.crc
    }
}

/// The bytes of one record holding `payload`.
#[must_use]
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(RECORD_HEADER_BYTES + payload.len());
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    record.extend_from_slice(&len.to_le_bytes());
    record.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    record.extend_from_slice(payload);
    record
}

/// One record found by [`scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// Where the record starts in the scanned bytes.
    pub offset: usize,
    /// Where its payload starts.
    pub payload_offset: usize,
    /// The payload's length.
    pub payload_len: usize,
}

/// What [`scan`] read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scanned {
    /// The sound records, in order.
    pub records: Vec<Found>,
    /// Bytes up to the end of the last sound record.
    pub valid_len: usize,
}

impl Scanned {
    /// Whether bytes follow the last sound record (a torn or damaged tail).
    #[must_use]
    pub fn is_damaged(&self, total_len: usize) -> bool {
        self.valid_len < total_len
    }
}

/// The sound records at the start of `bytes`.
#[must_use]
pub fn scan(bytes: &[u8]) -> Scanned {
    let mut scanned = Scanned::default();
    let mut offset = 0_usize;
    while let Some(Header { len, crc }) = bytes.get(offset..).and_then(Header::parse) {
        if len > MAX_PAYLOAD_BYTES {
            break;
        }
        let payload_offset = offset + RECORD_HEADER_BYTES;
        let Some(payload) = bytes.get(payload_offset..payload_offset + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        scanned.records.push(Found {
            offset,
            payload_offset,
            payload_len: len,
        });
        offset = payload_offset + len;
        scanned.valid_len = offset;
    }
    scanned
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_record_carries_its_payload_and_checksum() {
        let record = encode(b"three!");
        let header = Header::parse(&record).unwrap();
        assert_eq!(header.len, 6);
        assert!(header.matches(&record[RECORD_HEADER_BYTES..]));
        assert!(Header::parse(&record[..7]).is_none());
    }

    proptest! {
        #[test]
        fn any_flipped_bit_of_a_record_is_noticed(at in 0_usize..14, bit in 0_u8..8) {
            let mut record = encode(b"three!");
            record[at] ^= 1 << bit;
            let header = Header::parse(&record).unwrap();
            prop_assert!(!header.matches(&record[RECORD_HEADER_BYTES..]));
        }
    }

    fn three_records() -> Vec<u8> {
        [b"one".as_slice(), b"", b"three!"]
            .iter()
            .flat_map(|payload| encode(payload))
            .collect()
    }

    #[test]
    fn records_come_back_in_order() {
        let bytes = three_records();
        let scanned = scan(&bytes);
        let payloads: Vec<&[u8]> = scanned
            .records
            .iter()
            .map(|r| &bytes[r.payload_offset..r.payload_offset + r.payload_len])
            .collect();
        assert_eq!(payloads, [b"one".as_slice(), b"", b"three!"]);
        assert_eq!(scanned.valid_len, bytes.len());
    }

    proptest! {
        #[test]
        fn a_truncated_file_keeps_every_whole_record_before_the_cut(cut in 0_usize..40) {
            let bytes = three_records();
            let cut = cut.min(bytes.len());
            let scanned = scan(&bytes[..cut]);
            let whole = scan(&bytes).records.iter().filter(|r| r.payload_offset + r.payload_len <= cut).count();
            prop_assert_eq!(scanned.records.len(), whole);
        }

        #[test]
        fn a_flipped_byte_costs_its_record_and_what_follows_only(at in 0_usize..31, bit in 0_u8..8) {
            let mut bytes = three_records();
            let at = at.min(bytes.len() - 1);
            bytes[at] ^= 1 << bit;
            let clean = scan(&three_records()).records;
            let damaged = scan(&bytes).records;
            let before = clean.iter().filter(|r| r.payload_offset + r.payload_len <= at).count();
            prop_assert!(damaged.len() >= before);
            prop_assert_eq!(&damaged[..before], &clean[..before]);
            prop_assert!(damaged.len() <= clean.len());
        }
    }
}
