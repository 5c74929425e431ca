//! The per-tick process table on Linux: CPU and resident memory of every
//! process, from one read of `/proc/PID/stat` each.
//!
//! sysinfo's process refresh reads `status`, `stat` and `statm` for every
//! process on every call, and `status` is among the dearest files in `/proc`
//! for the kernel to produce: together they were three quarters of a tick's
//! cost. A top list needs only a name, CPU ticks and resident pages, and all
//! three are in `stat`. Each process's `stat` stays open between ticks (up to
//! [`MAX_OPEN_FILES`]) and is read again in place, so a tick is one directory
//! scan plus one `pread` per process, into a buffer that is reused.
//!
//! The kernel cuts the name in `stat` to 15 bytes ("hostpulse-serve").
//! When a name is that long, the table reads `/proc/PID/cmdline` once for
//! the process (at most [`CMDLINE_BYTES`]) and takes argv\[0\]'s base name if
//! it begins with the cut name; the name is kept until the process execs
//! something else.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use crate::sampling::counters::USER_HZ;
use crate::sampling::top::ProcessStat;

/// Processes whose `stat` file stays open between ticks. Beyond this (a host
/// with thousands of processes) the rest are opened for each read, which
/// keeps the server's descriptors for its viewers.
pub const MAX_OPEN_FILES: usize = 256;

/// A `stat` line is a few hundred bytes; its only variable part, the name, is
/// at most 64 bytes.
const STAT_BUFFER_BYTES: usize = 1024;

/// How long a name in `stat` is when the kernel may have cut it
/// (`TASK_COMM_LEN` less the terminating NUL).
const COMM_BYTES: usize = 15;

/// How much of `cmdline` is read for a full name: enough for any path to an
/// executable, and a bound on what one process can make the sampler read.
const CMDLINE_BYTES: usize = 4096;

/// Every process seen at the last refresh, keyed by pid.
#[derive(Debug)]
pub struct ProcessTable {
    processes: HashMap<u32, Tracked>,
    refreshed_at: Option<Instant>,
    /// How many refreshes have run: a process not seen in the current one is gone.
    generation: u64,
    open_files: usize,
    page_bytes: u64,
    buffer: Vec<u8>,
    path: String,
}

#[derive(Debug)]
struct Tracked {
    file: Option<File>,
    /// Tells a process from a later one that got the same pid.
    start_ticks: u64,
    /// The name as `stat` gives it, to notice an exec.
    comm: Vec<u8>,
    /// The name shown: `comm`, or argv\[0\]'s base name when `comm` was cut.
    name: String,
    cpu_ticks: u64,
    cpu_percent: f32,
    memory_bytes: u64,
    seen: u64,
}

/// The fields of one `stat` line that the table keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat<'a> {
    name: &'a [u8],
    /// User plus system time, in [`USER_HZ`] ticks.
    cpu_ticks: u64,
    start_ticks: u64,
    resident_pages: u64,
}

impl Default for ProcessTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessTable {
    /// An empty table; the first [`ProcessTable::refresh`] fills it.
    #[must_use]
    pub fn new() -> Self {
        Self {
            processes: HashMap::new(),
            refreshed_at: None,
            generation: 0,
            open_files: 0,
            page_bytes: rustix::param::page_size() as u64,
            buffer: vec![0; STAT_BUFFER_BYTES],
            path: String::new(),
        }
    }

    /// Reads every process in `/proc` again. CPU percentages are over the
    /// time since the previous refresh.
    pub fn refresh(&mut self) -> io::Result<()> {
        let now = Instant::now();
        let elapsed_secs = self
            .refreshed_at
            .map_or(0.0, |then| now.duration_since(then).as_secs_f64());
        self.refreshed_at = Some(now);
        self.generation += 1;
        for entry in std::fs::read_dir("/proc")? {
            let Some(pid) = entry
                .ok()
                .and_then(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            else {
                continue;
            };
            self.read_process(pid, elapsed_secs);
        }
        let generation = self.generation;
        let mut closed = 0;
        self.processes.retain(|_, process| {
            let alive = process.seen == generation;
            if !alive && process.file.is_some() {
                closed += 1;
            }
            alive
        });
        self.open_files -= closed;
        Ok(())
    }

    /// The processes of the last refresh, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = ProcessStat<'_>> {
        self.processes.iter().map(|(&pid, process)| ProcessStat {
            pid,
            name: &process.name,
            cpu_percent: process.cpu_percent,
            memory_bytes: process.memory_bytes,
        })
    }

    fn read_process(&mut self, pid: u32, elapsed_secs: f64) {
        let kept = self.processes.get(&pid).and_then(|p| p.file.as_ref());
        // A kept file whose process has exited reads as an error: the pid may
        // belong to a new process by now, so it is opened again.
        let (length, file) =
            if let Some(Ok(length)) = kept.map(|file| file.read_at(&mut self.buffer, 0)) {
                (length, None)
            } else {
                let Ok(file) = self.open(pid) else { return };
                let Ok(length) = file.read_at(&mut self.buffer, 0) else {
                    return;
                };
                (length, Some(file))
            };
        let Some(stat) = parse_stat(&self.buffer[..length]) else {
            return;
        };
        let memory_bytes = stat.resident_pages.saturating_mul(self.page_bytes);
        let fresh = || Tracked {
            file: None,
            start_ticks: stat.start_ticks,
            comm: stat.name.to_vec(),
            name: full_name(pid, stat.name),
            cpu_ticks: stat.cpu_ticks,
            cpu_percent: 0.0,
            memory_bytes,
            seen: 0,
        };
        let process = match self.processes.entry(pid) {
            Entry::Occupied(entry) if entry.get().start_ticks == stat.start_ticks => {
                let process = entry.into_mut();
                let ticks = stat.cpu_ticks.saturating_sub(process.cpu_ticks);
                process.cpu_percent = if elapsed_secs > 0.0 {
                    #[expect(clippy::cast_possible_truncation, reason = "a percentage")]
                    let percent = (ticks as f64 / USER_HZ / elapsed_secs * 100.0) as f32;
                    percent
                } else {
                    0.0
                };
                process.cpu_ticks = stat.cpu_ticks;
                process.memory_bytes = memory_bytes;
                if process.comm != stat.name {
                    // It exec'd another program (or renamed itself).
                    process.comm = stat.name.to_vec();
                    process.name = full_name(pid, stat.name);
                }
                process
            }
            // The pid now belongs to another process.
            Entry::Occupied(mut entry) => {
                if entry.insert(fresh()).file.is_some() {
                    self.open_files -= 1;
                }
                entry.into_mut()
            }
            Entry::Vacant(entry) => entry.insert(fresh()),
        };
        process.seen = self.generation;
        if let Some(file) = file {
            match &mut process.file {
                // It replaces a kept file that no longer reads.
                Some(kept) => *kept = file,
                None if self.open_files < MAX_OPEN_FILES => {
                    process.file = Some(file);
                    self.open_files += 1;
                }
                // Over the bound: this process is opened for each read.
                None => {}
            }
        }
    }

    fn open(&mut self, pid: u32) -> io::Result<File> {
        self.path.clear();
        let _ = write!(self.path, "/proc/{pid}/stat");
        File::open(&self.path)
    }
}

/// The name to show for `comm`, the name in process `pid`'s `stat`: `comm`
/// itself unless the kernel may have cut it, else argv\[0\]'s base name when
/// that begins with `comm` (a process that set another name for itself, or a
/// kernel thread, which has no command line, keeps `comm`).
fn full_name(pid: u32, comm: &[u8]) -> String {
    let comm_text = || String::from_utf8_lossy(comm).into_owned();
    if comm.len() < COMM_BYTES {
        return comm_text();
    }
    let mut buffer = [0_u8; CMDLINE_BYTES];
    let Ok(file) = File::open(format!("/proc/{pid}/cmdline")) else {
        return comm_text();
    };
    let Ok(length) = file.read_at(&mut buffer, 0) else {
        return comm_text();
    };
    match program_name(&buffer[..length]) {
        Some(name) if name.starts_with(comm) => String::from_utf8_lossy(name).into_owned(),
        _ => comm_text(),
    }
}

/// argv\[0\]'s base name from the start of a `cmdline` (arguments end in
/// NUL): `/usr/bin/hostpulse-server\0--bind…` → `hostpulse-server`.
fn program_name(cmdline: &[u8]) -> Option<&[u8]> {
    let argv0 = cmdline.split(|&b| b == 0).next()?;
    let base = argv0.rsplit(|&b| b == b'/').next()?;
    (!base.is_empty()).then_some(base)
}

/// The name, CPU time, start time and resident pages of one
/// `/proc/PID/stat` line (see `proc_pid_stat(5)`). The name is between the
/// first `(` and the last `)`, since it may itself hold spaces and parentheses.
fn parse_stat(line: &[u8]) -> Option<Stat<'_>> {
    let open = line.iter().position(|&b| b == b'(')?;
    let close = line.iter().rposition(|&b| b == b')')?;
    let name = line.get(open + 1..close)?;
    // Fields after the name, numbered from 0 here (from 3 in the manual).
    let mut fields = line[close + 1..]
        .split(u8::is_ascii_whitespace)
        .filter(|field| !field.is_empty());
    let mut number =
        |skip: usize| -> Option<u64> { std::str::from_utf8(fields.nth(skip)?).ok()?.parse().ok() };
    let user_ticks = number(11)?; // utime, field 14
    let system_ticks = number(0)?; // stime, field 15
    let start_ticks = number(6)?; // starttime, field 22
    let resident_pages = number(1)?; // rss, field 24
    Some(Stat {
        name,
        cpu_ticks: user_ticks + system_ticks,
        start_ticks,
        resident_pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_name_cpu_start_and_resident_pages() {
        let line = b"4242 (tmux: server) S 1 4242 4242 0 -1 4194560 1911 0 0 0 \
                     150 37 0 0 20 0 1 0 98765 12345678 2048 18446744073709551615 \
                     1 1 0 0 0 0 0 3 1 0 0 0 17 1 0 0 0 0 0\n";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat.name, b"tmux: server");
        assert_eq!(stat.cpu_ticks, 187);
        assert_eq!(stat.start_ticks, 98765);
        assert_eq!(stat.resident_pages, 2048);
    }

    #[test]
    fn a_name_with_parentheses_is_read_to_the_last_one() {
        let line = b"7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 11 0 9\n";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat.name, b"a) b (c)");
        assert_eq!(stat.cpu_ticks, 11);
        assert_eq!(stat.start_ticks, 11);
        assert_eq!(stat.resident_pages, 9);
    }

    #[test]
    fn the_program_name_is_argv0s_base_name() {
        assert_eq!(
            program_name(b"/usr/bin/hostpulse-server\0--bind\x00127.0.0.1:1\0"),
            Some(&b"hostpulse-server"[..])
        );
        assert_eq!(program_name(b"sleep\x0030\0"), Some(&b"sleep"[..]));
        assert_eq!(program_name(b""), None, "a kernel thread");
        assert_eq!(program_name(b"/\0"), None);
    }

    /// A real process whose program's name is longer than the kernel keeps
    /// in `stat`: the table shows the whole name, and a name it did not cut
    /// stays as it is.
    #[test]
    fn a_long_program_name_is_shown_whole() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join("a-sleeper-with-a-long-name");
        std::fs::copy("/bin/sleep", &long).unwrap();
        let mut child = std::process::Command::new(&long).arg("30").spawn().unwrap();
        let pid = child.id();
        // The kernel sets the name at exec, and the command line a little
        // later; wait for both (bounded).
        let comm_path = format!("/proc/{pid}/comm");
        let cmdline_path = format!("/proc/{pid}/cmdline");
        for _ in 0..200 {
            let named =
                std::fs::read_to_string(&comm_path).is_ok_and(|c| c.starts_with("a-sleeper"));
            let argv =
                std::fs::read(&cmdline_path).is_ok_and(|c| c.windows(9).any(|w| w == b"a-sleeper"));
            if named && argv {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let mut table = ProcessTable::new();
        table.refresh().unwrap();
        let seen = table
            .iter()
            .find(|p| p.pid == pid)
            .map(|p| p.name.to_owned());
        let comm = std::fs::read_to_string(&comm_path).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(comm.trim_end(), "a-sleeper-with-", "the kernel's cut name");
        assert_eq!(seen.as_deref(), Some("a-sleeper-with-a-long-name"));
        assert_eq!(
            full_name(1, b"init"),
            "init",
            "short names are not looked up"
        );
    }

    #[test]
    fn a_truncated_line_is_refused() {
        assert_eq!(parse_stat(b"7 (x) R 1 7 7 0 -1 0 0 0 0 0 5"), None);
        assert_eq!(parse_stat(b""), None);
    }

    /// Reads this machine's real `/proc`: this test process is in the table
    /// with its own name and memory, and its busy loop shows as CPU.
    #[test]
    fn this_process_is_seen_with_its_cpu_and_memory() {
        let mut table = ProcessTable::new();
        table.refresh().unwrap();
        let started = Instant::now();
        let mut spin = 0_u64;
        while started.elapsed() < std::time::Duration::from_millis(300) {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
        table.refresh().unwrap();

        let me = std::process::id();
        let this = table.iter().find(|p| p.pid == me).unwrap();
        assert!(this.memory_bytes > 0);
        assert!(
            this.cpu_percent > 0.0,
            "a busy thread used no CPU: {this:?}"
        );
        // The test binary's name (hostpulse_server-0123…) is longer than the
        // kernel keeps: shown whole, as the program's name.
        let comm = std::fs::read_to_string(format!("/proc/{me}/comm")).unwrap();
        let program = std::env::current_exe().unwrap();
        let program = program.file_name().unwrap().to_string_lossy();
        assert_eq!(comm.trim_end().len(), 15, "{comm}");
        assert_eq!(this.name, program);
        assert!(
            table.iter().count() > 1,
            "only {} processes seen",
            table.iter().count()
        );
        let kept = table
            .processes
            .values()
            .filter(|p| p.file.is_some())
            .count();
        assert_eq!(table.open_files, kept);
    }

    /// A process that exits leaves the table and gives its file back.
    #[test]
    fn an_exited_process_is_dropped() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut table = ProcessTable::new();
        table.refresh().unwrap();
        assert!(table.iter().any(|p| p.pid == pid));

        child.kill().unwrap();
        child.wait().unwrap();
        table.refresh().unwrap();
        assert!(!table.iter().any(|p| p.pid == pid));
        let kept = table
            .processes
            .values()
            .filter(|p| p.file.is_some())
            .count();
        assert_eq!(
            table.open_files, kept,
            "every kept file is counted, no more"
        );
    }
}
