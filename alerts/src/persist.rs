//! The alerts firing now, kept in a small file in the server's data
//! directory, so that an alert firing before a restart is still firing after
//! it and is not announced a second time. The file is replaced atomically
//! (written beside it, synced, renamed over it): a crash leaves the old state
//! or the new one, never half of either.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use hostpulse_shared::AlertEvent;
use serde::{Deserialize, Serialize};

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "alerts-firing.json";

/// The layout of the file; a newer one is not read.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Contents {
    version: u32,
    firing: Vec<AlertEvent>,
}

/// The state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// An I/O error on the file or its directory.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not what this build writes.
    #[error(
        "{path} is not a HostPulse alert state file ({problem}); move it away to start with \
         nothing firing"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// The state file of one server.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file in `data_dir`.
    #[must_use]
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(FILE_NAME),
        }
    }

    /// Where it is.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What was firing when it was last saved; nothing if there is no file.
    pub fn load(&self) -> Result<Vec<AlertEvent>, PersistError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(PersistError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let contents: Contents =
            serde_json::from_str(&text).map_err(|error| PersistError::Malformed {
                path: self.path.clone(),
                problem: error.to_string(),
            })?;
        if contents.version != VERSION {
            return Err(PersistError::Malformed {
                path: self.path.clone(),
                problem: format!("version {}, this build reads {VERSION}", contents.version),
            });
        }
        Ok(contents.firing)
    }

    /// Replaces the file with `firing`.
    pub fn save(&self, firing: &[AlertEvent]) -> Result<(), PersistError> {
        let contents = Contents {
            version: VERSION,
            firing: firing.to_vec(),
        };
        let json =
            serde_json::to_vec_pretty(&contents).map_err(|error| PersistError::Malformed {
                path: self.path.clone(),
                problem: error.to_string(),
            })?;
        replace_atomically(&self.path, &json)
    }
}

/// Replaces `path` with `bytes`: written beside it, synced, renamed over
/// it, so a crash leaves the old file or the new one, never half of either.
pub(crate) fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| PersistError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    file.write_all(bytes).map_err(io(file.path()))?;
    file.as_file().sync_all().map_err(io(file.path()))?;
    file.persist(path).map_err(|error| PersistError::Io {
        path: path.to_owned(),
        source: error.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firing(rule: &str) -> AlertEvent {
        crate::testing::firing(rule, 1_764_000_000_000)
    }

    #[test]
    fn what_is_saved_loads_back_and_no_file_is_nothing_firing() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::in_dir(&dir.path().join("new"));
        assert_eq!(state.load().unwrap(), []);
        state.save(&[firing("a"), firing("b")]).unwrap();
        assert_eq!(state.load().unwrap(), [firing("a"), firing("b")]);
        state.save(&[]).unwrap();
        assert_eq!(state.load().unwrap(), []);
        let leftovers = std::fs::read_dir(dir.path().join("new")).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn a_damaged_file_is_refused_with_its_path_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::in_dir(dir.path());
        std::fs::write(state.path(), "{\"version\": 1, \"firing\": [").unwrap();
        let error = state.load().unwrap_err().to_string();
        assert!(
            error.contains(FILE_NAME) && error.contains("move it away"),
            "{error}"
        );
    }
}
