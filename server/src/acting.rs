//! Actions taken from the console are ordinary events. The server holds one device
//! identity and hash chain per console user (`console:<user>`, a prefix no sign-in may
//! use), builds the event with the core's own [`build_action`] (the deadline by the
//! server's catalogue and calendar, exactly as a phone would), checks it with
//! `workflow::check` against the server's case view, and pushes it through the one
//! write path every device uses — the judge, the quarantine rules and the case view
//! apply unchanged, and the phones pull it like any other event.
//!
//! Pure: the handler looks up the case view, the catalogue and the chain head, and
//! pushes what [`console_event`] returns.

use gridwork_core::{
    catalog::Catalog,
    clock::Hlc,
    model::{Actor, Event, IncidentEvent, PhotoRef, Stream, GENESIS_HASH},
    store::{build_action, ActionKind, ActionRequest},
    workflow::{self, Case},
};
use uuid::Uuid;

/// The prefix of the server-held devices of console users.
pub const CONSOLE_DEVICE_PREFIX: &str = "console:";

/// Whether `device_id` is one the server holds for a console user (or an Open311
/// integration account, `open311:<user>`): no sign-in, issued token or push from a
/// device may claim it.
pub fn is_console_device(device_id: &str) -> bool {
    device_id.starts_with(CONSOLE_DEVICE_PREFIX)
        || device_id.starts_with(crate::open311::OPEN311_DEVICE_PREFIX)
}

/// The server-held device of a console user.
pub fn console_device(user: &str) -> String {
    format!("{CONSOLE_DEVICE_PREFIX}{user}")
}

/// Why a console action is not taken.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ActingError {
    /// The request does not describe an action (unknown name, missing department …).
    #[error("{0}")]
    Invalid(String),
    /// The workflow does not allow it: the role may never take it, or the case is not
    /// in a status it applies to.
    #[error("{0}")]
    NotAllowed(String),
}

/// The next place in a device's chain: `(device_seq, prev_hash)` of its head, if any.
pub type Head = Option<(u64, String)>;

/// The event for `actor` taking `request` on `case` at `now_ms`, as the next event of
/// the console device whose chain head is `head`. `photos` are photos the browser
/// uploads after the event is accepted (`PUT /v1/blobs/{sha256}`), for a step that
/// needs one (a department reports a case handled from the console).
pub fn console_event(
    actor: &Actor,
    case: &Case,
    request: &ActionRequest,
    photos: Vec<PhotoRef>,
    catalog: Option<&Catalog>,
    head: Head,
    now_ms: i64,
) -> Result<Event, ActingError> {
    if !request.photos.is_empty() {
        return Err(ActingError::Invalid(
            "the console names photos by their SHA-256, not by file".into(),
        ));
    }
    let action = build_action(request, case, photos, catalog, now_ms)
        .map_err(|e| ActingError::Invalid(e.to_string()))?;
    workflow::check(case, &action, actor).map_err(|e| ActingError::NotAllowed(e.to_string()))?;
    let (seq, prev) = match head {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let ev = IncidentEvent::Acted(action);
    Ok(Event {
        id: Uuid::now_v7(),
        stream: Stream::Incident(case.id),
        kind: ev.kind().into(),
        hlc: Hlc::new(now_ms, 0),
        device_id: console_device(&actor.user),
        actor: actor.clone(),
        device_seq: seq,
        prev_hash: prev,
        payload: ev.payload(),
        server_seq: None,
        signature: None,
    })
}

/// The actions `actor` may take on `case` from the console now: each [`ActionKind`]
/// built as the console would send it (a placeholder reason; for a photo step a
/// placeholder photo; for a dispatch the catalogue's default department, for an assist
/// another catalogue department, for resolving a conflict the first unresolved one) and
/// kept when the core's own `workflow::permitted` and `workflow::check` allow it — the
/// very checks [`console_event`] runs, so what is offered is what would be taken.
/// Verification needs the verifier on site: where the catalogue sets a radius, the
/// console (which has no position) is never offered it.
pub fn permitted_actions(
    actor: &Actor,
    case: &Case,
    catalog: Option<&Catalog>,
    now_ms: i64,
) -> Vec<ActionKind> {
    let probe_photo = || PhotoRef {
        sha256: "0".repeat(64),
        size: 1,
        mime: "image/jpeg".into(),
        thumb: None,
    };
    let other_department = catalog.and_then(|c| {
        c.departments()
            .iter()
            .map(|d| d.id.clone())
            .find(|d| case.department.as_deref() != Some(d) && !case.assisting.contains(d))
    });
    ActionKind::ALL
        .into_iter()
        .filter(|&kind| {
            let request = ActionRequest {
                note: Some("probe".into()),
                department: (kind == ActionKind::Assist)
                    .then(|| other_department.clone())
                    .flatten(),
                conflict: case.open_conflicts().next().map(|c| c.event_id),
                ..ActionRequest::new(kind)
            };
            let photos = match kind {
                ActionKind::Handle
                | ActionKind::SelfResolve
                | ActionKind::VerifyPass
                | ActionKind::VerifyFail => vec![probe_photo()],
                _ => Vec::new(),
            };
            build_action(&request, case, photos, catalog, now_ms).is_ok_and(|action| {
                workflow::permitted(&action, actor.role)
                    && workflow::check(case, &action, actor).is_ok()
            })
        })
        .collect()
}

/// Parses an action name as the CLI and the API spell it (`verify_pass`, `verify-pass`).
pub fn parse_action(name: &str) -> Result<ActionKind, ActingError> {
    ActionKind::parse(name).map_err(|e| ActingError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwork_core::{
        model::{Report, Role},
        workflow::Status,
    };

    fn reported() -> Case {
        let report = IncidentEvent::Reported(Report {
            category: "06010".into(),
            lat: 31.306,
            lon: 120.5808,
            accuracy_m: None,
            description: "rubbish".into(),
            address: None,
            urgency: Default::default(),
            photos: vec![],
            cell: Some("32050800100101".into()),
            patrol: None,
        });
        let e = Event {
            id: Uuid::now_v7(),
            stream: Stream::Incident(Uuid::now_v7()),
            kind: report.kind().into(),
            hlc: Hlc::new(1_795_395_600_000, 0),
            device_id: "phone".into(),
            actor: Actor::new("li", Role::Worker),
            device_seq: 1,
            prev_hash: GENESIS_HASH.into(),
            payload: report.payload(),
            server_seq: None,
            signature: None,
        };
        workflow::fold(&[e]).unwrap()
    }

    fn catalog() -> Catalog {
        Catalog::from_json(include_str!("../../data/kcity-catalog.json")).unwrap()
    }

    #[test]
    fn a_console_action_is_the_next_event_of_the_users_console_chain() {
        let wang = Actor::new("wang", Role::Supervisor);
        let case = reported();
        let register = ActionRequest::new(parse_action("register").unwrap());
        let first =
            console_event(&wang, &case, &register, vec![], Some(&catalog()), None, 1).unwrap();
        assert_eq!(first.device_id, "console:wang");
        assert_eq!(
            (first.device_seq, first.prev_hash.as_str()),
            (1, GENESIS_HASH)
        );
        assert_eq!(first.kind, "incident.registered");
        let mut registered = case.clone();
        registered.status = Status::Registered;
        let dispatch = ActionRequest {
            department: Some("sanitation".into()),
            ..ActionRequest::new(parse_action("dispatch").unwrap())
        };
        let head = Some((first.device_seq, first.hash()));
        let second = console_event(
            &wang,
            &registered,
            &dispatch,
            vec![],
            Some(&catalog()),
            head,
            1_795_395_600_000,
        )
        .unwrap();
        assert_eq!((second.device_seq, second.prev_hash), (2, first.hash()));
        // Two working hours by the catalogue's calendar.
        assert_eq!(
            second.payload["deadline_ms"],
            serde_json::json!(1_795_395_600_000_i64 + 2 * 3_600_000)
        );
    }

    #[test]
    fn the_workflow_and_the_catalogue_refuse_with_their_reasons() {
        let case = reported();
        let close = ActionRequest::new(parse_action("close").unwrap());
        let wang = Actor::new("wang", Role::Supervisor);
        let Err(ActingError::NotAllowed(why)) =
            console_event(&wang, &case, &close, vec![], Some(&catalog()), None, 1)
        else {
            panic!()
        };
        assert!(
            why.contains("cannot close a case that is reported"),
            "{why}"
        );
        let li = Actor::new("li", Role::Worker);
        let register = ActionRequest::new(ActionKind::Register);
        let Err(ActingError::NotAllowed(why)) =
            console_event(&li, &case, &register, vec![], Some(&catalog()), None, 1)
        else {
            panic!()
        };
        assert!(why.contains("may not register"), "{why}");
        let mut registered = case.clone();
        registered.status = Status::Registered;
        let nowhere = ActionRequest {
            department: Some("nobody".into()),
            ..ActionRequest::new(ActionKind::Dispatch)
        };
        assert!(matches!(
            console_event(
                &wang,
                &registered,
                &nowhere,
                vec![],
                Some(&catalog()),
                None,
                1
            ),
            Err(ActingError::Invalid(_))
        ));
        assert!(matches!(parse_action("fly"), Err(ActingError::Invalid(_))));
    }

    #[test]
    fn each_post_is_offered_exactly_its_own_steps() {
        let case = reported();
        let cat = catalog();
        let offered = |actor: &Actor, case: &Case| -> Vec<&'static str> {
            permitted_actions(actor, case, Some(&cat), 1_795_395_600_000)
                .into_iter()
                .map(|k| k.as_str())
                .collect()
        };
        let intake = Actor::new("an", Role::Intake);
        assert_eq!(offered(&intake, &case), ["register", "cancel", "check"]);
        let dispatcher = Actor::new("du", Role::Dispatcher);
        assert!(offered(&dispatcher, &case).is_empty());
        let mut registered = case.clone();
        registered.status = Status::Registered;
        // Voiding a registered case is the shift lead's, not intake's.
        assert!(offered(&intake, &registered).is_empty());
        assert_eq!(offered(&dispatcher, &registered), ["dispatch"]);
        let lead = Actor::new("zhang", Role::ShiftLead);
        assert_eq!(offered(&lead, &registered), ["cancel", "suspend"]);
        let mut dispatched = registered.clone();
        dispatched.status = Status::Dispatched;
        dispatched.department = Some("sanitation".into());
        let mine = Actor::new("chen", Role::Handler).in_department(Some("sanitation".into()));
        assert_eq!(
            offered(&mine, &dispatched),
            [
                "handle",
                "sign",
                "apply_return",
                "apply_postpone",
                "apply_suspend"
            ]
        );
        let other = Actor::new("shui", Role::Handler).in_department(Some("water".into()));
        assert!(offered(&other, &dispatched).is_empty());
        let worker = Actor::new("li", Role::Worker);
        assert_eq!(offered(&worker, &case), ["self_resolve"]);
    }
}
