//! The "Add host" fields: an address and an optional token. On "Add" the address
//! is checked and either the app is asked to add the host or the reason it cannot
//! be added is shown in full on a line of its own under the fields.

use egui::Ui;

use hostpulse_shared::Secret;

use crate::address;
use crate::command::Command;

/// What the user is typing, and the last error about it.
#[derive(Default)]
pub struct AddHostForm {
    /// The address field.
    pub text: String,
    /// The token field (shown as dots).
    pub token: String,
    /// Why the last attempt was refused, shown beside the fields.
    pub error: Option<String>,
}

impl std::fmt::Debug for AddHostForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddHostForm")
            .field("text", &self.text)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl AddHostForm {
    /// Draws the fields, narrower when the window is `narrow`; on Enter or
    /// "Add", validates and emits [`Command::AddHost`].
    pub fn ui(&mut self, ui: &mut Ui, narrow: bool, commands: &mut Vec<Command>) {
        let (address_width, token_width) = if narrow {
            (170.0, 100.0)
        } else {
            (240.0, 150.0)
        };
        ui.horizontal(|ui| {
            let label = ui.label("Add host");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .hint_text("host, host:port or URL")
                        .desired_width(address_width),
                )
                .labelled_by(label.id)
                .on_hover_text("db-1, db-1:9470, ws://db-1:9470/ws or wss://…");
            let token_label = ui.label("Token");
            let token = ui
                .add(
                    egui::TextEdit::singleline(&mut self.token)
                        .password(true)
                        .hint_text("if needed")
                        .desired_width(token_width),
                )
                .labelled_by(token_label.id)
                .on_hover_text(
                    "Only for a server started with a token. \
                     Never written to the preferences file.",
                );
            let submitted = (field.lost_focus() || token.lost_focus())
                && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if field.changed() {
                self.error = None;
            }
            if ui.button("Add").clicked() || submitted {
                match address::parse(&self.text) {
                    Ok(url) => {
                        let token = self.token.trim();
                        commands.push(Command::AddHost {
                            url: url.into(),
                            token: (!token.is_empty()).then(|| Secret::new(token)),
                        });
                        self.text.clear();
                        self.token.clear();
                        self.error = None;
                    }
                    Err(error) => self.error = Some(error.to_string()),
                }
            }
        });
    }

    /// Why the last address was refused, in full and wrapped, if it was.
    pub fn error_ui(&self, ui: &mut Ui) {
        if let Some(error) = &self.error {
            ui.add(
                egui::Label::new(egui::RichText::new(error).color(ui.visuals().error_fg_color))
                    .wrap(),
            );
        }
    }
}
