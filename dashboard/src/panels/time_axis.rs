//! The x axis every plot of a host shares, and what a person does on it.
//!
//! Every plot is driven from the one [`TimeView`]: each frame it is told which
//! range to show, so all x axes stay linked. When someone drags (pan),
//! Ctrl+wheel or pinches (zoom), or right-drags across a stretch of time (select)
//! on any plot, the range that plot ends up showing goes back as
//! [`Command::ShowRange`], which pauses live-follow; the other plots follow on
//! the next frame. Ranges stop at the data's extent. The plain wheel is left to
//! the page, which scrolls. A click picks an instant ([`Command::Mark`]), drawn
//! as a vertical line on every plot.
//!
//! x is in seconds relative to the host's newest sample; the labels are the
//! local time of day at round clock steps ([`crate::ticks`]), "now" at the
//! live edge.

use egui::{Color32, PointerButton, Vec2b};
use egui_plot::{GridMark, LineStyle, Plot, PlotPoint, PlotResponse, PlotUi, Span, VLine};

use crate::command::Command;
use crate::history::HostHistory;
use crate::history::decimate::Columns;
use crate::past::plan::round_up_1_2_5;
use crate::ticks;
use crate::view::TimeView;

/// Room one time label wants on the axis, in points.
const TIME_LABEL_WIDTH: f32 = 90.0;
/// A right-drag narrower than this is a slip, not a selection (points).
const MIN_SELECTION_WIDTH: f32 = 6.0;

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
    /// The oldest instant a zoom or pan may reach (Unix ms): the oldest
    /// sample known (0 while the server's history on disk has not said where
    /// it starts).
    pub oldest_ms: u64,
    /// The right edge follows the present (it is labelled "now").
    pub live: bool,
    /// The newest sample, when the axis runs on past it because the host
    /// went silent: the stretch after it is shaded as having no data.
    pub no_data_since_ms: Option<u64>,
}

impl TimeAxis {
    /// The axis for `history` under `view`, ending at the newest sample.
    #[must_use]
    pub fn new(history: &HostHistory, view: &TimeView) -> Self {
        Self::until(history, view, history.newest_ms().unwrap_or(0))
    }

    /// The axis for `history` under `view`, running on to `present_ms` (the
    /// host's present, later than its newest sample while it is down).
    #[must_use]
    pub fn until(history: &HostHistory, view: &TimeView, present_ms: u64) -> Self {
        let newest_ms = history.newest_ms().unwrap_or(0);
        let present_ms = present_ms.max(newest_ms);
        let end_ms = view.end_ms(present_ms);
        Self {
            origin_ms: present_ms,
            start_ms: view.start_ms(present_ms),
            end_ms,
            marked_ms: view.marked_ms,
            oldest_ms: history.oldest_ms().unwrap_or(0),
            live: view.is_live(),
            no_data_since_ms: (history.newest_ms().is_some() && present_ms > newest_ms)
                .then_some(newest_ms),
        }
    }

    /// The same axis, letting zooms and pans reach back to `oldest_ms` (the
    /// oldest the server has on disk) when that is older than the live
    /// history.
    #[must_use]
    pub fn reaching_back_to(self, oldest_ms: u64) -> Self {
        Self {
            oldest_ms: self.oldest_ms.min(oldest_ms),
            ..self
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

    /// `plot` set up for this axis, `width_px` wide: pan and zoom along x only
    /// (y is set by the plot), no wheel (the page scrolls), no box zoom (a
    /// right-drag selects a range instead), clock labels.
    #[must_use]
    pub fn configure<'a>(&self, plot: Plot<'a>, width_px: f32) -> Plot<'a> {
        let zone = jiff::tz::TimeZone::system();
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a widget width in points"
        )]
        let max_labels = (width_px / TIME_LABEL_WIDTH).max(2.0) as usize;
        let axis = *self;
        let label_zone = zone.clone();
        plot.allow_drag(Vec2b::new(true, false))
            .allow_zoom(Vec2b::new(true, false))
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .x_grid_spacer(move |input| {
                let (start_ms, end_ms) =
                    (axis.unix_ms(input.bounds.0), axis.unix_ms(input.bounds.1));
                let live = axis.live && end_ms.abs_diff(axis.end_ms) <= 1;
                let (marks, step_secs) =
                    ticks::time_ticks(start_ms, end_ms, max_labels, live, &zone);
                marks
                    .into_iter()
                    .map(|tick| GridMark {
                        value: axis.x(tick.at_ms),
                        step_size: step_secs as f64,
                    })
                    .collect()
            })
            .x_axis_formatter(move |mark, _| {
                let at_ms = axis.unix_ms(mark.value);
                if axis.live && at_ms.abs_diff(axis.end_ms) <= 1 {
                    return "now".to_owned();
                }
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a clock step in whole seconds"
                )]
                let step_secs = mark.step_size.round() as u64;
                ticks::time_label(at_ms, step_secs, &label_zone)
            })
    }

    /// Inside the plot: shows this axis's range, the stretch with no data
    /// and the marked instant.
    pub fn frame_ui(&self, plot_ui: &mut PlotUi<'_>) {
        plot_ui.set_auto_bounds(Vec2b::new(false, true));
        plot_ui.set_plot_bounds_x(self.x(self.start_ms)..=self.x(self.end_ms));
        if let Some(since_ms) = self.no_data_since_ms
            && since_ms < self.end_ms
        {
            plot_ui.span(
                Span::new(
                    format!("no data since {}", crate::format::time_of_day(since_ms)),
                    self.x(since_ms)..=self.x(self.end_ms),
                )
                .fill(NO_DATA_COLOR)
                .border_width(0.0),
            );
        }
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
    }

    /// After the plot: a range changed by the person (drag, Ctrl+wheel,
    /// pinch, right-drag across a stretch) becomes [`Command::ShowRange`],
    /// held within the data; a click becomes [`Command::Mark`].
    pub fn respond<R>(&self, shown: &PlotResponse<R>, commands: &mut Vec<Command>) {
        let response = &shown.response;
        let zoomed = response.hovered()
            && response
                .ctx
                .input(|i| (i.zoom_delta() - 1.0).abs() > f32::EPSILON);
        // Only a person moves the range: a plot widening an empty range on
        // its own must not pause live-follow.
        let panned = response.dragged_by(PointerButton::Primary)
            || response.drag_stopped_by(PointerButton::Primary);
        let bounds = shown.transform.bounds();
        let (start_ms, end_ms) = (self.unix_ms(bounds.min()[0]), self.unix_ms(bounds.max()[0]));
        if (zoomed || panned)
            && (start_ms.abs_diff(self.start_ms) > 1 || end_ms.abs_diff(self.end_ms) > 1)
        {
            let (start_ms, end_ms) = self.within_data(start_ms, end_ms);
            commands.push(Command::ShowRange { start_ms, end_ms });
            // The other plots follow on the next frame.
            response.ctx.request_repaint();
        }
        if let Some((from_x, to_x)) = selection(response) {
            let x = |screen_x: f32| {
                let at = shown
                    .transform
                    .value_from_position(egui::pos2(screen_x, response.rect.center().y));
                self.unix_ms(at.x)
            };
            let (start_ms, end_ms) = self.within_data(x(from_x.min(to_x)), x(from_x.max(to_x)));
            commands.push(Command::ShowRange { start_ms, end_ms });
            response.ctx.request_repaint();
        }
        if response.clicked()
            && let Some(pointer) = response.interact_pointer_pos()
        {
            let at: PlotPoint = shown.transform.value_from_position(pointer);
            commands.push(Command::Mark(self.unix_ms(at.x)));
        }
    }

    /// `start_ms..end_ms` moved and cut to lie within the host's samples.
    #[must_use]
    pub fn within_data(&self, start_ms: u64, end_ms: u64) -> (u64, u64) {
        let (oldest, newest) = (self.oldest_ms, self.origin_ms.max(self.oldest_ms));
        let span = end_ms.saturating_sub(start_ms).min(newest - oldest);
        let end = end_ms.clamp(oldest + span, newest);
        (end - span, end)
    }
}

/// A right-drag across the plot: while it lasts, the stretch is shaded; when
/// it ends, returns its screen x at both ends, if it is wide enough to mean
/// a range. Its height does not matter: time is picked along x only.
fn selection(response: &egui::Response) -> Option<(f32, f32)> {
    let id = response.id.with("time selection");
    let ctx = &response.ctx;
    if response.drag_started_by(PointerButton::Secondary)
        && let Some(origin) = ctx.input(|i| i.pointer.press_origin())
    {
        ctx.data_mut(|d| d.insert_temp(id, origin.x));
    }
    let from_x = ctx.data(|d| d.get_temp::<f32>(id))?;
    let to_x = ctx.input(|i| i.pointer.latest_pos())?.x;
    let frame = response.rect;
    let to_x = to_x.clamp(frame.left(), frame.right());
    if response.dragged_by(PointerButton::Secondary) {
        let shade =
            egui::Rect::from_x_y_ranges(from_x.min(to_x)..=from_x.max(to_x), frame.y_range());
        ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, id))
            .rect_filled(shade, 0.0, SELECTION_COLOR);
        return None;
    }
    ctx.data_mut(|d| d.remove::<f32>(id));
    (response.drag_stopped_by(PointerButton::Secondary)
        && (to_x - from_x).abs() >= MIN_SELECTION_WIDTH)
        .then_some((from_x, to_x))
}

/// The shade of a stretch with no data.
const NO_DATA_COLOR: Color32 = Color32::from_rgba_premultiplied(0x40, 0x40, 0x40, 0x40);

/// The shade of a stretch being selected.
const SELECTION_COLOR: Color32 = Color32::from_rgba_premultiplied(0x30, 0x50, 0x80, 0x50);

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
            oldest_ms: 1_699_999_000_000,
            live: true,
            no_data_since_ms: None,
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
    }

    #[test]
    fn zooms_and_pans_stop_at_the_data() {
        let axis = TimeAxis {
            origin_ms: 1_000_000,
            start_ms: 700_000,
            end_ms: 1_000_000,
            marked_ms: None,
            oldest_ms: 400_000,
            live: true,
            no_data_since_ms: None,
        };
        // Zoomed out past the oldest sample: all the data, no more.
        assert_eq!(axis.within_data(0, 2_000_000), (400_000, 1_000_000));
        // Panned past the newest: the same span, ending at the newest.
        assert_eq!(axis.within_data(900_000, 1_200_000), (700_000, 1_000_000));
        // Panned before the oldest: starting at the oldest.
        assert_eq!(axis.within_data(100_000, 300_000), (400_000, 600_000));
        assert_eq!(axis.within_data(500_000, 600_000), (500_000, 600_000));
    }
}
