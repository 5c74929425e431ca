//! How long the real `DashboardApp::ui` takes to build a frame, headless, for
//! 1 and 16 synthetic hosts holding 1 h and 24 h of history each, and one
//! large host (64 CPUs, 8 interfaces, 8 disks, 16 sensors) with 24 h. Not a pass
//! or fail test: a measurement, run by hand in release and recorded in
//! BENCHMARKS.md:
//!
//! ```sh
//! cargo test --release --workspace --test frame_cost -- --ignored --nocapture
//! ```
//!
//! Each case measures frames that follow a new sample (the live case: the
//! plots and the heat strip are computed again), frames with nothing new
//! (a hover or a click), and frames whose time window moved (a drag or a
//! zoom: nothing kept from the last frame can be reused).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measurement fails loudly at the first surprise"
)]

use std::time::{Duration, Instant};

use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::link::{LinkEvent, LinkState};
use hostpulse_dashboard::synthetic::{self, Shape};

const FRAMES: usize = 300;

fn raw_input(frame: usize) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        time: Some(frame as f64 / 60.0),
        ..egui::RawInput::default()
    }
}

/// Median and worst of `times`, in milliseconds, and how many frames took
/// over 4 ms.
fn summary(times: &mut [Duration]) -> String {
    let over = times
        .iter()
        .enumerate()
        .filter(|(_, t)| t.as_secs_f64() > 0.004)
        .map(|(frame, _)| frame.to_string())
        .collect::<Vec<_>>();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:.2} ms, p95 {:.2} ms, max {:.2} ms; over 4 ms: {} of {} (frames {})",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1]),
        over.len(),
        times.len(),
        over.join(" ")
    )
}

/// The large host of the history measurement.
const LARGE: Shape = Shape {
    cores: 64,
    interfaces: 8,
    disks: 8,
    sensors: 16,
    processes: 20,
};

fn measure(hosts: usize, hours: u64, shape: Shape) {
    let ctx = egui::Context::default();
    let mut app = DashboardApp::new(&ctx);
    let samples = hours * 3600;
    let mut first = None;
    for n in 0..hosts {
        let wake = app.wake();
        let state = LinkState::Live {
            since: Instant::now(),
        };
        let id = app.insert_host(|id| {
            synthetic::host(wake, id, &format!("host-{n}"), state, samples, shape)
        });
        first.get_or_insert(id);
    }
    let selected = first.unwrap();
    app.apply(hostpulse_dashboard::command::Command::SetWindow(
        if hours >= 24 {
            hostpulse_dashboard::view::Window::OneDay
        } else {
            hostpulse_dashboard::view::Window::OneHour
        },
    ));
    // Warm up: fonts, textures, layout caches.
    for frame in 0..5 {
        let _ = ctx.run_ui(raw_input(frame), |ui| app.ui(ui));
    }
    let mut live = Vec::with_capacity(FRAMES);
    let mut tessellate = Vec::with_capacity(FRAMES);
    for frame in 0..FRAMES {
        let seq = samples + frame as u64;
        app.host_mut(selected)
            .unwrap()
            .apply(LinkEvent::Sample(synthetic::sample(seq, shape)));
        let started = Instant::now();
        let output = ctx.run_ui(raw_input(frame + 5), |ui| app.ui(ui));
        live.push(started.elapsed());
        let started = Instant::now();
        let _ = ctx.tessellate(output.shapes, output.pixels_per_point);
        tessellate.push(started.elapsed());
    }
    let mut idle = Vec::with_capacity(FRAMES);
    for frame in 0..FRAMES {
        let started = Instant::now();
        let _ = ctx.run_ui(raw_input(frame + 5 + FRAMES), |ui| app.ui(ui));
        idle.push(started.elapsed());
    }
    let mut panned = Vec::with_capacity(FRAMES);
    let newest_ms = app.hosts()[0].history.newest_ms().unwrap();
    for frame in 0..FRAMES {
        // Ten seconds further back each frame, as a slow drag moves it.
        let end_ms = newest_ms - (frame as u64 + 1) * 10_000;
        app.apply(hostpulse_dashboard::command::Command::Pause(end_ms));
        let started = Instant::now();
        let _ = ctx.run_ui(raw_input(frame + 5 + 2 * FRAMES), |ui| app.ui(ui));
        panned.push(started.elapsed());
    }
    let bytes = app.hosts()[0].history.heap_bytes();
    println!(
        "{hosts:>2} hosts x {hours:>2} h, {} CPUs ({samples} samples each, {:.1} MB history per host)\n  \
         build, new sample each frame: {}\n  build, nothing new:           {}\n  \
         build, window moved:          {}\n  tessellate:                   {}",
        shape.cores,
        bytes as f64 / 1e6,
        summary(&mut live),
        summary(&mut idle),
        summary(&mut panned),
        summary(&mut tessellate)
    );
}

#[test]
#[ignore = "a measurement to run by hand in release (see the module docs)"]
fn frame_build_time() {
    for (hosts, hours) in [(1, 1), (1, 24), (16, 1), (16, 24)] {
        measure(hosts, hours, Shape::default());
    }
    measure(1, 24, LARGE);
}

#[test]
#[ignore = "a measurement to run by hand in release (see the module docs)"]
fn history_bytes_for_a_day() {
    let shapes = [
        (
            "typical: 4 CPUs, 2 interfaces, 2 disks, 4 sensors",
            Shape::default(),
        ),
        ("large: 64 CPUs, 8 interfaces, 8 disks, 16 sensors", LARGE),
    ];
    for (name, shape) in shapes {
        let mut history = hostpulse_dashboard::history::HostHistory::new(
            hostpulse_dashboard::history::Retention::default(),
        );
        for seq in 0..86_400 {
            history.push(synthetic::sample(seq, shape));
        }
        println!(
            "{name}: a day at 1 Hz = {:.1} MB ({} bytes)",
            history.heap_bytes() as f64 / 1e6,
            history.heap_bytes()
        );
    }
}
