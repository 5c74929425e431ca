//! What to ask a server's disk for, for the time the plots show, as Grafana
//! does: the live history draws what it holds; the rest of the window, older
//! or wider than that, is read from the server at about one point per pixel
//! column. A request is rounded outward to a grid of its columns, and a paused
//! or panned view asks for half a window more on each side, so panning a
//! little or the live edge moving on asks for nothing new. Pure: no I/O, no
//! egui.

/// The most points per series a request asks for (the server allows 10,000).
pub const MAX_POINTS: u64 = 8_000;

/// A request is rounded outward to a multiple of this many of its columns.
const GRID_COLUMNS: u64 = 64;

/// A cached answer serves columns at most this many times wider than its
/// own: finer than that, it holds points no pixel shows.
const FINEST_SERVED: u64 = 4;

/// What a window needs read from the server's disk: the part of it the live
/// history does not hold, at a column width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// Left edge of the window (Unix ms).
    pub start_ms: u64,
    /// Right edge of what the live history does not hold (Unix ms).
    pub end_ms: u64,
    /// The width of one pixel column (ms), rounded up to 1, 2 or 5 × 10ⁿ so
    /// that a few pixels more or less keep it.
    pub column_ms: u64,
}

/// A `history_range` request before it is given an id: the span asked and the
/// column width its points are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RangeWant {
    /// Start asked (Unix ms).
    pub from_ms: u64,
    /// End asked (Unix ms).
    pub to_ms: u64,
    /// The span of one column the answer is for (ms).
    pub column_ms: u64,
}

impl RangeWant {
    /// The points per series to ask for: one per column.
    #[must_use]
    pub fn points(&self) -> u32 {
        let columns = (self.to_ms.saturating_sub(self.from_ms) / self.column_ms.max(1)) + 1;
        u32::try_from(columns.clamp(1, MAX_POINTS)).unwrap_or(1)
    }

    /// Whether an answer to this request draws `need` well: it covers the
    /// span (within a column at each end) at columns as fine as asked, but
    /// not so much finer that most of its points fall in the same pixel.
    #[must_use]
    pub fn serves(&self, need: &Need) -> bool {
        let slack = need.column_ms;
        self.column_ms <= need.column_ms
            && self.column_ms.saturating_mul(FINEST_SERVED) >= need.column_ms
            && self.from_ms <= need.start_ms.saturating_add(slack)
            && self.to_ms.saturating_add(slack) >= need.end_ms
    }

    /// How much of `need`'s span this request covers (ms).
    #[must_use]
    pub fn overlap_ms(&self, need: &Need) -> u64 {
        self.to_ms
            .min(need.end_ms)
            .saturating_sub(self.from_ms.max(need.start_ms))
    }
}

/// What the window `start_ms..end_ms`, `width_px` columns wide, needs from the
/// server when the live history holds everything from `live_from_ms` on;
/// `None` when the live history holds the whole window, or holds nothing yet
/// (the first samples tell where it starts).
#[must_use]
pub fn need(start_ms: u64, end_ms: u64, width_px: f32, live_from_ms: Option<u64>) -> Option<Need> {
    let live_from_ms = live_from_ms?;
    if start_ms >= live_from_ms || end_ms <= start_ms {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a widget width in points"
    )]
    let columns = width_px.max(1.0) as u64;
    let span_ms = end_ms - start_ms;
    Some(Need {
        start_ms,
        end_ms: end_ms.min(live_from_ms),
        column_ms: round_up_1_2_5((span_ms / columns).max(1)),
    })
}

/// The request for `need`, in a window `span_ms` long. A view following the
/// live edge asks up to `present_ms`: the start only moves forward, so the
/// answer serves until the window changes. A view held still (paused,
/// panned, zoomed) asks for half a window more on each side, so that panning
/// within it needs nothing new.
#[must_use]
pub fn want(need: &Need, span_ms: u64, following_live: bool, present_ms: u64) -> RangeWant {
    let mut column_ms = need.column_ms;
    let margin_ms = if following_live { 0 } else { span_ms / 2 };
    let mut from_ms = need.start_ms.saturating_sub(margin_ms);
    let mut to_ms = if following_live {
        present_ms.max(need.end_ms)
    } else {
        need.end_ms
            .saturating_add(margin_ms)
            .min(present_ms.max(need.end_ms))
    };
    // Very wide screens: wider columns rather than more points than allowed.
    let columns = (to_ms - from_ms) / column_ms.max(1);
    if columns > MAX_POINTS - 2 * GRID_COLUMNS {
        column_ms = round_up_1_2_5((to_ms - from_ms).div_ceil(MAX_POINTS - 2 * GRID_COLUMNS));
    }
    let grid_ms = column_ms.saturating_mul(GRID_COLUMNS);
    from_ms = from_ms / grid_ms * grid_ms;
    if !following_live {
        to_ms = to_ms.div_ceil(grid_ms).saturating_mul(grid_ms);
    }
    RangeWant {
        from_ms,
        to_ms,
        column_ms,
    }
}

/// The smallest of 1, 2, 5, 10, 20, 50… that is at least `value`.
#[must_use]
pub fn round_up_1_2_5(value: u64) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: u64 = 86_400_000;
    const NOW_MS: u64 = 1_760_000_000_000;

    #[test]
    fn a_window_the_live_history_holds_needs_nothing() {
        assert_eq!(
            need(NOW_MS - 300_000, NOW_MS, 800.0, Some(NOW_MS - DAY_MS)),
            None
        );
        assert_eq!(
            need(NOW_MS - 300_000, NOW_MS, 800.0, None),
            None,
            "no sample yet"
        );
        let week = need(
            NOW_MS - 7 * DAY_MS,
            NOW_MS,
            1600.0,
            Some(NOW_MS - 3_600_000),
        )
        .unwrap();
        assert_eq!(
            week.end_ms,
            NOW_MS - 3_600_000,
            "the live hour is not asked"
        );
        // 7 days over 1,600 columns: 378 s each, rounded up to 500 s.
        assert_eq!(week.column_ms, 500_000);
    }

    #[test]
    fn the_live_edge_moving_on_asks_for_nothing_new() {
        let live_from = NOW_MS - 3_600_000;
        let first = need(NOW_MS - 7 * DAY_MS, NOW_MS, 1600.0, Some(live_from)).unwrap();
        let asked = want(&first, 7 * DAY_MS, true, NOW_MS);
        assert!(asked.serves(&first));
        assert!(asked.from_ms <= first.start_ms && asked.to_ms == NOW_MS);
        assert!(u64::from(asked.points()) <= 1600 + 64, "{}", asked.points());
        // Ten minutes on, the window has moved and the live history with it.
        let later = need(
            NOW_MS + 600_000 - 7 * DAY_MS,
            NOW_MS + 600_000,
            1600.0,
            Some(live_from + 600_000),
        )
        .unwrap();
        assert!(asked.serves(&later));
        // Another preset does not.
        let month = need(NOW_MS - 30 * DAY_MS, NOW_MS, 1600.0, Some(live_from)).unwrap();
        assert!(!asked.serves(&month));
    }

    #[test]
    fn a_held_view_asks_for_margins_and_pans_within_them_freely() {
        let start = NOW_MS - 3 * DAY_MS;
        let end = start + 3_600_000;
        let first = need(start, end, 1000.0, Some(NOW_MS - 3_600_000)).unwrap();
        assert_eq!(first.column_ms, 5_000, "3.6 s rounded up");
        let asked = want(&first, 3_600_000, false, NOW_MS);
        assert!(asked.from_ms <= start - 1_800_000 && asked.to_ms >= end + 1_800_000);
        assert_eq!(asked.from_ms % (5_000 * 64), 0, "on the grid");
        // Panned by a quarter of the window: still served.
        let panned = need(start + 900_000, end + 900_000, 1000.0, Some(NOW_MS)).unwrap();
        assert!(asked.serves(&panned));
        // Zoomed in four times: columns too coarse now.
        let zoomed = need(start, start + 900_000, 1000.0, Some(NOW_MS)).unwrap();
        assert!(!asked.serves(&zoomed));
        // Zoomed out far: not covered.
        let out = need(start - DAY_MS, end, 1000.0, Some(NOW_MS)).unwrap();
        assert!(!asked.serves(&out));
        assert!(asked.overlap_ms(&out) >= 3_600_000);
    }

    #[test]
    fn a_held_view_never_asks_past_the_present_and_wide_screens_stay_under_the_cap() {
        let held = need(NOW_MS - 2 * DAY_MS, NOW_MS - DAY_MS, 1000.0, Some(NOW_MS)).unwrap();
        let present = NOW_MS - DAY_MS + 1000;
        let asked = want(&held, DAY_MS, false, present);
        assert!(asked.to_ms < present + held.column_ms * GRID_COLUMNS);
        let year = need(NOW_MS - 365 * DAY_MS, NOW_MS, 100_000.0, Some(NOW_MS)).unwrap();
        let asked = want(&year, 365 * DAY_MS, false, NOW_MS);
        assert!(u64::from(asked.points()) <= MAX_POINTS);
    }

    #[test]
    fn round_steps() {
        assert_eq!(round_up_1_2_5(1), 1);
        assert_eq!(round_up_1_2_5(3), 5);
        assert_eq!(round_up_1_2_5(86_400), 100_000);
        assert_eq!(round_up_1_2_5(101), 200);
    }
}
