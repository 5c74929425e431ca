//! `wss://` and `https://` end to end: a private CA made by `--make-certs`'s
//! code, a server serving its certificate, and rustls clients that trust only
//! that CA — over TLS 1.3 and 1.2, with plain text refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;
use hostpulse_server::Secret;
use hostpulse_server::SelfSigned;
use hostpulse_server::Tls;
use hostpulse_shared::ServerMessage;
use hostpulse_shared::codec::decode_json;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tungstenite::client::IntoClientRequest;

const TOKEN: &str = "tls-test-token-0123456789abcdef-01";

/// A TLS server on loopback, and the CA that signed its certificate.
struct Setup {
    server: BackgroundServer,
    ca_pem: String,
    _dir: tempfile::TempDir,
}

fn start_tls_server() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let made = SelfSigned::generate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
    let [_, cert, key] = made.write_to(dir.path()).unwrap();
    let server = common::start_server_with(Config {
        interval: common::INTERVAL,
        token: Some(Secret::new(TOKEN)),
        tls: Some(Tls::load(&cert, &key).unwrap()),
        ..Config::default()
    });
    Setup {
        server,
        ca_pem: made.ca_pem,
        _dir: dir,
    }
}

/// A client that trusts only `ca_pem`, speaking only `versions`.
fn client_config(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    Arc::new(
        rustls::ClientConfig::builder_with_protocol_versions(versions)
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn wss_connect(setup: &Setup, config: Arc<rustls::ClientConfig>) -> common::Client {
    let url = setup.server.ws_url();
    assert!(url.starts_with("wss://"), "{url}");
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    let stream = TcpStream::connect(setup.server.addr()).unwrap();
    let (client, response) = tungstenite::client_tls_with_config(
        request,
        stream,
        None,
        Some(tungstenite::Connector::Rustls(config)),
    )
    .expect("the TLS handshake and the upgrade succeed");
    assert_eq!(response.status(), 101);
    common::bound_reads(client)
}

#[test]
fn wss_streams_over_tls_1_3_and_1_2_to_a_client_trusting_the_ca() {
    let setup = start_tls_server();
    for (versions, expected) in [
        (rustls::ALL_VERSIONS, rustls::ProtocolVersion::TLSv1_3),
        (
            &[&rustls::version::TLS12][..],
            rustls::ProtocolVersion::TLSv1_2,
        ),
    ] {
        let mut client = wss_connect(&setup, client_config(&setup.ca_pem, versions));
        let tungstenite::stream::MaybeTlsStream::Rustls(tls) = client.get_ref() else {
            panic!("not a TLS stream");
        };
        assert_eq!(tls.conn.protocol_version(), Some(expected));
        let (hello, _) = common::read_start(&mut client);
        let (sample, _) = common::next_sample(&mut client);
        assert_eq!(sample.epoch, hello.epoch);
    }
}

/// One HTTPS GET through rustls: status and body.
fn https_get(setup: &Setup, path: &str, headers: &str) -> (u16, String) {
    let config = client_config(&setup.ca_pem, rustls::ALL_VERSIONS);
    let connection =
        rustls::ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap();
    let tcp = TcpStream::connect(setup.server.addr()).unwrap();
    tcp.set_read_timeout(Some(common::READ_TIMEOUT)).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    // actix closes without close_notify after `Connection: close`; what was
    // read up to then is the whole response.
    let _ = tls.read_to_end(&mut response);
    let response = String::from_utf8(response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    (status, body.unwrap_or_default())
}

#[test]
fn https_serves_rest_reads_with_the_token_and_refuses_without() {
    let setup = start_tls_server();
    let (status, body) = https_get(
        &setup,
        "/api/v1/host",
        &format!("Authorization: Bearer {TOKEN}\r\n"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"hostname\""), "{body}");
    assert_eq!(https_get(&setup, "/api/v1/host", "").0, 401);
    // The health check stays open (503 until the first sample, then 200).
    assert_ne!(https_get(&setup, "/healthz", "").0, 401);
}

#[test]
fn plain_text_and_untrusted_clients_are_refused() {
    let setup = start_tls_server();
    // Plain ws:// to a TLS port: no upgrade.
    let plain = setup.server.ws_url().replacen("wss://", "ws://", 1);
    assert!(tungstenite::connect(plain).is_err());
    // A client trusting a different CA rejects the certificate.
    let stranger = SelfSigned::generate(&["localhost".into()]).unwrap();
    let mut request = setup.server.ws_url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    let error = tungstenite::client_tls_with_config(
        request,
        TcpStream::connect(setup.server.addr()).unwrap(),
        None,
        Some(tungstenite::Connector::Rustls(client_config(
            &stranger.ca_pem,
            rustls::ALL_VERSIONS,
        ))),
    )
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(error.contains("UnknownIssuer"), "{error}");
    // The server still serves trusting clients afterwards.
    let mut client = wss_connect(&setup, client_config(&setup.ca_pem, rustls::ALL_VERSIONS));
    assert!(matches!(
        decode_json(&common::next_text(&mut client)).unwrap(),
        ServerMessage::Hello(_)
    ));
}
