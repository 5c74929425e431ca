//! End to end: the dashboard's own connection code against a real server on
//! loopback, samples arriving in the host's history; tokens refused, slowed
//! down (waited out as the server's Retry-After says) and offered from
//! `--token-file` only to the remembered hosts that ask for one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::{PATIENCE, poll_until};
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::host::Host;
use hostpulse_dashboard::link::{Link, LinkEvent, LinkState};
use hostpulse_dashboard::prefs::{Prefs, SavedHost};
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
                // The server's default rules may fire on this machine: not
                // what this test watches.
                LinkEvent::Alert(_) => {}
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

#[test]
fn a_server_slowing_wrong_tokens_is_waited_out_as_its_retry_after_says() {
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        token: Some(hostpulse_server::Secret::new(
            "the-right-token-0123456789-abcdef",
        )),
        ..Config::default()
    })
    .unwrap();
    let wrong = || {
        Some(hostpulse_shared::Secret::new(
            "a-wrong-token-0123456789-abcdef",
        ))
    };
    // Ten wrong tokens from this address: the server slows it down.
    for attempt in 0..10 {
        let mut host = Host::connect(attempt, &server.ws_url(), None, wrong(), Arc::new(|| {}));
        assert!(
            poll_until(&mut host, |h| matches!(
                h.link.state(),
                LinkState::Refused { .. }
            )),
            "attempt {attempt}: {:?}",
            host.link.state()
        );
    }
    // Two seconds of the server's minute gone: its Retry-After says 57 s or
    // less, well apart from a fixed minute.
    std::thread::sleep(Duration::from_secs(2));
    let refused_at = Instant::now();
    let mut host = Host::connect(99, &server.ws_url(), None, wrong(), Arc::new(|| {}));
    assert!(
        poll_until(&mut host, |h| matches!(
            h.link.state(),
            LinkState::Disconnected { .. }
        )),
        "the eleventh was not slowed: {:?}",
        host.link.state()
    );
    let LinkState::Disconnected { reason, .. } = host.link.state().clone() else {
        unreachable!()
    };
    assert!(reason.contains("429"), "{reason}");
    // The wait follows the server's Retry-After, not a fixed minute.
    assert!(
        poll_until(&mut host, |h| match h.link.state() {
            LinkState::Disconnected { retry_at, .. } =>
                *retry_at < refused_at + Duration::from_secs(59),
            _ => false,
        }),
        "the wait is not the server's: {:?}",
        host.link.state()
    );
    let shown = host.connection(Instant::now()).text();
    assert!(shown.contains("retrying in "), "{shown}");
    let LinkState::Disconnected { retry_at, .. } = host.link.state().clone() else {
        unreachable!()
    };
    assert!(
        retry_at > Instant::now() + Duration::from_secs(30),
        "{shown}"
    );
}

#[test]
fn a_token_file_reaches_remembered_hosts_that_ask_for_one_and_no_other() {
    let token = "token-file-test-token-0123456789-ab";
    let guarded = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        token: Some(hostpulse_server::Secret::new(token)),
        ..Config::default()
    })
    .unwrap();
    let open = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        ..Config::default()
    })
    .unwrap();
    let prefs = Prefs {
        hosts: [&guarded, &open]
            .iter()
            .map(|server| SavedHost {
                url: server.ws_url(),
                label: None,
            })
            .collect(),
        local_removed: true,
        ..Prefs::default()
    };
    let ctx = egui::Context::default();
    let from_file = hostpulse_shared::Secret::new(token);
    // Started with --token-file and no host named: the remembered ones.
    let mut app = DashboardApp::start(&ctx, &[], Some(&from_file), &prefs);
    let give_up = Instant::now() + PATIENCE;
    while !app.hosts().iter().all(Host::is_live) && Instant::now() < give_up {
        app.poll(&ctx);
        std::thread::sleep(Duration::from_millis(20));
    }
    let states: Vec<_> = app.hosts().iter().map(|h| h.link.state().clone()).collect();
    assert!(app.hosts().iter().all(Host::is_live), "{states:?}");
    assert!(app.hosts()[0].has_token(), "the guarded host got the token");
    assert!(
        !app.hosts()[1].has_token(),
        "a server that wants no token was shown it"
    );
}
