//! The app's side of alerts. On every pass it takes each host's new alert
//! transitions and the dashboard's own "unreachable for 30 s" rule, logs
//! them, and hands a desktop notice to the notifier thread unless the host
//! is muted or "do not disturb" is on. Where the desktop has no notification
//! service, the alerts panel opens instead and says so once. Also the
//! commands of the alerts panel. Kept apart from `app.rs`, which routes
//! hosts and the time view.

use std::collections::BTreeSet;
use std::time::Instant;

use egui::{RichText, Ui};
use hostpulse_shared::{AlertEvent, AlertState, Severity};

use super::DashboardApp;
use crate::alerts::describe;
use crate::alerts::log::{AlertLog, Entry, Happening};
use crate::alerts::reachability::{Change, Reachability};
use crate::command::Command;
use crate::host::{Host, unix_ms_now};
use crate::notify::{DesktopNotice, DesktopStatus, Freedesktop, Notifier, Urgency, test_notice};
use crate::panels::alerts::AlertsPanel;
use crate::prefs::AlertPrefs;
use crate::status::Connection;

/// What "This computer" is remembered as among the muted hosts: its
/// in-process server listens on a new port each run.
const LOCAL_MUTE_KEY: &str = "this-computer";

/// Alerting state of the app.
#[derive(Debug)]
pub(super) struct Alerting {
    log: AlertLog,
    reachability: Reachability,
    notifier: Notifier,
    /// Hosts whose alerts notify nobody, by id.
    muted: BTreeSet<u64>,
    do_not_disturb: bool,
    /// The alerts panel is shown.
    pub(super) open: bool,
}

impl Alerting {
    /// Nothing logged, nothing muted, no desktop notifications.
    pub(super) fn new() -> Self {
        Self {
            log: AlertLog::default(),
            reachability: Reachability::default(),
            notifier: Notifier::off(),
            muted: BTreeSet::new(),
            do_not_disturb: false,
            open: false,
        }
    }
}

impl DashboardApp {
    /// Sends desktop notifications through `notifier` from now on.
    pub fn attach_notifier(&mut self, notifier: Notifier) {
        self.alerting.notifier = notifier;
    }

    /// Sends desktop notifications to the desktop's own service (the
    /// binary does; tests attach a stand-in or none).
    pub fn notify_desktop(&mut self) {
        let notifier = Notifier::spawn(Freedesktop, self.repaint_wake());
        self.attach_notifier(notifier);
    }

    /// Takes every host's new alert transitions and applies the
    /// "unreachable" rule at `now`: logs them and notifies the desktop.
    /// Called on every pass, also while the window is hidden.
    pub fn watch_alerts(&mut self, now: Instant) {
        let now_ms = unix_ms_now();
        let mut notices = Vec::new();
        for host in &mut self.hosts {
            let name = host.display_name().to_owned();
            for event in host.alerts.take_fresh() {
                let notice = server_notice(&name, &event, host);
                self.alerting.log.push(Entry {
                    host_id: host.id,
                    host_name: name.clone(),
                    at_ms: event.timestamp_ms,
                    happening: Happening::Server(event),
                });
                notices.push((host.id, notice));
            }
            let connection = host.connection(now);
            let answering = !matches!(connection, Connection::Connecting | Connection::Down { .. });
            let Some(change) = self
                .alerting
                .reachability
                .step(host.id, answering, now, now_ms)
            else {
                continue;
            };
            let (happening, notice) = match change {
                Change::Unreachable { since_ms } => {
                    let reason = match &connection {
                        Connection::Down { reason, .. } => reason.clone(),
                        _ => "no answer to the connection".to_owned(),
                    };
                    let notice = DesktopNotice {
                        summary: format!("{name} unreachable"),
                        body: format!(
                            "No answer since {} ({reason}). Its alerts cannot reach this \
                             dashboard until it answers.",
                            crate::format::time_of_day(since_ms)
                        ),
                        urgency: Urgency::Critical,
                    };
                    (Happening::Unreachable { reason }, notice)
                }
                Change::Reachable { silent_secs } => (
                    Happening::Reachable { silent_secs },
                    DesktopNotice {
                        summary: format!("{name} reachable again"),
                        body: format!(
                            "It answers again, after {}.",
                            crate::format::duration_secs(silent_secs)
                        ),
                        urgency: Urgency::Low,
                    },
                ),
            };
            self.alerting.log.push(Entry {
                host_id: host.id,
                host_name: name,
                at_ms: now_ms,
                happening,
            });
            notices.push((host.id, notice));
        }
        for (host_id, notice) in notices {
            self.notify(host_id, notice);
        }
    }

    /// Hands `notice` to the desktop unless the host is muted or "do not
    /// disturb" is on; where no notification service answers, opens the
    /// panel, which says so.
    fn notify(&mut self, host_id: u64, notice: DesktopNotice) {
        let alerting = &mut self.alerting;
        if alerting.do_not_disturb || alerting.muted.contains(&host_id) {
            return;
        }
        match alerting.notifier.status() {
            DesktopStatus::Unavailable(_) | DesktopStatus::Off => alerting.open = true,
            DesktopStatus::Probing | DesktopStatus::Ready(_) => {
                if !alerting.notifier.send(notice) {
                    alerting.open = true;
                }
            }
        }
    }

    /// When the "unreachable" rule next needs a look.
    pub(super) fn alerts_deadline(&self) -> Option<Instant> {
        self.alerting.reachability.next_deadline()
    }

    /// Shows or hides the alerts panel.
    pub(super) fn toggle_alerts_panel(&mut self) {
        self.alerting.open = !self.alerting.open;
    }

    /// Mutes host `id`, or unmutes it.
    pub(super) fn toggle_mute(&mut self, id: u64) {
        if !self.alerting.muted.remove(&id) {
            self.alerting.muted.insert(id);
        }
    }

    /// Turns "do not disturb" on or off.
    pub(super) fn toggle_do_not_disturb(&mut self) {
        self.alerting.do_not_disturb = !self.alerting.do_not_disturb;
    }

    /// Sends one test notice to the desktop (whatever the mutes say: it was
    /// asked for); opens the panel when the desktop cannot take it.
    pub(super) fn test_notification(&mut self) {
        let sent = self.alerting.notifier.send(test_notice());
        if !sent {
            self.alerting.open = true;
        }
    }

    /// Opens host `host_id` at `at_ms`: the plots hold still with the moment
    /// a quarter of the window from the right (what led up to it, and what
    /// followed), marked.
    pub(super) fn open_alert(&mut self, host_id: u64, at_ms: u64) {
        let span_ms = self.view.window.millis();
        let end_ms = at_ms.saturating_add(span_ms / 4);
        self.view.show_range(end_ms.saturating_sub(span_ms), end_ms);
        self.view.marked_ms = Some(at_ms);
        self.selected = Some(host_id);
        self.fleet = false;
    }

    /// Host `id` has left the list: it can no longer be unreachable.
    pub(super) fn stop_watching_reachability(&mut self, id: u64) {
        self.alerting.reachability.forget(id);
    }

    /// Host `id` is gone for good (its undo is over): its mute goes too.
    pub(super) fn forget_mute(&mut self, id: u64) {
        self.alerting.muted.remove(&id);
    }

    /// What to remember of alerts: the panel, "do not disturb", and the
    /// muted hosts by URL.
    pub(super) fn alert_prefs(&self) -> AlertPrefs {
        AlertPrefs {
            panel_open: self.alerting.open,
            do_not_disturb: self.alerting.do_not_disturb,
            muted: self
                .hosts
                .iter()
                .filter(|h| self.alerting.muted.contains(&h.id))
                .map(|h| self.mute_key(h))
                .collect(),
        }
    }

    /// Takes up what was remembered of alerts, for the hosts listed now.
    pub(super) fn restore_alerting(&mut self, prefs: &AlertPrefs) {
        let muted: Vec<u64> = self
            .hosts
            .iter()
            .filter(|h| prefs.muted.contains(&self.mute_key(h)))
            .map(|h| h.id)
            .collect();
        self.alerting.muted.extend(muted);
        self.alerting.open = prefs.panel_open;
        self.alerting.do_not_disturb = prefs.do_not_disturb;
    }

    fn mute_key(&self, host: &Host) -> String {
        if self.local_host() == Some(host.id) {
            LOCAL_MUTE_KEY.to_owned()
        } else {
            host.url().to_owned()
        }
    }

    /// The alerts panel, at the right, while open.
    pub(super) fn alerts_panel_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        if !self.alerting.open {
            return;
        }
        let frame = self.panel_frame(egui::Frame::side_top_panel(ui.style()));
        egui::Panel::right("alerts")
            .resizable(true)
            .default_size(340.0)
            .frame(frame)
            .show(ui, |ui| {
                AlertsPanel {
                    hosts: &self.hosts,
                    log: &self.alerting.log,
                    reachability: &self.alerting.reachability,
                    desktop: &self.alerting.notifier.status(),
                    do_not_disturb: self.alerting.do_not_disturb,
                    muted: &self.alerting.muted,
                }
                .ui(ui, commands);
            });
    }

    /// The top bar's "Alerts" button: how many alerts fire across the
    /// hosts, in the colour of the worst.
    pub(super) fn alerts_button_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let firing: Vec<&AlertEvent> = self.hosts.iter().flat_map(|h| h.alerts.firing()).collect();
        let unreachable = self
            .hosts
            .iter()
            .filter(|h| self.alerting.reachability.unreachable_since(h.id).is_some())
            .count();
        let count = firing.len() + unreachable;
        let text = if count == 0 {
            RichText::new("Alerts")
        } else {
            let critical =
                unreachable > 0 || firing.iter().any(|e| e.severity == Severity::Critical);
            RichText::new(format!("Alerts ({count})")).strong().color(
                crate::panels::alert_mark::color(if critical {
                    Severity::Critical
                } else {
                    Severity::Warning
                }),
            )
        };
        if ui
            .add(egui::Button::new(text).selected(self.alerting.open))
            .on_hover_text("What fires on every host, and the log. Shortcut: A")
            .clicked()
        {
            commands.push(Command::ToggleAlerts);
        }
    }

    /// The log of alert transitions across every host.
    #[must_use]
    pub fn alert_log(&self) -> &AlertLog {
        &self.alerting.log
    }

    /// Whether the alerts panel is shown.
    #[must_use]
    pub fn alerts_open(&self) -> bool {
        self.alerting.open
    }

    /// Whether "do not disturb" is on.
    #[must_use]
    pub fn do_not_disturb(&self) -> bool {
        self.alerting.do_not_disturb
    }

    /// Whether host `id` is muted.
    #[must_use]
    pub fn is_muted(&self, id: u64) -> bool {
        self.alerting.muted.contains(&id)
    }

    /// Whether notices reach the desktop.
    #[must_use]
    pub fn desktop_status(&self) -> DesktopStatus {
        self.alerting.notifier.status()
    }
}

/// The notice of one server transition on `host`.
fn server_notice(name: &str, event: &AlertEvent, host: &Host) -> DesktopNotice {
    let rule = host.alerts.rule(&event.rule);
    DesktopNotice {
        summary: describe::headline(name, event),
        body: describe::body(event, rule),
        urgency: match (event.state, event.severity) {
            (AlertState::Firing, Severity::Critical) => Urgency::Critical,
            (AlertState::Firing, Severity::Warning) => Urgency::Normal,
            (AlertState::Resolved | AlertState::Unknown, _) => Urgency::Low,
        },
    }
}
