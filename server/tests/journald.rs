//! Journald detection on the real binary: log lines carry the `<N>` priority
//! prefix only when `JOURNAL_STREAM` names the very file stderr is, as
//! systemd.exec(5) advises; an inherited variable that names another file (a
//! terminal started from a service, say) leaves the lines as they are.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::os::unix::fs::MetadataExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts the server with stderr to a file and `JOURNAL_STREAM` made by
/// `journal_stream` from that file's device and inode; its first log line.
fn first_log_line(journal_stream: impl Fn(u64, u64) -> String) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stderr");
    let file = std::fs::File::create(&path).unwrap();
    let metadata = file.metadata().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hostpulse-server"))
        .args(["--bind", "127.0.0.1:0", "--config", "/dev/null"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "info")
        .env(
            "JOURNAL_STREAM",
            journal_stream(metadata.dev(), metadata.ino()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .unwrap();
    let give_up = Instant::now() + Duration::from_secs(30);
    let line = loop {
        let text = std::fs::read_to_string(&path).unwrap();
        if let Some(line) = text.lines().find(|line| line.contains("listening on")) {
            break line.to_owned();
        }
        if Instant::now() > give_up {
            let _ = child.kill();
            panic!("the server did not start: {text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    line
}

#[test]
fn a_journal_stream_naming_stderr_gets_syslog_priorities() {
    let line = first_log_line(|dev, ino| format!("{dev}:{ino}"));
    assert!(line.starts_with("<6>"), "{line}");
    assert!(
        !line.starts_with("<6>20"),
        "no timestamp (journald adds one): {line}"
    );
    for field in ["interval_ms=1000", "history=3600", "auth=", "tls="] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
}

#[test]
fn a_journal_stream_naming_another_file_is_ignored() {
    for value in [
        |dev: u64, ino: u64| format!("{dev}:{}", ino + 1),
        |dev: u64, ino: u64| format!("{}:{ino}", dev + 1),
        |_: u64, _: u64| "garbage".to_owned(),
    ] {
        let line = first_log_line(value);
        assert!(!line.starts_with('<'), "{line}");
    }
}

/// The server's stderr, with `JOURNAL_STREAM` naming it, when `args` end it at once.
fn fatal_output(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stderr");
    let file = std::fs::File::create(&path).unwrap();
    let metadata = file.metadata().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_hostpulse-server"))
        .args(args)
        .env(
            "JOURNAL_STREAM",
            format!("{}:{}", metadata.dev(), metadata.ino()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .status()
        .unwrap();
    (status.code(), std::fs::read_to_string(&path).unwrap())
}

#[test]
fn a_fatal_error_is_one_journal_entry_at_priority_err() {
    // A TOML syntax error: the parser's message spans several lines.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.toml");
    std::fs::write(&config, "bind = \"127.0.0.1:9470\"\nhistory = [1,\n").unwrap();
    let (code, stderr) = fatal_output(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one entry: {stderr:?}");
    assert!(
        stderr.starts_with("<3>hostpulse-server: configuration error: ")
            && stderr.contains("server.toml"),
        "{stderr}"
    );

    // The serve error: a port this test holds.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let (code, stderr) = fatal_output(&["--config", "/dev/null", "--bind", &address]);
    assert_eq!(code, Some(1), "{stderr}");
    let fatal: Vec<&str> = stderr.lines().filter(|l| l.starts_with("<3>")).collect();
    assert_eq!(fatal.len(), 1, "{stderr}");
    assert!(
        fatal[0].contains(&format!("cannot listen on {address}")),
        "{stderr}"
    );
}
