//! The stable JSON of `list`, `show` and `act` (docs/cli.md), with the names of the
//! category, department and cell beside their codes.

use crate::names::Names;
use crate::output;
use gridwork_core::{db::CaseSummary, store::CaseDetail};
use serde_json::json;

// Adds a `gcj02` position beside the stored WGS-84 one, for display on Chinese maps.
pub fn with_gcj02(mut v: serde_json::Value, lat: f64, lon: f64, gcj02: bool) -> serde_json::Value {
    if gcj02 {
        v["gcj02"] = crate::patrol_cmd::position_json(lat, lon, true)["gcj02"].clone();
    }
    v
}

pub fn summary_json(c: &CaseSummary, names: &Names) -> serde_json::Value {
    json!({
        "id": c.id,
        "status": c.status,
        "category": c.category,
        "category_name": names.category_name(&c.category),
        "cell": c.cell,
        "cell_name": cell_name(names, c.cell.as_deref()),
        "lat": c.lat,
        "lon": c.lon,
        "description": c.description,
        "reporter": c.reporter,
        "department": c.department,
        "department_name": department_name(names, c.department.as_deref()),
        "reported_at": output::rfc3339(c.reported_at_ms),
        "deadline": c.deadline_ms.map(output::rfc3339),
        "overdue": c.overdue,
        "rework_count": c.rework_count,
        "conflict_count": c.conflict_count,
        "rejected_count": c.rejected_count,
        "rejection": c.rejection,
        "report_rejected": c.report_rejected,
    })
}

pub fn detail_json(d: &CaseDetail, names: &Names) -> serde_json::Value {
    let c = &d.case;
    json!({
        "id": c.id,
        "status": c.status,
        "report_rejected": d.report_rejected,
        "category": c.report.category,
        "category_name": names.category_name(&c.report.category),
        "cell": c.report.cell,
        "cell_name": cell_name(names, c.report.cell.as_deref()),
        "outside_grid": c.report.cell.is_none(),
        "lat": c.report.lat,
        "lon": c.report.lon,
        "accuracy_m": c.report.accuracy_m,
        "description": c.report.description,
        "address": c.report.address,
        "urgency": c.report.urgency,
        "reporter": c.reporter,
        "reported_at": output::rfc3339(c.reported_at_ms),
        "department": c.department,
        "department_name": department_name(names, c.department.as_deref()),
        "handler": c.handler,
        "deadline": c.deadline_ms.map(output::rfc3339),
        "overdue": d.overdue,
        "rework_count": c.rework_count,
        "postpone_count": c.postpone_count,
        "resolution": c.resolution,
        "photos": c.photos,
        "conflicts": c.conflicts.iter().map(|k| json!({
            "event_id": k.event_id,
            "kind": k.kind,
            "actor": k.actor,
            "device_id": k.device_id,
            "at": output::rfc3339(k.at_ms),
            "reason": k.reason,
        })).collect::<Vec<_>>(),
        "timeline": d.timeline.iter().map(|t| json!({
            "event_id": t.event_id,
            "kind": t.kind,
            "at": output::rfc3339(t.at_ms),
            "actor": t.actor,
            "device_id": t.device_id,
            "payload": t.payload,
            "conflict": t.conflict,
            "sync": t.sync,
        })).collect::<Vec<_>>(),
    })
}

/// The cell's name in the shell's language, `null` without a cell or a name.
fn cell_name(names: &Names, code: Option<&str>) -> Option<String> {
    let cell = names.grid().cell(code?)?;
    Some(crate::names::cell_name(cell, names.lang())).filter(|n| !n.is_empty())
}

fn department_name(names: &Names, id: Option<&str>) -> Option<String> {
    let d = names.catalog()?.department(id?)?;
    Some(names.lang().pick(&d.name_en, &d.name_zh).to_string())
}
