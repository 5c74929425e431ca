//! One time-series plot: named series from a host's history over the shared
//! [`TimeAxis`], decimated to the plot's width, with gaps drawn as breaks in
//! the line. Hovering near a line shows its exact value with its unit, and
//! the time. The legend stands beside the plot, not over it, with each
//! series' value at the right edge of the view.
//!
//! The decimated lines are kept in egui's memory, over columns aligned to
//! whole multiples of their width (see [`TimeAxis::aligned_columns`]): they
//! are computed again only when the right edge crosses a column, the width or
//! the range changes, or the history starts over. Only the samples after the
//! last column edge are decimated every frame. A day's plot costs about what
//! five minutes' does.
//!
//! What is older than the live history comes from a range fetched from the
//! server's disk, drawn by [`band`]: min–max bands under the mean line for
//! aggregated tiers.

use std::sync::Arc;

use egui::{Color32, Id, RichText, Sense, Ui, Vec2b};
use egui_plot::{GridMark, HoverPosition, Plot, PlotPoint, PlotTransform};

use self::picture::{HoverPoints, Picture};

use crate::command::Command;
use crate::format;
use crate::history::decimate::Columns;
use crate::history::{HostHistory, Metric};
use crate::panels::alert_overlay::AlertOverlay;
use crate::panels::time_axis::TimeAxis;
use crate::past::PastPart;
use crate::ticks::{Scale, ValueTicks};

mod band;
pub mod picture;

pub use self::band::band_color;

/// The width of the legend beside a plot, in points.
pub const LEGEND_WIDTH: f32 = 132.0;

/// The unit of a plot's y axis, which decides how values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// 0–100.
    Percent,
    /// Bytes.
    Bytes,
    /// Bytes per second.
    BytesPerSec,
    /// Degrees Celsius.
    Celsius,
    /// A plain number (load average).
    Number,
}

impl Unit {
    /// A value written in this unit.
    #[must_use]
    pub fn format(self, value: f64) -> String {
        match self {
            Self::Percent => format!("{value:.1}%"),
            Self::Bytes => format::bytes(value),
            Self::BytesPerSec => format::bytes_per_sec(value),
            Self::Celsius => format!("{value:.1} °C"),
            Self::Number => format!("{value:.2}"),
        }
    }

    /// How the y axis counts in this unit.
    fn scale(self) -> Scale {
        match self {
            Self::Percent => Scale::Percent,
            Self::Bytes | Self::BytesPerSec => Scale::Bytes,
            Self::Celsius | Self::Number => Scale::Decimal,
        }
    }

    /// A label on the y axis: the value in the axis's one unit.
    fn tick_label(self, ticks: &ValueTicks, value: f64) -> String {
        let label = ticks.label(value);
        match self {
            Self::BytesPerSec => format!("{label}/s"),
            Self::Celsius => format!("{label} °C"),
            Self::Percent | Self::Bytes | Self::Number => label,
        }
    }
}

/// One line of a plot.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry; series with the same name share one entry.
    pub name: String,
    /// What to draw.
    pub metric: Metric,
    /// Line colour.
    pub color: Color32,
    /// Line width in points.
    pub width: f32,
    /// Dashed (the second of a pair, such as sent beside received).
    pub dashed: bool,
    /// The legend's name, when shorter than `name` (`eth0 tx` for
    /// `eth0 sent`, where the legend's column is narrow).
    pub short_name: Option<String>,
}

impl Series {
    /// A solid line two points wide.
    #[must_use]
    pub fn new(name: impl Into<String>, metric: Metric, color: Color32) -> Self {
        Self {
            name: name.into(),
            metric,
            color,
            width: 2.0,
            dashed: false,
            short_name: None,
        }
    }

    /// The same line, named `short` in the legend.
    #[must_use]
    pub fn short(self, short: impl Into<String>) -> Self {
        Self {
            short_name: Some(short.into()),
            ..self
        }
    }

    /// The same line, dashed.
    #[must_use]
    pub fn dashed(self) -> Self {
        Self {
            dashed: true,
            ..self
        }
    }
}

/// The id a plot keeps its memory (bounds, transform) under: tests read
/// where values landed on screen from it.
#[must_use]
pub fn memory_id(id: &str) -> Id {
    Id::NULL.with(("time plot", id))
}

/// The decimated points of each series, NaN marking breaks.
type Lines = Arc<Vec<Vec<(u64, f32)>>>;

/// What the cached lines were computed from.
#[derive(Debug, Clone, PartialEq)]
struct LinesKey {
    columns: Columns,
    history_id: u64,
    max_step_ms: u64,
    metrics: Vec<Metric>,
}

impl LinesKey {
    /// Whether these columns are `earlier`'s moved right by whole columns of
    /// the same width, over the same data: then only the new columns need
    /// decimating.
    fn follows(&self, earlier: &Self) -> bool {
        let column_ms = |c: &Columns| (c.end_ms - c.start_ms) / c.count.max(1) as u64;
        self.history_id == earlier.history_id
            && self.max_step_ms == earlier.max_step_ms
            && self.metrics == earlier.metrics
            && self.columns.count == earlier.columns.count
            && column_ms(&self.columns) == column_ms(&earlier.columns)
            && self.columns.end_ms > earlier.columns.end_ms
            && self.columns.start_ms < earlier.columns.end_ms
    }
}

/// `old`, decimated over `old_columns`, moved to `columns` (the same width,
/// further right): the points still in view are kept, and only the new
/// columns are decimated.
fn shifted(
    history: &HostHistory,
    metric: Metric,
    old: &[(u64, f32)],
    old_columns: Columns,
    columns: Columns,
    max_step_ms: u64,
) -> Vec<(u64, f32)> {
    let column_ms = (columns.end_ms - columns.start_ms) / columns.count.max(1) as u64;
    // Keep one point before the left edge, so the line reaches it.
    let first = old
        .partition_point(|p| p.0 < columns.start_ms)
        .saturating_sub(1);
    let new_columns = Columns {
        start_ms: old_columns.end_ms,
        end_ms: columns.end_ms,
        count: usize::try_from((columns.end_ms - old_columns.end_ms) / column_ms.max(1))
            .unwrap_or(1),
    };
    // The old points stop before the old right edge; the new columns start
    // one sample before it (see `HostHistory::decimated`), so the line runs on.
    let kept = old[first..]
        .iter()
        .copied()
        .filter(|p| p.0 < old_columns.end_ms);
    kept.chain(history.decimated(metric, new_columns, max_step_ms))
        .collect()
}

/// What one plot shows.
#[derive(Debug)]
pub struct TimePlot<'a> {
    /// Unique among the plots on screen.
    pub id: String,
    /// The y axis unit.
    pub unit: Unit,
    /// The lines.
    pub series: &'a [Series],
    /// Where the plot is in time.
    pub axis: TimeAxis,
    /// Samples further apart than this are not joined by a line.
    pub max_step_ms: u64,
    /// The y axis always reaches this far (100 for percentages, the memory
    /// size), whatever is in view.
    pub y_max: Option<f64>,
    /// What is older than the live history, from the server's disk.
    pub past: Option<PastPart<'a>>,
    /// Alert thresholds and firing stretches to draw, if any.
    pub alerts: Option<&'a AlertOverlay>,
}

impl TimePlot<'_> {
    /// Draws the plot at the given height, its legend beside it; pans,
    /// zooms and clicks on it become commands. Returns where values landed
    /// on screen.
    pub fn ui(
        &self,
        ui: &mut Ui,
        history: &HostHistory,
        height: f32,
        commands: &mut Vec<Command>,
    ) -> PlotTransform {
        let legend_width = LEGEND_WIDTH.min(ui.available_width() * 0.35);
        let plot_width = ui.available_width() - legend_width - ui.spacing().item_spacing.x;
        // Each side stacks top-down inside the row: the plot's time axis goes
        // under it, not beside it.
        let down = egui::Layout::top_down(egui::Align::Min);
        ui.horizontal_top(|ui| {
            let transform = ui
                .allocate_ui_with_layout(egui::vec2(plot_width, height), down, |ui| {
                    self.plot_ui(ui, history, height, commands)
                })
                .inner;
            ui.allocate_ui_with_layout(egui::vec2(legend_width, height), down, |ui| {
                ui.set_width(legend_width);
                self.legend_ui(ui, history, height);
            });
            transform
        })
        .inner
    }

    /// The legend: each series' colour, name and value at the right edge of
    /// the view (the newest sample, while live).
    fn legend_ui(&self, ui: &mut Ui, history: &HostHistory, height: f32) {
        egui::ScrollArea::vertical()
            .id_salt(("legend", &self.id))
            .max_height(height)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                ui.spacing_mut().item_spacing.y = 0.0;
                // A legend line is as tall as a button row.
                let row = ui.spacing().interact_size.y;
                // Name over value while every series fits so; else one line
                // each, so no value hides below the plot's height.
                let stacked = self.series.len() as f32 * (2.0 * row + 4.0) <= height;
                for series in self.series {
                    let value = history
                        .value_at(series.metric, self.axis.end_ms)
                        .or_else(|| self.past_value_at_end(history, series.metric))
                        .map_or_else(|| "–".to_owned(), |v| self.unit.format(f64::from(v)));
                    let name = series.short_name.as_deref().unwrap_or(&series.name);
                    let value = RichText::new(value).strong();
                    ui.horizontal(|ui| {
                        swatch_ui(ui, series);
                        if stacked {
                            legend_name_ui(ui, name, &series.name);
                        } else {
                            // The value first: it is what must not be cut.
                            ui.with_layout(
                                egui::Layout::right_to_left(egui::Align::Center),
                                |ui| {
                                    // Clear of a scroll bar at the window's edge.
                                    ui.add_space(ui.spacing().scroll.bar_width);
                                    ui.label(value.clone());
                                    legend_name_ui(ui, name, &series.name);
                                },
                            );
                        }
                    });
                    if stacked {
                        ui.horizontal(|ui| {
                            ui.add_space(20.0);
                            ui.label(value);
                        });
                        ui.add_space(4.0);
                    }
                }
            });
    }

    /// `metric`'s value at the right edge of a view that ends before the
    /// live history: from the range read from the server's disk (a
    /// bucket's mean).
    fn past_value_at_end(&self, history: &HostHistory, metric: Metric) -> Option<f32> {
        let part = self.past.as_ref()?;
        if self.axis.end_ms >= part.until_ms {
            return None;
        }
        let series = crate::past::names::series_name(metric, history)
            .and_then(|name| part.range.series(&name))?;
        part.range.mean_at(series, self.axis.end_ms)
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one plot's layers in drawing order: alerts, bands, live lines, hover"
    )]
    fn plot_ui(
        &self,
        ui: &mut Ui,
        history: &HostHistory,
        height: f32,
        commands: &mut Vec<Command>,
    ) -> PlotTransform {
        let axis = self.axis;
        let unit = self.unit;
        let width = ui.available_width();
        let columns = axis.columns(width);
        let body = axis.aligned_columns(columns.count as f32);
        let lines = self.lines(ui, history, body);
        let tail = Columns {
            start_ms: body.end_ms,
            end_ms: axis.end_ms.max(body.end_ms + 1),
            count: 1,
        };
        let tails: Vec<Vec<(u64, f32)>> = self
            .series
            .iter()
            .map(|series| history.decimated(series.metric, tail, self.max_step_ms))
            .collect();
        let past_runs: Vec<band::Runs> = self
            .past
            .map(|part| {
                self.series
                    .iter()
                    .map(|s| band::runs(&part, history, s.metric, &axis, self.max_step_ms))
                    .collect()
            })
            .unwrap_or_default();
        let (past_lowest, past_highest) = band::extent(&past_runs, axis.start_ms, axis.end_ms);
        let past_hover = self.past.map(|part| {
            band::Hover::new(
                self.series.iter().map(|s| s.name.clone()),
                &past_runs,
                &part,
            )
        });
        // The y axis fits what is in view, so an old spike does not flatten
        // the last minute.
        let visible = |points: &[(u64, f32)]| {
            points
                .iter()
                .filter(|p| (axis.start_ms..=axis.end_ms).contains(&p.0))
                .map(|p| f64::from(p.1))
                .filter(|v| v.is_finite())
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let highest = lines
            .iter()
            .chain(&tails)
            .map(|points| visible(points))
            .fold(self.y_max.unwrap_or(0.0), f64::max)
            .max(past_highest);
        let lowest = lines
            .iter()
            .chain(&tails)
            .flat_map(|points| points.iter().map(|p| f64::from(p.1)))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::min)
            .min(past_lowest);
        let ticks = ValueTicks::new(unit.scale(), highest);
        let plot = axis
            .configure(Plot::new(&self.id).id(memory_id(&self.id)), width)
            .height(height)
            .y_grid_spacer(move |_| {
                ticks
                    .values()
                    .into_iter()
                    .map(|value| GridMark {
                        value,
                        step_size: ticks.step,
                    })
                    .collect()
            })
            .y_axis_formatter(move |mark, _| unit.tick_label(&ticks, mark.value))
            .y_axis_min_width(64.0)
            .label_formatter(move |hover| match hover {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => past_hover
                    .as_ref()
                    .and_then(|h| h.text(plot_name, axis.unix_ms(position.x), |v| unit.format(v)))
                    .or_else(|| {
                        Some(format!(
                            "{plot_name}: {}\n{} ({})",
                            unit.format(position.y),
                            format::clock(axis.unix_ms(position.x)),
                            format::seconds_ago(position.x)
                        ))
                    }),
                HoverPosition::Elsewhere { .. } => None,
            });
        let shown = plot.show(ui, |plot_ui| {
            axis.frame_ui(plot_ui);
            if let Some(alerts) = self.alerts {
                alerts.draw(plot_ui, &axis);
            }
            plot_ui.set_auto_bounds(Vec2b::new(false, false));
            // A little room above the top label, so a line there is not cut.
            plot_ui.set_plot_bounds_y(lowest..=ticks.top * 1.04);
            // Lines and bands are one texture (see `picture`); each series
            // is also an item that draws nothing, for hovering.
            let mut picture = Picture::new(Id::NULL.with(("time plot picture", &self.id)));
            let mut hovers: Vec<Vec<PlotPoint>> = vec![Vec::new(); self.series.len()];
            if let Some(part) = self.past {
                for ((series, runs), hover) in self.series.iter().zip(&past_runs).zip(&mut hovers) {
                    let style = band::Style {
                        color: series.color,
                        width: series.width,
                        dashed: series.dashed,
                    };
                    band::paint(
                        &mut picture,
                        hover,
                        style,
                        runs,
                        &axis,
                        part.range.is_aggregated(),
                    );
                }
            }
            let live = self
                .series
                .iter()
                .zip(lines.iter())
                .zip(&tails)
                .zip(&mut hovers);
            for (((series, body), tail), hover) in live {
                // The tail starts at the body's last sample, so the line runs on.
                for part in [body.as_slice(), tail.as_slice()] {
                    for run in part.split(|p| p.1.is_nan()).filter(|r| !r.is_empty()) {
                        let points: Vec<PlotPoint> = without_flat_interiors(run)
                            .map(|(ts, value)| PlotPoint::new(axis.x(ts), f64::from(value)))
                            .collect();
                        hover.extend_from_slice(&points);
                        picture.lines.push(picture::Line {
                            points,
                            color: series.color,
                            width: series.width,
                            dashed: series.dashed,
                        });
                    }
                }
            }
            plot_ui.add(picture);
            for (series, points) in self.series.iter().zip(hovers) {
                plot_ui.add(HoverPoints::new(&series.name, series.color, points));
            }
        });
        axis.respond(&shown, commands);
        shown.transform
    }

    /// Every series decimated over `columns`, from egui's memory when nothing
    /// it depends on changed.
    fn lines(&self, ui: &Ui, history: &HostHistory, columns: Columns) -> Lines {
        let id = Id::NULL.with(("time plot lines", &self.id));
        let key = LinesKey {
            columns,
            history_id: history.id(),
            max_step_ms: self.max_step_ms,
            metrics: self.series.iter().map(|s| s.metric).collect(),
        };
        let newest_ms = history.newest_ms();
        let cached = ui.data(|d| d.get_temp::<(LinesKey, Lines, Option<u64>)>(id));
        if let Some((cached_key, lines, _)) = &cached
            && *cached_key == key
        {
            return Arc::clone(lines);
        }
        // Samples that resume after a gap may be older than the old right
        // edge (the axis moved on while the host was silent): the old lines
        // never saw them, so everything is decimated again, and the break
        // is drawn where it is.
        let resumed_after_gap = |cached_newest_ms: Option<u64>| {
            cached_newest_ms.is_some_and(|before| {
                history
                    .first_after(before)
                    .is_some_and(|after| after - before > self.max_step_ms)
            })
        };
        let lines: Lines = match cached {
            Some((cached_key, cached_lines, cached_newest_ms))
                if key.follows(&cached_key) && !resumed_after_gap(cached_newest_ms) =>
            {
                Arc::new(
                    self.series
                        .iter()
                        .zip(cached_lines.iter())
                        .map(|(series, old)| {
                            shifted(
                                history,
                                series.metric,
                                old,
                                cached_key.columns,
                                columns,
                                self.max_step_ms,
                            )
                        })
                        .collect(),
                )
            }
            _ => Arc::new(
                self.series
                    .iter()
                    .map(|series| history.decimated(series.metric, columns, self.max_step_ms))
                    .collect(),
            ),
        };
        ui.data_mut(|d| d.insert_temp(id, (key, Arc::clone(&lines), newest_ms)));
        lines
    }
}

/// A series' name in its legend, cut to the room left, whole on hover.
fn legend_name_ui(ui: &mut Ui, name: &str, full_name: &str) {
    ui.add(egui::Label::new(RichText::new(name).small()).truncate())
        .on_hover_text(full_name);
}

/// A short sample of `series`' line, solid or dashed, in its colour.
fn swatch_ui(ui: &mut Ui, series: &Series) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 10.0), Sense::hover());
    let thickness = series.width.max(2.0);
    let dash = |from: f32, to: f32| {
        egui::Rect::from_min_max(
            egui::pos2(rect.left() + from, rect.center().y - thickness / 2.0),
            egui::pos2(rect.left() + to, rect.center().y + thickness / 2.0),
        )
    };
    let dashes: &[(f32, f32)] = if series.dashed {
        &[(0.0, 6.0), (10.0, 16.0)]
    } else {
        &[(0.0, 16.0)]
    };
    for &(from, to) in dashes {
        ui.painter().rect_filled(dash(from, to), 0.0, series.color);
    }
}

/// `run` without the points inside a stretch of equal values: the line drawn
/// through what is left is the same, with fewer vertices. Idle interfaces,
/// swap and disks are flat most of the time, and under software GL each
/// vertex of a line costs the whole app CPU every frame. (Hovering such a
/// stretch names the time of its first or last sample.)
fn without_flat_interiors(run: &[(u64, f32)]) -> impl Iterator<Item = (u64, f32)> + '_ {
    run.iter().enumerate().filter_map(|(index, &point)| {
        let value = point.1;
        let inside = index > 0
            && run
                .get(index + 1)
                .is_some_and(|next| next.1.to_bits() == value.to_bits())
            && run[index - 1].1.to_bits() == value.to_bits();
        (!inside).then_some(point)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Retention;
    use crate::synthetic::{self, Shape};

    #[test]
    #[allow(clippy::float_cmp, reason = "points are copied, not computed")]
    fn flat_stretches_keep_their_ends_only() {
        let run = [
            (1, 0.0),
            (2, 0.0),
            (3, 0.0),
            (4, 5.0),
            (5, 5.0),
            (6, 0.0),
            (7, 0.0),
            (8, 0.0),
        ];
        let kept: Vec<(u64, f32)> = without_flat_interiors(&run).collect();
        assert_eq!(
            kept,
            [(1, 0.0), (3, 0.0), (4, 5.0), (5, 5.0), (6, 0.0), (8, 0.0)]
        );
        assert_eq!(without_flat_interiors(&run[..1]).count(), 1);
        assert_eq!(without_flat_interiors(&[]).count(), 0);
    }

    #[test]
    fn moved_lines_match_lines_decimated_afresh() {
        let mut history = HostHistory::new(Retention::default());
        for seq in 0..4000 {
            history.push(synthetic::sample(seq, Shape::default()));
        }
        let start_ms = synthetic::START_MS + 100_000;
        let column_ms = 3_000;
        let before = Columns {
            start_ms,
            end_ms: start_ms + 500 * column_ms,
            count: 500,
        };
        let after = Columns {
            start_ms: start_ms + 7 * column_ms,
            end_ms: before.end_ms + 7 * column_ms,
            count: 500,
        };
        for metric in [Metric::CpuTotal, Metric::CpuCore(1), Metric::InterfaceRx(0)] {
            let old = history.decimated(metric, before, 2500);
            let moved = shifted(&history, metric, &old, before, after, 2500);
            let fresh = history.decimated(metric, after, 2500);
            // The same points, apart from the one kept beyond each edge.
            for point in &fresh[1..fresh.len() - 1] {
                assert!(moved.contains(point), "{metric:?}: {point:?} missing");
            }
            assert!(moved.windows(2).all(|w| w[0].0 <= w[1].0), "time order");
            assert!(
                moved.len() <= fresh.len() + 3,
                "{} vs {}",
                moved.len(),
                fresh.len()
            );
        }
    }
}
