//! The supervisor API's case-list query, pure: parsing and checking the parameters of
//! `GET /v1/cases` against the caller's scope, and the opaque keyset cursor.
//!
//! Both backends turn a [`CaseFilter`] into SQL (see [`crate::storage`]); nothing here
//! touches storage, so every rule is tested without a server.

use crate::account::Account;
use gridwork_core::workflow::Status;
use uuid::Uuid;

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size; a larger one is refused, not clamped.
pub const MAX_LIMIT: u32 = 200;
/// Longest text search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query does not parse or breaks a limit (400).
    #[error("{0}")]
    Invalid(String),
    /// The area lies outside the caller's scope (403).
    #[error("{0}")]
    OutOfScope(String),
}

/// Where a page starts: after the case with this receive time and id, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The last listed case's `received_ms`.
    pub received_ms: i64,
    /// The last listed case's id.
    pub id: Uuid,
}

impl Cursor {
    /// The opaque text handed to clients (hex of `received_ms.id`).
    pub fn encode(&self) -> String {
        hex::encode(format!("{}.{}", self.received_ms, self.id.simple()))
    }

    /// Reads a cursor made by [`Cursor::encode`].
    pub fn decode(text: &str) -> Result<Self, QueryError> {
        let bad =
            || QueryError::Invalid(format!("next: {text:?} is not a cursor this server made"));
        let bytes = hex::decode(text).map_err(|_| bad())?;
        let plain = String::from_utf8(bytes).map_err(|_| bad())?;
        let (ms, id) = plain.split_once('.').ok_or_else(bad)?;
        let received_ms = ms.parse().map_err(|_| bad())?;
        let id = Uuid::try_parse(id).map_err(|_| bad())?;
        Ok(Cursor { received_ms, id })
    }
}

/// What `overdue=` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    /// Only cases whose server deadline has passed (dispatched, deadline before now).
    Only,
    /// Only cases that are not overdue.
    Not,
}

/// A checked case-list query, ready for a backend: every value is bound as a
/// parameter, never spliced into SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFilter {
    /// Cell prefixes a case must start with one of (the area, or else the caller's
    /// scope); empty means everywhere.
    pub prefixes: Vec<String>,
    /// Statuses (wire names) a case must have one of; empty means any.
    pub statuses: Vec<&'static str>,
    /// Category code, exactly.
    pub category: Option<String>,
    /// Department, exactly.
    pub department: Option<String>,
    /// Overdue or not, by the server's deadline against `now_ms`.
    pub overdue: Option<Overdue>,
    /// The server's clock for `overdue`, unix ms.
    pub now_ms: i64,
    /// With unresolved conflicts (`true`) or without (`false`).
    pub conflict: Option<bool>,
    /// Normalised text (see [`normalise`]) the report's description or address holds.
    pub text: Option<String>,
    /// The channel the report came by (`grid_worker`, `resident`, `hotline` …).
    pub source: Option<gridwork_core::model::Source>,
    /// With a department's application waiting for the shift lead (`true`) or without.
    pub application: Option<bool>,
    /// Reports the server received at or after this, unix ms.
    pub from_ms: Option<i64>,
    /// Reports the server received before this, unix ms.
    pub to_ms: Option<i64>,
    /// Where the page starts.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: u32,
}

/// Text as it is searched: lower case (so `Bin` finds `bin`; CJK is unchanged), white
/// space runs made one space. Applied to the stored search column and to the query.
pub fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The search column of a report: its description and address, normalised.
pub fn search_text(description: &str, address: Option<&str>) -> String {
    match address {
        Some(a) => normalise(&format!("{description}\n{a}")),
        None => normalise(description),
    }
}

const PARAMS: &[&str] = &[
    "area",
    "status",
    "category",
    "department",
    "overdue",
    "conflict",
    "q",
    "source",
    "application",
    "reported_from",
    "reported_to",
    "limit",
    "next",
];

pub(crate) fn invalid(msg: impl Into<String>) -> QueryError {
    QueryError::Invalid(msg.into())
}

fn millis(name: &str, v: &str) -> Result<i64, QueryError> {
    v.parse::<i64>()
        .ok()
        .filter(|ms| *ms >= 0)
        .ok_or_else(|| invalid(format!("{name}: {v:?} is not a time in unix milliseconds")))
}

/// The range of a `…_from` / `…_to` pair of unix-ms parameters (either may be absent;
/// `from` after `to` is refused).
pub(crate) fn time_range(
    (from_name, from): (&str, Option<&str>),
    (to_name, to): (&str, Option<&str>),
) -> Result<(Option<i64>, Option<i64>), QueryError> {
    let from_ms = from.map(|v| millis(from_name, v)).transpose()?;
    let to_ms = to.map(|v| millis(to_name, v)).transpose()?;
    if let (Some(f), Some(t)) = (from_ms, to_ms) {
        if f > t {
            return Err(invalid(format!(
                "{from_name} ({f}) is after {to_name} ({t})"
            )));
        }
    }
    Ok((from_ms, to_ms))
}

/// The page size of a `limit` parameter: [`DEFAULT_LIMIT`] when absent, refused (not
/// clamped) over [`MAX_LIMIT`].
pub(crate) fn page_limit(v: Option<&str>) -> Result<u32, QueryError> {
    let Some(v) = v else {
        return Ok(DEFAULT_LIMIT);
    };
    match v.parse::<u32>() {
        Ok(n @ 1..=MAX_LIMIT) => Ok(n),
        Ok(n) if n > MAX_LIMIT => Err(invalid(format!(
            "limit: {n} is over the largest page size, {MAX_LIMIT}"
        ))),
        _ => Err(invalid(format!(
            "limit: {v:?}: a page size from 1 to {MAX_LIMIT} expected"
        ))),
    }
}

fn code(name: &str, v: &str) -> Result<String, QueryError> {
    if v.is_empty() || v.len() > 64 || v.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{name}: 1 to 64 characters without control characters expected"
        )));
    }
    Ok(v.to_string())
}

/// Checks the query parameters of `GET /v1/cases` for `caller` at the server's time
/// `now_ms`. Unknown or repeated parameters are refused, so a typo never silently
/// widens a list.
pub fn parse(
    pairs: &[(String, String)],
    caller: &Account,
    now_ms: i64,
) -> Result<CaseFilter, QueryError> {
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in pairs {
        if !PARAMS.contains(&k.as_str()) {
            return Err(invalid(format!(
                "unknown parameter {k:?} (known: {})",
                PARAMS.join(", ")
            )));
        }
        if !seen.insert(k.as_str()) {
            return Err(invalid(format!("parameter {k:?} given twice")));
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // A department's account lists the cases dispatched to it (as the lead), in its
    // areas; its scope holds department keys, not cells.
    let areas;
    let scope: &[String] = match caller.department() {
        Some(_) => {
            areas = caller.department_areas();
            &areas
        }
        None => &caller.scope,
    };
    let prefixes = match get("area") {
        Some(area) => {
            if area.is_empty() || area.len() > 15 || !area.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(format!(
                    "area: {area:?} is not a grid-code prefix (1 to 15 digits)"
                )));
            }
            if !scope.iter().any(|p| area.starts_with(p.as_str())) {
                return Err(QueryError::OutOfScope(format!(
                    "area {area} lies outside your scope"
                )));
            }
            vec![area.to_string()]
        }
        None if scope.iter().any(String::is_empty) => vec![],
        None => scope.to_vec(),
    };
    let mut statuses = Vec::new();
    if let Some(list) = get("status") {
        for s in list.split(',') {
            let status: Status = s.parse().map_err(|_| {
                let known: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
                invalid(format!(
                    "status: {s:?} is not a status (known: {})",
                    known.join(", ")
                ))
            })?;
            if !statuses.contains(&status.as_str()) {
                statuses.push(status.as_str());
            }
        }
    }
    let overdue = match get("overdue") {
        None => None,
        Some("true") => Some(Overdue::Only),
        Some("false") => Some(Overdue::Not),
        Some(v) => return Err(invalid(format!("overdue: {v:?}: true or false expected"))),
    };
    let conflict = match get("conflict") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(v) => return Err(invalid(format!("conflict: {v:?}: true or false expected"))),
    };
    let text = match get("q") {
        None => None,
        Some(q) => {
            let n = normalise(q);
            if n.is_empty() || n.chars().count() > MAX_SEARCH_CHARS {
                return Err(invalid(format!(
                    "q: 1 to {MAX_SEARCH_CHARS} characters of text expected"
                )));
            }
            Some(n)
        }
    };
    let application = match get("application") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(v) => {
            return Err(invalid(format!(
                "application: {v:?}: true or false expected"
            )))
        }
    };
    let source = get("source")
        .map(|v| {
            gridwork_core::model::Source::parse(v).ok_or_else(|| {
                let known: Vec<_> = gridwork_core::model::Source::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                invalid(format!(
                    "source: {v:?} is not a source (known: {})",
                    known.join(", ")
                ))
            })
        })
        .transpose()?;
    let (from_ms, to_ms) = time_range(
        ("reported_from", get("reported_from")),
        ("reported_to", get("reported_to")),
    )?;
    let limit = page_limit(get("limit"))?;
    Ok(CaseFilter {
        prefixes,
        statuses,
        category: get("category").map(|v| code("category", v)).transpose()?,
        department: match caller.department() {
            Some(own) => match get("department")
                .map(|v| code("department", v))
                .transpose()?
            {
                Some(other) if other != own => {
                    return Err(QueryError::OutOfScope(format!(
                        "department {other}: you see the cases of {own} only"
                    )))
                }
                _ => Some(own.to_string()),
            },
            None => get("department")
                .map(|v| code("department", v))
                .transpose()?,
        },
        overdue,
        now_ms,
        conflict,
        text,
        source,
        application,
        from_ms,
        to_ms,
        after: get("next").map(Cursor::decode).transpose()?,
        limit,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwork_core::model::Role;

    fn caller(scope: &[&str]) -> Account {
        Account {
            user: "wang".into(),
            role: Role::Supervisor,
            scope: scope.iter().map(|s| s.to_string()).collect(),
            password_hash: None,
        }
    }

    fn q(pairs: &[(&str, &str)], scope: &[&str]) -> Result<CaseFilter, QueryError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(&pairs, &caller(scope), 1_000)
    }

    #[test]
    fn no_parameters_list_the_whole_scope_newest_first_in_pages_of_50() {
        let f = q(&[], &["320508001", "320508002"]).unwrap();
        assert_eq!(f.prefixes, vec!["320508001", "320508002"]);
        assert_eq!(f.limit, DEFAULT_LIMIT);
        assert!(f.statuses.is_empty() && f.after.is_none() && f.text.is_none());
        assert!(q(&[], &[""]).unwrap().prefixes.is_empty(), "everywhere");
    }

    #[test]
    fn an_area_must_lie_inside_the_scope() {
        let f = q(&[("area", "32050800101")], &["320508001"]).unwrap();
        assert_eq!(f.prefixes, vec!["32050800101"]);
        assert!(matches!(
            q(&[("area", "320508002")], &["320508001"]),
            Err(QueryError::OutOfScope(_))
        ));
        assert!(matches!(
            q(&[("area", "3205")], &["320508001"]),
            Err(QueryError::OutOfScope(_)),
        ));
        assert_eq!(
            q(&[("area", "3205")], &[""]).unwrap().prefixes,
            vec!["3205"]
        );
        for bad in ["", "32a", "1234567890123456", "3205%"] {
            assert!(
                matches!(q(&[("area", bad)], &[""]), Err(QueryError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn statuses_are_the_workflows_and_repeats_collapse() {
        let f = q(&[("status", "dispatched,handled,dispatched")], &[""]).unwrap();
        assert_eq!(f.statuses, vec!["dispatched", "handled"]);
        for bad in ["open", "", "dispatched,", "Dispatched"] {
            let e = q(&[("status", bad)], &[""]).unwrap_err();
            assert!(e.to_string().contains("status"), "{bad}: {e}");
        }
    }

    #[test]
    fn page_sizes_over_the_limit_are_refused_not_clamped() {
        assert_eq!(q(&[("limit", "200")], &[""]).unwrap().limit, 200);
        assert_eq!(q(&[("limit", "1")], &[""]).unwrap().limit, 1);
        let e = q(&[("limit", "201")], &[""]).unwrap_err();
        assert!(
            e.to_string().contains("over the largest page size, 200"),
            "{e}"
        );
        for bad in ["0", "-1", "ten", "", "99999999999"] {
            assert!(q(&[("limit", bad)], &[""]).is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_anything_else_is_refused() {
        let c = Cursor {
            received_ms: 1_767_000_000_123,
            id: Uuid::now_v7(),
        };
        let text = c.encode();
        assert!(text.chars().all(|ch| ch.is_ascii_hexdigit()), "URL-safe");
        assert_eq!(Cursor::decode(&text), Ok(c));
        let f = q(&[("next", &text)], &[""]).unwrap();
        assert_eq!(f.after, Some(c));
        for bad in [
            "",
            "zz",
            "abc",
            &hex::encode("12.nope"),
            &hex::encode("x.y"),
        ] {
            let e = q(&[("next", bad)], &[""]).unwrap_err();
            assert!(matches!(e, QueryError::Invalid(_)), "{bad}");
        }
    }

    #[test]
    fn text_search_is_normalised_and_bounded() {
        let f = q(&[("q", "  Overflowing   BIN ")], &[""]).unwrap();
        assert_eq!(f.text.as_deref(), Some("overflowing bin"));
        assert_eq!(
            q(&[("q", "垃圾")], &[""]).unwrap().text.as_deref(),
            Some("垃圾")
        );
        assert!(q(&[("q", "   ")], &[""]).is_err());
        assert!(q(&[("q", &"字".repeat(201))], &[""]).is_err());
        assert_eq!(
            search_text("暴露垃圾堆在桥边", Some("Renmin  Rd")),
            "暴露垃圾堆在桥边 renmin rd"
        );
    }

    #[test]
    fn times_are_unix_milliseconds_in_order() {
        let f = q(&[("reported_from", "10"), ("reported_to", "20")], &[""]).unwrap();
        assert_eq!((f.from_ms, f.to_ms), (Some(10), Some(20)));
        assert!(q(&[("reported_from", "2026-01-01")], &[""]).is_err());
        assert!(q(&[("reported_from", "-5")], &[""]).is_err());
        assert!(q(&[("reported_from", "30"), ("reported_to", "20")], &[""]).is_err());
    }

    #[test]
    fn unknown_repeated_or_odd_parameters_are_refused() {
        assert!(q(&[("stauts", "closed")], &[""])
            .unwrap_err()
            .to_string()
            .contains("unknown parameter"));
        assert!(q(&[("q", "a"), ("q", "b")], &[""])
            .unwrap_err()
            .to_string()
            .contains("twice"));
        assert!(q(&[("overdue", "yes")], &[""]).is_err());
        assert_eq!(
            q(&[("overdue", "true")], &[""]).unwrap().overdue,
            Some(Overdue::Only)
        );
        assert!(q(&[("category", "")], &[""]).is_err());
        assert!(q(&[("department", "a\u{0}b")], &[""]).is_err());
        assert_eq!(
            q(&[("department", "sanitation")], &[""])
                .unwrap()
                .department
                .as_deref(),
            Some("sanitation")
        );
    }
}
