//! One program under measurement, started and stopped by this process: it gets
//! a free loopback port (written into its command line wherever `{port}`
//! appears), its output goes to a log file, and it is killed by its PID when
//! the measurement ends, fails, or is interrupted.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The placeholder replaced by the port in the peer's command line.
pub const PORT_PLACEHOLDER: &str = "{port}";

/// A peer that could not be started or did not come up.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// No command given.
    #[error("no command to run")]
    NoCommand,
    /// No free port could be found.
    #[error("cannot find a free loopback port: {0}")]
    Port(std::io::Error),
    /// The log file could not be created.
    #[error("cannot create the log file {path}: {source}")]
    Log {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The program could not be started.
    #[error("cannot start `{program}`: {source} (is it installed and on PATH?)")]
    Spawn {
        /// The program.
        program: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The program exited before it was ready.
    #[error("`{program}` exited ({status}) before it was ready{}", log_hint(.log.as_deref()))]
    Exited {
        /// The program.
        program: String,
        /// How it ended.
        status: std::process::ExitStatus,
        /// Its log, if kept.
        log: Option<PathBuf>,
    },
    /// The program did not accept connections in time.
    #[error("`{program}` did not accept connections on {addr} within {timeout:?}{}", log_hint(.log.as_deref()))]
    NotReady {
        /// The program.
        program: String,
        /// Where it should listen.
        addr: SocketAddr,
        /// How long it was given.
        timeout: Duration,
        /// Its log, if kept.
        log: Option<PathBuf>,
    },
}

fn log_hint(log: Option<&Path>) -> String {
    log.map_or_else(String::new, |log| {
        format!("; its output is in {}", log.display())
    })
}

/// A running peer. Dropping it kills the process.
#[derive(Debug)]
pub struct Peer {
    child: Child,
    program: String,
    /// Its PID, for `/proc` readings.
    pub pid: u32,
    /// Where it listens, when its command line asked for a port.
    pub addr: Option<SocketAddr>,
    log: Option<PathBuf>,
}

impl Peer {
    /// Starts `command` (program and arguments), with a free loopback port in
    /// place of every `{port}` and its output in `log` (or discarded).
    pub fn spawn(command: &[String], log: Option<&Path>) -> Result<Self, PeerError> {
        let (program, args) = command.split_first().ok_or(PeerError::NoCommand)?;
        let addr = if command.iter().any(|arg| arg.contains(PORT_PLACEHOLDER)) {
            let port = free_loopback_port().map_err(PeerError::Port)?;
            Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        } else {
            None
        };
        let port = addr.map(|addr| addr.port().to_string()).unwrap_or_default();
        let output = || -> Result<Stdio, PeerError> {
            let Some(path) = log else {
                return Ok(Stdio::null());
            };
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map(Stdio::from)
                .map_err(|source| PeerError::Log {
                    path: path.to_owned(),
                    source,
                })
        };
        let child = Command::new(program)
            .args(args.iter().map(|arg| arg.replace(PORT_PLACEHOLDER, &port)))
            .stdin(Stdio::null())
            .stdout(output()?)
            .stderr(output()?)
            .spawn()
            .map_err(|source| PeerError::Spawn {
                program: program.clone(),
                source,
            })?;
        Ok(Self {
            pid: child.id(),
            child,
            program: program.clone(),
            addr,
            log: log.map(Path::to_owned),
        })
    }

    /// The program's name, as started.
    #[must_use]
    pub fn program(&self) -> &str {
        &self.program
    }

    /// Waits until the peer accepts TCP connections on its port (at once when
    /// it has none), checking it is still running.
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<(), PeerError> {
        let start = Instant::now();
        loop {
            self.check_running()?;
            let Some(addr) = self.addr else {
                return Ok(());
            };
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(PeerError::NotReady {
                    program: self.program.clone(),
                    addr,
                    timeout,
                    log: self.log.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An error if the process has exited.
    pub fn check_running(&mut self) -> Result<(), PeerError> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(PeerError::Exited {
                program: self.program.clone(),
                status,
                log: self.log.clone(),
            }),
            Ok(None) | Err(_) => Ok(()),
        }
    }

    /// Kills the process (by its PID) and reaps it.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nobody listens on now (the OS picks it). Another program
/// could take it before the peer binds it; the peer then fails to start and
/// says so.
pub fn free_loopback_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_port_goes_into_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("peer.log");
        let command = ["sh", "-c", "echo listening on {port}; sleep 30"].map(String::from);
        let mut peer = Peer::spawn(&command, Some(&log)).unwrap();
        let port = peer.addr.unwrap().port();
        // It never listens: not ready, and the error names the log.
        let error = peer
            .wait_ready(Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(matches!(error, PeerError::NotReady { .. }), "{error}");
        assert!(error.to_string().contains("peer.log"), "{error}");
        peer.stop();
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.trim(), format!("listening on {port}"));
    }

    #[tokio::test]
    async fn a_peer_that_exits_is_reported() {
        let command = ["sh", "-c", "exit 3"].map(String::from);
        let mut peer = Peer::spawn(&command, None).unwrap();
        assert!(peer.addr.is_none());
        let error = (0..500)
            .find_map(|_| {
                std::thread::sleep(Duration::from_millis(20));
                peer.check_running().err()
            })
            .expect("the shell exits");
        assert!(matches!(error, PeerError::Exited { .. }), "{error}");
        assert!(error.to_string().contains("exit status: 3"), "{error}");
    }

    #[test]
    fn a_missing_program_is_named() {
        let command = ["hostpulse-no-such-program".to_owned()];
        let error = Peer::spawn(&command, None).unwrap_err();
        assert!(
            error.to_string().contains("hostpulse-no-such-program"),
            "{error}"
        );
    }
}
