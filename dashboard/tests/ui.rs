//! The real dashboard UI, driven through `egui_kittest`: synthetic samples in,
//! widgets found by their labels, clicks and typing as a person would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::host::Host;
use hostpulse_dashboard::link::{Link, LinkEvent, LinkState, Wake};
use hostpulse_dashboard::panels::host_view::PLOT_TITLES;
use hostpulse_dashboard::prefs::Prefs;
use hostpulse_dashboard::view::{Theme, Window};
use hostpulse_shared::{
    CpuSample, DiskSample, Hello, LoadAverage, MemorySample, NetworkSample, Sample,
};

const CORES: u32 = 4;

fn hello(hostname: &str) -> Hello {
    let shape = hostpulse_dashboard::synthetic::Shape {
        cores: CORES,
        ..Default::default()
    };
    hostpulse_dashboard::synthetic::hello(hostname, shape)
}

/// A smooth, made-up load curve: deterministic, so views look the same each run.
fn synthetic_sample(seq: u64) -> Sample {
    let phase = seq as f32 / 20.0;
    Sample {
        epoch: 1,
        seq,
        timestamp_ms: 1_700_000_000_000 + seq * 1000,
        uptime_secs: 3600 + seq,
        cpu: CpuSample {
            total_percent: 40.0 + 30.0 * phase.sin(),
            per_core_percent: (0..CORES)
                .map(|core| 40.0 + 30.0 * (phase + core as f32).sin())
                .collect(),
        },
        load: Some(LoadAverage {
            one: 1.5,
            five: 1.2,
            fifteen: 0.9,
        }),
        memory: MemorySample {
            total_bytes: 16 << 30,
            used_bytes: (6 << 30) + seq * (8 << 20),
            available_bytes: 9 << 30,
            swap_total_bytes: 2 << 30,
            swap_used_bytes: 128 << 20,
        },
        networks: vec![NetworkSample {
            interface: "eth0".into(),
            rx_bytes_per_sec: Some(f64::from(200_000.0 + 150_000.0 * phase.cos())),
            tx_bytes_per_sec: Some(50_000.0),
            rx_bytes_total: seq * 200_000,
            tx_bytes_total: seq * 50_000,
        }],
        disks: vec![DiskSample {
            mount_point: "/".into(),
            device: "/dev/vda1".into(),
            file_system: "ext4".into(),
            total_bytes: 100 << 30,
            available_bytes: 40 << 30,
            read_bytes_per_sec: Some(1_000_000.0),
            write_bytes_per_sec: Some(250_000.0),
        }],
        process_count: 211,
        ..Sample::default()
    }
}

/// A host fed with `samples` synthetic samples, in link state `state`.
fn synthetic_host(wake: Wake, id: u64, name: &str, state: LinkState, samples: u64) -> Host {
    let link = Link::detached(format!("ws://{name}:9470/ws"), state, wake);
    let mut host = Host::detached(id, link);
    host.apply(LinkEvent::Hello(hello(name)));
    for seq in 0..samples {
        host.apply(LinkEvent::Sample(synthetic_sample(seq)));
    }
    host
}

/// An app showing the given synthetic hosts: `(name, state, samples)`.
fn app_with(hosts: &[(&str, LinkState, u64)]) -> DashboardApp {
    let mut app = DashboardApp::new(&egui::Context::default());
    for (name, state, samples) in hosts {
        let wake = app.wake();
        app.insert_host(|id| synthetic_host(wake, id, name, state.clone(), *samples));
    }
    app
}

fn harness(app: DashboardApp) -> Harness<'static, DashboardApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DashboardApp| app.ui(ui), app)
}

/// Focuses the field labelled `label` and types `text`, as a person would.
fn type_into(harness: &mut Harness<'_, DashboardApp>, label: &str, text: &str) {
    let role = if label == "Token" {
        egui::accesskit::Role::PasswordInput
    } else {
        egui::accesskit::Role::TextInput
    };
    harness.get_by_role_and_label(role, label).focus();
    harness.run_steps(1);
    harness.get_by_role_and_label(role, label).type_text(text);
    harness.run_steps(1);
}

/// Types `text` into the "Add host" address field.
fn type_into_add_host(harness: &mut Harness<'_, DashboardApp>, text: &str) {
    type_into(harness, "Add host", text);
    assert_eq!(
        harness
            .get_by_role_and_label(egui::accesskit::Role::TextInput, "Add host")
            .value()
            .as_deref(),
        Some(text)
    );
}

fn live() -> LinkState {
    LinkState::Live {
        since: Instant::now(),
    }
}

#[test]
fn a_live_host_shows_its_name_state_info_values_and_every_plot() {
    let mut harness = harness(app_with(&[("synthetic-db", live(), 300)]));
    harness.run_steps(3);

    // In the host list, and as the heading of the view.
    assert_eq!(harness.query_all_by_label("synthetic-db").count(), 2);
    // The state, in the list and in the header.
    assert_eq!(harness.query_all_by_label("live").count(), 2);
    harness.get_by_label_contains("Synthetic CPU × 4 CPUs");
    harness.get_by_label_contains("up 1h 4m");
    // Current values from the newest sample.
    harness.get_by_label("211");
    harness.get_by_label("8.3 GiB / 16.0 GiB");
    for title in PLOT_TITLES {
        harness.get_by_label(title);
    }
}

#[test]
fn a_disconnected_host_says_why_and_offers_a_retry() {
    let state = LinkState::Disconnected {
        reason: "cannot reach the server: is hostpulse-server running there, on that port?".into(),
        retry_at: Instant::now() + Duration::from_mins(1),
    };
    let mut harness = harness(app_with(&[("db-2", state, 10)]));
    harness.run_steps(2);

    harness.get_by_label_contains("disconnected: cannot reach the server");
    harness.get_by_label_contains("retrying in");
    harness.get_by_label("disconnected");
    harness.get_by_label("Retry now").click();
    harness.run_steps(2);
    // Retrying dials at once, without waiting for the scheduled retry.
    let state = harness.state().hosts()[0].link.state().clone();
    assert!(matches!(state, LinkState::Connecting { .. }), "{state:?}");
    assert_eq!(harness.query_all_by_label("connecting…").count(), 2);
}

#[test]
fn a_malformed_url_shows_an_error_beside_the_field_and_adds_nothing() {
    let mut harness = harness(app_with(&[]));
    harness.run_steps(2);
    harness.get_by_label("No hosts yet: add one above.");

    type_into_add_host(&mut harness, "http://db-1:9470");
    harness.get_by_label("Add").click();
    harness.run_steps(2);

    harness.get_by_label_contains("is not a WebSocket address: use ws://");
    assert!(harness.state().hosts().is_empty());
}

#[test]
fn a_valid_address_is_added_and_selected_and_can_be_removed() {
    let mut harness = harness(app_with(&[("db-1", live(), 5)]));
    harness.run_steps(2);

    type_into_add_host(&mut harness, "127.0.0.1:1");
    harness.get_by_label("Add").click();
    harness.run_steps(2);

    let hosts = harness.state().hosts();
    assert_eq!(hosts.len(), 2);
    assert_eq!(hosts[1].link.url(), "ws://127.0.0.1:1/ws");
    assert_eq!(harness.state().selected(), Some(hosts[1].id));

    // Clicking the first host in the list selects it again.
    harness.get_by_label("db-1").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().selected(),
        Some(harness.state().hosts()[0].id)
    );

    harness.get_by_label("Remove db-1").click();
    harness.run_steps(2);
    let hosts = harness.state().hosts();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].link.url(), "ws://127.0.0.1:1/ws");
}

#[test]
fn a_host_added_with_a_token_presents_it() {
    let mut harness = harness(app_with(&[]));
    harness.run_steps(2);
    type_into_add_host(&mut harness, "127.0.0.1:1");
    type_into(&mut harness, "Token", "secret-token-0123456789");
    harness.get_by_label("Add").click();
    harness.run_steps(2);

    let hosts = harness.state().hosts();
    assert_eq!(hosts.len(), 1);
    assert!(hosts[0].link.has_token());
    // The token field is cleared and never echoed as text.
    assert!(harness.query_by_label_contains("secret-token").is_none());
}

#[test]
fn window_presets_pause_and_back_to_live_apply_to_every_plot() {
    let mut harness = harness(app_with(&[("db-1", live(), 600)]));
    harness.run_steps(2);
    assert_eq!(harness.state().view().window, Window::FiveMinutes);

    harness.get_by_label("15 m").click();
    harness.run_steps(2);
    assert_eq!(harness.state().view().window, Window::FifteenMinutes);
    harness.get_by_label("all").click();
    harness.run_steps(2);
    assert_eq!(harness.state().view().window, Window::All);

    // Pause holds the newest sample at the right edge.
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    let newest = synthetic_sample(599).timestamp_ms;
    assert_eq!(harness.state().view().paused_at_ms, Some(newest));
    harness.get_by_label_contains("paused, 0s behind live");
    harness.get_by_label("Back to live").click();
    harness.run_steps(2);
    assert!(harness.state().view().is_live());
    harness.get_by_label("following live");

    // The keyboard does the same: Space pauses and resumes, 2 picks 5 m.
    harness.key_press(egui::Key::Space);
    harness.run_steps(2);
    assert!(!harness.state().view().is_live());
    harness.key_press(egui::Key::Space);
    harness.key_press(egui::Key::Num2);
    harness.run_steps(2);
    assert!(harness.state().view().is_live());
    assert_eq!(harness.state().view().window, Window::FiveMinutes);
}

#[test]
fn hosts_and_choices_added_in_the_window_survive_a_restart() {
    let mut harness = harness(app_with(&[]));
    harness.run_steps(2);
    type_into_add_host(&mut harness, "db-7:9000");
    harness.get_by_label("Add").click();
    harness.run_steps(2);
    harness.get_by_label("1 h").click();
    harness.run_steps(2);
    harness.get_by_label("Light theme").click();
    harness.run_steps(2);
    let prefs = harness.state().prefs();
    assert_eq!(prefs.hosts.len(), 1);
    assert_eq!(prefs.hosts[0].url, "ws://db-7:9000/ws");
    assert_eq!(prefs.window, Window::OneHour);
    assert_eq!(prefs.theme, Theme::Light);

    // Through eframe's storage format and back, then a fresh start from it,
    // with a command-line host that joins for this run only.
    let saved = ron::to_string(&prefs).unwrap();
    let restored: Prefs = ron::from_str(&saved).unwrap();
    let cli = ["ws://db-8:9470/ws".to_owned()];
    let app = DashboardApp::start(&egui::Context::default(), &cli, None, &restored);
    let urls: Vec<&str> = app.hosts().iter().map(|h| h.link.url()).collect();
    assert_eq!(urls, ["ws://db-7:9000/ws", "ws://db-8:9470/ws"]);
    assert_eq!(app.view().window, Window::OneHour);
    assert_eq!(app.selected(), Some(app.hosts()[0].id));
    // A remembered host that wants a token gets it by being added again.
    let mut harness = crate::harness(app);
    harness.run_steps(2);
    assert!(!harness.state().hosts()[0].link.has_token());
    type_into_add_host(&mut harness, "db-7:9000");
    type_into(&mut harness, "Token", "secret-token-0123456789");
    harness.get_by_label("Add").click();
    harness.run_steps(2);
    assert_eq!(harness.state().hosts().len(), 2);
    assert!(harness.state().hosts()[0].link.has_token());
    let again = harness.state().prefs();
    assert_eq!(
        again.hosts, restored.hosts,
        "the command-line host is not saved"
    );
    assert_eq!(again.theme, Theme::Light);
}
