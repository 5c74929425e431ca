//! The mark of a host with alerts firing, drawn the same way in the side
//! list and the fleet overview: a painted triangle in the colour of the
//! worst severity and how many fire, the rules on hover. Also the alert
//! colours every panel uses.

use egui::{Color32, Pos2, RichText, Ui};
use hostpulse_shared::Severity;

use crate::alerts::describe;
use crate::host::Host;

/// A warning: amber.
pub const WARNING_COLOR: Color32 = Color32::from_rgb(0xe8, 0xb0, 0x20);
/// A critical alert: red.
pub const CRITICAL_COLOR: Color32 = Color32::from_rgb(0xe0, 0x40, 0x40);
/// A resolve: green.
pub const RESOLVED_COLOR: Color32 = Color32::from_rgb(0x3c, 0xb3, 0x71);

/// The colour of a severity.
#[must_use]
pub fn color(severity: Severity) -> Color32 {
    match severity {
        Severity::Warning => WARNING_COLOR,
        Severity::Critical => CRITICAL_COLOR,
    }
}

/// What a screen reader (and a test) reads for the mark: "2 alerts firing
/// on db-1".
#[must_use]
pub fn label(count: usize, host: &str) -> String {
    let alerts = if count == 1 { "alert" } else { "alerts" };
    format!("{count} {alerts} firing on {host}")
}

/// Draws the mark when something fires on `host`; nothing otherwise.
pub fn ui(ui: &mut Ui, host: &Host) {
    let firing = host.alerts.firing();
    let Some(worst) = host.alerts.worst() else {
        return;
    };
    let color = color(worst);
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 0.9, size), egui::Sense::hover());
    // Painted, not a glyph: not every font has a warning sign.
    let (center, half) = (rect.center(), size * 0.38);
    ui.painter().add(egui::Shape::convex_polygon(
        vec![
            Pos2::new(center.x, center.y - half),
            Pos2::new(center.x + half, center.y + half * 0.8),
            Pos2::new(center.x - half, center.y + half * 0.8),
        ],
        color,
        egui::Stroke::NONE,
    ));
    let label = label(firing.len(), host.display_name());
    let rules: Vec<String> = firing.iter().map(describe::transition).collect();
    let response = ui
        .label(
            RichText::new(format!("{} firing", firing.len()))
                .color(color)
                .strong(),
        )
        .on_hover_text(rules.join("\n"));
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
}
