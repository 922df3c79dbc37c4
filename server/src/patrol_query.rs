//! The supervisor API's patrol-list query, pure: parsing and checking the parameters of
//! `GET /v1/patrols` against the caller's scope, and the SQL both backends run for it.

use crate::{
    account::Account,
    query::{invalid, page_limit, time_range, Cursor, QueryError},
    storage::{Dialect, SqlArg},
};

/// A checked patrol-list query; every value is bound as a parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolFilter {
    /// Cell prefixes one of the patrol's assigned cells must start with (the area, or
    /// else the caller's scope); empty means everywhere.
    pub prefixes: Vec<String>,
    /// An assigned cell, exactly.
    pub cell: Option<String>,
    /// The worker, exactly.
    pub worker: Option<String>,
    /// Patrols started at or after this (device clock), unix ms.
    pub from_ms: Option<i64>,
    /// Patrols started before this, unix ms.
    pub to_ms: Option<i64>,
    /// Where the page starts (the cursor's time is the last patrol's start).
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: u32,
    /// Whether each patrol's synced points are read too (`track=true`: the list draws
    /// each patrol's line).
    pub track: bool,
}

const PARAMS: &[&str] = &[
    "area",
    "cell",
    "worker",
    "started_from",
    "started_to",
    "limit",
    "next",
    "track",
];

fn grid_code(name: &str, v: &str) -> Result<String, QueryError> {
    if v.is_empty() || v.len() > 15 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid(format!(
            "{name}: {v:?} is not a grid code or prefix (1 to 15 digits)"
        )));
    }
    Ok(v.to_string())
}

/// Checks the query parameters of `GET /v1/patrols` for `caller`. Unknown or repeated
/// parameters are refused; an area or cell outside the scope is [`QueryError::OutOfScope`].
pub fn parse(pairs: &[(String, String)], caller: &Account) -> Result<PatrolFilter, QueryError> {
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in pairs {
        if !PARAMS.contains(&k.as_str()) {
            return Err(invalid(format!(
                "unknown parameter {k:?} (known: {})",
                PARAMS.join(", ")
            )));
        }
        if !seen.insert(k.as_str()) {
            return Err(invalid(format!("parameter {k:?} given twice")));
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let outside =
        |what: &str, v: &str| QueryError::OutOfScope(format!("{what} {v} lies outside your scope"));
    let prefixes = match get("area") {
        Some(area) => {
            let area = grid_code("area", area)?;
            if !caller.covers(&area) {
                return Err(outside("area", &area));
            }
            vec![area]
        }
        None if caller.scope.iter().any(String::is_empty) => vec![],
        None => caller.scope.clone(),
    };
    let cell = get("cell").map(|c| grid_code("cell", c)).transpose()?;
    if let Some(c) = &cell {
        if !caller.covers(c) {
            return Err(outside("cell", c));
        }
    }
    let worker = match get("worker") {
        Some(w) if w.is_empty() || w.len() > 64 || w.chars().any(char::is_control) => {
            return Err(invalid(
                "worker: 1 to 64 characters without control characters expected",
            ));
        }
        w => w.map(str::to_string),
    };
    let (from_ms, to_ms) = time_range(
        ("started_from", get("started_from")),
        ("started_to", get("started_to")),
    )?;
    let limit = page_limit(get("limit"))?;
    let track = match get("track") {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => return Err(invalid(format!("track: {v:?}: true or false expected"))),
    };
    Ok(PatrolFilter {
        track,
        prefixes,
        cell,
        worker,
        from_ms,
        to_ms,
        after: get("next").map(Cursor::decode).transpose()?,
        limit,
    })
}

/// The query selecting a page of `filter` from `patrols` (one row more than the page),
/// newest start first, with its arguments: the view and (with `track`) the points. An area is a byte-order range on the
/// assigned cells (`patrol_cells`, indexed by cell), as for cases.
pub(crate) fn patrol_list_sql(f: &PatrolFilter, dialect: Dialect) -> (String, Vec<SqlArg>) {
    let mut args: Vec<SqlArg> = Vec::new();
    let mut arg = |a: SqlArg| {
        args.push(a);
        match dialect {
            Dialect::Sqlite => format!("?{}", args.len()),
            Dialect::Postgres => format!("${}", args.len()),
        }
    };
    let mut conds: Vec<String> = Vec::new();
    if !f.prefixes.is_empty() {
        let ranges: Vec<String> = f
            .prefixes
            .iter()
            .map(|p| {
                let lo = arg(SqlArg::Text(p.clone()));
                let hi = arg(SqlArg::Text(format!("{p}\u{10FFFF}")));
                format!("(c.cell >= {lo} AND c.cell < {hi})")
            })
            .collect();
        conds.push(format!(
            "EXISTS (SELECT 1 FROM patrol_cells c WHERE c.patrol = p.id AND ({}))",
            ranges.join(" OR ")
        ));
    }
    if let Some(c) = &f.cell {
        let c = arg(SqlArg::Text(c.clone()));
        conds.push(format!(
            "EXISTS (SELECT 1 FROM patrol_cells c WHERE c.patrol = p.id AND c.cell = {c})"
        ));
    }
    if let Some(w) = &f.worker {
        conds.push(format!("p.worker = {}", arg(SqlArg::Text(w.clone()))));
    }
    if let Some(ms) = f.from_ms {
        conds.push(format!("p.started_ms >= {}", arg(SqlArg::Int(ms))));
    }
    if let Some(ms) = f.to_ms {
        conds.push(format!("p.started_ms < {}", arg(SqlArg::Int(ms))));
    }
    if let Some(c) = f.after {
        let ms = arg(SqlArg::Int(c.received_ms));
        let id = arg(SqlArg::Text(c.id.to_string()));
        conds.push(format!("(p.started_ms, p.id) < ({ms}, {id})"));
    }
    let limit = arg(SqlArg::Int(i64::from(f.limit) + 1));
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    (
        format!(
            "SELECT p.view, {track} FROM patrols p{filter} ORDER BY p.started_ms DESC, p.id DESC LIMIT {limit}",
            track = if f.track { "p.track" } else { "NULL" }
        ),
        args,
    )
}

/// Whether `caller` may see a patrol assigned `cells`: one of them lies in its scope
/// (a patrol with no cell only for a scope of everywhere).
pub fn visible(caller: &Account, cells: &[String]) -> bool {
    caller.scope.iter().any(String::is_empty) || cells.iter().any(|c| caller.covers(c))
}

/// Checks the parameters of `GET /v1/patrols/{id}`: `tolerance_m`, the track's
/// simplification in metres within [`crate::patrols::TOLERANCE_RANGE_M`] (default
/// [`gridwork_core::patrol::SimplifyParams`]'s).
pub fn tolerance(pairs: &[(String, String)]) -> Result<f64, QueryError> {
    let (lo, hi) = crate::patrols::TOLERANCE_RANGE_M;
    let mut tolerance_m = gridwork_core::patrol::SimplifyParams::default().tolerance_m;
    for (k, v) in pairs {
        match k.as_str() {
            "tolerance_m" => {
                tolerance_m = v
                    .parse::<f64>()
                    .ok()
                    .filter(|t| (lo..=hi).contains(t))
                    .ok_or_else(|| {
                        QueryError::Invalid(format!(
                            "tolerance_m: {v:?}: metres from {lo} to {hi} expected"
                        ))
                    })?;
            }
            other => {
                return Err(QueryError::Invalid(format!(
                    "unknown parameter {other:?} (known: tolerance_m)"
                )));
            }
        }
    }
    Ok(tolerance_m)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwork_core::model::Role;

    fn caller(scope: &[&str]) -> Account {
        Account {
            user: "wang".into(),
            role: Role::Supervisor,
            scope: scope.iter().map(|s| s.to_string()).collect(),
            password_hash: None,
        }
    }

    fn q(pairs: &[(&str, &str)], scope: &[&str]) -> Result<PatrolFilter, QueryError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(&pairs, &caller(scope))
    }

    #[test]
    fn the_query_keeps_to_the_scope_and_refuses_what_it_cannot_read() {
        let f = q(&[], &["320508001"]).unwrap();
        assert_eq!(
            (f.prefixes.clone(), f.limit),
            (vec!["320508001".into()], 50)
        );
        assert!(q(&[], &[""]).unwrap().prefixes.is_empty());
        let f = q(
            &[
                ("area", "320508001001"),
                ("worker", "li"),
                ("started_from", "5"),
            ],
            &["320508001"],
        )
        .unwrap();
        assert_eq!(f.prefixes, vec!["320508001001".to_string()]);
        assert_eq!((f.worker.as_deref(), f.from_ms), (Some("li"), Some(5)));
        for (pairs, scope) in [
            (vec![("area", "320508002")], ["320508001"]),
            (vec![("cell", "32050800200101")], ["320508001"]),
        ] {
            assert!(matches!(q(&pairs, &scope), Err(QueryError::OutOfScope(_))));
        }
        for bad in [
            vec![("area", "32a")],
            vec![("limit", "201")],
            vec![("limit", "0")],
            vec![("started_from", "9"), ("started_to", "3")],
            vec![("started_from", "yesterday")],
            vec![("next", "zz")],
            vec![("worker", "")],
            vec![("status", "active")],
        ] {
            assert!(
                matches!(q(&bad, &[""]), Err(QueryError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_sql_binds_every_value() {
        let f = q(&[("area", "3205"), ("cell", "32050800100101")], &[""]).unwrap();
        let (sql, args) = patrol_list_sql(&f, Dialect::Postgres);
        assert!(sql.contains("$1") && !sql.contains("3205"), "{sql}");
        assert_eq!(args.len(), 4);
    }
}
