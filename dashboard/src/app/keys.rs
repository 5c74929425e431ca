//! The keyboard shortcuts of the main window: which key asks for which
//! command. Kept apart from `app.rs`, which routes hosts and the time view.

use super::DashboardApp;
use crate::command::Command;
use crate::view::Window;

impl DashboardApp {
    /// Keys for the common actions, unless a text field has the keyboard or
    /// the edit window is open (it keeps its keys): Space pauses and resumes,
    /// 1–7 choose the window, T switches the theme, ↑ and ↓ move between
    /// hosts, Esc clears the marked instant, Ctrl+Z undoes a removal.
    pub(super) fn shortcuts(&self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        if ctx.egui_wants_keyboard_input() || self.edit.is_some() {
            return;
        }
        ctx.input(|input| {
            if input.key_pressed(egui::Key::Escape) && self.view.marked_ms.is_some() {
                commands.push(Command::ClearMark);
            }
            for (key, step) in [(egui::Key::ArrowUp, -1), (egui::Key::ArrowDown, 1)] {
                if input.key_pressed(key)
                    && let Some(id) = self.neighbour(step)
                {
                    commands.push(Command::Select(id));
                }
            }
            if input.key_pressed(egui::Key::Space) {
                commands.push(self.pause_or_resume());
            }
            if input.key_pressed(egui::Key::T) {
                commands.push(Command::ToggleTheme);
            }
            if input.modifiers.command && input.key_pressed(egui::Key::Z) && self.removed.is_some()
            {
                commands.push(Command::UndoRemove);
            }
            let keys = [
                egui::Key::Num1,
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
                egui::Key::Num5,
                egui::Key::Num6,
                egui::Key::Num7,
            ];
            for (key, window) in keys.into_iter().zip(Window::ALL) {
                if input.key_pressed(key) {
                    commands.push(Command::SetWindow(window));
                }
            }
        });
    }

    /// The host `step` places after (or, negative, before) the selected one
    /// in the list, if there is one.
    fn neighbour(&self, step: isize) -> Option<u64> {
        let at = self
            .hosts
            .iter()
            .position(|h| Some(h.id) == self.selected)?;
        let to = at.checked_add_signed(step)?;
        self.hosts.get(to).map(|h| h.id)
    }

    /// Pause at the selected host's newest sample, or resume.
    fn pause_or_resume(&self) -> Command {
        let newest = self
            .hosts
            .iter()
            .find(|h| Some(h.id) == self.selected)
            .and_then(|h| h.history.newest_ms());
        match (self.view.paused_at_ms, newest) {
            (None, Some(newest)) => Command::Pause(newest),
            _ => Command::Resume,
        }
    }
}
