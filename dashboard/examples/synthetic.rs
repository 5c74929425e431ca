//! The dashboard window showing one made-up host, to look at the host view with
//! shapes this machine does not have (64 CPUs, a day of history), and to take
//! screenshots of it:
//!
//! ```sh
//! cargo run --release --example synthetic -- 64 86400   # CPUs, seconds of history
//! ```

use std::time::Instant;

use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::command::Command;
use hostpulse_dashboard::link::LinkState;
use hostpulse_dashboard::synthetic::{self, Shape};
use hostpulse_dashboard::view::Window;

fn main() -> eframe::Result {
    let mut args = std::env::args().skip(1);
    let cores: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let samples: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(86_400);
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("HostPulse (synthetic)")
            .with_inner_size([1280.0, 800.0]),
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "HostPulse synthetic",
        options,
        Box::new(move |cc| {
            let mut app = DashboardApp::new(&cc.egui_ctx);
            let wake = app.wake();
            let shape = Shape {
                cores,
                ..Shape::default()
            };
            let state = LinkState::Live {
                since: Instant::now(),
            };
            app.insert_host(|id| synthetic::host(wake, id, "synthetic-db", state, samples, shape));
            if samples > 3600 {
                app.apply(Command::SetWindow(Window::OneDay));
            }
            Ok(Box::new(app))
        }),
    )
}
