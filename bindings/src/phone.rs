//! The phone API beyond report/list/show/act (docs/mobile.md, "Phone API"): the actions
//! the signed-in user may take on a case (from the core's `available_actions`, which
//! asks `workflow::check`), the grid with its geometry for a cell picker and a map,
//! "my cells" and "my cases", verification tasks, and datum conversions for display.
//! Every call forwards to the core; nothing here decides anything.

use crate::{
    error::GridworkError,
    store::GridworkStore,
    types::{parse_case_id, ActionKind, CasePage, CaseSummary, PageCursor},
};
use gridwork_core::{geo, store};
use std::collections::HashMap;

/// A WGS-84 (or, where a function says so, GCJ-02 / BD-09) point in degrees.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPoint {
    /// Latitude, positive north.
    pub lat: f64,
    /// Longitude, positive east.
    pub lon: f64,
}

impl From<geo::LatLon> for GeoPoint {
    fn from(p: geo::LatLon) -> Self {
        GeoPoint {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

impl From<GeoPoint> for geo::LatLon {
    fn from(p: GeoPoint) -> Self {
        geo::LatLon::new(p.lat, p.lon)
    }
}

/// One grid cell with its boundary, for a cell picker and a map.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GridCell {
    /// The cell code (15 digits), as `start_patrol` and `CaseFilter.cell_prefix` take it.
    pub code: String,
    /// Display name (may be empty).
    pub name: String,
    /// Other names the grid file gives (`name_zh`, `name_en`, `street_name` …).
    pub labels: HashMap<String, String>,
    /// The boundary's rings, WGS-84: the outer ring first, then any holes; each ring is
    /// closed (its last point repeats the first). Convert with `wgs84_to_gcj02` for a
    /// Chinese base map.
    pub rings: Vec<Vec<GeoPoint>>,
    /// Geodesic area in square metres.
    pub area_m2: f64,
}

impl From<&geo::grid::Cell> for GridCell {
    fn from(c: &geo::grid::Cell) -> Self {
        let rings = c
            .rings()
            .into_iter()
            .map(|r| r.into_iter().map(Into::into).collect())
            .collect();
        GridCell {
            code: c.code.as_str().to_string(),
            name: c.name.clone(),
            labels: c.labels.clone().into_iter().collect(),
            rings,
            area_m2: c.area_m2(),
        }
    }
}

/// Whether an action takes an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum InputNeed {
    /// Not used by the action: do not ask.
    No,
    /// Asked for; may be left empty.
    Optional,
    /// The action is refused without it.
    Required,
}

impl From<store::Need> for InputNeed {
    fn from(n: store::Need) -> Self {
        match n {
            store::Need::No => InputNeed::No,
            store::Need::Optional => InputNeed::Optional,
            store::Need::Required => InputNeed::Required,
        }
    }
}

/// The inputs an action takes (`ActionRequest`'s fields), for the form shown before it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ActionInputs {
    /// `note`: the note, or the reason where required.
    pub note: InputNeed,
    /// `department`: dispatch (defaults to `default_department`), assist.
    pub department: InputNeed,
    /// `photos`: the after photo of handle and self-resolve; verification photos.
    pub photos: InputNeed,
    /// `position`: where the user stands, for an on-site verification.
    pub position: InputNeed,
    /// `extend`: more time, for postpone and an application for it.
    pub extend: InputNeed,
    /// `conflict`: the flagged event to settle (one of `open_conflicts`).
    pub conflict: InputNeed,
}

/// An action the signed-in user may take on a case now: show it as a button, ask for
/// its inputs, then pass an `ActionRequest` of this `kind` to `act`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AvailableAction {
    /// Which action.
    pub kind: ActionKind,
    /// What to ask for first.
    pub inputs: ActionInputs,
    /// Dispatch: where the case goes when no department is picked.
    pub default_department: Option<String>,
    /// Resolve-conflict: the flagged events (event ids) nobody has settled.
    pub open_conflicts: Vec<String>,
}

impl From<store::AvailableAction> for AvailableAction {
    fn from(a: store::AvailableAction) -> Self {
        let i = a.inputs;
        AvailableAction {
            kind: a.kind.into(),
            inputs: ActionInputs {
                note: i.note.into(),
                department: i.department.into(),
                photos: i.photos.into(),
                position: i.position.into(),
                extend: i.extend.into(),
                conflict: i.conflict.into(),
            },
            default_department: a.default_department,
            open_conflicts: a.open_conflicts.iter().map(ToString::to_string).collect(),
        }
    }
}

#[uniffi::export]
impl GridworkStore {
    /// The actions the signed-in user may take on case `id` as it stands, in a fixed
    /// order, each with the inputs it needs. Decided by the core's workflow rules (role,
    /// department, state), so a listed action with its required inputs is accepted by
    /// `act`. Empty before sign-in and for a case whose report the server refused.
    pub fn available_actions(&self, id: String) -> Result<Vec<AvailableAction>, GridworkError> {
        let id = parse_case_id(&id)?;
        Ok(self
            .core()
            .available_actions(id)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Every cell of the grid, sorted by code (empty before a grid arrived).
    pub fn cells(&self) -> Result<Vec<GridCell>, GridworkError> {
        Ok(self.core().grid()?.cells().iter().map(Into::into).collect())
    }

    /// The cell a WGS-84 point lies in, or null outside the grid. A NaN or out-of-range
    /// coordinate is `InvalidInput`.
    pub fn cell_at(&self, lat: f64, lon: f64) -> Result<Option<GridCell>, GridworkError> {
        geo::validate_point(lat, lon).map_err(gridwork_core::Error::from)?;
        Ok(self.core().grid()?.locate(lat, lon).map(Into::into))
    }

    /// The cells of the signed-in account's scope ("my cells": a worker's patrol area),
    /// sorted by code; empty before the first sign-in.
    pub fn my_cells(&self) -> Result<Vec<GridCell>, GridworkError> {
        Ok(self.core().my_cells()?.iter().map(Into::into).collect())
    }

    /// The grid-code prefixes the signed-in account may see, as the server named them
    /// at the last sign-in; null before it.
    pub fn scope(&self) -> Result<Option<Vec<String>>, GridworkError> {
        Ok(self.core().scope()?)
    }

    /// The signed-in worker's verification tasks (核查任务): handled cases waiting for
    /// their on-site check that are theirs to verify, newest first. Empty for other
    /// roles.
    pub fn verification_tasks(&self) -> Result<Vec<CaseSummary>, GridworkError> {
        Ok(self
            .core()
            .verification_tasks()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A page of at most `limit` cases (1 to 500) the signed-in user reported, newest
    /// first, paged in SQL: pass the previous page's `next` as `after`.
    pub fn my_cases(
        &self,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<CasePage, GridworkError> {
        let after = after.map(TryInto::try_into).transpose()?;
        Ok(self.core().my_cases(after, limit)?.into())
    }
}

/// WGS-84 (GPS) to GCJ-02, the datum of Chinese base maps (AMap, Tencent). Points
/// outside mainland China are returned unchanged.
#[uniffi::export]
pub fn wgs84_to_gcj02(point: GeoPoint) -> GeoPoint {
    geo::datum::wgs84_to_gcj02(point.into()).into()
}

/// GCJ-02 back to WGS-84 (a point picked on a Chinese base map, before `report`).
#[uniffi::export]
pub fn gcj02_to_wgs84(point: GeoPoint) -> GeoPoint {
    geo::datum::gcj02_to_wgs84(point.into()).into()
}

/// WGS-84 to BD-09, Baidu Maps' datum.
#[uniffi::export]
pub fn wgs84_to_bd09(point: GeoPoint) -> GeoPoint {
    geo::datum::wgs84_to_bd09(point.into()).into()
}

/// BD-09 back to WGS-84.
#[uniffi::export]
pub fn bd09_to_wgs84(point: GeoPoint) -> GeoPoint {
    geo::datum::bd09_to_wgs84(point.into()).into()
}

/// GCJ-02 to BD-09.
#[uniffi::export]
pub fn gcj02_to_bd09(point: GeoPoint) -> GeoPoint {
    geo::datum::gcj02_to_bd09(point.into()).into()
}

/// BD-09 to GCJ-02.
#[uniffi::export]
pub fn bd09_to_gcj02(point: GeoPoint) -> GeoPoint {
    geo::datum::bd09_to_gcj02(point.into()).into()
}
