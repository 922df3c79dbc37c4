//! Where a case came from: the channel its report arrived by.
//!
//! The source travels in the `incident.reported` payload as the optional field
//! `source` (absent on every event written before it existed, and on a grid worker's
//! report today): an absent or unknown value reads as [`Source::GridWorker`], so old
//! events and old devices keep working, and a device that does not know the field
//! simply ignores it.

use super::Role;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The channel a case's report arrived by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A grid worker on patrol (网格员上报): the default.
    #[default]
    GridWorker,
    /// A resident, through the city's Open311 endpoint (市民上报).
    Resident,
    /// The 12345 citizens' hotline, entered at the centre (12345热线).
    Hotline,
    /// An inspection by the centre or a leader (督查/巡查).
    Inspection,
    /// Another city system, through Open311 (合作系统).
    Open311Partner,
}

impl Source {
    /// Every source, in display order.
    pub const ALL: [Source; 5] = [
        Source::GridWorker,
        Source::Resident,
        Source::Hotline,
        Source::Inspection,
        Source::Open311Partner,
    ];

    /// The wire name (`grid_worker`, `resident`, `hotline`, `inspection`,
    /// `open311_partner`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::GridWorker => "grid_worker",
            Source::Resident => "resident",
            Source::Hotline => "hotline",
            Source::Inspection => "inspection",
            Source::Open311Partner => "open311_partner",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The source an `incident.reported` payload names: its `source` field, or
    /// [`Source::GridWorker`] when it has none (every older event) or one this version
    /// does not know.
    pub fn of_report(payload: &serde_json::Value) -> Source {
        payload
            .get("source")
            .and_then(|v| v.as_str())
            .and_then(Source::parse)
            .unwrap_or_default()
    }

    /// Whether a report of this source may be made by `role`: a worker reports what
    /// they find on patrol, the centre enters hotline calls and inspections (and may
    /// report like a worker), and only an integration account files what residents and
    /// partner systems send through Open311.
    pub fn allowed_for(self, role: Role) -> bool {
        match self {
            Source::GridWorker => matches!(role, Role::Worker | Role::Supervisor | Role::Intake),
            Source::Hotline | Source::Inspection => matches!(role, Role::Supervisor | Role::Intake),
            Source::Resident | Source::Open311Partner => role == Role::Integration,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_report_reads_as_a_grid_workers_and_names_round_trip() {
        let old = serde_json::json!({"category": "06010", "lat": 31.3, "lon": 120.5,
            "description": "rubbish"});
        assert_eq!(Source::of_report(&old), Source::GridWorker);
        let mut new = old.clone();
        new["source"] = "resident".into();
        assert_eq!(Source::of_report(&new), Source::Resident);
        new["source"] = "carrier_pigeon".into();
        assert_eq!(Source::of_report(&new), Source::GridWorker);
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap_or_default(), s.as_str());
        }
    }

    #[test]
    fn only_an_integration_account_files_residents_reports() {
        assert!(Source::Resident.allowed_for(Role::Integration));
        assert!(!Source::Resident.allowed_for(Role::Worker));
        assert!(!Source::GridWorker.allowed_for(Role::Integration));
        assert!(Source::Hotline.allowed_for(Role::Supervisor));
        assert!(!Source::Hotline.allowed_for(Role::Worker));
    }
}
