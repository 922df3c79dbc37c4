//! The map's overview on SQLite (see [`crate::storage::map`]).

use super::SqliteStorage;
use crate::{
    mapview::{assemble, CellCount, MapQuery, MapView, Square},
    storage::{
        map::{map_sql, MapArg},
        Dialect, SqlArg,
    },
    StorageError,
};
use rusqlite::{params_from_iter, types::Value};

/// Version 10 to 11 (with the evaluation's copies, one step): covering indexes for the
/// map's two `GROUP BY`s, so neither reads the cases' rows (each holds its whole view):
/// the cell counts scan `(cell, status, deadline_ms)` in cell order, the squares read
/// the box's range of `(lat, lon, …)`.
pub(super) const MIGRATE_10_TO_11: &str = "
CREATE INDEX cases_map_cells ON cases(cell, status, deadline_ms);
CREATE INDEX cases_map_points ON cases(lat, lon, status, deadline_ms, photo, id, cell);
";

fn values(args: Vec<MapArg>) -> Vec<Value> {
    args.into_iter()
        .map(|a| match a {
            MapArg::Filter(SqlArg::Text(t)) => Value::Text(t),
            MapArg::Filter(SqlArg::Int(i)) => Value::Integer(i),
            MapArg::Real(x) => Value::Real(x),
        })
        .collect()
}

impl SqliteStorage {
    pub(super) async fn map_view(&self, query: &MapQuery) -> Result<MapView, StorageError> {
        let ((cells_sql, cells_args), (squares_sql, squares_args)) =
            map_sql(query, Dialect::Sqlite);
        let zoom = query.zoom;
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&cells_sql)?;
            let cells = stmt
                .query_map(params_from_iter(values(cells_args)), |r| {
                    Ok(CellCount {
                        cell: r.get(0)?,
                        cases: r.get::<_, i64>(1)? as u64,
                        open: r.get::<_, i64>(2)? as u64,
                        overdue: r.get::<_, i64>(3)? as u64,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = conn.prepare_cached(&squares_sql)?;
            let squares = stmt
                .query_map(params_from_iter(values(squares_args)), |r| {
                    Ok(Square {
                        count: r.get::<_, i64>(0)? as u64,
                        open: r.get::<_, i64>(1)? as u64,
                        overdue: r.get::<_, i64>(2)? as u64,
                        mean: (r.get(3)?, r.get(4)?),
                        bounds: [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
                        photo: r.get(9)?,
                        id: r.get(10)?,
                        status: r.get(11)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(assemble(zoom, cells, squares))
        })
        .await
    }
}
