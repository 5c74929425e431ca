//! When a range fetched from a server's disk first reaches the screen, said
//! as a debug log line with the wall-clock time: how the paint benchmark
//! (`scripts/bench-paint.sh`) measures "painted after the click" from
//! outside the process, on the same clock as the key press it sends.
//!
//! A draw is only known to be on the screen once its frame was painted, so
//! the draw leaves a note in the egui context and the line is written as the
//! next frame starts (eframe paints a frame before it starts the next one).
//! Silent, and costing one check per draw of a new range, unless the log
//! asks for it: `RUST_LOG=hostpulse_dashboard::paint_trace=debug`.
//!
//! At `trace` it also says when each frame starts and how long after the one
//! before: while input keeps coming (a drag), frames follow each other at
//! once, so that is what a frame costs (`scripts/bench-drag.sh`).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hostpulse_shared::RangeTier;

use crate::past::range::FetchedRange;

/// What was drawn, kept until its frame is painted.
#[derive(Debug, Clone, Copy)]
struct Drawn {
    tier: RangeTier,
    points: usize,
    series: usize,
    span_ms: u64,
}

fn note_id() -> egui::Id {
    egui::Id::NULL.with("hostpulse paint trace")
}

fn last_frame_id() -> egui::Id {
    egui::Id::NULL.with("hostpulse frame trace")
}

fn wall_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64() * 1000.0)
}

/// Notes that `range` is drawn this frame for the first time serving a whole
/// window, and asks for the next frame at once, so the line is not held back
/// until the next sample.
pub fn drawn(ctx: &egui::Context, range: &FetchedRange) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let drawn = Drawn {
        tier: range.tier,
        points: range.len(),
        series: range.names().len(),
        span_ms: range.want.to_ms.saturating_sub(range.want.from_ms),
    };
    ctx.data_mut(|data| data.insert_temp(note_id(), Some(drawn)));
    ctx.request_repaint();
}

/// Writes the line for a range drawn in the frame before this one, which has
/// been painted by now, and at `trace` the frame's start. Called as each
/// frame starts.
pub fn painted(ctx: &egui::Context) {
    if tracing::enabled!(tracing::Level::TRACE) {
        let now = Instant::now();
        let last = ctx.data_mut(|data| {
            let last = data.get_temp::<Option<Instant>>(last_frame_id()).flatten();
            data.insert_temp(last_frame_id(), Some(now));
            last
        });
        if let Some(last) = last {
            let since_last_ms = now.duration_since(last).as_secs_f64() * 1000.0;
            tracing::trace!(
                wall_ms = format_args!("{:.3}", wall_ms()),
                since_last_ms = format_args!("{since_last_ms:.2}"),
                "frame started"
            );
        }
    }
    if !tracing::enabled!(tracing::Level::DEBUG) {
        // `drawn` left no note.
        return;
    }
    let Some(drawn) = ctx
        .data_mut(|data| data.remove_temp::<Option<Drawn>>(note_id()))
        .flatten()
    else {
        return;
    };
    tracing::debug!(
        wall_ms = format_args!("{:.3}", wall_ms()),
        tier = ?drawn.tier,
        points = drawn.points,
        series = drawn.series,
        span_ms = drawn.span_ms,
        "fetched range painted"
    );
}
