//! The load generator against a real server in this process, at CI size: 20
//! viewers that must each get every sample while 20 stalled viewers sit on
//! their sockets. No timing is asserted: CI machines are busy.

use std::time::Duration;

use hostpulse_bench::{LoadConfig, Target, run};
use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;
use hostpulse_shared::Codec;

#[allow(
    clippy::unwrap_used,
    reason = "test helper: a bad URL fails the test loudly"
)]
fn config(server: &BackgroundServer, codec: Codec, clients: usize, stalled: usize) -> LoadConfig {
    LoadConfig {
        target: Target::new(&server.ws_url(), codec, None, Duration::from_secs(10)).unwrap(),
        clients,
        stalled,
        stalled_after_live: false,
        duration: Duration::from_secs(3),
        ramp: 8,
        idle: Duration::ZERO,
        server_pid: Some(std::process::id()),
        progress_every: Duration::from_secs(1),
        on_progress: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_viewer_gets_every_sample_beside_stalled_ones() {
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(100),
        ..Config::default()
    })
    .unwrap();
    let mut config = config(&server, Codec::MessagePack, 20, 20);
    // The stalled viewers join once every normal one is live.
    config.stalled_after_live = true;
    let report = run(&config).await.unwrap();
    println!("{report}");

    assert_eq!(report.connect.viewers_connected, 20, "{report}");
    assert_eq!(report.connect.stalled_connected, 20, "{report}");
    let samples = &report.samples;
    assert!(samples.last_seq.is_some(), "{report}");
    // At a 100 ms interval, 3 s of run give each viewer some 30 samples.
    assert!(samples.expected >= 20 * 10, "{report}");
    assert_eq!(samples.missed, 0, "{report}");
    assert_eq!(samples.duplicates, 0, "{report}");
    assert_eq!(samples.received, samples.expected, "{report}");
    assert!(report.latency.count > 0, "{report}");
    assert!(report.latency_during_joins.count > 0, "{report}");
    // Each stalled viewer had at least its hello waiting when it read at the end.
    assert_eq!(report.stalled_viewers.ends.values().sum::<usize>(), 20);
    assert!(report.stalled_viewers.drained_bytes_max > 0, "{report}");
    assert!(report.passed, "{report}");
    // The server was read through /proc and /metrics along the way.
    assert!(report.server.as_ref().unwrap().rss_peak_bytes > 0);
    assert!(
        report
            .timeline
            .iter()
            .any(|point| point.server_clients.is_some()),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_that_cannot_connect_fails_the_run() {
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(100),
        max_clients: 2,
        ..Config::default()
    })
    .unwrap();
    let mut config = config(&server, Codec::Json, 4, 0);
    config.duration = Duration::from_millis(500);
    let report = run(&config).await.unwrap();

    assert_eq!(report.connect.viewers_failed, 2, "{report}");
    assert!(!report.passed, "{report}");
    assert!(
        report
            .connect
            .errors
            .keys()
            .any(|error| error.contains("503")),
        "{report}"
    );
}

/// The fan-out floor speaks enough of the protocol for the load generator:
/// every viewer gets every sample from it, with either codec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_floor_serves_the_load_generator() {
    use hostpulse_bench::writer_floor::{FloorConfig, serve};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let floor = FloorConfig {
        interval: Duration::from_millis(100),
        writers: 2,
    };
    // Serves until the test process ends.
    std::thread::Builder::new()
        .name("writer-floor".into())
        .spawn(move || serve(listener, floor))
        .unwrap();
    for codec in [Codec::MessagePack, Codec::Json] {
        let config = LoadConfig {
            target: Target::new(&url, codec, None, Duration::from_secs(10)).unwrap(),
            clients: 10,
            stalled: 0,
            stalled_after_live: false,
            duration: Duration::from_secs(2),
            ramp: 8,
            idle: Duration::ZERO,
            server_pid: None,
            progress_every: Duration::from_secs(1),
            on_progress: None,
        };
        let report = run(&config).await.unwrap();
        assert_eq!(report.connect.viewers_connected, 10, "{report}");
        assert!(report.samples.expected >= 10 * 10, "{report}");
        assert_eq!(report.samples.missed, 0, "{report}");
        assert_eq!(report.samples.duplicates, 0, "{report}");
        assert!(report.passed, "{codec:?}: {report}");
    }
}
