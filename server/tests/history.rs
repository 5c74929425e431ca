//! The history on disk in a real server: real files, real restarts of the
//! real binary (SIGTERM and kill -9), damaged files, a full disk, range reads
//! and the processes at a moment over REST and over the stream, replays that
//! reach past the in-memory ring, `--fill-history`.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;
#[path = "attacks/process.rs"]
mod process;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Client, connect_to, http_get_at, next_sample, next_text, read_start};
use hostpulse_server::{BackgroundServer, Config, HistoryStore};
use hostpulse_shared::codec::decode_json;
use hostpulse_shared::{HistoryRange, ProcessesAt, RangeTier, ResetReason, Sample, ServerMessage};
use hostpulse_store::series::quantize;
use hostpulse_store::synthetic::{Generator, HostShape};
use hostpulse_store::{Store, StoreConfig};
use process::ServerProcess;
use tungstenite::Message;

const SERVER: &str = env!("CARGO_BIN_EXE_hostpulse-server");
const INTERVAL_MS: u64 = 200;
const HOUR_MS: u64 = 3_600_000;

/// The binary on a free loopback port with its history in `data_dir`,
/// sampling every [`INTERVAL_MS`].
fn start(data_dir: &Path) -> ServerProcess {
    ServerProcess::with_history(data_dir, &["--interval-ms", &INTERVAL_MS.to_string()])
}

/// A viewer of `server`'s stream, with a query string.
fn connect_viewer(server: &ServerProcess, query: &str) -> Client {
    connect_to(&format!("ws://{}/ws{query}", server.addr()))
}

/// The binary with no config file and none of the caller's HOSTPULSE_*.
fn command(data_dir: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(SERVER);
    command
        .args(["--config", "/dev/null", "--bind", "127.0.0.1:0"])
        .args(["--interval-ms", &INTERVAL_MS.to_string()])
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("JOURNAL_STREAM")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for name in hostpulse_server::env_names() {
        command.env_remove(name);
    }
    command
}

/// Runs `command` to its end, which must come within 60 s: its output.
fn finish(mut command: Command) -> std::process::Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let give_up = Instant::now() + Duration::from_mins(1);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > give_up {
            let _ = child.kill();
            panic!("the server did not exit within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn seqs(samples: &[Sample]) -> Vec<u64> {
    samples.iter().map(|s| s.seq).collect()
}

/// Live samples until one with a seq of at least `seq`.
fn samples_until(client: &mut Client, seq: u64) -> Vec<Sample> {
    let mut samples = Vec::new();
    loop {
        let (sample, _) = next_sample(client);
        let done = sample.seq >= seq;
        samples.push(sample);
        if done {
            return samples;
        }
    }
}

/// A range read over REST that must succeed.
fn range(addr: SocketAddr, query: &str) -> HistoryRange {
    let (status, body) = json(addr, &format!("/api/v1/history?{query}"));
    assert_eq!(status, 200, "{query}: {body}");
    serde_json::from_value(body).unwrap()
}

fn json(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let (status, body) = http_get_at(addr, path);
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}")),
    )
}

#[test]
fn a_clean_restart_goes_on_with_the_epoch_and_a_resumed_viewer_misses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path());
    let mut live_viewer = connect_viewer(&first, "?history_secs=0");
    let (hello, _) = read_start(&mut live_viewer);
    let live = samples_until(&mut live_viewer, 15);
    let last = live.last().unwrap().clone();
    assert!(first.stop("-TERM").success());

    // Down for a moment: the restart must show as a jump in time.
    std::thread::sleep(Duration::from_secs(1));
    let second = start(dir.path());
    // The viewer lost its last five samples and resumes from before them.
    let resume_after = last.seq - 5;
    let mut resumed = connect_viewer(
        &second,
        &format!(
            "?resume_epoch={}&resume_after_seq={resume_after}",
            hello.epoch
        ),
    );
    let (hello_after, replayed) = read_start(&mut resumed);
    assert_eq!(
        hello_after.epoch, hello.epoch,
        "a clean stop keeps the epoch"
    );
    let mut got = replayed;
    got.extend(samples_until(&mut resumed, last.seq + 10));
    assert_eq!(
        seqs(&got),
        (resume_after + 1..=got.last().unwrap().seq).collect::<Vec<_>>(),
        "every seq once, across the restart"
    );
    // Read back from disk, a sample is the very one sent live.
    for sample in &got[..5] {
        let sent = live.iter().find(|s| s.seq == sample.seq).unwrap();
        assert_eq!(sample, sent, "seq {}", sample.seq);
    }
    let jump = got
        .windows(2)
        .map(|pair| pair[1].timestamp_ms - pair[0].timestamp_ms)
        .max()
        .unwrap();
    assert!(
        jump >= 1000,
        "the down time shows in the timestamps ({jump} ms)"
    );
}

#[test]
fn a_crash_starts_a_new_epoch_and_the_lost_seconds_show_as_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path());
    let mut live_viewer = connect_viewer(&first, "?history_secs=0");
    let (hello, _) = read_start(&mut live_viewer);
    // Longer than a flush, so some of it is on disk.
    let live = samples_until(&mut live_viewer, 40);
    let seen = live.last().unwrap().timestamp_ms;
    assert!(first.stop("-KILL").code().is_none(), "killed by a signal");

    let second = start(dir.path());
    let mut resumed = connect_viewer(
        &second,
        &format!(
            "?resume_epoch={}&resume_after_seq={}",
            hello.epoch,
            live.last().unwrap().seq
        ),
    );
    read_start_after_reset(&mut resumed, ResetReason::EpochChanged);
    let (after, _) = next_sample(&mut resumed);
    assert_ne!(after.epoch, hello.epoch, "a crash starts a new epoch");

    let from_ms = live[0].timestamp_ms;
    let range = range(
        second.addr(),
        &format!("from={}&points=10000", from_ms as f64 / 1000.0),
    );
    assert_eq!(range.tier, RangeTier::Raw);
    let kept = range
        .points
        .iter()
        .map(|p| p.time_ms)
        .filter(|&t| t <= seen)
        .max()
        .expect("samples from before the crash were kept");
    assert!(
        seen - kept <= 10_000,
        "lost {} ms, more than 10 s",
        seen - kept
    );
    assert!(
        range
            .gaps
            .iter()
            .any(|g| g.from_ms == kept && g.to_ms > seen),
        "the lost seconds are a gap: {:?}",
        range.gaps
    );
}

#[test]
fn a_second_server_on_the_same_directory_is_refused_naming_it_and_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path());
    let output = finish(command(dir.path(), &[]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&dir.path().join("history").display().to_string()),
        "{stderr}"
    );
    assert!(stderr.contains(&first.pid().to_string()), "{stderr}");
}

/// A store in `data_dir` holding `hours` of made-up samples, one a second,
/// from `start_ms`, as the server would have published them.
fn filled(data_dir: &Path, start_ms: u64, hours: u64) -> Vec<Sample> {
    let mut generator = Generator::new(HostShape::TYPICAL, 7);
    let samples: Vec<Sample> = (0..hours * 3600)
        .map(|i| quantize(&generator.sample(start_ms + i * 1000, 1.0)))
        .collect();
    let (mut store, _) = Store::open(StoreConfig::new(data_dir.join("history"))).unwrap();
    for sample in &samples {
        store.push(sample);
    }
    store.close(None);
    samples
}

/// A server keeping its history in `data_dir`, sampling every `interval_ms`
/// (a second where the range reads count on the made-up history's step).
fn with_store(data_dir: &Path, interval_ms: u64) -> Config {
    Config {
        interval: Duration::from_millis(interval_ms),
        history_store: Some(HistoryStore::in_data_dir(data_dir)),
        ..Config::default()
    }
}

/// Two hours ago, on the hour.
fn two_hours_ago() -> u64 {
    let now = hostpulse_server_now_ms();
    now - now % HOUR_MS - 2 * HOUR_MS
}

fn hostpulse_server_now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// The request's answer on the stream, skipping live samples.
fn answer(client: &mut Client, request: &str) -> ServerMessage {
    client.send(Message::Text(request.into())).unwrap();
    loop {
        match decode_json(&next_text(client)).unwrap() {
            ServerMessage::Sample(_) | ServerMessage::History(_) => {}
            other => return other,
        }
    }
}

#[test]
fn range_reads_over_rest_and_the_stream_pick_the_tier_and_keep_min_mean_max() {
    let dir = tempfile::tempdir().unwrap();
    let start = two_hours_ago();
    let written = filled(dir.path(), start, 2);
    let to = start + 2 * HOUR_MS - 1;
    let from_secs = start / 1000;
    // What the store itself answers, read before the server holds it.
    let expected = |points| {
        let (store, _) = Store::open(StoreConfig::new(dir.path().join("history"))).unwrap();
        store
            .range(start, to, points)
            .unwrap()
            .into_wire(0, start, to)
    };
    let (expected_minutes, expected_raw) = (expected(200), expected(10_000));
    let server = BackgroundServer::spawn_on_loopback(with_store(dir.path(), 1000)).unwrap();
    let addr = server.addr();

    let minutes = range(
        addr,
        &format!("from={from_secs}&to={}&points=200", to as f64 / 1000.0),
    );
    assert_eq!(minutes.tier, RangeTier::Minute);
    assert_eq!(minutes.points.len(), 120);
    assert_eq!(minutes, expected_minutes);

    // The stream answers the same, under the request's id.
    let mut client = connect_to(&format!("{}?history_secs=0", server.ws_url()));
    read_start(&mut client);
    let request =
        format!(r#"{{"type":"history_range","id":9,"from_ms":{start},"to_ms":{to},"points":200}}"#);
    match answer(&mut client, &request) {
        ServerMessage::HistoryRange(range) => {
            assert_eq!(range.id, 9);
            assert_eq!(HistoryRange { id: 0, ..range }, minutes);
        }
        other => panic!("{other:?}"),
    }

    // Every sample fits 10,000 points: the raw tier, each value as sent.
    let raw = range(
        addr,
        &format!("from={from_secs}&to={}&points=10000", to as f64 / 1000.0),
    );
    assert_eq!(raw, expected_raw);
    assert_eq!(raw.tier, RangeTier::Raw);
    assert_eq!(raw.points.len(), written.len());
    let memory = raw
        .series
        .iter()
        .position(|s| s == "memory.used_bytes")
        .unwrap();
    for (point, sample) in raw.points.iter().zip(&written) {
        assert_eq!(point.time_ms, sample.timestamp_ms);
        assert_eq!(point.mean[memory], Some(sample.memory.used_bytes as f64));
    }

    // The processes at a moment: the nearest sample's own list.
    let at = written[1234].timestamp_ms + 300;
    let (status, body) = json(
        addr,
        &format!("/api/v1/processes?at={}", at as f64 / 1000.0),
    );
    assert_eq!(status, 200, "{body}");
    let processes: ProcessesAt = serde_json::from_value(body).unwrap();
    assert_eq!(processes.tier, Some(RangeTier::Raw));
    assert_eq!(processes.time_ms, Some(written[1234].timestamp_ms));
    assert_eq!(processes.processes, written[1234].top_processes);
    let request = format!(r#"{{"type":"processes_request","id":4,"at_ms":{at}}}"#);
    match answer(&mut client, &request) {
        ServerMessage::Processes(over_ws) => {
            assert_eq!(over_ws, ProcessesAt { id: 4, ..processes });
        }
        other => panic!("{other:?}"),
    }

    // Mistakes name their parameter (REST) or field (stream); the stream goes on.
    for (query, parameter) in [
        (format!("from={from_secs}&points=0"), "points"),
        (format!("from={from_secs}&to={}", from_secs - 10), "to"),
        ("points=10".to_owned(), "from"),
        ("from=last%20tuesday".to_owned(), "from"),
        (format!("from={from_secs}&since_seq=3"), "since_seq"),
    ] {
        let (status, body) = json(addr, &format!("/api/v1/history?{query}"));
        assert_eq!(
            (status, body["parameter"].as_str()),
            (400, Some(parameter)),
            "{query}: {body}"
        );
    }
    let (status, body) = json(addr, "/api/v1/processes");
    assert_eq!(
        (status, body["parameter"].as_str()),
        (400, Some("at")),
        "{body}"
    );
    let backwards =
        format!(r#"{{"type":"history_range","id":5,"from_ms":{to},"to_ms":{start},"points":10}}"#);
    match answer(&mut client, &backwards) {
        ServerMessage::RequestError(error) => {
            assert_eq!(error.id, 5);
            assert!(error.message.contains("to_ms"), "{}", error.message);
        }
        other => panic!("{other:?}"),
    }
    next_sample(&mut client);
}

#[test]
fn without_a_history_on_disk_range_reads_say_so() {
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(INTERVAL_MS),
        ..Config::default()
    })
    .unwrap();
    let (status, body) = json(server.addr(), "/api/v1/history?from=0");
    assert_eq!(status, 501, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("--history-memory-only"),
        "{body}"
    );
    let (_, health) = json(server.addr(), "/healthz");
    assert_eq!(health["history"], "memory_only");
    let mut client = connect_to(&format!("{}?history_secs=0", server.ws_url()));
    read_start(&mut client);
    match answer(
        &mut client,
        r#"{"type":"processes_request","id":2,"at_ms":0}"#,
    ) {
        ServerMessage::RequestError(error) => assert_eq!(error.id, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn replays_and_history_requests_reach_past_the_ring_into_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let server = BackgroundServer::spawn_on_loopback(Config {
        history_capacity: 5,
        ..with_store(dir.path(), INTERVAL_MS)
    })
    .unwrap();
    let mut viewer = connect_to(&format!("{}?history_secs=0", server.ws_url()));
    read_start(&mut viewer);
    // Thirty samples, most of them long gone from a ring of five.
    let live = samples_until(&mut viewer, 30);
    let request = r#"{"type":"history_request","before_seq":22,"limit":5}"#;
    viewer.send(Message::Text(request.into())).unwrap();
    let mut older = Vec::new();
    while older.len() < 5 {
        match decode_json(&next_text(&mut viewer)).unwrap() {
            ServerMessage::History(history) => older.extend(history.samples),
            ServerMessage::Sample(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seqs(&older), [17, 18, 19, 20, 21]);
    for sample in &older {
        assert_eq!(Some(sample), live.iter().find(|s| s.seq == sample.seq));
    }
    let (status, page) = json(server.addr(), "/api/v1/history?since_seq=0&limit=4");
    assert_eq!(status, 200, "{page}");
    let page: Vec<u64> = page["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(page, [1, 2, 3, 4]);
    // A resume missing more than the history's capacity of five is refused,
    // even though the store holds it all.
    let mut resumed = connect_to(&format!(
        "{}?resume_epoch={}&resume_after_seq=2",
        server.ws_url(),
        live[0].epoch,
    ));
    read_start_after_reset(&mut resumed, ResetReason::HistoryTooShort);
}

/// Reads a hello, the `reset` after it, and the recent history that follows.
fn read_start_after_reset(client: &mut Client, reason: ResetReason) {
    assert!(matches!(
        decode_json(&next_text(client)).unwrap(),
        ServerMessage::Hello(_)
    ));
    match decode_json(&next_text(client)).unwrap() {
        ServerMessage::Reset(reset) => assert_eq!(reset.reason, reason),
        other => panic!("expected a reset, got {other:?}"),
    }
    common::read_history(client);
}

#[test]
fn a_damaged_store_is_cut_where_it_is_damaged_and_the_rest_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let start = two_hours_ago();
    let written = filled(dir.path(), start, 1);
    let raw_dir = dir.path().join("history/raw");
    let segment = std::fs::read_dir(&raw_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "seg"))
        .unwrap();
    let kind = hostpulse_store::segment::Kind::Segment {
        start_ms: 0,
        end_ms: u64::MAX,
    };
    let (opened, _) = hostpulse_store::segment::Segment::open(&segment, kind, 0).unwrap();
    let entries = opened.entries().to_vec();
    drop(opened);
    assert!(entries.len() >= 3, "{entries:?}");
    // Cut in the middle of the third block: the first two survive whole.
    let cut = entries[2].offset + entries[2].len as u64 / 2;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(cut)
        .unwrap();

    let server = BackgroundServer::spawn_on_loopback(with_store(dir.path(), 1000)).unwrap();
    let to = start + HOUR_MS - 1;
    let range = range(
        server.addr(),
        &format!("from={}&to={}&points=10000", start / 1000, to / 1000),
    );
    let kept_times: Vec<u64> = range.points.iter().map(|p| p.time_ms).collect();
    let kept_until = entries[1].meta.last_ms;
    for sample in written.iter().filter(|s| s.timestamp_ms <= kept_until) {
        assert!(
            kept_times.contains(&sample.timestamp_ms),
            "{} lost",
            sample.timestamp_ms
        );
    }
    let saved: Vec<PathBuf> = std::fs::read_dir(&raw_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(saved.len(), 1, "what was cut is kept aside");
}

/// A tmpfs of `size` at `path`, unmounted when dropped. Needs root (or
/// `CAP_SYS_ADMIN`): the test fails saying so otherwise.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Self {
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "hostpulse-test",
            ])
            .arg(path)
            .status();
        assert!(
            mounted.is_ok_and(|s| s.success()),
            "this test mounts a small tmpfs: run it as root (or with CAP_SYS_ADMIN)"
        );
        Self(path.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Polls `/healthz` until its `history` is `wanted`; bounded.
fn wait_for_history_health(addr: SocketAddr, wanted: &str) {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, health) = json(addr, "/healthz");
        if health["history"] == wanted {
            return;
        }
        assert!(
            Instant::now() < give_up,
            "history never became {wanted}: {health}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_full_disk_stops_the_history_not_the_stream_and_writing_resumes_when_space_returns() {
    let mount = tempfile::tempdir().unwrap();
    let tmpfs = Tmpfs::mount(mount.path(), "2m");
    let server =
        BackgroundServer::spawn_on_loopback(with_store(mount.path(), INTERVAL_MS)).unwrap();
    let mut viewer = connect_to(&format!("{}?history_secs=0", server.ws_url()));
    read_start(&mut viewer);
    next_sample(&mut viewer);
    wait_for_history_health(server.addr(), "ok");

    let ballast = mount.path().join("ballast");
    let _ = std::fs::write(&ballast, vec![0_u8; 4 << 20]);
    wait_for_history_health(server.addr(), "not_writable");
    let (_, metrics) = http_get_at(server.addr(), "/metrics");
    assert!(
        metrics.contains("\nhostpulse_store_writable 0\n"),
        "{metrics}"
    );
    // The stream goes on, without a hole.
    let first = next_sample(&mut viewer).0.seq;
    let live = samples_until(&mut viewer, first + 10);
    assert_eq!(seqs(&live), (first + 1..=first + 10).collect::<Vec<_>>());

    std::fs::remove_file(&ballast).unwrap();
    wait_for_history_health(server.addr(), "ok");
    let (_, metrics) = http_get_at(server.addr(), "/metrics");
    assert!(
        metrics.contains("\nhostpulse_store_writable 1\n"),
        "{metrics}"
    );
    drop(viewer);
    server.stop().unwrap();
    drop(tmpfs);
}

#[test]
fn fill_history_makes_a_store_the_server_serves_and_refuses_a_store_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let output = finish(command(dir.path(), &["--fill-history", "0.2"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("100 %"), "progress is shown: {stdout}");
    assert!(stdout.contains("wrote 0.2 days"), "{stdout}");

    let again = finish(command(dir.path(), &["--fill-history", "1"]));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("already holds history"), "{stderr}");

    let server = start(dir.path());
    let from = (hostpulse_server_now_ms() - 4 * HOUR_MS) / 1000;
    let range = range(server.addr(), &format!("from={from}&points=300"));
    assert_eq!(range.tier, RangeTier::Minute);
    assert!(range.points.len() >= 200, "{} points", range.points.len());
}
