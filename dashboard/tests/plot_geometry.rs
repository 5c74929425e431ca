//! What a plot draws, checked shape by shape against the samples it was given:
//! a line may only join samples that are next to each other on screen (the
//! lowest and highest of neighbouring pixel columns) or run straight through
//! every sample it passes over; it never bridges a gap, never fills an area,
//! and the peaks are drawn. Rendered through `egui_kittest` from known series:
//! a short burst on an idle interface, a gap, and a host sampling every 500 ms,
//! over several windows and while the window moves with new samples (so the
//! cached, shifted lines are checked too). And a range read from a server's
//! disk: each band piece lies within one span's min and max, the mean line
//! joins only touching spans, a spike is the top of its band, and a gap or an
//! unknown minute breaks both.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod bands;

use egui::epaint::{ColorMode, Shape};
use egui::{Color32, Pos2};
use egui_kittest::Harness;
use egui_plot::{PlotPoint, PlotTransform};
use hostpulse_dashboard::history::{HostHistory, Metric, Retention};
use hostpulse_dashboard::panels::time_axis::TimeAxis;
use hostpulse_dashboard::panels::time_plot::picture::drawn_shapes;
use hostpulse_dashboard::panels::time_plot::{Series, TimePlot, Unit};
use hostpulse_dashboard::past::PastPart;
use hostpulse_dashboard::past::plan::RangeWant;
use hostpulse_dashboard::past::range::FetchedRange;
use hostpulse_dashboard::synthetic::{self, Shape as HostShape};
use hostpulse_dashboard::view::TimeView;
use hostpulse_shared::{HistoryRange, RangeGap, RangePoint, RangeTier, Sample};

const COLOR: Color32 = Color32::from_rgb(0x12, 0x34, 0x56);
/// Room for rounding between plot values and screen points.
const TOLERANCE_PX: f32 = 1.5;

/// One sample of the series under test: `(timestamp_ms, value)`.
type Point = (u64, f64);

/// A host's samples and how its metric is read from them.
struct Case {
    name: &'static str,
    metric: Metric,
    unit: Unit,
    interval_ms: u64,
    samples: Vec<Sample>,
}

fn with(seq: u64, interval_ms: u64, edit: impl FnOnce(&mut Sample)) -> Sample {
    let mut sample = synthetic::sample(seq, HostShape::default());
    sample.timestamp_ms = synthetic::START_MS + seq * interval_ms;
    edit(&mut sample);
    sample
}

/// An idle interface (a few bytes a second) with a 7-second burst at 50 MB/s,
/// then three minutes with no samples, then idle again.
fn burst_and_gap() -> Case {
    let samples = (0..1500u64)
        .filter(|seq| !(900..1080).contains(seq))
        .map(|seq| {
            with(seq, 1000, |s| {
                let rate = if (600..607).contains(&seq) {
                    50e6
                } else {
                    f64::from(u32::try_from(seq % 3).unwrap_or(0)) * 40.0
                };
                s.networks[1].rx_bytes_per_sec = Some(rate);
            })
        })
        .collect();
    Case {
        name: "burst and gap",
        metric: Metric::InterfaceRx(0),
        unit: Unit::BytesPerSec,
        interval_ms: 1000,
        samples,
    }
}

/// A host sampling every 500 ms whose load wanders slowly, as a kernel's
/// load average does (it changes every 5 s).
fn half_second_load() -> Case {
    let samples = (0..2400u64)
        .map(|seq| {
            with(seq, 500, |s| {
                let step = (seq / 10) as f64;
                if let Some(load) = &mut s.load {
                    load.one = 1.0 + 0.5 * (step / 7.0).sin();
                }
            })
        })
        .collect();
    Case {
        name: "500 ms load",
        metric: Metric::LoadOne,
        unit: Unit::Number,
        interval_ms: 500,
        samples,
    }
}

fn value_of(case: &Case, sample: &Sample) -> Option<f64> {
    match case.metric {
        Metric::InterfaceRx(_) => sample.networks[1].rx_bytes_per_sec,
        Metric::LoadOne => sample.load.map(|l| l.one),
        other => panic!("no reader for {other:?}"),
    }
}

/// What one frame drew in the series' colour.
#[derive(Default)]
struct Drawn {
    polylines: Vec<Vec<Pos2>>,
    filled: usize,
}

fn collect(shape: &Shape, drawn: &mut Drawn) {
    match shape {
        Shape::Vec(shapes) => shapes.iter().for_each(|s| collect(s, drawn)),
        Shape::Path(path) if path.stroke.color == ColorMode::Solid(COLOR) => {
            if path.fill != Color32::TRANSPARENT {
                drawn.filled += 1;
            }
            drawn.polylines.push(path.points.clone());
        }
        Shape::LineSegment { points, stroke } if stroke.color == COLOR => {
            drawn.polylines.push(points.to_vec());
        }
        Shape::Band(band) if band.fill == COLOR || band.stroke.color == COLOR => {
            drawn.filled += 1;
        }
        Shape::Mesh(mesh) if mesh.vertices.iter().any(|v| v.color == COLOR) => {
            drawn.filled += 1;
        }
        _ => {}
    }
}

/// The plot under test, fed `fed` samples of the case so far.
struct State {
    history: HostHistory,
    view: TimeView,
    /// The clock, when the window follows it past the newest sample (a
    /// silent host); else the window ends at the newest sample.
    present_ms: Option<u64>,
    transform: Option<PlotTransform>,
    axis: Option<TimeAxis>,
    max_step_ms: u64,
    metric: Metric,
    unit: Unit,
}

fn harness(case: &Case, view: TimeView) -> Harness<'static, State> {
    let state = State {
        history: HostHistory::new(Retention::default()),
        view,
        present_ms: None,
        transform: None,
        axis: None,
        max_step_ms: case.interval_ms * 5 / 2,
        metric: case.metric,
        unit: case.unit,
    };
    Harness::builder()
        .with_size(egui::vec2(700.0, 240.0))
        .build_ui_state(
            |ui, state: &mut State| {
                let axis = match state.present_ms {
                    Some(present_ms) => TimeAxis::until(&state.history, &state.view, present_ms),
                    None => TimeAxis::new(&state.history, &state.view),
                };
                let series = [Series::new("under test", state.metric, COLOR)];
                let plot = TimePlot {
                    id: "geometry".to_owned(),
                    unit: state.unit,
                    series: &series,
                    axis,
                    max_step_ms: state.max_step_ms,
                    y_max: None,
                    past: None,
                    alerts: None,
                };
                let mut commands = Vec::new();
                state.transform = Some(plot.ui(ui, &state.history, 200.0, &mut commands));
                state.axis = Some(axis);
            },
            state,
        )
}

/// Fails naming the first drawn shape the samples do not contain.
fn check(case: &Case, label: &str, harness: &Harness<'_, State>) {
    let state = harness.state();
    let (transform, axis) = (state.transform.expect("drawn"), state.axis.expect("drawn"));
    let newest_ms = state.history.newest_ms().expect("samples");
    let points: Vec<Point> = case
        .samples
        .iter()
        .filter(|s| s.timestamp_ms <= newest_ms)
        .filter_map(|s| value_of(case, s).map(|v| (s.timestamp_ms, v)))
        .collect();
    let screen = |&(ts, v): &Point| transform.position_from_point(&PlotPoint::new(axis.x(ts), v));
    let on_screen: Vec<Pos2> = points.iter().map(screen).collect();
    let mut drawn = Drawn::default();
    for shape in drawn_shapes(&harness.ctx) {
        collect(&shape, &mut drawn);
    }
    let what = format!("{} ({label})", case.name);
    assert_eq!(drawn.filled, 0, "{what}: a filled shape invents area");
    assert!(!drawn.polylines.is_empty(), "{what}: nothing drawn");
    let frame = transform.frame();
    for line in &drawn.polylines {
        for vertex in line {
            assert!(
                on_screen
                    .iter()
                    .any(|p| p.distance(*vertex) <= TOLERANCE_PX),
                "{what}: a vertex at {vertex:?} is no sample"
            );
        }
        for pair in line.windows(2) {
            let (a, b) = if pair[0].x <= pair[1].x {
                (pair[0], pair[1])
            } else {
                (pair[1], pair[0])
            };
            if b.x - a.x <= 2.0 + TOLERANCE_PX {
                continue; // Neighbouring columns: their extremes, joined.
            }
            let first = points.partition_point(|p| screen(p).x < a.x - TOLERANCE_PX);
            let last = points.partition_point(|p| screen(p).x <= b.x + TOLERANCE_PX);
            let along = &points[first..last];
            for step in along.windows(2) {
                assert!(
                    step[1].0 - step[0].0 <= state.max_step_ms,
                    "{what}: a line from {a:?} to {b:?} bridges the gap {step:?}"
                );
            }
            for (point, p) in along.iter().zip(&on_screen[first..last]) {
                if p.x <= a.x + TOLERANCE_PX || p.x >= b.x - TOLERANCE_PX {
                    continue;
                }
                let y = a.y + (b.y - a.y) * (p.x - a.x) / (b.x - a.x);
                assert!(
                    (y - p.y).abs() <= TOLERANCE_PX,
                    "{what}: a line from {a:?} to {b:?} passes {:.1} px from the sample \
                     {point:?} it spans",
                    (y - p.y).abs()
                );
            }
        }
    }
    // The highest sample in view is drawn, at its height.
    let visible = |p: &Pos2| p.x >= frame.left() && p.x <= frame.right();
    if let Some(peak) = on_screen
        .iter()
        .filter(|p| visible(p))
        .min_by(|a, b| a.y.total_cmp(&b.y))
    {
        let vertices = drawn.polylines.iter().flatten();
        assert!(
            vertices
                .clone()
                .any(|v| (v.y - peak.y).abs() <= TOLERANCE_PX),
            "{what}: the peak at {peak:?} is not drawn"
        );
    }
}

/// Feeds the case in steps, drawing and checking each frame; the last steps
/// move a live window `span_ms` long by a few samples at a time.
fn check_case(case: &Case, span_ms: u64) {
    let view = TimeView {
        span_ms: Some(span_ms),
        ..TimeView::default()
    };
    let mut harness = harness(case, view);
    let total = case.samples.len();
    let mut fed = 0;
    for until in [total * 2 / 3, total * 2 / 3 + 7, total * 2 / 3 + 30, total] {
        for sample in &case.samples[fed..until] {
            harness.state_mut().history.push(sample.clone());
        }
        fed = until;
        harness.run();
        check(
            case,
            &format!("{} s, {fed} samples", span_ms / 1000),
            &harness,
        );
    }
}

#[test]
fn a_burst_and_a_gap_are_drawn_as_sampled_in_every_window() {
    let case = burst_and_gap();
    // 5 m, 15 m, 1 h, and all 25 minutes of it.
    for span_ms in [300_000, 900_000, 3_600_000, 1_500_000] {
        check_case(&case, span_ms);
    }
}

#[test]
fn a_host_that_comes_back_after_a_silence_is_not_joined_across_it() {
    // Two minutes of samples, 40 s of silence while the window follows the
    // clock (as it does for a host that is down), then samples again, the
    // first of them older than where the window's edge had got to.
    let interval_ms = 1000;
    let samples: Vec<Sample> = (0..120)
        .chain(160..200)
        .map(|seq| {
            with(seq, interval_ms, |s| {
                if let Some(load) = s.load.as_mut() {
                    load.one = if seq % 20 < 10 { 3.0 } else { 0.5 };
                }
            })
        })
        .collect();
    let case = Case {
        name: "back after a silence",
        metric: Metric::LoadOne,
        unit: Unit::Number,
        interval_ms,
        samples,
    };
    let view = TimeView {
        span_ms: Some(300_000),
        ..TimeView::default()
    };
    let mut harness = harness(&case, view);
    let at = |seq: u64| synthetic::START_MS + seq * interval_ms;
    for sample in &case.samples[..120] {
        harness.state_mut().history.push(sample.clone());
    }
    // The silence: the clock runs on, frame after frame.
    for seq in (120..=165).step_by(3) {
        harness.state_mut().present_ms = Some(at(seq));
        harness.run();
    }
    // Back: samples from seq 160, before the edge's 165.
    for sample in &case.samples[120..125] {
        harness.state_mut().history.push(sample.clone());
    }
    harness.state_mut().present_ms = Some(at(166));
    harness.run();
    check(&case, "the first frame after the silence", &harness);
}

#[test]
fn a_half_second_host_is_drawn_as_a_line_not_a_ribbon() {
    let case = half_second_load();
    for span_ms in [60_000, 300_000, 900_000] {
        check_case(&case, span_ms);
    }
}

/// Four hours of minutes from a server's disk (min, mean and max of CPU),
/// with a one-second spike to 97 % in minute 100, minute 60 unknown, and half
/// an hour missing (named as a gap) from minute 150.
fn minutes_from_disk() -> (HistoryRange, u64, u64) {
    const MINUTE_MS: u64 = 60_000;
    let start_ms = synthetic::START_MS / MINUTE_MS * MINUTE_MS;
    let point = |minute: u64| {
        let wave = 30.0 + 20.0 * (minute as f64 / 9.0).sin();
        let known = minute != 60;
        RangePoint {
            time_ms: start_ms + minute * MINUTE_MS,
            samples: 60,
            mean: vec![known.then_some(wave)],
            min: vec![known.then_some(wave - 8.0)],
            max: vec![known.then_some(if minute == 100 { 97.0 } else { wave + 6.0 })],
        }
    };
    let range = HistoryRange {
        id: 1,
        tier: RangeTier::Minute,
        step_ms: MINUTE_MS,
        from_ms: start_ms,
        to_ms: start_ms + 240 * MINUTE_MS,
        series: vec!["cpu.total_percent".into()],
        points: (0..150).chain(180..240).map(point).collect(),
        gaps: vec![RangeGap {
            from_ms: start_ms + 149 * MINUTE_MS,
            to_ms: start_ms + 180 * MINUTE_MS,
        }],
    };
    (range, start_ms, start_ms + 240 * MINUTE_MS)
}

/// A plot of a range alone, `width` points wide.
struct RangeState {
    history: HostHistory,
    range: FetchedRange,
    axis: TimeAxis,
    transform: Option<PlotTransform>,
}

#[test]
fn a_range_from_disk_is_drawn_as_bands_of_its_spans_with_the_mean_and_breaks_at_gaps() {
    let (answer, start_ms, end_ms) = minutes_from_disk();
    let want = RangeWant {
        from_ms: start_ms,
        to_ms: end_ms,
        column_ms: 10_000,
    };
    let range = FetchedRange::new(want, &answer);
    assert_eq!(range.runs(0, start_ms, end_ms, u64::MAX, 2500).len(), 3);
    for (width, span) in [
        (900.0, (start_ms, end_ms)),
        (500.0, (start_ms + 5_400_000, start_ms + 9_000_000)),
    ] {
        let state = RangeState {
            // The live history holds nothing: the whole window is the range's.
            history: HostHistory::new(Retention::default()),
            range: FetchedRange::new(want, &answer),
            axis: TimeAxis {
                origin_ms: end_ms,
                start_ms: span.0,
                end_ms: span.1,
                marked_ms: None,
                oldest_ms: start_ms,
                live: false,
                no_data_since_ms: None,
            },
            transform: None,
        };
        let mut harness = Harness::builder()
            .with_size(egui::vec2(width, 240.0))
            .build_ui_state(
                |ui, state: &mut RangeState| {
                    let series = [Series::new("cpu", Metric::CpuTotal, COLOR)];
                    let mut commands = Vec::new();
                    let plot = TimePlot {
                        id: "range geometry".to_owned(),
                        unit: Unit::Percent,
                        series: &series,
                        axis: state.axis,
                        max_step_ms: 2500,
                        y_max: Some(100.0),
                        past: Some(PastPart {
                            range: &state.range,
                            until_ms: u64::MAX,
                        }),
                        alerts: None,
                    };
                    state.transform = Some(plot.ui(ui, &state.history, 200.0, &mut commands));
                },
                state,
            );
        harness.run();
        check_range(&range, &harness, &format!("{width} px"));
    }
}

/// Fails naming the first band or line piece the range does not hold, or a
/// spike or gap drawn wrong.
fn check_range(range: &FetchedRange, harness: &Harness<'_, RangeState>, label: &str) {
    let state = harness.state();
    let (transform, axis) = (state.transform.expect("drawn"), state.axis);
    let seen = bands::check(
        &drawn_shapes(&harness.ctx),
        &transform,
        axis.origin_ms,
        range,
        0,
        COLOR,
        u64::MAX,
        label,
    );
    assert!(seen.bands > 0 && seen.lines > 0, "{label}: {seen:?}");
    let mut drawn = Drawn::default();
    for shape in drawn_shapes(&harness.ctx) {
        collect(&shape, &mut drawn);
    }
    assert_eq!(drawn.filled, 0, "{label}: the mean line is not filled");
    // The spike's second is the top of its minute's band.
    let spike = (0..range.len())
        .filter_map(|i| range.bucket(0, i))
        .find(|b| (b.max - 97.0).abs() < 0.01)
        .expect("the spike");
    let top = bands::screen(&transform, axis.origin_ms, spike.start_ms, 97.0);
    if transform.frame().x_range().contains(top.x) {
        assert!(
            seen.band_vertices
                .iter()
                .any(|v| (v.y - top.y).abs() <= TOLERANCE_PX),
            "{label}: the spike to 97 % is not drawn"
        );
    }
    // Both sides of the gap are drawn, each its own band: none bridges it;
    // the unknown minute 60 breaks the first side in two.
    let runs_in_view = range
        .runs(0, axis.start_ms, axis.end_ms, u64::MAX, 2500)
        .len();
    assert_eq!(seen.bands, runs_in_view, "{label}");
    assert_eq!(seen.lines, runs_in_view, "{label}");
}
