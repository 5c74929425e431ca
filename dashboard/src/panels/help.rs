//! The help overlay: every keyboard shortcut and mouse gesture in one window, opened with `?`, F1
//! or the "Help" button, so nobody has to hunt through hover texts for them.

use egui::RichText;

use crate::command::Command;

/// Every shortcut, as the overlay lists it: the keys, then what they do.
/// Keys work whenever no text field has the keyboard.
pub const SHORTCUTS: [(&str, &str); 11] = [
    ("Space", "Pause the plots, or go back to live"),
    ("1 … 7", "Time window: 5 m, 1 h, 6 h, 24 h, 7 d, 30 d, 1 y"),
    ("F", "Fleet overview (all hosts), or back to the host"),
    ("A", "Alerts: what fires on every host, and the log"),
    ("T", "Switch between the dark and the light theme"),
    ("↑ ↓", "The host above or below in the list"),
    ("Ctrl+Z", "Bring back the host just removed"),
    ("E", "Export: CSV of the visible window, PNG screenshot"),
    ("? or F1", "Show or hide this help"),
    (
        "Esc",
        "Close this help, the export or the edit window; clear the mark",
    ),
    ("Enter", "In the \"Add host\" fields: add the host"),
];

/// What the mouse does on a plot, listed under the keys.
pub const GESTURES: [(&str, &str); 5] = [
    ("Wheel", "Scroll the page"),
    ("Ctrl+wheel, pinch", "Zoom the time axis of every plot"),
    ("Drag", "Move through time"),
    ("Right-drag across", "Show just that stretch of time"),
    ("Click", "Mark that instant and list its top processes"),
];

/// The window's title.
pub const TITLE: &str = "Keyboard shortcuts";

/// Draws the overlay while `open`; its close button or "Close" clears it.
pub fn show(ctx: &egui::Context, open: &mut bool, commands: &mut Vec<Command>) {
    let mut still_open = *open;
    egui::Window::new(TITLE)
        .open(&mut still_open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .spacing([24.0, 6.0])
                .striped(true)
                .show(ui, |ui| {
                    for (keys, action) in SHORTCUTS.iter().chain(&GESTURES) {
                        ui.label(RichText::new(*keys).monospace().strong());
                        ui.label(*action);
                        ui.end_row();
                    }
                });
            ui.add_space(6.0);
            ui.weak("Hover a button to see its shortcut.");
            if ui.button("Close").clicked() {
                commands.push(Command::ToggleHelp);
            }
        });
    if !still_open {
        *open = false;
    }
}
