//! The server-cost benchmark's parts against real programs: the floor binary
//! measured from outside as a peer, and the pollers against a real server in
//! this process. No figure is asserted beyond "there was one": CI machines are
//! busy.

use std::time::Duration;

use hostpulse_bench::cost::measure::{CostConfig, measure};
use hostpulse_bench::cost::peer::Peer;
use hostpulse_bench::cost::poller::{Poll, PollTally, poll};
use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;
use tokio::sync::watch;

#[tokio::test]
async fn the_floor_is_measured_as_a_peer() {
    let command = [
        env!("CARGO_BIN_EXE_hostpulse-floor"),
        "--interval-ms",
        "100",
    ]
    .map(String::from);
    let mut peer = Peer::spawn(&command, None).unwrap();
    let config = CostConfig {
        poll: Poll::Nothing,
        period: Duration::from_secs(1),
        warmup: Duration::from_millis(300),
        window: Duration::from_secs(1),
        ready_timeout: Duration::from_secs(5),
    };
    let report = measure(&mut peer, &config).await.unwrap();
    peer.stop();

    assert!(report.passed, "{report:?}");
    assert_eq!(report.program, command[0]);
    // Ten rescans of this machine in the window took some CPU time.
    assert!(report.cpu_percent > 0.0, "{report:?}");
    assert!(report.peak_rss_bytes >= report.rss_end_bytes, "{report:?}");
    assert!(report.rss_end_bytes > 0, "{report:?}");
    assert_eq!(report.poll, PollTally::default());
}

/// Polls the in-process server as `how` says for `secs`.
#[allow(
    clippy::unwrap_used,
    reason = "test helper: a server that cannot start fails the test loudly"
)]
async fn poll_server(how: Poll, secs: f64) -> PollTally {
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(100),
        ..Config::default()
    })
    .unwrap();
    let (stop, stopped) = watch::channel(false);
    let polling = tokio::spawn({
        let addr = server.addr();
        async move { poll(&how, Some(addr), Duration::from_millis(100), stopped).await }
    });
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.send(true).unwrap();
    let tally = polling.await.unwrap();
    server.stop().unwrap();
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_the_live_stream() {
    let tally = poll_server(Poll::HostPulseStream, 1.5).await;
    assert_eq!(tally.errors, 0, "{tally:?}");
    assert!(tally.responses > 0, "{tally:?}");
    assert_eq!(tally.requests, 0, "{tally:?}");
    assert!(tally.bytes_received > 0, "{tally:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_polls_are_counted_and_refusals_are_errors() {
    let metrics = Poll::Http {
        path: "/metrics".into(),
    };
    let tally = poll_server(metrics, 1.0).await;
    assert_eq!(tally.errors, 0, "{tally:?}");
    assert!(tally.responses > 0, "{tally:?}");
    assert_eq!(tally.responses, tally.requests, "{tally:?}");

    let missing = Poll::Http {
        path: "/no-such-page".into(),
    };
    let tally = poll_server(missing, 0.5).await;
    assert_eq!(tally.responses, 0, "{tally:?}");
    assert_eq!(tally.errors, tally.requests, "{tally:?}");
    assert!(tally.first_error.unwrap().contains("HTTP 404"));
}
