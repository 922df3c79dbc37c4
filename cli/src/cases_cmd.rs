//! `gridwork field report|list|show|act|counts`: cases for people (names beside codes,
//! the city's clock, the shell's language) and as the stable JSON of `cases_json`.

use crate::cases_json::{detail_json, summary_json, with_gcj02};
use crate::field::{action_name, Ctx};
use crate::lang::{self, label, Lang, Msg};
use crate::names::Names;
use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use gridwork_core::{
    db::{CaseSummary, ListFilter},
    model::Urgency,
    store::{ActionRequest, CaseDetail, ReportDraft, SyncState},
    workflow::Status,
};
use serde_json::json;
use std::path::PathBuf;

/// What `report` was given.
pub struct Draft {
    /// Category code.
    pub category: String,
    /// WGS-84 latitude.
    pub lat: f64,
    /// WGS-84 longitude.
    pub lon: f64,
    /// What was seen.
    pub text: String,
    /// Accuracy in metres.
    pub accuracy: Option<f64>,
    /// Address text.
    pub address: Option<String>,
    /// Urgent or not.
    pub urgent: bool,
    /// Photo files.
    pub photos: Vec<PathBuf>,
}

/// `report`: records the case and says what was recorded where.
pub fn report(ctx: &Ctx, d: Draft, json: bool) -> Result<()> {
    let id = ctx.store.report(&ReportDraft {
        category: d.category,
        lat: d.lat,
        lon: d.lon,
        accuracy_m: d.accuracy,
        description: d.text,
        address: d.address,
        urgency: if d.urgent {
            Urgency::Urgent
        } else {
            Urgency::Normal
        },
        photos: d.photos,
        patrol: None,
    })?;
    let detail = ctx.store.case(id)?;
    if json {
        return output::json(
            &json!({"id": id, "status": detail.case.status, "cell": detail.case.cell()}),
        );
    }
    let names = ctx.names()?;
    let cell = where_is(&names, detail.case.report.cell.as_deref());
    let category = names.category(&detail.case.report.category);
    ctx.confirm(id, ctx.lang.say(Msg::Reported, &[&id, &category, &cell]));
    Ok(())
}

/// A cell with its name, or "outside every grid cell".
fn where_is(names: &Names, cell: Option<&str>) -> String {
    match cell {
        Some(code) => names.cell(code),
        None => names.lang().say(Msg::OutsideGrid, &[]),
    }
}

/// The list filter from `list`'s flags; an unknown status lists the valid ones.
pub fn filter(
    lang: Lang,
    cell: Option<String>,
    status: Option<String>,
    overdue: bool,
    assignee: Option<String>,
    search: Option<String>,
) -> Result<ListFilter> {
    let rejected = status.as_deref().map(str::trim) == Some("rejected");
    let status = match status.filter(|_| !rejected) {
        None => None,
        Some(s) => Some(s.trim().parse::<Status>().map_err(|_| {
            let mut all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            all.push("rejected");
            Error(lang.say(Msg::UnknownStatus, &[&s, &all.join(", ")]))
        })?),
    };
    Ok(ListFilter {
        cell_prefix: cell,
        status,
        overdue,
        assignee,
        search,
        rejected,
        reporter: None,
    })
}

/// `list`: cases newest first; "no cases" when there are none; refused items marked with
/// the server's reason.
pub fn list(ctx: &Ctx, filter: &ListFilter, limit: u32, json: bool, gcj02: bool) -> Result<()> {
    let page = ctx.store.list(filter, None, limit)?;
    let names = ctx.names()?;
    if json {
        let items: Vec<_> = page
            .items
            .iter()
            .map(|c| with_gcj02(summary_json(c, &names), c.lat, c.lon, gcj02))
            .collect();
        return output::json(&json!({"items": items, "more": page.next.is_some()}));
    }
    let lang = ctx.lang;
    if page.items.is_empty() {
        output::line(lang.say(Msg::NoCases, &[]));
    }
    let offset = ctx.offset()?;
    for c in &page.items {
        let mut line = summary_line(c, &names, offset);
        if gcj02 {
            let g =
                gridwork_core::geo::wgs84_to_gcj02(gridwork_core::geo::LatLon::new(c.lat, c.lon));
            line.push_str(&format!("  gcj02 {:.6},{:.6}", g.lat, g.lon));
        }
        output::line(line);
    }
    if page.next.is_some() {
        output::line(lang.say(Msg::More, &[&page.items.len()]));
    }
    Ok(())
}

fn summary_line(c: &CaseSummary, names: &Names, offset: i32) -> String {
    let lang = names.lang();
    let mut flags = String::new();
    if c.overdue {
        flags.push_str(lang.pick(" OVERDUE", " 已超时"));
    }
    if c.conflict_count > 0 {
        flags.push_str(lang.pick(" CONFLICT", " 有冲突"));
    }
    // What the server refused (quarantined), and why, in its own words.
    if let Some(why) = &c.rejection {
        flags.push_str(lang.pick(" REJECTED ", " 被拒绝 "));
        flags.push_str(&truncate(why, 80));
    }
    // A report the server refused is no case waiting for the centre.
    let status = if c.report_rejected {
        "rejected"
    } else {
        c.status.as_str()
    };
    format!(
        "{}  {} {}  {}  {}  {}{flags}",
        c.id,
        lang::pad(&lang::status(lang, status), 10),
        names.category(&c.category),
        where_is(names, c.cell.as_deref()),
        output::local(c.reported_at_ms, offset),
        truncate(&c.description, 40),
    )
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// `show`: one case with its timeline.
pub fn show(ctx: &Ctx, id: uuid::Uuid, json: bool, gcj02: bool) -> Result<()> {
    let detail = ctx.store.case(id)?;
    let names = ctx.names()?;
    let (lat, lon) = (detail.case.report.lat, detail.case.report.lon);
    if json {
        return output::json(&with_gcj02(detail_json(&detail, &names), lat, lon, gcj02));
    }
    print_detail(&detail, &names, ctx.offset()?);
    // The category's 立案条件 and 结案条件, for whoever registers or closes it.
    if let Some(c) = ctx
        .store
        .catalog()?
        .and_then(|k| k.get(detail.case.category()).cloned())
    {
        let (register, close) = match ctx.lang {
            Lang::En => (&c.registration_condition, &c.closing_condition),
            Lang::Zh => (&c.registration_condition_zh, &c.closing_condition_zh),
        };
        let labels = match ctx.lang {
            Lang::En => ["register if", "close if"],
            Lang::Zh => ["立案条件", "结案条件"],
        };
        for (label, text) in labels.into_iter().zip([register, close]) {
            if !text.is_empty() {
                output::line(format!("{label:<10}{text}"));
            }
        }
    }
    if gcj02 {
        let g = gridwork_core::geo::wgs84_to_gcj02(gridwork_core::geo::LatLon::new(lat, lon));
        output::line(format!("gcj-02    {:.6}, {:.6}", g.lat, g.lon));
    }
    Ok(())
}

/// `act`: takes the step and says what the case is now.
pub fn act(ctx: &Ctx, id: uuid::Uuid, request: &ActionRequest, json: bool) -> Result<()> {
    let case = ctx.store.act(id, request)?;
    if json {
        let names = ctx.names()?;
        return output::json(&detail_json(&ctx.store.case(id)?, &names));
    }
    let lang = ctx.lang;
    let mut status = lang::status(lang, case.status.as_str());
    if let (Some(dept), true) = (&case.department, case.status == Status::Dispatched) {
        status = format!("{status} → {}", ctx.names()?.department(dept));
    }
    let action = match lang {
        Lang::En => action_name(request.kind),
        Lang::Zh => lang::action(lang, request.kind.as_str()),
    };
    ctx.confirm(id, lang.say(Msg::Acted, &[&id, &action, &status]));
    Ok(())
}

/// `counts`: cases per status, then the refused ones.
pub fn counts(ctx: &Ctx, cell: Option<String>, json: bool) -> Result<()> {
    let filter = ListFilter {
        cell_prefix: cell,
        ..ListFilter::default()
    };
    let counts = ctx.store.counts(&filter)?;
    let rejected = ctx.store.rejected_cases(&filter)?;
    if json {
        let mut v = serde_json::to_value(&counts)?;
        if rejected > 0 {
            v["rejected"] = json!(rejected);
        }
        return output::json(&v);
    }
    let lang = ctx.lang;
    if counts.is_empty() && rejected == 0 {
        output::line(lang.say(Msg::NoCases, &[]));
    }
    let name = |wire: &str| match lang {
        Lang::En => format!("{wire:<11}"),
        Lang::Zh => format!("{} {wire:<11}", lang::status(lang, wire)),
    };
    for (status, n) in counts {
        output::line(format!("{} {n}", name(status.as_str())));
    }
    if rejected > 0 {
        output::line(format!(
            "{} {rejected} ({})",
            name("rejected"),
            lang.pick(
                "cases with a step or report the server refused",
                "含有被服务器拒绝的上报或操作的案件"
            )
        ));
    }
    Ok(())
}

fn print_detail(d: &CaseDetail, names: &Names, offset: i32) {
    let lang = names.lang();
    let c = &d.case;
    let row =
        |key: &'static str, value: String| output::line(format!("{}{value}", label(lang, key)));
    row("case", c.id.to_string());
    match &d.report_rejected {
        Some(reason) => row(
            "status",
            match lang {
                Lang::En => format!(
                    "REJECTED: the server refused the report ({reason}); kept on this device only"
                ),
                Lang::Zh => format!("被拒绝：服务器拒绝了此上报（{reason}），只保存在本设备"),
            },
        ),
        None => row(
            "status",
            format!(
                "{}{}",
                lang::status(lang, c.status.as_str()),
                if d.overdue {
                    lang.pick("  (OVERDUE)", "（已超时）")
                } else {
                    ""
                }
            ),
        ),
    }
    row("category", names.category(&c.report.category));
    match c.report.cell.as_deref() {
        Some(code) => {
            row("cell", names.cell(code));
            if let Some(s) = names.street(code) {
                row("street", s);
            }
            if let Some(s) = names.community(code) {
                row("community", s);
            }
        }
        None => row("cell", lang.say(Msg::OutsideGrid, &[])),
    }
    row("where", format!("{:.6}, {:.6}", c.report.lat, c.report.lon));
    row("what", c.report.description.clone());
    row(
        "reported",
        format!(
            "{} {} {}",
            output::local(c.reported_at_ms, offset),
            lang.pick("by", "由"),
            c.reporter
        ),
    );
    if let Some(dept) = &c.department {
        row("dept", names.department(dept));
    }
    if let Some(deadline) = c.deadline_ms {
        row("deadline", output::local(deadline, offset));
    }
    row("rework", c.rework_count.to_string());
    for k in &c.conflicts {
        output::line(format!(
            "{}{} by {} on {}: {}",
            label(lang, lang.pick("CONFLICT", "冲突")),
            k.kind,
            k.actor,
            k.device_id,
            k.reason
        ));
    }
    for t in &d.timeline {
        if let SyncState::Rejected(reason) = &t.sync {
            output::line(format!(
                "{}{} by {} on {}: {reason} ({})",
                label(lang, lang.pick("REJECTED", "被拒绝")),
                t.kind,
                t.actor,
                t.device_id,
                lang.pick("not applied", "未生效")
            ));
        }
    }
    output::line(format!("{}:", label(lang, "timeline").trim_end()));
    for t in &d.timeline {
        let mark = match (&t.sync, t.conflict) {
            (SyncState::Rejected(_), _) => {
                lang.pick(" [rejected by the server]", " [被服务器拒绝]")
            }
            (_, true) => lang.pick(" [conflict]", " [冲突]"),
            _ => "",
        };
        output::line(format!(
            "  {}  {:<30} {}{mark}",
            output::local(t.at_ms, offset),
            t.kind,
            t.actor
        ));
    }
}
