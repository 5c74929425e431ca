//! One live time-series plot: named series from a host's history over the last
//! few minutes, with gaps drawn as breaks in the line.
//!
//! The x axis is seconds relative to the right edge: the newest sample for a
//! live view (the last thing seen, for a disconnected host), or where the user
//! paused.

use egui::{Color32, Ui};
use egui_plot::{HoverPosition, Legend, Line, Plot, PlotPoints};

use crate::format;
use crate::history::{HostHistory, Metric, segments};

/// The unit of a plot's y axis, which decides how values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// 0–100.
    Percent,
    /// Bytes.
    Bytes,
    /// Bytes per second.
    BytesPerSec,
}

impl Unit {
    /// A value written in this unit.
    #[must_use]
    pub fn format(self, value: f64) -> String {
        match self {
            Self::Percent => format!("{value:.0}%"),
            Self::Bytes => format::bytes(value),
            Self::BytesPerSec => format::bytes_per_sec(value),
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
    /// The first instant shown (Unix ms).
    pub start_ms: u64,
    /// The instant at the right edge (Unix ms): the newest sample when live.
    pub end_ms: u64,
    /// Samples further apart than this are not joined by a line.
    pub max_step_ms: u64,
    /// The y axis always reaches this far (100 for percentages).
    pub y_max: Option<f64>,
}

impl TimePlot<'_> {
    /// Draws the plot at the given height.
    pub fn ui(&self, ui: &mut Ui, history: &HostHistory, height: f32) {
        let (start_ms, end_ms) = (self.start_ms, self.end_ms);
        let window_secs = end_ms.saturating_sub(start_ms) as f64 / 1000.0;
        let unit = self.unit;
        let mut plot = Plot::new(&self.id)
            .height(height)
            .legend(Legend::default().follow_insertion_order(true))
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .include_x(-window_secs)
            .include_x(0.0)
            .include_y(0.0)
            .x_axis_formatter(|mark, _| format::seconds_ago(mark.value))
            .y_axis_formatter(move |mark, _| unit.format(mark.value))
            .y_axis_min_width(64.0)
            .label_formatter(move |hover| match hover {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => Some(format!(
                    "{plot_name}: {}\n{}",
                    unit.format(position.y),
                    format::seconds_ago(position.x)
                )),
                HoverPosition::Elsewhere { .. } => None,
            });
        if let Some(y_max) = self.y_max {
            plot = plot.include_y(y_max);
        }
        plot.show(ui, |plot_ui| {
            for series in self.series {
                let points = history
                    .points(series.metric, start_ms)
                    .take_while(|&(ts, _)| ts <= end_ms);
                for run in segments(points, self.max_step_ms) {
                    let points: PlotPoints = run
                        .iter()
                        .map(|&(ts, value)| {
                            [(ts as f64 - end_ms as f64) / 1000.0, f64::from(value)]
                        })
                        .collect();
                    plot_ui.line(
                        Line::new(series.name.as_str(), points)
                            .color(series.color)
                            .width(series.width),
                    );
                }
            }
        });
    }
}
