//! Reference data in the store: the catalogue (categories, departments, working
//! calendar) and the grid, imported by hand or downloaded by sync, and the categories a
//! newer catalogue no longer lists ("retired"), kept so that the cases filed under them
//! still show their names and time limits (docs/sync-protocol.md, "Reference data").
//!
//! Every import parses everything first and writes in one transaction: a bad file or
//! download changes nothing. No import touches cases, events, patrols or photos.

use super::{meta_get, meta_set, Store};
use crate::{
    catalog::{Catalog, Category},
    error::{Error, Result},
    geo::Grid,
};
use rusqlite::Connection;
use std::collections::BTreeMap;

/// The version (the server's `Gridwork-Reference`) of the catalogue and grid the store
/// holds together, when they came from a server.
pub(crate) const REFERENCE_VERSION: &str = "reference.version";
/// Categories a later catalogue dropped, by reference: a JSON object of categories.
const RETIRED: &str = "catalog.retired";

/// What a reference import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceImport {
    /// Categories in the new catalogue.
    pub categories: usize,
    /// Cells in the new grid.
    pub cells: usize,
    /// References of the categories the new catalogue dropped in this import (kept as
    /// retired).
    pub retired: Vec<String>,
}

/// A category as a case shows it: from the current catalogue, or retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCategory {
    /// The category, as the last catalogue that listed it described it.
    pub category: Category,
    /// Whether the current catalogue no longer lists it: cases filed under it keep it,
    /// new reports cannot use it.
    pub retired: bool,
}

impl Store {
    /// Replaces the catalogue and the grid together, as downloaded from a server whose
    /// reference version is `version`. Both are parsed before anything is written, and
    /// both are written in one transaction: a malformed download changes nothing. Cases,
    /// events, patrols and photos are untouched; categories the new catalogue drops are
    /// kept as retired ([`Store::known_category`]).
    pub fn import_reference(
        &self,
        catalog_json: &str,
        grid_geojson: &str,
        version: Option<&str>,
    ) -> Result<ReferenceImport> {
        let catalog = Catalog::from_json(catalog_json)?;
        let grid = Grid::from_geojson(grid_geojson)?;
        let retired = self.db().write(|tx| {
            let retired = write_catalog(tx, &catalog)?;
            write_grid(tx, &grid)?;
            match version {
                Some(v) => meta_set(tx, REFERENCE_VERSION, v)?,
                None => forget_version(tx)?,
            }
            Ok(retired)
        })?;
        self.invalidate_reference();
        Ok(ReferenceImport {
            categories: catalog.categories().len(),
            cells: grid.len(),
            retired,
        })
    }

    /// The server's reference version of the catalogue and grid held, when they were
    /// downloaded by sync (`None` after a hand import or before any download).
    pub fn reference_version(&self) -> Result<Option<String>> {
        self.db().read(|c| meta_get(c, REFERENCE_VERSION))
    }

    /// A category by the reference a case holds: from the current catalogue, or one a
    /// later catalogue dropped (retired). `None` when neither knows it.
    pub fn known_category(&self, reference: &str) -> Result<Option<KnownCategory>> {
        if let Some(c) = self.catalog()?.as_ref().and_then(|c| c.get(reference)) {
            return Ok(Some(KnownCategory {
                category: c.clone(),
                retired: false,
            }));
        }
        let retired = self.db().read(read_retired)?;
        Ok(retired.get(reference).map(|c| KnownCategory {
            category: c.clone(),
            retired: true,
        }))
    }
}

/// Writes the grid's cells and text (the previous grid's are replaced).
pub(crate) fn write_grid(tx: &Connection, grid: &Grid) -> Result<()> {
    tx.execute("DELETE FROM cells", [])?;
    let mut stmt = tx.prepare("INSERT INTO cells (code, name) VALUES (?1, ?2)")?;
    for cell in grid.cells() {
        stmt.execute(rusqlite::params![cell.code.as_str(), cell.name])?;
    }
    meta_set(tx, "grid", &grid.to_geojson())
}

/// Writes the catalogue (the previous one's categories are replaced) and keeps the
/// categories it drops as retired; returns their references.
pub(crate) fn write_catalog(tx: &Connection, catalog: &Catalog) -> Result<Vec<String>> {
    let text = catalog.to_json()?;
    let mut retired = read_retired(tx)?;
    let mut dropped = Vec::new();
    if let Some(old) = meta_get(tx, "catalog")? {
        let old = Catalog::from_json(&old)
            .map_err(|e| Error::Corrupt(format!("stored catalogue: {e}")))?;
        for c in old.categories() {
            let reference = old.reference(c);
            if catalog.get(&reference).is_none() {
                dropped.push(reference.clone());
                retired.insert(reference, c.clone());
            }
        }
    }
    // A category listed again is current, not retired.
    retired.retain(|reference, _| catalog.get(reference).is_none());
    tx.execute("DELETE FROM categories", [])?;
    let mut stmt = tx.prepare("INSERT INTO categories (code, json) VALUES (?1, ?2)")?;
    for c in catalog.categories() {
        let json = serde_json::to_string(c).map_err(|e| Error::Corrupt(e.to_string()))?;
        // Keyed by the reference: the bare code, or `kind/code` where an
        // old-scheme component and event share the code.
        stmt.execute(rusqlite::params![catalog.reference(c), json])?;
    }
    meta_set(tx, "catalog", &text)?;
    let retired_text =
        serde_json::to_string(&retired).map_err(|e| Error::Corrupt(e.to_string()))?;
    meta_set(tx, RETIRED, &retired_text)?;
    Ok(dropped)
}

/// Forgets the server version: what the store holds was imported by hand, so the next
/// sync downloads the server's again.
pub(crate) fn forget_version(tx: &Connection) -> Result<()> {
    tx.execute("DELETE FROM meta WHERE key = ?1", [REFERENCE_VERSION])?;
    Ok(())
}

fn read_retired(conn: &Connection) -> Result<BTreeMap<String, Category>> {
    match meta_get(conn, RETIRED)? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| Error::Corrupt(format!("stored retired categories: {e}"))),
        None => Ok(BTreeMap::new()),
    }
}
