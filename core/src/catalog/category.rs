//! One catalogue entry, the centre's own limits, and the departments.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::code::{CategoryCode, CategoryKind};
use crate::calendar::{CalendarError, TimeLimit, WorkingCalendar};

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
    /// 结案条件 in English: what the verifier checks on site before the case is closed
    /// (may be empty).
    pub closing_condition: String,
    /// 结案条件 in Chinese (may be empty; given when `closing_condition` is, in a catalogue
    /// that gives both languages).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub closing_condition_zh: String,
    /// 立案条件 in English: when the intake operator registers a report of this category
    /// (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub registration_condition: String,
    /// 立案条件 in Chinese (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub registration_condition_zh: String,
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
