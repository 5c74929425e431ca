//! The floor of the fan-out benchmark: the least a WebSocket server can spend
//! per viewer on this machine, to set the server's fan-out latency beside.
//!
//! It accepts viewers with tungstenite's blocking handshake (answering the
//! codec they offer), sends each a hello, and once per interval encodes one
//! sample, frames it once, and writes those bytes to every viewer with a plain
//! blocking `write_all`, from one or more writer threads. No runtime, no task
//! or queue per viewer, no history: what is left is the kernel's loopback TCP
//! path and the load generator on the other end. `hostpulse-load` runs against
//! it exactly as against the server, so the two runs differ only in the server.

use std::cell::Cell;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use hostpulse_shared::{
    Codec, CpuSample, DiskSample, Hello, HostInfo, LoadAverage, MemorySample, NetworkSample,
    PROTOCOL_VERSION, ProcessSample, Sample, ServerMessage,
};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Message, accept_hdr};

/// A viewer whose socket stays full this long is dropped, so one that stopped
/// reading cannot hold a writer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// How the floor server runs.
#[derive(Debug, Clone, Copy)]
pub struct FloorConfig {
    /// Time between samples.
    pub interval: Duration,
    /// Threads writing each sample, each to its share of the viewers.
    pub writers: usize,
}

/// One accepted viewer: its socket and the codec it chose.
struct Viewer {
    stream: TcpStream,
    codec: Codec,
}

/// The viewers of each writer thread.
type Groups = Arc<[Mutex<Vec<Viewer>>]>;

/// Serves `listener` until the process ends: accepts on a thread of its own
/// and ticks on the calling one.
///
/// # Errors
/// When the clock is before 1970 or a sample cannot be encoded.
pub fn serve(listener: TcpListener, config: FloorConfig) -> anyhow::Result<()> {
    let writers = config.writers.max(1);
    let groups: Groups = (0..writers).map(|_| Mutex::new(Vec::new())).collect();
    let epoch = now_ms()?;
    let interval_ms = u64::try_from(config.interval.as_millis()).unwrap_or(u64::MAX);
    let hello = ServerMessage::Hello(Hello {
        protocol_version: PROTOCOL_VERSION,
        server_version: concat!("writer-floor ", env!("CARGO_PKG_VERSION")).to_owned(),
        epoch,
        interval_ms,
        history_capacity: 0,
        host: HostInfo::default(),
        alerts: None,
    });
    let accepting = Arc::clone(&groups);
    std::thread::Builder::new()
        .name("accept".into())
        .spawn(move || accept_all(&listener, &accepting, &hello))?;

    // Writer threads live as long as the process, so their CPU time stays
    // readable in /proc/PID/task/*/schedstat.
    let writers: Vec<mpsc::SyncSender<Arc<Frames>>> = groups
        .iter()
        .enumerate()
        .map(|(index, _)| {
            // A writer more than a tick behind holds the ticker back.
            let (send, receive) = mpsc::sync_channel::<Arc<Frames>>(1);
            let groups = Arc::clone(&groups);
            std::thread::Builder::new()
                .name(format!("writer-{index}"))
                .spawn(move || {
                    for frames in receive {
                        write_to_all(&groups[index], &frames);
                    }
                })
                .map(|_| send)
        })
        .collect::<Result<_, _>>()?;

    let mut sample = typical_sample(epoch);
    let mut next = Instant::now() + config.interval;
    loop {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        next += config.interval;
        sample.seq += 1;
        sample.timestamp_ms = now_ms()?;
        let message = ServerMessage::Sample(sample.clone());
        let frames = Arc::new(Frames {
            msgpack: frame(Codec::MessagePack, &message)?,
            json: frame(Codec::Json, &message)?,
        });
        for writer in &writers {
            writer
                .send(Arc::clone(&frames))
                .context("a writer thread ended")?;
        }
    }
}

/// One sample, framed once per codec.
struct Frames {
    msgpack: Vec<u8>,
    json: Vec<u8>,
}

/// Writes the frame of each viewer's codec to every viewer of `group`, and
/// drops those whose socket failed or stayed full.
fn write_to_all(group: &Mutex<Vec<Viewer>>, frames: &Frames) {
    let mut viewers = group.lock().unwrap_or_else(PoisonError::into_inner);
    viewers.retain_mut(|viewer| {
        let bytes = match viewer.codec {
            Codec::MessagePack => &frames.msgpack,
            Codec::Json => &frames.json,
        };
        viewer.stream.write_all(bytes).is_ok()
    });
}

/// Accepts viewers for as long as the listener does, each to the smallest
/// group. A failed handshake drops that connection only, and only the first is
/// reported: the load generator's `/metrics` scrapes fail here every time.
fn accept_all(listener: &TcpListener, groups: &Groups, hello: &ServerMessage) {
    let mut reported = false;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        match handshake(stream, hello) {
            Ok(viewer) => {
                let smallest = groups
                    .iter()
                    .min_by_key(|g| g.lock().unwrap_or_else(PoisonError::into_inner).len());
                if let Some(group) = smallest {
                    group
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(viewer);
                }
            }
            Err(error) if !reported => {
                reported = true;
                eprintln!(
                    "hostpulse-writer-floor: a handshake failed (later failures are not \
                     shown): {error:#}"
                );
            }
            Err(_) => {}
        }
    }
}

/// The WebSocket handshake, answering the first codec offered that HostPulse
/// speaks (MessagePack when none is), then the hello.
fn handshake(stream: TcpStream, hello: &ServerMessage) -> anyhow::Result<Viewer> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    // tungstenite keeps the stream it handshakes on; the writers keep this one.
    let raw = stream.try_clone()?;
    // The handshake's callback must own what it touches.
    let chosen_codec = Rc::new(Cell::new(Codec::MessagePack));
    let chosen_in_callback = Rc::clone(&chosen_codec);
    #[allow(
        clippy::result_large_err,
        reason = "tungstenite's handshake callback fixes the error type"
    )]
    let answer = move |request: &Request, mut response: Response| {
        let offered = request
            .headers()
            .get_all(SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .find_map(Codec::from_subprotocol);
        if let Some(chosen) = offered {
            chosen_in_callback.set(chosen);
            response.headers_mut().insert(
                SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static(chosen.subprotocol()),
            );
        }
        Ok(response)
    };
    let mut socket = accept_hdr(stream, answer)
        // The error holds the callback, which is not `Send`: keep its message.
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let codec = chosen_codec.get();
    let payload = codec.encode(hello)?;
    socket.send(if codec.is_binary() {
        Message::Binary(payload)
    } else {
        Message::Text(String::from_utf8(payload)?)
    })?;
    Ok(Viewer { stream: raw, codec })
}

/// `message` encoded with `codec` and framed as one unmasked WebSocket frame,
/// as a server sends it.
fn frame(codec: Codec, message: &ServerMessage) -> anyhow::Result<Vec<u8>> {
    let payload = codec.encode(message)?;
    let data = if codec.is_binary() {
        Data::Binary
    } else {
        Data::Text
    };
    let mut bytes = Vec::with_capacity(payload.len() + 10);
    Frame::message(payload, OpCode::Data(data), true).format(&mut bytes)?;
    Ok(bytes)
}

/// A sample shaped like a small server's: 4 CPUs, 2 interfaces, 2 disks and
/// 20 top processes (about 1.9 KB as MessagePack, close to what the server
/// sends from this machine).
fn typical_sample(epoch: u64) -> Sample {
    Sample {
        epoch,
        uptime_secs: 86_400,
        cpu: CpuSample {
            total_percent: 12.5,
            per_core_percent: vec![10.0, 20.0, 5.0, 15.0],
        },
        load: Some(LoadAverage {
            one: 0.5,
            five: 0.4,
            fifteen: 0.3,
        }),
        memory: MemorySample {
            total_bytes: 8 << 30,
            used_bytes: 3 << 30,
            available_bytes: 5 << 30,
            swap_total_bytes: 2 << 30,
            swap_used_bytes: 1 << 20,
        },
        networks: ["lo", "eth0"]
            .map(|interface| NetworkSample {
                interface: interface.to_owned(),
                rx_bytes_per_sec: Some(12_345.0),
                tx_bytes_per_sec: Some(6_789.0),
                rx_bytes_total: 123_456_789_012,
                tx_bytes_total: 98_765_432_109,
            })
            .into(),
        disks: ["/", "/home"]
            .map(|mount| DiskSample {
                mount_point: mount.to_owned(),
                device: format!("/dev/vda{}", mount.len()),
                file_system: "ext4".to_owned(),
                total_bytes: 256 << 30,
                available_bytes: 100 << 30,
                read_bytes_per_sec: Some(4096.0),
                write_bytes_per_sec: Some(65_536.0),
            })
            .into(),
        temperatures: Vec::new(),
        process_count: 180,
        top_processes: (0..20_u32)
            .map(|index| ProcessSample {
                pid: 1000 + index,
                name: format!("process-name-{index:02}"),
                cpu_percent: 0.5 * f32::from(u16::try_from(index).unwrap_or(0)),
                memory_bytes: u64::from(index) << 22,
            })
            .collect(),
        ..Sample::default()
    }
}

fn now_ms() -> io::Result<u64> {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(io::Error::other)?;
    Ok(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typical_sample_is_about_the_size_the_server_sends() {
        let bytes = frame(
            Codec::MessagePack,
            &ServerMessage::Sample(typical_sample(1)),
        )
        .unwrap();
        // BENCHMARKS.md: 1,970 B from this machine as MessagePack.
        assert!((1500..2500).contains(&bytes.len()), "{} bytes", bytes.len());
    }
}
