//! Telling systemd how the server is doing (the `sd_notify` protocol): `READY=1`
//! once the port is bound, `WATCHDOG=1` only while the sampler makes progress
//! (so a stuck sampler stops the heartbeats and systemd restarts the service),
//! `STOPPING=1` on the way out.
//!
//! The protocol is one datagram per message to the socket in `NOTIFY_SOCKET`;
//! it is written here rather than taken from a crate so that the socket can be
//! given explicitly, which lets the tests listen on a socket of their own.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;
use std::time::Duration;

use crate::hub::Hub;

/// A connection to systemd's notification socket.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    path: String,
}

impl Notifier {
    /// The notifier systemd asked for through `NOTIFY_SOCKET`, if any.
    #[must_use]
    pub fn from_env() -> Option<Self> {
        let path = std::env::var("NOTIFY_SOCKET").ok()?;
        match Self::at(&path) {
            Ok(notifier) => Some(notifier),
            Err(error) => {
                tracing::warn!(%error, path, "cannot use NOTIFY_SOCKET; systemd will not hear from us");
                None
            }
        }
    }

    /// A notifier for the socket at `path` (`@name` for an abstract socket).
    pub fn at(path: &str) -> io::Result<Self> {
        let socket = UnixDatagram::unbound()?;
        if let Some(name) = path.strip_prefix('@') {
            #[cfg(target_os = "linux")]
            {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
                socket.connect_addr(&addr)?;
            }
            #[cfg(not(target_os = "linux"))]
            {
                let _ = name;
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "abstract sockets exist only on Linux",
                ));
            }
        } else {
            socket.connect(path)?;
        }
        Ok(Self {
            socket,
            path: path.to_owned(),
        })
    }

    /// Sends one notification, e.g. `"READY=1"`. A failure is logged, not fatal:
    /// the server serves whether or not systemd listens.
    pub fn notify(&self, state: &str) {
        if let Err(error) = self.socket.send(state.as_bytes()) {
            tracing::warn!(%error, path = self.path, "cannot notify systemd");
        }
    }
}

/// Tells systemd (when it is listening) that the server at `url` is ready, and
/// starts the watchdog heartbeat if systemd asked for one. Returns the notifier
/// for the `STOPPING=1` to come. Call once the listener is bound.
pub fn announce_ready(hub: &Arc<Hub>, url: &str) -> Option<Notifier> {
    let notifier = Notifier::from_env()?;
    notifier.notify(&format!("READY=1\nSTATUS=Listening on {url}"));
    if let (Some(period), Some(watchdog_notifier)) = (watchdog_period(), Notifier::from_env()) {
        actix_web::rt::spawn(watchdog(
            Arc::clone(hub),
            watchdog_notifier,
            period,
            hub.stale_after(),
        ));
    }
    Some(notifier)
}

/// How often systemd wants a heartbeat: half of `WATCHDOG_USEC`, if it is set
/// and meant for this process.
#[must_use]
pub fn watchdog_period() -> Option<Duration> {
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.trim() != std::process::id().to_string()
    {
        return None;
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// Sends `WATCHDOG=1` every `period` while the hub's newest sample is younger
/// than `stale_after` — or, before the first sample (which waits for the next
/// interval boundary), for `stale_after` from the start — until the hub shuts
/// down. A stalled sampler means no heartbeat: systemd then restarts the service.
pub async fn watchdog(hub: Arc<Hub>, notifier: Notifier, period: Duration, stale_after: Duration) {
    let started = std::time::Instant::now();
    let mut shutdown = hub.shutdown_signal();
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stalled = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        }
        let fresh = match hub.latest() {
            Some(latest) => latest.published_at.elapsed() <= stale_after,
            None => started.elapsed() <= stale_after,
        };
        if fresh {
            notifier.notify("WATCHDOG=1");
        } else if hub.latest().is_some() && !stalled {
            tracing::error!(
                stale_after_ms = stale_after.as_millis(),
                "the sampler has stalled: withholding the systemd watchdog"
            );
        }
        stalled = !fresh;
    }
}
