//! Alerts in the real dashboard UI, driven through `egui_kittest`: synthetic
//! hosts whose servers report alert rules and transitions, the alerts panel,
//! the marks in the host list and the fleet, the thresholds and firing
//! stretches on the plots, mute and "do not disturb". The desktop's
//! notification service is a recording stand-in here (no D-Bus session runs
//! in these tests); `desktop_notifications.rs` checks the real one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

#[path = "common/nodes.rs"]
mod nodes;

use std::time::{Duration, Instant};

use egui::epaint::{ColorMode, Shape};
use egui::{Color32, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use egui_plot::{PlotPoint, PlotTransform};
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::history::Metric;
use hostpulse_dashboard::host::Host;
use hostpulse_dashboard::link::{Link, LinkEvent, LinkState, Wake};
use hostpulse_dashboard::notify::{DesktopStatus, Notifier, RecordingDesktop};
use hostpulse_dashboard::panels::alert_mark;
use hostpulse_dashboard::panels::alert_overlay::{AlertOverlay, AlertPlot, shade_color};
use hostpulse_dashboard::panels::time_axis::TimeAxis;
use hostpulse_dashboard::panels::time_plot::{Series, TimePlot, Unit};
use hostpulse_dashboard::synthetic::{self, START_MS, Shape as HostShape};
use hostpulse_dashboard::view::TimeView;
use hostpulse_shared::{
    AlertEvent, AlertRule, AlertState, AlertsSummary, Comparison, Hello, Severity,
};

/// Samples each synthetic host has: ten minutes at 1 Hz.
const SAMPLES: u64 = 600;

fn cpu_rule() -> AlertRule {
    AlertRule {
        name: "cpu_busy".into(),
        metric: "cpu.total_percent".into(),
        instance: None,
        comparison: Comparison::Above,
        threshold: 90.0,
        clear: 80.0,
        for_secs: 60,
        severity: Severity::Warning,
        description: Some("The CPUs are busy.".into()),
    }
}

fn disk_rule() -> AlertRule {
    AlertRule {
        name: "filesystem_full".into(),
        metric: "filesystem.used_percent".into(),
        instance: None,
        comparison: Comparison::Above,
        threshold: 90.0,
        clear: 85.0,
        for_secs: 60,
        severity: Severity::Critical,
        description: None,
    }
}

/// Sample `seq`'s time.
fn at(seq: u64) -> u64 {
    START_MS + seq * 1000
}

/// A transition of `rule` at sample `seq`, firing since sample `since`.
fn transition(
    rule: &AlertRule,
    instance: &str,
    state: AlertState,
    seq: u64,
    since: u64,
) -> AlertEvent {
    AlertEvent {
        rule: rule.name.clone(),
        metric: rule.metric.clone(),
        instance: instance.into(),
        state,
        severity: rule.severity,
        value: if state == AlertState::Firing {
            95.0
        } else {
            70.0
        },
        threshold: if state == AlertState::Firing {
            rule.threshold
        } else {
            rule.clear
        },
        timestamp_ms: at(seq),
        firing_since_ms: at(since),
        description: rule.description.clone(),
    }
}

/// A host named `name`, whose server evaluates the two rules and has sent
/// ten minutes of samples.
fn host(wake: Wake, id: u64, name: &str, state: LinkState) -> Host {
    let link = Link::detached(format!("ws://{name}:9470/ws"), state, wake);
    let mut host = Host::detached(id, link);
    host.apply(LinkEvent::Hello(Hello {
        alerts: Some(AlertsSummary {
            rules: vec![cpu_rule(), disk_rule()],
            firing: Vec::new(),
        }),
        ..synthetic::hello(name, HostShape::default())
    }));
    for seq in 0..SAMPLES {
        host.apply(LinkEvent::Sample(synthetic::sample(
            seq,
            HostShape::default(),
        )));
    }
    host
}

fn live() -> LinkState {
    LinkState::Live {
        since: Instant::now(),
    }
}

/// An app with db-1 and web-2, live, and a recording desktop.
fn app() -> (DashboardApp, RecordingDesktop) {
    let mut app = DashboardApp::new(&egui::Context::default());
    for name in ["db-1", "web-2"] {
        let wake = app.wake();
        app.insert_host(|id| host(wake, id, name, live()));
    }
    let desktop = RecordingDesktop::default();
    let wake = app.wake();
    app.attach_notifier(Notifier::spawn(desktop.clone(), wake));
    (app, desktop)
}

fn harness(app: DashboardApp) -> Harness<'static, DashboardApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut DashboardApp| app.ui(ui), app)
}

/// One transition for `feed`: the host's name, the rule, the instance, the
/// state, the sample it happened at, and the sample it has fired since.
type Step = (
    &'static str,
    fn() -> AlertRule,
    &'static str,
    AlertState,
    u64,
    u64,
);

/// Feeds each step's transition to its host, as the host's link would, and
/// draws a frame after each.
fn feed(harness: &mut Harness<'_, DashboardApp>, steps: &[Step]) {
    for &(name, rule, instance, state, seq, since) in steps {
        let app = harness.state_mut();
        let id = app
            .hosts()
            .iter()
            .find(|h| h.display_name() == name)
            .unwrap()
            .id;
        let event = transition(&rule(), instance, state, seq, since);
        app.host_mut(id).unwrap().apply(LinkEvent::Alert(event));
        harness.run_steps(2);
    }
}

/// The desktop's notices' titles, once `count` have arrived (bounded wait:
/// they go through the notifier's thread).
fn notices(desktop: &RecordingDesktop, count: usize) -> Vec<String> {
    let give_up = Instant::now() + Duration::from_secs(10);
    while desktop.notices().len() < count && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
    }
    desktop.notices().into_iter().map(|n| n.summary).collect()
}

#[test]
fn the_panel_lists_what_fires_then_the_log_newest_first_and_opens_a_host_at_its_moment() {
    let (app, desktop) = app();
    let mut harness = harness(app);
    harness.run_steps(2);
    feed(
        &mut harness,
        &[
            ("db-1", disk_rule, "/srv", AlertState::Firing, 300, 300),
            ("web-2", cpu_rule, "", AlertState::Firing, 400, 400),
            ("db-1", disk_rule, "/srv", AlertState::Resolved, 500, 300),
        ],
    );
    assert_eq!(
        notices(&desktop, 3),
        [
            "db-1: filesystem_full firing on /srv",
            "web-2: cpu_busy firing",
            "db-1: filesystem_full resolved on /srv"
        ]
    );

    harness.get_by_label("Alerts (1)").click();
    harness.run_steps(2);
    assert!(harness.state().alerts_open());
    harness.get_by_label_contains("Desktop notifications: recording desktop");
    // Firing now: web-2's CPU; then the log, newest first.
    // The panel's lines, without their times ("10:31:05  web-2 · …").
    let lines = nodes::top_to_bottom(&harness, " · ");
    let lines: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once("  ").map(|(_, text)| text))
        .filter(|text| text.starts_with("db-1 · ") || text.starts_with("web-2 · "))
        .collect();
    assert_eq!(
        lines,
        [
            "web-2 · cpu_busy firing · cpu.total_percent is 95.0 %, above 90.0 %",
            "db-1 · filesystem_full resolved on /srv · 70.0 %",
            "web-2 · cpu_busy firing · 95.0 %",
            "db-1 · filesystem_full firing on /srv · 95.0 %",
        ]
    );

    // A click on the oldest line opens db-1 at that moment, marked.
    harness
        .get_by_label_contains("db-1 · filesystem_full firing on /srv")
        .click();
    harness.run_steps(2);
    let app = harness.state();
    let db = app
        .hosts()
        .iter()
        .find(|h| h.display_name() == "db-1")
        .unwrap();
    assert_eq!(app.selected(), Some(db.id));
    assert!(!app.showing_fleet());
    let view = app.view();
    assert_eq!(view.marked_ms, Some(at(300)));
    assert!(!view.is_live(), "held still at the moment");
    let (start_ms, end_ms) = (view.start_ms(at(SAMPLES - 1)), view.end_ms(at(SAMPLES - 1)));
    assert!(
        (start_ms..end_ms).contains(&at(300)),
        "{start_ms}..{end_ms}"
    );
}

#[test]
fn hosts_with_alerts_firing_are_marked_in_the_list_and_the_fleet() {
    let (app, _desktop) = app();
    let mut harness = harness(app);
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("firing on").is_none());
    feed(
        &mut harness,
        &[
            ("web-2", cpu_rule, "", AlertState::Firing, 400, 400),
            ("web-2", disk_rule, "/", AlertState::Firing, 410, 410),
        ],
    );

    harness.get_by_label("2 alerts firing on web-2");
    assert!(harness.query_by_label_contains("firing on db-1").is_none());
    // The fleet overview marks the same host.
    harness.get_by_label_contains("All hosts").click();
    harness.run_steps(2);
    assert!(harness.state().showing_fleet());
    assert_eq!(
        harness
            .query_all_by_label("2 alerts firing on web-2")
            .count(),
        2
    );

    // Resolved: the mark goes.
    feed(
        &mut harness,
        &[
            ("web-2", cpu_rule, "", AlertState::Resolved, 450, 400),
            ("web-2", disk_rule, "/", AlertState::Resolved, 460, 410),
        ],
    );
    assert!(harness.query_by_label_contains("firing on web-2").is_none());
}

#[test]
fn mute_and_do_not_disturb_silence_the_desktop_and_are_remembered() {
    let (app, desktop) = app();
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Alerts").click();
    harness.run_steps(2);

    harness.get_by_label("Notify for db-1").click();
    harness.run_steps(2);
    let db_id = harness.state().hosts()[0].id;
    assert!(harness.state().is_muted(db_id));
    feed(
        &mut harness,
        &[
            ("db-1", cpu_rule, "", AlertState::Firing, 400, 400),
            ("web-2", cpu_rule, "", AlertState::Firing, 401, 401),
        ],
    );
    assert_eq!(notices(&desktop, 1), ["web-2: cpu_busy firing"]);

    harness.get_by_label("Do not disturb").click();
    harness.run_steps(2);
    assert!(harness.state().do_not_disturb());
    feed(
        &mut harness,
        &[("web-2", cpu_rule, "", AlertState::Resolved, 460, 401)],
    );
    // Both still logged, in the panel.
    assert_eq!(harness.state().alert_log().len(), 3);
    harness.get_by_label_contains("web-2 · cpu_busy resolved");
    // The test notification goes out whatever the switches say.
    harness.get_by_label("Test notification").click();
    harness.run_steps(2);
    assert_eq!(
        notices(&desktop, 2),
        ["web-2: cpu_busy firing", "HostPulse: test notification"]
    );

    // Remembered: a new app from the saved preferences, the same hosts.
    let prefs = harness.state().prefs();
    assert!(prefs.alerts.do_not_disturb && prefs.alerts.panel_open);
    assert_eq!(prefs.alerts.muted, ["ws://db-1:9470/ws"]);
    let mut saved = prefs.clone();
    saved.local_removed = true;
    saved.hosts = ["db-1", "web-2"]
        .map(|name| hostpulse_dashboard::prefs::SavedHost {
            url: format!("ws://{name}:9470/ws"),
            label: None,
        })
        .to_vec();
    let again = DashboardApp::start(&egui::Context::default(), &[], None, &saved);
    let db = again
        .hosts()
        .iter()
        .find(|h| h.url() == "ws://db-1:9470/ws")
        .unwrap();
    let web = again
        .hosts()
        .iter()
        .find(|h| h.url() == "ws://web-2:9470/ws")
        .unwrap();
    assert!(again.is_muted(db.id) && !again.is_muted(web.id));
    assert!(again.do_not_disturb() && again.alerts_open());
}

#[test]
fn without_a_notification_service_the_panel_opens_and_says_so_once() {
    let mut app = DashboardApp::new(&egui::Context::default());
    let wake = app.wake();
    app.insert_host(|id| host(wake, id, "db-1", live()));
    let refusing = RecordingDesktop {
        refuse: Some("org.freedesktop.Notifications was not provided by any .service files".into()),
        ..RecordingDesktop::default()
    };
    let wake = app.wake();
    app.attach_notifier(Notifier::spawn(refusing, wake));
    let give_up = Instant::now() + Duration::from_secs(10);
    while !matches!(app.desktop_status(), DesktopStatus::Unavailable(_)) && Instant::now() < give_up
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut harness = harness(app);
    harness.run_steps(2);
    assert!(!harness.state().alerts_open());

    feed(
        &mut harness,
        &[
            ("db-1", cpu_rule, "", AlertState::Firing, 400, 400),
            ("db-1", disk_rule, "/", AlertState::Firing, 401, 401),
        ],
    );
    assert!(harness.state().alerts_open(), "the panel is the fallback");
    assert_eq!(
        harness
            .query_all_by_label_contains("No desktop notification service")
            .count(),
        1,
        "said once"
    );
    harness.get_by_label_contains("alerts are shown here only");
    // Firing now, and in the log.
    assert_eq!(
        harness
            .query_all_by_label_contains("db-1 · cpu_busy firing")
            .count(),
        2
    );
}

#[test]
fn a_host_unreachable_for_30_s_is_announced_once() {
    let (mut app, desktop) = app();
    let wake = app.wake();
    let down = LinkState::Disconnected {
        reason: "cannot reach the server: is hostpulse-server running there, on that port?".into(),
        retry_at: Instant::now() + Duration::from_mins(10),
    };
    app.insert_host(|id| host(wake, id, "cache-3", down));
    let now = Instant::now();
    app.watch_alerts(now);
    app.watch_alerts(now + Duration::from_secs(29));
    assert!(app.alert_log().is_empty(), "not yet");
    app.watch_alerts(now + Duration::from_secs(31));
    app.watch_alerts(now + Duration::from_mins(1));
    assert_eq!(app.alert_log().len(), 1);
    assert_eq!(notices(&desktop, 1), ["cache-3 unreachable"]);
    let body = desktop.notices()[0].body.clone();
    assert!(body.contains("cannot reach the server"), "{body}");

    let mut harness = harness(app);
    harness.get_by_label_contains("Alerts (1)").click();
    harness.run_steps(2);
    // Unreachable now, and in the log.
    assert_eq!(
        harness
            .query_all_by_label_contains("cache-3 · unreachable")
            .count(),
        2
    );
}

/// What one frame drew in a colour: line segments' points, filled rectangles.
#[derive(Default)]
struct Drawn {
    lines: Vec<[Pos2; 2]>,
    fills: Vec<egui::Rect>,
}

fn collect(shape: &Shape, line: Color32, fill: Color32, drawn: &mut Drawn) {
    match shape {
        Shape::Vec(shapes) => shapes.iter().for_each(|s| collect(s, line, fill, drawn)),
        Shape::LineSegment { points, stroke } if stroke.color == line => drawn.lines.push(*points),
        Shape::Path(path) if path.stroke.color == ColorMode::Solid(line) => {
            drawn
                .lines
                .extend(path.points.windows(2).map(|w| [w[0], w[1]]));
        }
        Shape::Rect(rect) if rect.fill == fill => drawn.fills.push(rect.rect),
        _ => {}
    }
}

/// One CPU plot of a host, with its alerts drawn.
struct PlotState {
    host: Host,
    overlay: AlertOverlay,
    transform: Option<PlotTransform>,
    axis: Option<TimeAxis>,
}

fn plot_harness(state: PlotState) -> Harness<'static, PlotState> {
    Harness::builder()
        .with_size(egui::vec2(800.0, 260.0))
        .build_ui_state(
            |ui, state: &mut PlotState| {
                let view = TimeView {
                    window: hostpulse_dashboard::view::Window::OneHour,
                    ..TimeView::default()
                };
                let axis = TimeAxis::new(&state.host.history, &view);
                let series = [Series::new("total", Metric::CpuTotal, Color32::BLUE)];
                let plot = TimePlot {
                    id: "cpu".into(),
                    unit: Unit::Percent,
                    series: &series,
                    axis,
                    max_step_ms: 2500,
                    y_max: Some(100.0),
                    past: None,
                    alerts: Some(&state.overlay),
                };
                let mut commands = Vec::new();
                state.transform = Some(plot.ui(ui, &state.host.history, 220.0, &mut commands));
                state.axis = Some(axis);
            },
            state,
        )
}

#[test]
fn the_threshold_is_drawn_on_its_plot_and_the_firing_stretches_are_shaded() {
    let wake: Wake = std::sync::Arc::new(|| {});
    let mut host = host(wake, 1, "db-1", live());
    for (state, seq, since) in [
        (AlertState::Firing, 300, 300),
        (AlertState::Resolved, 420, 300),
        (AlertState::Firing, 540, 540),
    ] {
        host.apply(LinkEvent::Alert(transition(
            &cpu_rule(),
            "",
            state,
            seq,
            since,
        )));
    }
    let overlay = AlertOverlay::of(AlertPlot::CpuTotal, &host);
    assert_eq!(overlay.thresholds.len(), 1);
    assert_eq!(overlay.shades.len(), 2);
    // Nothing of the CPU's on the memory plot.
    assert_eq!(
        AlertOverlay::of(AlertPlot::Memory, &host),
        AlertOverlay::default()
    );

    let mut harness = plot_harness(PlotState {
        host,
        overlay,
        transform: None,
        axis: None,
    });
    harness.run();
    let state = harness.state();
    let (transform, axis) = (state.transform.unwrap(), state.axis.unwrap());
    let mut drawn = Drawn::default();
    for clipped in &harness.output().shapes {
        collect(
            &clipped.shape,
            alert_mark::WARNING_COLOR,
            shade_color(Severity::Warning),
            &mut drawn,
        );
    }
    let screen = |ms: u64, y: f64| transform.position_from_point(&PlotPoint::new(axis.x(ms), y));

    // The threshold: dashes along y = 90, across the plot.
    let y90 = screen(at(0), 90.0).y;
    assert!(!drawn.lines.is_empty(), "no threshold drawn");
    for [a, b] in &drawn.lines {
        assert!(
            (a.y - y90).abs() < 1.0 && (b.y - y90).abs() < 1.0,
            "{a:?}–{b:?} off y=90 ({y90})"
        );
    }
    let frame = transform.frame();
    let (left, right) = drawn
        .lines
        .iter()
        .flatten()
        .fold((f32::MAX, f32::MIN), |(l, r), p| (l.min(p.x), r.max(p.x)));
    assert!(
        left - frame.left() < 10.0 && frame.right() - right < 10.0,
        "across the plot"
    );

    // The stretches: 300 s to 420 s, and from 540 s on to the right edge.
    let mut fills: Vec<(f32, f32)> = drawn.fills.iter().map(|r| (r.left(), r.right())).collect();
    fills.sort_by(|a, b| a.0.total_cmp(&b.0));
    let expected = [
        (screen(at(300), 0.0).x, screen(at(420), 0.0).x),
        (screen(at(540), 0.0).x, frame.right()),
    ];
    assert_eq!(fills.len(), 2, "{fills:?}");
    for ((left, right), (want_left, want_right)) in fills.iter().zip(expected) {
        assert!(
            (left - want_left).abs() < 1.5 && (right - want_right).abs() < 1.5,
            "{fills:?} vs {expected:?}"
        );
    }
}
