//! The category catalogue: what can be reported, how long handling may take, and who handles it.
//!
//! Categories, time limits, closing conditions and responsible departments differ from city
//! to city (DOMAIN §3), so they are data: the server sends a catalogue (`GET /v1/catalog`) and
//! the device keeps the last one it received. Only the national major classes of the newer
//! code scheme are a constant table here ([`major_class_name`]).
//!
//! Two code schemes load side by side in one catalogue: the old GB/T 30428.2-2013 scheme
//! (2-digit major + 2-digit minor, e.g. `0101`) and the newer 2026 national scheme (2 + 3
//! digits, e.g. `01001`). In the newer scheme majors 01–05 are components and 06–10 events;
//! the old scheme numbers components and events separately with overlapping majors (0101 is
//! a component class and an event class), so for old codes only the digits and the length
//! are checked, and a code is unique within its kind only. A category is named by a
//! reference ([`CategoryRef`]): its bare code where that names one category, else
//! `kind/code` (`component/0101`); see [`Catalog::resolve`] and [`Catalog::reference`].
//!
//! Each category may carry its registration condition (立案条件, when the intake operator
//! registers a report) and closing condition (结案条件, what the verifier checks before it
//! is closed), in English and Chinese; with `"conditions_required": true` the catalogue
//! refuses a category that lacks any of the four texts.
//!
//! JSON shape:
//! ```json
//! {
//!   "version": "kcity-2026.2",
//!   "calendar": { "utc_offset_minutes": 480, "work_periods": [["08:30", "12:00"]],
//!                 "weekend": [6, 7], "holidays": [], "extra_workdays": [] },
//!   "departments": [{ "id": "water", "name_zh": "供水集团", "name_en": "Water Group" }],
//!   "categories": [{
//!     "code": "01001", "name_zh": "供水井盖", "name_en": "Water-supply manhole cover",
//!     "kind": "component", "time_limit": { "value": 2, "unit": "working_hours" },
//!     "registration_condition": "Cover missing, broken or sunk", "registration_condition_zh": "井盖缺失、破损或下沉",
//!     "closing_condition": "Cover replaced and level with the road", "closing_condition_zh": "井盖已更换且与路面齐平",
//!     "department": "water"
//!   }]
//! }
//! ```
//! The calendar's shape is described in [`crate::calendar`]. `kind` is `component` or
//! `event`; `unit` is `working_hours` or `working_days`. Unknown fields are ignored, so an
//! older device can read a newer server's catalogue. Categories are kept sorted by code
//! (plain string order), then kind; departments keep the order given.

mod category;
mod check;
mod code;
mod error;
mod raw;
mod reference;

pub use category::{Category, CentreLimits, Department};
pub use code::{major_class_name, CategoryCode, CategoryKind, CodeScheme, InvalidCategoryCode};
pub use error::{CatalogError, CategoryRefError, LookupError};
pub use reference::CategoryRef;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::WorkingCalendar;
use check::{check_category, check_departments};
use raw::RawCatalog;

/// The largest time-limit value accepted, in either unit; beyond it the data is wrong.
pub const MAX_TIME_LIMIT_VALUE: u32 = 10_000;

/// A validated catalogue: categories sorted by code (then kind), their departments and the working
/// calendar their time limits are counted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCatalog")]
pub struct Catalog {
    version: String,
    calendar: WorkingCalendar,
    departments: Vec<Department>,
    categories: Vec<Category>,
    #[serde(default)]
    centre_limits: CentreLimits,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    conditions_required: bool,
}

impl Catalog {
    /// A validated catalogue. Every code must be unique within its kind, every department id unique and
    /// referenced ids known, time limits in 1..=[`MAX_TIME_LIMIT_VALUE`], names non-empty,
    /// and new-scheme codes must sit in a major class of their kind. Errors name the
    /// position in `categories` as given; the stored categories are sorted by code.
    pub fn new(
        version: String,
        calendar: WorkingCalendar,
        departments: Vec<Department>,
        mut categories: Vec<Category>,
    ) -> Result<Self, CatalogError> {
        if version.trim().is_empty() {
            return Err(CatalogError::EmptyVersion);
        }
        check_departments(&departments)?;
        let mut first_seen = BTreeMap::new();
        for (index, c) in categories.iter().enumerate() {
            check_category(index, c, &departments, false)?;
            let key = (c.code.as_str(), c.kind.as_str());
            if let Some(&first_index) = first_seen.get(&key) {
                return Err(CatalogError::DuplicateCode {
                    index,
                    code: c.code.to_string(),
                    kind: c.kind,
                    first_index,
                });
            }
            first_seen.insert(key, index);
        }
        categories.sort_by(|a, b| {
            (a.code.as_str(), a.kind.as_str()).cmp(&(b.code.as_str(), b.kind.as_str()))
        });
        Ok(Self {
            version,
            calendar,
            departments,
            categories,
            centre_limits: CentreLimits::default(),
            conditions_required: false,
        })
    }

    /// Loads and validates a catalogue from its JSON form (see the module docs).
    pub fn from_json(json: &str) -> Result<Self, CatalogError> {
        let raw: RawCatalog = serde_json::from_str(json)?;
        Self::try_from(raw)
    }

    /// The catalogue in its JSON form; [`Catalog::from_json`] reads it back unchanged.
    pub fn to_json(&self) -> Result<String, CatalogError> {
        Ok(serde_json::to_string(self)?)
    }

    /// The catalogue's version string, as set by whoever published it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The category a reference (`06010`, `component/0101`) names, if exactly one: a
    /// bare code shared by a component and an event names none (see [`Catalog::resolve`]
    /// for why).
    pub fn get(&self, reference: &str) -> Option<&Category> {
        self.resolve(reference).ok()
    }

    /// The category a reference names: a bare code (`06010`), or a code qualified by its
    /// kind (`component/0101`). A bare code that is both a component and an event class
    /// (old scheme) is [`LookupError::Ambiguous`].
    pub fn resolve(&self, reference: &str) -> Result<&Category, LookupError> {
        let parsed = CategoryRef::parse(reference)?;
        let same_code = self.with_code(&parsed.code);
        let mut matching = same_code
            .iter()
            .filter(|c| parsed.kind.is_none_or(|k| k == c.kind));
        match (matching.next(), matching.next()) {
            (Some(one), None) => Ok(one),
            (None, _) => Err(LookupError::Unknown(reference.to_string())),
            (Some(_), Some(_)) => Err(LookupError::Ambiguous {
                code: parsed.code.to_string(),
            }),
        }
    }

    /// The categories with this code: none, one, or (old scheme) a component and an event.
    pub fn with_code(&self, code: &CategoryCode) -> &[Category] {
        let start = self.categories.partition_point(|c| c.code < *code);
        let end = self.categories.partition_point(|c| c.code <= *code);
        &self.categories[start..end]
    }

    /// How a category is named in reports, filters and Open311: its bare code when no
    /// other category shares it, else `kind/code`.
    pub fn reference(&self, category: &Category) -> String {
        if self.with_code(&category.code).len() > 1 {
            CategoryRef::qualified(category.kind, &category.code)
        } else {
            category.code.to_string()
        }
    }

    /// The canonical form of a reference ([`Catalog::reference`] of what it names).
    pub fn canonical(&self, reference: &str) -> Result<String, LookupError> {
        self.resolve(reference).map(|c| self.reference(c))
    }

    /// All categories, sorted by code.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// All departments, in the order given.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    /// The department with this id, if any.
    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    /// The working calendar time limits are counted on.
    pub fn calendar(&self) -> &WorkingCalendar {
        &self.calendar
    }

    /// The limits on the centre's own steps.
    pub fn centre_limits(&self) -> &CentreLimits {
        &self.centre_limits
    }

    /// Whether every category must carry its registration and closing conditions in
    /// Chinese and English (`"conditions_required": true` in the JSON).
    pub fn conditions_required(&self) -> bool {
        self.conditions_required
    }

    /// The catalogue, checked to give every category its registration (立案条件) and
    /// closing conditions (结案条件) in both languages, and marked so; errors name the
    /// position in [`Catalog::categories`] (sorted).
    pub fn requiring_conditions(mut self) -> Result<Self, CatalogError> {
        for (index, c) in self.categories.iter().enumerate() {
            check_category(index, c, &self.departments, true)?;
        }
        self.conditions_required = true;
        Ok(self)
    }

    /// The catalogue with other limits on the centre's steps.
    pub fn with_centre_limits(mut self, limits: CentreLimits) -> Self {
        self.centre_limits = limits;
        self
    }
}
