//! Conflict resolution: a person settles an event the fold flagged as a conflict with
//! an ordinary event, `incident.conflict_resolved` (naming the flagged event), folded
//! here like every other step so that every replica marks the same conflict resolved.
//!
//! Only an unresolved conflict of the same case may be resolved; anything else is
//! refused on the device ([`super::check`]) and, when it arrives concurrently (two
//! supervisors resolved the same conflict offline), flagged as a conflict itself by the
//! fold. Resolving changes nothing else about the case: a dismissed step stays without
//! effect, and whoever wants it takes it again as an ordinary action.

use super::{Case, Conflict, WorkflowError};
use crate::model::{Actor, ConflictDecision};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a flagged conflict was settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictResolution {
    /// The `incident.conflict_resolved` event that settled it.
    pub event_id: Uuid,
    /// Who settled it.
    pub by: Actor,
    /// When (HLC wall time of that event, unix ms).
    pub at_ms: i64,
    /// What was decided.
    pub decision: ConflictDecision,
    /// The note given, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Conflict {
    /// Whether a person has settled it.
    pub fn is_resolved(&self) -> bool {
        self.resolved.is_some()
    }
}

impl Case {
    /// The conflicts nobody has settled yet.
    pub fn open_conflicts(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts.iter().filter(|c| !c.is_resolved())
    }
}

/// Checks that `event_id` names an unresolved conflict of `case`.
pub(super) fn check(case: &Case, event_id: Uuid) -> Result<(), WorkflowError> {
    match case.conflicts.iter().find(|c| c.event_id == event_id) {
        None => Err(WorkflowError::NotAConflict(event_id)),
        Some(c) if c.is_resolved() => Err(WorkflowError::ConflictResolved(event_id)),
        Some(_) => Ok(()),
    }
}

/// Marks the conflict `event_id` of `case` resolved by `resolution`. Call [`check`]
/// first.
pub(super) fn apply(case: &mut Case, event_id: Uuid, resolution: ConflictResolution) {
    if let Some(c) = case.conflicts.iter_mut().find(|c| c.event_id == event_id) {
        c.resolved = Some(resolution);
    }
}
