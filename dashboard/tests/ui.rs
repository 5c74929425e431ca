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
use hostpulse_dashboard::local::LOCAL_LABEL;
use hostpulse_dashboard::panels::help;
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
    let role = if label == "Token" || label == "New token" {
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

/// Selects all of the focused field's text, so typing replaces it.
fn select_all(harness: &mut Harness<'_, DashboardApp>, label: &str) {
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, label)
        .focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
}

#[test]
fn a_host_is_renamed_readdressed_given_a_token_and_removed_from_its_editor() {
    let mut harness = harness(app_with(&[("db-1", live(), 30), ("db-2", live(), 5)]));
    harness.run_steps(2);

    // A new display name only: no reconnect, nothing lost.
    harness.get_by_label("Edit db-1").click();
    harness.run();
    harness.get_by_label_contains("Tokens are kept for this run only");
    type_into(&mut harness, "Display name", "primary database");
    // Enter saves, as a click on "Save" does.
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    let host = &harness.state().hosts()[0];
    assert_eq!(host.display_name(), "primary database");
    assert!(host.is_live(), "{:?}", host.link.state());
    assert_eq!(host.history.len(), 30);
    assert!(harness.query_by_label("Edit host").is_none(), "closed");
    harness.get_by_label("Edit primary database");

    // Another host's address is refused, with the reason in the window.
    harness.get_by_label("Edit primary database").click();
    harness.run();
    select_all(&mut harness, "Address");
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Address")
        .type_text("db-2");
    harness.run_steps(1);
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label("ws://db-2:9470/ws is already in the list");

    // A new address and a token: it reconnects there, presenting the token, and
    // the old machine's samples are gone.
    select_all(&mut harness, "Address");
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Address")
        .type_text("127.0.0.1:1");
    harness.run_steps(1);
    type_into(&mut harness, "New token", "secret-token-0123456789");
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    let host = &harness.state().hosts()[0];
    assert_eq!(host.link.url(), "ws://127.0.0.1:1/ws");
    assert_eq!(
        host.link.token().map(hostpulse_shared::Secret::expose),
        Some("secret-token-0123456789")
    );
    assert!(host.history.is_empty());
    assert!(!matches!(host.link.state(), LinkState::Live { .. }));
    assert_eq!(host.display_name(), "primary database");
    assert!(harness.query_by_label_contains("secret-token").is_none());

    // Saving with the token field empty keeps the token; "Forget" drops it.
    harness.get_by_label("Edit primary database").click();
    harness.run();
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    assert!(harness.state().hosts()[0].link.has_token());
    harness.get_by_label("Edit primary database").click();
    harness.run();
    harness.get_by_label("Forget the token").click();
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    assert!(!harness.state().hosts()[0].link.has_token());

    // And the editor removes the host.
    harness.get_by_label("Edit primary database").click();
    harness.run();
    harness.get_by_label("Remove host").click();
    harness.run_steps(2);
    let urls: Vec<&str> = harness
        .state()
        .hosts()
        .iter()
        .map(|h| h.link.url())
        .collect();
    assert_eq!(urls, ["ws://db-2:9470/ws"]);
    assert!(harness.query_by_label("Edit host").is_none());
}

#[test]
fn the_fleet_overview_shows_each_host_and_a_click_opens_it() {
    let down = LinkState::Disconnected {
        reason: "connection lost".into(),
        retry_at: Instant::now() + Duration::from_mins(1),
    };
    let dialling = LinkState::Connecting {
        since: Instant::now(),
    };
    let mut harness = harness(app_with(&[
        ("web-1", live(), 300),
        ("web-2", down, 120),
        ("web-3", dialling, 0),
    ]));
    harness.run_steps(2);
    assert!(!harness.state().showing_fleet());

    harness.get_by_label("All hosts (1/3 live)").click();
    harness.run_steps(2);
    assert!(harness.state().showing_fleet());
    harness.get_by_label("All hosts");
    for name in ["web-1", "web-2", "web-3"] {
        harness.get_by_label(&format!("Open {name}"));
    }
    // Current values with units, from each host's newest sample.
    let newest = synthetic_sample(299);
    harness.get_by_label(&format!("{:.1}%", newest.cpu.total_percent));
    harness.get_by_label(&format!("{:.1}%", synthetic_sample(119).cpu.total_percent));
    harness.get_by_label("8.3 GiB of 16.0 GiB");
    assert_eq!(
        harness.query_all_by_label_contains("/ 48.8 KiB/s").count(),
        2
    );
    // The state of each, in the rows as in the list.
    // The list says the word, the fleet row the whole state with its reason.
    assert_eq!(harness.query_all_by_label("disconnected").count(), 1);
    assert_eq!(
        harness
            .query_all_by_label_contains("disconnected: ")
            .count(),
        1
    );
    assert_eq!(harness.query_all_by_label("connecting…").count(), 2);
    // A host with no sample yet shows no made-up numbers: CPU, memory,
    // network, load and disk.
    assert_eq!(harness.query_all_by_label("–").count(), 5);

    harness.get_by_label("Open web-2").click();
    harness.run_steps(2);
    assert!(!harness.state().showing_fleet());
    assert_eq!(
        harness.state().selected(),
        Some(harness.state().hosts()[1].id)
    );
    harness.get_by_label("Retry now");

    // F goes to the fleet and back.
    harness.key_press(egui::Key::F);
    harness.run_steps(2);
    assert!(harness.state().showing_fleet());
    harness.key_press(egui::Key::F);
    harness.run_steps(2);
    assert!(!harness.state().showing_fleet());
}

#[test]
fn the_help_overlay_lists_every_shortcut_and_opens_by_key_or_button() {
    let mut harness = harness(app_with(&[("db-1", live(), 10)]));
    harness.run_steps(2);
    assert!(harness.query_by_label(help::TITLE).is_none());

    harness.key_press(egui::Key::Questionmark);
    harness.run();
    assert!(harness.state().help_open());
    for (keys, action) in help::SHORTCUTS {
        harness.get_by_label(keys);
        harness.get_by_label(action);
    }
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(!harness.state().help_open());
    assert!(harness.query_by_label(help::TITLE).is_none());

    harness.key_press(egui::Key::F1);
    harness.run();
    assert!(harness.state().help_open());
    harness.get_by_label("Close").click();
    harness.run_steps(2);
    assert!(!harness.state().help_open());

    harness.get_by_label("Help").click();
    harness.run();
    assert!(harness.state().help_open());
    harness.get_by_label(help::TITLE);
}

/// Steps the app until its export status is no longer "Saving…" (bounded).
fn wait_for_export(harness: &mut Harness<'_, DashboardApp>) -> Result<String, String> {
    let give_up = Instant::now() + Duration::from_secs(20);
    loop {
        harness.run_steps(1);
        let status = harness.state().export_window().status.clone();
        match status {
            Some(Ok(message)) if message.starts_with("Saving") && Instant::now() < give_up => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Some(status) => return status,
            None => panic!("no export status"),
        }
    }
}

/// Types `text` into the range field: the plots follow the live edge over
/// the last `span_ms`.
fn type_live_range(harness: &mut Harness<'_, DashboardApp>, text: &str, span_ms: u64) {
    type_into(harness, "Range", text);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert_eq!(harness.state().view().span_ms, Some(span_ms));
    assert!(harness.state().view().is_live());
}

#[test]
fn the_visible_window_exports_as_csv_with_units_and_gaps_left_empty() {
    let mut app = app_with(&[]);
    let wake = app.wake();
    app.insert_host(|id| {
        let mut host = synthetic_host(wake, id, "db-1", live(), 0);
        for seq in 0..400 {
            let mut sample = synthetic_sample(seq);
            if seq == 350 {
                sample.networks[0].rx_bytes_per_sec = None;
            }
            if seq == 0 {
                // The example: once written as 892,000,000.
                sample.memory.used_bytes = 892_030_976;
                sample.disks[0].write_bytes_per_sec = Some(1234.567);
            }
            host.apply(LinkEvent::Sample(sample));
        }
        // The server restarted: a marked gap, then a new epoch.
        host.apply(LinkEvent::Reset(hostpulse_shared::Reset {
            reason: hostpulse_shared::ResetReason::EpochChanged,
            message: "server restarted".into(),
        }));
        for seq in 500..510 {
            host.apply(LinkEvent::Sample(Sample {
                epoch: 2,
                ..synthetic_sample(seq)
            }));
        }
        host
    });
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(app);
    harness.state_mut().export_window_mut().dir = dir.path().display().to_string();
    harness.run_steps(2);
    // The last minute, typed.
    type_live_range(&mut harness, "1m", 60_000);

    harness.key_press(egui::Key::E);
    harness.run();
    harness.get_by_label("the visible window of db-1");
    harness.get_by_label("Save CSV").click();
    let status = wait_for_export(&mut harness).unwrap();
    assert!(status.starts_with("Saved "), "{status}");

    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let path = files[0].as_ref().unwrap().path();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("hostpulse-db-1-2023") && path.extension().unwrap() == "csv",
        "{name}"
    );
    let csv = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "time_unix_ms,time_utc,cpu_total_percent,load_1m,load_5m,load_15m,\
         memory_used_bytes,swap_used_bytes,\
         network_rx_bytes_per_sec,network_tx_bytes_per_sec,disk_read_bytes_per_sec,\
         disk_write_bytes_per_sec,cpu0_percent,cpu1_percent,cpu2_percent,cpu3_percent,\
         network_rx_bytes_per_sec:eth0,network_tx_bytes_per_sec:eth0,\
         disk_read_bytes_per_sec:/,disk_write_bytes_per_sec:/"
    );
    // The last minute: samples 449..=509 would be there, but 400..=499 never
    // happened. One row per sample, and the gap marker is not a sample.
    let times: Vec<u64> = lines[1..]
        .iter()
        .map(|line| line.split(',').next().unwrap().parse().unwrap())
        .collect();
    let expected: Vec<u64> = (500..510)
        .map(|seq| synthetic_sample(seq).timestamp_ms)
        .collect();
    assert_eq!(times, expected);

    // All of it, to see the unknown value and the numbers.
    harness.get_by_label("24 h").click();
    harness.run_steps(2);
    harness.get_by_label("Save CSV").click();
    assert!(wait_for_export(&mut harness).unwrap().starts_with("Saved "));
    let newest = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|p| p != &path)
        .unwrap();
    let csv = std::fs::read_to_string(newest).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 410);
    let first = synthetic_sample(0);
    assert_eq!(rows[0][0], first.timestamp_ms.to_string());
    assert_eq!(rows[0][1], "2023-11-14T22:13:20.000Z");
    // Values as received, every digit.
    assert_eq!(rows[0][6], "892030976", "memory used");
    assert_eq!(
        rows[1][6],
        (first.memory.used_bytes + (8 << 20)).to_string()
    );
    assert_eq!(rows[0][7], (128u64 << 20).to_string(), "swap used");
    assert_eq!(&rows[0][3..6], ["1.5", "1.2", "0.9"], "load");
    assert_eq!(rows[0][9], "50000", "sent, all interfaces");
    assert_eq!(rows[0][16], rows[0][8], "eth0 is all that was received");
    assert_eq!(rows[0][17], "50000", "eth0 sent");
    assert_eq!(&rows[0][18..20], ["1000000", "1234.567"], "disk /");
    assert_eq!(rows[350][8], "", "an unknown rate is an empty cell");
    assert_eq!(rows[350][16], "", "and so is eth0's");
    assert_eq!(rows[350][9], "50000");
    assert_ne!(rows[349][8], "");
}

#[test]
fn a_screenshot_is_taken_without_the_export_window_and_saved_as_png() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(app_with(&[("db-1", live(), 10)]));
    harness.state_mut().export_window_mut().dir = dir.path().display().to_string();
    harness.run_steps(2);
    harness.get_by_label("Export…").click();
    harness.run();
    harness.get_by_label("Save screenshot").click();
    harness.step();
    assert!(!harness.state().export_window().open, "not in the picture");

    // The harness's renderer (wgpu, as for the image snapshots) answers the
    // request with the window's real pixels.
    let status = wait_for_export(&mut harness).unwrap();
    assert!(status.starts_with("Saved "), "{status}");
    harness.get_by_label_contains(".png");

    let path = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let png = image::open(&path).unwrap().to_rgba8();
    assert_eq!(png.dimensions(), (1280, 800), "the whole window");
    let corner = *png.get_pixel(0, 0);
    assert!(
        png.pixels().filter(|&&p| p != corner).count() > 10_000,
        "a picture of the window, not a blank"
    );
}

#[test]
fn an_export_into_a_missing_folder_says_why() {
    let mut harness = harness(app_with(&[("db-1", live(), 10)]));
    harness.state_mut().export_window_mut().dir = "/nonexistent/hostpulse-test".into();
    harness.run_steps(2);
    harness.key_press(egui::Key::E);
    harness.run();
    harness.get_by_label("Save CSV").click();
    let error = wait_for_export(&mut harness).unwrap_err();
    assert!(
        error.starts_with("cannot write /nonexistent/hostpulse-test/hostpulse-db-1-"),
        "{error}"
    );
    harness.get_by_label(&error);
}

#[test]
fn window_presets_pause_and_back_to_live_apply_to_every_plot() {
    let mut harness = harness(app_with(&[("db-1", live(), 600)]));
    harness.run_steps(2);
    assert_eq!(harness.state().view().window, Window::FiveMinutes);

    harness.get_by_label("1 h").click();
    harness.run_steps(2);
    assert_eq!(harness.state().view().window, Window::OneHour);
    harness.get_by_label("1 y").click();
    harness.run_steps(2);
    assert_eq!(harness.state().view().window, Window::OneYear);

    // Pause holds the newest sample at the right edge.
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    let newest = synthetic_sample(599).timestamp_ms;
    assert_eq!(harness.state().view().paused_at_ms, Some(newest));
    harness.get_by_label(&format!(
        "paused at {}",
        hostpulse_dashboard::format::time_of_day(newest)
    ));
    harness.get_by_label("Back to live").click();
    harness.run_steps(2);
    assert!(harness.state().view().is_live());
    harness.get_by_label("following live");

    // The keyboard does the same: Space pauses and resumes, 1 picks 5 m, 7 a
    // year.
    harness.key_press(egui::Key::Space);
    harness.run_steps(2);
    assert!(!harness.state().view().is_live());
    harness.key_press(egui::Key::Space);
    harness.key_press(egui::Key::Num7);
    harness.run_steps(2);
    assert_eq!(harness.state().view().window, Window::OneYear);
    harness.key_press(egui::Key::Num1);
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
    // This computer stays first, whatever else is listed.
    assert_eq!(app.hosts()[0].display_name(), LOCAL_LABEL);
    let urls: Vec<&str> = app.hosts()[1..].iter().map(|h| h.link.url()).collect();
    assert_eq!(urls, ["ws://db-7:9000/ws", "ws://db-8:9470/ws"]);
    assert_eq!(app.view().window, Window::OneHour);
    // A host named on the command line is the one shown.
    assert_eq!(app.selected(), Some(app.hosts()[2].id));
    // A remembered host that wants a token gets it by being added again.
    let mut harness = crate::harness(app);
    harness.run_steps(2);
    assert!(!harness.state().hosts()[1].link.has_token());
    type_into_add_host(&mut harness, "db-7:9000");
    type_into(&mut harness, "Token", "secret-token-0123456789");
    harness.get_by_label("Add").click();
    harness.run_steps(2);
    assert_eq!(harness.state().hosts().len(), 3);
    assert!(harness.state().hosts()[1].link.has_token());
    let again = harness.state().prefs();
    assert_eq!(
        again.hosts, restored.hosts,
        "the command-line host is not saved"
    );
    assert_eq!(again.theme, Theme::Light);
}

#[test]
fn display_names_the_fleet_view_and_the_export_folder_survive_a_restart_but_tokens_do_not() {
    let mut harness = harness(app_with(&[]));
    harness.run_steps(2);
    type_into_add_host(&mut harness, "db-7:9000");
    type_into(&mut harness, "Token", "secret-token-0123456789");
    harness.get_by_label("Add").click();
    harness.run_steps(2);
    let name = harness.state().hosts()[0].display_name().to_owned();
    harness.get_by_label(&format!("Edit {name}")).click();
    harness.run();
    type_into(&mut harness, "Display name", "billing db");
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.key_press(egui::Key::F);
    harness.run_steps(2);
    harness.state_mut().export_window_mut().dir = "/srv/reports".into();

    let saved = ron::to_string(&harness.state().prefs()).unwrap();
    assert!(!saved.contains("secret-token"), "{saved}");
    let restored: Prefs = ron::from_str(&saved).unwrap();
    let app = DashboardApp::start(&egui::Context::default(), &[], None, &restored);
    assert!(app.showing_fleet());
    assert_eq!(app.export_window().dir, "/srv/reports");
    assert_eq!(
        app.export_window().chosen_dir().as_deref(),
        Some("/srv/reports")
    );
    let host = app
        .hosts()
        .iter()
        .find(|h| h.link.url() == "ws://db-7:9000/ws")
        .expect("the remembered host");
    assert_eq!(host.display_name(), "billing db");
    assert!(!host.link.has_token());
}
