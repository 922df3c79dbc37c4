//! The Markdown table of a run: one row per figure, beside its limit or peer of the same
//! run and the ratio (gridwork ÷ other: below 1 means gridwork is faster or smaller).

use serde_json::Value;

/// The number at `path` (keys joined by dots) in `v`.
pub(crate) fn f(v: &Value, path: &str) -> Option<f64> {
    let mut cur = v;
    for k in path.split('.') {
        cur = cur.get(k)?;
    }
    cur.as_f64()
}

/// Milliseconds, in ms or µs.
pub(crate) fn ms(x: Option<f64>) -> String {
    match x {
        Some(x) if x >= 100.0 => format!("{x:.0} ms"),
        Some(x) if x >= 1.0 => format!("{x:.1} ms"),
        Some(x) => format!("{:.0} µs", x * 1e3),
        None => "—".into(),
    }
}

/// Bytes, in B, KB or MB.
pub(crate) fn bytes(x: Option<f64>) -> String {
    match x {
        Some(x) if x >= 10.0 * 1024.0 * 1024.0 => format!("{:.1} MB", x / 1024.0 / 1024.0),
        Some(x) if x >= 10.0 * 1024.0 => format!("{:.0} KB", x / 1024.0),
        Some(x) => format!("{x:.0} B"),
        None => "—".into(),
    }
}

/// `a ÷ b` as `0.00×`.
pub(crate) fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "—".into(),
    }
}

fn sum(v: &Value, a: &str, b: &str) -> Option<f64> {
    Some(f(v, a)? + f(v, b)?)
}

/// The table's rows: figure, gridwork, limit or peer, ratio, goal.
pub(crate) struct Rows(Vec<[String; 5]>);

impl Rows {
    /// Adds a row.
    pub(crate) fn row(&mut self, what: &str, ours: String, theirs: String, r: String, goal: &str) {
        self.0.push([what.into(), ours, theirs, r, goal.into()]);
    }
}

/// One table of every figure of `results` (the JSON of each case, by name).
pub fn markdown(results: &Value) -> String {
    let mut t = Rows(Vec::new());
    let st = &results["store"];
    if st.is_object() {
        let (a, b) = (
            f(st, "report.gridwork_p50_ms"),
            f(st, "report.plain_p50_ms"),
        );
        t.row(
            "report an incident durably, p50",
            ms(a),
            format!("{} plain INSERT + fsync'd commit", ms(b)),
            ratio(a, b),
            "≤ 2×",
        );
        let (a, b) = (f(st, "page.gridwork_p50_ms"), f(st, "page.plain_p50_ms"));
        t.row(
            &format!(
                "50-row page, newest first, of {} incidents (warm)",
                f(st, "incidents").unwrap_or(0.0)
            ),
            ms(a),
            format!("{} same SELECT", ms(b)),
            ratio(a, b),
            "≤ 2×",
        );
    }
    let sizes = (f(&results["sync"], "n"), f(&results["sync"], "m"));
    let labels = [
        (
            "initial",
            format!("initial sync of {} reports", sizes.0.unwrap_or(0.0)),
        ),
        (
            "incremental",
            format!("incremental sync of {} new reports", sizes.1.unwrap_or(0.0)),
        ),
    ];
    for (case, label) in labels {
        let (g, am, y) = (
            &results["sync"][case],
            &results["automerge"][case],
            &results["yrs"][case],
        );
        if !g.is_object() {
            continue;
        }
        let gw_cpu = sum(g, "device_cpu_ms", "server_cpu_ms");
        let peers = |what: &dyn Fn(&Value) -> Option<f64>, fmt: &dyn Fn(Option<f64>) -> String| {
            (
                format!("Automerge {} · Yrs {}", fmt(what(am)), fmt(what(y))),
                format!("{} · {}", ratio(what(g), what(am)), ratio(what(g), what(y))),
            )
        };
        let (p, r) = peers(&|v| f(v, "wall_ms"), &ms);
        t.row(
            &format!("{label}: wall time (gridwork: device ↔ server over loopback HTTP, durable)"),
            ms(f(g, "wall_ms")),
            p,
            r,
            if case == "initial" { "< Automerge" } else { "" },
        );
        let cpu = |v: &Value| f(v, "cpu_ms").or_else(|| sum(v, "device_cpu_ms", "server_cpu_ms"));
        let (p, r) = peers(&cpu, &ms);
        t.row(
            &format!("{label}: CPU, both sides"),
            format!(
                "{} (device {}, server {})",
                ms(gw_cpu),
                ms(f(g, "device_cpu_ms")),
                ms(f(g, "server_cpu_ms"))
            ),
            p,
            r,
            "",
        );
        let (p, r) = peers(&|v| sum(v, "up", "down"), &bytes);
        t.row(
            &format!("{label}: bytes on the wire, both ways"),
            bytes(sum(g, "up", "down")),
            p,
            r,
            if case == "initial" { "< Automerge" } else { "" },
        );
        let kb = |v: &Value| {
            f(v, "peak_kb")
                .or_else(|| f(v, "device_peak_kb"))
                .map(|k| k * 1024.0)
        };
        let (p, r) = peers(&kb, &bytes);
        t.row(
            &format!(
                "{label}: peak RSS during the sync (peers: one process holding both documents)"
            ),
            format!(
                "device {} · server {}",
                bytes(kb(g)),
                bytes(f(g, "server_peak_kb").map(|k| k * 1024.0))
            ),
            p,
            r,
            "",
        );
    }
    let pull = &results["pull"]["initial"];
    if pull.is_object() {
        let n = f(&results["pull"], "n").unwrap_or(1.0).max(1.0);
        let label = format!("initial pull of {n} events");
        let per = |k: &str| f(pull, k).map(|x| x * 1e3 / n);
        let plain = f(&results["pull"]["plain_apply"], "cpu_us_per_event");
        t.row(
            &format!("{label}: device CPU per event"),
            format!("{:.1} µs", per("device_cpu_ms").unwrap_or(0.0)),
            match plain {
                Some(p) => format!(
                    "{p:.1} µs plain rusqlite writing the same rows (log, case, search; pages of 1,000)"
                ),
                None => "—".into(),
            },
            format!(
                "{} · {} of goal",
                ratio(per("device_cpu_ms"), plain),
                ratio(per("device_cpu_ms"), Some(10.0))
            ),
            "≤ 10 µs",
        );
        if let Some(p) = plain {
            t.row(
                &format!(
                    "{label}: the limit alone, plain rusqlite writing the store's rows, CPU per event"
                ),
                format!("{p:.1} µs"),
                "—".into(),
                ratio(Some(p), Some(10.0)) + " of goal",
                "≤ 10 µs",
            );
        }
        t.row(
            &format!("{label}: server CPU per event"),
            format!("{:.1} µs", per("server_cpu_ms").unwrap_or(0.0)),
            "—".into(),
            "".into(),
            "",
        );
        t.row(
            &format!("{label}: wall time per event"),
            format!("{:.1} µs", per("wall_ms").unwrap_or(0.0)),
            "—".into(),
            "".into(),
            "",
        );
        t.row(
            &format!("{label}: bytes on the wire per event"),
            bytes(sum(pull, "up", "down").map(|b| b / n)),
            "—".into(),
            "".into(),
            "≤ 60 B (point 2)",
        );
        let peak = f(pull, "device_peak_kb").map(|k| k * 1024.0);
        t.row(
            &format!("peak RSS of the device during a full {n}-event sync"),
            bytes(peak),
            "64 MB goal".into(),
            ratio(peak, Some(64.0 * 1024.0 * 1024.0)) + " of goal",
            "< 64 MB",
        );
    }
    let push = &results["push"]["push"];
    if push.is_object() {
        t.row(
            &format!(
                "push of {} pending events (and the pull after): device wall / CPU",
                f(&results["push"], "n").unwrap_or(0.0)
            ),
            format!(
                "{} / {}",
                ms(f(push, "wall_ms")),
                ms(f(push, "device_cpu_ms"))
            ),
            format!("server CPU {}", ms(f(push, "server_cpu_ms"))),
            ratio(f(push, "device_cpu_ms"), Some(100.0)) + " of goal (CPU)",
            "≤ 100 ms device time",
        );
    }
    let day = &results["day"];
    if day["pull"].is_object() {
        let p = &day["pull"];
        let n = f(p, "pulled").unwrap_or(0.0);
        t.row(
            &format!(
                "supervisor's pull after a day of {} workers ({} events)",
                f(day, "workers").unwrap_or(0.0),
                n
            ),
            format!(
                "wall {} · device CPU {} · server CPU {}",
                ms(f(p, "wall_ms")),
                ms(f(p, "device_cpu_ms")),
                ms(f(p, "server_cpu_ms"))
            ),
            format!(
                "{} on the wire ({:.0} B/event)",
                bytes(sum(p, "up", "down")),
                sum(p, "up", "down").unwrap_or(0.0) / n.max(1.0)
            ),
            "".into(),
            "",
        );
    }
    crate::rows::wire(&results["wire"], &mut t);
    crate::rows::load(&results["load"], &mut t);
    if st.is_object() {
        let (a, b) = (
            f(st, "open_first_page_p50_ms"),
            f(st, "plain_open_page_p50_ms"),
        );
        t.row(&format!("open a store of {} incidents and {} fixes and get the first page (p50 of 7; first {})", f(st, "incidents").unwrap_or(0.0), f(st, "fixes").unwrap_or(0.0), ms(f(st, "open_first_page_first_ms"))), ms(a), format!("{} plain open + SELECT", ms(b)), ratio(a, b), "< 50 ms");
        let (a, b) = (
            f(st, "bytes_per_1000_incidents"),
            f(st, "plain_bytes_per_1000_incidents"),
        );
        t.row(
            "store bytes per 1,000 incidents",
            bytes(a),
            format!("{} plain table of the same fields", bytes(b)),
            ratio(a, b),
            "",
        );
        t.row(
            "store bytes per patrol-hour (1 Hz fixes)",
            bytes(f(st, "bytes_per_patrol_hour")),
            "—".into(),
            "".into(),
            "",
        );
    }
    let pc = &results["patrol-cpu"];
    if pc.is_object() {
        let (a, b) = (
            f(pc, "encrypted_cpu_ms_per_hour"),
            f(pc, "plain_cpu_ms_per_hour"),
        );
        t.row(
            "core CPU per hour of patrol recording (1 Hz, 10-s batches), encrypted",
            ms(a),
            format!("{} plain store", ms(b)),
            ratio(a, b),
            "< 125 ms (1 s per 8 h)",
        );
    }
    let mut out = String::from(
        "| figure | gridwork | limit or peer (same run) | ratio | goal |\n|---|---|---|---|---|\n",
    );
    for r in t.0 {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    out
}
