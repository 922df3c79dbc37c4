//! The SQL of the map's overview (see [`crate::mapview`]), for both backends: per-cell
//! counts, and the cases in a box grouped on the zoom's grid, in two `GROUP BY`s over
//! `cases` with the case list's own conditions.

use super::{case_conditions, placeholder, Dialect, SqlArg};
use crate::mapview::MapQuery;

/// A value bound to a map query's placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MapArg {
    /// A filter's argument.
    Filter(SqlArg),
    /// A coordinate or the grid's step.
    Real(f64),
}

fn open_and_overdue(now: &str) -> String {
    format!(
        "count(*), \
         sum(CASE WHEN status NOT IN ('closed', 'cancelled') THEN 1 ELSE 0 END), \
         sum(CASE WHEN status = 'dispatched' AND deadline_ms < {now} THEN 1 ELSE 0 END)"
    )
}

/// `(cells, squares)`: the queries and their arguments. Cells answer
/// `cell, count, open, overdue`; squares answer `count, open, overdue, mean lat, mean lon,
/// west, south, east, north, max(photo), min(id), min(status)`.
pub(crate) fn map_sql(
    q: &MapQuery,
    dialect: Dialect,
) -> ((String, Vec<MapArg>), (String, Vec<MapArg>)) {
    let cells = {
        let mut args = Vec::new();
        let mut conds = case_conditions(&q.filter, dialect, &mut args);
        args.push(SqlArg::Int(q.filter.now_ms));
        let now = placeholder(dialect, args.len());
        conds.push("cell <> ''".into());
        let sql = format!(
            "SELECT cell, {} FROM cases WHERE {} GROUP BY cell ORDER BY cell",
            open_and_overdue(&now),
            conds.join(" AND ")
        );
        (sql, args.into_iter().map(MapArg::Filter).collect())
    };
    let squares = {
        let mut filter_args = Vec::new();
        let mut conds = case_conditions(&q.filter, dialect, &mut filter_args);
        let mut args: Vec<MapArg> = filter_args.into_iter().map(MapArg::Filter).collect();
        let mut arg = |a: MapArg| {
            args.push(a);
            placeholder(dialect, args.len())
        };
        let now = arg(MapArg::Filter(SqlArg::Int(q.filter.now_ms)));
        let b = q.bbox;
        let (s, w, n, e) = (
            arg(MapArg::Real(b.south)),
            arg(MapArg::Real(b.west)),
            arg(MapArg::Real(b.north)),
            arg(MapArg::Real(b.east)),
        );
        conds.push(format!(
            "lat >= {s} AND lat <= {n} AND lon >= {w} AND lon <= {e}"
        ));
        let step = arg(MapArg::Real(q.step_deg()));
        // Both coordinates are made positive, so truncation is the floor on SQLite.
        let square = |col: &str, offset: &str| match dialect {
            Dialect::Sqlite => format!("CAST(({col} + {offset}) / {step} AS INTEGER)"),
            Dialect::Postgres => format!("floor(({col} + {offset}) / {step})::bigint"),
        };
        let sql = format!(
            "SELECT {counts}, avg(lat), avg(lon), min(lon), min(lat), max(lon), max(lat), \
             max(photo), min(id), min(status) FROM cases WHERE {conds} GROUP BY {gx}, {gy}",
            counts = open_and_overdue(&now),
            conds = conds.join(" AND "),
            gx = square("lon", "180.0"),
            gy = square("lat", "90.0"),
        );
        (sql, args)
    };
    (cells, squares)
}
