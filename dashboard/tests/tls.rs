//! The dashboard's own connection code over `wss://` to a real TLS server: with
//! the server's private CA named by `SSL_CERT_FILE` it streams; without it, or
//! with the wrong scheme, the reason shown says what to do.
//!
//! `SSL_CERT_FILE` is read by the TLS stack at each connect and setting it in a
//! running process is not thread-safe, so the trusting case runs this test
//! binary again as a child with the variable set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::poll_until;
use hostpulse_dashboard::host::Host;
use hostpulse_dashboard::link::LinkState;
use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;
use hostpulse_server::SelfSigned;
use hostpulse_server::Tls;

/// Where the parent tells the child what to dial.
const URL_VAR: &str = "HOSTPULSE_TEST_WSS_URL";

/// A TLS server on loopback with a fresh private CA, written to a directory.
fn tls_server() -> (BackgroundServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let made = SelfSigned::generate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
    let [_, cert, key] = made.write_to(dir.path()).unwrap();
    let server = BackgroundServer::spawn_on_loopback(Config {
        interval: Duration::from_millis(200),
        tls: Some(Tls::load(&cert, &key).unwrap()),
        ..Config::default()
    })
    .unwrap();
    (server, dir)
}

/// The reason the link gives after its first failed attempt at `url`.
fn first_failure(url: &str) -> String {
    let mut host = Host::connect(1, url, None, None, Arc::new(|| {}));
    assert!(
        poll_until(&mut host, |h| matches!(
            h.link.state(),
            LinkState::Disconnected { .. }
        )),
        "no failure reported: {:?}",
        host.link.state()
    );
    let LinkState::Disconnected { reason, .. } = host.link.state() else {
        unreachable!()
    };
    reason.clone()
}

#[test]
fn wss_streams_when_ssl_cert_file_names_the_private_ca() {
    let (server, dir) = tls_server();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_streams_over_wss",
            "--ignored",
            "--nocapture",
        ])
        .env("SSL_CERT_FILE", dir.path().join("ca.pem"))
        .env(URL_VAR, server.ws_url())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains("1 passed"),
        "the child ran no test: {report}"
    );
}

/// Run by the test above in a child process with `SSL_CERT_FILE` set.
#[test]
#[ignore = "run by wss_streams_when_ssl_cert_file_names_the_private_ca with SSL_CERT_FILE set"]
fn child_streams_over_wss() {
    let url = std::env::var(URL_VAR).expect("started by the parent test, which sets the URL");
    let mut host = Host::connect(1, &url, None, None, Arc::new(|| {}));
    assert!(
        poll_until(&mut host, |h| h.history.len() >= 3),
        "no samples over wss: {:?}",
        host.link.state()
    );
    assert!(host.is_live());
}

#[test]
fn an_untrusted_certificate_or_the_wrong_scheme_is_explained() {
    // Whatever SSL_CERT_FILE names here (often the system bundle), a fresh
    // private CA is not in it.
    let (server, _dir) = tls_server();
    let untrusted = first_failure(&server.ws_url());
    assert!(
        untrusted.contains("not trusted") && untrusted.contains("SSL_CERT_FILE"),
        "{untrusted}"
    );
    let plain_to_tls = first_failure(&server.ws_url().replacen("wss://", "ws://", 1));
    assert!(plain_to_tls.contains("wss://"), "{plain_to_tls}");

    let plain = BackgroundServer::spawn_on_loopback(Config::default()).unwrap();
    let tls_to_plain = first_failure(&plain.ws_url().replacen("ws://", "wss://", 1));
    assert!(tls_to_plain.contains("ws://"), "{tls_to_plain}");
}
