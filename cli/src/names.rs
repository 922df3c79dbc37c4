//! Names beside codes: categories and departments from the store's catalogue, cells,
//! streets and communities from its grid, in the shell's language; and the searches of
//! `gridwork field categories` and `gridwork field cells`.

use crate::lang::Lang;
use crate::output::anyhow_free::Result;
use gridwork_core::{
    catalog::{Catalog, Category},
    geo::{Cell, Grid},
    Store,
};

/// The store's catalogue and grid, read once per command.
pub struct Names {
    lang: Lang,
    catalog: Option<Catalog>,
    grid: Grid,
}

impl Names {
    /// Reads the store's catalogue and grid.
    pub fn load(store: &Store, lang: Lang) -> Result<Names> {
        Ok(Names {
            lang,
            catalog: store.catalog()?,
            grid: store.grid()?,
        })
    }

    /// The language names are given in.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The catalogue, if one was imported.
    pub fn catalog(&self) -> Option<&Catalog> {
        self.catalog.as_ref()
    }

    /// The grid (empty until one is imported).
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// A category's name in the shell's language, if the catalogue has the code.
    pub fn category_name(&self, code: &str) -> Option<&str> {
        let c = self.catalog.as_ref()?.get(code)?;
        Some(category_name(c, self.lang))
    }

    /// `exposed rubbish (06010)`, or the bare code when the catalogue lacks it.
    pub fn category(&self, code: &str) -> String {
        beside(self.category_name(code), code)
    }

    /// `K City Sanitation Office (sanitation)`, or the bare id.
    pub fn department(&self, id: &str) -> String {
        let name = self
            .catalog
            .as_ref()
            .and_then(|c| c.department(id))
            .map(|d| {
                self.lang
                    .pick(&d.name_en, &d.name_zh)
                    .to_string()
                    .trim()
                    .to_string()
            });
        beside(name.as_deref().filter(|n| !n.is_empty()), id)
    }

    /// `32050800100101 (Lanxi St · Lanyuan Community · cell 01)`, or the bare code.
    pub fn cell(&self, code: &str) -> String {
        match self.grid.cell(code) {
            Some(cell) => {
                let name = cell_name(cell, self.lang);
                if name.is_empty() {
                    code.to_string()
                } else {
                    format!("{code} ({name})")
                }
            }
            None => code.to_string(),
        }
    }

    /// The street of a cell code, with its name when the grid gives one:
    /// `320508001 Lanxi St`.
    pub fn street(&self, code: &str) -> Option<String> {
        self.area(code, 9, "street_name")
    }

    /// The community of a cell code, with its name when the grid gives one.
    pub fn community(&self, code: &str) -> Option<String> {
        self.area(code, 12, "community_name")
    }

    fn area(&self, code: &str, len: usize, key: &str) -> Option<String> {
        let prefix = code.get(..len)?;
        let name = self
            .grid
            .cells_with_prefix(prefix)
            .iter()
            .find_map(|c| label(c, key, self.lang));
        Some(match name {
            Some(n) => format!("{prefix} {n}"),
            None => prefix.to_string(),
        })
    }

    /// Categories whose code starts with `search` or whose name (either language)
    /// contains it, ignoring case; all of them without a search.
    pub fn find_categories(&self, search: Option<&str>) -> Vec<&Category> {
        let Some(catalog) = &self.catalog else {
            return Vec::new();
        };
        let needle = search.map(|s| s.trim().to_lowercase());
        catalog
            .categories()
            .iter()
            .filter(|c| match &needle {
                None => true,
                Some(n) => {
                    c.code.as_str().starts_with(n.as_str())
                        || c.name_zh.to_lowercase().contains(n.as_str())
                        || c.name_en.to_lowercase().contains(n.as_str())
                }
            })
            .collect()
    }

    /// Cells whose code starts with `search` or whose name, street or community name
    /// (any language) contains it, ignoring case; all of them without a search.
    pub fn find_cells(&self, search: Option<&str>) -> Vec<&Cell> {
        let needle = search.map(|s| s.trim().to_lowercase());
        self.grid
            .cells()
            .iter()
            .filter(|c| match &needle {
                None => true,
                Some(n) => {
                    c.code.as_str().starts_with(n.as_str())
                        || c.name.to_lowercase().contains(n.as_str())
                        || c.labels
                            .values()
                            .any(|v| v.to_lowercase().contains(n.as_str()))
                }
            })
            .collect()
    }
}

/// A category's name in a language (the other one when it is empty).
pub fn category_name(c: &Category, lang: Lang) -> &str {
    let name = lang.pick(&c.name_en, &c.name_zh);
    if name.trim().is_empty() {
        lang.pick(&c.name_zh, &c.name_en)
    } else {
        name
    }
}

/// A cell's name in a language: `name_zh`/`name_en` when the grid has it, else `name`.
pub fn cell_name(cell: &Cell, lang: Lang) -> String {
    label(cell, "name", lang).unwrap_or_default()
}

/// A cell's street name (`street_name_zh`, …, else `street_name`).
pub fn street_name(cell: &Cell, lang: Lang) -> Option<String> {
    label(cell, "street_name", lang)
}

/// A cell's community name.
pub fn community_name(cell: &Cell, lang: Lang) -> Option<String> {
    label(cell, "community_name", lang)
}

/// The `key_zh` / `key_en` property in the language, else plain `key` (`name` is the
/// cell's own field).
fn label(cell: &Cell, key: &str, lang: Lang) -> Option<String> {
    let own = cell.labels.get(&format!("{key}_{}", lang.tag()));
    let plain = if key == "name" {
        Some(&cell.name)
    } else {
        cell.labels.get(key)
    };
    own.or(plain)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn beside(name: Option<&str>, code: &str) -> String {
    match name {
        Some(n) => format!("{n} ({code})"),
        None => code.to_string(),
    }
}
