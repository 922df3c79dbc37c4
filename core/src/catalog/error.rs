//! Why a catalogue, or a category reference, was refused.

use super::code::{CategoryKind, InvalidCategoryCode};
use super::MAX_TIME_LIMIT_VALUE;
use crate::calendar::CalendarError;

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
    /// Two categories of the same kind share a code (a component and an event may share
    /// an old-scheme code: they are told apart by their kind).
    #[error("category #{index}: duplicate code {code} of kind {kind} (first at #{first_index})")]
    DuplicateCode {
        /// Position of the second occurrence.
        index: usize,
        /// The shared code.
        code: String,
        /// The kind both entries have.
        kind: CategoryKind,
        /// Position of the first occurrence.
        first_index: usize,
    },
    /// The catalogue requires conditions (`conditions_required`) and a category lacks
    /// its registration (立案条件) or closing condition (结案条件) in one language.
    #[error("category #{index} ({code}): {field} is empty, and this catalogue requires registration and closing conditions in Chinese and English")]
    MissingCondition {
        /// Position of the category.
        index: usize,
        /// Its code.
        code: String,
        /// The missing field.
        field: &'static str,
    },
}

/// Why a category reference (`0101`, `component/0101`) named no single category.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The text is not a code, nor a kind and a code.
    #[error(transparent)]
    Invalid(#[from] CategoryRefError),
    /// No category has this code (of this kind, when one is given).
    #[error("unknown category {0:?}: import a catalogue that has it")]
    Unknown(String),
    /// The code is both a component and an event class (old scheme) and no kind was given.
    #[error("ambiguous category {code:?}: it is both a component and an event; send component/{code} or event/{code}")]
    Ambiguous {
        /// The code as given.
        code: String,
    },
}

/// A string that is not a category reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryRefError {
    /// The code part is not 4 or 5 digits.
    #[error(transparent)]
    Code(#[from] InvalidCategoryCode),
    /// The part before `/` is neither `component` nor `event`.
    #[error("unknown category kind {0:?} in a category reference (expected component/CODE or event/CODE)")]
    UnknownKind(String),
}
