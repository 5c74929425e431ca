//! Turning each viewer's outcome into the run's totals: how many samples the
//! normal viewers should have had and got, and how the stalled ones ended.
//! Kept apart from [`crate::run`], which only gathers the outcomes.

use crate::report::{ConnectSummary, SampleSummary, StalledSummary};
use crate::stalled::{self, StallEnd, StallOutcome};
use crate::viewer::ViewerOutcome;

/// Sums the normal viewers' outcomes (or connection errors) against the
/// newest seq of the run, counting connections into `connect`.
pub fn viewers(
    results: Vec<Result<ViewerOutcome, String>>,
    last_seq: Option<u64>,
    connect: &mut ConnectSummary,
) -> SampleSummary {
    let mut summary = SampleSummary {
        last_seq,
        ..SampleSummary::default()
    };
    for result in results {
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(error) => {
                connect.viewers_failed += 1;
                summary
                    .first_problem
                    .get_or_insert_with(|| format!("a viewer could not connect: {error}"));
                *connect.errors.entry(error).or_default() += 1;
                continue;
            }
        };
        connect.viewers_connected += 1;
        let target = last_seq.unwrap_or(0);
        let (expected, missed) = if last_seq.is_some() {
            (
                outcome.seqs.expected_up_to(target),
                outcome.seqs.missed_up_to(target),
            )
        } else {
            (0, 0)
        };
        summary.expected += expected;
        summary.missed += missed;
        summary.received += expected - missed;
        summary.duplicates += outcome.seqs.duplicates();
        summary.epoch_changes += outcome.seqs.epoch_changes();
        summary.caught_up += outcome.caught_up;
        summary.resets += outcome.resets;
        summary.server_errors += outcome.server_errors;
        summary.decode_errors += outcome.decode_errors;
        let received_nothing = last_seq.is_some() && outcome.seqs.last().is_none();
        if missed > 0 || received_nothing {
            summary.viewers_missing += 1;
            summary.first_problem.get_or_insert_with(|| {
                if received_nothing {
                    "a viewer received no sample".to_owned()
                } else {
                    format!(
                        "a viewer missed {missed} of {expected} samples (first seq {}, last {})",
                        outcome.seqs.first().unwrap_or(0),
                        outcome.seqs.last().unwrap_or(0)
                    )
                }
            });
        }
        if outcome.seqs.duplicates() > 0 {
            summary
                .first_problem
                .get_or_insert_with(|| "a viewer received a sample twice".to_owned());
        }
        if let Some(error) = outcome.first_decode_error {
            summary
                .first_problem
                .get_or_insert_with(|| format!("a frame did not decode: {error}"));
        }
        if let Some(end) = outcome.ended_early {
            summary.viewers_ended_early += 1;
            summary
                .first_problem
                .get_or_insert_with(|| format!("a viewer's connection ended early: {end}"));
        }
    }
    summary
}

/// Sums the stalled viewers' outcomes, counting connections into `connect`.
pub fn stalled(
    results: Vec<Result<StallOutcome, String>>,
    connect: &mut ConnectSummary,
) -> StalledSummary {
    let mut summary = StalledSummary::default();
    let mut drained_total = 0;
    for result in results {
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(error) => {
                connect.stalled_failed += 1;
                *connect.errors.entry(error).or_default() += 1;
                continue;
            }
        };
        connect.stalled_connected += 1;
        drained_total += outcome.drained_bytes;
        summary.drained_bytes_max = summary.drained_bytes_max.max(outcome.drained_bytes);
        let end = match outcome.end {
            StallEnd::Closed { code, reason } => {
                *summary.close_codes.entry(code).or_default() += 1;
                format!("closed {code} \"{reason}\"")
            }
            StallEnd::Dropped => "dropped without a close frame".to_owned(),
            StallEnd::StillOpen => "still open (the server was still sending)".to_owned(),
            StallEnd::DrainTimedOut => format!(
                "still unread after {} s of reading",
                stalled::DRAIN_TIMEOUT.as_secs()
            ),
            StallEnd::Failed { error } => format!("read failed: {error}"),
        };
        *summary.ends.entry(end).or_default() += 1;
    }
    if connect.stalled_connected > 0 {
        summary.drained_bytes_mean = drained_total / connect.stalled_connected as u64;
    }
    summary
}
