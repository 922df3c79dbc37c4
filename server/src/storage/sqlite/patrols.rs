//! The SQLite side of the server's patrol view (see [`crate::patrols`]): the `patrols`
//! table (the view and the synced points of each patrol) and `patrol_cells` (its
//! assigned cells, for area and cell filters), written in the push transaction.

use super::{current, parse_event, SqliteStorage};
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
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

/// Version 4 to 5: the server's patrol view (filled by a rebuild in the same
/// transaction).
pub(super) const MIGRATE_4_TO_5: &str = "
CREATE TABLE IF NOT EXISTS patrols (
  id TEXT PRIMARY KEY,
  worker TEXT NOT NULL,
  status TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  view TEXT NOT NULL,
  track TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS patrols_started ON patrols(started_ms, id);
CREATE INDEX IF NOT EXISTS patrols_worker ON patrols(worker, started_ms);
CREATE TABLE IF NOT EXISTS patrol_cells (
  patrol TEXT NOT NULL,
  cell TEXT NOT NULL,
  PRIMARY KEY (patrol, cell)
) STRICT;
CREATE INDEX IF NOT EXISTS patrol_cells_cell ON patrol_cells(cell, patrol);
";

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
fn project(tx: &Connection, id: Uuid, grid: Option<&Grid>) -> Result<(), StorageError> {
    let stream = Stream::Patrol(id).to_string();
    let mut stmt = tx.prepare_cached("SELECT body, received_ms FROM events WHERE stream = ?1")?;
    let rows = stmt.query_map([&stream], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (body, at) = row?;
        events.push((parse_event(&body, None)?, at));
    }
    let key = id.to_string();
    tx.prepare_cached("DELETE FROM patrol_cells WHERE patrol = ?1")?
        .execute([&key])?;
    let Some(p) = fold_patrol_view(id, &events, grid) else {
        tx.prepare_cached("DELETE FROM patrols WHERE id = ?1")?
            .execute([&key])?;
        return Ok(());
    };
    let view = serde_json::to_string(&p.view).map_err(corrupt)?;
    let track = serde_json::to_string(&p.points).map_err(corrupt)?;
    tx.prepare_cached(
        "INSERT INTO patrols (id, worker, status, started_ms, updated_ms, view, track)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET worker = excluded.worker, status = excluded.status,
           started_ms = excluded.started_ms, updated_ms = excluded.updated_ms,
           view = excluded.view, track = excluded.track",
    )?
    .execute(params![
        key,
        p.view.worker,
        p.view.status.as_str(),
        p.view.started_at_ms,
        p.view.updated_ms,
        view,
        track
    ])?;
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO patrol_cells (patrol, cell) VALUES (?1, ?2)")?;
    for cell in &p.view.cells {
        insert.execute(params![key, cell])?;
    }
    Ok(())
}

/// Folds again every patrol a push gave a newly accepted event.
pub(super) fn project_touched(
    tx: &Connection,
    events: &[Event],
    outcomes: &[PushOutcome],
    grid: Option<&Grid>,
) -> Result<(), StorageError> {
    for id in touched_patrols(events, outcomes) {
        project(tx, id, grid)?;
    }
    Ok(())
}

/// Folds every patrol again from the events held; returns how many there are.
pub(super) fn rebuild(tx: &Connection, grid: Option<&Grid>) -> Result<u64, StorageError> {
    tx.execute("DELETE FROM patrol_cells", [])?;
    tx.execute("DELETE FROM patrols", [])?;
    let streams: Vec<String> = tx
        .prepare("SELECT DISTINCT stream FROM events WHERE stream LIKE 'patrol/%'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for stream in &streams {
        if let Ok(Stream::Patrol(id)) = stream.parse() {
            project(tx, id, grid)?;
        }
    }
    Ok(tx.query_row("SELECT count(*) FROM patrols", [], |r| r.get::<_, i64>(0))? as u64)
}

impl SqliteStorage {
    pub(super) async fn patrol_in(
        &self,
        id: Uuid,
    ) -> Result<Option<ProjectedPatrol>, StorageError> {
        self.read(move |conn| {
            conn.query_row(
                "SELECT view, track FROM patrols WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
            .map(|(v, t)| parse(&v, Some(&t)))
            .transpose()
        })
        .await
    }

    pub(super) async fn list_patrols_in(
        &self,
        filter: &PatrolFilter,
    ) -> Result<PatrolPage, StorageError> {
        let (sql, args) = patrol_list_sql(filter, Dialect::Sqlite);
        let limit = filter.limit as usize;
        self.read(move |conn| {
            let args = args.into_iter().map(|a| match a {
                SqlArg::Text(t) => rusqlite::types::Value::Text(t),
                SqlArg::Int(i) => rusqlite::types::Value::Integer(i),
            });
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            let mut patrols = rows
                .map(|row| {
                    let (v, t) = row?;
                    parse(&v, t.as_deref())
                })
                .collect::<Result<Vec<_>, StorageError>>()?;
            let more = patrols.len() > limit;
            patrols.truncate(limit);
            Ok(PatrolPage { patrols, more })
        })
        .await
    }

    pub(super) async fn patrols_started_in(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ProjectedPatrol>, StorageError> {
        let area = area.to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT view, track FROM patrols p WHERE started_ms >= ?1 AND started_ms < ?2
                   AND (?3 = '' OR EXISTS (SELECT 1 FROM patrol_cells c WHERE c.patrol = p.id
                        AND substr(c.cell, 1, length(?3)) = ?3))
                 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![from_ms, to_ms, area], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            rows.map(|row| {
                let (v, t) = row?;
                parse(&v, Some(&t))
            })
            .collect()
        })
        .await
    }

    pub(super) async fn patrol_views_in(&self) -> Result<Vec<PatrolView>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn.prepare("SELECT view FROM patrols ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.map(|v| Ok(parse(&v?, None)?.view)).collect()
        })
        .await
    }

    pub(super) async fn rebuild_patrols_in(&self) -> Result<u64, StorageError> {
        let inner = self.inner.clone();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let grid = current::<Grid>(&tx, &inner.reference.grid)?;
            let n = rebuild(&tx, grid.as_deref())?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }
}
