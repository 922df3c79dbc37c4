//! The table's rows of the `wire` and `load` cases (issue 12, points 2 and 3).

use crate::table::{bytes, f, ms, ratio, Rows};
use serde_json::Value;

fn us(x: Option<f64>) -> String {
    x.map_or("—".into(), |x| format!("{x:.2} µs"))
}

/// The rows of the `wire` case's result `w` (nothing when it did not run).
pub fn wire(w: &Value, t: &mut Rows) {
    if !w.is_object() {
        return;
    }
    let bodies = [
        ("initial", "initial pull page"),
        ("incremental", "incremental pull page"),
        ("push", "one phone's push"),
    ];
    for (key, what) in bodies {
        let b = &w[key];
        let Some(n) = f(b, "events").filter(|n| *n > 0.0) else {
            continue;
        };
        let per = |k: &str| f(b, k).map(|x| x / n);
        t.row(
            &format!("report event on the wire, {what} of {n}: bytes per event, packed"),
            bytes(per("packed")),
            format!(
                "JSON {} · gzip {} (today's form)",
                bytes(per("json")),
                bytes(per("gzip"))
            ),
            ratio(per("packed"), per("gzip")) + " of gzip",
            "≤ 60 B",
        );
    }
    let p = &w["patrol"];
    if let Some(h) = f(w, "patrol_hours").filter(|h| *h > 0.0) {
        let per = |k: &str| f(p, k).map(|x| x / h);
        t.row(
            &format!(
                "patrol hour on the wire ({h}-h patrol at 1 Hz, {} events): bytes per hour, packed",
                f(p, "events").unwrap_or(0.0)
            ),
            bytes(per("packed")),
            format!("JSON {} · gzip {}", bytes(per("json")), bytes(per("gzip"))),
            ratio(per("packed"), per("gzip")) + " of gzip",
            "≤ 2 KB (2,048 B)",
        );
    }
    let c = &w["cpu"];
    let n = f(c, "events").unwrap_or(0.0);
    let timings = [
        ("server", "pack", "json_write", "writing"),
        ("device", "unpack", "json_read", "reading"),
    ];
    for (side, ours, theirs, what) in timings.into_iter().filter(|_| c.is_object()) {
        let (a, b) = (
            f(c, &format!("{ours}_cpu_us")),
            f(c, &format!("{theirs}_cpu_us")),
        );
        t.row(
            &format!("{ours} a pull page of {n} report events ({side}): CPU per event"),
            us(a),
            format!("{} {what} its JSON", us(b)),
            ratio(a, b),
            "",
        );
    }
    if w["round_trip"] != true {
        t.row(
            "packed bodies unpack to the same events",
            format!("**FAILED**: {}", w["error"]),
            "—".into(),
            "".into(),
            "all",
        );
    }
}

/// The rows of the `load` case's result `l` (nothing when it did not run).
pub fn load(l: &Value, t: &mut Rows) {
    if !l.is_object() {
        return;
    }
    let size = format!(
        "{} devices, {} s",
        f(l, "devices").unwrap_or(0.0),
        f(l, "seconds").unwrap_or(0.0)
    );
    for (key, name) in [("sqlite", "SQLite"), ("postgres", "PostgreSQL")] {
        let r = &l[key];
        if let Some(why) = r["skipped"].as_str() {
            t.row(
                &format!("server under load, {name}"),
                "not run".into(),
                why.into(),
                "".into(),
                "",
            );
            continue;
        }
        let Some(eps) = f(r, "events_per_s") else {
            continue;
        };
        let sqlite = key == "sqlite";
        let label = format!("server under load, {name}, {size}");
        let baseline = f(r, "baseline_commits_per_s");
        let per_tx = f(r, "pushes_per_transaction")
            .map(|x| format!(", {x:.1} pushes a transaction"))
            .unwrap_or_default();
        t.row(
            &format!("{label}: single-event pushes acknowledged a second{per_tx}"),
            format!("{eps:.0}/s"),
            format!(
                "{:.0} commits/s bare {}",
                baseline.unwrap_or(0.0),
                if sqlite {
                    "fsync-bound commit loop (plain rusqlite, WAL, synchronous=FULL)"
                } else {
                    "commit loop (one tokio-postgres connection)"
                }
            ),
            ratio(Some(eps), baseline),
            if sqlite { "≥ 15,000/s" } else { "" },
        );
        for (kind, goal) in [("push", "p99 < 100 ms"), ("pull", "")] {
            let (p50, p99) = (
                f(r, &format!("{kind}.p50_ms")),
                f(r, &format!("{kind}.p99_ms")),
            );
            t.row(
                &format!("{label}: {kind} latency p50 / p99"),
                format!("{} / {}", ms(p50), ms(p99)),
                format!(
                    "{} requests",
                    f(r, &format!("{kind}.requests")).unwrap_or(0.0)
                ),
                if kind == "push" && sqlite {
                    ratio(p99, Some(100.0)) + " of goal (p99)"
                } else {
                    "".into()
                },
                if sqlite { goal } else { "" },
            );
        }
        let checks = &r["checks"];
        t.row(
            &format!("{label}: nothing lost or duplicated"),
            if r["all_held"] == true {
                "all held".into()
            } else {
                format!("**FAILED**: {checks}")
            },
            format!(
                "{} acknowledged, {} failed requests (retried)",
                f(r, "acknowledged").unwrap_or(0.0),
                f(r, "failed_requests").unwrap_or(0.0)
            ),
            "".into(),
            "all held",
        );
    }
    if let Some(e) = l["error"].as_str() {
        t.row(
            "server under load: the case",
            format!("**FAILED**: {e}"),
            "—".into(),
            "".into(),
            "all held",
        );
    }
}
