//! The host view through `egui_kittest`: every panel from synthetic samples,
//! the processes table sorted by its headers, processes at a picked instant,
//! and panning and zooming the linked time axes with the pointer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

#[path = "common/nodes.rs"]
mod nodes;

use std::time::Instant;

use egui::{Pos2, Rect, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::command::Command;
use hostpulse_dashboard::link::LinkState;
use hostpulse_dashboard::panels::host_view::PLOT_TITLES;
use hostpulse_dashboard::synthetic::{self, Shape};

/// An app showing one live synthetic host with `samples` seconds of history.
fn app(samples: u64) -> DashboardApp {
    let mut app = DashboardApp::new(&egui::Context::default());
    let wake = app.wake();
    let state = LinkState::Live {
        since: Instant::now(),
    };
    app.insert_host(|id| {
        synthetic::host(wake, id, "synthetic-db", state, samples, Shape::default())
    });
    app
}

/// Tall enough that the whole host view is on screen, so clicks land.
fn harness(app: DashboardApp) -> Harness<'static, DashboardApp> {
    let mut harness = Harness::builder()
        .with_size(vec2(1280.0, 2100.0))
        .build_ui_state(|ui, app: &mut DashboardApp| app.ui(ui), app);
    harness.run_steps(3);
    harness
}

/// The drawing area of the plot titled `title`: below the title, right of the
/// y axis labels.
fn plot_rect(harness: &Harness<'_, DashboardApp>, title: &str) -> Rect {
    let label = harness.get_by_label(title).rect();
    Rect::from_min_size(
        Pos2::new(label.left() + 80.0, label.bottom() + 10.0),
        vec2(400.0, 100.0),
    )
}

fn newest_ms(harness: &Harness<'_, DashboardApp>) -> u64 {
    harness.state().hosts()[0].history.newest_ms().unwrap()
}

#[test]
fn every_panel_shows_the_host() {
    let harness = harness(app(600));
    for title in PLOT_TITLES {
        harness.get_by_label(title);
    }
    harness.get_by_label_contains("Synthetic CPU × 4 CPUs");
    harness.get_by_label_contains("up 1h 9m");
    // Disk usage bars, per mount.
    harness.get_by_label("/data1");
    harness.get_by_label_contains("60.0 GiB of 100 GiB used (60%)");
    // The newest sample's processes, all twenty.
    harness.get_by_label("Top processes now");
    for n in 0..20 {
        harness.get_by_label(&format!("worker-{n}"));
    }
}

#[test]
fn the_processes_table_sorts_by_each_header() {
    let mut harness = harness(app(10));
    let order = |harness: &Harness<'_, DashboardApp>| nodes::top_to_bottom(harness, "worker-");
    // By CPU, busiest first, to start with.
    let mut expected = harness.state().hosts()[0]
        .history
        .latest()
        .unwrap()
        .top_processes
        .clone();
    expected.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
    let expected: Vec<String> = expected.into_iter().map(|p| p.name).collect();
    assert_eq!(order(&harness), expected);
    assert_ne!(expected[0], "worker-0", "CPU order is not pid order here");

    harness.get_by_label("Name").click();
    harness.run_steps(2);
    let by_name = order(&harness);
    let mut sorted = by_name.clone();
    sorted.sort();
    assert_eq!(by_name, sorted);
    assert_eq!(by_name[1], "worker-1");
    assert_eq!(by_name[2], "worker-10");

    // Again reverses.
    harness.get_by_label_contains("Name ").click();
    harness.run_steps(2);
    assert_eq!(
        order(&harness),
        sorted.into_iter().rev().collect::<Vec<_>>()
    );

    // By memory, largest first: worker-6 and worker-13 use 7 × 64 MiB.
    // The header, not the "Memory" of the current values above the plots.
    harness
        .query_all_by_label("Memory")
        .max_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap()
        .click();
    harness.run_steps(2);
    let by_memory = order(&harness);
    assert!(
        by_memory[..2].contains(&"worker-6".to_owned()),
        "{by_memory:?}"
    );
    assert!(
        by_memory[..2].contains(&"worker-13".to_owned()),
        "{by_memory:?}"
    );

    harness.get_by_label("PID").click();
    harness.run_steps(2);
    assert_eq!(order(&harness)[0], "worker-0");
}

#[test]
fn clicking_a_plot_picks_an_instant_and_lists_its_processes() {
    let mut harness = harness(app(600));
    let newest = newest_ms(&harness);
    let target = plot_rect(&harness, "Memory and swap").center();
    harness.hover_at(target);
    harness.run_steps(1);
    harness.drag_at(target);
    harness.run_steps(1);
    harness.drop_at(target);
    harness.run_steps(2);

    let marked = harness
        .state()
        .view()
        .marked_ms
        .expect("an instant is picked");
    assert!(
        marked < newest && marked > newest - 300_000,
        "within the 5-minute window"
    );
    assert!(harness.state().view().is_live(), "a click does not pause");
    let moment = harness.state().hosts()[0]
        .history
        .processes_near(marked)
        .unwrap();
    harness.get_by_label_contains(&format!(
        "Top processes at {}",
        hostpulse_dashboard::format::clock(moment.timestamp_ms)
    ));

    // The spike at sample 300: the process that caused it is listed.
    let spike_ms = synthetic::sample(300, Shape::default()).timestamp_ms;
    harness.state_mut().apply(Command::Mark(spike_ms + 300));
    harness.run_steps(2);
    harness.get_by_label("spike");
    harness.get_by_label("99.0%");

    harness.get_by_label("Clear").click();
    harness.run_steps(2);
    assert_eq!(harness.state().view().marked_ms, None);
    harness.get_by_label("Top processes now");
    assert!(harness.query_by_label("spike").is_none());
}

#[test]
fn dragging_pans_every_plot_and_pauses_until_back_to_live() {
    let mut harness = harness(app(900));
    let newest = newest_ms(&harness);
    let plot = plot_rect(&harness, "Network per interface");
    harness.hover_at(plot.center());
    harness.run_steps(1);
    harness.drag_at(plot.center());
    harness.run_steps(1);
    // Dragging the lines right brings earlier time into view.
    for step in 1..=10 {
        harness.hover_at(plot.center() + vec2(20.0 * step as f32, 0.0));
        harness.run_steps(1);
    }
    harness.drop_at(plot.center() + vec2(200.0, 0.0));
    harness.run_steps(2);

    let view = harness.state().view();
    assert!(!view.is_live(), "panning pauses live-follow");
    let end = view.end_ms(newest);
    assert!(
        end < newest - 10_000,
        "moved back in time: {}",
        newest - end
    );
    let span = end - view.start_ms(newest);
    assert!(
        span.abs_diff(300_000) < 1000,
        "a pan keeps the span: {span}"
    );
    harness.get_by_label_contains("paused at ");

    harness.get_by_label("Back to live").click();
    harness.run_steps(2);
    assert!(harness.state().view().is_live());
    assert_eq!(harness.state().view().span_ms, None);
}

#[test]
fn ctrl_and_the_wheel_zoom_the_time_axis_and_pause() {
    let mut harness = harness(app(900));
    let plot = plot_rect(&harness, "CPU: total");
    harness.hover_at(plot.center());
    harness.run_steps(1);
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: vec2(0.0, 200.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::COMMAND,
    });
    harness.run_steps(10);

    let view = harness.state().view();
    assert!(!view.is_live(), "zooming pauses live-follow");
    let span = view.span_ms.expect("a zoomed span");
    assert!(span < 300_000 * 3 / 4, "zoomed in: {span} ms shown");
}

#[test]
fn a_host_without_sensors_says_so_instead_of_an_empty_plot() {
    let mut app = DashboardApp::new(&egui::Context::default());
    let wake = app.wake();
    let state = LinkState::Live {
        since: Instant::now(),
    };
    let shape = Shape {
        sensors: 0,
        ..Shape::default()
    };
    app.insert_host(|id| synthetic::host(wake, id, "vm-1", state, 30, shape));
    let harness = harness(app);
    harness.get_by_label("Temperatures");
    harness.get_by_label("No temperature sensors reported by this host.");
}

#[test]
fn hovering_a_line_names_its_value_and_time() {
    use hostpulse_dashboard::history::Metric;
    use hostpulse_dashboard::panels::time_plot::memory_id;

    let mut harness = harness(app(600));
    let host = &harness.state().hosts()[0];
    let newest = newest_ms(&harness);
    // A sample a minute back on the CPU plot, where its line is drawn.
    let at_ms = newest - 60_000;
    let value = host.history.value_at(Metric::CpuTotal, at_ms).unwrap();
    let near: Vec<String> = [at_ms - 1000, at_ms, at_ms + 1000]
        .iter()
        .map(|&ms| host.history.value_at(Metric::CpuTotal, ms).unwrap())
        .map(|v| format!("total: {v:.1}%"))
        .collect();
    let plot = format!("{} {}", PLOT_TITLES[0], host.id);
    let transform = egui_plot::PlotMemory::load(&harness.ctx, memory_id(&plot))
        .expect("the CPU plot")
        .transform();
    // While live, x = 0 is the newest sample.
    let x = (at_ms as f64 - newest as f64) / 1000.0;
    let on_line = transform.position_from_point(&egui_plot::PlotPoint::new(x, f64::from(value)));
    harness.hover_at(on_line);
    harness.run_steps(2);

    // The lines are an image now; the hover still finds the sample under
    // the pointer (or, on a steep stretch, the one a second beside it).
    let tooltip = harness.get_by_label_contains("total: ");
    let text = format!("{tooltip:?}");
    assert!(
        near.iter().any(|n| text.contains(n.as_str())),
        "{value} at {at_ms}: {text}"
    );
    assert!(
        text.contains("UTC (-0:5") || text.contains("UTC (-1:0"),
        "{text}"
    );
}
