//! Desktop notifications, from a thread of their own: the UI thread hands a
//! notice to a small bounded queue and never waits (ARCHITECTURE.md,
//! invariant 5), and the thread talks to the desktop's notification service
//! (the freedesktop one, over the D-Bus session bus, through notify-rust).
//!
//! Where no service answers (no session bus, or nothing owns
//! `org.freedesktop.Notifications`), the thread says so once, in the log and
//! in [`DesktopStatus`], and alerts stay in the dashboard's panel. It keeps
//! trying with each notice, so a service started later is used.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use crate::link::Wake;

/// Notices waiting for the desktop; more are dropped (and counted) rather
/// than queued: a desktop that slow would show them too late anyway.
const QUEUE_CAPACITY: usize = 16;

/// How insistent a notice is; desktops map it to colour and timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// A resolve, or news that needs nothing done.
    Low,
    /// A warning.
    Normal,
    /// A critical alert; many desktops keep it until dismissed.
    Critical,
}

/// One desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopNotice {
    /// The title: host and what happened.
    pub summary: String,
    /// How much, and the rule's sentence.
    pub body: String,
    /// How insistent.
    pub urgency: Urgency,
}

/// Whether notifications reach the desktop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DesktopStatus {
    /// The dashboard sends none (tests, measurements).
    Off,
    /// Still asking the desktop which service answers.
    Probing,
    /// Notices go to this service, e.g. "dunst 1.9.0".
    Ready(String),
    /// No service answered: why. Alerts are shown in the panel only.
    Unavailable(String),
}

/// The notice of "Test notification" and `--test-notification`.
#[must_use]
pub fn test_notice() -> DesktopNotice {
    DesktopNotice {
        summary: "HostPulse: test notification".into(),
        body: "Alerts from your hosts will look like this.".into(),
        urgency: Urgency::Normal,
    }
}

/// Why the desktop did not take a notice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no desktop notification service answered: {0}")]
pub struct NotifyError(pub String);

/// The desktop's notification service, as the notifier thread sees it.
pub trait Desktop: Send + 'static {
    /// Which service answers, e.g. "dunst 1.9.0".
    fn probe(&mut self) -> Result<String, NotifyError>;
    /// Shows one notice.
    fn show(&mut self, notice: &DesktopNotice) -> Result<(), NotifyError>;
}

/// The freedesktop notification service on the D-Bus session bus
/// (`DBUS_SESSION_BUS_ADDRESS`), as every Linux desktop runs one.
#[derive(Debug, Default)]
pub struct Freedesktop;

impl Desktop for Freedesktop {
    fn probe(&mut self) -> Result<String, NotifyError> {
        let info = notify_rust::get_server_information().map_err(|e| NotifyError(e.to_string()))?;
        Ok(format!("{} {}", info.name, info.version))
    }

    fn show(&mut self, notice: &DesktopNotice) -> Result<(), NotifyError> {
        notify_rust::Notification::new()
            .appname("HostPulse")
            .icon("hostpulse")
            .summary(&notice.summary)
            // Servers may read the body as markup: the text is ours, the
            // names in it (hosts, mounts, sensors) are not.
            .body(&escape_markup(&notice.body))
            .urgency(match notice.urgency {
                Urgency::Low => notify_rust::Urgency::Low,
                Urgency::Normal => notify_rust::Urgency::Normal,
                Urgency::Critical => notify_rust::Urgency::Critical,
            })
            .show()
            .map(drop)
            .map_err(|e| NotifyError(e.to_string()))
    }
}

/// `&`, `<` and `>` as the notification spec's markup wants them.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The sending end: hands notices to the thread, reads how it goes.
#[derive(Debug)]
pub struct Notifier {
    queue: Option<SyncSender<DesktopNotice>>,
    status: Arc<Mutex<DesktopStatus>>,
    dropped: u64,
}

impl Notifier {
    /// A notifier that sends nothing ([`DesktopStatus::Off`]).
    #[must_use]
    pub fn off() -> Self {
        Self {
            queue: None,
            status: Arc::new(Mutex::new(DesktopStatus::Off)),
            dropped: 0,
        }
    }

    /// Starts the thread that talks to `desktop`; `wake` repaints the app
    /// when the status changes. A thread that cannot start leaves the
    /// notifier unavailable, saying why.
    pub fn spawn(desktop: impl Desktop, wake: Wake) -> Self {
        let status = Arc::new(Mutex::new(DesktopStatus::Probing));
        let (queue, notices) = sync_channel(QUEUE_CAPACITY);
        let shared = Arc::clone(&status);
        let started = std::thread::Builder::new()
            .name("hostpulse-notify".into())
            .spawn(move || run(desktop, &notices, &shared, &wake));
        if let Err(error) = started {
            set(
                &status,
                DesktopStatus::Unavailable(format!("cannot start its thread: {error}")),
            );
            return Self {
                queue: None,
                status,
                dropped: 0,
            };
        }
        Self {
            queue: Some(queue),
            status,
            dropped: 0,
        }
    }

    /// Hands `notice` to the thread without waiting; false when it cannot
    /// take it (off, or its queue is full).
    pub fn send(&mut self, notice: DesktopNotice) -> bool {
        let Some(queue) = &self.queue else {
            return false;
        };
        match queue.try_send(notice) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped += 1;
                tracing::warn!(
                    dropped = self.dropped,
                    "the desktop is not taking notifications: dropping one"
                );
                false
            }
        }
    }

    /// Whether notices reach the desktop.
    #[must_use]
    pub fn status(&self) -> DesktopStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The thread: asks which service answers, then shows each notice. Ends
/// when the app drops its [`Notifier`].
fn run(
    mut desktop: impl Desktop,
    notices: &Receiver<DesktopNotice>,
    status: &Mutex<DesktopStatus>,
    wake: &Wake,
) {
    let mut said_unavailable = false;
    let mut update = |result: Result<String, NotifyError>| {
        let next = match result {
            Ok(server) => DesktopStatus::Ready(server),
            Err(NotifyError(why)) => {
                if !said_unavailable {
                    tracing::warn!(
                        %why,
                        "no desktop notification service: alerts are shown in the dashboard only"
                    );
                    said_unavailable = true;
                }
                DesktopStatus::Unavailable(why)
            }
        };
        if set(status, next) {
            wake();
        }
    };
    update(desktop.probe());
    while let Ok(notice) = notices.recv() {
        let shown = desktop.show(&notice);
        let result = match shown {
            // A service that answers again after failing says who it is.
            Ok(()) => match current(status) {
                DesktopStatus::Ready(server) => Ok(server),
                _ => desktop.probe(),
            },
            Err(error) => Err(error),
        };
        update(result);
    }
}

fn current(status: &Mutex<DesktopStatus>) -> DesktopStatus {
    status
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Sets the status; true when it changed.
fn set(status: &Mutex<DesktopStatus>, next: DesktopStatus) -> bool {
    let mut guard = status.lock().unwrap_or_else(PoisonError::into_inner);
    let changed = *guard != next;
    *guard = next;
    changed
}

/// A stand-in for the desktop's notification service that keeps what it is
/// shown, or refuses everything: a mock, for the UI tests, where no D-Bus
/// session runs (the real service is tested against dunst in
/// `tests/desktop_notifications.rs`).
#[cfg(any(test, feature = "test-support"))]
#[derive(Debug, Clone, Default)]
pub struct RecordingDesktop {
    /// What was shown, oldest first.
    pub shown: Arc<Mutex<Vec<DesktopNotice>>>,
    /// When set, every call fails with this reason.
    pub refuse: Option<String>,
}

#[cfg(any(test, feature = "test-support"))]
impl RecordingDesktop {
    /// What was shown so far.
    #[must_use]
    pub fn notices(&self) -> Vec<DesktopNotice> {
        self.shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(any(test, feature = "test-support"))]
impl Desktop for RecordingDesktop {
    fn probe(&mut self) -> Result<String, NotifyError> {
        match &self.refuse {
            Some(why) => Err(NotifyError(why.clone())),
            None => Ok("recording desktop".into()),
        }
    }

    fn show(&mut self, notice: &DesktopNotice) -> Result<(), NotifyError> {
        self.probe()?;
        self.shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(notice.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn notice(summary: &str) -> DesktopNotice {
        DesktopNotice {
            summary: summary.into(),
            body: "b & <c>".into(),
            urgency: Urgency::Normal,
        }
    }

    /// Waits (bounded) until `done` holds.
    fn eventually(mut done: impl FnMut() -> bool) -> bool {
        let give_up = Instant::now() + Duration::from_secs(10);
        while Instant::now() < give_up {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn notices_reach_the_desktop_from_the_thread_in_order() {
        let desktop = RecordingDesktop::default();
        let mut notifier = Notifier::spawn(desktop.clone(), Arc::new(|| {}));
        assert!(notifier.send(notice("one")) && notifier.send(notice("two")));
        assert!(eventually(|| desktop.notices().len() == 2));
        let summaries: Vec<String> = desktop.notices().into_iter().map(|n| n.summary).collect();
        assert_eq!(summaries, ["one", "two"]);
        assert_eq!(
            notifier.status(),
            DesktopStatus::Ready("recording desktop".into())
        );
    }

    #[test]
    fn without_a_service_the_status_says_why_and_nothing_blocks() {
        let desktop = RecordingDesktop {
            refuse: Some("org.freedesktop.Notifications was not provided".into()),
            ..RecordingDesktop::default()
        };
        let mut notifier = Notifier::spawn(desktop, Arc::new(|| {}));
        assert!(eventually(|| matches!(
            notifier.status(),
            DesktopStatus::Unavailable(why) if why.contains("not provided")
        )));
        assert!(notifier.send(notice("into the void")), "still tried");
        let mut off = Notifier::off();
        assert!(!off.send(notice("nowhere")));
        assert_eq!(off.status(), DesktopStatus::Off);
    }

    /// A service that says when it is shown a notice, and then does not
    /// answer until released.
    struct Hanging {
        entered: SyncSender<()>,
        release: Receiver<()>,
    }

    impl Desktop for Hanging {
        fn probe(&mut self) -> Result<String, NotifyError> {
            Ok("hanging".into())
        }

        fn show(&mut self, _: &DesktopNotice) -> Result<(), NotifyError> {
            let _ = self.entered.send(());
            let _ = self.release.recv();
            Ok(())
        }
    }

    #[test]
    fn a_hanging_service_fills_the_bounded_queue_and_the_rest_is_dropped() {
        let (entered, inside) = sync_channel(1);
        let (release, hang) = sync_channel::<()>(1);
        let desktop = Hanging {
            entered,
            release: hang,
        };
        let mut notifier = Notifier::spawn(desktop, Arc::new(|| {}));
        assert!(notifier.send(notice("taken")));
        inside.recv_timeout(Duration::from_secs(10)).unwrap();
        // The thread is stuck on the first notice: a queue's worth more is
        // taken, and every send after that returns false at once.
        let taken = (0..100)
            .filter(|n| notifier.send(notice(&n.to_string())))
            .count();
        assert_eq!(taken, QUEUE_CAPACITY);
        assert_eq!(notifier.dropped, 100 - QUEUE_CAPACITY as u64);
        drop(release);
    }

    #[test]
    fn markup_in_names_is_shown_as_text() {
        assert_eq!(escape_markup("a & <b>"), "a &amp; &lt;b&gt;");
    }
}
