//! CPU per core as a heat strip: one row per logical CPU, one column per pixel
//! of time, coloured by the highest usage in that cell. Sixty-four thin rows
//! stay readable where sixty-four lines would be a tangle, and a busy core
//! stands out at once.
//!
//! The strip is one texture in a plot on the shared [`TimeAxis`], so it pans,
//! zooms and marks instants with the other plots. The cells are computed again
//! only when the right edge crosses a pixel column or the range or width
//! changes, so the newest column may lag by up to one column's time.
//!
//! Older than the live history, the cells come from a range fetched from the
//! server's disk: each the highest of the maxima of the points in it, so a
//! busy second in a year still colours its cell.

use std::sync::Arc;

use egui::{Color32, ColorImage, Id, RichText, Sense, TextureHandle, TextureOptions, Ui};
use egui_plot::{GridMark, HoverPosition, Plot, PlotImage, PlotPoint};

use crate::command::Command;
use crate::format;
use crate::history::decimate::Columns;
use crate::history::{HostHistory, Metric};
use crate::palette;
use crate::panels::time_axis::TimeAxis;
use crate::past::PastPart;
use crate::past::names::series_name;
use crate::past::plan::RangeWant;

/// Points kept free right of the strip for its last time label.
const NOW_LABEL_ROOM: f32 = 32.0;

/// A row label wants this much height, in points.
const ROW_LABEL_HEIGHT: f32 = 14.0;

/// What the cached cells were computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    columns: Columns,
    history_id: u64,
    cores: usize,
    max_step_ms: u64,
    /// The range the older cells came from, and where the live ones start.
    past: Option<(RangeWant, u64)>,
}

/// The cells and their texture, kept between frames in egui's memory.
#[derive(Clone)]
struct Cached {
    key: Key,
    texture: TextureHandle,
    cells: Arc<Vec<Vec<f32>>>,
}

/// The height of the strip for `cores` CPUs: three points a row, within
/// reason, and room for a label on each row of a four-CPU host.
#[must_use]
pub fn height(cores: usize) -> f32 {
    (cores as f32 * 3.0).clamp(4.0 * ROW_LABEL_HEIGHT, 200.0)
}

/// Draws the strip for `history` at `axis`, and before the live history from
/// `past`; samples more than `max_step_ms` apart leave a gap between them.
pub fn ui(
    ui: &mut Ui,
    id: Id,
    history: &HostHistory,
    past: Option<PastPart<'_>>,
    axis: TimeAxis,
    max_step_ms: u64,
    commands: &mut Vec<Command>,
) {
    let cores = history.core_count();
    if cores == 0 {
        return;
    }
    // Aligned columns, plus the one the right edge is in: the cells are
    // computed again when the edge crosses into the next column.
    // Room on the right for half of the "now" under the right edge and the
    // scroll bar beside it, which would otherwise cut it.
    let width = ui.available_width() - NOW_LABEL_ROOM;
    let aligned = axis.aligned_columns(width - 64.0);
    let column_ms = (aligned.end_ms - aligned.start_ms) / aligned.count as u64;
    let columns = Columns {
        end_ms: aligned.end_ms + column_ms,
        count: aligned.count + 1,
        ..aligned
    };
    let key = Key {
        columns,
        history_id: history.id(),
        cores,
        max_step_ms,
        past: past.map(|p| (p.range.want, p.until_ms)),
    };
    let cached = ui
        .data(|d| d.get_temp::<Cached>(id))
        .filter(|c| c.key == key)
        .unwrap_or_else(|| {
            let mut cells = history.core_strip(columns, max_step_ms);
            if let Some(past) = past {
                fill_from(&mut cells, history, &past, columns);
            }
            let image = image(&cells, columns.count);
            let texture = ui
                .ctx()
                .load_texture("cpu heat strip", image, TextureOptions::NEAREST);
            let cached = Cached {
                key,
                texture,
                cells: Arc::new(cells),
            };
            ui.data_mut(|d| d.insert_temp(id, cached.clone()));
            cached
        });
    let cells = Arc::clone(&cached.cells);
    let every = label_every(cores, height(cores));
    let plot = axis
        .configure(Plot::new(id), width)
        .width(width)
        .height(height(cores))
        .include_y(0.0)
        .include_y(cores as f64)
        .set_margin_fraction(egui::vec2(0.0, 0.0))
        .show_grid([true, false])
        .y_axis_min_width(64.0)
        // One label per row where they fit, else every second, fourth…
        // row, each at the middle of its row.
        .y_grid_spacer(move |_| {
            (0..cores)
                .step_by(every)
                .map(|core| GridMark {
                    value: core as f64 + 0.5,
                    step_size: every as f64,
                })
                .collect()
        })
        .y_axis_formatter(|mark, _| format!("cpu {:.0}", (mark.value - 0.5).max(0.0)))
        .label_formatter(move |hover| {
            let position = match hover {
                HoverPosition::NearDataPoint { position, .. }
                | HoverPosition::Elsewhere { position } => position,
            };
            cell_text(&cells, columns, axis, position)
        });
    let (left, right) = (axis.x(columns.start_ms), axis.x(columns.end_ms));
    let texture_id = cached.texture.id();
    let shown = plot.show(ui, |plot_ui| {
        axis.frame_ui(plot_ui);
        #[allow(clippy::cast_possible_truncation, reason = "plot sizes")]
        let size = egui::vec2((right - left) as f32, cores as f32);
        plot_ui.image(
            PlotImage::new(
                "each CPU",
                texture_id,
                PlotPoint::new(f64::midpoint(left, right), cores as f64 / 2.0),
                size,
            )
            .allow_hover(false),
        );
    });
    axis.respond(&shown, commands);
}

/// Fills the cells the live history has nothing for from `past`.
fn fill_from(cells: &mut [Vec<f32>], history: &HostHistory, past: &PastPart<'_>, columns: Columns) {
    for (core, row) in cells.iter_mut().enumerate() {
        let Some(series) =
            series_name(Metric::CpuCore(core), history).and_then(|name| past.range.series(&name))
        else {
            continue;
        };
        let older = past.range.column_max(series, columns, past.until_ms);
        for (cell, older) in row.iter_mut().zip(older) {
            if cell.is_nan() {
                *cell = older;
            }
        }
    }
}

/// Label every how many rows, so labels `cores` rows in `height` points do
/// not overlap: 1, 2, 4, 8…
fn label_every(cores: usize, height: f32) -> usize {
    let row_height = height / cores.max(1) as f32;
    let mut every = 1;
    while (every as f32) * row_height < ROW_LABEL_HEIGHT && every < cores {
        every *= 2;
    }
    every
}

/// What the colours mean: a ramp from idle to fully busy, labelled.
pub fn key_ui(ui: &mut Ui) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("idle 0%").small().weak());
        let (rect, _) = ui.allocate_exact_size(egui::vec2(96.0, 10.0), Sense::hover());
        let steps = 48;
        let step_width = rect.width() / steps as f32;
        for step in 0..steps {
            let left = rect.left() + step as f32 * step_width;
            let cell = egui::Rect::from_min_max(
                egui::pos2(left, rect.top()),
                egui::pos2(left + step_width + 0.5, rect.bottom()),
            );
            let percent = step as f32 * 100.0 / (steps - 1) as f32;
            ui.painter().rect_filled(cell, 0.0, palette::heat(percent));
        }
        ui.label(RichText::new("100% busy").small().weak());
    });
}

/// "cpu 3: 87.5%" and the time, for the cell under the pointer.
fn cell_text(
    cells: &[Vec<f32>],
    columns: Columns,
    axis: TimeAxis,
    position: &PlotPoint,
) -> Option<String> {
    if position.y < 0.0 {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small non-negative row number"
    )]
    let core = position.y.floor() as usize;
    let at_ms = axis.unix_ms(position.x);
    let value = cells.get(core)?.get(columns.index(at_ms))?;
    let value = if value.is_nan() {
        "no data".to_owned()
    } else {
        format!("{value:.1}%")
    };
    Some(format!(
        "cpu {core}: {value}\n{} ({})",
        format::clock(at_ms),
        format::seconds_ago(position.x)
    ))
}

/// One pixel per cell, core 0 at the bottom; no data is transparent.
fn image(cells: &[Vec<f32>], width: usize) -> ColorImage {
    let rows = cells.len();
    let mut pixels = Vec::with_capacity(width * rows);
    for row in cells.iter().rev() {
        pixels.extend((0..width).map(|x| {
            row.get(x)
                .map_or(Color32::TRANSPARENT, |&v| palette::heat(v))
        }));
    }
    ColorImage::new([width, rows], pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_coloured_by_busyness_and_no_data_is_clear() {
        let image = image(&[vec![0.0, 100.0], vec![f32::NAN, 50.0]], 2);
        assert_eq!(image.size, [2, 2]);
        // Core 1 is the top row.
        assert_eq!(image.pixels[0], Color32::TRANSPARENT);
        assert_eq!(image.pixels[1], palette::heat(50.0));
        assert_eq!(image.pixels[3], palette::heat(100.0));
    }

    #[test]
    fn row_labels_do_not_overlap() {
        assert_eq!(label_every(4, height(4)), 1, "four rows of 14 points");
        assert_eq!(label_every(8, height(8)), 2);
        assert_eq!(label_every(64, height(64)), 8, "64 rows of 3 points");
        assert_eq!(label_every(1, height(1)), 1);
    }
}
