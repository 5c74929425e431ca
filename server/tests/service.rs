//! The server as a service, run as the real binary: configuration checks, the
//! systemd notify protocol against a socket of the test's own, SIGTERM with
//! viewers connected, journald-style logs, and the shipped unit file checked
//! by systemd's own tools.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{bound_reads, next_sample, read_close, read_start};
use hostpulse_server::test_support::Hub;
use hostpulse_server::test_support::{Notifier, watchdog};
use hostpulse_shared::{Hello, Sample};
use tungstenite::protocol::frame::coding::CloseCode;

const SERVER: &str = env!("CARGO_BIN_EXE_hostpulse-server");

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// The server binary with no config file and none of the caller's HOSTPULSE_*.
fn server_command(args: &[&str]) -> Command {
    let mut command = Command::new(SERVER);
    command.args(args);
    for name in hostpulse_server::env_names() {
        command.env_remove(name);
    }
    command.env_remove("JOURNAL_STREAM");
    command.env_remove("CREDENTIALS_DIRECTORY");
    command
}

fn run(args: &[&str]) -> Output {
    server_command(args).output().unwrap()
}

#[test]
fn check_config_accepts_the_example_and_names_mistakes() {
    let example = repo_file("assets/server.toml");
    let output = run(&["--config", example.to_str().unwrap(), "--check-config"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("configuration OK"), "{stdout}");
    assert!(stdout.contains("bind = 127.0.0.1:9470"), "{stdout}");
    assert!(stdout.contains("trusted_proxies = []"), "{stdout}");
    let output = run(&[
        "--config",
        "/dev/null",
        "--trusted-proxy",
        "127.0.0.1",
        "--trusted-proxy",
        "10.0.0.0/8",
        "--check-config",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("trusted_proxies = [127.0.0.1, 10.0.0.0/8]"),
        "{stdout}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "bind = \"0.0.0.0:9470\"\nhistroy = 10\n").unwrap();
    let output = run(&["--config", bad.to_str().unwrap(), "--check-config"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert!(stderr.contains("histroy"), "{stderr}");
}

#[test]
fn the_history_settings_come_from_the_table_the_old_key_the_flags_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("server.toml");
    let file_arg = file.to_str().unwrap();
    let check = |text: &str, flags: &[&str], env: &[(&str, &str)]| {
        std::fs::write(&file, text).unwrap();
        let mut args = vec!["--config", file_arg, "--check-config"];
        args.extend_from_slice(flags);
        let output = server_command(&args)
            .env_remove("STATE_DIRECTORY")
            .env_remove("XDG_STATE_HOME")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.code(), text)
    };
    let (_, old) = check("history = 10\n", &[], &[]);
    assert!(old.contains("history.memory_samples = 10"), "{old}");
    let (_, table) = check(
        "bind = \"127.0.0.1:9470\"\n[history]\nraw_days = 3\nmax_size_mib = 64\n",
        &["--history-hour-days", "400"],
        &[("XDG_STATE_HOME", "/srv/state")],
    );
    for shown in [
        "history.raw_days = 3",
        "history.max_size_mib = 64",
        "history.hour_days = 400",
        "history.minute_days = 90",
        "history = on disk in /srv/state/hostpulse/history",
    ] {
        assert!(table.contains(shown), "{shown} in {table}");
    }
    let (_, systemd) = check("", &[], &[("STATE_DIRECTORY", "/var/lib/hostpulse")]);
    assert!(
        systemd.contains("history = on disk in /var/lib/hostpulse/history"),
        "{systemd}"
    );
    let (_, flag) = check("", &["--data-dir", "/data"], &[("STATE_DIRECTORY", "/x")]);
    assert!(
        flag.contains("history = on disk in /data/history"),
        "{flag}"
    );
    let (_, memory) = check("", &["--history-memory-only"], &[]);
    assert!(memory.contains("history = in memory only"), "{memory}");
    let (code, bad) = check("\n[history]\nraw_days = 0\n", &[], &[]);
    assert_eq!(code, Some(2), "{bad}");
    assert!(
        bad.contains("line 3") && bad.contains("`history.raw_days`") && bad.contains("1 to 3650"),
        "{bad}"
    );
}

#[test]
fn check_config_by_hand_says_it_cannot_see_the_token_credential() {
    // The README's setup: a public address, the token by LoadCredential=.
    let public = ["--config", "/dev/null", "--bind", "0.0.0.0:9470"];
    let check: Vec<&str> = public.iter().copied().chain(["--check-config"]).collect();
    let output = run(&check);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout.contains("cannot see the systemd credential `token`")
            && stdout.contains(
                "systemd-run --wait --pipe -p LoadCredential=token:/etc/hostpulse/token \
                 hostpulse-server --check-config"
            ),
        "{stdout}"
    );
    // Where credentials are visible (under systemd), none is none: refused.
    let credentials = tempfile::tempdir().unwrap();
    let output = server_command(&check)
        .env("CREDENTIALS_DIRECTORY", credentials.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to serve 0.0.0.0:9470 without a token"),
        "{stderr}"
    );
    // Serving is refused by hand too: only the check is lenient.
    let output = run(&public);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

/// A server binary started with a notify socket of the test's own.
struct Service {
    child: Child,
    addr: SocketAddr,
    notify: UnixDatagram,
    _dir: tempfile::TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket_path = dir.path().join("notify.sock");
        let notify = UnixDatagram::bind(&socket_path).unwrap();
        notify
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let data_dir = dir.path().join("data");
        let child = server_command(&[
            "--config",
            "/dev/null",
            "--bind",
            "127.0.0.1:0",
            "--interval-ms",
            "100",
            "--data-dir",
            data_dir.to_str().unwrap(),
        ])
        .env("NOTIFY_SOCKET", &socket_path)
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let mut service = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            notify,
            _dir: dir,
        };
        let ready = service.next_notification();
        assert!(ready.lines().any(|l| l == "READY=1"), "{ready:?}");
        let status = ready
            .lines()
            .find_map(|l| l.strip_prefix("STATUS=Listening on http://"))
            .expect("the status names the address");
        service.addr = status.parse().unwrap();
        service
    }

    fn next_notification(&self) -> String {
        let mut buffer = [0u8; 4096];
        let length = self
            .notify
            .recv(&mut buffer)
            .expect("a notification arrives");
        String::from_utf8_lossy(&buffer[..length]).into_owned()
    }

    fn connect(&self) -> common::Client {
        let (client, _) =
            tungstenite::connect(format!("ws://{}/ws", self.addr)).expect("WebSocket connects");
        bound_reads(client)
    }
}

#[test]
fn ready_comes_after_the_bind_then_watchdog_heartbeats_follow() {
    let service = Service::start(&[("WATCHDOG_USEC", "200000")]);
    // READY has been received: the port must already accept connections.
    std::net::TcpStream::connect(service.addr).expect("bound before READY=1");
    for _ in 0..3 {
        assert_eq!(service.next_notification(), "WATCHDOG=1");
    }
}

#[test]
fn no_watchdog_heartbeat_while_the_sampler_is_stalled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let listener = UnixDatagram::bind(&path).unwrap();
    listener
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let hub = Arc::new(
        Hub::new(Hello {
            interval_ms: 100,
            history_capacity: 10,
            ..Hello::default()
        })
        .unwrap(),
    );
    let publish = |seq| {
        hub.publish(
            Sample {
                seq,
                ..Sample::default()
            },
            hostpulse_server::test_support::Counters::default(),
        )
        .unwrap();
    };
    // No sampler runs here: the test publishes samples by hand. None yet: the
    // watchdog first runs on its start-up grace.
    let notifier = Notifier::at(path.to_str().unwrap()).unwrap();
    let task_hub = Arc::clone(&hub);
    let task = std::thread::Builder::new()
        .name("watchdog-test".into())
        .spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap()
                .block_on(watchdog(
                    task_hub,
                    notifier,
                    Duration::from_millis(50),
                    Duration::from_millis(500),
                ));
        })
        .unwrap();
    let mut buffer = [0u8; 64];
    let length = listener.recv(&mut buffer).unwrap();
    assert_eq!(
        &buffer[..length],
        b"WATCHDOG=1",
        "heartbeats while starting"
    );
    publish(0);
    let length = listener.recv(&mut buffer).unwrap();
    assert_eq!(&buffer[..length], b"WATCHDOG=1");

    // Let the sample go stale, drop what was sent meanwhile, then listen.
    std::thread::sleep(Duration::from_millis(1500));
    listener.set_nonblocking(true).unwrap();
    while listener.recv(&mut buffer).is_ok() {}
    listener.set_nonblocking(false).unwrap();
    listener
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    assert!(
        listener.recv(&mut buffer).is_err(),
        "a heartbeat was sent for a stalled sampler"
    );

    // The sampler recovers: heartbeats resume.
    publish(1);
    listener
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let length = listener.recv(&mut buffer).unwrap();
    assert_eq!(&buffer[..length], b"WATCHDOG=1");
    hub.shut_down();
    task.join().unwrap();
}

#[test]
fn sigterm_closes_every_viewer_with_going_away_and_exits_zero() {
    let mut service = Service::start(&[]);
    let mut clients: Vec<_> = (0..3).map(|_| service.connect()).collect();
    for client in &mut clients {
        read_start(client);
        next_sample(client);
    }
    let pid = service.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());

    for client in &mut clients {
        let close = read_close(client).expect("a close frame with a code");
        assert_eq!(close.code, CloseCode::Away);
    }
    let started = Instant::now();
    let status = loop {
        if let Some(status) = service.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status}");
    assert_eq!(service.next_notification(), "STOPPING=1");
}

#[test]
fn a_server_that_cannot_bind_says_so_and_what_to_do() {
    // A port this test holds: the server cannot bind it, and says so in the log.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let output = server_command(&["--config", "/dev/null", "--bind", &taken_addr])
        .env("JOURNAL_STREAM", "8:12345")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!("cannot listen on {taken_addr}")) && stderr.contains("--bind"),
        "{stderr}"
    );
    // Its start line under journald: tests/journald.rs, which gives stderr
    // the device and inode JOURNAL_STREAM names.
}

/// systemd-analyze, or a failure that says how to get it.
fn systemd_analyze() -> &'static str {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "systemd-analyze is not installed: apt-get install systemd (scripts/test.sh does)"
    );
    "systemd-analyze"
}

/// The shipped unit with `ExecStart` pointing at the binary just built.
fn unit_for_this_build(dir: &Path) -> PathBuf {
    let unit = std::fs::read_to_string(repo_file("assets/hostpulse-server.service")).unwrap();
    let unit = unit.replace("/usr/bin/hostpulse-server", SERVER);
    let path = dir.join("hostpulse-server.service");
    std::fs::write(&path, unit).unwrap();
    path
}

#[test]
fn the_unit_verifies_and_scores_at_most_2_0_exposure() {
    let tool = systemd_analyze();
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_this_build(dir.path());

    let verify = Command::new(tool)
        .args(["verify", "--recursive-errors=no", "--man=no"])
        .arg(&unit)
        .output()
        .unwrap();
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // The threshold is in tenths: 20 is an exposure of 2.0.
    let security = Command::new(tool)
        .args(["security", "--offline=yes", "--threshold=20"])
        .arg(&unit)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    assert!(
        security.status.success(),
        "exposure above 2.0:\n{report}{}",
        String::from_utf8_lossy(&security.stderr)
    );
    let exposure: f64 = report
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for hostpulse-server.service: "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no overall exposure in {report}"));
    assert!(exposure <= 2.0, "exposure {exposure}");
}
