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
use hostpulse_server::Origins;
use hostpulse_server::Secret;
use hostpulse_server::TrustedProxies;
use tungstenite::client::IntoClientRequest;

const TOKEN: &str = "test-token-0123456789abcdef-0123456789";

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
        allowed_origins: Origins::parse(["https://dash.example.com"]).unwrap(),
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
    // While slowed, the right token still gets in: a misconfigured client
    // behind the same address does not lock everyone else out.
    let right = format!("Authorization: Bearer {TOKEN}\r\n");
    let (status, _, body) = common::http_head_and_body(server.addr(), "/api/v1/host", &right);
    assert_eq!(status, 200, "{body}");
    let mut client = upgrade(&server, Some(&format!("Bearer {TOKEN}"))).unwrap();
    read_start(&mut client);
    // And wrong tokens stay slowed.
    let (status, _, _) = common::http_head_and_body(server.addr(), "/api/v1/host", wrong);
    assert_eq!(status, 429);
}

#[test]
fn requests_without_a_token_never_lock_out_the_right_token() {
    let server = server(true);
    for _ in 0..hostpulse_server::MAX_FAILURES * 2 {
        let (status, _, body) = common::http_head_and_body(server.addr(), "/api/v1/host", "");
        assert_eq!(status, 401, "a request without a token: {body}");
    }
    // Ten wrong tokens still lock out wrong tokens after that: only they count.
    let right = format!("Authorization: Bearer {TOKEN}\r\n");
    let (status, _, body) = common::http_head_and_body(server.addr(), "/api/v1/host", &right);
    assert_eq!(status, 200, "{body}");
    let wrong = "Authorization: Bearer wrong-token-0123456789\r\n";
    let (status, _, _) = common::http_head_and_body(server.addr(), "/api/v1/host", wrong);
    assert_eq!(status, 401, "the token-less requests did not count");
}

/// A GET of `/api/v1/host` from `source` (a loopback address) with a wrong
/// token: its status.
fn wrong_token_from(server: &BackgroundServer, source: std::net::Ipv4Addr) -> u16 {
    use std::io::{Read, Write};
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&std::net::SocketAddr::from((source, 0)).into())
        .unwrap();
    socket.connect(&server.addr().into()).unwrap();
    let mut stream = std::net::TcpStream::from(socket);
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(15)))
        .unwrap();
    stream
        .write_all(
            b"GET /api/v1/host HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
              Authorization: Bearer wrong-token-0123456789\r\n\r\n",
        )
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
}

#[test]
fn a_spray_from_many_addresses_does_not_flush_a_lockout() {
    let server = server(true);
    let locked = std::net::Ipv4Addr::new(127, 0, 0, 9);
    for _ in 0..hostpulse_server::MAX_FAILURES {
        assert_eq!(wrong_token_from(&server, locked), 401);
    }
    assert_eq!(wrong_token_from(&server, locked), 429);
    // One wrong token from each of more addresses than the table holds.
    let spray = hostpulse_server::MAX_TRACKED + 500;
    for n in 0..spray {
        let [_, _, high, low] = u32::try_from(n).unwrap().to_be_bytes();
        let source = std::net::Ipv4Addr::new(127, 1 + high, low, 1);
        assert_eq!(wrong_token_from(&server, source), 401, "from {source}");
    }
    assert_eq!(
        wrong_token_from(&server, locked),
        429,
        "the lockout survived {spray} fresh addresses"
    );
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

/// Opens `count` connections, each from an address of its own (127.3.x.y),
/// then sends every handshake at once; the statuses, with the connections
/// kept open until all have answered.
fn simultaneous_upgrades(addr: std::net::SocketAddr, count: usize) -> Vec<u16> {
    use std::io::{Read, Write};
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(count));
    let threads: Vec<_> = (0..count)
        .map(|n| {
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::Builder::new()
                .name("upgrade".into())
                .spawn(move || {
                let [_, _, high, low] = u32::try_from(n + 1).unwrap().to_be_bytes();
                let source = std::net::Ipv4Addr::new(127, 3, high, low);
                let socket =
                    socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                        .unwrap();
                socket
                    .bind(&std::net::SocketAddr::from((source, 0)).into())
                    .unwrap();
                socket.connect(&addr.into()).unwrap();
                let mut stream = std::net::TcpStream::from(socket);
                stream
                    .set_read_timeout(Some(std::time::Duration::from_secs(15)))
                    .unwrap();
                barrier.wait();
                stream
                    .write_all(
                        b"GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                          Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                    )
                    .unwrap();
                let mut status = [0u8; 12];
                stream.read_exact(&mut status).unwrap();
                let status: u16 = std::str::from_utf8(&status[9..12]).unwrap().parse().unwrap();
                // Hold the connection until every handshake has been answered.
                barrier.wait();
                status
            })
            .unwrap()
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn the_viewer_cap_is_exact_under_simultaneous_upgrades() {
    for workers in [2, 4] {
        let server = start_server_with(Config {
            interval: common::INTERVAL,
            max_clients: 50,
            workers,
            ..Config::default()
        });
        for round in 0..5 {
            let statuses = simultaneous_upgrades(server.addr(), 200);
            let admitted = statuses.iter().filter(|&&s| s == 101).count();
            let refused = statuses.iter().filter(|&&s| s == 503).count();
            assert_eq!(
                (admitted, refused),
                (50, 150),
                "{workers} workers, round {round}: {statuses:?}"
            );
            // Every viewer has left before the next round.
            let give_up = std::time::Instant::now() + std::time::Duration::from_secs(15);
            loop {
                let (_, body) = common::http_get(&server, "/healthz");
                if body.contains("\"clients\":0") {
                    break;
                }
                assert!(
                    std::time::Instant::now() < give_up,
                    "viewers never left: {body}"
                );
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
}

#[test]
fn allowed_origins_match_however_the_default_port_is_written() {
    let server = start_server_with(Config {
        interval: common::INTERVAL,
        allowed_origins: Origins::parse([
            "https://dash.example.com:443",
            "http://Other.Example:8080",
        ])
        .unwrap(),
        ..Config::default()
    });
    for origin in [
        "https://dash.example.com",
        "https://DASH.example.com:443",
        "http://other.example:8080",
    ] {
        let (status, body) = common::handshake(&server, &format!("Origin: {origin}\r\n"));
        assert_eq!(status, 101, "{origin}: {body}");
    }
    for origin in [
        "http://dash.example.com",
        "https://dash.example.com:8443",
        "http://other.example",
        "null",
    ] {
        let (status, body) = common::handshake(&server, &format!("Origin: {origin}\r\n"));
        assert_eq!(status, 403, "{origin}: {body}");
    }
}
