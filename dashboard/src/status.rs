//! How a host's connection stands, as the panels show it: the link's state
//! turned into what a person reads, so no panel depends on the link.

/// Where a host's connection stands at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Dialling; no answer yet.
    Connecting,
    /// Open, and the server greeted us.
    Live,
    /// Not connected; the next attempt starts by itself.
    Down {
        /// Why, in words for a person.
        reason: String,
        /// Whole seconds until the next attempt, rounded up.
        retry_in_secs: u64,
    },
    /// The server wants a token (401): nothing more happens until one is
    /// given.
    Refused {
        /// Whether a token was presented (and refused), or none was.
        token_sent: bool,
    },
}

impl Connection {
    /// A short word for the list: "live", "connecting…", "disconnected".
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Connecting => "connecting…",
            Self::Down { .. } => "disconnected",
            Self::Refused { token_sent: false } => "token needed",
            Self::Refused { token_sent: true } => "token refused",
        }
    }

    /// The state line: "live", "connecting…", "disconnected: why —
    /// retrying in 3 s", or why the token was refused.
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::Live | Self::Connecting => self.word().to_owned(),
            Self::Down {
                reason,
                retry_in_secs,
            } => format!("disconnected: {reason} — retrying in {retry_in_secs} s"),
            Self::Refused { token_sent: false } => {
                "no token sent: the server wants one (401)".to_owned()
            }
            Self::Refused { token_sent: true } => {
                "token refused (401): the server wants another".to_owned()
            }
        }
    }

    /// "retry in 5 s" while down: when the next attempt starts.
    #[must_use]
    pub fn retry_hint(&self) -> Option<String> {
        match self {
            Self::Down { retry_in_secs, .. } => Some(format!("retry in {retry_in_secs} s")),
            Self::Live | Self::Connecting | Self::Refused { .. } => None,
        }
    }

    /// True while samples flow.
    #[must_use]
    pub fn is_live(&self) -> bool {
        *self == Self::Live
    }

    /// True while down, waiting for the next attempt.
    #[must_use]
    pub fn is_down(&self) -> bool {
        matches!(self, Self::Down { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_down_connection_says_why_and_when_it_retries() {
        let down = Connection::Down {
            reason: "connection lost".to_owned(),
            retry_in_secs: 3,
        };
        assert_eq!(
            down.text(),
            "disconnected: connection lost — retrying in 3 s"
        );
        assert_eq!(down.retry_hint().as_deref(), Some("retry in 3 s"));
        assert_eq!(down.word(), "disconnected");
        assert_eq!(Connection::Live.retry_hint(), None);
        assert!(Connection::Live.is_live() && !Connection::Connecting.is_live());
    }
}
