//! The verdict on one pushed event: accepted or rejected, and why.
//!
//! Pure: the backend looks up what the verdict depends on (the device's chain head,
//! the case's cell) inside its push transaction and passes it in, so both backends
//! judge with the very same code, and that code is the core's own (`Event::hash`,
//! `IncidentEvent::parse`, `workflow::permitted`, `workflow::check_report`). Only what
//! is malformed or not allowed is rejected; a transition that merely collides with
//! concurrent work is accepted and the fold flags it as a conflict on every replica.

use crate::account::Account;
use gridwork_core::{
    model::{validate_name, Event, IncidentEvent, Stream, GENESIS_HASH},
    workflow,
};

/// The last event of a device's chain held by the server (accepted or quarantined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Its `device_seq`.
    pub device_seq: u64,
    /// Its hash.
    pub hash: String,
}

/// What the verdict depends on, looked up by the backend.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The pushing device's chain head; `None` before its first event.
    pub head: Option<ChainHead>,
    /// For an incident stream: the cell of its accepted report (`""` when the report
    /// lies outside every cell); `None` when the server holds no report of it.
    pub case_cell: Option<String>,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Store it and serve it. `cells` are cells the stream is now known to touch (the
    /// report's cell, a patrol's cells), recorded for pull scoping.
    Accept {
        /// Cells to record for the stream.
        cells: Vec<String>,
    },
    /// Quarantine it.
    Reject {
        /// Why, for the user.
        reason: String,
        /// Whether the event still extends the device's chain (it does unless the
        /// chain itself is what is wrong).
        links: bool,
    },
}

fn reject(reason: impl Into<String>) -> Verdict {
    Verdict::Reject {
        reason: reason.into(),
        links: true,
    }
}

/// Judges `event` (whose hash is `hash`) pushed by `account`.
pub fn judge(account: &Account, event: &Event, known: &Known) -> Verdict {
    if let Err(e) = validate_name("device", &event.device_id) {
        return Verdict::Reject {
            reason: e.to_string(),
            links: false,
        };
    }
    let (want_seq, want_prev) = match &known.head {
        None => (1, GENESIS_HASH),
        Some(h) => (h.device_seq + 1, h.hash.as_str()),
    };
    if event.device_seq != want_seq || event.prev_hash != want_prev {
        return Verdict::Reject {
            reason: format!(
                "broken hash chain: device {} should send device_seq {want_seq} with prev_hash {want_prev}, \
                 got device_seq {} with prev_hash {}",
                event.device_id, event.device_seq, event.prev_hash
            ),
            links: false,
        };
    }
    if event.actor.user != account.user || event.actor.role != account.role {
        return reject(format!(
            "pushed as another user: the event names {} but the token belongs to {} ({})",
            event.actor, account.user, account.role
        ));
    }
    match event.stream {
        Stream::Incident(_) => judge_incident(account, event, known),
        Stream::Patrol(_) => judge_patrol(account, event),
    }
}

fn judge_incident(account: &Account, event: &Event, known: &Known) -> Verdict {
    let parsed = match IncidentEvent::parse(&event.kind, &event.payload) {
        Ok(p) => p,
        Err(e) => return reject(format!("malformed event: {e}")),
    };
    match parsed {
        IncidentEvent::Reported(report) => {
            if let Err(e) = workflow::check_report(&event.actor) {
                return reject(e.to_string());
            }
            if known.case_cell.is_some() {
                return reject("this case was reported already");
            }
            let cell = report.cell.unwrap_or_default();
            if !account.covers(&cell) {
                return reject(out_of_scope(&cell));
            }
            Verdict::Accept { cells: vec![cell] }
        }
        IncidentEvent::Acted(action) => {
            if !workflow::permitted(&action, event.actor.role) {
                return reject(format!(
                    "a {} may not {} a case",
                    event.actor.role,
                    action.name()
                ));
            }
            let Some(cell) = &known.case_cell else {
                return reject("unknown case: the server holds no accepted report of it");
            };
            if !account.covers(cell) {
                return reject(out_of_scope(cell));
            }
            Verdict::Accept { cells: Vec::new() }
        }
    }
}

fn judge_patrol(account: &Account, event: &Event) -> Verdict {
    if !event.kind.starts_with("patrol.") {
        return reject(format!(
            "malformed event: kind {:?} does not belong to a patrol stream",
            event.kind
        ));
    }
    let mut cells = Vec::new();
    if let Some(list) = event.payload.get("cells") {
        let Some(list) = list.as_array() else {
            return reject("malformed event: patrol cells must be an array of grid codes");
        };
        for cell in list {
            let Some(cell) = cell.as_str() else {
                return reject("malformed event: patrol cells must be an array of grid codes");
            };
            if !account.covers(cell) {
                return reject(out_of_scope(cell));
            }
            cells.push(cell.to_string());
        }
    }
    Verdict::Accept { cells }
}

fn out_of_scope(cell: &str) -> String {
    if cell.is_empty() {
        "outside your area: the report lies outside every grid cell".into()
    } else {
        format!("outside your area: cell {cell} is not in your scope")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwork_core::{
        clock::Hlc,
        model::{Action, Actor, Report, Role},
    };
    use uuid::Uuid;

    fn account(role: Role) -> Account {
        Account {
            user: "li".into(),
            role,
            scope: vec!["320508001".into()],
            password_hash: None,
        }
    }

    fn event(role: Role, ev: IncidentEvent) -> Event {
        Event {
            id: Uuid::now_v7(),
            stream: Stream::Incident(Uuid::now_v7()),
            kind: ev.kind().into(),
            hlc: Hlc::new(1, 0),
            device_id: "p1".into(),
            actor: Actor::new("li", role),
            device_seq: 1,
            prev_hash: GENESIS_HASH.into(),
            payload: ev.payload(),
            server_seq: None,
        }
    }

    fn report(cell: Option<&str>) -> IncidentEvent {
        IncidentEvent::Reported(Report {
            category: "06010".into(),
            lat: 31.3,
            lon: 120.6,
            accuracy_m: None,
            description: "bin".into(),
            address: None,
            urgency: Default::default(),
            photos: vec![],
            cell: cell.map(Into::into),
            patrol: None,
        })
    }

    #[test]
    fn reports_in_scope_pass_and_out_of_scope_fail() {
        let ok = event(Role::Worker, report(Some("32050800101")));
        assert_eq!(
            judge(&account(Role::Worker), &ok, &Known::default()),
            Verdict::Accept {
                cells: vec!["32050800101".into()]
            }
        );
        let far = event(Role::Worker, report(Some("32050800201")));
        assert!(matches!(
            judge(&account(Role::Worker), &far, &Known::default()),
            Verdict::Reject { links: true, .. }
        ));
        let nowhere = event(Role::Worker, report(None));
        assert!(matches!(
            judge(&account(Role::Worker), &nowhere, &Known::default()),
            Verdict::Reject { .. }
        ));
    }

    #[test]
    fn chain_actor_and_role_are_checked() {
        let mut e = event(Role::Worker, report(Some("32050800101")));
        e.device_seq = 2;
        assert!(matches!(
            judge(&account(Role::Worker), &e, &Known::default()),
            Verdict::Reject { links: false, .. }
        ));
        let e = event(Role::Supervisor, report(Some("32050800101")));
        let Verdict::Reject { reason, .. } = judge(&account(Role::Worker), &e, &Known::default())
        else {
            panic!()
        };
        assert!(reason.contains("another user"));
        let e = event(
            Role::Worker,
            IncidentEvent::Acted(Action::Dispatch {
                department: "x".into(),
                deadline_ms: 1,
                note: None,
            }),
        );
        let known = Known {
            head: None,
            case_cell: Some("32050800101".into()),
        };
        let Verdict::Reject { reason, .. } = judge(&account(Role::Worker), &e, &known) else {
            panic!()
        };
        assert!(reason.contains("may not dispatch"));
    }
}
