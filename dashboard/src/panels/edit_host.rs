//! The "Edit host" window: change a host's address, display name or token, or
//! remove it. Opened from the host list; the address is checked here, and the
//! app is asked to apply the change, which reconnects when the address or the
//! token changed.

use egui::{RichText, Ui};

use hostpulse_shared::Secret;

use crate::address;
use crate::command::{Command, TokenChange};
use crate::host::Host;

/// The edit window's fields, for one host.
#[expect(
    clippy::struct_excessive_bools,
    reason = "each is one checkbox's or one field's own state"
)]
pub struct EditHostForm {
    /// The host being edited.
    pub host_id: u64,
    /// The address field, starting at the host's URL.
    pub url: String,
    /// The display name field; empty means "the name the server reports".
    pub name: String,
    /// A new token (shown as dots); empty keeps the current one.
    pub token: String,
    /// Whether the host presents a token now.
    pub has_token: bool,
    /// "Forget the token" is ticked.
    pub forget_token: bool,
    /// Why the last save was refused, shown in the window.
    pub error: Option<String>,
    /// The token field takes the cursor when the window opens, so typing
    /// goes there and not to the app's shortcuts.
    focus_token: bool,
    /// Tokens go to the desktop's secret store (the user's choice).
    pub remember_tokens: bool,
    /// Why tokens are kept for this run only, if they are.
    pub token_note: Option<String>,
}

impl std::fmt::Debug for EditHostForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditHostForm")
            .field("host_id", &self.host_id)
            .field("url", &self.url)
            .field("name", &self.name)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// What the user did in the window this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    /// Still editing.
    Open,
    /// Saved, cancelled or removed: close the window.
    Close,
}

impl EditHostForm {
    /// A form filled in from `host`; tokens are remembered in the secret
    /// store when `remember_tokens`, else (or, as `token_note` says, where
    /// there is none) kept for this run only.
    #[must_use]
    pub fn new(host: &Host, remember_tokens: bool, token_note: Option<String>) -> Self {
        Self {
            host_id: host.id,
            url: host.url().to_owned(),
            name: host.label.clone().unwrap_or_default(),
            token: String::new(),
            has_token: host.has_token(),
            forget_token: false,
            error: None,
            focus_token: true,
            remember_tokens,
            token_note,
        }
    }

    /// Draws the window over everything else; `hosts` are all the listed hosts,
    /// so an address already listed under another host is refused.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        hosts: &[Host],
        commands: &mut Vec<Command>,
    ) -> EditOutcome {
        let mut outcome = EditOutcome::Open;
        let mut open = true;
        egui::Window::new("Edit host")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 80.0))
            .show(ctx, |ui| outcome = self.fields_ui(ui, hosts, commands));
        if open { outcome } else { EditOutcome::Close }
    }

    fn fields_ui(
        &mut self,
        ui: &mut Ui,
        hosts: &[Host],
        commands: &mut Vec<Command>,
    ) -> EditOutcome {
        // Enter in any field saves, as in the "Add host" fields.
        let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
        let mut submitted = false;
        let mut field_done = |response: &egui::Response| {
            submitted |= enter && response.lost_focus();
        };
        egui::Grid::new("edit host fields")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let label = ui.label("Address");
                let field = ui
                    .add(egui::TextEdit::singleline(&mut self.url).desired_width(280.0))
                    .labelled_by(label.id);
                field_done(&field);
                ui.end_row();
                let label = ui.label("Display name");
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.name)
                            .hint_text("the name the server reports")
                            .desired_width(280.0),
                    )
                    .labelled_by(label.id);
                field_done(&field);
                ui.end_row();
                let label = ui.label("New token");
                let hint = if self.has_token {
                    "empty keeps the current one"
                } else {
                    "if the server wants one"
                };
                let field = ui
                    .add_enabled(
                        !self.forget_token,
                        egui::TextEdit::singleline(&mut self.token)
                            .password(true)
                            .hint_text(hint)
                            .desired_width(280.0),
                    )
                    .labelled_by(label.id);
                if std::mem::take(&mut self.focus_token) {
                    field.request_focus();
                }
                field_done(&field);
                ui.end_row();
                ui.label("");
                if ui
                    .checkbox(
                        &mut self.remember_tokens,
                        "Remember tokens in the desktop's secret store",
                    )
                    .on_hover_text(
                        "For every host. Off: tokens are kept for this run only. \
                         Never in the preferences file either way.",
                    )
                    .changed()
                {
                    commands.push(Command::RememberTokens(self.remember_tokens));
                }
                ui.end_row();
                // Why there is no secret store comes first, whatever the box says.
                let note = match (&self.token_note, self.remember_tokens) {
                    (Some(note), _) => note.as_str(),
                    (None, false) => "Tokens are kept for this run only.",
                    (None, true) => "Kept in the secret store, never in the preferences file.",
                };
                ui.label("");
                ui.add(egui::Label::new(RichText::new(note).weak()).wrap());
                ui.end_row();
                if self.has_token {
                    ui.label("");
                    ui.checkbox(&mut self.forget_token, "Forget the token");
                    ui.end_row();
                }
            });
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.add_space(4.0);
        let mut outcome = EditOutcome::Open;
        ui.horizontal(|ui| {
            if ui.button("Save").clicked() || submitted {
                outcome = self.save(hosts, commands);
            }
            if ui.button("Cancel").clicked() {
                outcome = EditOutcome::Close;
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Remove host").clicked() {
                    commands.push(Command::Remove(self.host_id));
                    outcome = EditOutcome::Close;
                }
            });
        });
        outcome
    }

    /// Checks the address and asks the app to apply the edit.
    fn save(&mut self, hosts: &[Host], commands: &mut Vec<Command>) -> EditOutcome {
        match address::parse(&self.url) {
            Ok(url)
                if hosts
                    .iter()
                    .any(|h| h.id != self.host_id && h.url() == url.as_str()) =>
            {
                self.error = Some(format!("{url} is already in the list"));
                EditOutcome::Open
            }
            Ok(url) => {
                let token = self.token.trim();
                let token = if self.forget_token {
                    TokenChange::Clear
                } else if token.is_empty() {
                    TokenChange::Keep
                } else {
                    TokenChange::Set(Secret::new(token))
                };
                let name = self.name.trim();
                commands.push(Command::EditHost {
                    id: self.host_id,
                    url: url.into(),
                    label: (!name.is_empty()).then(|| name.to_owned()),
                    token,
                });
                EditOutcome::Close
            }
            Err(error) => {
                self.error = Some(error.to_string());
                EditOutcome::Open
            }
        }
    }
}
