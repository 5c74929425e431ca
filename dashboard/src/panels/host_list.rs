//! The side list of hosts: a state dot, the name and the state of each; click to
//! open one.

use egui::{Color32, RichText, Ui};

use crate::app::Command;
use crate::host::Host;
use crate::link::LinkState;

/// Colour of a host's state dot.
#[must_use]
pub fn state_color(state: &LinkState) -> Color32 {
    match state {
        LinkState::Live { .. } => Color32::from_rgb(0x3c, 0xb3, 0x71),
        LinkState::Connecting { .. } => Color32::from_rgb(0xe0, 0xa0, 0x30),
        LinkState::Disconnected { .. } => Color32::from_rgb(0xd9, 0x48, 0x48),
    }
}

/// A short word for the state, for the list.
#[must_use]
pub fn state_word(state: &LinkState) -> &'static str {
    match state {
        LinkState::Live { .. } => "live",
        LinkState::Connecting { .. } => "connecting…",
        LinkState::Disconnected { .. } => "disconnected",
    }
}

/// Draws the list; clicking a host selects it, "✖" removes it.
pub fn ui(ui: &mut Ui, hosts: &[Host], selected: Option<u64>, commands: &mut Vec<Command>) {
    ui.heading("Hosts");
    ui.add_space(4.0);
    if hosts.is_empty() {
        ui.label("No hosts yet: add one above.");
    }
    for host in hosts {
        ui.horizontal(|ui| {
            let state = host.link.state();
            ui.label(RichText::new("●").color(state_color(state)));
            let name = host.display_name();
            if ui
                .selectable_label(selected == Some(host.id), name)
                .on_hover_text(host.link.url())
                .clicked()
            {
                commands.push(Command::Select(host.id));
            }
            ui.weak(state_word(state));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .small_button("✖")
                    .on_hover_text(format!("Remove {name}"))
                    .clicked()
                {
                    commands.push(Command::Remove(host.id));
                }
            });
        });
    }
}
