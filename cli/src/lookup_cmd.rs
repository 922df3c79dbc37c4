//! `gridwork field categories` and `gridwork field cells`: finding the codes to type.

use crate::field::Ctx;
use crate::lang::{Lang, Msg};
use crate::names::{category_name, cell_name, community_name, street_name};
use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use gridwork_core::calendar::TimeLimit;
use serde_json::json;

/// Lists the categories matching a search (code prefix or name in either language).
pub fn categories(ctx: &Ctx, search: Option<&str>, json: bool) -> Result<()> {
    let names = ctx.names()?;
    let lang = ctx.lang;
    if names.catalog().is_none() {
        return Err(Error(lang.say(Msg::NoCatalog, &[])));
    }
    let found = names.find_categories(search);
    if json {
        let items: Vec<_> = found
            .iter()
            .map(|c| {
                json!({
                    "code": c.code.as_str(),
                    "name_zh": c.name_zh,
                    "name_en": c.name_en,
                    "kind": c.kind,
                    "department": c.department,
                    "time_limit": c.time_limit,
                })
            })
            .collect();
        return output::json(&json!({ "items": items }));
    }
    if found.is_empty() {
        return Err(Error(lang.say(Msg::NoMatch, &[&search.unwrap_or("")])));
    }
    for c in found {
        let other = match lang {
            Lang::En => &c.name_zh,
            Lang::Zh => &c.name_en,
        };
        output::line(format!(
            "{}  {}  {}  → {}, {}",
            c.code.as_str(),
            category_name(c, lang),
            other,
            names.department(&c.department),
            limit(lang, &c.time_limit)
        ));
    }
    Ok(())
}

fn limit(lang: Lang, l: &TimeLimit) -> String {
    match (lang, l) {
        (Lang::En, TimeLimit::WorkingHours(1)) => "1 working hour".to_string(),
        (Lang::En, TimeLimit::WorkingDays(1)) => "1 working day".to_string(),
        (Lang::En, TimeLimit::WorkingHours(n)) => format!("{n} working hours"),
        (Lang::En, TimeLimit::WorkingDays(n)) => format!("{n} working days"),
        (Lang::Zh, TimeLimit::WorkingHours(n)) => format!("{n} 个工作小时"),
        (Lang::Zh, TimeLimit::WorkingDays(n)) => format!("{n} 个工作日"),
    }
}

/// Lists the cells matching a search (code prefix, or the name of a cell, street or
/// community in any language the grid gives).
pub fn cells(ctx: &Ctx, search: Option<&str>, json: bool) -> Result<()> {
    let names = ctx.names()?;
    let lang = ctx.lang;
    if names.grid().is_empty() {
        return Err(Error(lang.say(Msg::NoGrid, &[])));
    }
    let found = names.find_cells(search);
    if json {
        let items: Vec<_> = found
            .iter()
            .map(|c| {
                json!({
                    "code": c.code.as_str(),
                    "name": cell_name(c, lang),
                    "street": c.code.street(),
                    "street_name": street_name(c, lang),
                    "community": c.code.community(),
                    "community_name": community_name(c, lang),
                })
            })
            .collect();
        return output::json(&json!({ "items": items }));
    }
    if found.is_empty() {
        return Err(Error(lang.say(Msg::NoMatch, &[&search.unwrap_or("")])));
    }
    for c in found {
        let area: Vec<String> = [street_name(c, lang), community_name(c, lang)]
            .into_iter()
            .flatten()
            .collect();
        let name = cell_name(c, lang);
        let mut line = format!("{}  {name}", c.code.as_str());
        if !area.is_empty() && !area.iter().all(|a| name.contains(a.as_str())) {
            line.push_str(&format!("  ({})", area.join(" · ")));
        }
        output::line(line);
    }
    Ok(())
}
