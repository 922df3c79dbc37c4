//! The incident projection: one row per case, folded from its events, with indexes for
//! the worker's lists and an FTS5 index over descriptions and addresses.

use super::events::{stream_events, StoredEvent};
use crate::{
    error::{Error, Result},
    model::{Event, Stream},
    workflow::{self, Case, Status},
};
use rusqlite::{params, params_from_iter, types::Value, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most rows one page may hold.
pub const MAX_PAGE_SIZE: u32 = 500;

/// What to list. Every field narrows the list; the default lists everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListFilter {
    /// A cell code or a prefix of one (district, street, community).
    pub cell_prefix: Option<String>,
    /// Only cases in this status.
    pub status: Option<Status>,
    /// Only cases past their handling deadline.
    pub overdue: bool,
    /// Only cases with this department or handler.
    pub assignee: Option<String>,
    /// Full-text search over description and address.
    pub search: Option<String>,
    /// Only cases with an event the server refused (a rejected step, or a rejected
    /// report). The CLI's `--status rejected`.
    #[serde(default)]
    pub rejected: bool,
    /// Only cases this account reported (a phone's "my cases").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
}

/// Where the next page starts: the last row of the page before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    /// The `reported_at_ms` of the last row seen.
    pub reported_at_ms: i64,
    /// Its id.
    pub id: uuid::Uuid,
}

/// One row of a case list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// The case id.
    pub id: uuid::Uuid,
    /// Where it stands.
    pub status: Status,
    /// Category code.
    pub category: String,
    /// Grid cell, if inside one.
    pub cell: Option<String>,
    /// WGS-84 latitude.
    pub lat: f64,
    /// WGS-84 longitude.
    pub lon: f64,
    /// The description.
    pub description: String,
    /// Who reported it.
    pub reporter: String,
    /// Department, once dispatched.
    pub department: Option<String>,
    /// When reported, unix ms.
    pub reported_at_ms: i64,
    /// When handling is due, unix ms.
    pub deadline_ms: Option<i64>,
    /// Past its deadline now.
    pub overdue: bool,
    /// Times sent back for rework.
    pub rework_count: u32,
    /// Events that did not apply and that nobody has resolved yet.
    pub conflict_count: u32,
    /// Events of the case the server refused: left out of the fold, kept here.
    #[serde(default)]
    pub rejected_count: u32,
    /// What the latest refused event was and why (`registered: a worker may not …`).
    #[serde(default)]
    pub rejection: Option<String>,
    /// The server refused the report itself: the case exists only on this device, is
    /// in no status count and waits for nobody.
    #[serde(default)]
    pub report_rejected: bool,
}

/// A page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The rows.
    pub items: Vec<CaseSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
}

/// What the server refused of one case, as the projection keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Rejections {
    /// Refused events of the case.
    pub(crate) count: u32,
    /// The latest refused event: `kind: reason`.
    pub(crate) latest: Option<String>,
    /// The report itself was refused.
    pub(crate) report: bool,
}

/// Folds a case on this device and writes the projection: the events the server
/// refused are left out, as they are on every other replica (the server neither applies
/// nor serves them). A case whose report the server refused is kept from that report
/// alone, marked `report_rejected`, so that what the worker recorded is never lost.
/// Returns the case as saved; `None` while its report is not here.
pub(crate) fn refold_case(conn: &Connection, stream: &Stream) -> Result<Option<Case>> {
    let mut search = SearchRows::default();
    let case = refold_case_into(conn, stream, &mut search)?;
    search.write(conn)?;
    Ok(case)
}

/// New rows of the search index, written by [`SearchRows::write`] after every other
/// write of a batch. FTS5 flushes its pending rows to disk at every statement
/// savepoint once it is part of a transaction (each INSERT with a conflict clause or
/// several indexes opens one), so a pull page that wrote its search rows case by case
/// wrote and merged a segment per case; written last, the page's rows make one.
#[derive(Debug, Default)]
pub(crate) struct SearchRows(Vec<(i64, String)>);

impl SearchRows {
    /// Writes the rows into `incidents_fts`.
    pub(crate) fn write(self, conn: &Connection) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut stmt = conn
            .prepare_cached("INSERT OR REPLACE INTO incidents_fts (rowid, text) VALUES (?1, ?2)")?;
        for (rowid, text) in self.0 {
            stmt.execute(params![rowid, text])?;
        }
        Ok(())
    }
}

/// [`refold_case`] that leaves the case's new search row in `search`.
pub(crate) fn refold_case_into(
    conn: &Connection,
    stream: &Stream,
    search: &mut SearchRows,
) -> Result<Option<Case>> {
    let events = stream_events(conn, stream)?;
    let (refused, kept): (Vec<StoredEvent>, Vec<StoredEvent>) =
        events.into_iter().partition(|s| s.rejected.is_some());
    let kept: Vec<Event> = kept.into_iter().map(|s| s.event).collect();
    let mut rejections = Rejections {
        count: refused.len() as u32,
        latest: refused
            .iter()
            .max_by(|a, b| a.event.order_key().cmp(&b.event.order_key()))
            .map(|s| {
                format!(
                    "{}: {}",
                    s.event
                        .kind
                        .strip_prefix("incident.")
                        .unwrap_or(&s.event.kind),
                    s.rejected.as_deref().unwrap_or_default()
                )
            }),
        report: false,
    };
    let case = match workflow::fold(&kept) {
        Some(case) => Some(case),
        None => {
            let report = refused
                .iter()
                .filter(|s| s.event.kind == "incident.reported")
                .min_by(|a, b| a.event.order_key().cmp(&b.event.order_key()));
            rejections.report = report.is_some();
            report.and_then(|r| workflow::fold(std::slice::from_ref(&r.event)))
        }
    };
    if let Some(case) = &case {
        save_case(conn, case, &rejections, search)?;
    }
    Ok(case)
}

/// [`refold_case`] for a stream whose every stored event is among `events` (all new
/// here, none refused: just stored from a pull page): folds them as they are instead of
/// reading them back. Falls back to [`refold_case`] when the store holds more. The
/// case's search row is left in `search`.
pub(crate) fn fold_new_case(
    conn: &Connection,
    stream: &Stream,
    events: &mut [Event],
    search: &mut SearchRows,
) -> Result<Option<Case>> {
    let stored: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM events WHERE stream = ?1")?
        .query_row([stream.to_string()], |r| r.get(0))?;
    if stored != events.len() as i64 {
        return refold_case_into(conn, stream, search);
    }
    // The fold order of stream_events: (hlc, device_id, id).
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let case = workflow::fold(events);
    if let Some(case) = &case {
        let none = Rejections {
            count: 0,
            latest: None,
            report: false,
        };
        save_case(conn, case, &none, search)?;
    }
    Ok(case)
}

/// Folds again every case that has an event the server refused (after an upgrade from
/// a version whose fold still applied them).
pub(crate) fn refold_rejected(conn: &Connection) -> Result<()> {
    let streams: Vec<String> = conn
        .prepare(
            "SELECT DISTINCT stream FROM events
             WHERE rejected IS NOT NULL AND stream LIKE 'incident/%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for stream in streams {
        let stream: Stream = stream.parse()?;
        refold_case(conn, &stream)?;
    }
    Ok(())
}

/// Whether the server refused this case's report, and why.
pub(crate) fn report_rejection(conn: &Connection, id: &uuid::Uuid) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT rejected FROM events WHERE stream = ?1 AND kind = 'incident.reported'
             AND rejected IS NOT NULL ORDER BY hlc_wall, hlc_counter, device_id, id LIMIT 1",
        )?
        .query_row([Stream::Incident(*id).to_string()], |r| r.get(0))
        .optional()?)
}

/// Writes the folded case into the projection; a new case's search row goes to `search`.
fn save_case(
    conn: &Connection,
    case: &Case,
    rejections: &Rejections,
    search: &mut SearchRows,
) -> Result<()> {
    let state = serde_json::to_string(case).map_err(|e| Error::Corrupt(e.to_string()))?;
    // The district, street and community codes are the cell code's prefixes (DOMAIN
    // §2); kept in columns of their own so an area's list walks an index in time order.
    let level = |n: usize| case.report.cell.as_deref().and_then(|c| c.get(..n));
    let existed: Option<i64> = conn
        .prepare_cached("SELECT rowid FROM incidents WHERE id = ?1")?
        .query_row([case.id.to_string()], |r| r.get(0))
        .optional()?;
    let conflicts = case.open_conflicts().count() as i64;
    // An INSERT for a new case and an UPDATE by rowid for a known one, not one upsert:
    // an upsert makes SQLite keep a statement journal (a copy of every page it changes,
    // for a rollback of the statement alone), a tenth of a pull page's time.
    let rowid = match existed {
        None => {
            // Set once, with the report; an update leaves it as it is.
            let urgency = serde_json::to_value(case.report.urgency)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            conn.prepare_cached(
                "INSERT INTO incidents (id, status, category, cell, lat, lon, urgency, reporter,
                    department, handler, reported_at, updated_at, deadline, rework_count,
                    conflict_count, state, description, district, street, community,
                    rejected_count, rejection, report_rejected)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )?
            .execute(params![
                case.id.to_string(),
                case.status.as_str(),
                case.report.category,
                case.report.cell,
                case.report.lat,
                case.report.lon,
                urgency,
                case.reporter.user,
                case.department,
                case.handler,
                case.reported_at_ms,
                case.updated_at_ms,
                case.deadline_ms,
                case.rework_count,
                conflicts,
                state,
                case.report.description,
                level(6),
                level(9),
                level(12),
                rejections.count,
                rejections.latest,
                rejections.report,
            ])?;
            conn.last_insert_rowid()
        }
        Some(rowid) => {
            conn.prepare_cached(
                "UPDATE incidents SET status = ?2, cell = ?3, district = ?4, street = ?5,
                    community = ?6, department = ?7, handler = ?8, updated_at = ?9,
                    deadline = ?10, rework_count = ?11, conflict_count = ?12, state = ?13,
                    rejected_count = ?14, rejection = ?15, report_rejected = ?16
                 WHERE rowid = ?1",
            )?
            .execute(params![
                rowid,
                case.status.as_str(),
                case.report.cell,
                level(6),
                level(9),
                level(12),
                case.department,
                case.handler,
                case.updated_at_ms,
                case.deadline_ms,
                case.rework_count,
                conflicts,
                state,
                rejections.count,
                rejections.latest,
                rejections.report,
            ])?;
            rowid
        }
    };
    if existed.is_none() {
        let text = format!(
            "{} {}",
            case.report.description,
            case.report.address.as_deref().unwrap_or("")
        );
        search.0.push((rowid, segment(&text)));
    }
    Ok(())
}

/// Reads a case's folded state.
pub(crate) fn load_case(conn: &Connection, id: &uuid::Uuid) -> Result<Option<Case>> {
    let state: Option<String> = conn
        .prepare_cached("SELECT state FROM incidents WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    state
        .map(|s| serde_json::from_str(&s).map_err(|e| Error::Corrupt(format!("case {id}: {e}"))))
        .transpose()
}

/// Text as the search index sees it: each CJK character becomes a token of its own,
/// so a query matches any run of characters inside a Chinese description (the default
/// tokenizer would take a whole CJK sentence as one token).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F
        | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// The search text as an FTS5 query: every word a prefix-matched phrase, all required.
fn fts_query(search: &str) -> Option<String> {
    let terms: Vec<String> = segment(search)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{t}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// A page of cases matching `filter`, newest first, starting after `after`.
pub(crate) fn list(
    conn: &Connection,
    filter: &ListFilter,
    after: Option<PageCursor>,
    limit: u32,
    now_ms: i64,
) -> Result<Page> {
    let limit = limit.clamp(1, MAX_PAGE_SIZE);
    let mut sql = String::from(
        "SELECT id, status, category, cell, lat, lon, reporter, department, reported_at,
                deadline, rework_count, conflict_count, description, rejected_count,
                rejection, report_rejected
         FROM incidents i WHERE 1",
    );
    let mut args: Vec<Value> = Vec::new();
    push_filter(&mut sql, &mut args, filter, now_ms)?;
    if let Some(c) = after {
        sql.push_str(" AND (reported_at, id) < (?, ?)");
        args.push(Value::Integer(c.reported_at_ms));
        args.push(Value::Text(c.id.to_string()));
    }
    sql.push_str(" ORDER BY reported_at DESC, id DESC LIMIT ?");
    args.push(Value::Integer(i64::from(limit) + 1));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, f64>(4)?,
            r.get::<_, f64>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, Option<String>>(7)?,
            r.get::<_, i64>(8)?,
            r.get::<_, Option<i64>>(9)?,
            r.get::<_, u32>(10)?,
            r.get::<_, u32>(11)?,
            r.get::<_, String>(12)?,
            (
                r.get::<_, u32>(13)?,
                r.get::<_, Option<String>>(14)?,
                r.get::<_, bool>(15)?,
            ),
        ))
    })?;
    let mut items = Vec::new();
    for row in rows {
        let (
            id,
            status,
            category,
            cell,
            lat,
            lon,
            reporter,
            department,
            reported_at,
            deadline,
            rework,
            conflicts,
            description,
            (rejected_count, rejection, report_rejected),
        ) = row?;
        let corrupt = |what: &str| Error::Corrupt(format!("incident {id}: bad {what}"));
        let status: Status = status.parse().map_err(|_| corrupt("status"))?;
        items.push(CaseSummary {
            id: uuid::Uuid::parse_str(&id).map_err(|_| corrupt("id"))?,
            status,
            category,
            cell,
            lat,
            lon,
            description,
            reporter,
            department,
            reported_at_ms: reported_at,
            deadline_ms: deadline,
            overdue: status == Status::Dispatched && deadline.is_some_and(|d| d < now_ms),
            rework_count: rework,
            conflict_count: conflicts,
            rejected_count,
            rejection,
            report_rejected,
        });
    }
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| PageCursor {
            reported_at_ms: last.reported_at_ms,
            id: last.id,
        })
    } else {
        None
    };
    Ok(Page { items, next })
}

fn push_filter(
    sql: &mut String,
    args: &mut Vec<Value>,
    filter: &ListFilter,
    now_ms: i64,
) -> Result<()> {
    if let Some(prefix) = &filter.cell_prefix {
        if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_digit()) || prefix.len() > 15 {
            return Err(Error::invalid(
                "cell",
                format!("{prefix:?} is not a cell code or prefix of one"),
            ));
        }
        match prefix.len() {
            6 => sql.push_str(" AND district = ?"),
            9 => sql.push_str(" AND street = ?"),
            12 => sql.push_str(" AND community = ?"),
            _ => {
                // Digits only, so the range [prefix, prefix + ':') holds exactly the
                // codes starting with it (':' follows '9'), and the cell index is used.
                sql.push_str(" AND cell >= ? AND cell < ?");
                args.push(Value::Text(prefix.clone()));
                args.push(Value::Text(format!("{prefix}:")));
            }
        }
        if matches!(prefix.len(), 6 | 9 | 12) {
            args.push(Value::Text(prefix.clone()));
        }
    }
    if let Some(status) = filter.status {
        // A case whose report the server refused is in no workflow status: it waits
        // for nobody.
        sql.push_str(" AND status = ? AND report_rejected = 0");
        args.push(Value::Text(status.as_str().into()));
    }
    if filter.rejected {
        sql.push_str(" AND rejected_count > 0");
    }
    if filter.overdue {
        sql.push_str(" AND status = 'dispatched' AND deadline < ?");
        args.push(Value::Integer(now_ms));
    }
    if let Some(reporter) = &filter.reporter {
        sql.push_str(" AND reporter = ?");
        args.push(Value::Text(reporter.clone()));
    }
    if let Some(who) = &filter.assignee {
        sql.push_str(" AND (department = ? OR handler = ?)");
        args.push(Value::Text(who.clone()));
        args.push(Value::Text(who.clone()));
    }
    if let Some(search) = &filter.search {
        match fts_query(search) {
            Some(q) => {
                sql.push_str(
                    " AND i.rowid IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?)",
                );
                args.push(Value::Text(q));
            }
            None => return Err(Error::invalid("search", "the search text has no words")),
        }
    }
    Ok(())
}

/// Number of cases per status among those matching `filter`.
pub(crate) fn counts(
    conn: &Connection,
    filter: &ListFilter,
    now_ms: i64,
) -> Result<BTreeMap<Status, u64>> {
    // Cases whose report the server refused count in no status (see `rejected_cases`).
    let mut sql =
        String::from("SELECT status, count(*) FROM incidents i WHERE report_rejected = 0");
    let mut args = Vec::new();
    push_filter(&mut sql, &mut args, filter, now_ms)?;
    sql.push_str(" GROUP BY status");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = BTreeMap::new();
    let rows = stmt.query_map(params_from_iter(args), |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (status, n) = row?;
        let status: Status = status
            .parse()
            .map_err(|_| Error::Corrupt(format!("bad status {status:?}")))?;
        out.insert(status, n as u64);
    }
    Ok(out)
}

/// Number of cases matching `filter` that hold an event the server refused.
pub(crate) fn rejected_cases(conn: &Connection, filter: &ListFilter, now_ms: i64) -> Result<u64> {
    let mut sql = String::from("SELECT count(*) FROM incidents i WHERE rejected_count > 0");
    let mut args = Vec::new();
    push_filter(&mut sql, &mut args, filter, now_ms)?;
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get(0))?;
    Ok(n as u64)
}
