//! How full each mounted file system is, as a bar per mount point, from the
//! newest sample.

use egui::{ProgressBar, RichText, Ui};
use hostpulse_shared::Sample;

use crate::format;

/// At this fraction used a bar turns the error colour.
const NEARLY_FULL: f32 = 0.9;

/// Draws one bar per mount with a known size; nearly full ones stand out.
pub fn ui(ui: &mut Ui, sample: &Sample) {
    let disks: Vec<_> = sample.disks.iter().filter(|d| d.total_bytes > 0).collect();
    if disks.is_empty() {
        ui.weak("No file systems reported.");
        return;
    }
    for disk in disks {
        let used_bytes = disk.total_bytes.saturating_sub(disk.available_bytes);
        let fraction = used_bytes as f32 / disk.total_bytes as f32;
        ui.horizontal(|ui| {
            ui.label(RichText::new(&disk.mount_point).strong());
            ui.weak(format!("{} · {}", disk.device, disk.file_system));
        });
        let mut bar = ProgressBar::new(fraction);
        if fraction >= NEARLY_FULL {
            bar = bar.fill(ui.visuals().error_fg_color.gamma_multiply(0.8));
        }
        ui.add(bar.text(format!(
            "{} of {} used ({:.0}%)",
            format::bytes(used_bytes as f64),
            format::bytes(disk.total_bytes as f64),
            fraction * 100.0
        )));
    }
}
