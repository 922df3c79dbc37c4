//! The evaluation's copy of each case view on PostgreSQL (see
//! [`crate::evaluation::copy`]): table `case_eval`, one plain column per figure input,
//! made idempotently and filled from the views held when it is new (or when it still
//! has the JSON copies of before).

use super::PostgresStorage;
use crate::{
    evaluation::{
        copy::{case_of_columns, columns, Columns, COLUMNS},
        EvalCase,
    },
    projection::CaseView,
    storage::parse_view,
    StorageError,
};
use std::sync::LazyLock;
use tokio_postgres::{Row, Statement, Transaction};

/// The copy's table; a no-op once made.
pub(super) const SCHEMA_EVAL: &str = "
CREATE TABLE IF NOT EXISTS case_eval (
  id TEXT COLLATE \"C\" PRIMARY KEY,
  cell TEXT COLLATE \"C\" NOT NULL,
  received_ms BIGINT NOT NULL,
  status TEXT NOT NULL,
  resolution TEXT,
  category TEXT NOT NULL,
  department TEXT,
  reporter TEXT NOT NULL,
  reporter_role TEXT NOT NULL,
  source TEXT NOT NULL,
  rework_count BIGINT NOT NULL,
  postpone_count BIGINT NOT NULL,
  deadline_ms BIGINT,
  registered_ms BIGINT,
  dispatched_ms BIGINT,
  handled_ms BIGINT,
  handled_on_time BOOLEAN,
  handling_minutes BIGINT,
  returns BIGINT NOT NULL,
  overdue_before_postponement BOOLEAN NOT NULL,
  intake_on_time BOOLEAN,
  dispatch_on_time BOOLEAN,
  sign_on_time BOOLEAN,
  verification_on_time BOOLEAN,
  urges BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_eval_cell ON case_eval(cell, received_ms);
";

/// Whether the table exists yet with its columns (before [`SCHEMA_EVAL`] runs); a
/// table of the JSON copies of before (column `copy`) is dropped here, so it is made
/// again and filled.
pub(super) async fn exists(tx: &Transaction<'_>) -> Result<bool, StorageError> {
    let json: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'case_eval'
                AND column_name = 'copy')",
            &[],
        )
        .await?
        .get(0);
    if json {
        tx.batch_execute("DROP TABLE case_eval").await?;
        return Ok(false);
    }
    Ok(tx
        .query_one("SELECT to_regclass('case_eval') IS NOT NULL", &[])
        .await?
        .get(0))
}

/// The statement that stores a case's evaluation copy (replacing its earlier one),
/// prepared by the projector of the push or rebuild transaction that stores the view.
pub(super) async fn prepare_copy(tx: &Transaction<'_>) -> Result<Statement, StorageError> {
    static UPSERT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO case_eval (id, cell, received_ms, {COLUMNS}) VALUES
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
              $18, $19, $20, $21, $22, $23, $24, $25)
             ON CONFLICT (id) DO UPDATE SET cell = excluded.cell,
               received_ms = excluded.received_ms, status = excluded.status,
               resolution = excluded.resolution, category = excluded.category,
               department = excluded.department, reporter = excluded.reporter,
               reporter_role = excluded.reporter_role, source = excluded.source,
               rework_count = excluded.rework_count, postpone_count = excluded.postpone_count,
               deadline_ms = excluded.deadline_ms, registered_ms = excluded.registered_ms,
               dispatched_ms = excluded.dispatched_ms, handled_ms = excluded.handled_ms,
               handled_on_time = excluded.handled_on_time,
               handling_minutes = excluded.handling_minutes, returns = excluded.returns,
               overdue_before_postponement = excluded.overdue_before_postponement,
               intake_on_time = excluded.intake_on_time,
               dispatch_on_time = excluded.dispatch_on_time,
               sign_on_time = excluded.sign_on_time,
               verification_on_time = excluded.verification_on_time, urges = excluded.urges"
        )
    });
    Ok(tx.prepare(UPSERT.as_str()).await?)
}

/// Stores the evaluation copy of `view` with `copy` (from [`prepare_copy`]).
pub(super) async fn write_copy(
    tx: &Transaction<'_>,
    copy: &Statement,
    view: &CaseView,
) -> Result<(), StorageError> {
    let c = columns(view);
    let id = view.case.id.to_string();
    tx.execute(
        copy,
        &[
            &id,
            &view.cell,
            &view.received_ms,
            &c.status,
            &c.resolution,
            &c.category,
            &c.department,
            &c.reporter,
            &c.reporter_role,
            &c.source,
            &c.rework_count,
            &c.postpone_count,
            &c.deadline_ms,
            &c.registered_ms,
            &c.dispatched_ms,
            &c.handled_ms,
            &c.handled_on_time,
            &c.handling_minutes,
            &c.returns,
            &c.overdue_before_postponement,
            &c.intake_on_time,
            &c.dispatch_on_time,
            &c.sign_on_time,
            &c.verification_on_time,
            &c.urges,
        ],
    )
    .await?;
    Ok(())
}

/// The copy's columns of `r`, from column 3 on (after id, cell, received_ms).
fn read_columns(r: &Row) -> Result<Columns, tokio_postgres::Error> {
    Ok(Columns {
        status: r.try_get(3)?,
        resolution: r.try_get(4)?,
        category: r.try_get(5)?,
        department: r.try_get(6)?,
        reporter: r.try_get(7)?,
        reporter_role: r.try_get(8)?,
        source: r.try_get(9)?,
        rework_count: r.try_get(10)?,
        postpone_count: r.try_get(11)?,
        deadline_ms: r.try_get(12)?,
        registered_ms: r.try_get(13)?,
        dispatched_ms: r.try_get(14)?,
        handled_ms: r.try_get(15)?,
        handled_on_time: r.try_get(16)?,
        handling_minutes: r.try_get(17)?,
        returns: r.try_get(18)?,
        overdue_before_postponement: r.try_get(19)?,
        intake_on_time: r.try_get(20)?,
        dispatch_on_time: r.try_get(21)?,
        sign_on_time: r.try_get(22)?,
        verification_on_time: r.try_get(23)?,
        urges: r.try_get(24)?,
    })
}

/// Makes the copies of every view held (a database made before the copies, or with
/// the JSON copies of before).
pub(super) async fn backfill(tx: &Transaction<'_>) -> Result<(), StorageError> {
    tx.execute("DELETE FROM case_eval", &[]).await?;
    let copy = prepare_copy(tx).await?;
    for row in tx.query("SELECT view FROM cases", &[]).await? {
        write_copy(tx, &copy, &parse_view(row.get(0))?).await?;
    }
    Ok(())
}

impl PostgresStorage {
    pub(super) async fn eval_views_in(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<EvalCase>, StorageError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT id, cell, received_ms, {COLUMNS} FROM case_eval
                 WHERE cell >= $1 AND cell < $2 AND received_ms >= $3 AND received_ms < $4"
            ))
            .await?;
        let hi = format!("{area}\u{10FFFF}");
        let mut out = client
            .query(&stmt, &[&area, &hi, &from_ms, &to_ms])
            .await?
            .iter()
            .map(|r| case_of_columns(r.get(0), r.get(1), r.get(2), read_columns(r)?))
            .collect::<Result<Vec<_>, StorageError>>()?;
        out.sort_unstable_by_key(|v| v.id);
        Ok(out)
    }
}
