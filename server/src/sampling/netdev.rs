//! Byte totals per network interface, read each tick as cheaply as the
//! platform allows.
//!
//! On Linux, one read of `/proc/net/dev` has every interface's totals.
//! sysinfo instead opens nine files per interface under `/sys/class/net` and
//! asks netlink for every address on each refresh, which was a third of a
//! tick's cost. Elsewhere sysinfo's `Networks` is the source.

use std::io;

/// One interface's totals since it came up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceTotals<'a> {
    /// The interface name, e.g. `eth0`.
    pub name: &'a str,
    /// Bytes received.
    pub rx_bytes_total: u64,
    /// Bytes sent.
    pub tx_bytes_total: u64,
}

/// The interfaces' totals as of the last [`NetworkTotals::refresh`].
#[derive(Debug)]
pub struct NetworkTotals {
    #[cfg(target_os = "linux")]
    source: ProcNetDev,
    #[cfg(not(target_os = "linux"))]
    networks: sysinfo::Networks,
}

impl NetworkTotals {
    /// Opens the source; the first [`NetworkTotals::refresh`] reads it.
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            #[cfg(target_os = "linux")]
            source: ProcNetDev::open()?,
            #[cfg(not(target_os = "linux"))]
            networks: sysinfo::Networks::new(),
        })
    }

    /// Reads every interface's totals again.
    pub fn refresh(&mut self) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        return self.source.refresh();
        #[cfg(not(target_os = "linux"))]
        {
            self.networks.refresh(true);
            Ok(())
        }
    }

    /// Every interface of the last refresh.
    pub fn iter(&self) -> impl Iterator<Item = InterfaceTotals<'_>> {
        #[cfg(target_os = "linux")]
        return parse_proc_net_dev(self.source.text());
        #[cfg(not(target_os = "linux"))]
        self.networks.iter().map(|(name, data)| InterfaceTotals {
            name: name.to_str().unwrap_or_default(),
            rx_bytes_total: data.total_received(),
            tx_bytes_total: data.total_transmitted(),
        })
    }
}

/// `/proc/net/dev`, kept open and read again from the start each tick into a
/// buffer that is reused.
#[cfg(target_os = "linux")]
#[derive(Debug)]
struct ProcNetDev {
    file: std::fs::File,
    buffer: Vec<u8>,
    length: usize,
}

#[cfg(target_os = "linux")]
impl ProcNetDev {
    fn open() -> io::Result<Self> {
        Ok(Self {
            file: std::fs::File::open("/proc/net/dev")?,
            buffer: vec![0; 4096],
            length: 0,
        })
    }

    fn refresh(&mut self) -> io::Result<()> {
        use std::os::unix::fs::FileExt as _;
        self.length = 0;
        loop {
            if self.length == self.buffer.len() {
                // Many interfaces: grow once, and keep the room.
                self.buffer.resize(self.buffer.len() * 2, 0);
            }
            let read = self
                .file
                .read_at(&mut self.buffer[self.length..], self.length as u64)?;
            if read == 0 {
                return Ok(());
            }
            self.length += read;
        }
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.buffer[..self.length]).unwrap_or_default()
    }
}

/// The interfaces in `/proc/net/dev` text: after two header lines, one line
/// per interface, `name: ` then eight receive and eight transmit fields,
/// bytes first in each.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_proc_net_dev(text: &str) -> impl Iterator<Item = InterfaceTotals<'_>> {
    text.lines().skip(2).filter_map(|line| {
        let (name, fields) = line.split_once(':')?;
        let mut fields = fields.split_ascii_whitespace();
        let rx_bytes_total = fields.next()?.parse().ok()?;
        let tx_bytes_total = fields.nth(7)?.parse().ok()?;
        Some(InterfaceTotals {
            name: name.trim(),
            rx_bytes_total,
            tx_bytes_total,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_interface_line_gives_its_byte_totals() {
        let text = "Inter-|   Receive                                                |  Transmit\n \
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
             lo: 23898971767 9584737    0    0    0     0          0         0 23898971760 9584737    0    0    0     0       0          0\n  \
             eth0:881218084   44052    0    0    0     0          0         0  2714431   25942    0    0    0     0       0          0\n  \
             bad: 12 x\n";
        let interfaces: Vec<_> = parse_proc_net_dev(text).collect();
        assert_eq!(
            interfaces,
            [
                InterfaceTotals {
                    name: "lo",
                    rx_bytes_total: 23_898_971_767,
                    tx_bytes_total: 23_898_971_760,
                },
                InterfaceTotals {
                    name: "eth0",
                    rx_bytes_total: 881_218_084,
                    tx_bytes_total: 2_714_431,
                },
            ]
        );
    }

    /// Reads this machine's real interfaces: loopback is always there, and
    /// traffic over it shows in its totals.
    #[test]
    fn loopback_traffic_shows_in_its_totals() {
        let mut totals = NetworkTotals::new().unwrap();
        totals.refresh().unwrap();
        let lo = |totals: &NetworkTotals| {
            totals
                .iter()
                .find(|i| i.name == "lo")
                .map(|i| i.rx_bytes_total)
                .unwrap()
        };
        let before = lo(&totals);
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .send_to(&[0; 1000], socket.local_addr().unwrap())
            .unwrap();
        totals.refresh().unwrap();
        assert!(
            lo(&totals) >= before + 1000,
            "{} then {before}",
            lo(&totals)
        );
    }
}
