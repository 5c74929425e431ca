//! The dashboard's floor: an eframe window of the dashboard's size and
//! renderer (1280×800, glow) that repaints once a second, as the dashboard
//! does when a sample arrives, and draws one label. What it costs is what
//! any window repainting at 1 Hz costs on this display and GL: the dashboard's
//! live cost is judged as a ratio to it, measured in the same run
//! (`scripts/bench-ui.sh`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn main() -> eframe::Result {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("HostPulse UI floor")
            .with_inner_size([1280.0, 800.0]),
        ..eframe::NativeOptions::default()
    };
    eframe::run_ui_native("HostPulse UI floor", options, |ui, _frame| {
        let unix_secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        ui.label(format!("{unix_secs}"));
        ui.ctx().request_repaint_after(Duration::from_secs(1));
    })
}
