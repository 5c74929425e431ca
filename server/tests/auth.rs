//! Token authentication on a real server: no upgrade, no REST read and no scrape
//! without the token; the health check stays open.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use common::{bound_reads, http_head_and_body, read_start, start_server_with};
use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;
use hostpulse_server::Secret;
use hostpulse_server::TrustedProxies;
use tungstenite::client::IntoClientRequest;

const TOKEN: &str = "test-token-0123456789abcdef";

fn server(metrics_need_token: bool) -> BackgroundServer {
    start_server_with(Config {
        interval: common::INTERVAL,
        token: Some(Secret::new(TOKEN)),
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
        .map(|(client, _)| bound_reads(client))
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
fn no_spelling_of_a_path_gets_around_the_token() {
    let server = server(true);
    for path in [
        "/%77s",
        "/%61pi/v1/host",
        "/api/v1/%68ost",
        "/%6Detrics",
        "/ws?history_secs=1",
        "//ws",
    ] {
        let (status, _, body) = http_head_and_body(server.addr(), path, "");
        assert!(
            status == 401 || status == 404,
            "{path} answered {status} without a token: {body}"
        );
    }
}

#[test]
fn metrics_can_be_left_open_for_prometheus() {
    let server = server(false);
    let (status, _, _) = http_head_and_body(server.addr(), "/metrics", "");
    assert_eq!(status, 200);
    let (status, _, _) = http_head_and_body(server.addr(), "/api/v1/host", "");
    assert_eq!(status, 401);
}

#[test]
fn only_allowed_web_origins_may_open_the_stream() {
    let server = start_server_with(Config {
        interval: common::INTERVAL,
        allowed_origins: vec!["https://dash.example.com".into()],
        ..Config::default()
    });
    let (status, body) = common::handshake(&server, "Origin: https://evil.example\r\n");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("allowed_origins"), "{body}");
    let (status, _) = common::handshake(&server, "Origin: https://dash.example.com\r\n");
    assert_eq!(status, 101);
    let (status, _) = common::handshake(&server, "");
    assert_eq!(status, 101, "native viewers send no origin");
}

#[test]
fn viewers_beyond_the_cap_get_503() {
    let server = start_server_with(Config {
        interval: common::INTERVAL,
        max_clients: 2,
        ..Config::default()
    });
    let mut first = common::connect(&server);
    let mut second = common::connect(&server);
    read_start(&mut first);
    read_start(&mut second);
    let (status, body) = common::handshake(&server, "");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("retry-after: 5") && body.contains("maximum of 2"),
        "{body}"
    );
    drop(first);
    // Once a viewer leaves, a new one fits again.
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (status, _) = common::handshake(&server, "");
        if status == 101 {
            break;
        }
        assert!(
            std::time::Instant::now() < give_up,
            "the cap was never freed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn repeated_wrong_tokens_from_one_address_are_slowed_with_429() {
    let server = server(true);
    let wrong = "Authorization: Bearer wrong-token-0123456789\r\n";
    for _ in 0..hostpulse_server::MAX_FAILURES {
        let (status, _, _) = common::http_head_and_body(server.addr(), "/api/v1/host", wrong);
        assert_eq!(status, 401);
    }
    let (status, head, body) = common::http_head_and_body(server.addr(), "/api/v1/host", wrong);
    assert_eq!(status, 429, "{body}");
    assert!(head.contains("retry-after: "), "{head}");
    assert!(body.contains("too many wrong tokens"), "{body}");
    // While slowed, even the right token waits.
    let right = format!("Authorization: Bearer {TOKEN}\r\n");
    let (status, _, _) = common::http_head_and_body(server.addr(), "/api/v1/host", &right);
    assert_eq!(status, 429);
}

/// Sends wrong tokens "from" `forwarded_for` until the limit; then what a
/// request from `then_from` gets, and what one without the header gets.
fn status_after_failures_from(
    server: &BackgroundServer,
    forwarded_for: &str,
    then_from: &str,
) -> (u16, u16) {
    let wrong = "Authorization: Bearer wrong-token-0123456789\r\n";
    let get = |from: Option<&str>| {
        let headers = from.map_or(String::new(), |ip| format!("X-Forwarded-For: {ip}\r\n"));
        common::http_head_and_body(server.addr(), "/api/v1/host", &format!("{wrong}{headers}")).0
    };
    for _ in 0..hostpulse_server::MAX_FAILURES {
        assert_eq!(get(Some(forwarded_for)), 401);
    }
    assert_eq!(
        get(Some(forwarded_for)),
        429,
        "the limit applies to someone"
    );
    (get(Some(then_from)), get(None))
}

#[test]
fn behind_a_trusted_proxy_429_is_keyed_on_the_forwarded_client() {
    let server = start_server_with(Config {
        interval: common::INTERVAL,
        token: Some(Secret::new(TOKEN)),
        trusted_proxies: TrustedProxies::parse(["127.0.0.1"]).unwrap(),
        ..Config::default()
    });
    let (other_client, proxy_itself) =
        status_after_failures_from(&server, "192.0.2.7", "192.0.2.8");
    assert_eq!(
        other_client, 401,
        "another client behind the proxy is not slowed"
    );
    assert_eq!(proxy_itself, 401, "nor is the proxy's own address");
}

#[test]
fn from_an_untrusted_peer_x_forwarded_for_is_ignored() {
    let server = server(true);
    let (other_claim, no_claim) = status_after_failures_from(&server, "192.0.2.7", "192.0.2.8");
    assert_eq!(other_claim, 429, "a new header does not buy new tries");
    assert_eq!(no_claim, 429, "the peer itself is slowed");
}
