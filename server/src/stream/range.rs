//! The stream's reads of the history on disk: a `history_range` or
//! `processes_request` from a viewer, answered with a `history_range`,
//! `processes` or `request_error` carrying the request's `id`. The session
//! awaits the answer before it reads the viewer's next message, so one
//! viewer has one read running at most; the reads themselves are bounded
//! server-wide ([`crate::archive::Archive::read`]).

use hostpulse_shared::{
    HistoryRange, ProcessesAt, ProcessesRequest, RangeRequest, RequestError, ServerMessageRef,
};

use crate::archive::reads::{self, Refusal};
use crate::hub::Hub;

/// What a session sends back for a read.
#[derive(Debug)]
pub(crate) enum Answer {
    /// The range asked.
    Range(HistoryRange),
    /// The processes asked.
    Processes(ProcessesAt),
    /// Why it could not be read.
    Refused(RequestError),
}

impl Answer {
    /// The answer as a message.
    pub(crate) fn message(&self) -> ServerMessageRef<'_> {
        match self {
            Self::Range(range) => ServerMessageRef::HistoryRange(range),
            Self::Processes(processes) => ServerMessageRef::Processes(processes),
            Self::Refused(error) => ServerMessageRef::RequestError(error),
        }
    }
}

/// Answers a `history_range` request.
pub(crate) async fn history_range(hub: &Hub, request: RangeRequest) -> Answer {
    let RangeRequest {
        id,
        from_ms,
        to_ms,
        points,
    } = request;
    match reads::range(hub, id, from_ms, to_ms, points).await {
        Ok(range) => Answer::Range(range),
        Err(refusal) => refused(id, &refusal),
    }
}

/// Answers a `processes_request`.
pub(crate) async fn processes(hub: &Hub, request: ProcessesRequest) -> Answer {
    match reads::processes(hub, request.id, request.at_ms).await {
        Ok(processes) => Answer::Processes(processes),
        Err(refusal) => refused(request.id, &refusal),
    }
}

fn refused(id: u32, refusal: &Refusal) -> Answer {
    let message = match refusal.field() {
        Some(field) => format!("`{field}`: {refusal}"),
        None => refusal.to_string(),
    };
    Answer::Refused(RequestError { id, message })
}
