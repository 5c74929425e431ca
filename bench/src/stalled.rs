//! A stalled viewer: it completes the handshake and then neither reads nor
//! writes again, as a viewer on a frozen machine or behind a dead link would.
//! The server should give up on it (close code 1008) without letting it cost
//! memory or slow anyone else.
//!
//! Since it does not read, it cannot see the close when the server sends it.
//! At the end of the run it reads what piled up, up to the close frame, so the
//! report can say how each stalled viewer ended and how much was waiting for
//! it. One that reads through to samples stamped within the last two intervals
//! was never closed: the server was still feeding it.
//!
//! It speaks WebSocket at the frame level, over its own handshake, rather
//! than through a WebSocket library: a library answers the pings it reads with
//! pongs, and writing to a connection the server has already closed fails
//! before the close frame behind them is reached. This one never writes after
//! the handshake.

use std::io::Cursor;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hostpulse_shared::{Codec, ServerMessage};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};

use crate::connect::Target;

/// The most the final read of one stalled viewer may take.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest handshake response accepted.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// Room made in the buffer before each read at the end.
const READ_CHUNK: usize = 64 * 1024;

/// How a stalled viewer's connection turned out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StallEnd {
    /// The server closed it with this code and reason.
    Closed {
        /// The close code (1008 expected).
        code: u16,
        /// The reason the server gave.
        reason: String,
    },
    /// The connection ended without a close frame.
    Dropped,
    /// The server was still sending live samples to it.
    StillOpen,
    /// Reading what piled up took longer than [`DRAIN_TIMEOUT`].
    DrainTimedOut,
    /// Reading failed.
    Failed {
        /// The error.
        error: String,
    },
}

/// One stalled viewer at the end of the run.
#[derive(Debug, Clone)]
pub struct StallOutcome {
    /// How it ended.
    pub end: StallEnd,
    /// Payload bytes that were waiting for it (in the kernel's buffers and the
    /// server's), read at the end.
    pub drained_bytes: u64,
}

/// A connection past its handshake, not being read.
#[derive(Debug)]
pub struct Stalled {
    stream: TcpStream,
    /// Bytes that came with the handshake response: the stream's start.
    read: Vec<u8>,
}

/// Connects and completes the WebSocket handshake, bounded by the target's
/// timeout; the error is a sentence for the report.
pub async fn connect(target: &Target) -> Result<Stalled, String> {
    match tokio::time::timeout(target.timeout, handshake(target)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no handshake within {} s",
            target.timeout.as_secs_f64()
        )),
    }
}

async fn handshake(target: &Target) -> Result<Stalled, String> {
    let mut stream = TcpStream::connect(target.addr)
        .await
        .map_err(|error| error.to_string())?;
    let auth = target.token.as_ref().map_or_else(String::new, |token| {
        format!("Authorization: Bearer {}\r\n", token.expose())
    });
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {}\r\n\
         {auth}\r\n",
        target.path_and_query,
        target.authority,
        generate_key(),
        target.codec.subprotocol()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| error.to_string())?;
    let mut read = Vec::new();
    let head_len = loop {
        if let Some(end) = read.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if read.len() > MAX_RESPONSE_HEAD {
            return Err("handshake response too long".into());
        }
        if stream
            .read_buf(&mut read)
            .await
            .map_err(|error| error.to_string())?
            == 0
        {
            return Err("connection closed during the handshake".into());
        }
    };
    let head = String::from_utf8_lossy(&read[..head_len]);
    let status = head.lines().next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 101") {
        let status = status.trim_start_matches("HTTP/1.1 ");
        return Err(format!("refused with HTTP {status}"));
    }
    read.drain(..head_len);
    Ok(Stalled { stream, read })
}

/// Holds the connection unread until `drain` turns true, then reads what
/// piled up, once a permit of `readers` is free: reading thousands of
/// backlogs at once would make each take as long as all of them.
pub async fn hold(
    stalled: Stalled,
    codec: Codec,
    mut drain: watch::Receiver<bool>,
    readers: &Semaphore,
) -> StallOutcome {
    // An error means the run is gone: read what there is all the same.
    let _ = drain.wait_for(|now| *now).await;
    let _permit = readers.acquire().await;
    let mut drained_bytes = 0;
    let end = match tokio::time::timeout(
        DRAIN_TIMEOUT,
        read_to_end(stalled, codec, &mut drained_bytes),
    )
    .await
    {
        Ok(end) => end,
        Err(_) => StallEnd::DrainTimedOut,
    };
    StallOutcome { end, drained_bytes }
}

/// Reads frames until a close frame, the end of the connection, or a sample
/// fresh enough to show the server is still sending.
async fn read_to_end(stalled: Stalled, codec: Codec, drained_bytes: &mut u64) -> StallEnd {
    let Stalled {
        mut stream,
        read: mut buffer,
    } = stalled;
    let started_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut interval_ms = 1000;
    // Frames are parsed from `buffer[parsed..]`; the parsed part is dropped
    // only before the next read, so many small frames cost no copying.
    let mut parsed = 0;
    loop {
        let mut cursor = Cursor::new(&buffer[parsed..]);
        let frame = match FrameHeader::parse(&mut cursor) {
            Ok(Some((header, len))) => {
                let start = parsed + usize::try_from(cursor.position()).unwrap_or(usize::MAX);
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|len| start.checked_add(len))
                    .unwrap_or(usize::MAX);
                (end <= buffer.len()).then_some((header, start, end))
            }
            Ok(None) => None,
            Err(error) => {
                return StallEnd::Failed {
                    error: format!("bad frame: {error}"),
                };
            }
        };
        let Some((header, start, end)) = frame else {
            buffer.drain(..parsed);
            parsed = 0;
            buffer.reserve(READ_CHUNK);
            match stream.read_buf(&mut buffer).await {
                Ok(0) => return StallEnd::Dropped,
                Ok(_) => continue,
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {
                    return StallEnd::Dropped;
                }
                Err(error) => {
                    return StallEnd::Failed {
                        error: error.to_string(),
                    };
                }
            }
        };
        if header.mask.is_some() {
            return StallEnd::Failed {
                error: "the server sent a masked frame".into(),
            };
        }
        let payload = &buffer[start..end];
        match header.opcode {
            OpCode::Control(Control::Close) => return close_frame(payload),
            OpCode::Data(Data::Text | Data::Binary) if header.is_final => {
                *drained_bytes += payload.len() as u64;
                match codec.decode::<ServerMessage>(payload) {
                    Ok(ServerMessage::Hello(hello)) => interval_ms = hello.interval_ms,
                    Ok(ServerMessage::Sample(sample))
                        if sample.timestamp_ms + 2 * interval_ms >= started_ms =>
                    {
                        return StallEnd::StillOpen;
                    }
                    _ => {}
                }
            }
            // Fragments (the server sends none) and pings: counted, not answered.
            OpCode::Data(_) => *drained_bytes += payload.len() as u64,
            OpCode::Control(_) => {}
        }
        parsed = end;
    }
}

/// The code and reason of a close frame's payload.
fn close_frame(payload: &[u8]) -> StallEnd {
    match payload {
        [high, low, reason @ ..] => StallEnd::Closed {
            code: u16::from_be_bytes([*high, *low]),
            reason: String::from_utf8_lossy(reason).into_owned(),
        },
        // No code given: 1005 "no status received", as RFC 6455 names it.
        _ => StallEnd::Closed {
            code: 1005,
            reason: String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_payload_gives_code_and_reason() {
        let mut payload = 1008u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"too slow: not reading");
        assert_eq!(
            close_frame(&payload),
            StallEnd::Closed {
                code: 1008,
                reason: "too slow: not reading".into()
            }
        );
        assert_eq!(
            close_frame(&[]),
            StallEnd::Closed {
                code: 1005,
                reason: String::new()
            }
        );
    }
}
