//! The "Export" window: where to save (typed, or chosen in the desktop's folder
//! dialog), a button for the CSV of the visible time window and one for a PNG
//! screenshot, and what became of the last save. The saving itself is in
//! [`crate::export`].

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use crate::command::Command;
use crate::export::{PendingSave, SaveStatus};

/// The window's title.
pub const TITLE: &str = "Export";

/// How long "Saved …" stays in the top bar.
pub const SAVED_SHOWN: Duration = Duration::from_secs(6);

/// The export window's state, kept while the app runs.
#[derive(Debug)]
pub struct ExportWindow {
    /// Whether the window is shown.
    pub open: bool,
    /// The folder field.
    pub dir: String,
    /// The last outcome, for the person: `Ok` says where the file went.
    pub status: Option<Result<String, String>>,
    /// When the last save finished well: its "Saved …" fades from the top
    /// bar a few seconds later.
    saved_at: Option<Instant>,
    /// The save in progress.
    pending: Option<PendingSave>,
    /// The folder dialog, while it is open: it answers with the folder chosen,
    /// or `None` when cancelled (or when the desktop has no dialog to show).
    choosing: Option<Receiver<Option<PathBuf>>>,
}

impl Default for ExportWindow {
    fn default() -> Self {
        Self {
            open: false,
            dir: crate::export::default_dir().display().to_string(),
            status: None,
            saved_at: None,
            pending: None,
            choosing: None,
        }
    }
}

impl ExportWindow {
    /// The folder to save into; an empty field means the default one.
    #[must_use]
    pub fn dir(&self) -> PathBuf {
        let dir = self.dir.trim();
        if dir.is_empty() {
            crate::export::default_dir()
        } else {
            PathBuf::from(dir)
        }
    }

    /// The folder to remember for the next run: `None` while it is the
    /// default, so a default that moves (a new Downloads folder) is followed.
    #[must_use]
    pub fn chosen_dir(&self) -> Option<String> {
        let dir = self.dir.trim();
        let default = crate::export::default_dir().display().to_string();
        (!dir.is_empty() && dir != default).then(|| dir.to_owned())
    }

    /// What the top bar says about the last export at `now`: its outcome,
    /// until a "Saved …" has been shown for [`SAVED_SHOWN`]; with how long
    /// it stays, to repaint then.
    #[must_use]
    pub fn bar_status(&self, now: Instant) -> Option<(&Result<String, String>, Option<Duration>)> {
        let status = self.status.as_ref()?;
        match (status, self.saved_at) {
            (Ok(_), Some(saved_at)) if self.pending.is_none() => {
                let left = SAVED_SHOWN.checked_sub(now.saturating_duration_since(saved_at))?;
                Some((status, Some(left)))
            }
            _ => Some((status, None)),
        }
    }

    /// Watches a save that has just started.
    pub fn start(&mut self, pending: PendingSave, what: &str) {
        self.saved_at = None;
        self.pending = Some(pending);
        self.status = Some(Ok(format!("Saving {what}…")));
    }

    /// Shows why an export could not start.
    pub fn fail(&mut self, error: &impl std::fmt::Display) {
        self.status = Some(Err(error.to_string()));
    }

    /// Picks up a finished save or a chosen folder; never blocks.
    pub fn poll(&mut self) {
        self.poll_folder_dialog();
        let Some(pending) = &self.pending else {
            return;
        };
        match pending.poll() {
            SaveStatus::Running => return,
            SaveStatus::Saved(path) => {
                self.status = Some(Ok(format!("Saved {}", path.display())));
                self.saved_at = Some(Instant::now());
            }
            SaveStatus::Failed(error) => self.status = Some(Err(error.to_string())),
        }
        self.pending = None;
    }

    fn poll_folder_dialog(&mut self) {
        let Some(choosing) = &self.choosing else {
            return;
        };
        match choosing.try_recv() {
            Err(TryRecvError::Empty) => return,
            Ok(Some(dir)) => self.dir = dir.display().to_string(),
            // rfd answers the same for "cancelled" and "no dialog here".
            Ok(None) | Err(TryRecvError::Disconnected) => {
                self.saved_at = None;
                self.status = Some(Ok(
                    "No folder chosen: if no dialog appeared, type the folder instead".to_owned(),
                ));
            }
        }
        self.choosing = None;
    }

    /// Opens the desktop's folder dialog on a thread of its own (it blocks
    /// until the user answers); [`Self::poll`] picks up the answer.
    fn choose_folder(&mut self, ctx: &egui::Context) {
        // One answer per dialog: the channel never holds more.
        let (sender, answer) = sync_channel(1);
        let start = self.dir();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("hostpulse-folder-dialog".into())
            .spawn(move || {
                let chosen = rfd::FileDialog::new()
                    .set_title("Save HostPulse exports in")
                    .set_directory(start)
                    .pick_folder();
                // The window may have closed meanwhile: nobody to tell then.
                let _ = sender.send(chosen);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.choosing = Some(answer),
            Err(error) => self.fail(&format!("cannot open the folder dialog: {error}")),
        }
    }

    /// True while a save runs.
    #[must_use]
    pub fn is_saving(&self) -> bool {
        self.pending.is_some()
    }

    /// Draws the window while it is open. `host_name` is the host whose window
    /// the CSV would hold, if one is shown.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        host_name: Option<&str>,
        commands: &mut Vec<Command>,
    ) {
        let mut open = self.open;
        egui::Window::new(TITLE)
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-16.0, 56.0))
            .show(ctx, |ui| self.contents_ui(ui, host_name, commands));
        self.open &= open;
    }

    fn contents_ui(&mut self, ui: &mut Ui, host_name: Option<&str>, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            let label = ui.label("Save to folder");
            ui.add(egui::TextEdit::singleline(&mut self.dir).desired_width(300.0))
                .labelled_by(label.id);
            let choose = ui
                .add_enabled(self.choosing.is_none(), egui::Button::new("Choose…"))
                .on_hover_text("Pick the folder in the desktop's dialog");
            if choose.clicked() {
                self.choose_folder(ui.ctx());
            }
        });
        ui.add_space(4.0);
        let idle = !self.is_saving();
        ui.horizontal(|ui| {
            let csv = ui
                .add_enabled(idle && host_name.is_some(), egui::Button::new("Save CSV"))
                .on_hover_text("Every sample in the visible time window, one row each")
                .on_disabled_hover_text("Open a host first: the CSV holds what its plots show");
            if csv.clicked() {
                commands.push(Command::ExportCsv);
            }
            match host_name {
                Some(name) => ui.weak(format!("the visible window of {name}")),
                None => ui.weak("open a host to export its data"),
            };
        });
        ui.horizontal(|ui| {
            let png = ui
                .add_enabled(idle, egui::Button::new("Save screenshot"))
                .on_hover_text("The whole window as PNG, without this box");
            if png.clicked() {
                commands.push(Command::Screenshot);
            }
            ui.weak("PNG of the window");
        });
        match &self.status {
            Some(Ok(message)) => {
                ui.label(RichText::new(message).color(ui.visuals().hyperlink_color));
            }
            Some(Err(message)) => {
                ui.colored_label(ui.visuals().error_fg_color, message);
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_message_fades_and_an_error_stays() {
        let saved_at = Instant::now();
        let mut window = ExportWindow {
            status: Some(Ok("Saved /tmp/x.csv".into())),
            saved_at: Some(saved_at),
            ..ExportWindow::default()
        };
        let (status, left) = window
            .bar_status(saved_at + Duration::from_secs(1))
            .unwrap();
        assert_eq!(status.as_deref(), Ok("Saved /tmp/x.csv"));
        assert_eq!(left, SAVED_SHOWN.checked_sub(Duration::from_secs(1)));
        let gone = saved_at + SAVED_SHOWN + Duration::from_millis(1);
        assert!(window.bar_status(gone).is_none(), "it stays");

        window.fail(&"cannot write /tmp/x.csv: no room");
        let later = saved_at + SAVED_SHOWN * 10;
        let (status, left) = window.bar_status(later).unwrap();
        assert!(status.is_err());
        assert_eq!(left, None, "an error stays until the next export");
    }
}
