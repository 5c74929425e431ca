//! The side list of hosts: "All hosts" for the fleet overview, then a state dot,
//! the name and the state of each host, with a mark when alerts fire on it;
//! click to open one, "Edit" to change it, "×" to remove it.

use egui::Ui;

use crate::command::Command;
use crate::host::Host;
use crate::panels::{alert_mark, connection};

/// What the list shows as chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListSelection {
    /// The host shown, when one is.
    pub host_id: Option<u64>,
    /// True while the fleet overview is shown instead of one host.
    pub fleet: bool,
}

/// Draws the list; clicking a host selects it, "Edit" opens its editor, "×"
/// removes it.
pub fn ui(ui: &mut Ui, hosts: &[Host], chosen: ListSelection, commands: &mut Vec<Command>) {
    ui.heading("Hosts");
    ui.add_space(4.0);
    if hosts.is_empty() {
        ui.label("No hosts yet: add one above.");
        return;
    }
    let live = hosts.iter().filter(|h| h.is_live()).count();
    if ui
        .selectable_label(
            chosen.fleet,
            format!("All hosts ({live}/{} live)", hosts.len()),
        )
        .on_hover_text("Fleet overview. Shortcut: F")
        .clicked()
    {
        commands.push(Command::ShowFleet);
    }
    ui.separator();
    let now = std::time::Instant::now();
    for host in hosts {
        row_ui(
            ui,
            host,
            !chosen.fleet && chosen.host_id == Some(host.id),
            now,
            commands,
        );
        ui.add_space(2.0);
    }
}

/// Room kept at the right of a row for its "Edit" and "×" buttons.
const BUTTONS_WIDTH: f32 = 72.0;

/// One host on two lines, so a narrow panel still shows everything: the dot, the
/// name (cut short if need be) and the buttons, then the state.
fn row_ui(
    ui: &mut Ui,
    host: &Host,
    selected: bool,
    now: std::time::Instant,
    commands: &mut Vec<Command>,
) {
    let connection = host.connection(now);
    let name = host.display_name();
    let mut dot_width = 0.0;
    ui.horizontal(|ui| {
        let before = ui.cursor().left();
        connection::dot_ui(ui, &connection);
        dot_width = ui.cursor().left() - before;
        let name_size = egui::vec2(
            (ui.available_width() - BUTTONS_WIDTH).max(40.0),
            ui.spacing().interact_size.y,
        );
        ui.allocate_ui_with_layout(
            name_size,
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                if ui
                    .selectable_label(selected, name)
                    .on_hover_text(host.url())
                    .clicked()
                {
                    commands.push(Command::Select(host.id));
                }
            },
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            buttons_ui(ui, host.id, name, commands);
        });
    });
    ui.horizontal(|ui| {
        ui.add_space(dot_width);
        connection::words_ui(ui, &connection);
        alert_mark::ui(ui, host);
    });
}

/// "×" and "Edit", right to left.
fn buttons_ui(ui: &mut Ui, host_id: u64, name: &str, commands: &mut Vec<Command>) {
    let remove = format!("Remove {name}");
    let button = ui.small_button("×");
    // Screen readers (and UI tests) get the words, not the glyph.
    button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &remove));
    if button.on_hover_text(&remove).clicked() {
        commands.push(Command::Remove(host_id));
    }
    let edit = format!("Edit {name}");
    let button = ui.small_button("Edit");
    button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &edit));
    if button
        .on_hover_text("Change the address, display name or token")
        .clicked()
    {
        commands.push(Command::StartEdit(host_id));
    }
}
