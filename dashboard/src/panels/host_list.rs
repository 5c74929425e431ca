//! The side list of hosts: "All hosts" for the fleet overview, then a state dot,
//! the name and the state of each host; click to open one, "Edit" to change it,
//! "×" to remove it.

use egui::{Color32, Ui};

use crate::app::Command;
use crate::host::Host;
use crate::link::LinkState;
use crate::panels::host_view::state_text;

/// Colour of a host's state dot.
#[must_use]
pub fn state_color(state: &LinkState) -> Color32 {
    match state {
        LinkState::Live { .. } => Color32::from_rgb(0x3c, 0xb3, 0x71),
        LinkState::Connecting { .. } => Color32::from_rgb(0xe0, 0xa0, 0x30),
        LinkState::Disconnected { .. } => Color32::from_rgb(0xd9, 0x48, 0x48),
    }
}

/// Draws a filled dot in the state's colour, sized to the text line. Painted, not
/// a glyph: not every font has a round one.
pub fn state_dot_ui(ui: &mut Ui, state: &LinkState) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 0.7, size), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), size * 0.3, state_color(state));
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

/// What the list shows as chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListSelection {
    /// The host shown, when one is.
    pub host_id: Option<u64>,
    /// True while the fleet overview is shown instead of one host.
    pub fleet: bool,
}

/// "retry in 5 s" for a disconnected link: when the next attempt starts.
#[must_use]
pub fn retry_hint(state: &LinkState, now: std::time::Instant) -> Option<String> {
    let LinkState::Disconnected { retry_at, .. } = state else {
        return None;
    };
    let wait_secs = retry_at.saturating_duration_since(now).as_secs_f32().ceil();
    Some(format!("retry in {wait_secs:.0} s"))
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
    let state = host.link.state();
    let name = host.display_name();
    let mut dot_width = 0.0;
    ui.horizontal(|ui| {
        let before = ui.cursor().left();
        state_dot_ui(ui, state);
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
                    .on_hover_text(host.link.url())
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
        ui.weak(state_word(state))
            .on_hover_text(state_text(state, now));
        if let Some(hint) = retry_hint(state, now) {
            ui.weak(format!("· {hint}"));
        }
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
