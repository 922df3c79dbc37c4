//! The catalogue-wide rules every category and department must follow.

use std::collections::BTreeMap;

use super::category::{Category, Department};
use super::code::{CategoryKind, CodeScheme};
use super::{CatalogError, MAX_TIME_LIMIT_VALUE};

/// Checks one category against the catalogue-wide rules, except uniqueness; with
/// `conditions_required`, its registration and closing conditions in both languages.
pub(super) fn check_category(
    index: usize,
    c: &Category,
    departments: &[Department],
    conditions_required: bool,
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
    if conditions_required {
        for (field, text) in [
            ("registration_condition", &c.registration_condition),
            ("registration_condition_zh", &c.registration_condition_zh),
            ("closing_condition", &c.closing_condition),
            ("closing_condition_zh", &c.closing_condition_zh),
        ] {
            if text.trim().is_empty() {
                return Err(CatalogError::MissingCondition {
                    index,
                    code: code(),
                    field,
                });
            }
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

pub(super) fn check_departments(departments: &[Department]) -> Result<(), CatalogError> {
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
