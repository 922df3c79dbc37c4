//! The query strings that axum's `Query` extractor decodes into a struct: those of
//! `GET /v1/evaluation`, `/v1/devices`, `/v1/tokens`, `/v1/audit` and Open311's
//! `requests` and `services` lists. Each struct and the function that checks it and
//! turns it into what the handler runs are here, pure, so the fuzz targets in `fuzz/`
//! run the handlers' own code. (The case, map and patrol lists have parsers of their
//! own: [`crate::query`], [`crate::mapview`], [`crate::patrol_query`].)

use crate::{account::Account, evaluation::GroupBy, query::QueryError};
use chrono::DateTime;
use serde::Deserialize;
use std::collections::HashMap;

fn invalid(msg: impl Into<String>) -> QueryError {
    QueryError::Invalid(msg.into())
}

/// `format=json` (default, `false`) or `format=csv` (`true`).
fn csv(format: Option<&str>) -> Result<bool, QueryError> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(invalid(format!("format={other:?}: json or csv"))),
    }
}

/// Thirty days, the evaluation's default period.
const DEFAULT_PERIOD_MS: i64 = 30 * 24 * 3_600_000;

/// The parameters of `GET /v1/evaluation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationParams {
    /// Start of the period (unix ms, inclusive); default 30 days before `to_ms`.
    from_ms: Option<i64>,
    /// End of the period (unix ms, exclusive); default now.
    to_ms: Option<i64>,
    /// A grid-code prefix inside the caller's scope; default the whole scope.
    area: Option<String>,
    /// How to group the rows; default `street`.
    by: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// A checked evaluation query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationQuery {
    /// Start of the period, unix ms, inclusive.
    pub from_ms: i64,
    /// End of the period, unix ms, exclusive; after `from_ms`.
    pub to_ms: i64,
    /// The grid-code prefixes evaluated, each inside the caller's scope.
    pub areas: Vec<String>,
    /// The grouping, and its name as asked for.
    pub by: GroupBy,
    /// The grouping's name (`street` by default).
    pub by_name: String,
    /// CSV rather than JSON.
    pub csv: bool,
}

/// Checks the evaluation parameters for `caller` at the server's time `now_ms`.
pub fn evaluation(
    p: EvaluationParams,
    caller: &Account,
    now_ms: i64,
) -> Result<EvaluationQuery, QueryError> {
    let to_ms = p.to_ms.unwrap_or(now_ms);
    let from_ms = p.from_ms.unwrap_or(to_ms.saturating_sub(DEFAULT_PERIOD_MS));
    if from_ms >= to_ms {
        return Err(invalid(format!(
            "the period is empty: from_ms {from_ms} is not before to_ms {to_ms}"
        )));
    }
    let by_name = p.by.unwrap_or_else(|| "street".into());
    let by: GroupBy = by_name.parse().map_err(QueryError::Invalid)?;
    let csv = csv(p.format.as_deref())?;
    let areas = match p.area {
        Some(area) => {
            if !area.chars().all(|c| c.is_ascii_digit()) || area.len() > 15 {
                return Err(invalid(format!(
                    "area={area:?}: a grid-code prefix (digits) expected"
                )));
            }
            if !caller.scope.iter().any(|s| area.starts_with(s.as_str())) {
                return Err(QueryError::OutOfScope(format!(
                    "area {area} lies outside your scope"
                )));
            }
            vec![area]
        }
        None => caller.scope.clone(),
    };
    Ok(EvaluationQuery {
        from_ms,
        to_ms,
        areas,
        by,
        by_name,
        csv,
    })
}

/// The parameters of `GET /v1/devices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceParams {
    /// `json` (default) or `csv`.
    format: Option<String>,
    /// Only devices not in contact since this time, unix ms.
    stale_since: Option<i64>,
    /// Only this user's devices.
    user: Option<String>,
}

/// A checked device-list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceQuery {
    /// CSV rather than JSON.
    pub csv: bool,
    /// Only devices not in contact since this time, unix ms (not negative).
    pub stale_since: Option<i64>,
    /// Only this user's devices.
    pub user: Option<String>,
}

/// Checks the device-list parameters.
pub fn devices(p: DeviceParams) -> Result<DeviceQuery, QueryError> {
    let csv = csv(p.format.as_deref())?;
    if p.stale_since.is_some_and(|t| t < 0) {
        return Err(invalid("stale_since: a time in unix milliseconds expected"));
    }
    Ok(DeviceQuery {
        csv,
        stale_since: p.stale_since,
        user: p.user,
    })
}

/// The parameters of `GET /v1/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenParams {
    /// Only this user's tokens.
    pub user: Option<String>,
}

/// The parameters of `GET /v1/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    limit: Option<u32>,
}

/// The number of audit entries to answer: default 100, from 1 to 1000.
pub fn audit_limit(p: &AuditParams) -> u32 {
    p.limit.unwrap_or(100).clamp(1, 1000)
}

/// The widest date range one Open311 `GET requests` may ask for, days, as the
/// standard has it.
pub const OPEN311_MAX_RANGE_DAYS: i64 = 90;
const DAY_MS: i64 = 24 * 3_600_000;

/// The parameters of Open311's `GET requests`.
#[derive(Debug, Default, Deserialize)]
pub struct Open311ListParams {
    service_request_id: Option<String>,
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
}

/// A checked Open311 request-list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Open311List {
    /// The requests of these ids (they override every other parameter, as the
    /// standard has it); ids need not parse.
    Ids(Vec<String>),
    /// The requests filed in a date range.
    Filter {
        /// The workflow statuses asked for (empty: every one).
        statuses: Vec<&'static str>,
        /// Start of the range, unix ms.
        from_ms: i64,
        /// End of the range, unix ms; not before `from_ms`.
        to_ms: i64,
        /// The service codes asked for, as given (empty: every one).
        codes: Vec<String>,
    },
}

fn parse_date(name: &str, text: &str) -> Result<i64, QueryError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            invalid(format!(
                "{name}: {text:?} is not a W3C datetime with a time zone, e.g. 2026-11-23T09:00:00+08:00"
            ))
        })
}

fn list_of(text: &Option<String>) -> Vec<String> {
    text.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Checks Open311's request-list parameters at the server's time `now_ms`.
pub fn open311_list(p: &Open311ListParams, now_ms: i64) -> Result<Open311List, QueryError> {
    use gridwork_core::workflow::Status;
    let ids = list_of(&p.service_request_id);
    if !ids.is_empty() {
        return Ok(Open311List::Ids(ids));
    }
    let mut statuses = Vec::new();
    for s in list_of(&p.status) {
        let terminal = match s.as_str() {
            "open" => false,
            "closed" => true,
            other => {
                return Err(invalid(format!(
                    "status: {other:?}; open or closed expected"
                )))
            }
        };
        statuses.extend(
            Status::ALL
                .into_iter()
                .filter(|st| st.is_terminal() == terminal)
                .map(Status::as_str),
        );
    }
    let end = p
        .end_date
        .as_deref()
        .map(|t| parse_date("end_date", t))
        .transpose()?;
    let start = p
        .start_date
        .as_deref()
        .map(|t| parse_date("start_date", t))
        .transpose()?;
    let range = OPEN311_MAX_RANGE_DAYS * DAY_MS;
    let (from_ms, to_ms) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s + range),
        (None, Some(e)) => (e - range, e),
        (None, None) => (now_ms - range, now_ms + 1),
    };
    if to_ms < from_ms {
        return Err(invalid("end_date is before start_date"));
    }
    if start.is_some() && end.is_some() && to_ms - from_ms > range {
        return Err(invalid(format!(
            "the date range spans more than {OPEN311_MAX_RANGE_DAYS} days"
        )));
    }
    Ok(Open311List::Filter {
        statuses,
        from_ms,
        to_ms,
        codes: list_of(&p.service_code),
    })
}

/// Whether Open311's `GET services` asks for English names (`locale=en…`).
pub fn open311_english(params: &HashMap<String, String>) -> bool {
    params.get("locale").is_some_and(|l| l.starts_with("en"))
}
