//! Category codes, their two national schemes, and the two kinds of category.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
    /// `component` or `event`, `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "component" => Some(Self::Component),
            "event" => Some(Self::Event),
            _ => None,
        }
    }

    /// The wire name: `component` or `event`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Component => "component",
            Self::Event => "event",
        }
    }
}

impl fmt::Display for CategoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
