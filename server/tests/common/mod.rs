//! Helpers shared by the server's integration tests: real servers on
//! `127.0.0.1:0`, real WebSocket and HTTP clients, every read bounded in time.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: each test file uses some; they fail loudly"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;
use hostpulse_shared::codec::decode_json;
use hostpulse_shared::{Hello, Sample, ServerMessage};
use tungstenite::protocol::CloseFrame;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub const INTERVAL: Duration = Duration::from_millis(250);
/// A bound on every read, so a broken server fails the test instead of hanging it.
pub const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// A WebSocket client that can put back one message it read too far.
pub struct Client {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    /// The first live message, read while looking for the end of the history.
    pending: Option<String>,
}

impl std::ops::Deref for Client {
    type Target = WebSocket<MaybeTlsStream<TcpStream>>;
    fn deref(&self) -> &Self::Target {
        &self.socket
    }
}

impl std::ops::DerefMut for Client {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.socket
    }
}

pub fn start_server() -> BackgroundServer {
    start_server_with(Config {
        interval: INTERVAL,
        ..Config::default()
    })
}

/// The config a server would read from `text` in a file of its own in
/// `dir`, sampling every [`INTERVAL`] unless `text` sets `interval_ms`.
pub fn config_from(dir: &std::path::Path, text: &str) -> Config {
    let path = dir.join("server.toml");
    std::fs::write(&path, text).unwrap();
    let args = <hostpulse_server::Args as clap::Parser>::try_parse_from([
        "hostpulse-server",
        "--config",
        path.to_str().unwrap(),
    ])
    .unwrap();
    let mut config = args.resolve(Vec::new()).unwrap().config;
    if !text.contains("interval_ms") {
        config.interval = INTERVAL;
    }
    config
}

pub fn start_server_with(config: Config) -> BackgroundServer {
    BackgroundServer::spawn_on_loopback(config).expect("server starts")
}

pub fn connect(server: &BackgroundServer) -> Client {
    connect_to(&server.ws_url())
}

/// Connects to `url`, which may carry a query string.
pub fn connect_to(url: &str) -> Client {
    let (client, response) = tungstenite::connect(url).expect("WebSocket connects");
    assert_eq!(response.status(), 101);
    bound_reads(client)
}

/// Wraps a connected socket, every read of which gives up after [`READ_TIMEOUT`].
pub fn bound_reads(socket: WebSocket<MaybeTlsStream<TcpStream>>) -> Client {
    let tcp = match socket.get_ref() {
        MaybeTlsStream::Plain(stream) => stream,
        MaybeTlsStream::Rustls(stream) => stream.get_ref(),
        _ => unreachable!("the tests use plain TCP or rustls"),
    };
    tcp.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    Client {
        socket,
        pending: None,
    }
}

/// The next data message, as text; pings are answered by tungstenite itself.
pub fn next_text(client: &mut Client) -> String {
    if let Some(text) = client.pending.take() {
        return text;
    }
    loop {
        match client.read().expect("a message arrives") {
            Message::Text(text) => return text,
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected message {other:?}"),
        }
    }
}

/// Reads the start of a stream: the hello, then every `history` message (a
/// replay comes in several small ones), up to the first live message.
pub fn read_start(client: &mut Client) -> (Hello, Vec<Sample>) {
    let hello = match decode_json(&next_text(client)).unwrap() {
        ServerMessage::Hello(hello) => hello,
        other => panic!("expected hello first, got {other:?}"),
    };
    (hello, read_history(client))
}

/// Reads one or more consecutive `history` messages; the message after them
/// is kept for the next read.
pub fn read_history(client: &mut Client) -> Vec<Sample> {
    let mut samples = match decode_json(&next_text(client)).unwrap() {
        ServerMessage::History(history) => history.samples,
        other => panic!("expected history, got {other:?}"),
    };
    loop {
        let text = next_text(client);
        if let ServerMessage::History(more) = decode_json(&text).unwrap() {
            samples.extend(more.samples);
        } else {
            client.pending = Some(text);
            return samples;
        }
    }
}

pub fn read_hello(client: &mut Client) -> Hello {
    read_start(client).0
}

pub fn next_sample(client: &mut Client) -> (Sample, String) {
    let text = next_text(client);
    match decode_json(&text).unwrap() {
        ServerMessage::Sample(sample) => (sample, text),
        other => panic!("expected a sample, got {other:?}"),
    }
}

/// Reads until the close frame and returns it.
pub fn read_close(client: &mut Client) -> Option<CloseFrame<'static>> {
    loop {
        match client.read() {
            Ok(Message::Close(frame)) => return frame.map(CloseFrame::into_owned),
            Ok(_) => {}
            Err(error) => panic!("connection ended without a close frame: {error}"),
        }
    }
}

/// Writes `bytes` to the client's socket as they are, past tungstenite's framing.
/// A write the server cuts short (it closed the connection) is not an error.
pub fn write_raw(client: &mut Client, bytes: &[u8]) {
    let MaybeTlsStream::Plain(stream) = client.get_mut() else {
        panic!("a plain TCP stream");
    };
    stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
    let _ = stream.write_all(bytes);
}

/// A client frame: `first` byte (FIN, RSV, opcode), a masking key of zeros
/// (so the payload goes as it is), then `payload`, whose length must be under 126.
pub fn masked_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let length = u8::try_from(payload.len())
        .ok()
        .filter(|n| *n < 126)
        .unwrap();
    [&[first, 0x80 | length, 0, 0, 0, 0][..], payload].concat()
}

/// The value of the unlabelled metric `name` in the server's `/metrics`.
pub fn metric(server: &BackgroundServer, name: &str) -> u64 {
    let (_, body) = http_get(server, "/metrics");
    body.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} is not exported"))
        .parse()
        .unwrap()
}

pub fn http_get(server: &BackgroundServer, path: &str) -> (u16, String) {
    http_get_at(server.addr(), path)
}

/// A plain HTTP GET to any server on loopback: status and body.
pub fn http_get_at(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = http_head_and_body(addr, path, "");
    (status, body)
}

/// Status, lower-cased response head, and body of a GET with extra header lines
/// (each ending in `\r\n`).
pub fn http_head_and_body(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &str,
) -> (u16, String, String) {
    http_request(addr, "GET", path, headers)
}

/// Status, lower-cased response head, and body of a request with any method
/// and no body, with extra header lines (each ending in `\r\n`).
pub fn http_request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: test\r\n{headers}\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// Status, and lower-cased head plus body, of a WebSocket handshake with extra
/// headers. Reads the head byte by byte, then exactly the declared body, so an
/// accepted upgrade (whose stream never ends) does not block the read.
pub fn handshake(server: &BackgroundServer, headers: &str) -> (u16, String) {
    handshake_at(server, "/ws", headers)
}

/// Like [`handshake`], at `target` (`/ws` with a query, say).
pub fn handshake_at(server: &BackgroundServer, target: &str, headers: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(15)))
        .unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{headers}\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0u8; if status == 101 { 0 } else { length }];
    stream.read_exact(&mut body).unwrap();
    (status, head + &String::from_utf8_lossy(&body))
}
