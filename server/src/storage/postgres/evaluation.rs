//! The evaluation's copy of each case view on PostgreSQL (see
//! [`crate::evaluation::copy`]): table `case_eval`, made idempotently and filled from
//! the views held when it is new.

use super::PostgresStorage;
use crate::{
    evaluation::copy::{copy_json, view_of_copy},
    projection::CaseView,
    storage::parse_view,
    StorageError,
};
use tokio_postgres::Transaction;

/// The copy's table; a no-op once made.
pub(super) const SCHEMA_EVAL: &str = "
CREATE TABLE IF NOT EXISTS case_eval (
  id TEXT COLLATE \"C\" PRIMARY KEY,
  cell TEXT COLLATE \"C\" NOT NULL,
  received_ms BIGINT NOT NULL,
  copy TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_eval_cell ON case_eval(cell, received_ms);
";

/// Whether the table exists yet (before [`SCHEMA_EVAL`] runs).
pub(super) async fn exists(tx: &Transaction<'_>) -> Result<bool, StorageError> {
    Ok(tx
        .query_one("SELECT to_regclass('case_eval') IS NOT NULL", &[])
        .await?
        .get(0))
}

/// Stores the evaluation copy of `view` (replacing the case's earlier one), inside the
/// push or rebuild transaction that stored the view.
pub(super) async fn write_copy(tx: &Transaction<'_>, view: &CaseView) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO case_eval (id, cell, received_ms, copy) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET cell = excluded.cell,
           received_ms = excluded.received_ms, copy = excluded.copy",
        &[
            &view.case.id.to_string(),
            &view.cell,
            &view.received_ms,
            &copy_json(view)?,
        ],
    )
    .await?;
    Ok(())
}

/// Makes the copies of every view held (a database made before the copies).
pub(super) async fn backfill(tx: &Transaction<'_>) -> Result<(), StorageError> {
    tx.execute("DELETE FROM case_eval", &[]).await?;
    for row in tx.query("SELECT view FROM cases", &[]).await? {
        write_copy(tx, &parse_view(row.get(0))?).await?;
    }
    Ok(())
}

impl PostgresStorage {
    pub(super) async fn eval_views_in(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CaseView>, StorageError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT id, cell, received_ms, copy FROM case_eval
                 WHERE cell >= $1 AND cell < $2 AND received_ms >= $3 AND received_ms < $4",
            )
            .await?;
        let hi = format!("{area}\u{10FFFF}");
        let mut out = client
            .query(&stmt, &[&area, &hi, &from_ms, &to_ms])
            .await?
            .iter()
            .map(|r| view_of_copy(r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|v| v.case.id);
        Ok(out)
    }
}
