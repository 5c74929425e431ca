//! The x axis every plot of a host shares, and what a person does on it.
//!
//! Every plot is driven from the one [`TimeView`]: each frame it is told which
//! range to show, so all x axes stay linked. When someone drags (pan), turns
//! the wheel or pinches (zoom), or right-drags a box (zoom) on any plot, the
//! range that plot ends up showing goes back as [`Command::ShowRange`], which
//! pauses live-follow; the other plots follow on the next frame. A click picks
//! an instant ([`Command::Mark`]), drawn as a vertical line on every plot.
//!
//! x is in seconds relative to the host's newest sample, so labels read "-5:00".

use egui::{Color32, Vec2, Vec2b};
use egui_plot::{LineStyle, Plot, PlotPoint, PlotResponse, PlotUi, VLine};

use crate::app::Command;
use crate::format;
use crate::history::HostHistory;
use crate::history::decimate::Columns;
use crate::view::TimeView;

/// How much one notch of the wheel (about 50 points of scroll) zooms.
const ZOOM_PER_SCROLL_POINT: f64 = 1.0 / 250.0;

/// Where the plots of one host are in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeAxis {
    /// Zero on the axis: the host's newest sample (Unix ms).
    pub origin_ms: u64,
    /// The left edge (Unix ms).
    pub start_ms: u64,
    /// The right edge (Unix ms).
    pub end_ms: u64,
    /// The instant picked on a plot (Unix ms).
    pub marked_ms: Option<u64>,
}

impl TimeAxis {
    /// The axis for `history` under `view`.
    #[must_use]
    pub fn new(history: &HostHistory, view: &TimeView) -> Self {
        let newest_ms = history.newest_ms().unwrap_or(0);
        Self {
            origin_ms: newest_ms,
            start_ms: view.start_ms(history.oldest_ms().unwrap_or(0), newest_ms),
            end_ms: view.end_ms(newest_ms),
            marked_ms: view.marked_ms,
        }
    }

    /// An instant as an x value.
    #[must_use]
    pub fn x(&self, unix_ms: u64) -> f64 {
        (unix_ms as f64 - self.origin_ms as f64) / 1000.0
    }

    /// An x value as an instant.
    #[must_use]
    pub fn unix_ms(&self, x: f64) -> u64 {
        let ms = (self.origin_ms as f64 + x * 1000.0).round().max(0.0);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "non-negative, and Unix ms fit f64 exactly"
        )]
        let ms = ms as u64;
        ms
    }

    /// The plot's pixel columns over the shown range, for decimation.
    #[must_use]
    pub fn columns(&self, width_px: f32) -> Columns {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a widget width in points"
        )]
        let count = width_px.max(1.0) as usize;
        Columns {
            start_ms: self.start_ms,
            end_ms: self.end_ms,
            count,
        }
    }

    /// Columns about `width_px` wide, aligned to whole multiples of their
    /// width in ms and ending at the last such multiple at or before the right
    /// edge. What is decimated over them changes only when that edge crosses a
    /// column, once every 86 s at 24 h over 1,000 pixels, so it is kept
    /// between frames; the rest, after the last edge, is one more column.
    #[must_use]
    pub fn aligned_columns(&self, width_px: f32) -> Columns {
        let exact = self.columns(width_px);
        let span_ms = self.end_ms.saturating_sub(self.start_ms);
        // A round width (1, 2 or 5 × 10ⁿ ms), so a plot a few pixels wider or
        // narrower than last frame (layout settles, labels change width)
        // keeps its columns.
        let column_ms = round_up_1_2_5((span_ms / exact.count as u64).max(1));
        let end_ms = self.end_ms / column_ms * column_ms;
        // Counted back from the right edge, so a fixed window moving forward
        // changes its columns once per column, not again as the left edge
        // crosses one.
        let count = span_ms.div_ceil(column_ms) + 1;
        Columns {
            start_ms: end_ms.saturating_sub(count * column_ms),
            end_ms,
            count: usize::try_from(count).unwrap_or(1),
        }
    }

    /// `plot` set up for this axis: pan, zoom and box zoom along x only (y
    /// fits the data), time labels.
    #[must_use]
    pub fn configure<'a>(&self, plot: Plot<'a>) -> Plot<'a> {
        plot.allow_drag(Vec2b::new(true, false))
            .allow_zoom(Vec2b::new(true, false))
            .allow_scroll(false)
            .allow_boxed_zoom(true)
            .allow_double_click_reset(false)
            .x_axis_formatter(|mark, _| format::seconds_ago(mark.value))
    }

    /// Inside the plot: shows this axis's range (zoomed by the wheel if it
    /// turned over this plot) and the marked instant. Returns whether the
    /// wheel zoomed.
    pub fn frame_ui(&self, plot_ui: &mut PlotUi<'_>) -> bool {
        let mut wheel_zoomed = false;
        let (mut left, mut right) = (self.x(self.start_ms), self.x(self.end_ms));
        if plot_ui.response().hovered() {
            let scroll_y = plot_ui.ctx().input(|i| i.smooth_scroll_delta.y);
            if scroll_y != 0.0
                && let Some(pointer) = plot_ui.pointer_coordinate()
            {
                let factor = (-f64::from(scroll_y) * ZOOM_PER_SCROLL_POINT).exp();
                left = pointer.x + (left - pointer.x) * factor;
                right = pointer.x + (right - pointer.x) * factor;
                wheel_zoomed = true;
                // The wheel zooms this plot instead of scrolling the page.
                plot_ui
                    .ctx()
                    .input_mut(|i| i.smooth_scroll_delta = Vec2::ZERO);
            }
        }
        plot_ui.set_auto_bounds(Vec2b::new(false, true));
        plot_ui.set_plot_bounds_x(left..=right);
        if let Some(marked_ms) = self.marked_ms {
            plot_ui.vline(
                // No name: it has no place in the legend.
                VLine::new("", self.x(marked_ms))
                    .color(MARK_COLOR)
                    .width(1.5)
                    .style(LineStyle::dashed_loose())
                    .allow_hover(false),
            );
        }
        wheel_zoomed
    }

    /// After the plot: a range changed by the person becomes
    /// [`Command::ShowRange`], a click [`Command::Mark`]. The plot's inner
    /// value is what [`Self::frame_ui`] returned.
    pub fn respond(&self, shown: &PlotResponse<bool>, commands: &mut Vec<Command>) {
        let response = &shown.response;
        let pinched = response.hovered()
            && response
                .ctx
                .input(|i| (i.zoom_delta() - 1.0).abs() > f32::EPSILON);
        // Only a person moves the range: a plot widening an empty range on
        // its own must not pause live-follow.
        let moved_by_hand = shown.inner || pinched || response.dragged() || response.drag_stopped();
        let bounds = shown.transform.bounds();
        let (start_ms, end_ms) = (self.unix_ms(bounds.min()[0]), self.unix_ms(bounds.max()[0]));
        if moved_by_hand
            && (start_ms.abs_diff(self.start_ms) > 1 || end_ms.abs_diff(self.end_ms) > 1)
        {
            commands.push(Command::ShowRange { start_ms, end_ms });
            // The other plots follow on the next frame.
            response.ctx.request_repaint();
        }
        if response.clicked()
            && let Some(pointer) = response.interact_pointer_pos()
        {
            let at: PlotPoint = shown.transform.value_from_position(pointer);
            commands.push(Command::Mark(self.unix_ms(at.x)));
        }
    }
}

/// The smallest of 1, 2, 5, 10, 20, 50… that is at least `value`.
fn round_up_1_2_5(value: u64) -> u64 {
    let mut decade = 1u64;
    loop {
        for step in [1u64, 2, 5] {
            let candidate = step.saturating_mul(decade);
            if candidate >= value {
                return candidate;
            }
        }
        decade = decade.saturating_mul(10);
    }
}

/// The picked instant's line.
pub const MARK_COLOR: Color32 = Color32::from_rgb(0xf0, 0xa0, 0x30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_and_instants_convert_both_ways() {
        let axis = TimeAxis {
            origin_ms: 1_700_000_000_000,
            start_ms: 1_699_999_700_000,
            end_ms: 1_700_000_000_000,
            marked_ms: None,
        };
        assert!((axis.x(axis.start_ms) + 300.0).abs() < 1e-9);
        assert_eq!(axis.unix_ms(-12.5), 1_699_999_987_500);
        assert_eq!(axis.columns(640.0).count, 640);
        let aligned = axis.aligned_columns(640.0);
        // 300 s over 640 columns: 468 ms each, rounded up to 500 ms.
        assert_eq!(aligned.start_ms % 500, 0);
        assert_eq!(aligned.end_ms % 500, 0);
        assert!(aligned.end_ms <= axis.end_ms && axis.end_ms - aligned.end_ms < 500);
        assert_eq!(
            (aligned.end_ms - aligned.start_ms) / 500,
            aligned.count as u64
        );
        assert!(aligned.start_ms <= axis.start_ms, "covers the left edge");
        // A few pixels either way: the same columns.
        assert_eq!(axis.aligned_columns(630.0), aligned);
        assert_eq!(axis.aligned_columns(650.0), aligned);
        // One second later the columns are the same ones, shifted.
        let later = TimeAxis {
            start_ms: axis.start_ms + 1000,
            end_ms: axis.end_ms + 1000,
            ..axis
        }
        .aligned_columns(640.0);
        assert_eq!((later.start_ms - aligned.start_ms) % 500, 0);
        assert_eq!(round_up_1_2_5(1), 1);
        assert_eq!(round_up_1_2_5(3), 5);
        assert_eq!(round_up_1_2_5(86_400), 100_000);
        assert_eq!(round_up_1_2_5(101), 200);
    }
}
