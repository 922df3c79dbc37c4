//! What a phone's screens ask the store beyond reporting and acting: the workflow
//! actions the signed-in user may take on a case now and the inputs each needs (so the
//! shells show buttons without re-implementing the role table), the user's own cases
//! paged in SQL, and the grid cells of the user's scope (docs/mobile.md, "Phone API").

use super::{case_types::ActionKind, meta_get, meta_set, Store};
use crate::{
    db::{ListFilter, Page, PageCursor},
    error::Result,
    geo::grid::Cell,
    model::{Action, Exception, PhotoRef},
    workflow::{self, Case},
};
use uuid::Uuid;

/// The `meta` key holding the grid-code prefixes the signed-in account may see, as the
/// server named them at sign-in (a JSON array).
const SCOPE: &str = "sync.scope";

/// Whether an action takes an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Need {
    /// The action does not use it: do not ask for it.
    No,
    /// Asked for, may be left empty.
    Optional,
    /// The action is refused without it.
    Required,
}

/// The inputs one action takes, for the form a shell shows before taking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInputs {
    /// The note, or the reason where the action needs one.
    pub note: Need,
    /// A department id (dispatch: defaults to `default_department`; assist).
    pub department: Need,
    /// Photo files (the after photo of handle and self-resolve; verification photos).
    pub photos: Need,
    /// The user's position (on-site verification).
    pub position: Need,
    /// A time extension (postpone; an application for more time).
    pub extend: Need,
    /// The flagged event to settle (resolve-conflict; `open_conflicts` lists them).
    pub conflict: Need,
}

/// An action the signed-in user may take on a case as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableAction {
    /// Which action.
    pub kind: ActionKind,
    /// What to ask for before taking it.
    pub inputs: ActionInputs,
    /// Dispatch: the department the case goes to when none is picked.
    pub default_department: Option<String>,
    /// Resolve-conflict: the flagged events nobody settled yet.
    pub open_conflicts: Vec<Uuid>,
}

impl Store {
    /// The workflow actions the signed-in user may take on case `id` now, in
    /// [`ActionKind::ALL`] order: those `workflow::check` accepts for the user's role
    /// (and department) in the case's state, given the inputs each needs. Empty before
    /// `init`, and for a case whose report the server refused.
    pub fn available_actions(&self, id: Uuid) -> Result<Vec<AvailableAction>> {
        let Some(identity) = self.identity()? else {
            return Ok(Vec::new());
        };
        let detail = self.case(id)?;
        if detail.report_rejected.is_some() {
            return Ok(Vec::new());
        }
        let case = &detail.case;
        let actor = Store::actor(&identity, None);
        let reference = self.reference()?;
        let catalog = reference.catalog.as_ref();
        let on_site = catalog.is_some_and(|c| c.centre_limits().verification_radius_m.is_some());
        let default_department = catalog
            .and_then(|c| c.get(case.category()))
            .map(|c| c.department_for(case.cell()).to_string());
        let open: Vec<Uuid> = case.open_conflicts().map(|c| c.event_id).collect();
        let mut out = Vec::new();
        for kind in ActionKind::ALL {
            let Some(action) = probe(kind, case, open.first().copied()) else {
                continue;
            };
            if workflow::check(case, &action, &actor).is_err() {
                continue;
            }
            out.push(AvailableAction {
                kind,
                inputs: inputs(kind, on_site),
                default_department: default_department
                    .clone()
                    .filter(|_| kind == ActionKind::Dispatch),
                open_conflicts: if kind == ActionKind::ResolveConflict {
                    open.clone()
                } else {
                    Vec::new()
                },
            });
        }
        Ok(out)
    }

    /// A page of at most `limit` cases the signed-in user reported, newest first
    /// (keyset paging in SQL, like [`Store::list`]). An empty page before `init`.
    pub fn my_cases(&self, after: Option<PageCursor>, limit: u32) -> Result<Page> {
        let Some(identity) = self.identity()? else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let filter = ListFilter {
            reporter: Some(identity.user),
            ..ListFilter::default()
        };
        self.list(&filter, after, limit)
    }

    /// The grid-code prefixes the signed-in account may see, as the server named them
    /// at the last sign-in (`""` is the whole grid; `@dept/area` a department's area).
    /// `None` before the first sign-in.
    pub fn scope(&self) -> Result<Option<Vec<String>>> {
        let text = self.db.read(|conn| meta_get(conn, SCOPE))?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// The cells of the signed-in account's scope ("my cells"), sorted by code: every
    /// cell whose code starts with one of [`Store::scope`]'s prefixes (a department's
    /// `@dept/area` counts as `area`; a bare `@dept` as the whole grid). Empty before
    /// the first sign-in.
    pub fn my_cells(&self) -> Result<Vec<Cell>> {
        let Some(scope) = self.scope()? else {
            return Ok(Vec::new());
        };
        let prefixes: Vec<&str> = scope
            .iter()
            .map(|p| match p.strip_prefix('@') {
                Some(rest) => rest.split_once('/').map_or("", |(_, area)| area),
                None => p.as_str(),
            })
            .collect();
        let grid = self.grid()?;
        Ok(grid
            .cells()
            .iter()
            .filter(|c| prefixes.iter().any(|p| c.code.as_str().starts_with(p)))
            .cloned()
            .collect())
    }
}

/// Records the scope a sign-in reached (called by the sync engine's login).
pub(crate) fn record_scope(conn: &rusqlite::Connection, scope: &[String]) -> Result<()> {
    let text = serde_json::to_string(scope).unwrap_or_else(|_| "[]".into());
    meta_set(conn, SCOPE, &text)
}

/// The action `kind` with every input filled, so that `workflow::check` judges only the
/// role, the department and the case's state. `None` when it cannot apply at all
/// (resolve-conflict without an open conflict).
fn probe(kind: ActionKind, case: &Case, conflict: Option<Uuid>) -> Option<Action> {
    let reason = || "-".to_string();
    let photos = || {
        vec![PhotoRef {
            sha256: "0".repeat(64),
            size: 1,
            mime: "image/jpeg".into(),
            thumb: None,
        }]
    };
    let apply = |exception| Action::Apply {
        exception,
        reason: reason(),
        extend: None,
        deadline_ms: None,
    };
    Some(match kind {
        ActionKind::Register => Action::Register { note: None },
        ActionKind::Cancel => Action::Cancel { reason: reason() },
        ActionKind::Dispatch => Action::Dispatch {
            department: case.department.clone().unwrap_or_default(),
            deadline_ms: 0,
            note: None,
        },
        ActionKind::Handle => Action::Handle {
            note: None,
            photos: photos(),
        },
        ActionKind::VerifyPass => Action::VerifyPass {
            note: None,
            photos: photos(),
            position: None,
        },
        ActionKind::VerifyFail => Action::VerifyFail {
            reason: reason(),
            photos: photos(),
            position: None,
        },
        ActionKind::Close => Action::Close { note: None },
        ActionKind::Return => Action::Return { reason: reason() },
        ActionKind::Postpone => Action::Postpone {
            reason: reason(),
            deadline_ms: 0,
        },
        ActionKind::Suspend => Action::Suspend {
            reason: reason(),
            remaining_minutes: None,
        },
        ActionKind::Resume => Action::Resume {
            deadline_ms: None,
            note: None,
        },
        ActionKind::SelfResolve => Action::SelfResolve {
            note: None,
            photos: photos(),
        },
        ActionKind::Reopen => Action::Reopen { reason: reason() },
        ActionKind::Check => Action::Check { note: None },
        ActionKind::Sign => Action::Sign { note: None },
        ActionKind::ApplyReturn => apply(Exception::Return),
        ActionKind::ApplyPostpone => apply(Exception::Postpone),
        ActionKind::ApplySuspend => apply(Exception::Suspend),
        ActionKind::Approve => Action::Approve {
            note: None,
            deadline_ms: None,
            remaining_minutes: None,
        },
        ActionKind::Refuse => Action::Refuse { reason: reason() },
        ActionKind::Urge | ActionKind::Supervise => Action::Urge {
            note: None,
            supervise: kind == ActionKind::Supervise,
        },
        ActionKind::Assist => Action::Assist {
            departments: vec!["-".into()],
            note: None,
        },
        ActionKind::ResolveConflict => Action::ResolveConflict {
            event_id: conflict?,
            decision: crate::model::ConflictDecision::Dismissed,
            note: None,
        },
    })
}

/// What `kind` asks for; `on_site` when the catalogue sets a verification radius (a
/// verification then needs a photo and the verifier's position).
fn inputs(kind: ActionKind, on_site: bool) -> ActionInputs {
    use ActionKind as K;
    use Need::*;
    let reason = matches!(
        kind,
        K::Cancel
            | K::VerifyFail
            | K::Return
            | K::Postpone
            | K::Suspend
            | K::Reopen
            | K::ApplyReturn
            | K::ApplyPostpone
            | K::ApplySuspend
            | K::Refuse
    );
    let verify = matches!(kind, K::VerifyPass | K::VerifyFail);
    let verify_need = if on_site { Required } else { Optional };
    ActionInputs {
        note: if reason { Required } else { Optional },
        department: match kind {
            K::Dispatch => Optional,
            K::Assist => Required,
            _ => No,
        },
        photos: match kind {
            K::Handle | K::SelfResolve => Required,
            _ if verify => verify_need,
            _ => No,
        },
        position: if verify { verify_need } else { No },
        extend: if matches!(kind, K::Postpone | K::ApplyPostpone) {
            Optional
        } else {
            No
        },
        conflict: if kind == K::ResolveConflict {
            Required
        } else {
            No
        },
    }
}

impl Cell {
    /// The boundary as rings of WGS-84 points for a map: the outer ring first, then any
    /// holes; each ring closed (its last point repeats the first).
    pub fn rings(&self) -> Vec<Vec<crate::geo::LatLon>> {
        let ring = |r: &::geo::LineString<f64>| {
            r.0.iter()
                .map(|p| crate::geo::LatLon::new(p.y, p.x))
                .collect::<Vec<_>>()
        };
        let mut rings = vec![ring(self.polygon.exterior())];
        rings.extend(self.polygon.interiors().iter().map(ring));
        rings
    }
}
