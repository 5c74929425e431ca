//! The dashboard's views from minutes to a year, end to end: the real app
//! (driven through `egui_kittest`) against a real server on loopback whose
//! history on disk was written beforehand, eight days of a typical host with
//! a day missing. The 7 d preset draws min–max bands with the mean line from
//! the hour tier; typing an hour three days ago fetches the minute tier; the
//! missing day is a break; the processes of a moment days ago come from the
//! minute's peaks; and the fetched ranges stay within their cap.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod bands;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use egui::Color32;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::command::Command;
use hostpulse_dashboard::format;
use hostpulse_dashboard::panels::host_view::PLOT_TITLES;
use hostpulse_dashboard::panels::time_plot::{Unit, memory_id};
use hostpulse_dashboard::past::cache::{MAX_BYTES, MAX_RANGES};
use hostpulse_dashboard::past::range::FetchedRange;
use hostpulse_dashboard::view::{TimeView, Window};
use hostpulse_server::{BackgroundServer, Config, HistoryStore};
use hostpulse_shared::RangeTier;
use hostpulse_store::synthetic::{Generator, HostShape};
use hostpulse_store::{Store, StoreConfig};

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
/// How long any one wait may take before the test fails.
const PATIENCE: Duration = Duration::from_mins(1);
/// The CPU plot's line colour (`host_view.rs`): the palette's first.
const CPU_COLOR: Color32 = hostpulse_dashboard::palette::SERIES[0];

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A server whose history on disk holds eight days of a typical host up to
/// now (a sample a minute, every second for the last two hours), but for
/// the day from 5 to 4 days ago.
struct Filled {
    _dir: tempfile::TempDir,
    server: BackgroundServer,
    /// Where the missing day starts and ends (Unix ms).
    gap: (u64, u64),
}

fn filled() -> Filled {
    let dir = tempfile::tempdir().unwrap();
    let settings = HistoryStore {
        raw_retention: Duration::from_hours(2),
        ..HistoryStore::in_data_dir(dir.path())
    };
    let end_ms = now_ms();
    let gap = (end_ms - 5 * DAY_MS, end_ms - 4 * DAY_MS);
    let (mut store, _) = Store::open(StoreConfig {
        raw_retention_ms: 2 * HOUR_MS,
        ..StoreConfig::new(&settings.dir)
    })
    .unwrap();
    let mut generator = Generator::new(HostShape::TYPICAL, 1);
    let mut time = end_ms - 8 * DAY_MS;
    while time <= end_ms {
        // A sample a minute over the week, every 10 s around three days ago
        // (so each minute the typed hour shows holds a band, not one value),
        // every second over the raw tier's last two hours.
        let age_ms = end_ms - time;
        let step_ms = if age_ms <= 2 * HOUR_MS {
            1000
        } else if (3 * DAY_MS - 2 * HOUR_MS..=3 * DAY_MS + 2 * HOUR_MS).contains(&age_ms) {
            10_000
        } else {
            60_000
        };
        if !(gap.0..gap.1).contains(&time) {
            store.push(&generator.sample(time, step_ms as f64 / 1000.0));
        }
        time += step_ms;
    }
    store.close(None);
    drop(store);
    let server = BackgroundServer::spawn_on_loopback(Config {
        history_store: Some(settings),
        data_dir: Some(dir.path().to_owned()),
        ..Config::default()
    })
    .unwrap();
    Filled {
        _dir: dir,
        server,
        gap,
    }
}

/// The whole app watching `url`, wide enough for a point per pixel of a
/// week's plot.
fn app_watching(url: &str) -> Harness<'static, DashboardApp> {
    let mut app = DashboardApp::new(&egui::Context::default());
    app.add_host(url, None, None);
    Harness::builder()
        .with_size(egui::vec2(1700.0, 1100.0))
        .build_ui_state(
            |ui, app: &mut DashboardApp| {
                app.poll(ui.ctx());
                app.ui(ui);
            },
            app,
        )
}

/// Draws frames as the window would until `done` holds; fails saying `what`
/// was awaited.
fn frames_until(
    harness: &mut Harness<'_, DashboardApp>,
    what: &str,
    mut done: impl FnMut(&DashboardApp) -> bool,
) {
    let give_up = Instant::now() + PATIENCE;
    loop {
        harness.run_steps(1);
        if done(harness.state()) {
            // One more frame draws what arrived.
            harness.run_steps(1);
            return;
        }
        assert!(Instant::now() < give_up, "waited in vain for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn live(harness: &mut Harness<'_, DashboardApp>) {
    frames_until(harness, "the first samples", |app| {
        app.hosts()[0].history.len() >= 2
    });
}

/// The range the plots drew last, once none is on its way.
fn drawn_range(app: &DashboardApp) -> Option<&FetchedRange> {
    let host = &app.hosts()[0];
    let view = app.view();
    let newest = host.history.newest_ms()?;
    (!host.past.is_loading())
        .then(|| {
            host.past
                .ranges()
                .latest_over(view.start_ms(newest), view.end_ms(newest))
        })
        .flatten()
}

/// The app watching `filled`'s server, live, then in the 7 d window once the
/// week from the disk is drawn.
fn showing_the_week(filled: &Filled) -> Harness<'static, DashboardApp> {
    let mut harness = app_watching(&filled.server.ws_url());
    live(&mut harness);
    harness.get_by_label("7 d").click();
    frames_until(&mut harness, "a week from the disk", |app| {
        drawn_range(app).is_some_and(|r| r.want.from_ms <= app.view().start_ms(now_ms()))
    });
    harness
}

/// Checks the CPU plot's bands and mean line against the range it drew;
/// returns what was seen.
fn check_cpu_plot(harness: &Harness<'_, DashboardApp>, label: &str) -> bands::Seen {
    let app = harness.state();
    let host = &app.hosts()[0];
    let range = drawn_range(app).expect("a range drawn");
    let series = range.series("cpu.total_percent").expect("CPU in the range");
    let plot = format!("{} {}", PLOT_TITLES[0], host.id);
    let memory = egui_plot::PlotMemory::load(&harness.ctx, memory_id(&plot)).expect("the CPU plot");
    bands::check(
        &hostpulse_dashboard::panels::time_plot::picture::drawn_shapes(&harness.ctx),
        &memory.transform(),
        // While live, x = 0 is the newest sample.
        host.history.newest_ms().unwrap(),
        range,
        series,
        CPU_COLOR,
        host.history.oldest_ms().unwrap(),
        label,
    )
}

#[test]
fn the_week_preset_draws_bands_from_the_hour_tier_and_the_missing_day_as_a_break() {
    let filled = filled();
    let mut harness = showing_the_week(&filled);
    let range = drawn_range(harness.state()).unwrap();
    assert_eq!(range.tier, RangeTier::Hour, "a week at 1,600 points");
    assert!(range.is_aggregated());
    let seen = check_cpu_plot(&harness, "7 d");
    // Three days after the gap, three (of the week's seven) before: two
    // runs, each its own band and mean line.
    assert_eq!(seen.bands, 2, "{seen:?}");
    assert_eq!(seen.lines, 2, "{seen:?}");
    // Nothing drawn is inside the missing day: the band vertices around it
    // leave it out.
    let app = harness.state();
    let host = &app.hosts()[0];
    let plot = format!("{} {}", PLOT_TITLES[0], host.id);
    let transform = egui_plot::PlotMemory::load(&harness.ctx, memory_id(&plot))
        .unwrap()
        .transform();
    let origin = host.history.newest_ms().unwrap();
    // Hours are whole: the last one before the gap may reach an hour into it.
    let inside = (
        bands::screen(&transform, origin, filled.gap.0 + HOUR_MS, 0.0).x + 1.5,
        bands::screen(&transform, origin, filled.gap.1 - HOUR_MS, 0.0).x - 1.5,
    );
    assert!(inside.1 - inside.0 > 50.0, "a day is wide: {inside:?}");
    assert!(
        !seen
            .band_vertices
            .iter()
            .any(|v| v.x > inside.0 && v.x < inside.1),
        "something drawn inside the missing day {inside:?}"
    );
    // The live edge moves on while the week is shown.
    let newest = host.history.newest_ms().unwrap();
    frames_until(&mut harness, "a newer sample", |app| {
        app.hosts()[0].history.newest_ms() > Some(newest)
    });
    assert!(harness.state().view().is_live());
    harness.get_by_label("following live");
}

#[test]
fn a_preset_clicked_asks_for_its_history_in_the_frame_of_the_click() {
    let filled = filled();
    let mut harness = app_watching(&filled.server.ws_url());
    live(&mut harness);
    assert!(!harness.state().hosts()[0].past.is_loading());

    harness.get_by_label("30 d").click();
    harness.run_steps(1);
    // The frame that took the click drew the new window (egui ran its pass
    // again) and so already asked: not one frame later.
    assert_eq!(harness.state().view().window, Window::ThirtyDays);
    assert!(
        harness.state().hosts()[0].past.is_loading(),
        "no request for the month went in the frame of the click"
    );
}

#[test]
fn dragging_the_week_back_keeps_its_span_past_the_live_history() {
    let filled = filled();
    let mut harness = showing_the_week(&filled);
    let newest = harness.state().hosts()[0].history.newest_ms().unwrap();

    // The CPU plot, dragged right: earlier days come into view. The week's
    // window does not reach the history's start (eight days back), so no
    // answer has said where it is; the live history holds two hours.
    let title = harness.get_by_label(PLOT_TITLES[0]).rect();
    let from = egui::pos2(title.left() + 300.0, title.bottom() + 60.0);
    harness.hover_at(from);
    harness.run_steps(1);
    harness.drag_at(from);
    harness.run_steps(1);
    for step in 1..=10 {
        harness.hover_at(from + egui::vec2(10.0 * step as f32, 0.0));
        harness.run_steps(1);
    }
    harness.drop_at(from + egui::vec2(100.0, 0.0));
    harness.run_steps(2);

    let view = harness.state().view();
    assert!(!view.is_live(), "a pan pauses");
    let end = view.end_ms(newest);
    let span = end - view.start_ms(newest);
    assert!(
        span.abs_diff(7 * DAY_MS) < HOUR_MS,
        "the pan kept the week: {:.2} days shown",
        span as f64 / DAY_MS as f64
    );
    assert!(
        newest - end > 6 * HOUR_MS,
        "moved back by {:.1} h",
        (newest - end) as f64 / HOUR_MS as f64
    );
}

#[test]
fn typing_an_hour_days_ago_fetches_the_minute_tier_and_its_processes_come_from_disk() {
    let filled = filled();
    let mut harness = app_watching(&filled.server.ws_url());
    live(&mut harness);

    // An hour three days ago, typed as a person would, in this machine's
    // time zone.
    let start = (now_ms() - 3 * DAY_MS) / 60_000 * 60_000;
    let typed = format!(
        "{} – {}",
        format::date_time(start),
        format::date_time(start + HOUR_MS)
    );
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Range")
        .focus();
    harness.run_steps(1);
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Range")
        .type_text(&typed);
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(1);
    let view: TimeView = harness.state().view();
    assert!(!view.is_live());
    assert_eq!(view.span_ms, Some(HOUR_MS), "{typed}");

    frames_until(&mut harness, "the hour from the disk", |app| {
        drawn_range(app).is_some_and(|r| r.tier == RangeTier::Minute)
    });
    let range = drawn_range(harness.state()).unwrap();
    assert_eq!(range.step_ms, 60_000);
    let seen = check_cpu_plot(&harness, "an hour three days ago");
    assert_eq!((seen.bands, seen.lines), (1, 1), "{seen:?}");
    assert!(harness.query_by_label_contains("loading").is_none());
    // The legend's value is the range's at the view's right edge, not "–".
    let cpu = range.series("cpu.total_percent").unwrap();
    let end_ms = view.end_ms(now_ms());
    let value = range
        .mean_at(cpu, end_ms)
        .expect("a value at the end of the hour");
    let text = Unit::Percent.format(f64::from(value));
    assert!(
        harness.query_all_by_label(&text).count() >= 1,
        "no legend value {text}"
    );

    // The processes at a moment in that hour: the minute's peaks, from disk.
    let moment = start + 20 * 60_000 + 12_000;
    harness.state_mut().apply(Command::Mark(moment));
    frames_until(&mut harness, "the processes of that minute", |app| {
        matches!(
            app.hosts()[0].past.moment(moment),
            hostpulse_dashboard::past::MomentState::Fetched(_)
        )
    });
    harness.get_by_label(&format!(
        "Peak processes of the minute from {}",
        format::date_time_seconds(moment / 60_000 * 60_000)
    ));
    // The made-up host's processes, not this machine's.
    assert!(harness.query_all_by_label_contains("proc-").count() >= 2);
}

#[test]
fn fetched_ranges_stay_within_the_cap_of_each_host() {
    let filled = filled();
    let mut harness = app_watching(&filled.server.ws_url());
    live(&mut harness);

    // Twelve different hours of the last week, each waited for.
    let now = now_ms();
    for n in 0..(MAX_RANGES as u64 + 4) {
        let start_ms = now - DAY_MS - n * 12 * HOUR_MS;
        harness.state_mut().apply(Command::ShowRange {
            start_ms,
            end_ms: start_ms + HOUR_MS,
        });
        frames_until(&mut harness, "a range", |app| {
            drawn_range(app)
                .is_some_and(|r| r.want.from_ms <= start_ms && r.want.to_ms >= start_ms + HOUR_MS)
        });
        let ranges = harness.state().hosts()[0].past.ranges();
        assert!(ranges.len() <= MAX_RANGES, "{} ranges", ranges.len());
        assert!(
            ranges.heap_bytes() <= MAX_BYTES,
            "{} bytes",
            ranges.heap_bytes()
        );
    }
    assert_eq!(harness.state().hosts()[0].past.ranges().len(), MAX_RANGES);
}
