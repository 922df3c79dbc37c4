//! The evaluation's copy of each case view on SQLite (see
//! [`crate::evaluation::copy`]): table `case_eval`, clustered by (cell, received_ms) so
//! a street's month is one range of the table itself, one plain column per figure input.

use super::SqliteStorage;
use crate::{
    evaluation::{
        copy::{case_of_columns, columns, Columns, COLUMNS},
        EvalCase,
    },
    projection::CaseView,
    storage::parse_view,
    StorageError,
};
use rusqlite::{params, Connection, Row};

/// Version 10 to 11: the evaluation's copy of the case views, as JSON (replaced by
/// [`MIGRATE_11_TO_12`]; filled from the views held by [`backfill`]).
pub(super) const MIGRATE_10_TO_11: &str = "
CREATE TABLE case_eval (
  cell TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  copy TEXT NOT NULL,
  PRIMARY KEY (cell, received_ms, id)
) STRICT, WITHOUT ROWID;
";

/// Version 11 to 12: the copy as plain columns instead of JSON (no decoding per case
/// when a period is evaluated); filled again from the views by [`backfill`].
pub(super) const MIGRATE_11_TO_12: &str = "
DROP TABLE case_eval;
CREATE TABLE case_eval (
  cell TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  resolution TEXT,
  category TEXT NOT NULL,
  department TEXT,
  reporter TEXT NOT NULL,
  reporter_role TEXT NOT NULL,
  source TEXT NOT NULL,
  rework_count INTEGER NOT NULL,
  postpone_count INTEGER NOT NULL,
  deadline_ms INTEGER,
  registered_ms INTEGER,
  dispatched_ms INTEGER,
  handled_ms INTEGER,
  handled_on_time INTEGER,
  handling_minutes INTEGER,
  returns INTEGER NOT NULL,
  overdue_before_postponement INTEGER NOT NULL,
  intake_on_time INTEGER,
  dispatch_on_time INTEGER,
  sign_on_time INTEGER,
  verification_on_time INTEGER,
  urges INTEGER NOT NULL,
  PRIMARY KEY (cell, received_ms, id)
) STRICT, WITHOUT ROWID;
";

/// Stores the evaluation copy of `view` (replacing the case's earlier one), inside the
/// push or rebuild transaction that stored the view.
pub(super) fn write_copy(tx: &Connection, view: &CaseView) -> Result<(), StorageError> {
    let c = columns(view);
    tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO case_eval (cell, received_ms, id, {COLUMNS}) VALUES
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
          ?19, ?20, ?21, ?22, ?23, ?24, ?25)"
    ))?
    .execute(params![
        view.cell,
        view.received_ms,
        view.case.id.to_string(),
        c.status,
        c.resolution,
        c.category,
        c.department,
        c.reporter,
        c.reporter_role,
        c.source,
        c.rework_count,
        c.postpone_count,
        c.deadline_ms,
        c.registered_ms,
        c.dispatched_ms,
        c.handled_ms,
        c.handled_on_time,
        c.handling_minutes,
        c.returns,
        c.overdue_before_postponement,
        c.intake_on_time,
        c.dispatch_on_time,
        c.sign_on_time,
        c.verification_on_time,
        c.urges,
    ])?;
    Ok(())
}

/// The copy's columns of `r`, from column 3 on (after id, cell, received_ms).
fn read_columns(r: &Row<'_>) -> rusqlite::Result<Columns> {
    Ok(Columns {
        status: r.get(3)?,
        resolution: r.get(4)?,
        category: r.get(5)?,
        department: r.get(6)?,
        reporter: r.get(7)?,
        reporter_role: r.get(8)?,
        source: r.get(9)?,
        rework_count: r.get(10)?,
        postpone_count: r.get(11)?,
        deadline_ms: r.get(12)?,
        registered_ms: r.get(13)?,
        dispatched_ms: r.get(14)?,
        handled_ms: r.get(15)?,
        handled_on_time: r.get(16)?,
        handling_minutes: r.get(17)?,
        returns: r.get(18)?,
        overdue_before_postponement: r.get(19)?,
        intake_on_time: r.get(20)?,
        dispatch_on_time: r.get(21)?,
        sign_on_time: r.get(22)?,
        verification_on_time: r.get(23)?,
        urges: r.get(24)?,
    })
}

/// Makes the copies of every view held (a database upgraded from before version 12).
pub(super) fn backfill(tx: &Connection) -> Result<(), StorageError> {
    tx.execute("DELETE FROM case_eval", [])?;
    let mut stmt = tx.prepare("SELECT view FROM cases")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        write_copy(tx, &parse_view(&row.get::<_, String>(0)?)?)?;
    }
    Ok(())
}

impl SqliteStorage {
    pub(super) async fn eval_views_in(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<EvalCase>, StorageError> {
        let area = area.to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT id, cell, received_ms, {COLUMNS} FROM case_eval
                 WHERE cell >= ?1 AND cell < ?2 AND received_ms >= ?3 AND received_ms < ?4"
            ))?;
            let hi = format!("{area}\u{10FFFF}");
            let mut rows = stmt.query(params![area, hi, from_ms, to_ms])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                out.push(case_of_columns(
                    &id,
                    r.get(1)?,
                    r.get(2)?,
                    read_columns(r)?,
                )?);
            }
            out.sort_unstable_by_key(|v| v.id);
            Ok(out)
        })
        .await
    }
}
