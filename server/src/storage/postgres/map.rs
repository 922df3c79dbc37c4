//! The map's overview on PostgreSQL (see [`crate::storage::map`]).

use super::PostgresStorage;
use crate::{
    mapview::{assemble, CellCount, MapQuery, MapView, Square},
    storage::{
        map::{map_sql, MapArg},
        Dialect, SqlArg,
    },
    StorageError,
};
use tokio_postgres::types::ToSql;

/// Databases made before the map's overview: the report's point and first photo as
/// columns of `cases`, filled from the views held. A no-op once done.
pub(super) const MIGRATE_MAP_COLUMNS: &str = "
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                 AND table_name = 'cases' AND column_name = 'lat') THEN
    ALTER TABLE cases ADD COLUMN lat DOUBLE PRECISION NOT NULL DEFAULT 0,
      ADD COLUMN lon DOUBLE PRECISION NOT NULL DEFAULT 0, ADD COLUMN photo TEXT;
    UPDATE cases SET lat = (view::jsonb #>> '{case,report,lat}')::double precision,
      lon = (view::jsonb #>> '{case,report,lon}')::double precision,
      photo = view::jsonb #>> '{case,photos,0,sha256}';
  END IF;
END $$;
";

/// Covering indexes for the map's two `GROUP BY`s (as on SQLite): the cell counts and
/// the box's squares read an index instead of the cases' rows. A no-op once made.
pub(super) const MAP_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS cases_map_cells ON cases(cell, status, deadline_ms);
CREATE INDEX IF NOT EXISTS cases_map_points ON cases(lat, lon)
  INCLUDE (status, deadline_ms, photo, id, cell);
";

fn params(args: &[MapArg]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter()
        .map(|a| match a {
            MapArg::Filter(SqlArg::Text(t)) => t as &(dyn ToSql + Sync),
            MapArg::Filter(SqlArg::Int(i)) => i,
            MapArg::Real(x) => x,
        })
        .collect()
}

impl PostgresStorage {
    pub(super) async fn map_view(&self, query: &MapQuery) -> Result<MapView, StorageError> {
        let ((cells_sql, cells_args), (squares_sql, squares_args)) =
            map_sql(query, Dialect::Postgres);
        let client = self.client().await?;
        let stmt = client.prepare_cached(&cells_sql).await?;
        let cells = client
            .query(&stmt, &params(&cells_args))
            .await?
            .iter()
            .map(|r| CellCount {
                cell: r.get(0),
                cases: r.get::<_, i64>(1) as u64,
                open: r.get::<_, i64>(2) as u64,
                overdue: r.get::<_, i64>(3) as u64,
            })
            .collect();
        let stmt = client.prepare_cached(&squares_sql).await?;
        let squares = client
            .query(&stmt, &params(&squares_args))
            .await?
            .iter()
            .map(|r| Square {
                count: r.get::<_, i64>(0) as u64,
                open: r.get::<_, i64>(1) as u64,
                overdue: r.get::<_, i64>(2) as u64,
                mean: (r.get(3), r.get(4)),
                bounds: [r.get(5), r.get(6), r.get(7), r.get(8)],
                photo: r.get(9),
                id: r.get(10),
                status: r.get(11),
            })
            .collect();
        Ok(assemble(query.zoom, cells, squares))
    }
}
