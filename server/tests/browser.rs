//! What a web page can do, on a real server, over real HTTP: CORS on the
//! REST reads for the allowed origins only, and a single-use ticket that
//! opens the stream without the `Authorization` header a browser cannot set
//! on a WebSocket. (`clients/browser/` drives the same in headless Chromium.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use common::{handshake_at, http_request, start_server_with};
use hostpulse_server::{BackgroundServer, Config, MAX_FAILURES, Origins, Secret};
use hostpulse_shared::rest::{HttpError, WsTicket};

const TOKEN: &str = "test-token-0123456789abcdef-0123456789";
const PAGE: &str = "http://127.0.0.1:8080";
const FOREIGN: &str = "http://127.0.0.1:8081";

fn server(token: Option<&str>) -> BackgroundServer {
    start_server_with(Config {
        interval: common::INTERVAL,
        token: token.map(Secret::new),
        allowed_origins: Origins::parse([PAGE]).unwrap(),
        ..Config::default()
    })
}

fn bearer() -> String {
    format!("Authorization: Bearer {TOKEN}\r\n")
}

fn origin(origin: &str) -> String {
    format!("Origin: {origin}\r\n")
}

/// The value of `name` in a response head, both lower-cased.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

/// A ticket asked for with `headers`; panics unless it is issued.
fn ticket(server: &BackgroundServer, headers: &str) -> String {
    let (status, head, body) = post_ticket(server, headers);
    assert_eq!(status, 200, "{head}{body}");
    assert_eq!(header(&head, "cache-control"), Some("no-store"), "{head}");
    let ticket: WsTicket = serde_json::from_str(&body).unwrap();
    assert_eq!(ticket.expires_in_ms, 10_000);
    ticket.ticket
}

/// `POST /api/v1/ws-ticket` as a browser sends it (an empty body, declared).
fn post_ticket(server: &BackgroundServer, headers: &str) -> (u16, String, String) {
    let headers = format!("Content-Length: 0\r\n{headers}");
    http_request(server.addr(), "POST", "/api/v1/ws-ticket", &headers)
}

fn upgrade(server: &BackgroundServer, ticket: &str, headers: &str) -> u16 {
    handshake_at(server, &format!("/ws?ticket={ticket}"), headers).0
}

#[test]
fn a_preflight_is_answered_for_allowed_origins_only() {
    let server = server(Some(TOKEN));
    let preflight = |path: &str, from: &str| {
        http_request(
            server.addr(),
            "OPTIONS",
            path,
            &format!(
                "{}Access-Control-Request-Method: GET\r\n\
                 Access-Control-Request-Headers: authorization\r\n",
                origin(from)
            ),
        )
    };
    let (status, head, _) = preflight("/api/v1/snapshot", PAGE);
    assert_eq!(status, 204, "{head}");
    assert_eq!(header(&head, "access-control-allow-origin"), Some(PAGE));
    assert_eq!(
        header(&head, "access-control-allow-methods"),
        Some("get, head")
    );
    assert_eq!(
        header(&head, "access-control-allow-headers"),
        Some("authorization")
    );
    assert_eq!(header(&head, "access-control-allow-credentials"), None);
    let (status, head, _) = preflight("/api/v1/ws-ticket", PAGE);
    assert_eq!(status, 204, "{head}");
    assert_eq!(header(&head, "access-control-allow-methods"), Some("post"));

    let (status, head, body) = preflight("/api/v1/snapshot", FOREIGN);
    assert_eq!(status, 403, "{head}");
    assert_eq!(header(&head, "access-control-allow-origin"), None);
    let refusal: HttpError = serde_json::from_str(&body).unwrap();
    assert!(refusal.error.contains("allowed_origins"), "{body}");

    let (status, _, body) = preflight("/api/v1/nothing", PAGE);
    assert_eq!(status, 404, "{body}");
    // Not a preflight: the methods, for anyone.
    let (status, head, _) = http_request(server.addr(), "OPTIONS", "/api/v1/history", "");
    assert_eq!(status, 204);
    assert_eq!(header(&head, "allow"), Some("get, head, options"));
    // Outside /api/v1 there is no CORS: OPTIONS is a method it does not take.
    let (status, head, body) = preflight("/healthz", PAGE);
    assert_eq!(status, 405, "{body}");
    assert_eq!(header(&head, "allow"), Some("get, head"));
}

#[test]
fn reads_and_refusals_name_an_allowed_origin_and_no_other() {
    let server = server(Some(TOKEN));
    let (status, head, _) = http_request(
        server.addr(),
        "GET",
        "/api/v1/host",
        &(bearer() + &origin(PAGE)),
    );
    assert_eq!(status, 200);
    assert_eq!(header(&head, "access-control-allow-origin"), Some(PAGE));
    assert!(header(&head, "vary").is_some_and(|vary| vary.contains("origin")));
    // A refusal too, so the page can read why.
    let (status, head, _) = http_request(server.addr(), "GET", "/api/v1/host", &origin(PAGE));
    assert_eq!(status, 401);
    assert_eq!(header(&head, "access-control-allow-origin"), Some(PAGE));
    assert!(
        header(&head, "access-control-expose-headers").is_some_and(|h| h.contains("retry-after"))
    );

    let (status, head, _) = http_request(
        server.addr(),
        "GET",
        "/api/v1/host",
        &(bearer() + &origin(FOREIGN)),
    );
    assert_eq!(status, 200, "the token holder reads; the browser hides it");
    assert_eq!(header(&head, "access-control-allow-origin"), None);
    assert!(
        header(&head, "vary").is_some_and(|vary| vary.contains("origin")),
        "no cache may give this answer to another origin: {head}"
    );
    let (_, head, _) = http_request(server.addr(), "GET", "/healthz", &origin(PAGE));
    assert_eq!(
        header(&head, "access-control-allow-origin"),
        None,
        "not /api/v1"
    );
}

#[test]
fn a_ticket_opens_the_stream_once_from_the_origin_that_asked() {
    let server = server(Some(TOKEN));
    let (status, _, body) = post_ticket(&server, &origin(PAGE));
    assert_eq!(status, 401, "a ticket needs the token: {body}");
    let (status, _, body) = post_ticket(&server, &(bearer() + &origin(FOREIGN)));
    assert_eq!(status, 403, "{body}");
    let (status, head, body) = http_request(server.addr(), "GET", "/api/v1/ws-ticket", &bearer());
    assert_eq!(status, 405, "{body}");
    assert_eq!(header(&head, "allow"), Some("post, options"));

    let page_ticket = ticket(&server, &(bearer() + &origin(PAGE)));
    assert_eq!(upgrade(&server, &page_ticket, &origin(PAGE)), 101);
    assert_eq!(upgrade(&server, &page_ticket, &origin(PAGE)), 401, "spent");

    // Presented from elsewhere, a ticket is refused, and spent.
    let page_ticket = ticket(&server, &(bearer() + &origin(PAGE)));
    assert_eq!(
        upgrade(&server, &page_ticket, ""),
        401,
        "without the origin"
    );
    assert_eq!(upgrade(&server, &page_ticket, &origin(PAGE)), 401);
    // A native client can use one too (no Origin on either request).
    let native_ticket = ticket(&server, &bearer());
    assert_eq!(upgrade(&server, &native_ticket, &origin(PAGE)), 401);
    let native_ticket = ticket(&server, &bearer());
    assert_eq!(upgrade(&server, &native_ticket, ""), 101);

    let (status, head) = handshake_at(&server, "/ws?ticket=nonsense", "");
    assert_eq!(status, 401);
    assert!(head.contains("ws-ticket"), "the refusal says how: {head}");
    // The ticket goes in the query and nowhere else: REST reads refuse it.
    let page_ticket = ticket(&server, &(bearer() + &origin(PAGE)));
    let (status, _, body) = http_request(
        server.addr(),
        "GET",
        &format!("/api/v1/host?ticket={page_ticket}"),
        &origin(PAGE),
    );
    assert_eq!(status, 401, "{body}");
}

#[test]
fn wrong_tickets_count_like_wrong_tokens_and_the_right_token_still_passes() {
    let server = server(Some(TOKEN));
    let wrong = "0".repeat(64);
    for _ in 0..MAX_FAILURES {
        assert_eq!(upgrade(&server, &wrong, ""), 401);
    }
    assert_eq!(upgrade(&server, &wrong, ""), 429);
    let (status, _) = handshake_at(&server, "/ws", &bearer());
    assert_eq!(status, 101, "the right token passes a slowed address");
    let right = ticket(&server, &bearer());
    assert_eq!(
        upgrade(&server, &right, ""),
        101,
        "and so does a right ticket"
    );
}

#[test]
fn a_server_without_a_token_issues_tickets_and_does_not_need_them() {
    let server = server(None);
    let page_ticket = ticket(&server, &origin(PAGE));
    assert_eq!(upgrade(&server, &page_ticket, &origin(PAGE)), 101);
    assert_eq!(upgrade(&server, "anything", &origin(PAGE)), 101);
    assert_eq!(upgrade(&server, "anything", &origin(FOREIGN)), 403);
}
