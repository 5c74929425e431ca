//! A private desktop for tests and measurements: an X server (Xvfb, on a
//! display number it picks itself), a D-Bus session bus of our own (no
//! activation, so nothing starts behind the test's back), and optionally a
//! real notification service, Debian's dunst, read back with `dunstctl`.
//! Every process is a child stopped by PID when the desktop is dropped, and
//! every wait is bounded. A missing tool fails the caller, naming the Debian
//! package that brings it (`scripts/test.sh` installs them).

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: each user takes a part; they fail loudly"
)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Upper bound on each wait for a tool to come up or answer.
pub const STARTUP: Duration = Duration::from_secs(20);

/// The tools, and the Debian packages that bring them.
const TOOLS: [(&str, &str); 4] = [
    ("Xvfb", "xvfb"),
    ("dbus-daemon", "dbus-daemon (or dbus)"),
    ("dunst", "dunst"),
    ("dunstctl", "dunst"),
];

/// Fails, naming the package, when a tool is not installed.
pub fn require_tools() {
    for (tool, package) in TOOLS {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "{tool} is missing: install Debian's {package} (scripts/test.sh installs it)"
        );
    }
}

/// A notification as dunst's history has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// The title.
    pub summary: String,
    /// The text.
    pub body: String,
    /// "LOW", "NORMAL" or "CRITICAL".
    pub urgency: String,
    /// When dunst took it, in microseconds of `CLOCK_MONOTONIC`.
    pub monotonic_us: i64,
}

/// Xvfb, a session bus, and dunst if asked for.
pub struct Desktop {
    dir: tempfile::TempDir,
    display: String,
    bus_address: String,
    children: Vec<Child>,
}

impl Desktop {
    /// Starts the X server and the bus, and dunst when `notifications`.
    pub fn start(notifications: bool) -> Self {
        require_tools();
        let dir = tempfile::tempdir().unwrap();
        let mut children = Vec::new();

        // -displayfd: Xvfb picks a free display and writes its number.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let number = first_line(xvfb.stdout.take().unwrap(), "Xvfb's display number");
        children.push(xvfb);
        let display = format!(":{}", number.trim());

        // A bus of our own: only our services own names on it.
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(&dir.path().join("bus"))).unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let bus_address = first_line(bus.stdout.take().unwrap(), "the bus address")
            .trim()
            .to_owned();
        children.push(bus);

        let mut desktop = Self {
            dir,
            display,
            bus_address,
            children,
        };
        if notifications {
            desktop.start_dunst();
        }
        desktop
    }

    fn start_dunst(&mut self) {
        let config = self.dir.path().join("dunstrc");
        // Room for every notice, and a history that keeps them all, each on
        // its own (by default dunst stacks identical notices into one, which
        // would hide a notice sent twice, or a second fire reading the same
        // value as the first). dunst's history does not say a notice's
        // urgency, but it keeps its timeout: a timeout of its own per urgency
        // tells them apart.
        std::fs::write(
            &config,
            "[global]\n    notification_limit = 0\n    history_length = 200\n\
                 stack_duplicates = false\n\
             [urgency_low]\n    timeout = 101\n\
             [urgency_normal]\n    timeout = 102\n\
             [urgency_critical]\n    timeout = 103\n",
        )
        .unwrap();
        let dunst = self
            .command("dunst")
            .arg("-config")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dunst starts");
        self.children.push(dunst);
        let give_up = Instant::now() + STARTUP;
        while !self
            .command("dunstctl")
            .arg("is-paused")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(Instant::now() < give_up, "dunst did not come up on the bus");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A command that runs on this desktop: its display, its bus.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"));
        command
    }

    /// The X display, e.g. ":42".
    #[must_use]
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The bus, for `DBUS_SESSION_BUS_ADDRESS`.
    #[must_use]
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// A folder that lives as long as the desktop.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every notification dunst has shown, oldest first (dunst keeps them in
    /// its history once closed, so everything displayed is closed first).
    pub fn shown(&self) -> Vec<Shown> {
        let run = |args: &[&str]| {
            let output = self.command("dunstctl").args(args).output().unwrap();
            assert!(output.status.success(), "dunstctl {args:?} failed");
            output.stdout
        };
        run(&["close-all"]);
        let history: serde_json::Value = serde_json::from_slice(&run(&["history"])).unwrap();
        let text = |entry: &serde_json::Value, key: &str| {
            entry[key]["data"].as_str().unwrap_or_default().to_owned()
        };
        let mut shown: Vec<Shown> = history["data"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| Shown {
                summary: text(entry, "summary"),
                body: text(entry, "body"),
                urgency: match entry["timeout"]["data"].as_i64() {
                    Some(101_000_000) => "LOW",
                    Some(102_000_000) => "NORMAL",
                    Some(103_000_000) => "CRITICAL",
                    _ => "?",
                }
                .to_owned(),
                monotonic_us: entry["timestamp"]["data"].as_i64().unwrap_or_default(),
            })
            .collect();
        shown.sort_by_key(|s| s.monotonic_us);
        shown
    }

    /// Waits (at most `patience`) for a notification whose title is
    /// `summary`, and returns it.
    pub fn wait_for(&self, summary: &str, patience: Duration) -> Shown {
        let give_up = Instant::now() + patience;
        loop {
            let shown = self.shown();
            if let Some(found) = shown.iter().find(|s| s.summary == summary) {
                return found.clone();
            }
            assert!(
                Instant::now() < give_up,
                "no notification titled {summary:?} within {patience:?}; dunst showed {shown:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // Youngest first: dunst before the bus, the bus before X.
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The bus's configuration: listen on `socket`, let anyone own and call
/// anything, and activate nothing.
fn bus_config(socket: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

/// The first line a child writes, within [`STARTUP`].
fn first_line(out: impl std::io::Read + Send + 'static, what: &str) -> String {
    let (sender, lines) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("first-line".into())
        .spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = sender.send(line);
        })
        .unwrap();
    let line = lines
        .recv_timeout(STARTUP)
        .unwrap_or_else(|_| panic!("no {what} within {STARTUP:?}"));
    assert!(!line.trim().is_empty(), "no {what}: the program ended");
    line
}
