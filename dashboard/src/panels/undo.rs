//! The "Removed db-1 — Undo" note at the foot of the window after a host is
//! removed: a slip of the × costs nothing while it shows.

use egui::RichText;

use crate::command::Command;

/// The button's text.
pub const UNDO: &str = "Undo";

/// Shows that `name` was removed, with a button (and Ctrl+Z) to bring it back.
pub fn show(ctx: &egui::Context, name: &str, commands: &mut Vec<Command>) {
    egui::Area::new(egui::Id::NULL.with("undo removal"))
        .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -16.0))
        .order(egui::Order::Foreground)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(format!("Removed {name}")).strong());
                    if ui.button(UNDO).on_hover_text("Shortcut: Ctrl+Z").clicked() {
                        commands.push(Command::UndoRemove);
                    }
                });
            });
        });
}
