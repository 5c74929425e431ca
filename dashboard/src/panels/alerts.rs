//! The alerts panel: what fires now across every host (the servers' alerts
//! and the dashboard's own "unreachable"), then the log, newest first. A
//! click on a line opens its host at that moment. Above them, whether
//! notifications reach the desktop, "do not disturb", a test notification,
//! and each host's mute.

use std::collections::BTreeSet;

use egui::{Color32, RichText, Ui};
use hostpulse_shared::{AlertEvent, AlertState, Severity};

use crate::alerts::describe;
use crate::alerts::log::{AlertLog, Entry, Happening};
use crate::alerts::reachability::Reachability;
use crate::command::Command;
use crate::format;
use crate::host::Host;
use crate::notify::DesktopStatus;
use crate::panels::alert_mark;

/// The panel's title.
pub const TITLE: &str = "Alerts";

/// Log lines shown; the log keeps more.
const SHOWN_LOG_LINES: usize = 200;

/// What the panel draws.
#[derive(Debug)]
pub struct AlertsPanel<'a> {
    /// Every watched host.
    pub hosts: &'a [Host],
    /// The log across the hosts.
    pub log: &'a AlertLog,
    /// The dashboard's own rule, for the hosts it holds unreachable.
    pub reachability: &'a Reachability,
    /// Whether notifications reach the desktop.
    pub desktop: &'a DesktopStatus,
    /// No notifications at all.
    pub do_not_disturb: bool,
    /// Hosts whose alerts notify nobody.
    pub muted: &'a BTreeSet<u64>,
}

impl AlertsPanel<'_> {
    /// Draws the panel; clicks become commands.
    pub fn ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        ui.heading(TITLE);
        self.desktop_ui(ui, commands);
        ui.separator();
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.label(RichText::new("Firing now").strong());
                self.firing_ui(ui, commands);
                ui.add_space(8.0);
                ui.label(RichText::new("Log").strong());
                self.log_ui(ui, commands);
                ui.add_space(8.0);
                ui.label(RichText::new("Notify for").strong());
                self.mutes_ui(ui, commands);
            });
    }

    /// Where notices go, and the switches.
    fn desktop_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let (text, color) = match self.desktop {
            DesktopStatus::Ready(server) => (
                format!("Desktop notifications: {server}"),
                ui.visuals().weak_text_color(),
            ),
            DesktopStatus::Probing => (
                "Looking for the desktop's notification service…".to_owned(),
                ui.visuals().weak_text_color(),
            ),
            DesktopStatus::Unavailable(why) => (
                format!("No desktop notification service ({why}): alerts are shown here only."),
                ui.visuals().warn_fg_color,
            ),
            DesktopStatus::Off => (
                "Desktop notifications are off: alerts are shown here only.".to_owned(),
                ui.visuals().weak_text_color(),
            ),
        };
        ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
        ui.horizontal(|ui| {
            let mut quiet = self.do_not_disturb;
            if ui
                .checkbox(&mut quiet, "Do not disturb")
                .on_hover_text("No desktop notifications; alerts still show here")
                .changed()
            {
                commands.push(Command::ToggleDoNotDisturb);
            }
            if ui
                .button("Test notification")
                .on_hover_text("Send one notification to the desktop now")
                .clicked()
            {
                commands.push(Command::TestNotification);
            }
        });
    }

    /// Every alert firing now, worst first, then the unreachable hosts.
    fn firing_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let mut firing: Vec<(&Host, &AlertEvent)> = self
            .hosts
            .iter()
            .flat_map(|host| host.alerts.firing().iter().map(move |event| (host, event)))
            .collect();
        firing.sort_by_key(|(_, event)| (std::cmp::Reverse(event.severity), event.firing_since_ms));
        let mut any = false;
        for (host, event) in firing {
            any = true;
            let rule = host.alerts.rule(&event.rule);
            let text = format!(
                "{} · {} · {}",
                host.display_name(),
                describe::transition(event),
                describe::how_much(event, rule)
            );
            let since = format!("since {}", format::time_of_day(event.firing_since_ms));
            row_ui(
                ui,
                alert_mark::color(event.severity),
                &text,
                &since,
                Command::OpenAlert {
                    host_id: host.id,
                    at_ms: event.firing_since_ms,
                },
                commands,
            );
        }
        for host in self.hosts {
            if let Some(since_ms) = self.reachability.unreachable_since(host.id) {
                any = true;
                row_ui(
                    ui,
                    alert_mark::color(Severity::Critical),
                    &format!("{} · unreachable", host.display_name()),
                    &format!("no answer since {}", format::time_of_day(since_ms)),
                    Command::OpenAlert {
                        host_id: host.id,
                        at_ms: since_ms,
                    },
                    commands,
                );
            }
        }
        if !any {
            let evaluated = self.hosts.iter().any(|h| h.alerts.evaluated());
            ui.weak(if evaluated {
                "Nothing is firing."
            } else {
                "Nothing is firing. (No host evaluates alert rules: see the server's [[alert]] tables.)"
            });
        }
    }

    fn log_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        if self.log.is_empty() {
            ui.weak("No alert has fired or resolved since the dashboard started.");
            return;
        }
        for entry in self.log.newest_first().take(SHOWN_LOG_LINES) {
            let (color, text) = log_line(entry);
            row_ui(
                ui,
                color,
                &text,
                &format::time_of_day(entry.at_ms),
                Command::OpenAlert {
                    host_id: entry.host_id,
                    at_ms: entry.at_ms,
                },
                commands,
            );
        }
    }

    fn mutes_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        for host in self.hosts {
            let mut notify = !self.muted.contains(&host.id);
            let name = host.display_name();
            let response = ui
                .checkbox(&mut notify, name)
                .on_hover_text(format!("Desktop notifications for {name}'s alerts"));
            let label = format!("Notify for {name}");
            response.widget_info(|| {
                egui::WidgetInfo::selected(egui::Role::CheckBox, true, notify, &label)
            });
            if response.changed() {
                commands.push(Command::ToggleMute(host.id));
            }
        }
    }
}

/// A log entry's colour and words.
fn log_line(entry: &Entry) -> (Color32, String) {
    let host = &entry.host_name;
    match &entry.happening {
        Happening::Server(event) => {
            let color = match event.state {
                AlertState::Firing => alert_mark::color(event.severity),
                AlertState::Resolved | AlertState::Unknown => alert_mark::RESOLVED_COLOR,
            };
            let value = describe::value(&event.metric, event.value);
            (
                color,
                format!("{host} · {} · {value}", describe::transition(event)),
            )
        }
        Happening::Unreachable { reason } => (
            alert_mark::color(Severity::Critical),
            format!("{host} · unreachable · {reason}"),
        ),
        Happening::Reachable { silent_secs } => (
            alert_mark::RESOLVED_COLOR,
            format!(
                "{host} · reachable again after {}",
                format::duration_secs(*silent_secs)
            ),
        ),
    }
}

/// One clickable line: a coloured bar, the words, and when; a click sends
/// `open`.
fn row_ui(
    ui: &mut Ui,
    color: Color32,
    text: &str,
    when: &str,
    open: Command,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        let height = ui.text_style_height(&egui::TextStyle::Body);
        let (bar, _) = ui.allocate_exact_size(egui::vec2(4.0, height), egui::Sense::hover());
        ui.painter().rect_filled(bar, 1.0, color);
        let response = ui
            .add(
                egui::Label::new(format!("{when}  {text}"))
                    .sense(egui::Sense::click())
                    .wrap(),
            )
            .on_hover_text("Open the host at this moment");
        if response.clicked() {
            commands.push(open);
        }
    });
}
