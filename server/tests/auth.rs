//! Token authentication on a real server: no upgrade, no REST read and no scrape
//! without the token; the health check stays open.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use common::{bound_reads, http_head_and_body, read_start, start_server_with};
use hostpulse_server::Config;
use hostpulse_server::background::BackgroundServer;
use hostpulse_server::config::Secret;
use tungstenite::client::IntoClientRequest;

const TOKEN: &str = "test-token-0123456789abcdef";

fn server(metrics_need_token: bool) -> BackgroundServer {
    start_server_with(Config {
        interval: common::INTERVAL,
        token: Some(Secret::token(TOKEN, "test").unwrap()),
        metrics_need_token,
        ..Config::default()
    })
}

/// Tries the WebSocket handshake; the error, boxed, when it is refused.
fn upgrade(
    server: &BackgroundServer,
    authorization: Option<&str>,
) -> Result<common::Client, Box<tungstenite::Error>> {
    let mut request = server.ws_url().into_client_request().unwrap();
    if let Some(value) = authorization {
        request
            .headers_mut()
            .insert("Authorization", value.parse().unwrap());
    }
    tungstenite::connect(request)
        .map(|(client, _)| {
            bound_reads(&client);
            client
        })
        .map_err(Box::new)
}

#[test]
fn the_stream_needs_the_token_before_the_upgrade() {
    let server = server(true);
    for authorization in [None, Some("Bearer wrong-token-0123456789"), Some(TOKEN)] {
        match upgrade(&server, authorization) {
            Err(error) if matches!(*error, tungstenite::Error::Http(_)) => {
                let tungstenite::Error::Http(response) = *error else {
                    unreachable!()
                };
                assert_eq!(response.status(), 401, "{authorization:?}");
                assert_eq!(
                    response.headers()["WWW-Authenticate"],
                    "Bearer realm=\"hostpulse\""
                );
            }
            other => panic!("{authorization:?} was let in: {:?}", other.map(|_| ())),
        }
    }
    let mut client = upgrade(&server, Some(&format!("Bearer {TOKEN}"))).unwrap();
    read_start(&mut client);
}

#[test]
fn rest_and_metrics_need_the_token_and_health_does_not() {
    let server = server(true);
    let good = format!("Authorization: Bearer {TOKEN}\r\n");
    for path in [
        "/api/v1/host",
        "/api/v1/snapshot",
        "/api/v1/history",
        "/metrics",
    ] {
        let (status, head, body) = http_head_and_body(server.addr(), path, "");
        assert_eq!(status, 401, "{path}: {body}");
        assert!(head.contains("www-authenticate: bearer"), "{path}: {head}");
        assert!(body.contains("Authorization: Bearer"), "{path}: {body}");
        let (status, _, _) = http_head_and_body(server.addr(), path, &good);
        assert_ne!(status, 401, "{path} with the token");
    }
    let (status, _, _) = http_head_and_body(server.addr(), "/healthz", "");
    assert_ne!(status, 401);
}

#[test]
fn metrics_can_be_left_open_for_prometheus() {
    let server = server(false);
    let (status, _, _) = http_head_and_body(server.addr(), "/metrics", "");
    assert_eq!(status, 200);
    let (status, _, _) = http_head_and_body(server.addr(), "/api/v1/host", "");
    assert_eq!(status, 401);
}
