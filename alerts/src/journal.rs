//! The alert log on disk, so that `GET /api/v1/alerts/history` answers
//! across restarts: `alerts-log.jsonl` in the data directory, one transition
//! per line, appended at each transition and synced before the transition
//! is announced (transitions are rare, a sync each costs nothing that
//! matters, and a notified alert is never missing from the log).
//!
//! At start the file is read back into the [`History`], which applies its
//! count cap and retention. A torn last line (a crash in the middle of a
//! write) is skipped with a warning; any other line that is not a
//! transition is skipped with a warning naming its line number, and copied
//! to `alerts-log.rejected` beside it so that nothing is lost. The file is
//! kept bounded by rewriting it atomically with what the history keeps,
//! at start when it held more than that, and whenever it holds twice the
//! cap.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use hostpulse_shared::AlertEvent;

use crate::history::History;
use crate::persist::{PersistError, replace_atomically};

/// The log's name inside the data directory.
pub const FILE_NAME: &str = "alerts-log.jsonl";

/// Where lines that are not transitions are copied, beside the log.
pub const REJECTED_FILE_NAME: &str = "alerts-log.rejected";

/// What reading the log back found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Transitions read (before the history's cap and retention).
    pub read: usize,
    /// Whether the last line was torn by a crash and skipped.
    pub torn_last_line: bool,
    /// The 1-based numbers of the lines that were not transitions.
    pub rejected_lines: Vec<usize>,
}

/// The alert log file of one server.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    /// Open for appending; `None` until the first append after a rewrite.
    file: Option<File>,
    /// Lines in the file now.
    lines: usize,
}

impl Clone for Journal {
    /// The same log; the copy opens a handle of its own at its first append.
    fn clone(&self) -> Self {
        Self {
            path: self.path.clone(),
            file: None,
            lines: self.lines,
        }
    }
}

impl Journal {
    /// The log in `data_dir`.
    #[must_use]
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(FILE_NAME),
            file: None,
            lines: 0,
        }
    }

    /// Where it is.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the log into `history` (oldest first, so its cap and retention
    /// keep the newest), forgets what is past the retention as of `now_ms`,
    /// and rewrites the file when it held anything the history did not keep.
    /// No file is an empty log.
    pub fn load_into(
        &mut self,
        history: &mut History,
        now_ms: u64,
    ) -> Result<Loaded, PersistError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded::default());
            }
            Err(source) => return Err(self.io(source)),
        };
        let mut loaded = Loaded::default();
        let mut rejected = Vec::new();
        let mut lines = bytes.split(|&b| b == b'\n').enumerate().peekable();
        while let Some((index, line)) = lines.next() {
            let last = lines.peek().is_none();
            if line.is_empty() {
                // After the final newline, or a blank line: nothing lost.
                continue;
            }
            match serde_json::from_slice::<AlertEvent>(line) {
                Ok(event) => {
                    loaded.read += 1;
                    history.push(event);
                }
                Err(_) if last => {
                    tracing::warn!(
                        path = %self.path.display(),
                        line = index + 1,
                        "the alert log's last line was cut short (a crash while writing it): \
                         skipped"
                    );
                    loaded.torn_last_line = true;
                }
                Err(error) => {
                    tracing::warn!(
                        path = %self.path.display(),
                        line = index + 1,
                        %error,
                        rejected = REJECTED_FILE_NAME,
                        "a line of the alert log is not an alert transition: skipped, and \
                         copied to the rejected file beside it"
                    );
                    loaded.rejected_lines.push(index + 1);
                    rejected.extend_from_slice(line);
                    rejected.push(b'\n');
                }
            }
        }
        if !rejected.is_empty() {
            self.keep_rejected(&rejected)?;
        }
        history.forget_before(now_ms);
        self.lines = loaded.read;
        // Appends must start on a fresh line.
        let unterminated = bytes.last().is_some_and(|&b| b != b'\n');
        if unterminated || !loaded.rejected_lines.is_empty() || loaded.read > history.len() {
            self.rewrite(history)?;
        }
        Ok(loaded)
    }

    /// Appends `event` and syncs it to disk.
    pub fn append(&mut self, event: &AlertEvent) -> Result<(), PersistError> {
        let mut line = serde_json::to_vec(event).map_err(|error| PersistError::Malformed {
            path: self.path.clone(),
            problem: error.to_string(),
        })?;
        line.push(b'\n');
        let file = match self.file.take() {
            Some(file) => file,
            None => self.open()?,
        };
        let file = self.file.insert(file);
        // One write of the whole line: a crash leaves it whole or torn at
        // the end, which `load_into` skips.
        let written = file.write_all(&line).and_then(|()| file.sync_data());
        if let Err(source) = written {
            // Reopened at the next append. Were this line torn, the next
            // would continue it and both be skipped at start (the pair
            // copied to the rejected file).
            self.file = None;
            return Err(self.io(source));
        }
        self.lines += 1;
        Ok(())
    }

    /// Whether the file holds twice what `history` keeps, and should be
    /// rewritten with it.
    #[must_use]
    pub fn is_due(&self, history: &History) -> bool {
        self.lines >= history.capacity().saturating_mul(2)
    }

    /// Replaces the file, atomically, with what `history` keeps.
    pub fn rewrite(&mut self, history: &History) -> Result<(), PersistError> {
        let mut bytes = Vec::new();
        for event in history.iter() {
            serde_json::to_writer(&mut bytes, event).map_err(|error| PersistError::Malformed {
                path: self.path.clone(),
                problem: error.to_string(),
            })?;
            bytes.push(b'\n');
        }
        // The open handle points at the file being replaced.
        self.file = None;
        replace_atomically(&self.path, &bytes)?;
        self.lines = history.len();
        Ok(())
    }

    fn open(&self) -> Result<File, PersistError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| self.io(source))?;
        }
        open_to_append(&self.path).map_err(|source| self.io(source))
    }

    fn keep_rejected(&self, lines: &[u8]) -> Result<(), PersistError> {
        let path = self.path.with_file_name(REJECTED_FILE_NAME);
        let io = |source| PersistError::Io {
            path: path.clone(),
            source,
        };
        let mut file = open_to_append(&path).map_err(io)?;
        file.write_all(lines)
            .and_then(|()| file.sync_data())
            .map_err(io)
    }

    fn io(&self, source: std::io::Error) -> PersistError {
        PersistError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// `path` opened to write at its end, created if missing, readable by its
/// owner only, as the atomic rewrite leaves it.
fn open_to_append(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(timestamp_ms: u64) -> AlertEvent {
        crate::testing::firing("r", timestamp_ms)
    }

    /// Writes `bytes` at the end of the log, as something else would.
    fn write_after(journal: &Journal, bytes: &[u8]) {
        open_to_append(journal.path())
            .unwrap()
            .write_all(bytes)
            .unwrap();
    }

    fn times(history: &History) -> Vec<u64> {
        history.iter().map(|e| e.timestamp_ms).collect()
    }

    fn reload(dir: &Path, capacity: usize) -> (History, Loaded) {
        let mut history = History::with_capacity(capacity);
        let loaded = Journal::in_dir(dir).load_into(&mut history, 1_000).unwrap();
        (history, loaded)
    }

    #[test]
    fn appended_transitions_read_back_in_order_and_no_file_is_an_empty_log() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("new");
        let (history, loaded) = reload(&data_dir, 10);
        assert!(history.is_empty());
        assert_eq!(loaded, Loaded::default());
        let mut journal = Journal::in_dir(&data_dir);
        for t in [1, 2, 3] {
            journal.append(&at(t)).unwrap();
        }
        let (history, loaded) = reload(&data_dir, 10);
        assert_eq!(times(&history), [1, 2, 3]);
        assert_eq!(loaded.read, 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(journal.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_cut_away_so_appends_start_clean() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::in_dir(dir.path());
        journal.append(&at(1)).unwrap();
        write_after(&journal, br#"{"rule":"r","metric":"cpu.to"#);

        let mut history = History::with_capacity(10);
        let mut journal = Journal::in_dir(dir.path());
        let loaded = journal.load_into(&mut history, 1_000).unwrap();
        assert!(loaded.torn_last_line, "{loaded:?}");
        assert!(loaded.rejected_lines.is_empty(), "{loaded:?}");
        assert_eq!(times(&history), [1]);
        journal.append(&at(2)).unwrap();
        let (history, loaded) = reload(dir.path(), 10);
        assert_eq!(times(&history), [1, 2], "{loaded:?}");
        assert!(!loaded.torn_last_line);
    }

    #[test]
    fn a_corrupt_line_is_skipped_by_number_and_kept_in_the_rejected_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::in_dir(dir.path());
        journal.append(&at(1)).unwrap();
        write_after(&journal, b"not json\n");
        journal = Journal::in_dir(dir.path());
        journal.append(&at(3)).unwrap();

        let (history, loaded) = reload(dir.path(), 10);
        assert_eq!(loaded.rejected_lines, [2]);
        assert_eq!(times(&history), [1, 3]);
        let rejected = std::fs::read_to_string(dir.path().join(REJECTED_FILE_NAME)).unwrap();
        assert_eq!(rejected, "not json\n");
        let (_, again) = reload(dir.path(), 10);
        assert!(
            again.rejected_lines.is_empty(),
            "the log was rewritten without it"
        );
    }

    #[test]
    fn the_file_is_compacted_to_the_cap_and_the_retention() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::in_dir(dir.path());
        let mut history = History::with_capacity(3);
        for t in 1..=6 {
            journal.append(&at(t)).unwrap();
            history.push(at(t));
            if journal.is_due(&history) {
                journal.rewrite(&history).unwrap();
            }
        }
        let lines = std::fs::read_to_string(journal.path())
            .unwrap()
            .lines()
            .count();
        assert_eq!(lines, 3, "rewritten at twice the cap");
        let (history, _) = reload(dir.path(), 3);
        assert_eq!(times(&history), [4, 5, 6]);

        // At start, past the retention as of now: forgotten, and rewritten.
        let mut history = History::with_capacity(3).retaining(Some(Duration::from_millis(995)));
        Journal::in_dir(dir.path())
            .load_into(&mut history, 1_000)
            .unwrap();
        assert_eq!(times(&history), [5, 6]);
        let lines = std::fs::read_to_string(journal.path())
            .unwrap()
            .lines()
            .count();
        assert_eq!(lines, 2);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
