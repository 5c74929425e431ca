//! The colours of every chart in the window, so a series looks the same in
//! the host view, the fleet overview and the heat strip, and so people with a
//! colour vision deficiency can tell the series apart.
//!
//! Series take [`SERIES`] in turn: the first line of a chart (CPU total,
//! memory used, the first interface's received) is always the first colour,
//! and the two lines of a pair (received and sent, read and written) are
//! neighbours, chosen far apart. The colours are Okabe and Ito's
//! (grey in place of black, which vanishes on the dark theme), ordered so
//! that each pair stays apart when simulated for protanopia, deuteranopia
//! and tritanopia; the test below measures it. Busy-ness ([`heat`]) runs
//! along viridis, whose lightness rises steadily, so it reads without hue.

use egui::Color32;

/// One colour per series, in turn; pairs are `(2k, 2k + 1)`.
pub const SERIES: [Color32; 8] = [
    Color32::from_rgb(86, 180, 233),  // sky blue
    Color32::from_rgb(230, 159, 0),   // orange
    Color32::from_rgb(0, 158, 115),   // bluish green
    Color32::from_rgb(213, 94, 0),    // vermillion
    Color32::from_rgb(204, 121, 167), // reddish purple
    Color32::from_rgb(240, 228, 66),  // yellow
    Color32::from_rgb(0, 114, 178),   // blue
    Color32::from_rgb(153, 153, 153), // grey
];

/// The colour of the `n`-th series of a chart.
#[must_use]
pub fn series(n: usize) -> Color32 {
    SERIES[n % SERIES.len()]
}

/// Stops of the busy-ness ramp, from idle to fully busy (viridis).
const HEAT_STOPS: [(f32, [u8; 3]); 5] = [
    (0.0, [68, 1, 84]),
    (0.25, [59, 82, 139]),
    (0.5, [33, 145, 140]),
    (0.75, [94, 201, 98]),
    (1.0, [253, 231, 37]),
];

/// The colour of `percent` busy; no data (NaN) is transparent.
#[must_use]
pub fn heat(percent: f32) -> Color32 {
    if percent.is_nan() {
        return Color32::TRANSPARENT;
    }
    let t = (percent / 100.0).clamp(0.0, 1.0);
    let upper = HEAT_STOPS
        .iter()
        .position(|&(at, _)| at >= t)
        .unwrap_or(HEAT_STOPS.len() - 1)
        .max(1);
    let (from_at, from) = HEAT_STOPS[upper - 1];
    let (to_at, to) = HEAT_STOPS[upper];
    let f = ((t - from_at) / (to_at - from_at)).clamp(0.0, 1.0);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "between two bytes"
    )]
    let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * f).round() as u8;
    Color32::from_rgb(
        mix(from[0], to[0]),
        mix(from[1], to[1]),
        mix(from[2], to[2]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Machado, Oliveira and Fernandes (2009), severity 1, in linear RGB.
    const DEFICIENCIES: [(&str, [[f64; 3]; 3]); 4] = [
        (
            "normal",
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ),
        (
            "protanopia",
            [
                [0.152_286, 1.052_583, -0.204_868],
                [0.114_503, 0.786_281, 0.099_216],
                [-0.003_882, -0.048_116, 1.051_998],
            ],
        ),
        (
            "deuteranopia",
            [
                [0.367_322, 0.860_646, -0.227_968],
                [0.280_085, 0.672_501, 0.047_413],
                [-0.011_820, 0.042_940, 0.968_881],
            ],
        ),
        (
            "tritanopia",
            [
                [1.255_528, -0.076_749, -0.178_779],
                [-0.078_411, 0.930_809, 0.147_602],
                [0.004_733, 0.691_367, 0.303_900],
            ],
        ),
    ];

    /// `color` as someone with `deficiency` sees it, in CIELAB (D65).
    fn seen_as(color: Color32, deficiency: &[[f64; 3]; 3]) -> [f64; 3] {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let rgb = [linear(color.r()), linear(color.g()), linear(color.b())];
        let [r, g, b] = deficiency
            .map(|row| (row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]).clamp(0.0, 1.0));
        // CIE XYZ relative to the D65 white, then CIELAB.
        let xyz = [
            (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.950_47,
            0.2126 * r + 0.7152 * g + 0.0722 * b,
            (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.088_83,
        ];
        let [fx, fy, fz] = xyz.map(|t| {
            if t > 0.008_856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        });
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// CIE76 colour difference: about 2.3 is just noticeable; lines of a
    /// chart want tens.
    fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    #[test]
    fn pairs_stay_apart_for_colour_blind_readers() {
        for (name, deficiency) in &DEFICIENCIES {
            let seen = SERIES.map(|c| seen_as(c, deficiency));
            for pair in seen.chunks(2) {
                let apart = distance(pair[0], pair[1]);
                assert!(apart >= 30.0, "{name}: a pair only {apart:.1} apart");
            }
            // The first four are a chart's usual lines (two interfaces, two
            // disks, the three load averages): all kept apart.
            for a in 0..4 {
                for b in a + 1..4 {
                    let apart = distance(seen[a], seen[b]);
                    assert!(apart >= 15.0, "{name}: series {a} and {b} {apart:.1} apart");
                }
            }
        }
    }

    #[test]
    fn busier_is_lighter_for_every_reader() {
        for (name, deficiency) in &DEFICIENCIES {
            let lightness: Vec<f64> = (0..=20)
                .map(|step| seen_as(heat(step as f32 * 5.0), deficiency)[0])
                .collect();
            assert!(
                lightness.windows(2).all(|w| w[1] > w[0]),
                "{name}: {lightness:?}"
            );
        }
        assert_eq!(heat(250.0), heat(100.0));
        assert_eq!(heat(f32::NAN), Color32::TRANSPARENT);
        assert_eq!(heat(0.0), Color32::from_rgb(68, 1, 84));
    }
}
