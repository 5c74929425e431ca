//! No flapping, end to end: a live value that oscillates ±1 % around a rule's
//! threshold gives exactly one `firing` and one `resolved`, through a real
//! server (its sampler reading `/proc/net/dev`, its evaluator thread, its
//! WebSocket stream). The value is the send rate of a network interface the
//! test creates and alone sends on (a veth pair, its far end in a namespace
//! of its own), alternating each second between 1.01 and 0.99 times the
//! threshold. Needs root and `ip`; without them the test fails, saying so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;
#[path = "common/traffic.rs"]
mod traffic;

use std::time::{Duration, Instant};

use common::{config_from, connect, next_text, read_start, start_server_with};
use hostpulse_server::Config;
use hostpulse_shared::codec::decode_json;
use hostpulse_shared::{AlertEvent, AlertState, ServerMessage};
use traffic::{Veth, next_multiple_of};

/// The rule's threshold, in bytes per second on the wire.
const THRESHOLD: f64 = 400_000.0;
/// Seconds of oscillation: long enough to fire (after `for`) and to have
/// crossed the threshold many times since.
const OSCILLATE_SECS: u64 = 24;

fn config(dir: &std::path::Path, interface: &str) -> Config {
    config_from(
        dir,
        &format!(
            "interval_ms = 1000\n\n[[alert]]\nname = \"link_busy\"\n\
             metric = \"network.tx_bytes_per_sec\"\ninterface = \"{interface}\"\n\
             above = {THRESHOLD}\nclear = {}\nfor = \"3s\"\n",
            THRESHOLD * 0.7
        ),
    )
}

#[test]
fn a_value_oscillating_around_the_threshold_fires_once_and_resolves_once() {
    let veth = Veth::create();
    let dir = tempfile::tempdir().unwrap();
    let server = start_server_with(config(dir.path(), veth.name()));
    let mut viewer = connect(&server);
    read_start(&mut viewer);
    let pacer = veth.pacer();

    // The traffic, on a thread: quiet, then the oscillation, each phase
    // starting on a whole second (when the sampler ticks) so each sample
    // measures one phase, then quiet again.
    let sender = std::thread::Builder::new()
        .name("traffic".into())
        .spawn(move || {
            let start = next_multiple_of(Duration::from_secs(1)) + Duration::from_secs(2);
            std::thread::sleep(start.saturating_duration_since(Instant::now()));
            for second in 0..OSCILLATE_SECS {
                let factor = if second % 2 == 0 { 1.01 } else { 0.99 };
                let until = start + Duration::from_secs(second + 1);
                pacer.send_until(THRESHOLD * factor, until);
            }
        })
        .unwrap();

    // Every sample's rate on the interface and every transition, until the
    // traffic has stopped and the alert had the time to resolve.
    let mut rates = Vec::new();
    let mut transitions: Vec<AlertEvent> = Vec::new();
    let mut quiet_after = 0;
    while quiet_after < 4 {
        match decode_json(&next_text(&mut viewer)).unwrap() {
            ServerMessage::Sample(sample) => {
                let rate = sample
                    .networks
                    .iter()
                    .find(|n| n.interface == veth.name())
                    .and_then(|n| n.tx_bytes_per_sec);
                if sender.is_finished() {
                    quiet_after += 1;
                }
                rates.extend(rate);
            }
            ServerMessage::Alert(event) => transitions.push(event),
            ServerMessage::History(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    sender.join().unwrap();

    // The value did what the test says: it crossed the threshold again and
    // again, and stayed well above the clear threshold while it did.
    let oscillating: Vec<f64> = rates
        .iter()
        .copied()
        .filter(|r| *r > THRESHOLD * 0.9)
        .collect();
    let above = oscillating.iter().filter(|r| **r > THRESHOLD).count();
    let below = oscillating.len() - above;
    assert!(
        above >= 6 && below >= 6,
        "the rate did not oscillate around {THRESHOLD}: {rates:?}"
    );
    let states: Vec<AlertState> = transitions.iter().map(|e| e.state).collect();
    assert_eq!(
        states,
        [AlertState::Firing, AlertState::Resolved],
        "rates {rates:?}, transitions {transitions:#?}"
    );
    assert_eq!(transitions[0].instance, veth.name());
    // It fired once the value had stayed past the clear threshold for the
    // rule's `for`, whichever side of the threshold that sample fell on.
    assert!(
        transitions[0].value > THRESHOLD * 0.7,
        "{:?}",
        transitions[0]
    );
    assert!(
        transitions[1].value < THRESHOLD * 0.7,
        "{:?}",
        transitions[1]
    );
}
