//! The committed man pages and completions are what the command-line
//! definitions generate today: a flag, a setting or an exit status changed
//! without regenerating them fails here.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::path::PathBuf;

/// Set to write the files instead of comparing them.
const UPDATE: &str = "HOSTPULSE_UPDATE_DOCS";

#[test]
fn committed_man_pages_and_completions_match_the_definitions() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let update = std::env::var_os(UPDATE).is_some();
    let mut stale = Vec::new();
    for file in hostpulse_docgen::generate().unwrap() {
        let path = root.join(&file.path);
        if std::fs::read(&path).unwrap_or_default() == file.bytes {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file.bytes).unwrap();
        } else {
            stale.push(file.path);
        }
    }
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; regenerate with `{UPDATE}=1 cargo test -p hostpulse-docgen` and commit"
    );
}

#[test]
fn the_server_page_names_every_variable_and_the_files() {
    let files = hostpulse_docgen::generate().unwrap();
    let page = files
        .iter()
        .find(|f| f.path == "assets/man/hostpulse-server.1")
        .unwrap();
    let text = String::from_utf8_lossy(&page.bytes);
    for name in hostpulse_server::env_names() {
        // roff escapes the underscore-free names as they are.
        assert!(text.contains(name), "{name} missing from the man page");
    }
    for section in ["ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO"] {
        assert!(
            text.contains(&format!(".SH \"{section}\""))
                || text.contains(&format!(".SH {section}")),
            "{section}"
        );
    }
    assert!(text.contains(hostpulse_server::DEFAULT_CONFIG_PATH));
}
