//! What a shell hands in and gets back for cases: the report draft, the action request,
//! and the case view with its timeline.

use crate::{
    calendar::TimeLimit,
    error::{Error, Result},
    model::{Actor, Role, Urgency},
    workflow::Case,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use uuid::Uuid;

/// What a worker fills in to report a problem.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReportDraft {
    /// Category code from the catalogue.
    pub category: String,
    /// WGS-84 latitude.
    pub lat: f64,
    /// WGS-84 longitude.
    pub lon: f64,
    /// Horizontal accuracy in metres, when the platform gives one.
    pub accuracy_m: Option<f64>,
    /// What the worker saw (1 to 4,000 characters).
    pub description: String,
    /// Address text.
    pub address: Option<String>,
    /// How urgent.
    pub urgency: Urgency,
    /// Photo files to attach; copied into the store.
    pub photos: Vec<PathBuf>,
    /// The patrol this report belongs to.
    pub patrol: Option<Uuid>,
}

/// The workflow actions a user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Accept as a case.
    Register,
    /// Void the case (reason required).
    Cancel,
    /// Send to a department (`department` required); the deadline follows the category.
    Dispatch,
    /// Report the work done (after photo required).
    Handle,
    /// On-site check passed.
    VerifyPass,
    /// On-site check failed: rework (reason required).
    VerifyFail,
    /// Close a verified case.
    Close,
    /// Back to the centre (reason required).
    Return,
    /// Extend the deadline (reason required; `extend` or the category's limit again).
    Postpone,
    /// Pause handling (reason required).
    Suspend,
    /// Resume a suspended case.
    Resume,
    /// Fixed on the spot by the worker (after photo required).
    SelfResolve,
    /// Open a closed or cancelled case again (reason required).
    Reopen,
    /// The intake operator checked the report (核实).
    Check,
    /// The department signs for the case (签收).
    Sign,
    /// The department applies for a return to the centre (reason required).
    ApplyReturn,
    /// The department applies for more time (reason required; `extend` optional).
    ApplyPostpone,
    /// The department applies for a suspension (reason required).
    ApplySuspend,
    /// The shift lead approves the pending application.
    Approve,
    /// The shift lead refuses the pending application (reason required).
    Refuse,
    /// The centre reminds the department (催办).
    Urge,
    /// The centre formally supervises the department (督办).
    Supervise,
    /// An assisting department joins (`department` required) (协办).
    Assist,
    /// Settle a flagged conflict (`conflict` names the flagged event).
    ResolveConflict,
}

impl ActionKind {
    /// Every action.
    pub const ALL: [ActionKind; 24] = [
        ActionKind::Register,
        ActionKind::Cancel,
        ActionKind::Dispatch,
        ActionKind::Handle,
        ActionKind::VerifyPass,
        ActionKind::VerifyFail,
        ActionKind::Close,
        ActionKind::Return,
        ActionKind::Postpone,
        ActionKind::Suspend,
        ActionKind::Resume,
        ActionKind::SelfResolve,
        ActionKind::Reopen,
        ActionKind::Check,
        ActionKind::Sign,
        ActionKind::ApplyReturn,
        ActionKind::ApplyPostpone,
        ActionKind::ApplySuspend,
        ActionKind::Approve,
        ActionKind::Refuse,
        ActionKind::Urge,
        ActionKind::Supervise,
        ActionKind::Assist,
        ActionKind::ResolveConflict,
    ];

    /// The action's name (`verify_pass`, …); the CLI also accepts `verify-pass`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Register => "register",
            ActionKind::Cancel => "cancel",
            ActionKind::Dispatch => "dispatch",
            ActionKind::Handle => "handle",
            ActionKind::VerifyPass => "verify_pass",
            ActionKind::VerifyFail => "verify_fail",
            ActionKind::Close => "close",
            ActionKind::Return => "return",
            ActionKind::Postpone => "postpone",
            ActionKind::Suspend => "suspend",
            ActionKind::Resume => "resume",
            ActionKind::SelfResolve => "self_resolve",
            ActionKind::Reopen => "reopen",
            ActionKind::Check => "check",
            ActionKind::Sign => "sign",
            ActionKind::ApplyReturn => "apply_return",
            ActionKind::ApplyPostpone => "apply_postpone",
            ActionKind::ApplySuspend => "apply_suspend",
            ActionKind::Approve => "approve",
            ActionKind::Refuse => "refuse",
            ActionKind::Urge => "urge",
            ActionKind::Supervise => "supervise",
            ActionKind::Assist => "assist",
            ActionKind::ResolveConflict => "resolve_conflict",
        }
    }

    /// Parses a name, with `-` or `_`.
    pub fn parse(name: &str) -> Result<ActionKind> {
        let name = name.replace('-', "_");
        ActionKind::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = ActionKind::ALL.iter().map(|a| a.as_str()).collect();
                Error::invalid(
                    "action",
                    format!("{name:?} is not one of {}", names.join(", ")),
                )
            })
    }
}

/// A workflow action as the user asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// Which action.
    pub kind: ActionKind,
    /// Note or reason.
    pub note: Option<String>,
    /// Department id, for dispatch (default the category's, by area where the
    /// catalogue routes by area) and assist.
    pub department: Option<String>,
    /// Photo files to attach.
    pub photos: Vec<PathBuf>,
    /// For postpone: how much more time; default the category's time limit.
    pub extend: Option<TimeLimit>,
    /// Act in another role than the signed-in one (a supervisor's tablet used by a
    /// handler, the demo).
    pub as_role: Option<Role>,
    /// For verification: where the verifier stands (WGS-84 latitude, longitude).
    #[serde(default)]
    pub position: Option<(f64, f64)>,
    /// For resolve-conflict: the flagged event to settle.
    #[serde(default)]
    pub conflict: Option<Uuid>,
}

impl ActionRequest {
    /// A request with just a kind.
    pub fn new(kind: ActionKind) -> Self {
        Self {
            kind,
            note: None,
            department: None,
            photos: Vec::new(),
            extend: None,
            as_role: None,
            position: None,
            conflict: None,
        }
    }
}

/// Sync state of one event, as shown on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum SyncState {
    /// Waiting in the outbox.
    Pending,
    /// Accepted by the server.
    Synced,
    /// Refused by the server; kept here with its reason, and left out of the case's
    /// state, as on every other replica.
    Rejected(String),
}

/// One step of a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The event id.
    pub event_id: Uuid,
    /// Its kind.
    pub kind: String,
    /// When (HLC wall time, unix ms).
    pub at_ms: i64,
    /// Who.
    pub actor: Actor,
    /// On which device.
    pub device_id: String,
    /// The payload.
    pub payload: serde_json::Value,
    /// Whether it was flagged as a conflict instead of applying.
    pub conflict: bool,
    /// Where it stands with the server.
    pub sync: SyncState,
}

/// A case with its full history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseDetail {
    /// The folded state.
    pub case: Case,
    /// Past its deadline now.
    pub overdue: bool,
    /// Every event of the case, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// The server's reason when it refused the report itself: the case exists only on
    /// this device, is in no status count, and waits for nobody. Refused steps are
    /// marked on the timeline ([`SyncState::Rejected`]) and left out of the state.
    #[serde(default)]
    pub report_rejected: Option<String>,
}
