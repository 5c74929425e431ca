//! The windows over the main view (help, export, the host editor), the top-bar
//! buttons and keys that open them, and the commands they send. Kept apart
//! from `app.rs`, which routes hosts and the time view.

use std::path::Path;

use egui::{RichText, Ui};

use super::DashboardApp;
use crate::command::Command;
use crate::export::{self, ExportError, ExportTable, pending_save};
use crate::panels::edit_host::{EditHostForm, EditOutcome};
use crate::panels::export::ExportWindow;
use crate::panels::help;
use crate::range_export::RangeTable;
use crate::view::Theme;

impl DashboardApp {
    /// True while the fleet overview is shown instead of the selected host.
    #[must_use]
    pub fn showing_fleet(&self) -> bool {
        self.fleet
    }

    /// True while the keyboard shortcuts window is open.
    #[must_use]
    pub fn help_open(&self) -> bool {
        self.help_open
    }

    /// The export window's state.
    #[must_use]
    pub fn export_window(&self) -> &ExportWindow {
        &self.export
    }

    /// The export window's state, to change it (the folder to save into).
    pub fn export_window_mut(&mut self) -> &mut ExportWindow {
        &mut self.export
    }

    /// The right end of the top bar: theme, help and export, side by side
    /// or, when the bar is `narrow`, in a menu; then the alerts.
    pub(super) fn top_buttons_ui(&self, ui: &mut Ui, narrow: bool, commands: &mut Vec<Command>) {
        if narrow {
            ui.menu_button("Menu", |ui| {
                self.bar_buttons_ui(ui, commands);
            });
        } else {
            self.bar_buttons_ui(ui, commands);
        }
        // Never in the menu: its count is how a firing alert is seen.
        self.alerts_button_ui(ui, commands);
    }

    fn bar_buttons_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let other = match self.theme {
            Theme::Dark => "Light theme",
            Theme::Light => "Dark theme",
        };
        let buttons = [
            (other, "Shortcut: T", Command::ToggleTheme),
            ("Help", "Shortcuts: ? or F1", Command::ToggleHelp),
            ("Export…", "Shortcut: E", Command::ToggleExport),
        ];
        for (text, hint, command) in buttons {
            if ui.button(text).on_hover_text(hint).clicked() {
                // In the menu, a click closes it too.
                commands.push(command);
            }
        }
    }

    /// How the last export went, on a line under the bar while its window
    /// is closed; a "Saved …" fades after a few seconds.
    pub(super) fn export_status_ui(&self, ui: &mut Ui) {
        // Not while saving: a screenshot would show its own "Saving…".
        if self.export.open || self.export.is_saving() {
            return;
        }
        let Some((status, fades_in)) = self.export.bar_status(std::time::Instant::now()) else {
            return;
        };
        if let Some(fades_in) = fades_in {
            ui.ctx().request_repaint_after(fades_in);
        }
        let (message, color) = match status {
            Ok(message) => (message, ui.visuals().hyperlink_color),
            Err(message) => (message, ui.visuals().error_fg_color),
        };
        ui.add(egui::Label::new(RichText::new(message).color(color)).wrap());
    }

    /// Draws whichever windows are open.
    pub(super) fn windows_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        if self.help_open {
            help::show(ctx, &mut self.help_open, commands);
        }
        if self.export.open {
            let host_name = self.shown_host().map(|host| host.display_name().to_owned());
            self.export.show(ctx, host_name.as_deref(), commands);
        }
        if let Some(form) = &mut self.edit {
            let listed = self.hosts.iter().any(|h| h.id == form.host_id);
            if !listed || form.show(ctx, &self.hosts, commands) == EditOutcome::Close {
                self.edit = None;
            }
        }
    }

    /// Opens the editor of host `id`.
    pub(super) fn start_edit(&mut self, id: u64) {
        self.edit = self.hosts.iter().find(|h| h.id == id).map(|host| {
            // Ticked only where tokens do go to the secret store.
            let remembering = !self.tokens_for_run_only && self.tokens.is_keeping();
            EditHostForm::new(host, remembering, self.tokens.note())
        });
    }

    /// Closes the help, export and edit windows.
    pub(super) fn close_windows(&mut self) {
        self.help_open = false;
        self.export.open = false;
        self.edit = None;
    }

    /// Takes a screenshot at the end of this frame, so the next one (which
    /// the screenshot shows) is drawn without the export window.
    pub(super) fn screenshot_soon(&mut self) {
        self.export.open = false;
        self.screenshot_due = true;
    }

    /// The host in the main view, unless the fleet overview is shown.
    fn shown_host(&self) -> Option<&crate::host::Host> {
        if self.fleet {
            return None;
        }
        self.hosts.iter().find(|h| Some(h.id) == self.selected)
    }

    /// Copies what the shown host's plots show and writes it on a thread:
    /// the live samples, or, when the window reaches past them, the range
    /// fetched from the server's disk at its resolution.
    pub(super) fn export_csv(&mut self) {
        let Some(host) = self.shown_host() else {
            self.export
                .fail(&"open a host first: the CSV holds what its plots show");
            return;
        };
        let history = &host.history;
        let newest_ms = history.newest_ms().unwrap_or(0);
        let end_ms = self.view.end_ms(newest_ms);
        let start_ms = self.view.start_ms(newest_ms);
        let until_ms = history.oldest_ms().unwrap_or(u64::MAX);
        let past = (start_ms < until_ms)
            .then(|| host.past.ranges().latest_over(start_ms, end_ms))
            .flatten()
            .map(|range| crate::past::PastPart { range, until_ms });
        let path = self.export.dir().join(export::file_name(
            host.display_name(),
            Some(start_ms),
            end_ms,
            "csv",
        ));
        let (rows, what, save): (usize, &str, SaveCsv) = if let Some(past) = past {
            let table = RangeTable::compose(&past, history, start_ms, end_ms);
            (
                table.len(),
                "rows",
                Box::new(move |path: &Path| table.save(path)),
            )
        } else {
            let table = ExportTable::from_history(history, start_ms, end_ms);
            (
                table.len(),
                "samples",
                Box::new(move |path: &Path| table.save(path)),
            )
        };
        if rows == 0 {
            self.export.fail(&ExportError::Empty);
            return;
        }
        let (reporter, pending) = pending_save();
        let wake = self.repaint_wake();
        reporter.spawn(path, save, move || wake());
        self.export.start(pending, &format!("{rows} {what}"));
    }

    /// Asks the window for its pixels; they are saved when they arrive.
    pub(super) fn request_screenshot(&mut self, ctx: &egui::Context) {
        let now_ms = crate::host::unix_ms_now();
        let path = self
            .export
            .dir()
            .join(export::file_name("screenshot", None, now_ms, "png"));
        let (reporter, pending) = pending_save();
        let wake = self.repaint_wake();
        ctx.request_screenshot(move |image| {
            reporter.spawn(
                path,
                move |path| export::save_png(&image, path),
                move || wake(),
            );
        });
        self.export.start(pending, "the screenshot");
    }
}

/// Writes a table copied out of the history to a file.
type SaveCsv = Box<dyn FnOnce(&Path) -> Result<(), ExportError> + Send>;

/// Keys for the windows, the alerts panel and the fleet view, unless a text
/// field has the keyboard: F, E, A, ? or F1, and Esc. [`help::SHORTCUTS`] lists them all.
pub(super) fn window_shortcuts(ctx: &egui::Context, editing: bool, commands: &mut Vec<Command>) {
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    if editing {
        // The edit window keeps its keys: only Esc, which closes it.
        if ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            commands.push(Command::CloseWindows);
        }
        return;
    }
    ctx.input(|input| {
        let keys = [
            (egui::Key::F, Command::ToggleFleet),
            (egui::Key::E, Command::ToggleExport),
            (egui::Key::A, Command::ToggleAlerts),
            (egui::Key::Questionmark, Command::ToggleHelp),
            (egui::Key::F1, Command::ToggleHelp),
            (egui::Key::Escape, Command::CloseWindows),
        ];
        for (key, command) in keys {
            if input.key_pressed(key) {
                commands.push(command);
            }
        }
    });
}
