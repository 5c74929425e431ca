//! What a person meets in the first minutes, through `egui_kittest`: the wheel
//! scrolls the page and Ctrl+wheel zooms, a zoomed range is named in the time
//! bar, a right-drag across a plot selects a range, a host that went down looks
//! down while its time axis moves on, a token refusal stops and asks for the
//! token, and "This computer" stays in the list across restarts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui::{Modifiers, MouseWheelSource, MouseWheelUnit, PointerButton, Pos2, TouchPhase, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::command::Command;
use hostpulse_dashboard::link::LinkState;
use hostpulse_dashboard::local::LOCAL_LABEL;
use hostpulse_dashboard::panels::host_view::PLOT_TITLES;
use hostpulse_dashboard::prefs::{Prefs, SavedHost};
use hostpulse_dashboard::synthetic::{self, Shape};
use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;

/// An app showing one synthetic host in `state` with `samples` seconds.
fn app(state: LinkState, samples: u64) -> DashboardApp {
    let mut app = DashboardApp::new(&egui::Context::default());
    let wake = app.wake();
    app.insert_host(|id| {
        synthetic::host(wake, id, "synthetic-db", state, samples, Shape::default())
    });
    app
}

fn live() -> LinkState {
    LinkState::Live {
        since: Instant::now(),
    }
}

/// The default window size: the processes are below the fold.
fn harness(app: DashboardApp) -> Harness<'static, DashboardApp> {
    let mut harness = Harness::builder()
        .with_size(vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DashboardApp| app.ui(ui), app);
    harness.run_steps(3);
    harness
}

/// A point inside the plot titled `title`.
fn inside_plot(harness: &Harness<'_, DashboardApp>, title: &str) -> Pos2 {
    let label = harness.get_by_label(title).rect();
    Pos2::new(label.left() + 300.0, label.bottom() + 60.0)
}

/// One turn of the wheel towards the person (scrolls down; zooms in with Ctrl).
fn wheel(harness: &mut Harness<'_, DashboardApp>, at: Pos2, modifiers: Modifiers) {
    harness.hover_at(at);
    harness.run_steps(1);
    harness.event(egui::Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: vec2(0.0, if modifiers.command { 120.0 } else { -120.0 }),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Unknown,
        modifiers,
    });
    // egui smooths the wheel over a few frames.
    harness.run_steps(10);
}

#[test]
fn the_wheel_over_a_plot_scrolls_the_page_and_ctrl_wheel_zooms() {
    let mut harness = harness(app(live(), 600));
    let title_before = harness.get_by_label(PLOT_TITLES[3]).rect().top();
    let over_cpu = inside_plot(&harness, PLOT_TITLES[0]);
    wheel(&mut harness, over_cpu, Modifiers::NONE);
    let title_after = harness.get_by_label(PLOT_TITLES[3]).rect().top();
    assert!(
        title_after < title_before - 20.0,
        "the page did not scroll: {title_before} → {title_after}"
    );
    assert!(
        harness.state().view().is_live(),
        "the wheel paused the plots"
    );
    assert_eq!(harness.state().view().span_ms, None, "the wheel zoomed");

    let over_memory = inside_plot(&harness, PLOT_TITLES[3]);
    wheel(&mut harness, over_memory, Modifiers::COMMAND);
    let view = harness.state().view();
    let span_ms = view.span_ms.expect("Ctrl+wheel zooms");
    assert!(span_ms < 300_000, "zoomed out, not in: {span_ms} ms");
    assert!(!view.is_live());
}

#[test]
fn a_zoom_stops_at_the_data_and_is_named_in_the_time_bar_until_closed() {
    let mut harness = harness(app(live(), 120));
    let newest = harness.state().hosts()[0].history.newest_ms().unwrap();
    let oldest = harness.state().hosts()[0].history.oldest_ms().unwrap();
    // Zooming far out holds at the two minutes there are.
    for _ in 0..6 {
        let over_cpu = inside_plot(&harness, PLOT_TITLES[0]);
        harness.hover_at(over_cpu);
        harness.event(egui::Event::Zoom(0.3));
        harness.run();
    }
    let view = harness.state().view();
    assert!(view.span_ms.is_some(), "the pinch did not zoom");
    assert!(view.span_ms.unwrap() <= newest - oldest, "{view:?}");
    assert!(view.end_ms(newest) <= newest);
    let range = format!(
        "{} – {}",
        hostpulse_dashboard::format::time_of_day(view.start_ms(newest)),
        hostpulse_dashboard::format::time_of_day(view.end_ms(newest))
    );
    harness.get_by_label(&range);
    harness.get_by_label("Back to the window").click();
    harness.run();
    assert!(harness.state().view().is_live());
    assert_eq!(harness.state().view().span_ms, None);
    assert!(harness.query_by_label(&range).is_none());
}

#[test]
fn a_nearly_horizontal_right_drag_selects_that_time_range() {
    let mut harness = harness(app(live(), 600));
    let from = inside_plot(&harness, PLOT_TITLES[0]);
    let to = from + vec2(200.0, 3.0);
    harness.hover_at(from);
    harness.run_steps(1);
    harness.event(egui::Event::PointerButton {
        pos: from,
        button: PointerButton::Secondary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    harness.run_steps(1);
    for step in 1..=10 {
        harness.hover_at(from + (to - from) * (step as f32 / 10.0));
        harness.run_steps(1);
    }
    harness.event(egui::Event::PointerButton {
        pos: to,
        button: PointerButton::Secondary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    harness.run();
    let view = harness.state().view();
    let span_ms = view.span_ms.expect("the drag selected a range");
    // 200 of the plot's ~480 points over five minutes: about two minutes.
    assert!(
        (60_000..180_000).contains(&span_ms),
        "selected {span_ms} ms"
    );
    assert!(!view.is_live());
}

#[test]
fn a_host_that_went_down_greys_out_and_its_time_axis_moves_on() {
    let down = LinkState::Disconnected {
        reason: "the server closed the connection".into(),
        retry_at: Instant::now() + Duration::from_secs(30),
    };
    let mut harness = harness(app(down, 300));
    let host = &harness.state().hosts()[0];
    let newest = host.history.newest_ms().unwrap();
    // Its present runs on from the newest sample as time passes here.
    let later = Instant::now() + Duration::from_secs(42);
    assert!(host.present_ms(later).unwrap() >= newest + 42_000);
    let since = format!(
        "no data since {}",
        hostpulse_dashboard::format::time_of_day(newest)
    );
    assert!(
        harness.query_all_by_label(&since).count() >= 1,
        "{since} not shown"
    );
    assert!(harness.query_by_label("following live").is_none());
    harness.get_by_label_contains("Last known, at");
    // The fleet rows say why, not only the side list.
    harness.state_mut().apply(Command::ShowFleet);
    harness.run();
    harness.get_by_label_contains("the server closed the connection");
}

#[test]
fn a_token_refusal_stops_retrying_and_puts_the_cursor_in_a_token_field() {
    let token = "interaction-test-token-0123456789";
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        token: Some(hostpulse_server::Secret::new(token)),
        ..Config::default()
    })
    .unwrap();
    let mut app = DashboardApp::new(&egui::Context::default());
    app.add_host(&server.ws_url(), None, None);
    let mut harness = harness(app);
    let give_up = Instant::now() + Duration::from_secs(20);
    while harness.query_by_label("Host token").is_none() && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(20));
        let ctx = harness.ctx.clone();
        harness.state_mut().poll(&ctx);
        harness.run();
    }
    let field = harness.get_by_role_and_label(Role::PasswordInput, "Host token");
    assert!(
        field.is_focused(),
        "the token field does not have the cursor"
    );
    harness.get_by_label_contains("no token sent");
    assert_eq!(harness.state().hosts()[0].link.next_deadline(), None);

    harness
        .get_by_role_and_label(Role::PasswordInput, "Host token")
        .type_text(token);
    harness.run();
    harness.get_by_label("Connect").click();
    harness.run();
    let give_up = Instant::now() + Duration::from_secs(20);
    while !harness.state().hosts()[0].is_live() && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(20));
        let ctx = harness.ctx.clone();
        harness.state_mut().poll(&ctx);
        harness.run();
    }
    assert!(
        harness.state().hosts()[0].is_live(),
        "{:?}",
        harness.state().hosts()[0].link.state()
    );
}

#[test]
fn this_computer_stays_across_restarts_with_other_hosts_saved_until_removed() {
    let ctx = egui::Context::default();
    let prefs = Prefs {
        hosts: vec![SavedHost {
            url: "ws://127.0.0.1:1/ws".into(),
            label: Some("elsewhere".into()),
        }],
        ..Prefs::default()
    };
    let mut app = DashboardApp::start(&ctx, &[], None, &prefs);
    let names: Vec<String> = app
        .hosts()
        .iter()
        .map(|h| h.display_name().to_owned())
        .collect();
    assert_eq!(names, [LOCAL_LABEL, "elsewhere"]);

    // Removed on purpose, it stays away at the next start...
    let local = app.hosts()[0].id;
    app.apply(Command::Remove(local));
    let prefs = app.prefs();
    assert!(prefs.local_removed);
    let mut app = DashboardApp::start(&ctx, &[], None, &prefs);
    assert!(app.hosts().iter().all(|h| h.display_name() != LOCAL_LABEL));

    // ...until brought back, from the list.
    let mut harness = harness(app);
    harness.get_by_label("+ This computer").click();
    harness.run();
    assert_eq!(harness.state().hosts()[0].display_name(), LOCAL_LABEL);
    assert!(!harness.state().prefs().local_removed);
    app = DashboardApp::start(&ctx, &[], None, &harness.state().prefs());
    assert_eq!(app.hosts()[0].display_name(), LOCAL_LABEL);
}
