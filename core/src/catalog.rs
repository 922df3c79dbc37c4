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
//! the old scheme numbers components and events separately with overlapping majors, so for
//! old codes only the digits and the length are checked. Codes are unique across the whole
//! catalogue, so an old-scheme component and event may not share a code.
//!
//! JSON shape:
//! ```json
//! {
//!   "version": "kcity-2026.1",
//!   "calendar": { "utc_offset_minutes": 480, "work_periods": [["08:30", "12:00"]],
//!                 "weekend": [6, 7], "holidays": [], "extra_workdays": [] },
//!   "departments": [{ "id": "water", "name_zh": "供水集团", "name_en": "Water Group" }],
//!   "categories": [{
//!     "code": "01001", "name_zh": "供水井盖", "name_en": "Water-supply manhole cover",
//!     "kind": "component", "time_limit": { "value": 2, "unit": "working_hours" },
//!     "closing_condition": "Cover replaced and level with the road", "department": "water"
//!   }]
//! }
//! ```
//! The calendar's shape is described in [`crate::calendar`]. `kind` is `component` or
//! `event`; `unit` is `working_hours` or `working_days`. Unknown fields are ignored, so an
//! older device can read a newer server's catalogue. Categories are kept sorted by code
//! (plain string order); departments keep the order given.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, RawCalendar, TimeLimit, WorkingCalendar};

/// The largest time-limit value accepted, in either unit; beyond it the data is wrong.
pub const MAX_TIME_LIMIT_VALUE: u32 = 10_000;

/// Why a catalogue was rejected. Entry errors name the entry's position (0-based) in the
/// list as given, and its code.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The text is not JSON of the catalogue's shape.
    #[error("catalogue is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The catalogue's working calendar is invalid.
    #[error("catalogue calendar: {0}")]
    Calendar(#[from] CalendarError),
    /// The catalogue has no version string.
    #[error("catalogue version is empty")]
    EmptyVersion,
    /// A department has an empty id or name.
    #[error("department #{index} ({id:?}): {field} is empty")]
    EmptyDepartmentField {
        /// Position of the department.
        index: usize,
        /// Its id as given.
        id: String,
        /// The empty field.
        field: &'static str,
    },
    /// Two departments share an id.
    #[error("department #{index}: duplicate id {id:?}")]
    DuplicateDepartment {
        /// Position of the second occurrence.
        index: usize,
        /// The shared id.
        id: String,
    },
    /// A category code is not 4 or 5 ASCII digits.
    #[error("category #{index}: invalid code {code:?} (expected 4 or 5 digits)")]
    InvalidCode {
        /// Position of the category.
        index: usize,
        /// The code as given.
        code: String,
    },
    /// A category's kind is neither `component` nor `event`.
    #[error("category #{index} ({code}): unknown kind {kind:?} (expected component or event)")]
    UnknownKind {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
        /// The kind as given.
        kind: String,
    },
    /// A new-scheme code's major class is not 01–10.
    #[error("category #{index} ({code}): major class {major} does not exist (expected 01–10)")]
    UnknownMajorClass {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
        /// The major class.
        major: String,
    },
    /// A new-scheme code's major class belongs to the other kind (components are 01–05,
    /// events 06–10).
    #[error("category #{index} ({code}): major class {major} is not a {kind:?} class")]
    KindMismatch {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
        /// The major class.
        major: String,
        /// The kind the entry claims.
        kind: CategoryKind,
    },
    /// A time limit's unit is neither `working_hours` nor `working_days`.
    #[error("category #{index} ({code}): unknown time-limit unit {unit:?} (expected working_hours or working_days)")]
    UnknownUnit {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
        /// The unit as given.
        unit: String,
    },
    /// A time limit is zero.
    #[error("category #{index} ({code}): time limit is zero")]
    ZeroTimeLimit {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
    },
    /// A time limit is negative or above [`MAX_TIME_LIMIT_VALUE`].
    #[error(
        "category #{index} ({code}): time limit {value} is outside 1..={MAX_TIME_LIMIT_VALUE}"
    )]
    TimeLimitOutOfRange {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
        /// The value as given.
        value: i64,
    },
    /// A required text field of a category is empty.
    #[error("category #{index} ({code}): {field} is empty")]
    EmptyField {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
        /// The empty field.
        field: &'static str,
    },
    /// A category names a department that is not in the catalogue.
    #[error("category #{index} ({code}): unknown department {department:?}")]
    UnknownDepartment {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
        /// The department id as given.
        department: String,
    },
    /// Two categories share a code.
    #[error("category #{index}: duplicate code {code} (first at #{first_index})")]
    DuplicateCode {
        /// Position of the second occurrence.
        index: usize,
        /// The shared code.
        code: String,
        /// Position of the first occurrence.
        first_index: usize,
    },
}

/// Which national code scheme a category code follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeScheme {
    /// GB/T 30428.2-2013 (from CJ/T 214): 2-digit major + 2-digit minor class.
    Old,
    /// The 2026 national platform scheme: 2-digit major + 3-digit minor class.
    New,
}

/// A string that is not a valid category code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid category code {code:?} (expected 4 digits, old scheme, or 5 digits, new scheme)")]
pub struct InvalidCategoryCode {
    /// The text as given.
    pub code: String,
}

/// A category code: 4 digits (old 2+2 scheme) or 5 digits (new 2+3 scheme). Serialised as
/// a JSON string and validated when read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryCode(String);

impl CategoryCode {
    /// Validates a code: exactly 4 or 5 ASCII digits.
    pub fn new(code: impl Into<String>) -> Result<Self, InvalidCategoryCode> {
        let code = code.into();
        if matches!(code.len(), 4 | 5) && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(code))
        } else {
            Err(InvalidCategoryCode { code })
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The major class: the first two digits.
    pub fn major(&self) -> &str {
        &self.0[..2]
    }

    /// The minor class: the remaining two (old scheme) or three (new scheme) digits.
    pub fn minor(&self) -> &str {
        &self.0[2..]
    }

    /// The scheme, told by the length.
    pub fn scheme(&self) -> CodeScheme {
        if self.0.len() == 4 {
            CodeScheme::Old
        } else {
            CodeScheme::New
        }
    }
}

impl FromStr for CategoryCode {
    type Err = InvalidCategoryCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for CategoryCode {
    type Error = InvalidCategoryCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<CategoryCode> for String {
    fn from(code: CategoryCode) -> Self {
        code.0
    }
}

impl AsRef<str> for CategoryCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a category is a damaged or missing city asset or a situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CategoryKind {
    /// 部件: a city asset (manhole cover, street lamp, bin …) is damaged or missing.
    Component,
    /// 事件: a situation (exposed rubbish, illegal parking, construction dust …).
    Event,
}

impl CategoryKind {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "component" => Some(Self::Component),
            "event" => Some(Self::Event),
            _ => None,
        }
    }
}

/// One entry of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// The category code.
    pub code: CategoryCode,
    /// Chinese name, e.g. 暴露垃圾.
    pub name_zh: String,
    /// English name, e.g. "Exposed rubbish".
    pub name_en: String,
    /// Component or event.
    pub kind: CategoryKind,
    /// How long handling may take once the case is dispatched.
    pub time_limit: TimeLimit,
    /// What the verifier checks on site before closing (may be empty).
    pub closing_condition: String,
    /// Id of the responsible department.
    pub department: String,
    /// The shorter limit of urgent cases (`urgent_time_limit`); `None`: the same as
    /// `time_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent_time_limit: Option<TimeLimit>,
    /// The limits count natural time (24/7 departments, emergencies): an hour is any
    /// hour, a day is 24 hours, whatever the working calendar says.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub natural_time: bool,
    /// Routing by area (属地): grid-code prefixes mapped to the department that takes
    /// the category's cases there instead of `department`; the longest matching
    /// prefix wins.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub area_departments: BTreeMap<String, String>,
}

impl Category {
    /// The handling limit for a case of this urgency.
    pub fn limit_for(&self, urgency: crate::model::Urgency) -> TimeLimit {
        match urgency {
            crate::model::Urgency::Urgent => self.urgent_time_limit.unwrap_or(self.time_limit),
            crate::model::Urgency::Normal => self.time_limit,
        }
    }

    /// The department a case in `cell` goes to by default: the area's (属地) when the
    /// catalogue routes the category by area, else the category's.
    pub fn department_for(&self, cell: Option<&str>) -> &str {
        let cell = cell.unwrap_or("");
        self.area_departments
            .iter()
            .filter(|(prefix, _)| cell.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, d)| d.as_str())
            .unwrap_or(&self.department)
    }

    /// When `limit` runs out counted from `start_ms`: on the working calendar, or in
    /// natural time when the category counts natural hours.
    pub fn deadline(
        &self,
        calendar: &WorkingCalendar,
        start_ms: i64,
        limit: &TimeLimit,
    ) -> Result<i64, CalendarError> {
        if self.natural_time {
            let minutes = match *limit {
                TimeLimit::WorkingHours(h) => i64::from(h) * 60,
                TimeLimit::WorkingDays(d) => i64::from(d) * 24 * 60,
            };
            Ok(start_ms.saturating_add(minutes * 60_000))
        } else {
            calendar.deadline(start_ms, limit)
        }
    }
}

/// Limits on the centre's own steps (DOMAIN §4b: on-time intake, dispatch and
/// verification), and on a department's signing and the shift lead's decisions. Each
/// is counted on the working calendar from the step before; evaluation shows who was
/// late. All optional: a catalogue without them sets no such limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreLimits {
    /// From the report to registration or refusal (受理).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<TimeLimit>,
    /// From registration to dispatch (派遣).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<TimeLimit>,
    /// From dispatch to the department's signature (签收).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<TimeLimit>,
    /// From a department's application to the shift lead's decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<TimeLimit>,
    /// From the department's feedback to the on-site verification (核查).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<TimeLimit>,
    /// How far from the case's point (metres) a verification may be made: when set, a
    /// verification needs a photo and the verifier's position, and one made farther
    /// away is flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_radius_m: Option<u32>,
}

/// A department (专业部门) that handles dispatched cases.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Department {
    /// Stable id referenced by categories, e.g. `water`.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

/// A validated catalogue: categories sorted by code, their departments and the working
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
}

#[derive(Deserialize)]
struct RawCatalog {
    version: String,
    calendar: RawCalendar,
    departments: Vec<Department>,
    categories: Vec<RawCategory>,
    #[serde(default)]
    centre_limits: CentreLimits,
}

#[derive(Deserialize)]
struct RawCategory {
    code: String,
    name_zh: String,
    name_en: String,
    kind: String,
    time_limit: RawTimeLimit,
    #[serde(default)]
    closing_condition: String,
    department: String,
    #[serde(default)]
    urgent_time_limit: Option<RawTimeLimit>,
    #[serde(default)]
    natural_time: bool,
    #[serde(default)]
    area_departments: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawTimeLimit {
    value: i64,
    unit: String,
}

impl RawCategory {
    /// Checks what the typed [`Category`] cannot hold: code syntax, kind and unit names.
    fn into_category(self, index: usize) -> Result<Category, CatalogError> {
        let code = CategoryCode::new(self.code).map_err(|e| CatalogError::InvalidCode {
            index,
            code: e.code,
        })?;
        let kind = CategoryKind::parse(&self.kind).ok_or_else(|| CatalogError::UnknownKind {
            index,
            code: code.to_string(),
            kind: self.kind.clone(),
        })?;
        let time_limit = self.time_limit.into_limit(index, &code)?;
        let urgent_time_limit = self
            .urgent_time_limit
            .map(|l| l.into_limit(index, &code))
            .transpose()?;
        Ok(Category {
            code,
            name_zh: self.name_zh,
            name_en: self.name_en,
            kind,
            time_limit,
            closing_condition: self.closing_condition,
            department: self.department,
            urgent_time_limit,
            natural_time: self.natural_time,
            area_departments: self.area_departments,
        })
    }
}

impl RawTimeLimit {
    fn into_limit(self, index: usize, code: &CategoryCode) -> Result<TimeLimit, CatalogError> {
        let value = match u32::try_from(self.value) {
            Ok(v) if v <= MAX_TIME_LIMIT_VALUE => v,
            _ => {
                return Err(CatalogError::TimeLimitOutOfRange {
                    index,
                    code: code.to_string(),
                    value: self.value,
                })
            }
        };
        match self.unit.as_str() {
            "working_hours" => Ok(TimeLimit::WorkingHours(value)),
            "working_days" => Ok(TimeLimit::WorkingDays(value)),
            _ => Err(CatalogError::UnknownUnit {
                index,
                code: code.to_string(),
                unit: self.unit,
            }),
        }
    }
}

impl TryFrom<RawCatalog> for Catalog {
    type Error = CatalogError;
    fn try_from(raw: RawCatalog) -> Result<Self, Self::Error> {
        let calendar = WorkingCalendar::try_from(raw.calendar)?;
        let categories = raw
            .categories
            .into_iter()
            .enumerate()
            .map(|(index, c)| c.into_category(index))
            .collect::<Result<Vec<_>, _>>()?;
        let mut catalog = Self::new(raw.version, calendar, raw.departments, categories)?;
        catalog.centre_limits = raw.centre_limits;
        Ok(catalog)
    }
}

/// Checks one category against the catalogue-wide rules, except uniqueness.
fn check_category(
    index: usize,
    c: &Category,
    departments: &[Department],
) -> Result<(), CatalogError> {
    let code = || c.code.to_string();
    if c.code.scheme() == CodeScheme::New {
        let major = c.code.major().to_owned();
        let expected = match major.as_str() {
            "01" | "02" | "03" | "04" | "05" => CategoryKind::Component,
            "06" | "07" | "08" | "09" | "10" => CategoryKind::Event,
            _ => {
                return Err(CatalogError::UnknownMajorClass {
                    index,
                    code: code(),
                    major,
                })
            }
        };
        if expected != c.kind {
            return Err(CatalogError::KindMismatch {
                index,
                code: code(),
                major,
                kind: c.kind,
            });
        }
    }
    match c.time_limit.value() {
        0 => {
            return Err(CatalogError::ZeroTimeLimit {
                index,
                code: code(),
            })
        }
        v if v > MAX_TIME_LIMIT_VALUE => {
            return Err(CatalogError::TimeLimitOutOfRange {
                index,
                code: code(),
                value: i64::from(v),
            })
        }
        _ => {}
    }
    for (field, text) in [("name_zh", &c.name_zh), ("name_en", &c.name_en)] {
        if text.trim().is_empty() {
            return Err(CatalogError::EmptyField {
                index,
                code: code(),
                field,
            });
        }
    }
    for department in std::iter::once(&c.department).chain(c.area_departments.values()) {
        if !departments.iter().any(|d| d.id == *department) {
            return Err(CatalogError::UnknownDepartment {
                index,
                code: code(),
                department: department.clone(),
            });
        }
    }
    if c.urgent_time_limit.is_some_and(|u| u.value() == 0) {
        return Err(CatalogError::ZeroTimeLimit {
            index,
            code: code(),
        });
    }
    Ok(())
}

fn check_departments(departments: &[Department]) -> Result<(), CatalogError> {
    let mut seen = BTreeMap::new();
    for (index, d) in departments.iter().enumerate() {
        for (field, text) in [
            ("id", &d.id),
            ("name_zh", &d.name_zh),
            ("name_en", &d.name_en),
        ] {
            if text.trim().is_empty() {
                return Err(CatalogError::EmptyDepartmentField {
                    index,
                    id: d.id.clone(),
                    field,
                });
            }
        }
        if seen.insert(d.id.as_str(), index).is_some() {
            return Err(CatalogError::DuplicateDepartment {
                index,
                id: d.id.clone(),
            });
        }
    }
    Ok(())
}

impl Catalog {
    /// A validated catalogue. Every code must be unique, every department id unique and
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
            check_category(index, c, &departments)?;
            if let Some(&first_index) = first_seen.get(c.code.as_str()) {
                return Err(CatalogError::DuplicateCode {
                    index,
                    code: c.code.to_string(),
                    first_index,
                });
            }
            first_seen.insert(c.code.as_str(), index);
        }
        categories.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Self {
            version,
            calendar,
            departments,
            categories,
            centre_limits: CentreLimits::default(),
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

    /// The category with this code, if any.
    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories
            .binary_search_by(|c| c.code.as_str().cmp(code))
            .ok()
            .and_then(|i| self.categories.get(i))
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

    /// The catalogue with other limits on the centre's steps.
    pub fn with_centre_limits(mut self, limits: CentreLimits) -> Self {
        self.centre_limits = limits;
        self
    }
}

/// Chinese and English names of a major class of the newer (2+3 digit) national scheme:
/// `01`–`05` are component classes, `06`–`10` event classes.
pub fn major_class_name(major: &str) -> Option<(&'static str, &'static str)> {
    Some(match major {
        "01" => ("市政公用设施", "municipal utilities"),
        "02" => ("交通设施", "traffic facilities"),
        "03" => ("市容环卫设施", "sanitation facilities"),
        "04" => ("园林绿化设施", "landscaping"),
        "05" => ("其他设施", "other components"),
        "06" => ("市容环境", "city appearance"),
        "07" => ("宣传广告", "advertising"),
        "08" => ("施工管理", "construction management"),
        "09" => ("街面秩序", "street order"),
        "10" => ("其他事项", "other matters"),
        _ => return None,
    })
}
