//! The verdict on one pushed event: accepted, quarantined or refused, and why.
//!
//! Pure: the backend looks up what the verdict depends on (the device's chain head and
//! owner, the case's cell) inside its push transaction and passes it in, so both
//! backends judge with the very same code, and that code is the core's own
//! (`Event::hash`, `IncidentEvent::parse`, `workflow::permitted`,
//! `workflow::check_report`). Only what is malformed or not allowed is rejected; a
//! transition that merely collides with concurrent work is accepted and the fold flags
//! it as a conflict on every replica.
//!
//! Two kinds of "no": an event its own author pushed but that is not allowed is
//! *quarantined* (kept under its id, its chain place recorded, so the device's log stays
//! verifiable and nothing a worker recorded is lost); an event pushed by someone who
//! cannot speak for it (another user's event, or an event of a device that belongs to
//! another account) is *refused*: nothing is stored and the device's chain is not
//! touched, so the rightful owner's own push of it is later judged on its merits.

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
    /// The account the device belongs to: the one that registered it at sign-in, or
    /// (before sign-in registered devices) whose event first extended its chain; `None`
    /// before that (or for a device recorded before owners were kept).
    pub device_owner: Option<String>,
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
    /// Quarantine it: its author pushed it, but it is malformed or not allowed.
    Reject {
        /// Why, for the user.
        reason: String,
        /// Whether the event still extends the device's chain (it does unless the
        /// chain itself is what is wrong).
        links: bool,
    },
    /// Answer "rejected" but store nothing and leave the device's chain alone: the
    /// pusher cannot speak for this event, so recording it under its id would block
    /// (or forge a place in) the rightful owner's chain.
    Refuse {
        /// Why, for the pusher.
        reason: String,
    },
}

fn reject(reason: impl Into<String>) -> Verdict {
    Verdict::Reject {
        reason: reason.into(),
        links: true,
    }
}

/// Why `account` may not push `event` at all, if it may not: the event names another
/// user as its actor. Checked before anything is looked up, so such a push learns
/// nothing about what the server holds.
pub fn foreign_actor(account: &Account, event: &Event) -> Option<String> {
    (event.actor.user != account.user).then(|| {
        format!(
            "pushed as another user: the event names {} but the token belongs to {}",
            event.actor.user, account.user
        )
    })
}

/// The refusal for an id the server holds as another user's event.
pub fn foreign_id() -> String {
    "pushed as another user: this event id belongs to another user's event".into()
}

/// Judges `event` pushed by `account`.
///
/// In this order: the actor must be the token's user (else refused); `device_id` must be
/// a valid name (else quarantined off-chain); the device must not belong to another
/// account (else refused); the event must extend the device's chain (else quarantined
/// off-chain); the actor's role must be the account's; then the stream's own rules.
pub fn judge(account: &Account, event: &Event, known: &Known) -> Verdict {
    if let Some(reason) = foreign_actor(account, event) {
        return Verdict::Refuse { reason };
    }
    if let Err(e) = validate_name("device", &event.device_id) {
        return Verdict::Reject {
            reason: e.to_string(),
            links: false,
        };
    }
    if let Some(owner) = &known.device_owner {
        if *owner != account.user {
            return Verdict::Refuse {
                reason: format!(
                    "device {} belongs to another account: sign in there as its user, \
                     or give this device its own id",
                    event.device_id
                ),
            };
        }
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
    if event.actor.role != account.role {
        return reject(format!(
            "pushed with another role: the event names {} but {}'s role is {}",
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
        // The author claiming another role: quarantined, still on the chain.
        let e = event(Role::Supervisor, report(Some("32050800101")));
        let Verdict::Reject { reason, links } =
            judge(&account(Role::Worker), &e, &Known::default())
        else {
            panic!()
        };
        assert!(reason.contains("another role") && links, "{reason}");
        let e = event(
            Role::Worker,
            IncidentEvent::Acted(Action::Dispatch {
                department: "x".into(),
                deadline_ms: 1,
                note: None,
            }),
        );
        let known = Known {
            case_cell: Some("32050800101".into()),
            ..Known::default()
        };
        let Verdict::Reject { reason, .. } = judge(&account(Role::Worker), &e, &known) else {
            panic!()
        };
        assert!(reason.contains("may not dispatch"));
    }

    #[test]
    fn who_cannot_speak_for_an_event_is_refused_before_anything_else() {
        let mut other = account(Role::Worker);
        other.user = "zhao".into();
        // Another user's event: refused even when its chain is broken too.
        let mut e = event(Role::Worker, report(Some("32050800101")));
        e.device_seq = 7;
        let Verdict::Refuse { reason } = judge(&other, &e, &Known::default()) else {
            panic!()
        };
        assert!(reason.contains("pushed as another user"), "{reason}");
        assert!(foreign_actor(&account(Role::Worker), &e).is_none());
        // The author's own event on a device that belongs to another account.
        let e = event(Role::Worker, report(Some("32050800101")));
        let known = Known {
            device_owner: Some("zhao".into()),
            ..Known::default()
        };
        let Verdict::Refuse { reason } = judge(&account(Role::Worker), &e, &known) else {
            panic!()
        };
        assert!(reason.contains("belongs to another account"), "{reason}");
        // On its own device it is judged on its merits.
        let known = Known {
            device_owner: Some("li".into()),
            ..Known::default()
        };
        assert!(matches!(
            judge(&account(Role::Worker), &e, &known),
            Verdict::Accept { .. }
        ));
    }
}
