//! Facts about a host that stay the same for the life of a server process, sent
//! once in the hello rather than in every sample.

use serde::{Deserialize, Serialize};

/// Static description of the machine a server runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostInfo {
    /// The host name as the machine itself reports it.
    pub hostname: String,
    /// Operating system name, e.g. "Debian GNU/Linux".
    pub os_name: String,
    /// Operating system version, e.g. "12".
    pub os_version: String,
    /// Kernel version, e.g. "6.1.0-18-amd64".
    pub kernel_version: String,
    /// CPU architecture, e.g. "`x86_64`".
    pub architecture: String,
    /// Brand string of the first CPU.
    pub cpu_model: String,
    /// Number of logical CPUs (the length of `per_core_percent` in every sample).
    pub core_count: u32,
    /// Installed memory.
    pub memory_total_bytes: u64,
    /// When the host booted, in seconds since the Unix epoch.
    pub boot_time_secs: u64,
}
