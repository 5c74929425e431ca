//! What a plot drew from a range read from a server's disk, checked against
//! the range: each piece of band lies within one span's min and max, and the
//! mean line runs through span middles, joining only spans that touch. Shared
//! by `plot_geometry.rs` (a range made by hand) and `history_views.rs` (a
//! real server's answer, in the whole app).

use egui::epaint::{ColorMode, Shape};
use egui::{Color32, Pos2, Rect};
use egui_plot::{PlotPoint, PlotTransform};
use hostpulse_dashboard::panels::time_plot::band_color;
use hostpulse_dashboard::past::range::{Bucket, FetchedRange};

/// Room for rounding between plot values and screen points.
const TOLERANCE_PX: f32 = 1.5;

/// What was found drawn for one series.
#[derive(Debug, Default)]
pub struct Seen {
    /// Band pieces (meshes with some area), one per run of touching spans.
    pub bands: usize,
    /// The band's vertices.
    pub band_vertices: Vec<Pos2>,
    /// Mean lines.
    pub lines: usize,
}

/// Where the plot whose `transform` it is put instant `ms` (x relative to
/// `origin_ms`, in seconds) at `value`.
pub fn screen(transform: &PlotTransform, origin_ms: u64, ms: u64, value: f32) -> Pos2 {
    let x = (ms as f64 - origin_ms as f64) / 1000.0;
    transform.position_from_point(&PlotPoint::new(x, f64::from(value)))
}

/// Checks what `shapes` hold in `color` (and its band colour) within the
/// plot of `transform`, before `until_ms`, against series `series` of
/// `range`; fails naming the first piece the range does not hold.
#[allow(clippy::too_many_arguments, reason = "a check of one plot's drawing")]
pub fn check(
    shapes: &[Shape],
    transform: &PlotTransform,
    origin_ms: u64,
    range: &FetchedRange,
    series: usize,
    color: Color32,
    until_ms: u64,
    label: &str,
) -> Seen {
    let at = |ms: u64, value: f32| screen(transform, origin_ms, ms, value);
    let buckets: Vec<Bucket> = (0..range.len())
        .filter_map(|index| range.bucket(series, index))
        .filter(|b| !b.mean.is_nan() && b.start_ms < until_ms)
        .collect();
    // Shapes of this plot: within its frame, but for spans reaching out of it.
    let widest_px = buckets
        .iter()
        .map(|b| at(b.end_ms, 0.0).x - at(b.start_ms, 0.0).x)
        .fold(0.0_f32, f32::max);
    let frame = transform.frame();
    let region = Rect::from_min_max(
        frame.min - egui::vec2(2.0 * widest_px + TOLERANCE_PX, TOLERANCE_PX),
        frame.max + egui::vec2(2.0 * widest_px + TOLERANCE_PX, TOLERANCE_PX),
    );
    let live_x = if until_ms == u64::MAX {
        f32::INFINITY
    } else {
        at(until_ms, 0.0).x - TOLERANCE_PX
    };
    let band = band_color(color);
    let mut seen = Seen::default();
    for shape in shapes {
        for shape in flatten(shape) {
            match shape {
                Shape::Mesh(mesh)
                    if mesh.vertices.iter().any(|v| v.color == band)
                        && mesh.vertices.iter().all(|v| region.contains(v.pos)) =>
                {
                    let mut area_here = false;
                    for triangle in mesh.indices.chunks(3) {
                        let corners: Vec<Pos2> = triangle
                            .iter()
                            .map(|&i| mesh.vertices[i as usize].pos)
                            .collect();
                        seen.band_vertices.extend(corners.iter().copied());
                        if area(&corners) < 0.5 {
                            continue; // Where two spans touch.
                        }
                        area_here = true;
                        let inside = buckets.iter().any(|b| {
                            let (top_left, bottom_right) =
                                (at(b.start_ms, b.max), at(b.end_ms, b.min));
                            corners.iter().all(|c| {
                                c.x >= top_left.x - TOLERANCE_PX
                                    && c.x <= bottom_right.x + TOLERANCE_PX
                                    && c.y >= top_left.y - TOLERANCE_PX
                                    && c.y <= bottom_right.y + TOLERANCE_PX
                            })
                        });
                        assert!(
                            inside,
                            "{label}: a band triangle {corners:?} covers what no span's min and \
                             max hold"
                        );
                    }
                    seen.bands += usize::from(area_here);
                }
                Shape::Path(path)
                    if path.stroke.color == ColorMode::Solid(color)
                        && path.points.iter().all(|p| region.contains(*p))
                        && path.points.first().is_some_and(|p| p.x < live_x) =>
                {
                    check_line(&path.points, &buckets, at, label);
                    seen.lines += 1;
                }
                _ => {}
            }
        }
    }
    seen
}

/// A mean line: every vertex a span's middle at its mean, neighbours only
/// spans that touch (or, raw, samples next to each other).
fn check_line(points: &[Pos2], buckets: &[Bucket], at: impl Fn(u64, f32) -> Pos2, label: &str) {
    let middles: Vec<Pos2> = buckets.iter().map(|b| at(b.middle_ms(), b.mean)).collect();
    let indices: Vec<usize> = points
        .iter()
        .map(|vertex| {
            middles
                .iter()
                .position(|m| m.distance(*vertex) <= TOLERANCE_PX)
                .unwrap_or_else(|| panic!("{label}: a line vertex at {vertex:?} is no span's mean"))
        })
        .collect();
    for pair in indices.windows(2) {
        let (a, b) = (buckets[pair[0]], buckets[pair[1]]);
        assert!(
            pair[1] == pair[0] + 1 && (a.end_ms == b.start_ms || a.end_ms == a.start_ms),
            "{label}: the mean line joins {a:?} to {b:?}, spans that do not touch"
        );
    }
}

fn flatten(shape: &Shape) -> Vec<&Shape> {
    match shape {
        Shape::Vec(shapes) => shapes.iter().flat_map(flatten).collect(),
        other => vec![other],
    }
}

fn area(corners: &[Pos2]) -> f32 {
    let (a, b) = (corners[1] - corners[0], corners[2] - corners[0]);
    (a.x * b.y - a.y * b.x).abs() / 2.0
}
