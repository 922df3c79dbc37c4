//! The catalogue's JSON as given, before its rules are checked.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::category::{Category, CentreLimits, Department};
use super::check::check_category;
use super::code::{CategoryCode, CategoryKind};
use super::{Catalog, CatalogError, MAX_TIME_LIMIT_VALUE};
use crate::calendar::{RawCalendar, TimeLimit, WorkingCalendar};

#[derive(Deserialize)]
pub(super) struct RawCatalog {
    version: String,
    calendar: RawCalendar,
    departments: Vec<Department>,
    categories: Vec<RawCategory>,
    #[serde(default)]
    centre_limits: CentreLimits,
    #[serde(default)]
    conditions_required: bool,
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
    #[serde(default)]
    closing_condition_zh: String,
    #[serde(default)]
    registration_condition: String,
    #[serde(default)]
    registration_condition_zh: String,
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
            closing_condition_zh: self.closing_condition_zh,
            registration_condition: self.registration_condition,
            registration_condition_zh: self.registration_condition_zh,
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
        let mut catalog = Self::new(raw.version, calendar, raw.departments, categories.clone())?;
        if raw.conditions_required {
            // Checked in the order given, so errors name the position as given.
            for (index, c) in categories.iter().enumerate() {
                check_category(index, c, &catalog.departments, true)?;
            }
            catalog.conditions_required = true;
        }
        catalog.centre_limits = raw.centre_limits;
        Ok(catalog)
    }
}
