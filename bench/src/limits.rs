//! The operating system's limits that thousands of connections run into: open
//! files (one per connection, on both sides) and local ports (one per
//! connection to the same server address). The load generator raises its own
//! open-file limit as far as it may, and says plainly when a limit is too low
//! for the count asked for, instead of failing halfway through the ramp.

/// Descriptors kept aside for everything that is not a connection (standard
/// streams, the runtime's own, `/proc` reads, the `/metrics` scrape).
pub const FD_RESERVE: u64 = 64;

/// A limit too low for the connections asked for.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The open-file limit cannot be raised far enough.
    #[error(
        "{connections} connections need about {needed} open files, but this process may open \
         only {limit} (hard limit {hard}): raise the hard limit (`ulimit -Hn` as root, or \
         LimitNOFILE= in a unit) or ask for fewer clients"
    )]
    OpenFiles {
        /// Connections asked for.
        connections: u64,
        /// Descriptors needed for them.
        needed: u64,
        /// The soft limit after raising it.
        limit: u64,
        /// The hard limit.
        hard: u64,
    },
    /// The limit could not be read or set.
    #[error("cannot read or raise the open-file limit: {0}")]
    Io(#[from] std::io::Error),
}

/// Raises this process's soft open-file limit to its hard limit and checks it
/// covers `connections`. Returns the limit now in force.
pub fn raise_open_files(connections: u64) -> Result<u64, LimitError> {
    let needed = connections + FD_RESERVE;
    let limit = raise_nofile_to_hard()?;
    if limit < needed {
        return Err(LimitError::OpenFiles {
            connections,
            needed,
            limit,
            hard: limit,
        });
    }
    Ok(limit)
}

/// Raises this process's soft open-file limit to its hard limit, and returns
/// it (`u64::MAX` for none). rustix, as the server's own limit code uses.
pub fn raise_nofile_to_hard() -> std::io::Result<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    if current != maximum {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: maximum,
                maximum,
            },
        )?;
    }
    Ok(maximum.unwrap_or(u64::MAX))
}

/// How many local ports the kernel hands out for outgoing connections
/// (`/proc/sys/net/ipv4/ip_local_port_range`), if readable. Every connection
/// from one address to the same server address takes one.
#[must_use]
pub fn local_port_count() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    parse_port_range(&text)
}

fn parse_port_range(text: &str) -> Option<u64> {
    let mut bounds = text.split_whitespace().map(str::parse::<u64>);
    let low = bounds.next()?.ok()?;
    let high = bounds.next()?.ok()?;
    Some(high.checked_sub(low)? + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_range_counts_both_ends() {
        assert_eq!(parse_port_range("32768\t60999\n"), Some(28_232));
        assert_eq!(parse_port_range("garbage"), None);
    }

    #[test]
    fn a_few_connections_fit_the_limit() {
        assert!(raise_open_files(10).unwrap() >= 10 + FD_RESERVE);
    }

    #[test]
    fn an_impossible_count_says_what_to_do() {
        let error = raise_open_files(u64::MAX / 2).unwrap_err();
        assert!(
            error.to_string().contains("raise the hard limit"),
            "{error}"
        );
    }
}
