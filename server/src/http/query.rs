//! Query-string parameters of `/ws` and the REST routes, parsed strictly: an
//! unknown parameter or a bad value is refused with the parameter named, so a
//! typo is reported instead of silently ignored.

use std::collections::HashMap;

use actix_web::{HttpResponse, ResponseError, http::StatusCode};

use crate::http::error;

/// A query parameter that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter `{parameter}`: {problem}")]
pub struct QueryError {
    /// The parameter's name.
    pub parameter: String,
    /// What is wrong with it, and what is expected.
    pub problem: String,
}

impl ResponseError for QueryError {
    fn status_code(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }

    fn error_response(&self) -> HttpResponse {
        error::respond_about(
            &mut HttpResponse::BadRequest(),
            &self.to_string(),
            &self.parameter,
        )
    }
}

/// The parameters of one request.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses `query`, refusing names not in `known` and repeated names.
    pub fn parse(query: &str, known: &[&str]) -> Result<Self, QueryError> {
        let mut params = HashMap::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if !known.contains(&name.as_ref()) {
                let problem = if known.is_empty() {
                    "unknown parameter; this path takes none".to_owned()
                } else {
                    format!("unknown parameter; known ones are {}", known.join(", "))
                };
                return Err(QueryError {
                    problem,
                    parameter: name.into_owned(),
                });
            }
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(QueryError {
                    parameter: name.into_owned(),
                    problem: "given more than once".into(),
                });
            }
        }
        Ok(Self(params))
    }

    /// Refuses `name` given together with any of `others`.
    pub fn refuse_with(&self, name: &str, others: &[&str]) -> Result<(), QueryError> {
        match others.iter().find(|other| self.0.contains_key(**other)) {
            Some(other) => Err(QueryError {
                parameter: name.to_owned(),
                problem: format!("cannot be combined with `{other}`; give one or the other"),
            }),
            None => Ok(()),
        }
    }

    /// Whether `name` was given at all.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The value of `name` as a moment, in Unix ms, if given: an RFC 3339
    /// time (`2026-01-05T14:30:00Z`, any offset) or Unix seconds (a fraction
    /// allowed).
    pub fn time_ms(&self, name: &str) -> Result<Option<u64>, QueryError> {
        let Some(text) = self.0.get(name) else {
            return Ok(None);
        };
        let seconds = text
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked: finite, >= 0
        let from_seconds = seconds.map(|s| (s * 1000.0).round() as u64);
        let from_rfc3339 = || {
            text.parse::<jiff::Timestamp>()
                .ok()
                .and_then(|t| u64::try_from(t.as_millisecond()).ok())
        };
        match from_seconds.or_else(from_rfc3339) {
            Some(ms) => Ok(Some(ms)),
            None => Err(QueryError {
                parameter: name.to_owned(),
                problem: format!(
                    "expected a time: RFC 3339 such as 2026-01-05T14:30:00Z, or Unix seconds \
                     such as 1767623400; got {text:?}"
                ),
            }),
        }
    }

    /// The value of `name` as a whole number in `range`, if given.
    pub fn u64_in(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>, QueryError> {
        let Some(text) = self.0.get(name) else {
            return Ok(None);
        };
        match text.parse::<u64>() {
            Ok(value) if range.contains(&value) => Ok(Some(value)),
            _ => Err(QueryError {
                parameter: name.to_owned(),
                problem: format!(
                    "expected a whole number from {} to {}, got {text:?}",
                    range.start(),
                    range.end()
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_parameters_parse_and_bad_ones_are_named() {
        let params = Params::parse("limit=20&since_seq=5", &["limit", "since_seq"]).unwrap();
        assert_eq!(params.u64_in("limit", 1..=100).unwrap(), Some(20));
        assert_eq!(params.u64_in("since_seq", 0..=u64::MAX).unwrap(), Some(5));
        assert_eq!(params.u64_in("absent", 0..=1).unwrap(), None);

        let error = params.u64_in("limit", 1..=10).unwrap_err();
        assert_eq!(error.parameter, "limit");
        assert!(error.problem.contains("from 1 to 10"), "{error}");

        let error = Params::parse("limt=20", &["limit"]).unwrap_err();
        assert_eq!(error.parameter, "limt");
        let error = Params::parse("limit=1&limit=2", &["limit"]).unwrap_err();
        assert_eq!(error.problem, "given more than once");
        let bad = Params::parse("limit=-3", &["limit"]).unwrap();
        assert!(bad.u64_in("limit", 1..=10).is_err());

        let both = Params::parse("latest=5&limit=2", &["latest", "limit", "since_seq"]).unwrap();
        let error = both
            .refuse_with("latest", &["since_seq", "limit"])
            .unwrap_err();
        assert_eq!(error.parameter, "latest");
        assert!(error.problem.contains("`limit`"), "{error}");
        assert!(both.refuse_with("limit", &["since_seq"]).is_ok());
    }

    #[test]
    fn times_are_rfc_3339_or_unix_seconds() {
        let params = Params::parse(
            "a=2026-01-05T14:30:00Z&b=1767623400&c=1767623400.25&d=2026-01-05T15:30:00%2B01:00&e=yesterday&f=-5",
            &["a", "b", "c", "d", "e", "f"],
        )
        .unwrap();
        assert_eq!(params.time_ms("a").unwrap(), Some(1_767_623_400_000));
        assert_eq!(params.time_ms("b").unwrap(), Some(1_767_623_400_000));
        assert_eq!(params.time_ms("c").unwrap(), Some(1_767_623_400_250));
        assert_eq!(params.time_ms("d").unwrap(), Some(1_767_623_400_000));
        assert_eq!(params.time_ms("absent").unwrap(), None);
        for bad in ["e", "f"] {
            let error = params.time_ms(bad).unwrap_err();
            assert_eq!(error.parameter, bad);
            assert!(error.problem.contains("RFC 3339"), "{error}");
        }
    }
}
