//! What the host view draws from the server's disk this frame, and what it
//! asks for: the range behind the plots when the window reaches past the live
//! history, and the processes of a picked instant the live history has no
//! list near. Asking is a [`Command`]; the app sends it through the link, and
//! until the answer comes the plots draw what they have (a coarser range
//! kept, or just the live part) with a loading mark beside the presets.

use crate::command::Command;
use crate::host::Host;
use crate::paint_trace;
use crate::panels::processes;
use crate::panels::time_axis::TimeAxis;
use crate::past::plan::{self, need};
use crate::past::{MomentState, PastPart};
use crate::view::TimeView;

/// `axis` reaching back as far as `host`'s server keeps history: where an
/// answer said it starts; with no limit while the server keeps history on
/// disk but no answer has reached past its start (a week's window on a
/// longer history never does, and a pan must not stop at the live history:
/// the window it pans to asks, and the answer shows data or a gap); the live
/// history alone when it keeps none on disk, or has not said yet (a preset
/// or a typed range reaching past the live history asks, and the first
/// answer tells). A zoom never shows as data what nobody has said exists.
#[must_use]
pub fn reach(host: &Host, axis: TimeAxis) -> TimeAxis {
    match (host.past.has_archive(), host.past.oldest_ms()) {
        (Some(true) | None, Some(oldest_ms)) => axis.reaching_back_to(oldest_ms),
        (Some(true), None) => axis.reaching_back_to(0),
        _ => axis,
    }
}

/// The range to draw the part of `axis`'s window older than the live history
/// from, if one is kept; asks for a better one when none serves the window
/// `width_px` columns wide. A range's first draw serving the whole window is
/// traced ([`paint_trace`]).
#[must_use]
pub fn part<'h>(
    ctx: &egui::Context,
    host: &'h Host,
    view: &TimeView,
    axis: &TimeAxis,
    width_px: f32,
    commands: &mut Vec<Command>,
) -> Option<PastPart<'h>> {
    let live_from_ms = host.history.oldest_ms();
    let need = need(axis.start_ms, axis.end_ms, width_px, live_from_ms)?;
    let found = host.past.ranges().best_for(&need);
    let served = found.is_some_and(|(_, full)| full);
    if let Some((range, true)) = found
        && range.first_whole_draw()
    {
        paint_trace::drawn(ctx, range);
    }
    if !served && !host.past.pending_serves(&need) {
        let want = plan::want(&need, view.span_ms(), view.is_live(), axis.origin_ms);
        commands.push(Command::FetchRange {
            host: host.id,
            want,
        });
    }
    found.map(|(range, _)| PastPart {
        range,
        until_ms: live_from_ms.unwrap_or(u64::MAX),
    })
}

/// What is known about the processes at the picked instant `marked_ms`
/// beyond the live history; asks the server when nothing is.
#[must_use]
pub fn moment<'h>(
    host: &'h Host,
    marked_ms: Option<u64>,
    commands: &mut Vec<Command>,
) -> MomentState<'h> {
    let Some(at_ms) = marked_ms else {
        return MomentState::Unknown;
    };
    if processes::live_moment(&host.history, at_ms).is_some() {
        return MomentState::Unknown;
    }
    let state = host.past.moment(at_ms);
    if state == MomentState::Unknown {
        commands.push(Command::FetchProcesses {
            host: host.id,
            at_ms,
        });
        // Asked this frame: the table says so at once.
        return MomentState::Loading;
    }
    state
}
