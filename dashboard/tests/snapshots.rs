//! Image snapshots of the fleet view and the host view: the real UI drawing
//! synthetic hosts, rendered by wgpu (Mesa's software Vulkan, lavapipe, where
//! there is no GPU; `scripts/test.sh` installs it) and compared with the
//! images in `tests/snapshots/`. After a deliberate change to the look, run
//! `UPDATE_SNAPSHOTS=1 cargo test --workspace --test snapshots`, look at the
//! new images, and commit them.
//!
//! Synthetic samples have fixed timestamps and values, and the views place
//! time relative to the newest sample, so the pictures do not depend on the
//! clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::time::Instant;

use egui::vec2;
use egui_kittest::Harness;
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::command::Command;
use hostpulse_dashboard::link::LinkState;
use hostpulse_dashboard::synthetic::{self, Shape};

/// An app with these live synthetic hosts: name, seconds of history, shape.
fn app(hosts: &[(&str, u64, Shape)]) -> DashboardApp {
    let mut app = DashboardApp::new(&egui::Context::default());
    for &(name, samples, shape) in hosts {
        let wake = app.wake();
        let state = LinkState::Live {
            since: Instant::now(),
        };
        app.insert_host(|id| synthetic::host(wake, id, name, state, samples, shape));
    }
    app
}

fn harness(app: DashboardApp, height: f32) -> Harness<'static, DashboardApp> {
    let mut harness = Harness::builder()
        .with_size(vec2(1280.0, height))
        .wgpu()
        .build_ui_state(|ui, app: &mut DashboardApp| app.ui(ui), app);
    harness.run_steps(4);
    harness
}

#[test]
fn the_host_view_looks_as_it_did() {
    let mut harness = harness(app(&[("synthetic-db", 600, Shape::default())]), 1500.0);
    harness.snapshot("host_view");
}

#[test]
fn the_fleet_view_looks_as_it_did() {
    let big = Shape {
        cores: 64,
        interfaces: 8,
        disks: 8,
        sensors: 16,
        processes: 20,
    };
    let mut harness = harness(
        app(&[
            ("web-1", 300, Shape::default()),
            ("web-2", 120, Shape::default()),
            ("build-64", 300, big),
        ]),
        600.0,
    );
    harness.state_mut().apply(Command::ShowFleet);
    harness.run_steps(4);
    harness.snapshot("fleet");
}
