//! The evaluation's copy of each case view on SQLite (see
//! [`crate::evaluation::copy`]): table `case_eval`, clustered by (cell, received_ms) so
//! a street's month is one range of the table itself.

use super::SqliteStorage;
use crate::{
    evaluation::copy::{copy_json, view_of_copy},
    projection::CaseView,
    storage::parse_view,
    StorageError,
};
use rusqlite::{params, Connection};

/// Version 10 to 11: the evaluation's copy of the case views (filled from the views
/// held by [`backfill`] in the same transaction).
pub(super) const MIGRATE_10_TO_11: &str = "
CREATE TABLE case_eval (
  cell TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  copy TEXT NOT NULL,
  PRIMARY KEY (cell, received_ms, id)
) STRICT, WITHOUT ROWID;
";

/// Stores the evaluation copy of `view` (replacing the case's earlier one), inside the
/// push or rebuild transaction that stored the view.
pub(super) fn write_copy(tx: &Connection, view: &CaseView) -> Result<(), StorageError> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO case_eval (cell, received_ms, id, copy) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        view.cell,
        view.received_ms,
        view.case.id.to_string(),
        copy_json(view)?
    ])?;
    Ok(())
}

/// Makes the copies of every view held (a database upgraded from version 9).
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
    ) -> Result<Vec<CaseView>, StorageError> {
        let area = area.to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, cell, received_ms, copy FROM case_eval
                 WHERE cell >= ?1 AND cell < ?2 AND received_ms >= ?3 AND received_ms < ?4",
            )?;
            let hi = format!("{area}\u{10FFFF}");
            let mut rows = stmt.query(params![area, hi, from_ms, to_ms])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let (id, cell, copy): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(3)?);
                out.push(view_of_copy(&id, &cell, r.get(2)?, &copy)?);
            }
            out.sort_by_key(|v| v.case.id);
            Ok(out)
        })
        .await
    }
}
