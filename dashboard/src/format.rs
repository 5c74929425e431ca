//! Numbers for people: bytes in binary units, rates, durations.

/// `1536` → `"1.5 KiB"`. Binary units, as `free` and `top` use for memory.
#[must_use]
pub fn bytes(value: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut scaled = value;
    let mut unit = 0;
    while scaled.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        scaled /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{scaled:.0} B")
    } else if scaled.abs() >= 100.0 {
        format!("{scaled:.0} {}", UNITS[unit])
    } else {
        format!("{scaled:.1} {}", UNITS[unit])
    }
}

/// `2048.0` → `"2.0 KiB/s"`.
#[must_use]
pub fn bytes_per_sec(value: f64) -> String {
    format!("{}/s", bytes(value))
}

/// `93784` → `"1d 2h 3m"`; short spans keep seconds.
#[must_use]
pub fn duration_secs(secs: u64) -> String {
    let (days, hours, minutes, seconds) =
        (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if days > 0 {
        format!("{days}d {hours}h {minutes}m")
    } else if hours > 0 {
        format!("{hours}h {minutes}m")
    } else if minutes > 0 {
        format!("{minutes}m {seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// An offset from now on a time axis: `-90.0` → `"-1:30"`, `-7500.0` →
/// `"-2:05:00"`, `0.0` → `"now"`.
#[must_use]
pub fn seconds_ago(offset_secs: f64) -> String {
    let rounded = offset_secs.round();
    if rounded.abs() < 0.5 {
        return "now".to_owned();
    }
    let sign = if rounded < 0.0 { "-" } else { "+" };
    // Plot offsets are at most days; the cast cannot overflow.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let total = rounded.abs() as u64;
    if total >= 3600 {
        format!(
            "{sign}{}:{:02}:{:02}",
            total / 3600,
            total / 60 % 60,
            total % 60
        )
    } else {
        format!("{sign}{}:{:02}", total / 60, total % 60)
    }
}

/// The time of day of a Unix-ms instant in this machine's time zone, with
/// the zone's abbreviation: `"15:03:27 CET"`. The zone is the desktop's (`TZ`,
/// else `/etc/localtime`); UTC when it cannot be read.
#[must_use]
pub fn clock(unix_ms: u64) -> String {
    clock_in(unix_ms, &jiff::tz::TimeZone::system())
}

/// The local time of day of a Unix-ms instant, to the second: `"15:03:27"`.
#[must_use]
pub fn time_of_day(unix_ms: u64) -> String {
    strftime_in(unix_ms, &jiff::tz::TimeZone::system(), "%H:%M:%S")
}

/// A Unix-ms instant as a local date and time to the minute,
/// `"2026-03-03 14:05"`: the form the typed range reads.
#[must_use]
pub fn date_time(unix_ms: u64) -> String {
    strftime_in(unix_ms, &jiff::tz::TimeZone::system(), "%Y-%m-%d %H:%M")
}

/// [`date_time`] to the second, with the zone: `"2026-03-03 14:05:27 CET"`.
#[must_use]
pub fn date_time_seconds(unix_ms: u64) -> String {
    strftime_in(
        unix_ms,
        &jiff::tz::TimeZone::system(),
        "%Y-%m-%d %H:%M:%S %Z",
    )
}

/// [`clock`] in `zone`.
fn clock_in(unix_ms: u64, zone: &jiff::tz::TimeZone) -> String {
    strftime_in(unix_ms, zone, "%H:%M:%S %Z")
}

/// A Unix-ms instant in `zone`, as `format` says; empty if out of range.
fn strftime_in(unix_ms: u64, zone: &jiff::tz::TimeZone, format: &str) -> String {
    i64::try_from(unix_ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| {
            t.to_zoned_datetime(zone.clone())
                .strftime(format)
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_are_local_with_the_zone_named() {
        let berlin = jiff::tz::TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        // 2023-11-14 22:13:20 UTC: winter time in Berlin.
        assert_eq!(clock_in(1_700_000_000_000, &berlin), "23:13:20 CET");
        // 2023-07-01 12:00:00 UTC: summer time.
        assert_eq!(clock_in(1_688_212_800_000, &berlin), "14:00:00 CEST");
        assert_eq!(
            clock_in(1_700_000_000_000, &jiff::tz::TimeZone::UTC),
            "22:13:20 UTC"
        );
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(1023.0), "1023 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(16.0 * 1024.0 * 1024.0 * 1024.0), "16.0 GiB");
        assert_eq!(bytes(300.0 * 1024.0 * 1024.0), "300 MiB");
        assert_eq!(bytes_per_sec(2048.0), "2.0 KiB/s");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_secs(42), "42s");
        assert_eq!(duration_secs(125), "2m 5s");
        assert_eq!(duration_secs(93_784), "1d 2h 3m");
        assert_eq!(seconds_ago(0.2), "now");
        assert_eq!(seconds_ago(-90.0), "-1:30");
        assert_eq!(seconds_ago(-300.0), "-5:00");
        assert_eq!(seconds_ago(-7500.0), "-2:05:00");
        assert_eq!(
            clock_in(1_700_000_007_000, &jiff::tz::TimeZone::UTC),
            "22:13:27 UTC"
        );
    }
}
