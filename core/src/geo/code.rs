//! Unit grid cell codes (单元网格编码).
//!
//! A cell code is a hierarchical digit string, so a prefix names an area: 6 digits of
//! county-level admin code (GB/T 2260), 3 of street/town, 3 of community/village, then a
//! 2-digit (CJ/T 213, 14 digits in all) or 3-digit (DB11 and newer drafts, 15 digits)
//! sequence. Both lengths are accepted; nothing else is assumed. Validating once at the
//! edge lets the rest of the core slice codes without re-checking them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::GridError;

/// Length of the county-level administrative division code.
const DISTRICT_LEN: usize = 6;
/// Length of admin code + street/town code.
const STREET_LEN: usize = 9;
/// Length of admin code + street/town code + community/village code.
const COMMUNITY_LEN: usize = 12;
/// At most this many characters of a rejected value are echoed in an error.
const ECHO_MAX: usize = 32;

/// A validated unit grid cell code: 14 digits (2-digit sequence) or 15 digits
/// (3-digit sequence), ASCII digits only.
///
/// Orders, hashes and compares as its digit string, and serialises as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellCode(String);

impl CellCode {
    /// Parses and validates a cell code. No whitespace trimming is done: `" 3205…"` is
    /// rejected, so a code stored once is the code compared later.
    ///
    /// # Errors
    /// [`GridError::InvalidCode`] naming the value when it is empty, holds anything but
    /// ASCII digits, or is not 14 or 15 digits long.
    pub fn parse(value: &str) -> Result<CellCode, GridError> {
        let reject = |reason: String| GridError::InvalidCode {
            value: echo(value),
            reason,
        };
        if value.is_empty() {
            return Err(reject("the code is empty".to_owned()));
        }
        if let Some(bad) = value.chars().find(|c| !c.is_ascii_digit()) {
            return Err(reject(format!(
                "only the digits 0-9 are allowed, found {bad:?}"
            )));
        }
        match value.len() {
            14 | 15 => Ok(CellCode(value.to_owned())),
            n => Err(reject(format!("expected 14 or 15 digits, got {n}"))),
        }
    }

    /// The whole code as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit county-level administrative division code, e.g. `320508`.
    pub fn district(&self) -> &str {
        &self.0[..DISTRICT_LEN]
    }

    /// The 9-digit street/town prefix (admin code + street code), e.g. `320508001`.
    pub fn street(&self) -> &str {
        &self.0[..STREET_LEN]
    }

    /// The 12-digit community/village prefix, e.g. `320508001001`.
    pub fn community(&self) -> &str {
        &self.0[..COMMUNITY_LEN]
    }

    /// The cell sequence inside its community: 2 digits for a 14-digit code, 3 for a
    /// 15-digit one.
    pub fn sequence(&self) -> &str {
        &self.0[COMMUNITY_LEN..]
    }
}

/// Shortens a rejected value so an error message stays readable.
fn echo(value: &str) -> String {
    if value.chars().count() <= ECHO_MAX {
        value.to_owned()
    } else {
        let mut short: String = value.chars().take(ECHO_MAX).collect();
        short.push('…');
        short
    }
}

impl fmt::Display for CellCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CellCode {
    type Err = GridError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CellCode::parse(s)
    }
}

impl AsRef<str> for CellCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for CellCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CellCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        CellCode::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_14_digit_code_and_slices_it() {
        let code = CellCode::parse("32050800100103").unwrap();
        assert_eq!(code.as_str(), "32050800100103");
        assert_eq!(code.district(), "320508");
        assert_eq!(code.street(), "320508001");
        assert_eq!(code.community(), "320508001001");
        assert_eq!(code.sequence(), "03");
    }

    #[test]
    fn accepts_15_digit_code_with_3_digit_sequence() {
        let code: CellCode = "110105001002017".parse().unwrap();
        assert_eq!(code.district(), "110105");
        assert_eq!(code.community(), "110105001002");
        assert_eq!(code.sequence(), "017");
        assert_eq!(code.to_string(), "110105001002017");
    }

    #[test]
    fn rejects_wrong_lengths_letters_and_empty() {
        for bad in [
            "",
            "3205080010010",    // 13
            "3205080010010312", // 16
            "3205080010010a",   // letter
            "32050800100１03",  // full-width digit
            " 32050800100103",  // leading space
            "-3205080010010",   // sign
        ] {
            let err = CellCode::parse(bad).unwrap_err();
            match &err {
                GridError::InvalidCode { value, .. } => assert_eq!(value, bad),
                other => panic!("unexpected error {other:?}"),
            }
            assert!(err.to_string().contains("invalid cell code"), "{err}");
        }
    }

    #[test]
    fn error_message_names_the_value_and_the_problem() {
        let msg = CellCode::parse("3205080010010").unwrap_err().to_string();
        assert!(msg.contains("\"3205080010010\""), "{msg}");
        assert!(msg.contains("got 13"), "{msg}");
        let msg = CellCode::parse("32050800100x03").unwrap_err().to_string();
        assert!(msg.contains("'x'"), "{msg}");
    }

    #[test]
    fn very_long_values_are_shortened_in_errors() {
        let long = "9".repeat(10_000);
        match CellCode::parse(&long).unwrap_err() {
            GridError::InvalidCode { value, reason } => {
                assert!(value.chars().count() <= ECHO_MAX + 1);
                assert!(reason.contains("10000"));
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn serde_is_a_plain_string_and_deserialize_validates() {
        let code = CellCode::parse("32050800100103").unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"32050800100103\"");
        let back: CellCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, code);
        let err = serde_json::from_str::<CellCode>("\"12345\"").unwrap_err();
        assert!(err.to_string().contains("invalid cell code"), "{err}");
        assert!(serde_json::from_str::<CellCode>("32050800100103").is_err());
    }

    #[test]
    fn orders_as_its_digit_string() {
        let mut codes: Vec<CellCode> = ["32050800200101", "32050800100102", "32050800100101"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        codes.sort();
        let sorted: Vec<&str> = codes.iter().map(CellCode::as_str).collect();
        assert_eq!(
            sorted,
            ["32050800100101", "32050800100102", "32050800200101"]
        );
    }
}
