//! What the fuzz targets share: how an input becomes a decoded frame, and the
//! round-trip checks run on every message that decodes.
//!
//! The targets call [`Codec::decode`], the very function the server runs on each
//! viewer frame (`server/src/stream/ws.rs`) and the dashboard on each server frame
//! (`dashboard/src/link.rs`), so what is fuzzed is what runs on the network.

use std::fmt::Debug;

use hostpulse_shared::{AlertEvent, Codec, Sample, ServerMessage};
use serde::{Serialize, de::DeserializeOwned};

/// Decodes an input as the programs decode a frame. The first byte picks the
/// codec, as the frame type does on the wire: an even byte JSON (a text frame),
/// an odd one MessagePack (a binary frame); the rest is the payload. The seeds
/// start with `j` (even) or `m` (odd) to match. `None` when it does not decode.
#[must_use]
pub fn decode_frame<T: DeserializeOwned>(data: &[u8]) -> Option<T> {
    let (&selector, payload) = data.split_first()?;
    let codec = if selector % 2 == 0 {
        Codec::Json
    } else {
        Codec::MessagePack
    };
    codec.decode(payload).ok()
}

/// Encodes a decoded message with `codec`, decodes it again and checks nothing
/// changed: what one peer reads, it can pass on unchanged.
///
/// # Panics
///
/// When the round trip fails or changes the message: that is a finding.
pub fn assert_round_trip<T>(message: &T, codec: Codec)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let encoded = match codec.encode(message) {
        Ok(encoded) => encoded,
        Err(error) => panic!("{codec:?} cannot encode a message it decoded: {error}\n{message:?}"),
    };
    let back: T = match codec.decode(&encoded) {
        Ok(back) => back,
        Err(error) => panic!(
            "{codec:?} cannot decode its own encoding: {error}\n{message:?}\nencoded: {}",
            String::from_utf8_lossy(&encoded)
        ),
    };
    assert_eq!(&back, message, "{codec:?} round trip changed the message");
}

/// Like [`assert_round_trip`] for MessagePack, but compares the encodings rather
/// than the values, so it also holds for messages with NaN in them (NaN is not
/// equal to itself).
///
/// # Panics
///
/// When the round trip fails or changes the encoding: that is a finding.
pub fn assert_message_pack_stable<T>(message: &T)
where
    T: Serialize + DeserializeOwned + Debug,
{
    let codec = Codec::MessagePack;
    let first = match codec.encode(message) {
        Ok(encoded) => encoded,
        Err(error) => panic!("cannot encode a message that decoded: {error}\n{message:?}"),
    };
    let back: T = match codec.decode(&first) {
        Ok(back) => back,
        Err(error) => panic!("cannot decode its own encoding: {error}\n{message:?}"),
    };
    match codec.encode(&back) {
        Ok(second) => assert_eq!(first, second, "MessagePack round trip changed the bytes"),
        Err(error) => panic!("cannot encode a message that decoded: {error}\n{back:?}"),
    }
}

/// True when every number in the message is finite. JSON has no NaN or infinity
/// (`serde_json` writes them as `null`, which no reader accepts as a number), so
/// only such messages can round-trip through JSON.
#[must_use]
pub fn all_finite(message: &ServerMessage) -> bool {
    match message {
        ServerMessage::Sample(sample) => sample_finite(sample),
        ServerMessage::History(history) => history.samples.iter().all(sample_finite),
        ServerMessage::Alert(event) => event_finite(event),
        ServerMessage::Hello(hello) => hello.alerts.as_ref().is_none_or(|alerts| {
            alerts
                .rules
                .iter()
                .all(|rule| rule.threshold.is_finite() && rule.clear.is_finite())
                && alerts.firing.iter().all(event_finite)
        }),
        ServerMessage::HistoryRange(range) => range.points.iter().all(|point| {
            [&point.mean, &point.min, &point.max]
                .into_iter()
                .flatten()
                .flatten()
                .all(|value| value.is_finite())
        }),
        ServerMessage::Processes(at) => at.processes.iter().all(|p| p.cpu_percent.is_finite()),
        ServerMessage::RequestError(_)
        | ServerMessage::Reset(_)
        | ServerMessage::Error { .. }
        | ServerMessage::Unknown => true,
    }
}

fn event_finite(event: &AlertEvent) -> bool {
    event.value.is_finite() && event.threshold.is_finite()
}

fn sample_finite(sample: &Sample) -> bool {
    let cpu = &sample.cpu;
    let singles = std::iter::once(cpu.total_percent)
        .chain(cpu.per_core_percent.iter().copied())
        .chain(sample.temperatures.iter().map(|t| t.celsius))
        .chain(
            sample
                .temperatures
                .iter()
                .filter_map(|t| t.critical_celsius),
        )
        .chain(sample.top_processes.iter().map(|p| p.cpu_percent));
    let loads = sample.load.iter().flat_map(|l| [l.one, l.five, l.fifteen]);
    let networks = sample.networks.iter();
    let disks = sample.disks.iter();
    let rates = networks
        .flat_map(|n| [n.rx_bytes_per_sec, n.tx_bytes_per_sec])
        .chain(disks.flat_map(|d| [d.read_bytes_per_sec, d.write_bytes_per_sec]))
        .flatten();
    { singles }.all(f32::is_finite) && loads.chain(rates).all(f64::is_finite)
}
