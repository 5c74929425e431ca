//! The real `hostpulse-server` binary in a process of its own, so that its
//! resident memory can be read from `/proc` while it is attacked, or it can
//! be stopped with a signal and started again (`tests/history.rs` shares
//! this module).

#![allow(
    dead_code,
    reason = "shared by tests/attacks and tests/history, each using a part"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A server process on a free loopback port; killed (by its PID) when dropped.
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts the binary with `--bind 127.0.0.1:0`, its history in memory
    /// only (the attacks measure what strangers make the server hold, not the
    /// disk) and `args`, and waits for the line that says where it listens.
    #[allow(
        dead_code,
        reason = "the attacks start it so; tests/history.rs does not"
    )]
    pub fn start(args: &[&str]) -> Self {
        let mut all = vec!["--history-memory-only"];
        all.extend_from_slice(args);
        Self::spawn(&all)
    }

    /// Starts the binary with `--bind 127.0.0.1:0`, its history on disk in
    /// `data_dir`, and `args`.
    #[allow(
        dead_code,
        reason = "tests/history.rs starts it so; the attacks do not"
    )]
    pub fn with_history(data_dir: &std::path::Path, args: &[&str]) -> Self {
        let mut all = vec!["--data-dir", data_dir.to_str().expect("a UTF-8 path")];
        all.extend_from_slice(args);
        Self::spawn(&all)
    }

    fn spawn(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hostpulse-server"))
            .args(["--bind", "127.0.0.1:0", "--config", "/dev/null"])
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env_remove("JOURNAL_STREAM")
            // The server refuses HOSTPULSE_ variables it does not know.
            .env_remove("HOSTPULSE_ATTACK_FULL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (found, addr) = std::sync::mpsc::sync_channel(1);
        let lines = Arc::clone(&log);
        std::thread::Builder::new()
            .name("server-log".into())
            .spawn(move || {
                let mut found = Some(found);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(at) = line.find("listening on http://") {
                        let rest = &line[at + "listening on http://".len()..];
                        let addr: String =
                            rest.chars().take_while(|c| !c.is_whitespace()).collect();
                        if let Some(found) = found.take() {
                            let _ = found.send(addr);
                        }
                    }
                    lines.lock().unwrap().push(line);
                }
            })
            .unwrap();
        let addr = addr
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the server did not start: {:?}", log.lock().unwrap()))
            .parse()
            .unwrap();
        Self { child, addr, log }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the server has logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn status_field(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status
            .lines()
            .find(|line| line.starts_with(field))
            .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"));
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap();
        kib * 1024
    }

    /// Resident memory now.
    pub fn rss_bytes(&self) -> u64 {
        self.status_field("VmRSS:")
    }

    /// The highest resident memory since the last [`Self::reset_peak`].
    pub fn peak_bytes(&self) -> u64 {
        self.status_field("VmHWM:")
    }

    /// Starts the peak over from the resident memory now (`clear_refs` 5).
    pub fn reset_peak(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").unwrap();
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`-TERM`, `-STOP`, `-CONT`).
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(sent.success(), "kill {signal} {pid}");
    }

    /// Sends `signal` (`-TERM`, `-KILL`) and waits, at most 20 s, for the exit.
    pub fn stop(mut self, signal: &str) -> std::process::ExitStatus {
        self.signal(signal);
        let give_up = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < give_up,
                "still running after kill {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for `/healthz` to answer 200 (the first sample is taken).
    pub fn wait_healthy(&self) {
        let give_up = Instant::now() + Duration::from_secs(20);
        while get(self.addr, "/healthz", "").0 != 200 {
            assert!(Instant::now() < give_up, "the server never became healthy");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One GET on a fresh connection: status (0 when refused or cut) and the response.
pub fn get(addr: SocketAddr, path: &str, headers: &str) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // A server that refuses the request may close before it is all sent:
    // read its answer anyway.
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{headers}\r\n"
    );
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}
