//! End to end: the dashboard's own connection code against a real server on
//! loopback, samples arriving in the host's history.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::{PATIENCE, poll_until};
use hostpulse_dashboard::host::Host;
use hostpulse_dashboard::link::{Link, LinkEvent, LinkState};
use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;

#[test]
fn samples_from_a_real_server_arrive_in_the_history_then_the_loss_is_reported() {
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        ..Config::default()
    })
    .unwrap();
    let mut host = Host::connect(1, &server.ws_url(), None, None, Arc::new(|| {}));

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

/// Drains `link` until `count` sample seqs (from history and live) are collected.
fn collect_seqs(link: &mut Link, seqs: &mut Vec<u64>, hellos: &mut usize, count: usize) {
    let give_up = Instant::now() + PATIENCE;
    while seqs.len() < count {
        assert!(
            Instant::now() < give_up,
            "stuck at {seqs:?}: {:?}",
            link.state()
        );
        for event in link.poll(Instant::now()) {
            match event {
                LinkEvent::Hello(_) => *hellos += 1,
                LinkEvent::History(samples) => seqs.extend(samples.iter().map(|s| s.seq)),
                LinkEvent::Sample(sample) => seqs.push(sample.seq),
                LinkEvent::Reset(reset) => panic!("unexpected reset: {reset:?}"),
                // Nothing here asks for a range or processes.
                other @ (LinkEvent::Range(_)
                | LinkEvent::Processes(_)
                | LinkEvent::RequestError(_)) => panic!("unasked answer: {other:?}"),
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn history_arrives_at_once_and_a_reconnect_resumes_without_gap_or_duplicate() {
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(100),
        ..Config::default()
    })
    .unwrap();
    // Let the server build up some history before the dashboard connects.
    std::thread::sleep(Duration::from_millis(1500));

    let mut link = Link::connect(server.ws_url(), None, Arc::new(|| {}));
    let mut seqs = Vec::new();
    let mut hellos = 0;
    collect_seqs(&mut link, &mut seqs, &mut hellos, 1);
    assert!(
        seqs.len() >= 2,
        "the first batch carries the past: {seqs:?}"
    );
    let target = seqs.len() + 3;
    collect_seqs(&mut link, &mut seqs, &mut hellos, target);

    // Cut the connection; the link dials again at once, resuming.
    link.retry_now();
    std::thread::sleep(Duration::from_millis(500));
    let target = seqs.len() + 8;
    collect_seqs(&mut link, &mut seqs, &mut hellos, target);

    assert_eq!(hellos, 2, "a second connection was made");
    assert_eq!(seqs[0], 0);
    for pair in seqs.windows(2) {
        assert_eq!(pair[1], pair[0] + 1, "gap or duplicate in {seqs:?}");
    }
}

#[test]
fn a_server_with_a_token_lets_in_only_a_host_that_presents_it_and_refusals_are_not_retried() {
    let token = "dashboard-test-token-0123456789";
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        token: Some(hostpulse_server::Secret::new(token)),
        ..Config::default()
    })
    .unwrap();

    let mut without = Host::connect(1, &server.ws_url(), None, None, Arc::new(|| {}));
    assert!(
        poll_until(&mut without, |h| matches!(
            h.link.state(),
            LinkState::Refused { .. }
        )),
        "a host without the token was let in: {:?}",
        without.link.state()
    );
    // Refused, it waits for a token instead of retrying on a timer: each try
    // would count against the server's limit on failed attempts.
    assert_eq!(
        without.link.state(),
        &LinkState::Refused { token_sent: false }
    );
    assert_eq!(without.link.next_deadline(), None);
    without.poll(Instant::now() + Duration::from_mins(10));
    assert_eq!(
        without.link.state(),
        &LinkState::Refused { token_sent: false }
    );

    let mut wrong = Host::connect(
        3,
        &server.ws_url(),
        None,
        Some(hostpulse_shared::Secret::new("not-the-token-0123456789")),
        Arc::new(|| {}),
    );
    assert!(
        poll_until(&mut wrong, |h| matches!(
            h.link.state(),
            LinkState::Refused { token_sent: true }
        )),
        "a wrong token was not refused: {:?}",
        wrong.link.state()
    );

    let mut with = Host::connect(
        2,
        &server.ws_url(),
        None,
        Some(hostpulse_shared::Secret::new(token)),
        Arc::new(|| {}),
    );
    assert!(
        poll_until(&mut with, |h| h.history.len() >= 2),
        "no samples with the token: {:?}",
        with.link.state()
    );
}
