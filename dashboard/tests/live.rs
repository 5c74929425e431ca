//! End to end: the dashboard's own connection code against a real server on
//! loopback, samples arriving in the host's history.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use hostpulse_dashboard::host::Host;
use hostpulse_dashboard::link::LinkState;
use hostpulse_server::Config;
use hostpulse_server::background::BackgroundServer;

/// Upper bound on each wait, so a broken build fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(20);

/// Polls `host` as the UI would, until `done` holds or patience runs out.
fn poll_until(host: &mut Host, mut done: impl FnMut(&Host) -> bool) -> bool {
    let give_up = Instant::now() + PATIENCE;
    while Instant::now() < give_up {
        host.poll(Instant::now());
        if done(host) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn samples_from_a_real_server_arrive_in_the_history_then_the_loss_is_reported() {
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        ..Config::default()
    })
    .unwrap();
    let mut host = Host::connect(1, &server.ws_url(), None, Arc::new(|| {}));

    assert!(
        poll_until(&mut host, |h| h.history.len() >= 3),
        "no samples arrived: {:?}",
        host.link.state()
    );
    assert!(host.is_live());
    let hello = host.hello.clone().expect("the hello arrived first");
    assert_eq!(hello.interval_ms, 200);
    let latest = host.history.latest().unwrap();
    assert_eq!(latest.epoch, hello.epoch);
    assert_eq!(host.history.core_count(), hello.host.core_count as usize);
    assert_eq!(host.display_name(), hello.host.hostname);

    server.stop().unwrap();
    assert!(
        poll_until(&mut host, |h| matches!(
            h.link.state(),
            LinkState::Disconnected { .. }
        )),
        "the link did not notice the server going away"
    );
    let LinkState::Disconnected { reason, .. } = host.link.state() else {
        unreachable!()
    };
    assert!(reason.contains("closed"), "{reason}");
}
