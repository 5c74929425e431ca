//! The open-file limit. Every viewer holds a descriptor, its socket, and the
//! usual soft limit of 1,024 would cap a server at about 1,000 viewers, so
//! at start the soft limit is raised to the hard one, as nginx and Go
//! programs do, and a limit still too low for `max_clients` is named in the
//! log with what to do.

/// Descriptors per connected viewer.
pub const PER_VIEWER: u64 = 1;

/// Descriptors the server needs besides its viewers: the listener, the
/// `/proc` files the sampler keeps open, logs and the runtime's own.
pub const RESERVED: u64 = 64 + crate::sampling::procstat::MAX_OPEN_FILES as u64;

/// The most viewers `limit` descriptors serve.
#[must_use]
pub fn viewers_within(limit: u64) -> u64 {
    limit.saturating_sub(RESERVED) / PER_VIEWER
}

/// Raises the soft open-file limit to the hard one and returns the limit in
/// force (`None` when it cannot be read), warning when it serves fewer than
/// `max_clients` viewers.
pub fn raise(max_clients: usize) -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let mut limit = current?;
    if let Some(maximum) = maximum
        && maximum > limit
    {
        match setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(maximum),
                maximum: Some(maximum),
            },
        ) {
            Ok(()) => limit = maximum,
            Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
        }
    }
    let viewers = viewers_within(limit);
    if viewers < max_clients as u64 {
        tracing::warn!(
            limit,
            viewers,
            max_clients,
            "the open-file limit serves only {viewers} viewers, fewer than max_clients: \
             raise it (LimitNOFILE= in the systemd unit, or ulimit -n) or lower max_clients"
        );
    } else {
        tracing::debug!(limit, viewers, "open-file limit");
    }
    Some(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_viewer_takes_one_descriptor_beyond_the_reserve() {
        assert_eq!(viewers_within(0), 0);
        assert_eq!(viewers_within(RESERVED), 0);
        assert_eq!(viewers_within(RESERVED + 20_000), 20_000);
    }

    /// Runs on this machine: afterwards the soft limit equals the hard one.
    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        use rustix::process::{Resource, getrlimit};
        let limit = raise(1).unwrap();
        let now = getrlimit(Resource::Nofile);
        assert_eq!(now.current, Some(limit));
        assert_eq!(now.current, now.maximum);
    }
}
