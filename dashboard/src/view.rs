//! How the plots look at time: which window of the past they show, whether
//! they follow the newest sample or hold still where the user paused, panned
//! or zoomed them, the instant picked on a plot, and the colour theme. One view
//! for every host and every plot, so all the x axes stay aligned.

use serde::{Deserialize, Serialize};

/// How far back the plots reach. The live history draws what it holds (up
/// to a day); anything older is read from the server's disk
/// ([`crate::past`]).
///
/// Earlier versions saved other presets; they load as the nearest one here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Window {
    /// The last five minutes.
    #[default]
    #[serde(alias = "OneMinute")]
    FiveMinutes,
    /// The last hour.
    #[serde(alias = "FifteenMinutes")]
    OneHour,
    /// The last six hours.
    SixHours,
    /// The last 24 hours.
    #[serde(alias = "All")]
    OneDay,
    /// The last seven days.
    SevenDays,
    /// The last thirty days.
    ThirtyDays,
    /// The last 365 days.
    OneYear,
}

impl Window {
    /// Every preset, in the order the toolbar shows them.
    pub const ALL: [Self; 7] = [
        Self::FiveMinutes,
        Self::OneHour,
        Self::SixHours,
        Self::OneDay,
        Self::SevenDays,
        Self::ThirtyDays,
        Self::OneYear,
    ];

    /// The button's text.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::FiveMinutes => "5 m",
            Self::OneHour => "1 h",
            Self::SixHours => "6 h",
            Self::OneDay => "24 h",
            Self::SevenDays => "7 d",
            Self::ThirtyDays => "30 d",
            Self::OneYear => "1 y",
        }
    }

    /// The window's length.
    #[must_use]
    pub fn millis(self) -> u64 {
        const HOUR_MS: u64 = 3_600_000;
        match self {
            Self::FiveMinutes => 300_000,
            Self::OneHour => HOUR_MS,
            Self::SixHours => 6 * HOUR_MS,
            Self::OneDay => 24 * HOUR_MS,
            Self::SevenDays => 7 * 24 * HOUR_MS,
            Self::ThirtyDays => 30 * 24 * HOUR_MS,
            Self::OneYear => 365 * 24 * HOUR_MS,
        }
    }
}

/// Light or dark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// Light text on dark panels.
    #[default]
    Dark,
    /// Dark text on light panels.
    Light,
}

impl Theme {
    /// The other one.
    #[must_use]
    pub fn toggled(self) -> Self {
        match self {
            Self::Dark => Self::Light,
            Self::Light => Self::Dark,
        }
    }

    /// Makes `ctx` draw in this theme.
    pub fn apply(self, ctx: &egui::Context) {
        ctx.set_theme(match self {
            Self::Dark => egui::Theme::Dark,
            Self::Light => egui::Theme::Light,
        });
    }
}

/// The narrowest span a zoom reaches: a few samples at 1 Hz.
const MIN_SPAN_MS: u64 = 5_000;

/// The time the plots show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeView {
    /// How far back they reach.
    pub window: Window,
    /// Where the right edge stays while paused (Unix ms); `None` follows the
    /// newest sample.
    pub paused_at_ms: Option<u64>,
    /// The span shown after a pan or zoom, in place of the window's (ms).
    pub span_ms: Option<u64>,
    /// The instant picked on a plot (Unix ms): marked on every plot, and its
    /// top processes listed.
    pub marked_ms: Option<u64>,
}

impl TimeView {
    /// The right edge for a host whose newest sample is at `newest_ms`.
    #[must_use]
    pub fn end_ms(&self, newest_ms: u64) -> u64 {
        self.paused_at_ms.map_or(newest_ms, |at| at.min(newest_ms))
    }

    /// The first instant shown, for a host whose newest sample is at
    /// `newest_ms`.
    #[must_use]
    pub fn start_ms(&self, newest_ms: u64) -> u64 {
        self.end_ms(newest_ms).saturating_sub(self.span_ms())
    }

    /// How long a span the plots show (ms).
    #[must_use]
    pub fn span_ms(&self) -> u64 {
        self.span_ms.unwrap_or(self.window.millis())
    }

    /// Holds the plots still on `start_ms..end_ms` (after a pan or a zoom).
    pub fn show_range(&mut self, start_ms: u64, end_ms: u64) {
        self.paused_at_ms = Some(end_ms);
        self.span_ms = Some(end_ms.saturating_sub(start_ms).max(MIN_SPAN_MS));
    }

    /// Follows the live edge over the last `span_ms` (a typed length).
    pub fn show_last(&mut self, span_ms: u64) {
        self.paused_at_ms = None;
        self.span_ms = Some(span_ms.max(MIN_SPAN_MS));
    }

    /// Follows the newest samples again, over the chosen window.
    pub fn resume(&mut self) {
        self.paused_at_ms = None;
        self.span_ms = None;
    }

    /// Shows `window`, dropping a zoom.
    pub fn set_window(&mut self, window: Window) {
        self.window = window;
        self.span_ms = None;
    }

    /// Whether the plots follow the newest sample.
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.paused_at_ms.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_follows_the_newest_and_a_pause_holds_still() {
        let mut view = TimeView::default();
        assert_eq!(view.end_ms(10_000_000), 10_000_000);
        assert_eq!(view.start_ms(10_000_000), 10_000_000 - 300_000);
        view.paused_at_ms = Some(9_000_000);
        assert!(!view.is_live());
        assert_eq!(view.end_ms(10_000_000), 9_000_000);
        view.window = Window::OneHour;
        assert_eq!(view.start_ms(10_000_000), 9_000_000 - 3_600_000);
        view.window = Window::OneYear;
        assert_eq!(view.start_ms(10_000_000), 0, "not before the epoch");
        // A pause later than a host's newest sample shows that host's newest.
        assert_eq!(view.end_ms(8_000_000), 8_000_000);
    }

    #[test]
    fn a_pan_or_zoom_holds_a_range_until_live_or_a_preset() {
        let mut view = TimeView::default();
        view.show_range(10_000_000, 10_030_000);
        assert!(!view.is_live());
        assert_eq!(view.end_ms(20_000_000), 10_030_000);
        assert_eq!(view.start_ms(20_000_000), 10_000_000);
        // Zooming in stops at a few seconds.
        view.show_range(10_000_000, 10_000_010);
        assert_eq!(view.start_ms(20_000_000), 10_000_010 - MIN_SPAN_MS);
        view.set_window(Window::OneHour);
        assert_eq!(view.start_ms(20_000_000), 10_000_010 - 3_600_000);
        view.show_range(10_000_000, 10_030_000);
        view.resume();
        assert!(view.is_live());
        assert_eq!(view.start_ms(20_000_000), 20_000_000 - 3_600_000);
    }

    #[test]
    fn presets_saved_by_earlier_versions_load_as_the_nearest() {
        #[derive(Deserialize)]
        struct Saved {
            window: Window,
        }
        for (saved, loaded) in [
            ("OneMinute", Window::FiveMinutes),
            ("FifteenMinutes", Window::OneHour),
            ("All", Window::OneDay),
            ("SevenDays", Window::SevenDays),
        ] {
            let text = format!("(window: {saved})");
            let read: Saved = ron::from_str(&text).unwrap();
            assert_eq!(read.window, loaded, "{saved}");
        }
        assert_eq!(Window::ALL.map(Window::label)[4], "7 d");
        assert!(
            Window::ALL
                .windows(2)
                .all(|w| w[0].millis() < w[1].millis())
        );
    }

    #[test]
    fn theme_toggles_both_ways() {
        assert_eq!(Theme::Dark.toggled(), Theme::Light);
        assert_eq!(Theme::Light.toggled(), Theme::Dark);
    }
}
