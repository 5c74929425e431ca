//! The "Add host" field: takes what was typed, checks it, and either asks the app
//! to add the host or shows why not, right beside the field.

use egui::{Color32, Ui};

use crate::address;
use crate::app::Command;

/// What the user is typing, and the last error about it.
#[derive(Debug, Default)]
pub struct AddHostForm {
    /// The text in the field.
    pub text: String,
    /// Why the last attempt was refused, shown beside the field.
    pub error: Option<String>,
}

impl AddHostForm {
    /// Draws the field; on Enter or "Add", validates and emits [`Command::AddHost`].
    pub fn ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label("Add host");
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.text)
                    .hint_text("ws://server:9470/ws")
                    .desired_width(260.0),
            );
            let submitted = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if field.changed() {
                self.error = None;
            }
            if ui.button("Add").clicked() || submitted {
                match address::parse(&self.text) {
                    Ok(url) => {
                        commands.push(Command::AddHost(url.into()));
                        self.text.clear();
                        self.error = None;
                    }
                    Err(error) => self.error = Some(error.to_string()),
                }
            }
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            } else {
                ui.colored_label(Color32::GRAY, "host, host:port or ws(s):// URL");
            }
        });
    }
}
