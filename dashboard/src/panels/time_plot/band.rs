//! The part of a plot older than the live history, drawn from a range the
//! server read from its disk ([`FetchedRange`]). A point of an aggregated tier
//! (a minute, an hour, or hours merged) is drawn as what it says: every value
//! in its span lay between its min and max, so the band fills exactly that
//! rectangle, and the mean is a line through the middles of the spans. A
//! one-second spike in a year is the top of its hour's band, never averaged
//! away. Spans that do not touch, unknown values and the gaps the server
//! named break both the band and the line (ARCHITECTURE.md, invariant 8). A
//! raw point is one sample, drawn as the live history draws one.

use std::sync::Arc;

use egui::Color32;
use egui_plot::PlotPoint;

use super::picture::{Band, Line, Picture};

use crate::format;
use crate::history::{HostHistory, Metric};
use crate::panels::time_axis::TimeAxis;
use crate::past::PastPart;
use crate::past::names::series_name;
use crate::past::range::Bucket;

/// How opaque a band is: the mean line over it stays the thing to read.
const BAND_ALPHA: f32 = 0.3;

/// What one series draws from the range: runs of buckets, each a band and a
/// line of its own.
pub type Runs = Vec<Vec<Bucket>>;

/// `metric`'s runs in `part` within `axis`'s window (raw samples more than
/// `max_step_ms` apart are not joined).
#[must_use]
pub fn runs(
    part: &PastPart<'_>,
    history: &HostHistory,
    metric: Metric,
    axis: &TimeAxis,
    max_step_ms: u64,
) -> Runs {
    series_name(metric, history)
        .and_then(|name| part.range.series(&name))
        .map(|series| {
            part.range.runs(
                series,
                axis.start_ms,
                axis.end_ms,
                part.until_ms,
                max_step_ms,
            )
        })
        .unwrap_or_default()
}

/// The colour of a band under a line of `color`.
#[must_use]
pub fn band_color(color: Color32) -> Color32 {
    color.gamma_multiply(BAND_ALPHA)
}

/// The lowest and highest value the runs show between `start_ms` and
/// `end_ms`, counting each bucket's min and max.
#[must_use]
pub fn extent(runs: &[Runs], start_ms: u64, end_ms: u64) -> (f64, f64) {
    runs.iter()
        .flatten()
        .flatten()
        .filter(|b| b.end_ms >= start_ms && b.start_ms <= end_ms)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), b| {
            (low.min(f64::from(b.min)), high.max(f64::from(b.max)))
        })
}

/// How a series is drawn: the line's colour, width, dash.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// The line's colour; the band is a paler one.
    pub color: Color32,
    /// The line's width in points.
    pub width: f32,
    /// A dashed line.
    pub dashed: bool,
}

/// Adds `runs` of one series to `picture`: for aggregated points a band per
/// run under the mean line, for raw samples the line alone. The line's
/// vertices also go to `hover`, so hovering finds them.
pub fn paint(
    picture: &mut Picture,
    hover: &mut Vec<PlotPoint>,
    style: Style,
    runs: &Runs,
    axis: &TimeAxis,
    aggregated: bool,
) {
    for run in runs {
        if aggregated {
            // Each bucket's left and right edge at its min and max: the band
            // is a row of rectangles, one per span, touching where spans do.
            let mut band = Band {
                xs: Vec::with_capacity(2 * run.len()),
                lows: Vec::with_capacity(2 * run.len()),
                highs: Vec::with_capacity(2 * run.len()),
                color: band_color(style.color),
            };
            for bucket in run {
                for edge_ms in [bucket.start_ms, bucket.end_ms] {
                    band.xs.push(axis.x(edge_ms));
                    band.lows.push(f64::from(bucket.min));
                    band.highs.push(f64::from(bucket.max));
                }
            }
            picture.bands.push(band);
        }
        let points: Vec<PlotPoint> = run
            .iter()
            .map(|b| PlotPoint::new(axis.x(b.middle_ms()), f64::from(b.mean)))
            .collect();
        hover.extend_from_slice(&points);
        picture.lines.push(Line {
            points,
            color: style.color,
            width: style.width,
            dashed: style.dashed,
        });
    }
}

#[derive(Debug, Default)]
pub struct Hover {
    series: Vec<(String, Vec<Bucket>)>,
    aggregated: bool,
    until_ms: u64,
}

impl Hover {
    /// The buckets of each named series.
    #[must_use]
    pub fn new(
        names: impl Iterator<Item = String>,
        runs: &[Runs],
        part: &PastPart<'_>,
    ) -> Arc<Self> {
        Arc::new(Self {
            series: names
                .zip(runs)
                .map(|(name, runs)| (name, runs.concat()))
                .collect(),
            aggregated: part.range.is_aggregated(),
            until_ms: part.until_ms,
        })
    }

    /// For the point of `name` nearest `at_ms` in the older part: its mean,
    /// min and max written by `write`, and the span it covers; `None` where
    /// the live history draws, or for a raw sample (the plain label says it).
    #[must_use]
    pub fn text(&self, name: &str, at_ms: u64, write: impl Fn(f64) -> String) -> Option<String> {
        if !self.aggregated || at_ms >= self.until_ms {
            return None;
        }
        let (_, buckets) = self.series.iter().find(|(n, _)| n == name)?;
        let bucket = buckets
            .iter()
            .min_by_key(|b| b.middle_ms().abs_diff(at_ms))?;
        Some(format!(
            "{name}: {} mean\nlowest {}, highest {}\n{} – {}",
            write(f64::from(bucket.mean)),
            write(f64::from(bucket.min)),
            write(f64::from(bucket.max)),
            format::date_time(bucket.start_ms),
            format::date_time(bucket.end_ms),
        ))
    }
}
