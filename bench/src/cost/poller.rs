//! What keeps each peer of the server-cost benchmark busy the way its own
//! client would: one HostPulse viewer reading the live stream, socktop's client
//! cadence over socktop's WebSocket, or an HTTP GET each period (a Prometheus
//! scrape, a Glances REST poll). Polling runs in the measuring process, so its
//! own cost never lands on the peer's figures.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hostpulse_shared::{Codec, ServerMessage};
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;

use crate::connect::Target;
use crate::http;

/// The most one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How a peer is kept busy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// Nothing: the peer works on its own (the sysinfo floor).
    Nothing,
    /// One HostPulse viewer on `/ws`, decoding every message (MessagePack, as
    /// the dashboard asks); a response is a live sample.
    HostPulseStream,
    /// socktop's client over `/ws`: `get_metrics` every period, `get_processes`
    /// every second period, `get_disks` every fifth, each answered in turn.
    Socktop {
        /// socktop's `?token=` when the agent was started with one.
        token: Option<String>,
    },
    /// `GET path` every period, one connection each.
    Http {
        /// The path, e.g. `/metrics`.
        path: String,
    },
}

/// What the polling saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollTally {
    /// Requests answered or failed (0 for a stream the server pushes); one
    /// still waiting for its answer when polling stops is not counted.
    pub requests: u64,
    /// Answers, or live samples for a stream.
    pub responses: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
    /// Requests that failed or went unanswered, and broken connections.
    pub errors: u64,
    /// The first error, in words.
    pub first_error: Option<String>,
}

impl PollTally {
    fn error(&mut self, error: impl std::fmt::Display) {
        self.errors += 1;
        self.first_error.get_or_insert_with(|| error.to_string());
    }
}

/// The requests socktop's client sends at its `tick`-th period (from 0): metrics
/// every second, processes every 2 s, disks every 5 s at its default cadence.
pub fn socktop_requests(tick: u64) -> impl Iterator<Item = &'static str> {
    [
        Some("get_metrics"),
        tick.is_multiple_of(2).then_some("get_processes"),
        tick.is_multiple_of(5).then_some("get_disks"),
    ]
    .into_iter()
    .flatten()
}

/// Polls the peer at `addr` every `period` until `stop` turns true.
pub async fn poll(
    how: &Poll,
    addr: Option<SocketAddr>,
    period: Duration,
    mut stop: watch::Receiver<bool>,
) -> PollTally {
    let mut tally = PollTally::default();
    let work = async {
        match (how, addr) {
            (Poll::Nothing, _) => std::future::pending().await,
            (_, None) => tally.error("the peer has no port to poll: put {port} in its command"),
            (Poll::HostPulseStream, Some(addr)) => stream(addr, &mut tally).await,
            (Poll::Socktop { token }, Some(addr)) => {
                socktop(addr, token.as_deref(), period, &mut tally).await;
            }
            (Poll::Http { path }, Some(addr)) => {
                let mut ticks = ticker(period);
                loop {
                    ticks.tick().await;
                    let answer = http::get(addr, path, None, REQUEST_TIMEOUT).await;
                    // Counted once answered (or failed): a request cut off by
                    // the end of the run is not one.
                    tally.requests += 1;
                    match answer {
                        Ok(response) if response.status == 200 => {
                            tally.responses += 1;
                            tally.bytes_received += response.body.len() as u64;
                        }
                        Ok(response) => {
                            tally.error(format!("GET {path}: HTTP {}", response.status));
                        }
                        Err(error) => tally.error(format!("GET {path}: {error}")),
                    }
                }
            }
        }
    };
    tokio::select! {
        () = work => {}
        _ = stop.wait_for(|stop| *stop) => {}
    }
    tally
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks
}

/// One HostPulse viewer: reads until the connection ends.
async fn stream(addr: SocketAddr, tally: &mut PollTally) {
    let codec = Codec::MessagePack;
    let url = format!("ws://{addr}/ws");
    let socket = match Target::new(&url, codec, None, REQUEST_TIMEOUT) {
        Ok(target) => target.connect().await,
        Err(error) => Err(error.to_string()),
    };
    let mut socket = match socket {
        Ok(socket) => socket,
        Err(error) => return tally.error(format!("{url}: {error}")),
    };
    while let Some(message) = socket.next().await {
        let payload = match message {
            Ok(Message::Binary(payload)) => payload,
            Ok(Message::Text(text)) => text.into_bytes(),
            Ok(Message::Close(frame)) => return tally.error(format!("closed: {frame:?}")),
            Ok(_) => continue,
            Err(error) => return tally.error(error),
        };
        tally.bytes_received += payload.len() as u64;
        match codec.decode::<ServerMessage>(&payload) {
            Ok(ServerMessage::Sample(_)) => tally.responses += 1,
            Ok(_) => {}
            Err(error) => tally.error(error),
        }
    }
    tally.error("the stream ended");
}

/// socktop's client cadence: each request answered before the next is sent.
async fn socktop(addr: SocketAddr, token: Option<&str>, period: Duration, tally: &mut PollTally) {
    let query = token.map_or_else(String::new, |token| format!("?token={token}"));
    let url = format!("ws://{addr}/ws{query}");
    let mut socket =
        match tokio::time::timeout(REQUEST_TIMEOUT, tokio_tungstenite::connect_async(&url)).await {
            Ok(Ok((socket, _))) => socket,
            Ok(Err(error)) => return tally.error(format!("ws://{addr}/ws: {error}")),
            Err(_) => return tally.error(format!("ws://{addr}/ws: no handshake")),
        };
    let mut ticks = ticker(period);
    for tick in 0.. {
        ticks.tick().await;
        for request in socktop_requests(tick) {
            if let Err(error) = socket.send(Message::Text(request.to_owned())).await {
                return tally.error(format!("{request}: {error}"));
            }
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, async {
                loop {
                    match socket.next().await {
                        Some(Ok(Message::Binary(bytes))) => return Ok(bytes.len()),
                        Some(Ok(Message::Text(text))) => return Ok(text.len()),
                        Some(Ok(Message::Close(_))) | None => {
                            return Err("connection closed".to_owned());
                        }
                        Some(Ok(_)) => {}
                        Some(Err(error)) => return Err(error.to_string()),
                    }
                }
            })
            .await;
            tally.requests += 1;
            match answer {
                Ok(Ok(bytes)) => {
                    tally.responses += 1;
                    tally.bytes_received += bytes as u64;
                }
                Ok(Err(error)) => return tally.error(format!("{request}: {error}")),
                Err(_) => tally.error(format!("{request}: no answer within {REQUEST_TIMEOUT:?}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socktop_cadence_is_metrics_each_processes_every_2_disks_every_5() {
        let ten: Vec<Vec<&str>> = (0..10)
            .map(|tick| socktop_requests(tick).collect())
            .collect();
        let count = |name| ten.iter().flatten().filter(|r| **r == name).count();
        assert_eq!(count("get_metrics"), 10);
        assert_eq!(count("get_processes"), 5);
        assert_eq!(count("get_disks"), 2);
        assert_eq!(ten[0], ["get_metrics", "get_processes", "get_disks"]);
        assert_eq!(ten[1], ["get_metrics"]);
    }

    #[tokio::test]
    async fn nothing_to_poll_without_a_port() {
        let (stop, stopped) = watch::channel(false);
        let how = Poll::Http {
            path: "/metrics".into(),
        };
        let tally = poll(&how, None, Duration::from_millis(10), stopped).await;
        drop(stop);
        assert_eq!(tally.errors, 1);
        assert!(tally.first_error.unwrap().contains("{port}"));
    }
}
