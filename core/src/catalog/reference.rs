//! A category reference: how reports, filters and Open311 name a category.
//!
//! A reference is either a bare code (`06010`, `0101`) or a code qualified by its kind
//! (`component/0101`, `event/0101`). In the old scheme components and events reuse the
//! same codes, so a bare old-scheme code may name two categories; a catalogue then
//! refuses it as ambiguous ([`super::LookupError::Ambiguous`]). Where a code names one
//! category only, the bare code is its canonical reference ([`super::Catalog::reference`]),
//! so events and stores written before kinds qualified codes read exactly as before.

use std::fmt;
use std::str::FromStr;

use super::code::{CategoryCode, CategoryKind};
use super::error::CategoryRefError;

/// A parsed category reference: a code and, when qualified, its kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CategoryRef {
    /// The kind, when the reference names one.
    pub kind: Option<CategoryKind>,
    /// The code.
    pub code: CategoryCode,
}

impl CategoryRef {
    /// Parses `CODE` or `KIND/CODE` (`KIND` is `component` or `event`).
    pub fn parse(text: &str) -> Result<Self, CategoryRefError> {
        match text.split_once('/') {
            None => Ok(Self {
                kind: None,
                code: CategoryCode::new(text)?,
            }),
            Some((kind, code)) => {
                let kind = CategoryKind::parse(kind)
                    .ok_or_else(|| CategoryRefError::UnknownKind(kind.to_string()))?;
                Ok(Self {
                    kind: Some(kind),
                    code: CategoryCode::new(code)?,
                })
            }
        }
    }

    /// The reference qualified by `kind`: `component/0101`.
    pub fn qualified(kind: CategoryKind, code: &CategoryCode) -> String {
        format!("{kind}/{code}")
    }
}

impl FromStr for CategoryRef {
    type Err = CategoryRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for CategoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(kind) => write!(f, "{kind}/{}", self.code),
            None => write!(f, "{}", self.code),
        }
    }
}
