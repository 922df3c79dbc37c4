//! Records and Enums the foreign side sees, mirroring the core's types with `From`
//! impls. No logic lives here: each conversion copies fields, turning UUIDs into strings,
//! paths into strings and JSON payloads into JSON text.

use crate::error::{bad_case_id, GridworkError};
use gridwork_core::{calendar, catalog, db, model, store, store::photos::photo_path, workflow};
use std::path::{Path, PathBuf};

/// The role a user acts in; roles decide which workflow actions are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Role {
    /// A grid worker (网格员): reports, verifies on site, patrols.
    Worker,
    /// A supervisor at the command centre: registers, dispatches, closes.
    Supervisor,
    /// A handler in a responsible department: handles dispatched cases.
    Handler,
    /// Another system filing reports through Open311 (residents, partners).
    Integration,
    /// The centre's intake operator (受理员): checks, registers or refuses, closes.
    Intake,
    /// The centre's dispatcher (派遣员): dispatches, urges, resumes.
    Dispatcher,
    /// The centre's shift lead (值班长): approves or refuses applications.
    ShiftLead,
}

impl From<model::Role> for Role {
    fn from(r: model::Role) -> Self {
        match r {
            model::Role::Worker => Role::Worker,
            model::Role::Supervisor => Role::Supervisor,
            model::Role::Handler => Role::Handler,
            model::Role::Integration => Role::Integration,
            model::Role::Intake => Role::Intake,
            model::Role::Dispatcher => Role::Dispatcher,
            model::Role::ShiftLead => Role::ShiftLead,
        }
    }
}

impl From<Role> for model::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Worker => model::Role::Worker,
            Role::Supervisor => model::Role::Supervisor,
            Role::Handler => model::Role::Handler,
            Role::Integration => model::Role::Integration,
            Role::Intake => model::Role::Intake,
            Role::Dispatcher => model::Role::Dispatcher,
            Role::ShiftLead => model::Role::ShiftLead,
        }
    }
}

/// Where a case stands in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Status {
    /// Reported by a worker, waiting for the centre (信息收集).
    Reported,
    /// Accepted as a case, waiting for dispatch (立案).
    Registered,
    /// With a department; the handling clock runs (派遣/处理中).
    Dispatched,
    /// The department reported it done; waiting for on-site verification.
    Handled,
    /// Verified on site; waiting for the centre to close it.
    Verified,
    /// Paused by a supervisor; the clock is stopped.
    Suspended,
    /// Closed (结案), including problems fixed on the spot.
    Closed,
    /// Void (作废).
    Cancelled,
}

impl From<workflow::Status> for Status {
    fn from(s: workflow::Status) -> Self {
        use workflow::Status as S;
        match s {
            S::Reported => Status::Reported,
            S::Registered => Status::Registered,
            S::Dispatched => Status::Dispatched,
            S::Handled => Status::Handled,
            S::Verified => Status::Verified,
            S::Suspended => Status::Suspended,
            S::Closed => Status::Closed,
            S::Cancelled => Status::Cancelled,
        }
    }
}

impl From<Status> for workflow::Status {
    fn from(s: Status) -> Self {
        use workflow::Status as S;
        match s {
            Status::Reported => S::Reported,
            Status::Registered => S::Registered,
            Status::Dispatched => S::Dispatched,
            Status::Handled => S::Handled,
            Status::Verified => S::Verified,
            Status::Suspended => S::Suspended,
            Status::Closed => S::Closed,
            Status::Cancelled => S::Cancelled,
        }
    }
}

/// How urgent a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, uniffi::Enum)]
pub enum Urgency {
    /// The usual case.
    #[default]
    Normal,
    /// Danger to people: handled first.
    Urgent,
}

impl From<model::Urgency> for Urgency {
    fn from(u: model::Urgency) -> Self {
        match u {
            model::Urgency::Normal => Urgency::Normal,
            model::Urgency::Urgent => Urgency::Urgent,
        }
    }
}

impl From<Urgency> for model::Urgency {
    fn from(u: Urgency) -> Self {
        match u {
            Urgency::Normal => model::Urgency::Normal,
            Urgency::Urgent => model::Urgency::Urgent,
        }
    }
}

/// How a closed case was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Resolution {
    /// Through the full loop: handled, verified, closed.
    Closed,
    /// Fixed on the spot by the worker who found it.
    SelfResolved,
}

impl From<workflow::Resolution> for Resolution {
    fn from(r: workflow::Resolution) -> Self {
        match r {
            workflow::Resolution::Closed => Resolution::Closed,
            workflow::Resolution::SelfResolved => Resolution::SelfResolved,
        }
    }
}

/// The workflow actions a user can ask for. Which roles may take which is decided by the
/// core; a refused one raises `NotPermitted` or `Workflow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ActionKind {
    /// Accept as a case (supervisor).
    Register,
    /// Void the case; a reason (`note`) is required (supervisor).
    Cancel,
    /// Send to a department (`department` required); the deadline follows the category.
    Dispatch,
    /// Report the work done; an after photo is required (handler).
    Handle,
    /// On-site check passed (worker or supervisor).
    VerifyPass,
    /// On-site check failed: back for rework; a reason is required.
    VerifyFail,
    /// Close a verified case (supervisor).
    Close,
    /// Back to the centre; a reason is required.
    Return,
    /// Extend the deadline; a reason is required (`extend`, or the category's limit again).
    Postpone,
    /// Pause handling; a reason is required.
    Suspend,
    /// Resume a suspended case.
    Resume,
    /// Fixed on the spot by the worker who found it; an after photo is required.
    SelfResolve,
    /// Open a closed or cancelled case again; a reason is required.
    Reopen,
    /// The intake operator checked the report (核实).
    Check,
    /// The department signs for a dispatched case (签收) (handler).
    Sign,
    /// The department applies for a return to the centre; a reason is required.
    ApplyReturn,
    /// The department applies for more time; a reason is required (`extend` optional).
    ApplyPostpone,
    /// The department applies for a suspension; a reason is required.
    ApplySuspend,
    /// The shift lead approves the pending application.
    Approve,
    /// The shift lead refuses the pending application; a reason is required.
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

impl From<store::ActionKind> for ActionKind {
    fn from(k: store::ActionKind) -> Self {
        use store::ActionKind as K;
        match k {
            K::Register => ActionKind::Register,
            K::Cancel => ActionKind::Cancel,
            K::Dispatch => ActionKind::Dispatch,
            K::Handle => ActionKind::Handle,
            K::VerifyPass => ActionKind::VerifyPass,
            K::VerifyFail => ActionKind::VerifyFail,
            K::Close => ActionKind::Close,
            K::Return => ActionKind::Return,
            K::Postpone => ActionKind::Postpone,
            K::Suspend => ActionKind::Suspend,
            K::Resume => ActionKind::Resume,
            K::SelfResolve => ActionKind::SelfResolve,
            K::Reopen => ActionKind::Reopen,
            K::Check => ActionKind::Check,
            K::Sign => ActionKind::Sign,
            K::ApplyReturn => ActionKind::ApplyReturn,
            K::ApplyPostpone => ActionKind::ApplyPostpone,
            K::ApplySuspend => ActionKind::ApplySuspend,
            K::Approve => ActionKind::Approve,
            K::Refuse => ActionKind::Refuse,
            K::Urge => ActionKind::Urge,
            K::Supervise => ActionKind::Supervise,
            K::Assist => ActionKind::Assist,
            K::ResolveConflict => ActionKind::ResolveConflict,
        }
    }
}

impl From<ActionKind> for store::ActionKind {
    fn from(k: ActionKind) -> Self {
        use store::ActionKind as K;
        match k {
            ActionKind::Register => K::Register,
            ActionKind::Cancel => K::Cancel,
            ActionKind::Dispatch => K::Dispatch,
            ActionKind::Handle => K::Handle,
            ActionKind::VerifyPass => K::VerifyPass,
            ActionKind::VerifyFail => K::VerifyFail,
            ActionKind::Close => K::Close,
            ActionKind::Return => K::Return,
            ActionKind::Postpone => K::Postpone,
            ActionKind::Suspend => K::Suspend,
            ActionKind::Resume => K::Resume,
            ActionKind::SelfResolve => K::SelfResolve,
            ActionKind::Reopen => K::Reopen,
            ActionKind::Check => K::Check,
            ActionKind::Sign => K::Sign,
            ActionKind::ApplyReturn => K::ApplyReturn,
            ActionKind::ApplyPostpone => K::ApplyPostpone,
            ActionKind::ApplySuspend => K::ApplySuspend,
            ActionKind::Approve => K::Approve,
            ActionKind::Refuse => K::Refuse,
            ActionKind::Urge => K::Urge,
            ActionKind::Supervise => K::Supervise,
            ActionKind::Assist => K::Assist,
            ActionKind::ResolveConflict => K::ResolveConflict,
        }
    }
}

/// A time limit counted on the catalogue's working calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TimeLimit {
    /// This many working hours.
    WorkingHours {
        /// Number of working hours.
        hours: u32,
    },
    /// This many working days.
    WorkingDays {
        /// Number of working days.
        days: u32,
    },
}

impl From<calendar::TimeLimit> for TimeLimit {
    fn from(t: calendar::TimeLimit) -> Self {
        match t {
            calendar::TimeLimit::WorkingHours(hours) => TimeLimit::WorkingHours { hours },
            calendar::TimeLimit::WorkingDays(days) => TimeLimit::WorkingDays { days },
        }
    }
}

impl From<TimeLimit> for calendar::TimeLimit {
    fn from(t: TimeLimit) -> Self {
        match t {
            TimeLimit::WorkingHours { hours } => calendar::TimeLimit::WorkingHours(hours),
            TimeLimit::WorkingDays { days } => calendar::TimeLimit::WorkingDays(days),
        }
    }
}

/// Who uses a store: the signed-in user, their role and this device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Identity {
    /// The user's account name.
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// This device's id; it never changes for a store.
    pub device_id: String,
}

impl From<store::Identity> for Identity {
    fn from(i: store::Identity) -> Self {
        Identity {
            user: i.user,
            role: i.role.into(),
            device_id: i.device_id,
        }
    }
}

/// A user acting in a role.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Actor {
    /// The user's account name.
    pub user: String,
    /// The role the user acted in.
    pub role: Role,
}

impl From<model::Actor> for Actor {
    fn from(a: model::Actor) -> Self {
        Actor {
            user: a.user,
            role: a.role.into(),
        }
    }
}

/// Whether a category is a damaged city asset or a situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CategoryKind {
    /// 部件: a city asset (manhole cover, street lamp, bin …).
    Component,
    /// 事件: a situation (exposed rubbish, illegal parking …).
    Event,
}

/// One category of the imported catalogue, for the report screen's picker.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Category {
    /// The category code (4 or 5 digits), passed as `ReportDraft.category`.
    pub code: String,
    /// Chinese name, e.g. 暴露垃圾.
    pub name_zh: String,
    /// English name, e.g. "Exposed rubbish".
    pub name_en: String,
    /// Component or event.
    pub kind: CategoryKind,
    /// How long handling may take once dispatched.
    pub time_limit: TimeLimit,
    /// What the verifier checks on site before closing (may be empty).
    pub closing_condition: String,
    /// Id of the responsible department (see `departments()`).
    pub department: String,
}

impl From<&catalog::Category> for Category {
    fn from(c: &catalog::Category) -> Self {
        Category {
            code: c.code.as_str().to_string(),
            name_zh: c.name_zh.clone(),
            name_en: c.name_en.clone(),
            kind: match c.kind {
                catalog::CategoryKind::Component => CategoryKind::Component,
                catalog::CategoryKind::Event => CategoryKind::Event,
            },
            time_limit: c.time_limit.into(),
            closing_condition: c.closing_condition.clone(),
            department: c.department.clone(),
        }
    }
}

/// A department that handles dispatched cases.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Department {
    /// Stable id, passed as `ActionRequest.department` to dispatch.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

impl From<&catalog::Department> for Department {
    fn from(d: &catalog::Department) -> Self {
        Department {
            id: d.id.clone(),
            name_zh: d.name_zh.clone(),
            name_en: d.name_en.clone(),
        }
    }
}

/// What a worker fills in to report a problem. Photos are file PATHS the app can read
/// (the camera's output file); the core copies them into the store.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReportDraft {
    /// Category code from `categories()`.
    pub category: String,
    /// WGS-84 latitude (convert GCJ-02 map coordinates first).
    pub lat: f64,
    /// WGS-84 longitude.
    pub lon: f64,
    /// What the worker saw (1 to 4,000 characters).
    pub description: String,
    /// How urgent.
    pub urgency: Urgency,
    /// Horizontal accuracy in metres, when the platform gives one.
    #[uniffi(default)]
    pub accuracy_m: Option<f64>,
    /// Address text.
    #[uniffi(default)]
    pub address: Option<String>,
    /// Photo files to attach (JPEG, PNG or WebP, at most 20 MB each; stripped of metadata
    /// but orientation and capture time).
    #[uniffi(default)]
    pub photos: Vec<String>,
    /// The patrol (UUID) this report belongs to: the worker's open patrol
    /// (`open_patrol()`), or empty.
    #[uniffi(default)]
    pub patrol_id: Option<String>,
}

impl TryFrom<ReportDraft> for store::ReportDraft {
    type Error = GridworkError;
    fn try_from(d: ReportDraft) -> Result<Self, GridworkError> {
        let patrol = d
            .patrol_id
            .map(|p| {
                uuid::Uuid::parse_str(p.trim()).map_err(|_| {
                    GridworkError::invalid(
                        "patrol_id",
                        format!("invalid patrol id {p:?}: expected a UUID"),
                    )
                })
            })
            .transpose()?;
        Ok(store::ReportDraft {
            category: d.category,
            lat: d.lat,
            lon: d.lon,
            accuracy_m: d.accuracy_m,
            description: d.description,
            address: d.address,
            urgency: d.urgency.into(),
            photos: d.photos.into_iter().map(PathBuf::from).collect(),
            patrol,
        })
    }
}

/// A workflow action as the user asks for it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ActionRequest {
    /// Which action.
    pub kind: ActionKind,
    /// Note or reason (required by cancel, verify-fail, return, postpone, suspend, reopen).
    #[uniffi(default)]
    pub note: Option<String>,
    /// Department id, for dispatch.
    #[uniffi(default)]
    pub department: Option<String>,
    /// Photo file paths to attach (the after photo of handle and self-resolve).
    #[uniffi(default)]
    pub photos: Vec<String>,
    /// For postpone: how much more time; default the category's time limit again.
    #[uniffi(default)]
    pub extend: Option<TimeLimit>,
    /// Act in another role than the signed-in one (a shared tablet, the demo).
    #[uniffi(default)]
    pub as_role: Option<Role>,
    /// For verification: where the user stands (WGS-84); required when the catalogue
    /// sets a verification radius (`available_actions` says so).
    #[uniffi(default)]
    pub position: Option<crate::phone::GeoPoint>,
    /// For resolve-conflict: the flagged event's id (one of `open_conflicts`).
    #[uniffi(default)]
    pub conflict: Option<String>,
}

impl TryFrom<ActionRequest> for store::ActionRequest {
    type Error = GridworkError;
    fn try_from(r: ActionRequest) -> Result<Self, GridworkError> {
        let conflict = r
            .conflict
            .map(|c| {
                uuid::Uuid::parse_str(c.trim()).map_err(|_| {
                    GridworkError::invalid(
                        "conflict",
                        format!("invalid event id {c:?}: expected a UUID"),
                    )
                })
            })
            .transpose()?;
        Ok(store::ActionRequest {
            kind: r.kind.into(),
            note: r.note,
            department: r.department,
            photos: r.photos.into_iter().map(PathBuf::from).collect(),
            extend: r.extend.map(Into::into),
            as_role: r.as_role.map(Into::into),
            position: r.position.map(|p| (p.lat, p.lon)),
            conflict,
        })
    }
}

/// What to list. Every field narrows the list; the default lists everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct CaseFilter {
    /// A cell code or a prefix of one (district, street, community).
    #[uniffi(default)]
    pub cell_prefix: Option<String>,
    /// Only cases in this status.
    #[uniffi(default)]
    pub status: Option<Status>,
    /// Only cases past their handling deadline.
    #[uniffi(default)]
    pub overdue: bool,
    /// Only cases with this department or handler.
    #[uniffi(default)]
    pub assignee: Option<String>,
    /// Full-text search over description and address.
    #[uniffi(default)]
    pub search: Option<String>,
    /// Only cases with an event the server refused (a rejected step or report).
    #[uniffi(default)]
    pub rejected: bool,
}

impl From<CaseFilter> for db::ListFilter {
    fn from(f: CaseFilter) -> Self {
        db::ListFilter {
            cell_prefix: f.cell_prefix,
            status: f.status.map(Into::into),
            overdue: f.overdue,
            assignee: f.assignee,
            search: f.search,
            rejected: f.rejected,
            reporter: None,
        }
    }
}

/// Where the next page of a list starts; pass back as `after` unchanged.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PageCursor {
    /// The `reported_at_ms` of the last row seen.
    pub reported_at_ms: i64,
    /// Its case id.
    pub id: String,
}

impl From<db::PageCursor> for PageCursor {
    fn from(c: db::PageCursor) -> Self {
        PageCursor {
            reported_at_ms: c.reported_at_ms,
            id: c.id.to_string(),
        }
    }
}

impl TryFrom<PageCursor> for db::PageCursor {
    type Error = GridworkError;
    fn try_from(c: PageCursor) -> Result<Self, GridworkError> {
        Ok(db::PageCursor {
            reported_at_ms: c.reported_at_ms,
            id: parse_case_id(&c.id)?,
        })
    }
}

/// One row of a case list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CaseSummary {
    /// The case id (a UUID).
    pub id: String,
    /// Where it stands.
    pub status: Status,
    /// Category code.
    pub category: String,
    /// Grid cell code, if the point lies inside one.
    pub cell: Option<String>,
    /// WGS-84 latitude.
    pub lat: f64,
    /// WGS-84 longitude.
    pub lon: f64,
    /// The description.
    pub description: String,
    /// Who reported it.
    pub reporter: String,
    /// Department, once dispatched.
    pub department: Option<String>,
    /// When reported, unix ms.
    pub reported_at_ms: i64,
    /// When handling is due, unix ms.
    pub deadline_ms: Option<i64>,
    /// Past its deadline now (the overdue badge).
    pub overdue: bool,
    /// Times sent back for rework.
    pub rework_count: u32,
    /// Events that did not apply (concurrent edits); show a warning when non-zero.
    pub conflict_count: u32,
    /// Events the server refused: left out of the case's state; show a warning when
    /// non-zero.
    pub rejected_count: u32,
    /// What the latest refused event was and why (`registered: …`).
    pub rejection: Option<String>,
    /// The server refused the report itself: the case exists only on this device and
    /// waits for nobody; show it as rejected, not as reported.
    pub report_rejected: bool,
}

impl From<db::CaseSummary> for CaseSummary {
    fn from(c: db::CaseSummary) -> Self {
        CaseSummary {
            id: c.id.to_string(),
            status: c.status.into(),
            category: c.category,
            cell: c.cell,
            lat: c.lat,
            lon: c.lon,
            description: c.description,
            reporter: c.reporter,
            department: c.department,
            reported_at_ms: c.reported_at_ms,
            deadline_ms: c.deadline_ms,
            overdue: c.overdue,
            rework_count: c.rework_count,
            conflict_count: c.conflict_count,
            rejected_count: c.rejected_count,
            rejection: c.rejection,
            report_rejected: c.report_rejected,
        }
    }
}

/// A page of a case list, newest first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CasePage {
    /// The rows.
    pub items: Vec<CaseSummary>,
    /// Where the next page starts; null on the last page.
    pub next: Option<PageCursor>,
}

impl From<db::Page> for CasePage {
    fn from(p: db::Page) -> Self {
        CasePage {
            items: p.items.into_iter().map(Into::into).collect(),
            next: p.next.map(Into::into),
        }
    }
}

/// A photo kept in the store.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Photo {
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type, e.g. `image/jpeg`.
    pub mime: String,
    /// Where the file is in the store's `photos/` folder (to show it).
    pub path: String,
}

impl Photo {
    pub(crate) fn new(p: model::PhotoRef, photos_dir: &Path) -> Self {
        Photo {
            path: photo_path(photos_dir, &p.sha256)
                .to_string_lossy()
                .into_owned(),
            sha256: p.sha256,
            size: p.size,
            mime: p.mime,
        }
    }
}

/// An event that did not fit the case at its place (two supervisors acted offline on the
/// same case). Kept and shown for a person to resolve.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Conflict {
    /// The event that lost.
    pub event_id: String,
    /// Its kind.
    pub kind: String,
    /// Who recorded it.
    pub actor: Actor,
    /// On which device.
    pub device_id: String,
    /// Its time, unix ms.
    pub at_ms: i64,
    /// Why it did not apply.
    pub reason: String,
}

impl From<workflow::Conflict> for Conflict {
    fn from(c: workflow::Conflict) -> Self {
        Conflict {
            event_id: c.event_id.to_string(),
            kind: c.kind,
            actor: c.actor.into(),
            device_id: c.device_id,
            at_ms: c.at_ms,
            reason: c.reason,
        }
    }
}

/// Where one event stands with the server: `Pending` until a `GridworkSync` run pushes
/// it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Waiting in the outbox.
    Pending,
    /// Accepted by the server.
    Synced,
    /// Refused by the server; kept with its reason.
    Rejected {
        /// The server's reason.
        reason: String,
    },
}

impl From<store::SyncState> for SyncState {
    fn from(s: store::SyncState) -> Self {
        match s {
            store::SyncState::Pending => SyncState::Pending,
            store::SyncState::Synced => SyncState::Synced,
            store::SyncState::Rejected(reason) => SyncState::Rejected { reason },
        }
    }
}

/// One step of a case's history.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TimelineEntry {
    /// The event id.
    pub event_id: String,
    /// Its kind, e.g. `incident.reported`, `incident.dispatched`.
    pub kind: String,
    /// When, unix ms.
    pub at_ms: i64,
    /// Who.
    pub actor: Actor,
    /// On which device.
    pub device_id: String,
    /// The event's payload as JSON text (kept for old callers and `CaseEvent::Other`;
    /// read `event` instead).
    pub payload_json: String,
    /// What the step says, typed by kind (notes, department, deadline, photos …).
    pub event: crate::timeline::CaseEvent,
    /// Whether it was flagged as a conflict instead of applying.
    pub conflict: bool,
    /// Where it stands with the server.
    pub sync: SyncState,
}

impl TimelineEntry {
    /// Copies a core timeline entry, resolving its photos in `photos_dir`.
    pub(crate) fn new(t: store::TimelineEntry, photos_dir: &Path) -> Self {
        TimelineEntry {
            event: crate::timeline::CaseEvent::new(&t.kind, &t.payload, photos_dir),
            event_id: t.event_id.to_string(),
            kind: t.kind,
            at_ms: t.at_ms,
            actor: t.actor.into(),
            device_id: t.device_id,
            payload_json: t.payload.to_string(),
            conflict: t.conflict,
            sync: t.sync.into(),
        }
    }
}

/// A case with its full history: what the case screen shows.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CaseDetail {
    /// The case id (a UUID).
    pub id: String,
    /// Where it stands.
    pub status: Status,
    /// Category code.
    pub category: String,
    /// Grid cell code, if the point lies inside one.
    pub cell: Option<String>,
    /// WGS-84 latitude.
    pub lat: f64,
    /// WGS-84 longitude.
    pub lon: f64,
    /// Horizontal accuracy in metres, when known.
    pub accuracy_m: Option<f64>,
    /// What the worker saw.
    pub description: String,
    /// Address text.
    pub address: Option<String>,
    /// How urgent.
    pub urgency: Urgency,
    /// Who reported it.
    pub reporter: Actor,
    /// When reported, unix ms.
    pub reported_at_ms: i64,
    /// When it last changed, unix ms.
    pub updated_at_ms: i64,
    /// The responsible department, once dispatched.
    pub department: Option<String>,
    /// The handler who last reported work done.
    pub handler: Option<String>,
    /// When handling is due, unix ms.
    pub deadline_ms: Option<i64>,
    /// When it was closed, unix ms.
    pub closed_at_ms: Option<i64>,
    /// How it was closed.
    pub resolution: Option<Resolution>,
    /// Past its deadline now.
    pub overdue: bool,
    /// Times sent back for rework.
    pub rework_count: u32,
    /// Times the deadline was extended.
    pub postpone_count: u32,
    /// Every photo of the case, in order (before and after).
    pub photos: Vec<Photo>,
    /// Events that did not apply.
    pub conflicts: Vec<Conflict>,
    /// Every event of the case, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// The server's reason when it refused the report itself (the case exists only on
    /// this device); refused steps are marked on the timeline.
    pub report_rejected: Option<String>,
}

impl CaseDetail {
    /// Copies a core case view, resolving photo files in `photos_dir`.
    pub(crate) fn new(d: store::CaseDetail, photos_dir: &Path) -> Self {
        let c = d.case;
        let r = c.report;
        CaseDetail {
            id: c.id.to_string(),
            status: c.status.into(),
            category: r.category,
            cell: r.cell,
            lat: r.lat,
            lon: r.lon,
            accuracy_m: r.accuracy_m,
            description: r.description,
            address: r.address,
            urgency: r.urgency.into(),
            reporter: c.reporter.into(),
            reported_at_ms: c.reported_at_ms,
            updated_at_ms: c.updated_at_ms,
            department: c.department,
            handler: c.handler,
            deadline_ms: c.deadline_ms,
            closed_at_ms: c.closed_at_ms,
            resolution: c.resolution.map(Into::into),
            overdue: d.overdue,
            rework_count: c.rework_count,
            postpone_count: c.postpone_count,
            photos: c
                .photos
                .into_iter()
                .map(|p| Photo::new(p, photos_dir))
                .collect(),
            conflicts: c.conflicts.into_iter().map(Into::into).collect(),
            timeline: d
                .timeline
                .into_iter()
                .map(|t| TimelineEntry::new(t, photos_dir))
                .collect(),
            report_rejected: d.report_rejected,
        }
    }
}

/// How many cases are in one status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatusCount {
    /// The status.
    pub status: Status,
    /// Cases in it (0 included).
    pub count: u64,
}

/// The check of one device's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceChain {
    /// The device.
    pub device_id: String,
    /// Its events held in this store.
    pub events: u64,
    /// Whether it is this store's own device.
    pub own: bool,
    /// Problems found; empty when the chain is intact.
    pub problems: Vec<String>,
}

/// The result of `verify_log()`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainReport {
    /// Whether no chain has a problem.
    pub intact: bool,
    /// One entry per device, own device first.
    pub devices: Vec<DeviceChain>,
}

impl From<db::ChainReport> for ChainReport {
    fn from(r: db::ChainReport) -> Self {
        ChainReport {
            intact: r.is_intact(),
            devices: r
                .devices
                .into_iter()
                .map(|d| DeviceChain {
                    device_id: d.device_id,
                    events: d.events,
                    own: d.own,
                    problems: d.problems,
                })
                .collect(),
        }
    }
}

/// Parses a case id given by the foreign side.
pub(crate) fn parse_case_id(id: &str) -> Result<uuid::Uuid, GridworkError> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| bad_case_id(id))
}
