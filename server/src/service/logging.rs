//! Logging setup shared by the HostPulse binaries: `tracing` to stderr, `info`
//! unless `RUST_LOG` says otherwise, and [`fatal`] for the error that ends a
//! program.
//!
//! When stderr goes to the journal, lines carry no timestamp of their own —
//! journald adds one — and start with a `<N>` syslog priority, which journald
//! reads as the entry's level. Whether it does is decided as systemd.exec(5)
//! advises: `JOURNAL_STREAM` holds the device and inode of the stream systemd
//! connected, and only if stderr is that very file is it the journal. The
//! variable alone is inherited by every child of a service, a shell started
//! from one included, whose stderr may be a terminal.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Installs the global subscriber. Call once, at the start of `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if stderr_is_journal() {
        let format = tracing_subscriber::fmt::format()
            .without_time()
            .with_level(false)
            .with_ansi(false);
        builder
            .with_ansi(false)
            .event_format(SyslogPriority(format))
            .init();
    } else {
        builder.init();
    }
}

/// Reports the error that ends the program, on stderr as `PROGRAM: MESSAGE`.
/// Under the journal it is one entry at priority 3 (err), so
/// `journalctl -p err` shows why the service stopped: journald makes an entry
/// of each line, so the lines of a long message are joined into one.
pub fn fatal(program: &str, message: &dyn fmt::Display) {
    let text = format!("{program}: {message}");
    if stderr_is_journal() {
        eprintln!("<{}>{}", syslog_priority(Level::ERROR), one_line(&text));
    } else {
        eprintln!("{text}");
    }
}

/// `text`'s lines, trimmed, without the empty ones, joined by spaces.
fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines.join(" ")
}

/// Whether stderr is the stream `JOURNAL_STREAM` names.
fn stderr_is_journal() -> bool {
    let Some(value) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    stderr_identity().is_some_and(|identity| names(&value.to_string_lossy(), identity))
}

/// The device and inode of the file stderr is, if it can be read.
#[cfg(unix)]
fn stderr_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd as _;
    use std::os::unix::fs::MetadataExt as _;
    let stderr = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let metadata = std::fs::File::from(stderr).metadata().ok()?;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn stderr_identity() -> Option<(u64, u64)> {
    None
}

/// Whether a `JOURNAL_STREAM` value (`DEVICE:INODE`, both decimal) names
/// the file with `identity`.
fn names(journal_stream: &str, identity: (u64, u64)) -> bool {
    let Some((device, inode)) = journal_stream.trim().split_once(':') else {
        return false;
    };
    device.parse() == Ok(identity.0) && inode.parse() == Ok(identity.1)
}

/// The syslog priority journald understands for a tracing level.
#[must_use]
pub fn syslog_priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// Wraps an event format with the `<N>` priority prefix.
struct SyslogPriority<F>(F);

impl<S, N, F> FormatEvent<S, N> for SyslogPriority<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "<{}>", syslog_priority(*event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_must_name_the_device_and_inode_exactly() {
        assert!(names("2049:1234", (2049, 1234)));
        assert!(names(" 2049:1234\n", (2049, 1234)));
        assert!(!names("2049:1235", (2049, 1234)));
        assert!(!names("2048:1234", (2049, 1234)));
        assert!(!names("2049", (2049, 1234)));
        assert!(!names("2049:1234:5", (2049, 1234)));
        assert!(!names("", (2049, 1234)));
    }

    #[test]
    fn a_fatal_message_for_the_journal_is_one_line() {
        assert_eq!(
            one_line("a.toml: TOML parse error at line 2\n  |\n2 | x = 1\n\nunknown field `x`\n"),
            "a.toml: TOML parse error at line 2 | 2 | x = 1 unknown field `x`"
        );
        assert_eq!(one_line("one line"), "one line");
    }

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(syslog_priority(Level::ERROR), 3);
        assert_eq!(syslog_priority(Level::WARN), 4);
        assert_eq!(syslog_priority(Level::INFO), 6);
        assert_eq!(syslog_priority(Level::TRACE), 7);
    }
}
