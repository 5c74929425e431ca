//! What a person meets every day, through `egui_kittest`: the window fits
//! the screen (1280×800 without scrolling to the processes, 800×600 without
//! anything on the top bar covering anything else), a new run opens at the
//! top, ↑/↓ move between hosts and Esc clears the mark, a mark does not
//! follow to a host with no sample there, unnamed hosts show as host:port,
//! a duplicate is refused, the edit window keeps its keys, a removal can be
//! undone, the fleet table sorts by its headers, and idle interfaces wait
//! behind a toggle while each legend stands beside its plot.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::time::Instant;

use egui::accesskit::Role;
use egui::{Key, Modifiers, MouseWheelSource, MouseWheelUnit, Rect, TouchPhase, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::command::Command;
use hostpulse_dashboard::host::Host;
use hostpulse_dashboard::link::{Link, LinkEvent, LinkState};
use hostpulse_dashboard::panels::host_view::PLOT_TITLES;
use hostpulse_dashboard::synthetic::{self, Shape};
use hostpulse_shared::{NetworkSample, Sample};

fn live() -> LinkState {
    LinkState::Live {
        since: Instant::now(),
    }
}

/// An app with one live synthetic host per name, `samples` seconds each.
fn app(names: &[&str], samples: u64) -> DashboardApp {
    let mut app = DashboardApp::new(&egui::Context::default());
    for name in names {
        let wake = app.wake();
        app.insert_host(|id| synthetic::host(wake, id, name, live(), samples, Shape::default()));
    }
    app
}

/// A host named `name` fed the samples `seqs`, each changed by `change`.
fn host_with(
    app: &mut DashboardApp,
    name: &str,
    seqs: std::ops::Range<u64>,
    change: impl Fn(&mut Sample),
) -> u64 {
    let wake = app.wake();
    app.insert_host(|id| {
        let link = Link::detached(format!("ws://{name}:9470/ws"), live(), wake);
        let mut host = Host::detached(id, link);
        host.apply(LinkEvent::Hello(synthetic::hello(name, Shape::default())));
        for seq in seqs {
            let mut sample = synthetic::sample(seq, Shape::default());
            change(&mut sample);
            host.apply(LinkEvent::Sample(sample));
        }
        host
    })
}

fn harness(app: DashboardApp, size: egui::Vec2) -> Harness<'static, DashboardApp> {
    let mut harness = Harness::builder()
        .with_size(size)
        .build_ui_state(|ui, app: &mut DashboardApp| app.ui(ui), app);
    harness.run_steps(3);
    harness
}

const WIDE: egui::Vec2 = egui::vec2(1280.0, 800.0);

#[test]
fn at_1280_by_800_every_plot_and_the_top_of_the_processes_table_fit() {
    let harness = harness(app(&["db-1"], 600), WIDE);
    for title in PLOT_TITLES {
        let rect = harness.get_by_label(title).rect();
        assert!(
            rect.top() >= 0.0 && rect.bottom() <= 800.0,
            "{title} at {rect:?}"
        );
    }
    // The processes table's header row, below the last row of plots.
    for header in ["PID", "Name"] {
        let rect = harness.get_by_label(header).rect();
        assert!(rect.bottom() <= 800.0, "the {header} header at {rect:?}");
    }
    harness.get_by_label("Top processes now");
}

/// Every pair of `rects` that overlap, by name.
fn overlapping(rects: &[(&str, Rect)]) -> Vec<String> {
    let mut found = Vec::new();
    for (n, (a, rect_a)) in rects.iter().enumerate() {
        for (b, rect_b) in &rects[n + 1..] {
            let both = rect_a.intersect(*rect_b);
            if both.width() > 0.5 && both.height() > 0.5 {
                found.push(format!("{a} {rect_a:?} and {b} {rect_b:?}"));
            }
        }
    }
    found
}

/// What of the top bar overlaps, and what is cut, at `width` points; the
/// theme, help and export buttons are looked for in the menu when
/// `in_menu`.
fn top_bar_faults(harness: &Harness<'_, DashboardApp>, width: f32, in_menu: bool) -> Vec<String> {
    let rect = |role: Option<Role>, label: &str| match role {
        Some(role) => harness.get_by_role_and_label(role, label).rect(),
        None => harness.get_by_label(label).rect(),
    };
    let mut bar = vec![
        ("the title", None, "HostPulse"),
        ("the address field", Some(Role::TextInput), "Add host"),
        ("the token field", Some(Role::PasswordInput), "Token"),
        ("the token label", Some(Role::Label), "Token"),
        ("the add button", None, "Add"),
        ("the alerts button", None, "Alerts"),
    ];
    if in_menu {
        bar.push(("the menu", None, "Menu"));
    } else {
        bar.extend([
            ("the theme button", None, "Light theme"),
            ("the help button", None, "Help"),
            ("the export button", None, "Export…"),
        ]);
    }
    let rects: Vec<(&str, Rect)> = bar
        .iter()
        .map(|&(name, role, label)| (name, rect(role, label)))
        .collect();
    let mut faults = overlapping(&rects);
    for (name, rect) in &rects {
        if rect.right() > width {
            faults.push(format!("{name} is cut at {rect:?}"));
        }
    }
    faults
}

/// The narrowest window whose top bar holds the buttons rather than a menu
/// (the app's 960 points, and the panel's margins).
const JUST_WIDE_ENOUGH: f32 = 992.0;

#[test]
fn just_wide_enough_for_the_buttons_nothing_on_the_top_bar_covers_anything_else() {
    let harness = harness(app(&["db-1"], 60), vec2(JUST_WIDE_ENOUGH, 600.0));
    assert_eq!(
        top_bar_faults(&harness, JUST_WIDE_ENOUGH, false),
        Vec::<String>::new()
    );
}

#[test]
fn at_800_by_600_nothing_on_the_top_bar_covers_anything_else() {
    let mut harness = harness(app(&["db-1"], 60), vec2(800.0, 600.0));
    assert_eq!(top_bar_faults(&harness, 800.0, true), Vec::<String>::new());

    // The buttons that did not fit are in the menu, and work from there.
    harness.get_by_label("Menu").click();
    harness.run();
    harness.get_by_label("Light theme");
    harness.get_by_label("Export…");
    harness.get_by_label("Help").click();
    harness.run();
    assert!(harness.state().help_open());
}

#[test]
fn two_hosts_that_call_themselves_the_same_show_their_addresses() {
    let mut app = DashboardApp::new(&egui::Context::default());
    for port in [9471, 9472] {
        let wake = app.wake();
        app.insert_host(|id| {
            let link = Link::detached(format!("ws://vm:{port}/ws"), live(), wake);
            let mut host = Host::detached(id, link);
            host.apply(LinkEvent::Hello(synthetic::hello("vm", Shape::default())));
            host
        });
    }
    let wake = app.wake();
    app.insert_host(|id| synthetic::host(wake, id, "db-1", live(), 5, Shape::default()));
    let harness = harness(app, WIDE);
    for name in ["vm (vm:9471)", "vm (vm:9472)", "db-1"] {
        assert!(harness.query_all_by_label(name).count() >= 1, "{name}");
    }
    assert_eq!(harness.query_all_by_label("vm").count(), 0);
}

#[test]
fn a_refused_address_is_explained_in_full_under_the_fields() {
    let mut harness = harness(app(&[], 0), vec2(800.0, 600.0));
    let field = harness.get_by_role_and_label(Role::TextInput, "Add host");
    field.focus();
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, "Add host")
        .type_text("http://db-1:9470");
    harness.run();
    harness.get_by_label("Add").click();
    harness.run();
    // The whole message, to its last word.
    let rect = harness
        .get_by_label("\"http://\" is not a WebSocket address: use ws:// (or wss:// for TLS)")
        .rect();
    let field = harness
        .get_by_role_and_label(Role::TextInput, "Add host")
        .rect();
    assert!(rect.right() <= 800.0, "cut at {rect:?}");
    assert!(
        rect.top() >= field.bottom(),
        "under the fields, not beside them"
    );
}

/// One turn of the wheel down the page over `at`.
fn wheel_down(harness: &mut Harness<'_, DashboardApp>, at: egui::Pos2) {
    harness.hover_at(at);
    harness.run_steps(1);
    harness.event(egui::Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: vec2(0.0, -240.0),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Unknown,
        modifiers: Modifiers::NONE,
    });
    harness.run_steps(10);
}

#[test]
fn a_new_run_opens_at_the_top_of_the_view() {
    let mut first = harness(app(&["db-1"], 600), WIDE);
    let top = first.get_by_label(PLOT_TITLES[3]).rect().top();
    let over = first.get_by_label(PLOT_TITLES[0]).rect().center() + vec2(100.0, 60.0);
    wheel_down(&mut first, over);
    let scrolled = first.get_by_label(PLOT_TITLES[3]).rect().top();
    assert!(scrolled < top - 20.0, "did not scroll: {top} → {scrolled}");

    // What eframe saves of egui's memory at exit, read back at the start.
    let saved = ron::to_string(&first.ctx.memory(egui::Memory::clone)).unwrap();
    let memory: egui::Memory = ron::from_str(&saved).unwrap();
    let mut second = Harness::builder()
        .with_size(WIDE)
        .with_context_setup(move |ctx| ctx.memory_mut(|m| *m = memory))
        .build_ui_state(|ui, app: &mut DashboardApp| app.ui(ui), app(&["db-1"], 600));
    second.run_steps(3);
    let reopened = second.get_by_label(PLOT_TITLES[3]).rect().top();
    assert!(
        (reopened - top).abs() < 1.0,
        "opened at {reopened}, top is {top}"
    );
}

#[test]
fn up_and_down_move_between_hosts_and_esc_clears_the_mark() {
    let mut harness = harness(app(&["db-1", "db-2", "db-3"], 60), WIDE);
    let ids: Vec<u64> = harness.state().hosts().iter().map(|h| h.id).collect();
    assert_eq!(harness.state().selected(), Some(ids[0]));
    for (key, expected) in [
        (Key::ArrowDown, ids[1]),
        (Key::ArrowDown, ids[2]),
        (Key::ArrowDown, ids[2]),
        (Key::ArrowUp, ids[1]),
    ] {
        harness.key_press(key);
        harness.run();
        assert_eq!(harness.state().selected(), Some(expected), "after {key:?}");
    }
    let newest = harness.state().hosts()[1].history.newest_ms().unwrap();
    harness.state_mut().apply(Command::Mark(newest - 10_000));
    harness.run();
    harness.key_press(Key::Escape);
    harness.run();
    assert_eq!(harness.state().view().marked_ms, None);
}

#[test]
fn a_mark_does_not_follow_to_a_host_with_no_sample_then() {
    let mut app = app(&["db-1"], 600);
    // db-2's samples start half way through db-1's.
    let second = host_with(&mut app, "db-2", 300..900, |_| {});
    let mut harness = harness(app, WIDE);
    let first = harness.state().hosts()[0].id;
    harness
        .state_mut()
        .apply(Command::Mark(synthetic::START_MS + 100_000));
    harness.state_mut().apply(Command::Select(second));
    harness.run();
    assert_eq!(
        harness.state().view().marked_ms,
        None,
        "db-2 has nothing then"
    );

    // A mark where both have samples goes along.
    let both = synthetic::START_MS + 400_000;
    harness.state_mut().apply(Command::Select(first));
    harness.state_mut().apply(Command::Mark(both));
    harness.state_mut().apply(Command::Select(second));
    harness.run();
    assert_eq!(harness.state().view().marked_ms, Some(both));
}

#[test]
fn an_unnamed_host_shows_as_host_and_port_and_a_duplicate_is_refused() {
    let mut app = app(&[], 0);
    app.add_host("ws://127.0.0.1:1/ws", None, None);
    app.add_host("ws://127.0.0.1:2/ws", None, None);
    let mut harness = harness(app, WIDE);
    assert_eq!(harness.state().hosts()[0].display_name(), "127.0.0.1:1");
    // In the list, and again wherever the host is shown.
    assert!(harness.query_all_by_label("127.0.0.1:1").next().is_some());
    assert!(harness.query_all_by_label("127.0.0.1:2").next().is_some());

    harness
        .get_by_role_and_label(Role::TextInput, "Add host")
        .focus();
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, "Add host")
        .type_text("127.0.0.1:2");
    harness.run();
    harness.get_by_label("Add").click();
    harness.run();
    assert_eq!(harness.state().hosts().len(), 2, "added twice");
    harness.get_by_label_contains("127.0.0.1:2 is already in the list");
    assert_eq!(
        harness.state().selected(),
        Some(harness.state().hosts()[1].id),
        "the one already listed is shown"
    );
}

#[test]
fn the_edit_window_keeps_its_keys() {
    let mut harness = harness(app(&["db-1"], 60), WIDE);
    let id = harness.state().hosts()[0].id;
    let window = harness.state().view().window;
    harness.state_mut().apply(Command::StartEdit(id));
    harness.run();
    let field = harness.get_by_role_and_label(Role::PasswordInput, "New token");
    assert!(field.is_focused(), "the token field has no cursor");
    for key in [Key::F, Key::E, Key::T, Key::Num3, Key::Space] {
        harness.key_press(key);
        harness.run();
    }
    assert!(!harness.state().showing_fleet(), "F opened the fleet");
    assert!(!harness.state().export_window().open, "E opened the export");
    assert_eq!(
        harness.state().view().window,
        window,
        "3 changed the window"
    );
    assert!(harness.state().view().is_live(), "Space paused");
    harness.get_by_label("Edit host");
}

#[test]
fn a_removed_host_comes_back_with_undo_or_ctrl_z() {
    let mut harness = harness(app(&["db-1", "db-2", "db-3"], 30), WIDE);
    let ids: Vec<u64> = harness.state().hosts().iter().map(|h| h.id).collect();
    harness.get_by_label("Remove db-2").click();
    harness.run();
    assert_eq!(harness.state().hosts().len(), 2);
    harness.get_by_label("Removed db-2");
    harness.get_by_label("Undo").click();
    harness.run();
    let back: Vec<u64> = harness.state().hosts().iter().map(|h| h.id).collect();
    assert_eq!(back, ids, "back where it was");
    assert_eq!(harness.state().selected(), Some(ids[1]));
    assert!(harness.query_by_label("Removed db-2").is_none());

    harness.get_by_label("Remove db-3").click();
    harness.run();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert_eq!(harness.state().hosts().len(), 3, "Ctrl+Z");

    // A second removal makes the first one final: one undo, the latest.
    harness.get_by_label("Remove db-1").click();
    harness.run();
    harness.get_by_label("Remove db-3").click();
    harness.run();
    harness.get_by_label("Undo").click();
    harness.run();
    let names: Vec<&str> = harness
        .state()
        .hosts()
        .iter()
        .map(Host::display_name)
        .collect();
    assert_eq!(names, ["db-2", "db-3"]);
}

/// The hosts of the fleet rows, top to bottom.
fn fleet_rows(harness: &Harness<'_, DashboardApp>) -> Vec<String> {
    let mut rows: Vec<(f32, String)> = harness
        .query_all_by_label_contains("Open ")
        .map(|node| {
            let label = node.accesskit_node().label().unwrap_or_default();
            (
                node.rect().top(),
                label.trim_start_matches("Open ").to_owned(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|(_, name)| name).collect()
}

#[test]
fn the_fleet_table_sorts_by_cpu_memory_load_and_disk() {
    let mut app = app(&[], 0);
    // (name, CPU %, memory used GiB of 16, load, fullest disk used GiB of 100)
    let hosts = [
        ("alpha", 10.0, 12, 0.5, 90),
        ("bravo", 80.0, 2, 3.0, 20),
        ("charlie", 40.0, 8, 9.0, 50),
    ];
    for (name, cpu, memory_gib, load, disk_gib) in hosts {
        host_with(&mut app, name, 0..10, |sample| {
            sample.cpu.total_percent = cpu;
            sample.memory.used_bytes = memory_gib << 30;
            if let Some(l) = &mut sample.load {
                l.one = load;
            }
            for disk in &mut sample.disks {
                disk.available_bytes = (100 - disk_gib) << 30;
            }
        });
    }
    let mut harness = harness(app, WIDE);
    harness.state_mut().apply(Command::ShowFleet);
    harness.run();
    assert_eq!(
        fleet_rows(&harness),
        ["alpha", "bravo", "charlie"],
        "list order"
    );
    for (header, busiest_first) in [
        ("CPU", ["bravo", "charlie", "alpha"]),
        ("Memory", ["alpha", "charlie", "bravo"]),
        ("Load", ["charlie", "bravo", "alpha"]),
        ("Disk", ["alpha", "charlie", "bravo"]),
    ] {
        harness.get_by_label(header).click();
        harness.run();
        assert_eq!(fleet_rows(&harness), busiest_first, "by {header}");
        harness.get_by_label_contains(&format!("{header} ")).click();
        harness.run();
        let mut reversed = busiest_first;
        reversed.reverse();
        assert_eq!(fleet_rows(&harness), reversed, "by {header}, again");
    }
}

/// A sample with a third interface that moves nothing.
fn with_idle_interface(sample: &mut Sample) {
    sample.networks.push(NetworkSample {
        interface: "eth9".into(),
        rx_bytes_per_sec: Some(0.0),
        tx_bytes_per_sec: Some(0.0),
        ..NetworkSample::default()
    });
}

#[test]
fn idle_interfaces_wait_behind_a_toggle_and_legends_stand_beside_the_plot() {
    let mut app = app(&[], 0);
    host_with(&mut app, "db-1", 0..120, with_idle_interface);
    let mut harness = harness(app, vec2(1280.0, 2100.0));
    harness.get_by_label("eth0 rx");
    harness.get_by_label("eth1 tx");
    assert!(
        harness.query_by_label("eth9 rx").is_none(),
        "an idle interface is listed"
    );
    harness.get_by_label("show 1 idle").click();
    harness.run();
    harness.get_by_label("eth9 rx");
    harness.get_by_label("eth9 tx");

    // Beside the plot, not over it.
    let title = harness.get_by_label(PLOT_TITLES[3]).rect();
    let entry = harness.get_by_label("used").rect();
    assert!(
        entry.left() > title.left() + 250.0,
        "the legend is over the plot: {entry:?}"
    );
}
