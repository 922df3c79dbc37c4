//! Typed payloads of incident events (`incident.*` kinds).
//!
//! The envelope carries `kind` + `payload` as JSON; [`IncidentEvent`] is the typed view
//! the workflow folds. Payloads are versioned by kind: a new field must be optional, so
//! that older devices keep reading newer events.

use super::ModelError;
use crate::calendar::TimeLimit;
use crate::geo::LatLon;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

/// Longest description accepted (the Open311 GeoReport v2 limit).
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Longest note or reason accepted on a workflow action.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Longest address text accepted on a report.
pub const MAX_ADDRESS_CHARS: usize = 500;
/// Most photos one report or action may reference.
pub const MAX_PHOTOS: usize = 20;

/// A photo kept in the store's folder under its SHA-256 name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhotoRef {
    /// SHA-256 of the file's bytes, lower-case hex; also its file name.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type, e.g. `image/jpeg`.
    pub mime: String,
    /// A small JPEG of it made at capture and uploaded as its own blob (docs/photos.md);
    /// `None` in events recorded before thumbnails, and for images the store cannot
    /// decode (WebP): a device then shows the full photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb: Option<Thumbnail>,
}

/// A photo's thumbnail: a JPEG of at most [`crate::store::photos::THUMBNAIL_EDGE`] pixels
/// on its longer edge, upright (orientation applied), without metadata.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Thumbnail {
    /// SHA-256 of the thumbnail's bytes, lower-case hex; also its file and blob name.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// How urgent a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    /// The usual case.
    #[default]
    Normal,
    /// Danger to people (an open manhole on a footpath): handled first.
    Urgent,
}

/// Payload of `incident.reported`: what a worker recorded on the spot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Category code from the catalogue (`01001`, `0601`, …).
    pub category: String,
    /// WGS-84 latitude.
    pub lat: f64,
    /// WGS-84 longitude.
    pub lon: f64,
    /// Horizontal accuracy of the position in metres, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// What the worker saw.
    pub description: String,
    /// Address text, when the worker gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// How urgent it is.
    #[serde(default)]
    pub urgency: Urgency,
    /// Photos taken on the spot.
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
    /// The grid cell containing the point, as located by the reporting device; `None`
    /// when the point lies outside every known cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// The patrol during which the report was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patrol: Option<Uuid>,
}

/// A workflow action on an existing case, with the data it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// The centre accepts the report as a valid case (立案).
    Register {
        /// Optional note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The case is void (不予立案/作废).
    Cancel {
        /// Why.
        reason: String,
    },
    /// Sent to a responsible department; the handling clock starts (任务派遣).
    Dispatch {
        /// Department id from the catalogue.
        department: String,
        /// When handling is due, unix ms, computed by the dispatcher's calendar.
        deadline_ms: i64,
        /// Optional note for the department.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The department reports the work done, with an "after" photo (处理反馈).
    Handle {
        /// What was done.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// After photos; at least one.
        photos: Vec<PhotoRef>,
    },
    /// A worker re-checked on site and the problem is gone (核查通过).
    VerifyPass {
        /// Optional note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// Photos; required when the catalogue sets a verification radius.
        #[serde(default)]
        photos: Vec<PhotoRef>,
        /// Where the verifier stood (WGS-84), when the device knew.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<LatLon>,
    },
    /// A worker re-checked on site and the problem remains: back to the department (返工).
    VerifyFail {
        /// What is still wrong.
        reason: String,
        /// Photos; required when the catalogue sets a verification radius.
        #[serde(default)]
        photos: Vec<PhotoRef>,
        /// Where the verifier stood (WGS-84), when the device knew.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<LatLon>,
    },
    /// The centre closes a verified case (结案).
    Close {
        /// Optional note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Back to the centre, e.g. wrong department (回退).
    Return {
        /// Why.
        reason: String,
    },
    /// More time for the department (延期).
    Postpone {
        /// Why.
        reason: String,
        /// The new deadline, unix ms.
        deadline_ms: i64,
    },
    /// Handling paused (缓办/挂账); the clock stops.
    Suspend {
        /// Why.
        reason: String,
        /// Working minutes left before the deadline when suspended, if a deadline ran.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remaining_minutes: Option<i64>,
    },
    /// A suspended case goes on where it stopped.
    Resume {
        /// The new deadline, if a handling clock was running.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline_ms: Option<i64>,
        /// Optional note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The worker fixed a small problem on the spot (自行处置), with an after photo.
    SelfResolve {
        /// What was done.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// After photos; at least one.
        photos: Vec<PhotoRef>,
    },
    /// A closed or cancelled case is opened again and goes back to the centre.
    Reopen {
        /// Why.
        reason: String,
    },
    /// The intake operator checked the report (核实), e.g. asked the worker to confirm.
    Check {
        /// What was checked, and how.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The department acknowledges a dispatched case (签收).
    Sign {
        /// Optional note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The department applies to the shift lead for a return, postponement or
    /// suspension (申请回退/延期/缓办); nothing changes until it is approved.
    Apply {
        /// What is applied for.
        exception: Exception,
        /// Why.
        reason: String,
        /// For a postponement: how much more time is asked for (default the
        /// category's limit again).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extend: Option<TimeLimit>,
        /// When the shift lead's decision is due, unix ms (the catalogue's approval
        /// limit, counted by the applicant's calendar).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline_ms: Option<i64>,
    },
    /// The shift lead approves the pending application: it takes effect now.
    Approve {
        /// Optional note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// For a postponement: the new handling deadline, unix ms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline_ms: Option<i64>,
        /// For a suspension: working minutes left on the deadline.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remaining_minutes: Option<i64>,
    },
    /// The shift lead refuses the pending application; the case goes on as it was.
    Refuse {
        /// Why.
        reason: String,
    },
    /// The centre urges the department (催办, or 督办 when `supervise`).
    Urge {
        /// What the centre says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// Formal supervision (督办) rather than a reminder (催办).
        #[serde(default)]
        supervise: bool,
    },
    /// Assisting departments join the lead department on a dispatched case (协办).
    Assist {
        /// Department ids from the catalogue.
        departments: Vec<String>,
        /// Optional note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A supervisor settles an event the fold flagged as a conflict on this case
    /// (`incident.conflict_resolved`); the case's status does not change (see
    /// `workflow::resolve`).
    ResolveConflict {
        /// The flagged event.
        event_id: Uuid,
        /// What was decided.
        #[serde(default)]
        decision: ConflictDecision,
        /// Optional note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// What a department may apply to the shift lead for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exception {
    /// Back to the centre, e.g. wrong department (回退).
    Return,
    /// More time (延期).
    Postpone,
    /// Pause handling (缓办/挂账).
    Suspend,
}

impl Exception {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Exception::Return => "return",
            Exception::Postpone => "postpone",
            Exception::Suspend => "suspend",
        }
    }
}

/// What a person decided about a flagged conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictDecision {
    /// The flagged event stays without effect; whoever wants its step takes it again
    /// as an ordinary action.
    #[default]
    Dismissed,
}

impl Action {
    /// The action's name as used by the CLI and in event kinds (`dispatch`, `verify_pass`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Register { .. } => "register",
            Action::Cancel { .. } => "cancel",
            Action::Dispatch { .. } => "dispatch",
            Action::Handle { .. } => "handle",
            Action::VerifyPass { .. } => "verify_pass",
            Action::VerifyFail { .. } => "verify_fail",
            Action::Close { .. } => "close",
            Action::Return { .. } => "return",
            Action::Postpone { .. } => "postpone",
            Action::Suspend { .. } => "suspend",
            Action::Resume { .. } => "resume",
            Action::SelfResolve { .. } => "self_resolve",
            Action::Reopen { .. } => "reopen",
            Action::Check { .. } => "check",
            Action::Sign { .. } => "sign",
            Action::Apply { .. } => "apply",
            Action::Approve { .. } => "approve",
            Action::Refuse { .. } => "refuse",
            Action::Urge { .. } => "urge",
            Action::Assist { .. } => "assist",
            Action::ResolveConflict { .. } => "resolve_conflict",
        }
    }

    /// The event kind this action is recorded as.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Register { .. } => "incident.registered",
            Action::Cancel { .. } => "incident.cancelled",
            Action::Dispatch { .. } => "incident.dispatched",
            Action::Handle { .. } => "incident.handled",
            Action::VerifyPass { .. } => "incident.verified",
            Action::VerifyFail { .. } => "incident.verification_failed",
            Action::Close { .. } => "incident.closed",
            Action::Return { .. } => "incident.returned",
            Action::Postpone { .. } => "incident.postponed",
            Action::Suspend { .. } => "incident.suspended",
            Action::Resume { .. } => "incident.resumed",
            Action::SelfResolve { .. } => "incident.self_resolved",
            Action::Reopen { .. } => "incident.reopened",
            Action::Check { .. } => "incident.checked",
            Action::Sign { .. } => "incident.signed",
            Action::Apply { .. } => "incident.applied",
            Action::Approve { .. } => "incident.approved",
            Action::Refuse { .. } => "incident.refused",
            Action::Urge { .. } => "incident.urged",
            Action::Assist { .. } => "incident.assisted",
            Action::ResolveConflict { .. } => "incident.conflict_resolved",
        }
    }

    /// Photos the action references.
    pub fn photos(&self) -> &[PhotoRef] {
        match self {
            Action::Handle { photos, .. }
            | Action::VerifyPass { photos, .. }
            | Action::VerifyFail { photos, .. }
            | Action::SelfResolve { photos, .. } => photos,
            _ => &[],
        }
    }

    /// The reason or note the action carries, if any.
    pub fn text(&self) -> Option<&str> {
        match self {
            Action::Cancel { reason }
            | Action::VerifyFail { reason, .. }
            | Action::Return { reason }
            | Action::Postpone { reason, .. }
            | Action::Suspend { reason, .. }
            | Action::Reopen { reason }
            | Action::Apply { reason, .. }
            | Action::Refuse { reason } => Some(reason),
            Action::Register { note }
            | Action::Dispatch { note, .. }
            | Action::Handle { note, .. }
            | Action::VerifyPass { note, .. }
            | Action::Close { note }
            | Action::Resume { note, .. }
            | Action::SelfResolve { note, .. }
            | Action::Check { note }
            | Action::Sign { note }
            | Action::Approve { note, .. }
            | Action::Urge { note, .. }
            | Action::Assist { note, .. } => note.as_deref(),
            Action::ResolveConflict { note, .. } => note.as_deref(),
        }
    }
}

/// The typed view of an `incident.*` event.
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentEvent {
    /// `incident.reported`.
    Reported(Report),
    /// Any workflow action on the case.
    Acted(Action),
}

impl IncidentEvent {
    /// The event kind.
    pub fn kind(&self) -> &'static str {
        match self {
            IncidentEvent::Reported(_) => "incident.reported",
            IncidentEvent::Acted(a) => a.kind(),
        }
    }

    /// The payload as stored in the envelope.
    pub fn payload(&self) -> serde_json::Value {
        // Serialising these plain structs cannot fail: no maps with non-string keys,
        // no custom serialisers; fall back to null rather than panic all the same.
        match self {
            IncidentEvent::Reported(r) => serde_json::to_value(r),
            IncidentEvent::Acted(a) => {
                serde_json::to_value(a).map(|mut v| {
                    // The kind already names the action; the tag is not repeated.
                    if let Some(map) = v.as_object_mut() {
                        map.remove("action");
                    }
                    v
                })
            }
        }
        .unwrap_or(serde_json::Value::Null)
    }

    /// Parses an envelope's kind and payload.
    pub fn parse(kind: &str, payload: &serde_json::Value) -> Result<Self, ModelError> {
        fn typed<T: DeserializeOwned>(kind: &str, v: serde_json::Value) -> Result<T, ModelError> {
            serde_json::from_value(v).map_err(|e| ModelError::InvalidPayload {
                kind: kind.to_string(),
                reason: e.to_string(),
            })
        }
        if kind == "incident.reported" {
            return typed(kind, payload.clone()).map(IncidentEvent::Reported);
        }
        let action = ACTION_KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, a)| *a)
            .ok_or_else(|| ModelError::InvalidPayload {
                kind: kind.to_string(),
                reason: "unknown event kind".into(),
            })?;
        let mut tagged = payload.clone();
        match tagged.as_object_mut() {
            Some(map) => {
                map.insert("action".into(), serde_json::Value::String(action.into()));
            }
            None => {
                return Err(ModelError::InvalidPayload {
                    kind: kind.to_string(),
                    reason: "payload must be a JSON object".into(),
                })
            }
        }
        typed(kind, tagged).map(IncidentEvent::Acted)
    }
}

impl IncidentEvent {
    /// Checks the sizes a payload may have: the description, address, notes and reasons
    /// within their character limits, at most [`MAX_PHOTOS`] photos, each named by a
    /// SHA-256, and a department id that is a valid name. The device checks the same
    /// limits when a user types (`Store::report`, `Store::act`); the server checks them
    /// again on every pushed event, since a device may not be ours.
    pub fn check_limits(&self) -> Result<(), ModelError> {
        let kind = self.kind();
        let too_long = |field: &str, n: usize, max: usize| ModelError::InvalidPayload {
            kind: kind.to_string(),
            reason: format!("{field} has {n} characters; at most {max}"),
        };
        let text = |field: &str, value: &str, max: usize| {
            let n = value.chars().count();
            if n > max {
                Err(too_long(field, n, max))
            } else {
                Ok(())
            }
        };
        let photos = match self {
            IncidentEvent::Reported(r) => {
                text("description", &r.description, MAX_DESCRIPTION_CHARS)?;
                if let Some(a) = &r.address {
                    text("address", a, MAX_ADDRESS_CHARS)?;
                }
                &r.photos
            }
            IncidentEvent::Acted(a) => {
                if let Some(t) = a.text() {
                    text("note", t, MAX_NOTE_CHARS)?;
                }
                if let Action::Dispatch { department, .. } = a {
                    super::validate_name("department", department)?;
                }
                if let Action::VerifyPass {
                    position: Some(p), ..
                }
                | Action::VerifyFail {
                    position: Some(p), ..
                } = a
                {
                    crate::geo::validate_point(p.lat, p.lon).map_err(|e| {
                        ModelError::InvalidPayload {
                            kind: kind.to_string(),
                            reason: e.to_string(),
                        }
                    })?;
                }
                if let Action::Assist { departments, .. } = a {
                    if departments.is_empty() || departments.len() > 10 {
                        return Err(ModelError::InvalidPayload {
                            kind: kind.to_string(),
                            reason: "1 to 10 assisting departments".into(),
                        });
                    }
                    for d in departments {
                        super::validate_name("department", d)?;
                    }
                }
                a.photos()
            }
        };
        if photos.len() > MAX_PHOTOS {
            return Err(ModelError::InvalidPayload {
                kind: kind.to_string(),
                reason: format!("{} photos; at most {MAX_PHOTOS}", photos.len()),
            });
        }
        for p in photos {
            let hex = p.sha256.len() == 64
                && p.sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex || p.mime.chars().count() > 100 {
                return Err(ModelError::InvalidPayload {
                    kind: kind.to_string(),
                    reason: "a photo is named by its SHA-256 (64 lower-case hex digits) \
                             and has a media type of at most 100 characters"
                        .into(),
                });
            }
        }
        Ok(())
    }
}

const ACTION_KINDS: &[(&str, &str)] = &[
    ("incident.registered", "register"),
    ("incident.cancelled", "cancel"),
    ("incident.dispatched", "dispatch"),
    ("incident.handled", "handle"),
    ("incident.verified", "verify_pass"),
    ("incident.verification_failed", "verify_fail"),
    ("incident.closed", "close"),
    ("incident.returned", "return"),
    ("incident.postponed", "postpone"),
    ("incident.suspended", "suspend"),
    ("incident.resumed", "resume"),
    ("incident.self_resolved", "self_resolve"),
    ("incident.reopened", "reopen"),
    ("incident.checked", "check"),
    ("incident.signed", "sign"),
    ("incident.applied", "apply"),
    ("incident.approved", "approve"),
    ("incident.refused", "refuse"),
    ("incident.urged", "urge"),
    ("incident.assisted", "assist"),
    ("incident.conflict_resolved", "resolve_conflict"),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_action_round_trips_through_kind_and_payload() {
        let photo = PhotoRef {
            sha256: "ab".repeat(32),
            size: 10,
            mime: "image/jpeg".into(),
            thumb: None,
        };
        let actions = vec![
            Action::Register { note: None },
            Action::Cancel {
                reason: "dup".into(),
            },
            Action::Dispatch {
                department: "water".into(),
                deadline_ms: 5,
                note: Some("asap".into()),
            },
            Action::Handle {
                note: None,
                photos: vec![photo.clone()],
            },
            Action::VerifyPass {
                note: None,
                photos: vec![],
                position: Some(LatLon::new(31.3, 120.6)),
            },
            Action::VerifyFail {
                reason: "still open".into(),
                photos: vec![photo.clone()],
                position: None,
            },
            Action::Close { note: None },
            Action::Return { reason: "x".into() },
            Action::Postpone {
                reason: "rain".into(),
                deadline_ms: 9,
            },
            Action::Suspend {
                reason: "court".into(),
                remaining_minutes: Some(30),
            },
            Action::Resume {
                deadline_ms: Some(7),
                note: None,
            },
            Action::SelfResolve {
                note: None,
                photos: vec![photo],
            },
            Action::Reopen {
                reason: "back".into(),
            },
            Action::Check { note: None },
            Action::Sign { note: None },
            Action::Apply {
                exception: Exception::Postpone,
                reason: "rain".into(),
                extend: Some(TimeLimit::WorkingHours(4)),
                deadline_ms: Some(3),
            },
            Action::Approve {
                note: None,
                deadline_ms: Some(4),
                remaining_minutes: None,
            },
            Action::Refuse {
                reason: "no".into(),
            },
            Action::Urge {
                note: None,
                supervise: true,
            },
            Action::Assist {
                departments: vec!["water".into()],
                note: None,
            },
            Action::ResolveConflict {
                event_id: Uuid::nil(),
                decision: ConflictDecision::Dismissed,
                note: Some("both saw it".into()),
            },
        ];
        assert_eq!(actions.len(), ACTION_KINDS.len());
        for a in actions {
            let ev = IncidentEvent::Acted(a.clone());
            let payload = ev.payload();
            assert!(payload.get("action").is_none());
            assert_eq!(IncidentEvent::parse(ev.kind(), &payload).unwrap(), ev);
        }
    }

    #[test]
    fn unknown_kinds_and_bad_payloads_are_typed_errors() {
        assert!(IncidentEvent::parse("incident.exploded", &serde_json::json!({})).is_err());
        assert!(IncidentEvent::parse("incident.cancelled", &serde_json::json!({})).is_err());
        assert!(IncidentEvent::parse("incident.cancelled", &serde_json::json!([1])).is_err());
        assert!(IncidentEvent::parse("incident.reported", &serde_json::json!({"lat": 1})).is_err());
    }
}
