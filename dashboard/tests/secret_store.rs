//! Tokens kept in a real secret store: GNOME Keyring's Secret Service, on a
//! D-Bus session bus of the test's own (`dbus-run-session`), with a home
//! folder of its own, so the person's keyring is never touched. Each test
//! runs this test binary again inside that session (or, for the case with no
//! secret store, with a session address where no bus listens).
//!
//! Needs `dbus-run-session` (Debian: dbus-daemon) and `gnome-keyring-daemon`
//! (Debian: gnome-keyring); `scripts/test.sh` installs both, and a test that
//! finds one missing fails naming it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command as Process;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::command::Command;
use hostpulse_dashboard::prefs::Prefs;
use hostpulse_dashboard::secrets::{SecretStore, TokenKeeper};
use hostpulse_server::{BackgroundServer, Config};
use hostpulse_shared::Secret;

/// Set in the child run: which case it is.
const CHILD: &str = "HOSTPULSE_SECRET_STORE_CHILD";
/// Upper bound on a child run, keyring start included.
const CHILD_PATIENCE: Duration = Duration::from_mins(2);
/// Upper bound on each wait inside a child.
const PATIENCE: Duration = Duration::from_secs(20);

/// Fails naming the Debian package to install when `tool` is not on PATH.
fn require(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()));
    assert!(
        found,
        "{tool} is missing: install Debian's {package} (scripts/test.sh installs it)"
    );
}

/// Runs `test` of this binary again as `case`, with `command` before it
/// (the program and arguments that wrap it) and `env` set; fails when the
/// child fails or outlasts [`CHILD_PATIENCE`].
fn run_child(case: &str, test: &str, command: &[&str], env: &[(&str, &Path)]) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Process::new(command[0]);
    child
        .args(&command[1..])
        .arg(&exe)
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(CHILD, case)
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
    for (name, value) in env {
        child.env(name, value);
    }
    let mut child = child.spawn().unwrap();
    let give_up = Instant::now() + CHILD_PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > give_up {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the {case} run took over {} s", CHILD_PATIENCE.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "the {case} run failed: {status}");
}

/// A home folder of the test's own, with a private runtime folder.
fn own_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let runtime = home.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    home
}

/// Waits (boundedly) until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < give_up, "{what}: not within {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tokens_are_kept_in_a_real_secret_service_and_never_in_the_preferences() {
    match std::env::var(CHILD).as_deref() {
        Ok("keyring") => return in_a_keyring_session(),
        Ok(_) => return,
        Err(_) => {}
    }
    require("dbus-run-session", "dbus-daemon");
    require("gnome-keyring-daemon", "gnome-keyring");
    let home = own_home();
    // The keyring starts unlocked with a password of the test's own, as on
    // a desktop after login; it ends with the session.
    let script = r#"printf 'hostpulse-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 97; exec "$@""#;
    run_child(
        "keyring",
        "tokens_are_kept_in_a_real_secret_service_and_never_in_the_preferences",
        &["dbus-run-session", "--", "sh", "-c", script, "sh"],
        &[
            ("HOME", home.path()),
            ("XDG_DATA_HOME", home.path().join("data").as_path()),
            ("XDG_RUNTIME_DIR", home.path().join("run").as_path()),
        ],
    );
}

fn in_a_keyring_session() {
    let token = "secret-store-test-token-0123456789-ab";
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        token: Some(hostpulse_server::Secret::new(token)),
        ..Config::default()
    })
    .unwrap();
    let url = server.ws_url();

    // The store itself: kept, read back, forgotten.
    let store = SecretStore::open().expect("the session's GNOME Keyring");
    let other = "ws://db-9.invalid:9470/ws";
    store
        .save(other, &Secret::new("another-token-0123456789-abcdefgh"))
        .unwrap();
    assert_eq!(
        store.load(other).unwrap().as_ref().map(Secret::expose),
        Some("another-token-0123456789-abcdefgh")
    );
    store.forget(other).unwrap();
    assert_eq!(store.load(other).unwrap(), None);
    store.forget(other).unwrap();

    // A host added in the window with its token: the token goes to the
    // keyring, and not into what eframe writes to disk.
    let ctx = egui::Context::default();
    let prefs = Prefs {
        local_removed: true,
        ..Prefs::default()
    };
    let (keeper, remembered) = TokenKeeper::open(Vec::new(), PATIENCE);
    assert!(remembered.is_empty());
    assert_eq!(keeper.note(), None, "the store answered");
    let mut app = DashboardApp::start_keeping(&ctx, &[], None, &prefs, keeper, &remembered);
    app.apply(Command::AddHost {
        url: url.clone(),
        token: Some(Secret::new(token)),
    });
    wait_until("the token in the keyring", || {
        store
            .load(&url)
            .unwrap()
            .is_some_and(|t| t.expose() == token)
    });
    let saved = app.prefs();
    let written = ron::to_string(&saved).unwrap();
    assert!(written.contains(&url), "{written}");
    assert!(!written.contains(token), "the token is in the preferences");
    drop(app);

    // The next start reads it back, and the host is let in the first time.
    let urls = saved.hosts.iter().map(|h| h.url.clone()).collect();
    let (keeper, remembered) = TokenKeeper::open(urls, PATIENCE);
    assert_eq!(remembered.len(), 1);
    let mut app = DashboardApp::start_keeping(&ctx, &[], None, &saved, keeper, &remembered);
    wait_until("live with the remembered token", || {
        app.poll(&ctx);
        app.hosts()[0].is_live()
    });

    // Opting out deletes it there.
    app.apply(Command::RememberTokens(false));
    wait_until("the token gone from the keyring", || {
        store.load(&url).unwrap().is_none()
    });
    assert!(app.prefs().tokens_for_run_only);
}

#[test]
fn without_a_secret_store_tokens_are_kept_for_the_run_and_the_window_says_so() {
    match std::env::var(CHILD).as_deref() {
        Ok("none") => return with_no_secret_store(),
        Ok(_) => return,
        Err(_) => {}
    }
    let home = own_home();
    let nowhere = home.path().join("no-bus-here");
    let address = format!("unix:path={}", nowhere.display());
    run_child(
        "none",
        "without_a_secret_store_tokens_are_kept_for_the_run_and_the_window_says_so",
        &["env", &format!("DBUS_SESSION_BUS_ADDRESS={address}")],
        &[
            ("HOME", home.path()),
            ("XDG_RUNTIME_DIR", &home.path().join("run")),
        ],
    );
}

fn with_no_secret_store() {
    let url = "ws://127.0.0.1:1/ws";
    let (keeper, remembered) = TokenKeeper::open(vec![url.to_owned()], PATIENCE);
    assert!(remembered.is_empty());
    let note = keeper.note().expect("a word on why");
    assert!(note.contains("tokens are kept for this run only"), "{note}");

    // Everything else works as before: the token is presented this run.
    let prefs = Prefs {
        local_removed: true,
        ..Prefs::default()
    };
    let ctx = egui::Context::default();
    let mut app = DashboardApp::start_keeping(&ctx, &[], None, &prefs, keeper, &[]);
    app.apply(Command::AddHost {
        url: url.to_owned(),
        token: Some(Secret::new("run-only-token-0123456789-abcdefgh")),
    });
    assert!(app.hosts()[0].has_token());
    let id = app.hosts()[0].id;
    app.apply(Command::StartEdit(id));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DashboardApp| app.ui(ui), app);
    harness.run_steps(2);
    harness.get_by_label_contains("tokens are kept for this run only");
}
