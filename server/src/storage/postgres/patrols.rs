//! The PostgreSQL side of the server's patrol view (see [`crate::patrols`]): the same
//! `patrols` and `patrol_cells` tables as SQLite, written in the push transaction.

use super::{current, parse_event, PostgresStorage, PUSH_LOCK};
use crate::{
    patrol_query::{patrol_list_sql, PatrolFilter},
    patrols::{fold_patrol_view, touched_patrols, PatrolView, ProjectedPatrol},
    storage::{Dialect, PatrolPage, SqlArg},
    StorageError,
};
use gridwork_core::{
    geo::Grid,
    model::{Event, Stream},
    sync::wire::PushOutcome,
};
use tokio_postgres::{types::ToSql, Transaction};
use uuid::Uuid;

/// The patrol view's tables (idempotent).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS patrols (
  id TEXT COLLATE \"C\" PRIMARY KEY,
  worker TEXT NOT NULL,
  status TEXT NOT NULL,
  started_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  view TEXT NOT NULL,
  track TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS patrols_started ON patrols(started_ms, id);
CREATE INDEX IF NOT EXISTS patrols_worker ON patrols(worker, started_ms);
CREATE TABLE IF NOT EXISTS patrol_cells (
  patrol TEXT COLLATE \"C\" NOT NULL,
  cell TEXT COLLATE \"C\" NOT NULL,
  PRIMARY KEY (patrol, cell)
);
CREATE INDEX IF NOT EXISTS patrol_cells_cell ON patrol_cells(cell, patrol);
";

/// Whether the patrol view's table exists yet (a database made before it gets one
/// folded from its events).
pub(super) async fn exists(tx: &Transaction<'_>) -> Result<bool, StorageError> {
    Ok(tx
        .query_one("SELECT to_regclass('patrols') IS NOT NULL", &[])
        .await?
        .get(0))
}

fn corrupt(e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("patrol view: {e}"))
}

fn parse(view: &str, track: Option<&str>) -> Result<ProjectedPatrol, StorageError> {
    Ok(ProjectedPatrol {
        view: serde_json::from_str(view).map_err(corrupt)?,
        points: match track {
            Some(t) => serde_json::from_str(t).map_err(corrupt)?,
            None => Vec::new(),
        },
    })
}

/// Folds patrol `id` again from its accepted events and stores its view.
async fn project(tx: &Transaction<'_>, id: Uuid, grid: Option<&Grid>) -> Result<(), StorageError> {
    let stream = Stream::Patrol(id).to_string();
    let mut events = Vec::new();
    for row in tx
        .query(
            "SELECT body, received_ms FROM events WHERE stream = $1",
            &[&stream],
        )
        .await?
    {
        events.push((parse_event(row.get(0), None)?, row.get::<_, i64>(1)));
    }
    let key = id.to_string();
    tx.execute("DELETE FROM patrol_cells WHERE patrol = $1", &[&key])
        .await?;
    let Some(p) = fold_patrol_view(id, &events, grid) else {
        tx.execute("DELETE FROM patrols WHERE id = $1", &[&key])
            .await?;
        return Ok(());
    };
    let view = serde_json::to_string(&p.view).map_err(corrupt)?;
    let track = serde_json::to_string(&p.points).map_err(corrupt)?;
    tx.execute(
        "INSERT INTO patrols (id, worker, status, started_ms, updated_ms, view, track)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET worker = excluded.worker, status = excluded.status,
           started_ms = excluded.started_ms, updated_ms = excluded.updated_ms,
           view = excluded.view, track = excluded.track",
        &[
            &key,
            &p.view.worker,
            &p.view.status.as_str(),
            &p.view.started_at_ms,
            &p.view.updated_ms,
            &view,
            &track,
        ],
    )
    .await?;
    for cell in &p.view.cells {
        tx.execute(
            "INSERT INTO patrol_cells (patrol, cell) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&key, cell],
        )
        .await?;
    }
    Ok(())
}

/// Folds again every patrol a push gave a newly accepted event.
pub(super) async fn project_touched(
    tx: &Transaction<'_>,
    events: &[Event],
    outcomes: &[PushOutcome],
    grid: Option<&Grid>,
) -> Result<(), StorageError> {
    for id in touched_patrols(events, outcomes) {
        project(tx, id, grid).await?;
    }
    Ok(())
}

/// Folds every patrol again from the events held; returns how many there are.
pub(super) async fn rebuild(
    tx: &Transaction<'_>,
    grid: Option<&Grid>,
) -> Result<u64, StorageError> {
    tx.execute("DELETE FROM patrol_cells", &[]).await?;
    tx.execute("DELETE FROM patrols", &[]).await?;
    let streams: Vec<String> = tx
        .query(
            "SELECT DISTINCT stream FROM events WHERE stream LIKE 'patrol/%'",
            &[],
        )
        .await?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    for stream in &streams {
        if let Ok(Stream::Patrol(id)) = stream.parse() {
            project(tx, id, grid).await?;
        }
    }
    let n: i64 = tx
        .query_one("SELECT count(*) FROM patrols", &[])
        .await?
        .get(0);
    Ok(n as u64)
}

impl PostgresStorage {
    pub(super) async fn patrol_in(
        &self,
        id: Uuid,
    ) -> Result<Option<ProjectedPatrol>, StorageError> {
        self.client()
            .await?
            .query_opt(
                "SELECT view, track FROM patrols WHERE id = $1",
                &[&id.to_string()],
            )
            .await?
            .map(|r| parse(r.get(0), Some(r.get(1))))
            .transpose()
    }

    pub(super) async fn list_patrols_in(
        &self,
        filter: &PatrolFilter,
    ) -> Result<PatrolPage, StorageError> {
        let (sql, args) = patrol_list_sql(filter, Dialect::Postgres);
        let params: Vec<&(dyn ToSql + Sync)> = args
            .iter()
            .map(|a| match a {
                SqlArg::Text(t) => t as &(dyn ToSql + Sync),
                SqlArg::Int(i) => i,
            })
            .collect();
        let client = self.client().await?;
        let stmt = client.prepare_cached(&sql).await?;
        let mut patrols = client
            .query(&stmt, &params)
            .await?
            .iter()
            .map(|r| parse(r.get(0), r.get::<_, Option<&str>>(1)))
            .collect::<Result<Vec<_>, StorageError>>()?;
        let limit = filter.limit as usize;
        let more = patrols.len() > limit;
        patrols.truncate(limit);
        Ok(PatrolPage { patrols, more })
    }

    pub(super) async fn patrols_started_in(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ProjectedPatrol>, StorageError> {
        self.client()
            .await?
            .query(
                "SELECT view, track FROM patrols p WHERE started_ms >= $1 AND started_ms < $2
                   AND ($3 = '' OR EXISTS (SELECT 1 FROM patrol_cells c WHERE c.patrol = p.id
                        AND left(c.cell, length($3)) = $3))
                 ORDER BY id",
                &[&from_ms, &to_ms, &area],
            )
            .await?
            .iter()
            .map(|r| parse(r.get(0), Some(r.get(1))))
            .collect()
    }

    pub(super) async fn patrol_views_in(&self) -> Result<Vec<PatrolView>, StorageError> {
        self.client()
            .await?
            .query("SELECT view FROM patrols ORDER BY id", &[])
            .await?
            .iter()
            .map(|r| Ok(parse(r.get(0), None)?.view))
            .collect()
    }

    pub(super) async fn rebuild_patrols_in(&self) -> Result<u64, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Pushes wait: the view is folded from one consistent set of events.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            &[&PUSH_LOCK],
        )
        .await?;
        let grid = current::<Grid>(&tx, &self.reference.grid).await?;
        let n = rebuild(&tx, grid.as_deref()).await?;
        tx.commit().await?;
        Ok(n)
    }
}
