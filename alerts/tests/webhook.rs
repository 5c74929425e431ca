//! Webhook delivery against a real HTTP receiver on loopback: every preset's
//! request, retries after 500s, and a hanging receiver that holds up nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use common::receiver::{Behaviour, HttpReceiver};
use common::{cpu_rule, cpu_sample, webhook};
use hostpulse_alerts::delivery::{Dispatcher, Outcome};
use hostpulse_alerts::{Engine, EngineOptions, Notice, Preset, StateFile};
use hostpulse_shared::{AlertEvent, AlertState, Comparison, Severity};

fn notice() -> Notice {
    Notice {
        host: "db-1".into(),
        event: AlertEvent {
            rule: "cpu_busy".into(),
            metric: "cpu.total_percent".into(),
            instance: String::new(),
            state: AlertState::Firing,
            severity: Severity::Warning,
            value: 97.5,
            threshold: 90.0,
            timestamp_ms: 1_764_000_000_000,
            firing_since_ms: 1_764_000_000_000,
            description: None,
        },
        comparison: Comparison::Above,
        test: false,
    }
}

const QUICK_RETRY: Duration = Duration::from_millis(20);

#[test]
fn each_preset_posts_its_own_shape_to_a_real_receiver() {
    let receiver = HttpReceiver::start(Behaviour::Accept);
    let dispatcher = Dispatcher::spawn(
        &[
            webhook("own", Preset::Json, &receiver.url("/hook")),
            webhook("phone", Preset::Ntfy, &receiver.url("/hostpulse-alerts")),
            webhook("chat", Preset::Slack, &receiver.url("/services/T0/B0/x")),
        ],
        QUICK_RETRY,
    )
    .unwrap();
    dispatcher.send(notice());
    let mut by_path: Vec<_> = (0..3).map(|_| receiver.next()).collect();
    by_path.sort_by(|a, b| a.path.cmp(&b.path));
    let [own, ntfy, slack] = <[_; 3]>::try_from(by_path).unwrap();

    assert_eq!((own.method.as_str(), own.path.as_str()), ("POST", "/hook"));
    assert_eq!(own.header("content-type"), Some("application/json"));
    let body = own.json();
    assert_eq!(body["version"], 1);
    assert_eq!(body["host"], "db-1");
    assert_eq!(body["test"], false);
    assert_eq!(body["alert"]["rule"], "cpu_busy");
    assert_eq!(body["alert"]["state"], "firing");
    assert_eq!(body["alert"]["value"], 97.5);

    assert_eq!(ntfy.path, "/hostpulse-alerts");
    assert_eq!(ntfy.header("title"), Some("Alert: cpu_busy on db-1"));
    assert_eq!(ntfy.header("priority"), Some("4"));
    assert!(
        String::from_utf8(ntfy.body)
            .unwrap()
            .starts_with("FIRING (warning) cpu_busy on db-1")
    );

    assert_eq!(slack.json()["text"], notice().text());
    drop(dispatcher);
    let log = receiver_log_outcomes(&receiver);
    assert!(log.is_empty(), "nothing more was sent: {log:?}");
}

fn receiver_log_outcomes(receiver: &HttpReceiver) -> Vec<String> {
    receiver.requests.try_iter().map(|r| r.path).collect()
}

#[test]
fn a_receiver_answering_500_gets_the_same_notice_again_until_it_accepts() {
    let receiver = HttpReceiver::start(Behaviour::FailFirst(2));
    let dispatcher = Dispatcher::spawn(
        &[webhook("own", Preset::Json, &receiver.url("/"))],
        QUICK_RETRY,
    )
    .unwrap();
    dispatcher.send(notice());
    let bodies: Vec<Vec<u8>> = (0..3).map(|_| receiver.next().body).collect();
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "the same notice each time"
    );
    let log = dispatcher.log();
    drop(dispatcher); // waits for the thread, so the log is complete
    let entries = log.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].attempts, 3);
    assert_eq!(entries[0].outcome, Outcome::Delivered { status: 200 });
}

#[test]
fn a_receiver_that_keeps_failing_is_given_up_on_after_the_retries() {
    let receiver = HttpReceiver::start(Behaviour::FailFirst(usize::MAX));
    let mut hook = webhook("own", Preset::Json, &receiver.url("/"));
    hook.retries = 2;
    let dispatcher = Dispatcher::spawn(&[hook], QUICK_RETRY).unwrap();
    dispatcher.send(notice());
    for _ in 0..3 {
        receiver.next();
    }
    let log = dispatcher.log();
    drop(dispatcher);
    let entries = log.entries();
    assert_eq!(entries[0].attempts, 3);
    assert_eq!(
        entries[0].outcome,
        Outcome::Failed {
            error: "the receiver answered 500".into()
        }
    );
    assert!(receiver.requests.try_recv().is_err(), "no fourth attempt");
}

#[test]
fn a_hanging_receiver_holds_up_neither_the_evaluator_nor_the_other_webhooks() {
    let hanging = HttpReceiver::start(Behaviour::Hang);
    let healthy = HttpReceiver::start(Behaviour::Accept);
    let (events, announced) = sync_channel::<AlertEvent>(16);
    // Long enough that the stuck attempt is still waiting when the test looks.
    let mut stuck = webhook("stuck", Preset::Json, &hanging.url("/"));
    stuck.timeout = Duration::from_mins(1);
    let engine = Engine::spawn(
        EngineOptions {
            rules: vec![cpu_rule()],
            webhooks: vec![stuck, webhook("fine", Preset::Json, &healthy.url("/"))],
            host: "db-1".into(),
            interval: Duration::from_secs(1),
            state_file: None,
            history_capacity: 100,
            history_retention: None,
            journal: None,
            first_backoff: QUICK_RETRY,
        },
        Box::new(move |event, _| {
            let _ = events.try_send(event.clone());
        }),
    )
    .unwrap();
    engine.offer(Arc::new(cpu_sample(0, 90.0)));
    // The hanging receiver has the firing notice and is sitting on it.
    assert_eq!(hanging.next().json()["alert"]["state"], "firing");
    engine.offer(Arc::new(cpu_sample(1, 10.0)));
    let wait = Duration::from_secs(30);
    let first = announced.recv_timeout(wait).unwrap();
    let second = announced.recv_timeout(wait).unwrap();
    assert_eq!(
        (first.state, second.state),
        (AlertState::Firing, AlertState::Resolved)
    );
    assert_eq!(healthy.next().json()["alert"]["state"], "firing");
    assert_eq!(healthy.next().json()["alert"]["state"], "resolved");
    // All of that happened while the first request to the stuck receiver
    // was still unanswered.
    assert_eq!(hanging.held_connections(), 1);
    assert!(
        hanging.requests.try_recv().is_err(),
        "still on its first attempt"
    );
    let status = engine.status();
    assert!(status.firing().is_empty());
    assert_eq!(status.history(0, u64::MAX).len(), 2);
    drop(hanging); // lets the stuck attempt end so the engine can stop
    drop(engine);
}

#[test]
fn an_alert_firing_across_a_restart_is_not_announced_twice() {
    let receiver = HttpReceiver::start(Behaviour::Accept);
    let data_dir = tempfile::tempdir().unwrap();
    let options = EngineOptions {
        rules: vec![cpu_rule()],
        webhooks: vec![webhook("own", Preset::Json, &receiver.url("/"))],
        host: "db-1".into(),
        interval: Duration::from_secs(1),
        state_file: Some(StateFile::in_dir(data_dir.path())),
        history_capacity: 100,
        history_retention: None,
        journal: None,
        first_backoff: QUICK_RETRY,
    };
    let engine = Engine::spawn(options.clone(), Box::new(|_, _| {})).unwrap();
    engine.offer(Arc::new(cpu_sample(0, 90.0)));
    let fired = receiver.next().json();
    assert_eq!(fired["alert"]["state"], "firing");
    drop(engine);

    let engine = Engine::spawn(options, Box::new(|_, _| {})).unwrap();
    let status = engine.status();
    assert_eq!(status.firing().len(), 1, "still firing after the restart");
    assert_eq!(status.summary().firing[0].rule, "cpu_test");
    for seq in 1..5 {
        engine.offer(Arc::new(cpu_sample(seq, 95.0)));
    }
    engine.offer(Arc::new(cpu_sample(5, 10.0)));
    let next = receiver.next().json();
    assert_eq!(
        next["alert"]["state"], "resolved",
        "the next notice is the resolve, not a second firing"
    );
    assert_eq!(
        next["alert"]["firing_since_ms"],
        fired["alert"]["firing_since_ms"]
    );
    drop(engine);
}
