//! Beside the window presets: a field to type any range in (a length, a day,
//! or two instants; see [`crate::typed_range`]), the range shown when it is
//! not a preset, and a small "loading" mark while older history is on its
//! way from the server (the plots keep drawing what they have meanwhile).

use egui::{RichText, Ui};

use crate::command::Command;
use crate::format;
use crate::past::Past;
use crate::typed_range::{self, TypedRange};

/// The accessible name of the field.
pub const FIELD_LABEL: &str = "Range";

/// The typed-range field: Enter shows what was typed, or says why it cannot.
pub fn field_ui(ui: &mut Ui, now_ms: u64, commands: &mut Vec<Command>) {
    let draft_id = egui::Id::NULL.with("typed range draft");
    let error_id = egui::Id::NULL.with("typed range error");
    let mut draft = ui.data_mut(|d| d.get_temp::<String>(draft_id).unwrap_or_default());
    let label = ui.label(RichText::new(FIELD_LABEL).weak());
    let field = ui
        .add(
            egui::TextEdit::singleline(&mut draft)
                .hint_text("3d, 2026-03-01 14:00 – 18:00")
                .desired_width(170.0),
        )
        .labelled_by(label.id)
        .on_hover_text(
            "A length back from now (90m, 6h, 3d, 2w, 1y), a day (2026-03-01), or a range \
             (2026-03-01 14:00 – 18:00, in this computer's time zone). Enter shows it.",
        );
    if field.lost_focus()
        && ui.input(|i| i.key_pressed(egui::Key::Enter))
        && !draft.trim().is_empty()
    {
        match typed_range::parse(&draft, &jiff::tz::TimeZone::system(), now_ms) {
            Ok(TypedRange::Last(span_ms)) => {
                commands.push(Command::ShowLast(span_ms));
                draft.clear();
                ui.data_mut(|d| {
                    d.remove::<String>(error_id);
                });
            }
            Ok(TypedRange::Between(start_ms, end_ms)) => {
                commands.push(Command::ShowRange { start_ms, end_ms });
                draft.clear();
                ui.data_mut(|d| {
                    d.remove::<String>(error_id);
                });
            }
            Err(error) => {
                let message = error.to_string();
                ui.data_mut(|d| d.insert_temp(error_id, message));
            }
        }
    }
    if draft.is_empty() && field.changed() {
        ui.data_mut(|d| {
            d.remove::<String>(error_id);
        });
    }
    ui.data_mut(|d| d.insert_temp(draft_id, draft));
    if let Some(error) = ui.data(|d| d.get_temp::<String>(error_id)) {
        ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
    }
}

/// The range shown, when it is not a preset: times of day within a day,
/// dates and times beyond.
#[must_use]
pub fn range_text(start_ms: u64, end_ms: u64) -> String {
    const DAY_MS: u64 = 86_400_000;
    if end_ms.saturating_sub(start_ms) < DAY_MS {
        format!(
            "{} – {}",
            format::time_of_day(start_ms),
            format::time_of_day(end_ms)
        )
    } else {
        format!(
            "{} – {}",
            format::date_time(start_ms),
            format::date_time(end_ms)
        )
    }
}

/// "loading history…" while a range is on its way; the server's refusal, if
/// it said no. A still mark, not a spinner: a spinner repaints every frame
/// for as long as an answer takes, and the answer wakes the UI anyway.
pub fn status_ui(ui: &mut Ui, past: &Past) {
    if past.is_loading() {
        ui.weak("loading history…");
    } else if let Some(refusal) = past.refusal() {
        ui.label(RichText::new("older history unavailable").color(ui.visuals().warn_fg_color))
            .on_hover_text(refusal);
    }
}
