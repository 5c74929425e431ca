//! Where the axes put their labels, and what the labels say: values at round
//! steps in one unit per axis (bytes at 1, 2 or 5 × 10ⁿ of a power of 1024,
//! percentages at quarters), and times at steps of the clock (10 s … 1 d)
//! aligned to the local time of day, with "now" at the live edge. Pure
//! arithmetic, so every rule is tested here without drawing.

use jiff::tz::TimeZone;

/// How a value axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Bytes, or bytes per second: steps and labels in binary units.
    Bytes,
    /// 0–100: quarters.
    Percent,
    /// A plain number (load, degrees): 1, 2 or 5 × 10ⁿ.
    Decimal,
}

/// The labels of one value axis: `0, step, 2 × step, … top`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueTicks {
    /// Distance between labels.
    pub step: f64,
    /// The axis's top: the first label at or above the highest value.
    pub top: f64,
    /// What one label unit is worth (1024 for KiB), so every label of the
    /// axis is written in the same unit.
    pub unit_value: f64,
    /// The unit's name ("KiB"), empty for plain numbers.
    pub unit_name: &'static str,
    /// Decimals every label needs for its step.
    pub decimals: usize,
}

/// At most this many steps from zero to the top (so five labels with zero).
const MAX_STEPS: f64 = 4.0;

const BINARY_UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

impl ValueTicks {
    /// Labels for an axis from zero to at least `highest` (the highest value
    /// in view, or the floor the plot keeps, whichever is larger): at least
    /// three labels (zero and two more), at most five.
    #[must_use]
    pub fn new(scale: Scale, highest: f64) -> Self {
        let highest = if highest.is_finite() && highest > 0.0 {
            highest
        } else {
            1.0
        };
        match scale {
            Scale::Percent if highest <= 100.0 => Self {
                step: 25.0,
                top: 100.0,
                unit_value: 1.0,
                unit_name: "%",
                decimals: 0,
            },
            Scale::Bytes => Self::binary(highest),
            Scale::Percent | Scale::Decimal => Self::decimal(highest),
        }
    }

    fn binary(highest: f64) -> Self {
        for (power, name) in BINARY_UNITS.iter().enumerate() {
            let unit_value = 1024f64.powi(i32::try_from(power).unwrap_or(0));
            for multiple in [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0] {
                let step = multiple * unit_value;
                if highest / step <= MAX_STEPS {
                    return Self {
                        step,
                        top: (highest / step).ceil().max(2.0) * step,
                        unit_value,
                        unit_name: name,
                        decimals: 0,
                    };
                }
            }
        }
        Self::decimal(highest)
    }

    fn decimal(highest: f64) -> Self {
        let mut exponent = highest.log10().floor() - 1.0;
        loop {
            let decade = 10f64.powf(exponent);
            for multiple in [1.0, 2.0, 5.0] {
                let step = multiple * decade;
                if highest / step <= MAX_STEPS {
                    #[allow(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "a small non-negative exponent"
                    )]
                    let decimals = (-exponent).max(0.0) as usize;
                    return Self {
                        step,
                        top: (highest / step).ceil().max(2.0) * step,
                        unit_value: 1.0,
                        unit_name: "",
                        decimals,
                    };
                }
            }
            exponent += 1.0;
        }
    }

    /// Every label's value, from zero to the top.
    #[must_use]
    pub fn values(&self) -> Vec<f64> {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "at most a handful of steps"
        )]
        let steps = (self.top / self.step).round() as u64;
        (0..=steps).map(|n| n as f64 * self.step).collect()
    }

    /// `value` written in the axis's unit: `"500 KiB"`, `"1.5"`, `"75%"`.
    #[must_use]
    pub fn label(&self, value: f64) -> String {
        let scaled = value / self.unit_value;
        let number = format!("{scaled:.*}", self.decimals);
        match self.unit_name {
            "" => number,
            "%" => format!("{number}%"),
            unit => format!("{number} {unit}"),
        }
    }
}

/// The clock steps a time axis may use, in seconds.
const TIME_STEPS_SECS: [u64; 9] = [10, 30, 60, 300, 900, 1800, 3600, 6 * 3600, 86_400];

/// One label on a time axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeTick {
    /// Where (Unix ms).
    pub at_ms: u64,
    /// `"14:05"`, `"14:05:30"`, a date at midnight (`"Dec 3"`), or `"now"`.
    pub label: String,
}

/// The labels of a time axis from `start_ms` to `end_ms`, at most about
/// `max_labels` of them: the smallest clock step that fits, at whole steps of
/// the local time of day in `zone`. When `live`, the right edge is "now"
/// (and a regular label too close to it gives way). Also returns the step,
/// in seconds.
#[must_use]
pub fn time_ticks(
    start_ms: u64,
    end_ms: u64,
    max_labels: usize,
    live: bool,
    zone: &TimeZone,
) -> (Vec<TimeTick>, u64) {
    let span_secs = end_ms.saturating_sub(start_ms) / 1000;
    let max_labels = max_labels.max(2) as u64;
    let step_secs = TIME_STEPS_SECS
        .into_iter()
        .find(|step| span_secs / step <= max_labels)
        .unwrap_or(86_400 * span_secs.div_ceil(86_400 * max_labels).max(1));
    let step_ms = step_secs * 1000;
    let mut ticks = Vec::new();
    let mut at_ms = first_aligned(start_ms, step_ms, zone);
    while at_ms <= end_ms {
        if !(live && end_ms - at_ms < step_ms * 3 / 5) {
            ticks.push(TimeTick {
                at_ms,
                label: time_label(at_ms, step_secs, zone),
            });
        }
        at_ms = next_aligned(at_ms, step_ms, zone);
    }
    if live {
        ticks.push(TimeTick {
            at_ms: end_ms,
            label: "now".to_owned(),
        });
    }
    (ticks, step_secs)
}

fn zoned(unix_ms: u64, zone: &TimeZone) -> Option<jiff::ZonedDateTime> {
    let ms = i64::try_from(unix_ms).ok()?;
    Some(
        jiff::Timestamp::from_millisecond(ms)
            .ok()?
            .to_zoned_datetime(zone.clone()),
    )
}

/// Local midnight before `unix_ms` (Unix ms).
fn day_start_ms(unix_ms: u64, zone: &TimeZone) -> u64 {
    zoned(unix_ms, zone)
        .and_then(|z| z.start_of_day().ok())
        .and_then(|z| u64::try_from(z.timestamp().as_millisecond()).ok())
        .unwrap_or(unix_ms - unix_ms % 86_400_000)
}

/// The first instant at or after `start_ms` that is a whole number of steps
/// after its local midnight.
fn first_aligned(start_ms: u64, step_ms: u64, zone: &TimeZone) -> u64 {
    let midnight = day_start_ms(start_ms, zone);
    midnight + (start_ms - midnight).div_ceil(step_ms) * step_ms
}

/// The next aligned instant after `at_ms`: a step later, or the next local
/// midnight if that comes first (days are not always whole steps long).
fn next_aligned(at_ms: u64, step_ms: u64, zone: &TimeZone) -> u64 {
    let next = at_ms + step_ms;
    let next_midnight = day_start_ms(next, zone);
    if next_midnight > at_ms && next_midnight < next {
        next_midnight
    } else {
        next
    }
}

/// A tick's words: the date at local midnight, else the time of day, with
/// seconds for steps under a minute.
#[must_use]
pub fn time_label(at_ms: u64, step_secs: u64, zone: &TimeZone) -> String {
    let Some(time) = zoned(at_ms, zone) else {
        return String::new();
    };
    let format = if day_start_ms(at_ms, zone) == at_ms {
        "%b %-d"
    } else if step_secs < 60 {
        "%H:%M:%S"
    } else {
        "%H:%M"
    };
    time.strftime(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: f64 = 1024.0;
    const MIB: f64 = 1024.0 * KIB;
    const GIB: f64 = 1024.0 * MIB;

    fn labels(ticks: &ValueTicks) -> Vec<String> {
        ticks.values().iter().map(|v| ticks.label(*v)).collect()
    }

    #[test]
    fn byte_axes_step_at_round_binary_values_in_one_unit() {
        // 16 GiB of memory: not 9.3 / 18.6 GiB.
        let memory = ValueTicks::new(Scale::Bytes, 16.0 * GIB);
        assert_eq!(
            labels(&memory),
            ["0 GiB", "5 GiB", "10 GiB", "15 GiB", "20 GiB"]
        );
        // 286 MiB/s at the highest: not 95.4 / 191 / 286.
        let network = ValueTicks::new(Scale::Bytes, 286.0 * MIB);
        assert_eq!(labels(&network), ["0 MiB", "100 MiB", "200 MiB", "300 MiB"]);
        // 1.9 MiB/s: one unit, not 977 KiB beside 1.9 MiB.
        let mixed = ValueTicks::new(Scale::Bytes, 1.9 * MIB);
        assert_eq!(
            labels(&mixed),
            ["0 KiB", "500 KiB", "1000 KiB", "1500 KiB", "2000 KiB"]
        );
        // An idle link at the 2 KiB floor still gets three labels.
        let idle = ValueTicks::new(Scale::Bytes, 2.0 * KIB);
        assert_eq!(labels(&idle), ["0 KiB", "1 KiB", "2 KiB"]);
        assert_eq!(
            labels(&ValueTicks::new(Scale::Bytes, 0.0)),
            ["0 B", "1 B", "2 B"]
        );
    }

    #[test]
    fn every_value_axis_has_three_to_five_labels_at_or_above_its_highest() {
        for scale in [Scale::Bytes, Scale::Decimal, Scale::Percent] {
            let mut highest = 0.013;
            while highest < 1e13 {
                let ticks = ValueTicks::new(scale, highest);
                let count = ticks.values().len();
                assert!((3..=5).contains(&count), "{scale:?} {highest}: {count}");
                assert!(
                    ticks.top >= highest,
                    "{scale:?} {highest}: top {}",
                    ticks.top
                );
                highest *= 1.37;
            }
        }
    }

    #[test]
    fn percentages_are_quarters_and_plain_numbers_round() {
        let cpu = ValueTicks::new(Scale::Percent, 37.0);
        assert_eq!(labels(&cpu), ["0%", "25%", "50%", "75%", "100%"]);
        let load = ValueTicks::new(Scale::Decimal, 2.6);
        assert_eq!(labels(&load), ["0", "1", "2", "3"]);
        let small = ValueTicks::new(Scale::Decimal, 0.33);
        assert_eq!(labels(&small), ["0.0", "0.1", "0.2", "0.3", "0.4"]);
        let warm = ValueTicks::new(Scale::Decimal, 71.0);
        assert_eq!(labels(&warm), ["0", "20", "40", "60", "80"]);
    }

    /// 2023-11-14 22:13:20 UTC.
    const T0_MS: u64 = 1_700_000_000_000;

    fn words(ticks: &[TimeTick]) -> Vec<&str> {
        ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn time_ticks_fall_on_the_clock_with_now_at_the_live_edge() {
        let utc = TimeZone::UTC;
        // Five minutes, room for about seven labels: every minute, on the minute.
        let (ticks, step) = time_ticks(T0_MS - 300_000, T0_MS, 7, true, &utc);
        assert_eq!(step, 60);
        assert_eq!(
            words(&ticks),
            ["22:09", "22:10", "22:11", "22:12", "now"],
            "22:13 is 20 s before now and gives way"
        );
        assert!(
            ticks
                .iter()
                .all(|t| t.at_ms % 60_000 == 0 || t.label == "now")
        );
        // One minute: half minutes, with seconds.
        let (ticks, step) = time_ticks(T0_MS - 60_000, T0_MS, 7, false, &utc);
        assert_eq!(step, 10);
        assert_eq!(ticks[0].label, "22:12:20");
        // An hour over a narrow plot: quarter hours.
        let (ticks, step) = time_ticks(T0_MS - 3_600_000, T0_MS, 5, false, &utc);
        assert_eq!(step, 900);
        assert_eq!(words(&ticks), ["21:15", "21:30", "21:45", "22:00"]);
    }

    #[test]
    fn time_ticks_follow_the_local_zone_and_show_the_date_at_midnight() {
        let berlin = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        // 23:13:20 in Berlin; six hours back crosses no midnight, but the
        // next day does.
        let (ticks, step) = time_ticks(T0_MS - 6 * 3_600_000, T0_MS + 3_600_000, 8, false, &berlin);
        assert_eq!(step, 3600);
        assert_eq!(
            words(&ticks),
            [
                "18:00", "19:00", "20:00", "21:00", "22:00", "23:00", "Nov 15"
            ]
        );
        // A day: six-hour steps from local midnight.
        let (ticks, step) = time_ticks(T0_MS - 86_400_000, T0_MS, 6, false, &berlin);
        assert_eq!(step, 6 * 3600);
        assert_eq!(words(&ticks), ["Nov 14", "06:00", "12:00", "18:00"]);
    }
}
