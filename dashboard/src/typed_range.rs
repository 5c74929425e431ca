//! The range a person types beside the presets: a length back from now
//! (`90m`, `6h`, `3d`, `2w`, `1y`, `last 10 days`), a day (`2026-03-01`), or
//! two instants in this machine's time zone (`2026-03-01 14:00 – 18:30`,
//! `2026-03-01 14:00 .. 2026-03-02 09:00`; the end may leave out the date).
//! Pure: the zone and the present are arguments, so it is tested anywhere.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

/// The longest length accepted: what the servers keep at most (the hour tier
/// defaults to two years), with room.
const MAX_SPAN_MS: u64 = 10 * 365 * 86_400_000;

/// What was typed, understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedRange {
    /// The last this many ms, following the live edge.
    Last(u64),
    /// From one instant to another (Unix ms), held still.
    Between(u64, u64),
}

/// Why a typed range was not understood, said so that the person can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypedRangeError {
    /// Neither a length nor a date and time.
    #[error(
        "cannot read “{0}”: type a length such as 6h, 3d or 2w, a day such as 2026-03-01, or \
         a range such as 2026-03-01 14:00 – 18:00"
    )]
    Unreadable(String),
    /// A time that this time zone skips (a clock change) or that is out of range.
    #[error("“{0}” is not a time in this time zone (a clock change skips it?)")]
    NoSuchTime(String),
    /// The end is not after the start.
    #[error("the end is not after the start: swap them")]
    Backwards,
    /// The range starts after now.
    #[error("that range is in the future: nothing is recorded there yet")]
    Future,
    /// Zero, or longer than any server keeps.
    #[error("a length from 1 minute to 10 years, please")]
    Length,
}

/// Reads `text`, with `zone` for dates and times and `now_ms` as the present.
pub fn parse(text: &str, zone: &TimeZone, now_ms: u64) -> Result<TypedRange, TypedRangeError> {
    let text = text.trim();
    if let Some(span_ms) = length_ms(text) {
        return if (60_000..=MAX_SPAN_MS).contains(&span_ms) {
            Ok(TypedRange::Last(span_ms))
        } else {
            Err(TypedRangeError::Length)
        };
    }
    let (start_ms, end_ms) = if let Some((from, to)) = split(text) {
        let start = date_time(from).ok_or_else(|| unreadable(from))?;
        let end = date_time(to)
            .or_else(|| time(to).map(|t| start.date().to_datetime(t)))
            .ok_or_else(|| unreadable(to))?;
        (instant(start, zone, from)?, instant(end, zone, to)?)
    } else {
        // A day on its own: the whole of it.
        let day = Date::strptime("%Y-%m-%d", text).map_err(|_| unreadable(text))?;
        let next = day.tomorrow().map_err(|_| unreadable(text))?;
        (
            instant(day.to_datetime(Time::midnight()), zone, text)?,
            instant(next.to_datetime(Time::midnight()), zone, text)?,
        )
    };
    if end_ms <= start_ms {
        return Err(TypedRangeError::Backwards);
    }
    if start_ms >= now_ms {
        return Err(TypedRangeError::Future);
    }
    Ok(TypedRange::Between(start_ms, end_ms))
}

fn unreadable(text: &str) -> TypedRangeError {
    TypedRangeError::Unreadable(text.trim().to_owned())
}

/// `3d`, `90 min`, `last 2 weeks` as ms; `None` if not a length.
fn length_ms(text: &str) -> Option<u64> {
    let text = text.strip_prefix("last").unwrap_or(text).trim();
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    let count: u64 = text[..digits].parse().ok()?;
    let unit_ms: u64 = match text[digits..].trim() {
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        "w" | "week" | "weeks" => 7 * 86_400_000,
        "y" | "year" | "years" => 365 * 86_400_000,
        _ => return None,
    };
    count.checked_mul(unit_ms)
}

/// The two sides of a range, split at `..`, `–`, ` - ` or ` to `.
fn split(text: &str) -> Option<(&str, &str)> {
    ["..", "–", " - ", " to "]
        .iter()
        .find_map(|separator| text.split_once(separator))
        .map(|(from, to)| (from.trim(), to.trim()))
}

fn date_time(text: &str) -> Option<DateTime> {
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| DateTime::strptime(format, text).ok())
    .or_else(|| {
        Date::strptime("%Y-%m-%d", text)
            .ok()
            .map(|d| d.to_datetime(Time::midnight()))
    })
}

fn time(text: &str) -> Option<Time> {
    ["%H:%M:%S", "%H:%M"]
        .iter()
        .find_map(|format| Time::strptime(format, text).ok())
}

/// `civil` in `zone`, as Unix ms; a time the zone skips is refused.
fn instant(civil: DateTime, zone: &TimeZone, typed: &str) -> Result<u64, TypedRangeError> {
    let no_such = || TypedRangeError::NoSuchTime(typed.trim().to_owned());
    let instant = zone
        .to_ambiguous_timestamp(civil)
        .unambiguous()
        .map_err(|_| no_such())?;
    u64::try_from(instant.as_millisecond()).map_err(|_| no_such())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-10 12:00 UTC.
    const NOW_MS: u64 = 1_773_144_000_000;
    const HOUR_MS: u64 = 3_600_000;

    fn read(text: &str) -> Result<TypedRange, TypedRangeError> {
        parse(text, &TimeZone::UTC, NOW_MS)
    }

    #[test]
    fn lengths_follow_the_live_edge() {
        assert_eq!(read("6h"), Ok(TypedRange::Last(6 * HOUR_MS)));
        assert_eq!(read(" 90 min "), Ok(TypedRange::Last(90 * 60_000)));
        assert_eq!(
            read("last 2 weeks"),
            Ok(TypedRange::Last(14 * 24 * HOUR_MS))
        );
        assert_eq!(read("1y"), Ok(TypedRange::Last(365 * 24 * HOUR_MS)));
        assert_eq!(read("0d"), Err(TypedRangeError::Length));
        assert_eq!(read("99y"), Err(TypedRangeError::Length));
    }

    #[test]
    fn ranges_and_days_are_read_in_the_zone_given() {
        let start = NOW_MS - 2 * 24 * HOUR_MS + 2 * HOUR_MS; // 2026-03-08 14:00 UTC
        assert_eq!(
            read("2026-03-08 14:00 – 18:30"),
            Ok(TypedRange::Between(start, start + 4 * HOUR_MS + 1_800_000))
        );
        assert_eq!(
            read("2026-03-08 14:00 .. 2026-03-09 14:00"),
            Ok(TypedRange::Between(start, start + 24 * HOUR_MS))
        );
        assert_eq!(
            read("2026-03-08T14:00 to 2026-03-08T15:00:30"),
            Ok(TypedRange::Between(start, start + HOUR_MS + 30_000))
        );
        assert_eq!(
            read("2026-03-08"),
            Ok(TypedRange::Between(
                start - 14 * HOUR_MS,
                start + 10 * HOUR_MS
            ))
        );
        let berlin = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        assert_eq!(
            parse("2026-03-08 15:00 - 16:00", &berlin, NOW_MS),
            Ok(TypedRange::Between(start, start + HOUR_MS)),
            "15:00 CET is 14:00 UTC"
        );
        // 02:30 on the last Sunday of March does not exist in Berlin.
        assert!(matches!(
            parse(
                "2026-03-29 02:30 - 04:00",
                &berlin,
                NOW_MS + 30 * 24 * HOUR_MS
            ),
            Err(TypedRangeError::NoSuchTime(_))
        ));
    }

    #[test]
    fn mistakes_say_what_to_type() {
        let message = read("yesterday-ish").unwrap_err().to_string();
        assert!(
            message.contains("yesterday-ish") && message.contains("6h"),
            "{message}"
        );
        assert!(
            matches!(read("2026-03-08 14:00 – noon"), Err(TypedRangeError::Unreadable(t)) if t == "noon")
        );
        assert_eq!(
            read("2026-03-08 18:00 – 14:00"),
            Err(TypedRangeError::Backwards)
        );
        assert_eq!(read("2027-01-01"), Err(TypedRangeError::Future));
    }
}
