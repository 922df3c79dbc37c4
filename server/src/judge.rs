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

use crate::account::{department_key, Account};
use gridwork_core::{
    catalog::{Catalog, CategoryRef, LookupError},
    geo::{validate_point, Grid},
    model::{
        signing, validate_name, Action, Event, IncidentEvent, Stream, GENESIS_HASH, MAX_NOTE_CHARS,
    },
    workflow,
};

/// Longest event kind accepted (`incident.verification_failed` has 28 characters).
pub const MAX_KIND_CHARS: usize = 64;
/// How far ahead of the server's clock an event's HLC wall time may be: a phone whose
/// clock runs fast by more than this would otherwise sort its events first everywhere
/// and drag every device's clock forward.
pub const MAX_CLOCK_AHEAD_MS: i64 = 60 * 60_000;
/// The earliest HLC wall time accepted (2020-01-01T00:00:00Z): a phone whose clock was
/// reset to 1970 records nothing the server can order.
pub const MIN_WALL_MS: i64 = 1_577_836_800_000;

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
    /// For an incident stream: the department keys (`@<dept>/<cell>`) recorded for
    /// it, one for each department it was ever dispatched or assigned to.
    pub case_departments: Vec<String>,
    /// For a patrol stream: the account that started it (the actor of its first
    /// accepted event); `None` when the server holds no accepted event of it.
    pub stream_owner: Option<String>,
    /// When the server received the event, unix ms (its own clock).
    pub received_ms: i64,
    /// The device's Ed25519 public key (hex), registered at its sign-in; `None` for a
    /// device that never sent one (older clients), whose events are taken unsigned.
    pub device_key: Option<String>,
    /// The first `device_seq` that must be signed: the place after the device's chain
    /// head when it registered its key. Events before it (held already, or replayed
    /// after a server restore, or re-judged) may be unsigned.
    pub signed_from: u64,
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
    /// Answer "rejected", store nothing, leave the device's chain alone, and flag the
    /// device: it signed an event that rewrites or forks the history the server holds
    /// for it (docs/signing.md).
    Flag {
        /// Why, for the pusher and the operators.
        reason: String,
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

/// Judges `event` pushed by `account`. `grid` is the city grid the server holds (the
/// server locates a report's cell from its point with it; without one it can only
/// take the device's word).
///
/// In this order: the actor must be the token's user (else refused); `device_id` must be
/// a valid name (else quarantined off-chain); the device must not belong to another
/// account (else refused); the event must extend the device's chain (else quarantined
/// off-chain; for a device with a registered key, the signature must verify (else
/// refused) and the event must not rewrite or fork the held chain (else refused and the
/// device flagged)); the actor's role must be the account's; the kind and the clock must be
/// sane; then the stream's own rules.
pub fn judge(
    account: &Account,
    event: &Event,
    known: &Known,
    grid: Option<&Grid>,
    catalog: Option<&Catalog>,
) -> Verdict {
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
    if let Some(key) = &known.device_key {
        let may_be_unsigned = event.signature.is_none() && event.device_seq < known.signed_from;
        if !may_be_unsigned {
            if let Some(verdict) = signed_fault(key, event, known.head.as_ref()) {
                return verdict;
            }
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
    if event.actor.department.as_deref() != account.department() {
        return reject(format!(
            "pushed for another department: the event names {} but {} acts for {}",
            event.actor,
            account.user,
            account.department().unwrap_or("no department")
        ));
    }
    if let Some(reason) = envelope_fault(event, known.received_ms) {
        return reject(reason);
    }
    match event.stream {
        Stream::Incident(_) => judge_incident(account, event, known, grid, catalog),
        Stream::Patrol(_) => judge_patrol(account, event, known, grid),
    }
}

/// For a device with a registered key: a refusal when the event's signature does not
/// verify (altered on the way, or forged by a relaying device), a flag when the device
/// signed an event that takes a chain place the server holds already or does not
/// continue the held chain. A gap (a place after the next) is left to the chain check.
fn signed_fault(key: &str, event: &Event, head: Option<&ChainHead>) -> Option<Verdict> {
    if let Err(e) = signing::verify_event(key, event) {
        return Some(Verdict::Refuse {
            reason: format!(
                "bad signature: {e}; the event was altered or was not recorded by device {}",
                event.device_id
            ),
        });
    }
    let head = head?;
    if event.device_seq <= head.device_seq {
        return Some(Verdict::Flag {
            reason: format!(
                "forked history: device {} signed another event #{} than the one the server holds",
                event.device_id, event.device_seq
            ),
        });
    }
    if event.device_seq == head.device_seq + 1 && event.prev_hash != head.hash {
        return Some(Verdict::Flag {
            reason: format!(
                "forked history: device {}'s event #{} does not continue the chain the server holds",
                event.device_id, event.device_seq
            ),
        });
    }
    None
}

/// For an id the server holds with other content: the flag when the device's key
/// verifies the new content too (the device signed two versions of one event: a
/// rewritten history), else `None` (an ordinary refusal).
pub fn rewrite_of_held(device_key: Option<&str>, event: &Event) -> Option<String> {
    let key = device_key?;
    signing::verify_event(key, event).ok()?;
    Some(format!(
        "forked history: device {} signed another version of event #{} ({})",
        event.device_id, event.device_seq, event.id
    ))
}

/// What is wrong with a report's category reference, if anything: a qualified reference
/// with an unknown kind (`animal/0101`), or a bare code the server's catalogue holds as
/// both a component and an event. Other codes pass as before (a device may know a
/// newer catalogue).
fn category_fault(category: &str, catalog: Option<&Catalog>) -> Option<String> {
    if category.contains('/') {
        if let Err(e) = CategoryRef::parse(category) {
            return Some(format!("malformed event: {e}"));
        }
    }
    match catalog.map(|c| c.resolve(category)) {
        Some(Err(e @ LookupError::Ambiguous { .. })) => Some(e.to_string()),
        _ => None,
    }
}

/// What is wrong with an event's kind or clock, if anything.
fn envelope_fault(event: &Event, received_ms: i64) -> Option<String> {
    let n = event.kind.chars().count();
    if n == 0 || n > MAX_KIND_CHARS {
        return Some(format!(
            "malformed event: a kind has 1 to {MAX_KIND_CHARS} characters, this one {n}"
        ));
    }
    let wall = event.hlc.wall_ms;
    if wall < MIN_WALL_MS {
        return Some(format!(
            "the device clock is wrong: the event is dated {wall} ms, before 2020; \
             set the phone's date and time"
        ));
    }
    if wall > received_ms.saturating_add(MAX_CLOCK_AHEAD_MS) {
        return Some(format!(
            "the device clock is wrong: the event is dated {} minutes after the server's time; \
             set the phone's date and time",
            (wall - received_ms) / 60_000
        ));
    }
    None
}

fn judge_incident(
    account: &Account,
    event: &Event,
    known: &Known,
    grid: Option<&Grid>,
    catalog: Option<&Catalog>,
) -> Verdict {
    let parsed = match IncidentEvent::parse(&event.kind, &event.payload) {
        Ok(p) => p,
        Err(e) => return reject(format!("malformed event: {e}")),
    };
    if let Err(e) = parsed.check_limits() {
        return reject(format!("malformed event: {e}"));
    }
    match parsed {
        IncidentEvent::Reported(report) => {
            if let Err(e) = workflow::check_report(&event.actor) {
                return reject(e.to_string());
            }
            if known.case_cell.is_some() {
                return reject("this case was reported already");
            }
            let source = gridwork_core::model::Source::of_report(&event.payload);
            if !source.allowed_for(event.actor.role) {
                return reject(format!(
                    "a {} may not file a report from source {source}",
                    event.actor.role
                ));
            }
            if let Some(reason) = category_fault(&report.category, catalog) {
                return reject(reason);
            }
            if let Err(e) = validate_point(report.lat, report.lon) {
                return reject(format!("malformed event: {e}"));
            }
            if report.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
                return reject("malformed event: accuracy_m must be a distance in metres");
            }
            // The server's grid decides the cell, not the device's claim: a report is
            // scoped and served by where its point lies.
            let cell = match grid {
                Some(grid) => grid
                    .locate(report.lat, report.lon)
                    .map(|c| c.code.as_str().to_string())
                    .unwrap_or_default(),
                None => report.cell.unwrap_or_default(),
            };
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
            let by_department = known.case_departments.iter().any(|k| account.covers(k));
            if !account.covers(cell) && !by_department {
                return reject(match account.department() {
                    Some(d) => format!("not dispatched to {d}: the case is not your department's"),
                    None => out_of_scope(cell),
                });
            }
            // A department a case goes to sees it from now on, wherever it is.
            let cells = match &action {
                Action::Dispatch { department, .. } => vec![department_key(department, cell)],
                Action::Assist { departments, .. } => departments
                    .iter()
                    .map(|d| department_key(d, cell))
                    .collect(),
                _ => Vec::new(),
            };
            Verdict::Accept { cells }
        }
    }
}

fn judge_patrol(account: &Account, event: &Event, known: &Known, grid: Option<&Grid>) -> Verdict {
    if !event.kind.starts_with("patrol.") {
        return reject(format!(
            "malformed event: kind {:?} does not belong to a patrol stream",
            event.kind
        ));
    }
    // A patrol belongs to the worker who started it: nobody else may append to it
    // (and so add their cells to it and pull its track, or finish it).
    match &known.stream_owner {
        Some(owner) if *owner != account.user => {
            return reject("this patrol belongs to another worker: only they may record in it")
        }
        Some(_) => {}
        None if event.kind != "patrol.started" => return reject(
            "unknown patrol: the server holds no accepted start of it (patrol.started comes first)",
        ),
        None => {}
    }
    if let Some(note) = event.payload.get("note").and_then(|n| n.as_str()) {
        let n = note.chars().count();
        if n > MAX_NOTE_CHARS {
            return reject(format!(
                "malformed event: note has {n} characters; at most {MAX_NOTE_CHARS}"
            ));
        }
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
            if grid.is_some_and(|g| g.cell(cell).is_none()) {
                return reject(format!(
                    "malformed event: {cell:?} is not a cell of the city grid"
                ));
            }
            if !account.covers(cell) {
                return reject(out_of_scope(cell));
            }
            cells.push(cell.to_string());
        }
    }
    Verdict::Accept { cells }
}

/// The photos an accepted event references (by SHA-256): a report's and an action's
/// photos, a check-in's photo, and the thumbnail of each (docs/photos.md). Only these
/// may be uploaded by the event's author.
pub fn photo_refs(event: &Event) -> Vec<String> {
    let with_thumbs = |photos: &[gridwork_core::model::PhotoRef]| -> Vec<String> {
        photos
            .iter()
            .flat_map(|p| {
                std::iter::once(p.sha256.clone()).chain(p.thumb.as_ref().map(|t| t.sha256.clone()))
            })
            .collect()
    };
    match event.stream {
        Stream::Incident(_) => match IncidentEvent::parse(&event.kind, &event.payload) {
            Ok(IncidentEvent::Reported(r)) => with_thumbs(&r.photos),
            Ok(IncidentEvent::Acted(a)) => with_thumbs(a.photos()),
            Err(_) => Vec::new(),
        },
        Stream::Patrol(_) => {
            let photo = event.payload.get("photo");
            let sha = |v: Option<&serde_json::Value>| {
                v.and_then(|p| p.get("sha256"))
                    .and_then(|s| s.as_str())
                    .map(str::to_string)
            };
            sha(photo)
                .into_iter()
                .chain(sha(photo.and_then(|p| p.get("thumb"))))
                .collect()
        }
    }
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
        model::{Actor, Report, Role},
    };
    use uuid::Uuid;

    const NOW: i64 = 1_767_000_000_000;

    fn known() -> Known {
        Known {
            received_ms: NOW,
            ..Known::default()
        }
    }

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
            hlc: Hlc::new(NOW, 0),
            device_id: "p1".into(),
            actor: Actor::new("li", role),
            device_seq: 1,
            prev_hash: GENESIS_HASH.into(),
            payload: ev.payload(),
            server_seq: None,
            signature: None,
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
            judge(&account(Role::Worker), &ok, &known(), None, None),
            Verdict::Accept {
                cells: vec!["32050800101".into()]
            }
        );
        let far = event(Role::Worker, report(Some("32050800201")));
        assert!(matches!(
            judge(&account(Role::Worker), &far, &known(), None, None),
            Verdict::Reject { links: true, .. }
        ));
        let nowhere = event(Role::Worker, report(None));
        assert!(matches!(
            judge(&account(Role::Worker), &nowhere, &known(), None, None),
            Verdict::Reject { .. }
        ));
    }

    #[test]
    fn a_worker_cannot_pass_a_report_off_as_a_residents() {
        let mut e = event(Role::Worker, report(Some("32050800101")));
        e.payload["source"] = "resident".into();
        let Verdict::Reject { reason, .. } =
            judge(&account(Role::Worker), &e, &known(), None, None)
        else {
            panic!("accepted a worker's report as a resident's")
        };
        assert!(reason.contains("source resident"), "{reason}");
        e.payload["source"] = "grid_worker".into();
        assert!(matches!(
            judge(&account(Role::Worker), &e, &known(), None, None),
            Verdict::Accept { .. }
        ));
        let mut filed = event(Role::Integration, report(Some("32050800101")));
        let integration = account(Role::Integration);
        assert!(
            matches!(
                judge(&integration, &filed, &known(), None, None),
                Verdict::Reject { .. }
            ),
            "an integration account files no grid worker's report"
        );
        filed.payload["source"] = "resident".into();
        assert!(matches!(
            judge(&integration, &filed, &known(), None, None),
            Verdict::Accept { .. }
        ));
    }

    #[test]
    fn chain_actor_and_role_are_checked() {
        let mut e = event(Role::Worker, report(Some("32050800101")));
        e.device_seq = 2;
        assert!(matches!(
            judge(&account(Role::Worker), &e, &known(), None, None),
            Verdict::Reject { links: false, .. }
        ));
        // The author claiming another role: quarantined, still on the chain.
        let e = event(Role::Supervisor, report(Some("32050800101")));
        let Verdict::Reject { reason, links } =
            judge(&account(Role::Worker), &e, &known(), None, None)
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
            ..known()
        };
        let Verdict::Reject { reason, .. } = judge(&account(Role::Worker), &e, &known, None, None)
        else {
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
        let Verdict::Refuse { reason } = judge(&other, &e, &known(), None, None) else {
            panic!()
        };
        assert!(reason.contains("pushed as another user"), "{reason}");
        assert!(foreign_actor(&account(Role::Worker), &e).is_none());
        // The author's own event on a device that belongs to another account.
        let e = event(Role::Worker, report(Some("32050800101")));
        let zhaos = Known {
            device_owner: Some("zhao".into()),
            ..known()
        };
        let Verdict::Refuse { reason } = judge(&account(Role::Worker), &e, &zhaos, None, None)
        else {
            panic!()
        };
        assert!(reason.contains("belongs to another account"), "{reason}");
        // On its own device it is judged on its merits.
        let own = Known {
            device_owner: Some("li".into()),
            ..known()
        };
        assert!(matches!(
            judge(&account(Role::Worker), &e, &own, None, None),
            Verdict::Accept { .. }
        ));
    }

    fn report_at(lat: f64, lon: f64, cell: Option<&str>) -> IncidentEvent {
        let IncidentEvent::Reported(r) = report(cell) else {
            unreachable!()
        };
        IncidentEvent::Reported(Report { lat, lon, ..r })
    }

    fn grid() -> Grid {
        Grid::from_geojson(include_str!("../../data/kcity-grid.geojson")).unwrap()
    }

    fn rejected(v: Verdict) -> String {
        match v {
            Verdict::Reject { reason, .. } => reason,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn the_server_locates_the_cell_from_the_point_not_from_the_claim() {
        let grid = grid();
        let li = account(Role::Worker); // scope 320508001
                                        // In another street, claiming one of li's own cells: located there, out of scope.
        let e = event(
            Role::Worker,
            report_at(31.30603, 120.59483, Some("32050800100101")),
        );
        let reason = rejected(judge(&li, &e, &known(), Some(&grid), None));
        assert!(reason.contains("32050800200101"), "{reason}");
        // At 0,0 (outside every cell) with a claimed cell: outside the area.
        let e = event(Role::Worker, report_at(0.0, 0.0, Some("32050800100101")));
        let reason = rejected(judge(&li, &e, &known(), Some(&grid), None));
        assert!(reason.contains("outside every grid cell"), "{reason}");
        // Latitude 999 or NaN: malformed.
        for (lat, lon) in [(999.0, 120.6), (-90.5, 120.6), (31.3, 181.0)] {
            let e = event(Role::Worker, report_at(lat, lon, Some("32050800100101")));
            let reason = rejected(judge(&li, &e, &known(), Some(&grid), None));
            assert!(reason.contains("invalid coordinate"), "{reason}");
        }
        // An invented cell code inside li's street prefix, point in li's cell 02: the
        // server records the cell it located.
        let e = event(
            Role::Worker,
            report_at(31.305958, 120.58431, Some("32050800199999")),
        );
        assert_eq!(
            judge(&li, &e, &known(), Some(&grid), None),
            Verdict::Accept {
                cells: vec!["32050800100102".into()]
            }
        );
    }

    #[test]
    fn oversized_texts_odd_kinds_and_wild_clocks_are_rejected() {
        let li = account(Role::Worker);
        let IncidentEvent::Reported(r) = report(Some("32050800101")) else {
            unreachable!()
        };
        let long = IncidentEvent::Reported(Report {
            description: "x".repeat(4001),
            ..r
        });
        let reason = rejected(judge(&li, &event(Role::Worker, long), &known(), None, None));
        assert!(reason.contains("at most 4000"), "{reason}");
        let mut e = event(Role::Worker, report(Some("32050800101")));
        e.kind = format!("incident.{}", "x".repeat(80));
        assert!(rejected(judge(&li, &e, &known(), None, None)).contains("kind"));
        // 9e15 ms (year 287,000) and 1970: the clock is wrong.
        for wall in [9_000_000_000_000_000, 1_000] {
            let mut e = event(Role::Worker, report(Some("32050800101")));
            e.hlc = Hlc::new(wall, 0);
            let reason = rejected(judge(&li, &e, &known(), None, None));
            assert!(reason.contains("clock is wrong"), "{reason}");
        }
        // Half an hour fast is tolerated.
        let mut e = event(Role::Worker, report(Some("32050800101")));
        e.hlc = Hlc::new(NOW + 30 * 60_000, 0);
        assert!(matches!(
            judge(&li, &e, &known(), None, None),
            Verdict::Accept { .. }
        ));
    }

    #[test]
    fn a_patrol_belongs_to_the_worker_who_started_it() {
        let grid = grid();
        let li = account(Role::Worker);
        let patrol = |kind: &str, payload: serde_json::Value| {
            let mut e = event(Role::Worker, report(None));
            e.stream = Stream::Patrol(Uuid::now_v7());
            e.kind = kind.into();
            e.payload = payload;
            e
        };
        let start = patrol(
            "patrol.started",
            serde_json::json!({"cells": ["32050800100101"], "started_at_ms": NOW}),
        );
        assert_eq!(
            judge(&li, &start, &known(), Some(&grid), None),
            Verdict::Accept {
                cells: vec!["32050800100101".into()]
            }
        );
        // Not a cell of the grid.
        let bogus = patrol(
            "patrol.started",
            serde_json::json!({"cells": ["32050800199999"]}),
        );
        assert!(rejected(judge(&li, &bogus, &known(), Some(&grid), None)).contains("not a cell"));
        // Appending to zhao's patrol, or to a patrol the server never saw start.
        let finish = patrol("patrol.finished", serde_json::json!({}));
        let zhaos = Known {
            stream_owner: Some("zhao".into()),
            ..known()
        };
        assert!(rejected(judge(&li, &finish, &zhaos, Some(&grid), None)).contains("another worker"));
        assert!(
            rejected(judge(&li, &finish, &known(), Some(&grid), None)).contains("unknown patrol")
        );
        let own = Known {
            stream_owner: Some("li".into()),
            ..known()
        };
        assert!(matches!(
            judge(&li, &finish, &own, Some(&grid), None),
            Verdict::Accept { .. }
        ));
    }
}
