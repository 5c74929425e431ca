//! A network interface whose traffic the test alone makes: one end of a
//! veth pair, its other end in a network namespace the helper creates (and
//! removes when dropped), so a rule on `network.tx_bytes_per_sec` of that
//! interface sees exactly the bytes the test sends, at the rate it chooses.
//! Needs root (`CAP_NET_ADMIN`) and `ip` (Debian's iproute2); without them the
//! caller fails, saying so.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: each user takes a part; they fail loudly"
)]

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Bytes each datagram puts on the wire: 958 of payload, 8 of UDP, 20 of
/// IPv4 and 14 of Ethernet header (what the interface's counters count).
pub const WIRE_BYTES: usize = 1000;
const PAYLOAD_BYTES: usize = WIRE_BYTES - 8 - 20 - 14;

/// One end of a veth pair in this namespace, the other in a namespace of
/// its own, each with an address of the benchmarking range (198.18.0.0/15,
/// RFC 2544), which no real network uses.
pub struct Veth {
    name: String,
    namespace: String,
    local: Ipv4Addr,
    peer: Ipv4Addr,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip` ({e}): install Debian's iproute2"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

impl Veth {
    /// Creates the pair and the namespace, named after this process.
    pub fn create() -> Self {
        let id = std::process::id();
        let veth = Self {
            name: format!("hpt{id}a"),
            namespace: format!("hpt{id}"),
            local: Ipv4Addr::new(198, 19, u8::try_from(id % 250).unwrap(), 1),
            peer: Ipv4Addr::new(198, 19, u8::try_from(id % 250).unwrap(), 2),
        };
        let (name, namespace) = (veth.name.clone(), veth.namespace.clone());
        let peer_name = format!("hpt{id}b");
        let local = format!("{}/30", veth.local);
        let peer = format!("{}/30", veth.peer);
        let steps: [&[&str]; 7] = [
            &["netns", "add", &namespace],
            &[
                "link", "add", &name, "type", "veth", "peer", "name", &peer_name,
            ],
            &["link", "set", &peer_name, "netns", &namespace],
            &["addr", "add", &local, "dev", &name],
            &["link", "set", &name, "up"],
            &["-n", &namespace, "addr", "add", &peer, "dev", &peer_name],
            &["-n", &namespace, "link", "set", &peer_name, "up"],
        ];
        for step in steps {
            if let Err(error) = ip(step) {
                drop(veth);
                panic!(
                    "{error}. This test makes its own network interface: run it as root \
                     (or with CAP_NET_ADMIN), as scripts/test.sh does in CI"
                );
            }
        }
        // No IPv6 chatter (router solicitations) on it: only the test's bytes.
        let _ = std::fs::write(
            format!("/proc/sys/net/ipv6/conf/{}/disable_ipv6", veth.name),
            "1",
        );
        veth
    }

    /// The interface name, as samples and rules call it.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A sender of datagrams out of this interface.
    #[must_use]
    pub fn pacer(&self) -> Pacer {
        let socket = UdpSocket::bind(SocketAddr::from((self.local, 0))).unwrap();
        // The discard port: nothing listens in the namespace, and nothing
        // needs to; the bytes are counted on the way out.
        let peer = SocketAddr::from((self.peer, 9));
        let pacer = Pacer { socket, peer };
        // Resolve the neighbour now, so no datagram waits on ARP later.
        pacer.send_datagrams(3);
        std::thread::sleep(Duration::from_millis(200));
        pacer
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        // Deleting one end deletes both; then the namespace.
        let _ = ip(&["link", "del", &self.name]);
        let _ = ip(&["netns", "del", &self.namespace]);
    }
}

/// Sends datagrams out of the veth at a chosen rate.
pub struct Pacer {
    socket: UdpSocket,
    peer: SocketAddr,
}

impl Pacer {
    fn send_datagrams(&self, count: u64) {
        let payload = [0u8; PAYLOAD_BYTES];
        for _ in 0..count {
            // A full socket buffer drops a datagram; the pacing catches up.
            let _ = self.socket.send_to(&payload, self.peer);
        }
    }

    /// Sends `bytes_per_sec` (on the wire) until `until`, in 5 ms steps,
    /// catching up after any delay so every second carries its bytes.
    pub fn send_until(&self, bytes_per_sec: f64, until: Instant) {
        let start = Instant::now();
        let mut sent: u64 = 0;
        while Instant::now() < until {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a positive count of datagrams, far below 2^52"
            )]
            let due = (start.elapsed().as_secs_f64() * bytes_per_sec / WIRE_BYTES as f64) as u64;
            self.send_datagrams(due.saturating_sub(sent));
            sent = sent.max(due);
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The next instant at a whole multiple of `period` of the wall clock: the
/// sampler ticks on such multiples, so a phase that starts there fills
/// whole sampling windows.
#[must_use]
pub fn next_multiple_of(period: Duration) -> Instant {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let period_ns = period.as_nanos();
    let wait_ns = period_ns - since_epoch.as_nanos() % period_ns;
    Instant::now() + Duration::from_nanos(u64::try_from(wait_ns).unwrap())
}
