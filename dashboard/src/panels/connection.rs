//! A host's connection drawn the same way everywhere: the coloured state dot
//! and the state words of the side list, the fleet rows and the host header.

use egui::{Color32, Ui};

use crate::status::Connection;

/// Colour of a host's state dot.
#[must_use]
pub fn color(connection: &Connection) -> Color32 {
    match connection {
        Connection::Live => Color32::from_rgb(0x3c, 0xb3, 0x71),
        Connection::Connecting => Color32::from_rgb(0xe0, 0xa0, 0x30),
        Connection::Down { .. } | Connection::Refused { .. } => Color32::from_rgb(0xd9, 0x48, 0x48),
    }
}

/// Draws a filled dot in the state's colour, sized to the text line. Painted, not
/// a glyph: not every font has a round one.
pub fn dot_ui(ui: &mut Ui, connection: &Connection) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 0.7, size), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), size * 0.3, color(connection));
}

/// The state word (the whole state line on hover) and, while down, when the
/// next attempt starts: the second line of a list or fleet row.
pub fn words_ui(ui: &mut Ui, connection: &Connection) {
    ui.weak(connection.word()).on_hover_text(connection.text());
    if let Some(hint) = connection.retry_hint() {
        ui.weak(format!("· {hint}"));
    }
}
