//! The server's case view: every accepted incident event folded with the core's own
//! workflow fold (the code the phones run), plus what only the server can vouch for.
//!
//! Pure, like [`crate::judge`]: each backend reads a case's accepted events and their
//! receive times inside its push transaction and hands them here, so both backends
//! and a rebuild from the events fold with the very same code. Trust comes from the
//! server, not the device:
//! - the case's cell is the one the server located the report in (the judge did, with
//!   the city grid); the device's claim is kept beside it when it differs;
//! - every event has the time the server received it;
//! - the handling deadline is recomputed with the server's catalogue and calendar from
//!   when a step happened by the server's reckoning (the event's clock, never later than
//!   its arrival): a dispatch starts the category's limit; a postponement extends the
//!   server's deadline by as many working minutes as the device extended its own; a
//!   suspension keeps the
//!   working minutes left and a resumption restarts them. The device's deadline stays in
//!   the folded case, so a difference shows.

use gridwork_core::{
    calendar::WorkingCalendar,
    catalog::Catalog,
    model::{Event, IncidentEvent},
    workflow::{self, Case},
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The server's view of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    /// The case as the core's fold makes it from the accepted events (its times and
    /// deadline are the devices').
    pub case: Case,
    /// The cell the server located the report in (`""` outside every cell).
    pub cell: String,
    /// The cell the reporting device claimed, when it differs from the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_cell: Option<String>,
    /// The channel the report came by (older views and events: a grid worker).
    #[serde(default)]
    pub source: gridwork_core::model::Source,
    /// When the server received the report, unix ms.
    pub received_ms: i64,
    /// When the server received the case's latest event, unix ms.
    pub updated_ms: i64,
    /// The handling deadline by the server's calendar and clock, while one runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<i64>,
    /// When the case was closed by the server's reckoning, unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_ms: Option<i64>,
    /// What happened to the case on its way, by the server's reckoning (what
    /// evaluation counts).
    #[serde(default)]
    pub history: History,
}

/// The steps of a case that evaluation counts, at the server's times.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// When it was first registered (立案).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_ms: Option<i64>,
    /// When it was first dispatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatched_ms: Option<i64>,
    /// When the department last reported it handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_ms: Option<i64>,
    /// Whether that last feedback came within the server's deadline in force then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_on_time: Option<bool>,
    /// Working minutes from the first dispatch to the last feedback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_minutes: Option<i64>,
    /// Times the department sent it back to the centre (回退).
    #[serde(default)]
    pub returns: u32,
    /// A postponement came after the server's deadline had passed: the case counts as
    /// overdue (once), whatever its new deadline.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overdue_before_postponement: bool,
    /// Whether the intake operator registered or refused the report within the
    /// catalogue's intake limit (受理及时), when it sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake_on_time: Option<bool>,
    /// Whether the first dispatch came within the dispatch limit of registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_on_time: Option<bool>,
    /// Whether the department signed within the signing limit of its dispatch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_on_time: Option<bool>,
    /// Whether the last verification came within the verification limit of feedback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_on_time: Option<bool>,
    /// When the department must sign for the case, while it has not (签收时限).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_due_ms: Option<i64>,
    /// When the shift lead must decide the pending application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_due_ms: Option<i64>,
    /// Times the centre urged the department (催办/督办).
    #[serde(default)]
    pub urges: u32,
    /// The last verification was made farther from the case than the server's
    /// catalogue allows (`centre_limits.verification_radius_m`), or without a position.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verification_flagged: bool,
}

impl CaseView {
    /// Whether the server's handling clock has run out at `now_ms`.
    pub fn is_overdue(&self, now_ms: i64) -> bool {
        self.case.status == workflow::Status::Dispatched
            && self.deadline_ms.is_some_and(|d| d < now_ms)
    }

    /// The case's lead and assisting departments (who may see it besides its area).
    pub fn departments(&self) -> Vec<String> {
        self.case
            .department
            .iter()
            .chain(self.case.assisting.iter())
            .cloned()
            .collect()
    }

    /// How far the device's deadline is from the server's, ms (positive: the device
    /// gives the department more time).
    pub fn deadline_difference_ms(&self) -> Option<i64> {
        Some(self.case.deadline_ms? - self.deadline_ms?)
    }
}

/// Folds a case's accepted events, each with the time the server received it, into the
/// server's view. `cell` is the cell the server recorded for the case; `catalog` is the
/// server's (its calendar and time limits; without one the devices' deadlines stand).
/// `None` when the report is not among the events.
pub fn fold_case(
    events: &[(Event, i64)],
    cell: &str,
    catalog: Option<&Catalog>,
) -> Option<CaseView> {
    let received: HashMap<_, _> = events.iter().map(|(e, at)| (e.id, *at)).collect();
    let plain: Vec<Event> = events.iter().map(|(e, _)| e.clone()).collect();
    let calendar = catalog
        .map(|c| c.calendar().clone())
        .unwrap_or_else(WorkingCalendar::china_default);
    let mut clock = ServerClock::default();
    let mut report_received = None;
    let mut source = gridwork_core::model::Source::default();
    let mut updated_ms = i64::MIN;
    let case = workflow::fold_with(&plain, |event, case| {
        let arrived = received
            .get(&event.id)
            .copied()
            .unwrap_or(event.hlc.wall_ms);
        updated_ms = updated_ms.max(arrived);
        if event.kind == "incident.reported" && report_received.is_none() {
            report_received = Some(arrived);
            source = gridwork_core::model::Source::of_report(&event.payload);
            clock.reported_ms = Some(event.hlc.wall_ms.min(arrived));
        }
        let applied = case.conflicts.last().map(|c| c.event_id) != Some(event.id);
        if applied {
            // A step happened when its device says, but never after the server had it.
            let at = event.hlc.wall_ms.min(arrived);
            clock.step(event, case, at, &calendar, catalog);
        }
    })?;
    let claimed_cell = case.report.cell.clone().filter(|c| c != cell);
    Some(CaseView {
        cell: cell.to_string(),
        claimed_cell,
        source,
        received_ms: report_received.unwrap_or(case.reported_at_ms),
        updated_ms,
        deadline_ms: clock.deadline_ms,
        closed_ms: clock.closed_ms,
        history: clock.history,
        case,
    })
}

/// One accepted event of a case as the supervisor API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// The event's id.
    pub id: uuid::Uuid,
    /// Its place in the server's log.
    pub server_seq: Option<i64>,
    /// What happened (`incident.reported`, `incident.dispatched`, …).
    pub kind: String,
    /// Who did it, in which role.
    pub actor: gridwork_core::model::Actor,
    /// On which device.
    pub device_id: String,
    /// When the device says it happened (its HLC wall time), unix ms.
    pub device_ms: i64,
    /// When the server received it, unix ms.
    pub received_ms: i64,
    /// Whether the fold refused it as a conflict (it changed nothing).
    pub conflict: bool,
    /// Why it did not apply, for a conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_reason: Option<String>,
    /// The event's payload, as the device wrote it.
    pub payload: serde_json::Value,
}

/// A case's accepted events (each with its receive time) in the fold's own order
/// (the order [`workflow::fold_with`] applies them in), each marked when the fold
/// flagged it as a conflict. Empty when the report is not among them.
pub fn timeline(events: &[(Event, i64)]) -> Vec<TimelineEntry> {
    let by_id: HashMap<_, _> = events.iter().map(|(e, at)| (e.id, (e, *at))).collect();
    let plain: Vec<Event> = events.iter().map(|(e, _)| e.clone()).collect();
    let mut order = Vec::new();
    let Some(case) = workflow::fold_with(&plain, |event, _| order.push(event.id)) else {
        return Vec::new();
    };
    order
        .into_iter()
        .filter_map(|id| by_id.get(&id))
        .map(|(e, at)| {
            let conflict = case.conflicts.iter().find(|c| c.event_id == e.id);
            TimelineEntry {
                id: e.id,
                server_seq: e.server_seq,
                kind: e.kind.clone(),
                actor: e.actor.clone(),
                device_id: e.device_id.clone(),
                device_ms: e.hlc.wall_ms,
                received_ms: *at,
                conflict: conflict.is_some(),
                conflict_reason: conflict.map(|c| c.reason.clone()),
                payload: e.payload.clone(),
            }
        })
        .collect()
}

/// The server's own deadline bookkeeping, moved along by each applied step.
#[derive(Debug, Default)]
struct ServerClock {
    deadline_ms: Option<i64>,
    /// The device's deadline before the step, to measure a postponement by.
    device_deadline_ms: Option<i64>,
    /// Working minutes left when the case was suspended with a clock running.
    remaining_minutes: Option<i64>,
    closed_ms: Option<i64>,
    history: History,
    /// When the report came, by the server's reckoning.
    reported_ms: Option<i64>,
    /// The exception of the pending application.
    pending: Option<gridwork_core::model::Exception>,
}

impl ServerClock {
    fn step(
        &mut self,
        event: &Event,
        case: &Case,
        at: i64,
        calendar: &WorkingCalendar,
        catalog: Option<&Catalog>,
    ) {
        let Ok(IncidentEvent::Acted(action)) = IncidentEvent::parse(&event.kind, &event.payload)
        else {
            return;
        };
        use gridwork_core::model::Action;
        use gridwork_core::model::Exception;
        let device_before = self.device_deadline_ms;
        self.device_deadline_ms = case.deadline_ms;
        let limits = catalog
            .map(|c| c.centre_limits().clone())
            .unwrap_or_default();
        let within = |from: Option<i64>, limit: Option<gridwork_core::calendar::TimeLimit>| {
            let (from, limit) = (from?, limit?);
            calendar.deadline(from, &limit).ok().map(|due| at <= due)
        };
        // An approval takes effect as the step applied for.
        let effect = match &action {
            Action::Approve { .. } => match self.pending.take() {
                Some(Exception::Return) => Some(Exception::Return),
                Some(Exception::Postpone) => Some(Exception::Postpone),
                Some(Exception::Suspend) => Some(Exception::Suspend),
                None => None,
            },
            Action::Return { .. } => Some(Exception::Return),
            Action::Postpone { .. } => Some(Exception::Postpone),
            Action::Suspend { .. } => Some(Exception::Suspend),
            _ => None,
        };
        let h = &mut self.history;
        match &action {
            Action::Register { .. } | Action::Cancel { .. } => {
                if h.intake_on_time.is_none() && h.registered_ms.is_none() {
                    h.intake_on_time = within(self.reported_ms, limits.intake);
                }
                if matches!(action, Action::Register { .. }) {
                    h.registered_ms.get_or_insert(at);
                }
            }
            Action::Dispatch { .. } => {
                if h.dispatched_ms.is_none() {
                    h.dispatch_on_time = within(h.registered_ms, limits.dispatch);
                }
                h.dispatched_ms.get_or_insert(at);
                h.sign_due_ms = limits.sign.and_then(|l| calendar.deadline(at, &l).ok());
            }
            Action::Sign { .. } => {
                h.sign_on_time = h.sign_due_ms.map(|due| at <= due);
                h.sign_due_ms = None;
            }
            Action::Handle { .. } => {
                h.handled_ms = Some(at);
                h.handled_on_time = self
                    .deadline_ms
                    .map(|d| at <= d && !h.overdue_before_postponement);
                h.handling_minutes = h
                    .dispatched_ms
                    .and_then(|from| calendar.working_minutes_between(from, at).ok());
            }
            Action::VerifyPass { .. } | Action::VerifyFail { .. } => {
                h.verification_on_time = within(h.handled_ms, limits.verification);
                h.verification_flagged = limits
                    .verification_radius_m
                    .is_some_and(|r| case.verification_far(r));
            }
            Action::Apply { exception, .. } => {
                self.pending = Some(*exception);
                h.decision_due_ms = limits.approval.and_then(|l| calendar.deadline(at, &l).ok());
            }
            Action::Refuse { .. } => {
                self.pending = None;
                h.decision_due_ms = None;
            }
            Action::Urge { .. } => h.urges += 1,
            _ => {}
        }
        if matches!(action, Action::Approve { .. }) {
            h.decision_due_ms = None;
        }
        match effect {
            Some(Exception::Return) => {
                h.returns += 1;
                h.sign_due_ms = None;
                self.deadline_ms = None;
                self.remaining_minutes = None;
            }
            Some(Exception::Postpone) => {
                if self.deadline_ms.is_some_and(|d| d < at) {
                    h.overdue_before_postponement = true;
                }
                // As many working minutes more as the device granted.
                self.deadline_ms = match (self.deadline_ms, device_before, case.deadline_ms) {
                    (Some(ours), Some(before), Some(after)) => calendar
                        .working_minutes_between(before, after)
                        .and_then(|more| calendar.add_working_minutes(ours, more.max(0)))
                        .ok()
                        .or(Some(after)),
                    (_, _, device) => device,
                };
            }
            Some(Exception::Suspend) => {
                self.remaining_minutes = match (case.suspended_from, self.deadline_ms) {
                    (Some(workflow::Status::Dispatched), Some(d)) => {
                        calendar.working_minutes_between(at, d).ok()
                    }
                    _ => None,
                };
            }
            None => {}
        }
        match action {
            Action::Dispatch { .. } => {
                let category = catalog.and_then(|c| c.get(case.category()));
                self.deadline_ms = match category {
                    Some(k) => k
                        .deadline(calendar, at, &k.limit_for(case.urgency()))
                        .ok()
                        .or(case.deadline_ms),
                    None => case.deadline_ms,
                };
            }
            Action::Resume { .. } => {
                if let Some(left) = self.remaining_minutes.take() {
                    self.deadline_ms = calendar
                        .add_working_minutes(at, left.max(0))
                        .ok()
                        .or(case.deadline_ms);
                }
            }
            Action::Cancel { .. } | Action::Reopen { .. } => {
                self.deadline_ms = None;
                self.remaining_minutes = None;
                self.pending = None;
            }
            _ => {}
        }
        self.closed_ms = case.closed_at_ms.map(|_| self.closed_ms.unwrap_or(at));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwork_core::{
        clock::Hlc,
        model::{Action, Actor, PhotoRef, Report, Role, Stream, GENESIS_HASH},
        workflow::Status,
    };
    use uuid::Uuid;

    /// 2026-11-23, a Monday, 09:00 in K city (UTC+8).
    const MONDAY_9AM: i64 = 1_795_395_600_000;
    const HOUR: i64 = 3_600_000;

    fn catalog() -> Catalog {
        Catalog::from_json(include_str!("../../data/kcity-catalog.json")).unwrap()
    }

    struct Case {
        stream: Stream,
        seq: u64,
        events: Vec<(Event, i64)>,
    }

    impl Case {
        fn new() -> Self {
            Case {
                stream: Stream::Incident(Uuid::now_v7()),
                seq: 0,
                events: Vec::new(),
            }
        }

        fn push(&mut self, role: Role, ev: IncidentEvent, at: i64, received: i64) {
            self.seq += 1;
            let event = Event {
                id: Uuid::now_v7(),
                stream: self.stream,
                kind: ev.kind().into(),
                hlc: Hlc::new(at, 0),
                device_id: format!("{role}-device"),
                actor: Actor::new(format!("{role}-user"), role),
                device_seq: self.seq,
                prev_hash: GENESIS_HASH.into(),
                payload: ev.payload(),
                server_seq: None,
                signature: None,
            };
            self.events.push((event, received));
        }

        fn act(&mut self, role: Role, action: Action, at: i64, received: i64) {
            self.push(role, IncidentEvent::Acted(action), at, received);
        }

        fn view(&self) -> CaseView {
            fold_case(&self.events, "32050800100101", Some(&catalog())).unwrap()
        }
    }

    fn reported(claim: &str) -> IncidentEvent {
        IncidentEvent::Reported(Report {
            category: "06010".into(),
            lat: 31.306,
            lon: 120.5808,
            accuracy_m: None,
            description: "rubbish".into(),
            address: None,
            urgency: Default::default(),
            photos: vec![],
            cell: Some(claim.into()),
            patrol: None,
        })
    }

    #[test]
    fn urgent_limits_centre_steps_and_late_postponements_by_the_servers_reckoning() {
        use gridwork_core::{
            calendar::TimeLimit,
            catalog::CentreLimits,
            model::{Exception, Urgency},
        };
        let hour = Some(TimeLimit::WorkingHours(1));
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../../data/kcity-catalog.json")).unwrap();
        for c in json["categories"].as_array_mut().unwrap() {
            if c["code"] == "06010" {
                c["urgent_time_limit"] = serde_json::json!({"value": 1, "unit": "working_hours"});
            }
        }
        let catalog = Catalog::from_json(&json.to_string())
            .unwrap()
            .with_centre_limits(CentreLimits {
                intake: hour,
                dispatch: hour,
                sign: hour,
                approval: hour,
                verification: hour,
                verification_radius_m: Some(100),
            });
        let min = 60_000;
        let t = |h: i64, m: i64| MONDAY_9AM + ((h - 9) * 60 + m) * min;
        let mut c = Case::new();
        let IncidentEvent::Reported(r) = reported("32050800100101") else {
            unreachable!()
        };
        let urgent = IncidentEvent::Reported(Report {
            urgency: Urgency::Urgent,
            ..r
        });
        c.push(Role::Worker, urgent, t(9, 0), t(9, 0));
        c.act(
            Role::Intake,
            Action::Register { note: None },
            t(9, 30),
            t(9, 30),
        );
        let dispatch = Action::Dispatch {
            department: "sanitation".into(),
            deadline_ms: t(17, 0),
            note: None,
        };
        c.act(Role::Dispatcher, dispatch, t(11, 0), t(11, 0));
        c.act(
            Role::Handler,
            Action::Sign { note: None },
            t(11, 30),
            t(11, 30),
        );
        let apply = Action::Apply {
            exception: Exception::Postpone,
            reason: "parts".into(),
            extend: None,
            deadline_ms: None,
        };
        c.act(Role::Handler, apply, t(13, 40), t(13, 40));
        let approve = Action::Approve {
            note: None,
            deadline_ms: Some(t(17, 0) + 24 * HOUR),
            remaining_minutes: None,
        };
        c.act(Role::ShiftLead, approve, t(14, 0), t(14, 0));
        let v = fold_case(&c.events, "32050800100101", Some(&catalog)).unwrap();
        let h = &v.history;
        assert_eq!(h.intake_on_time, Some(true));
        assert_eq!(
            h.dispatch_on_time,
            Some(false),
            "an hour and a half after registration"
        );
        assert_eq!(h.sign_on_time, Some(true));
        assert!(
            h.overdue_before_postponement,
            "the urgent hour ran out at 12:00"
        );
        assert_eq!(v.case.postpone_count, 1);
        assert!(v.deadline_ms.unwrap() > t(14, 30), "a working day more");
        assert_eq!(h.decision_due_ms, None);
        c.act(
            Role::Handler,
            Action::Handle {
                note: None,
                photos: vec![PhotoRef {
                    sha256: "a".repeat(64),
                    size: 1,
                    mime: "image/jpeg".into(),
                    thumb: None,
                }],
            },
            t(14, 30),
            t(14, 30),
        );
        let v = fold_case(&c.events, "32050800100101", Some(&catalog)).unwrap();
        assert_eq!(v.history.handled_on_time, Some(false), "not rescued");
        // Verified from a kilometre away, within the hour: on time, but flagged.
        let far = Action::VerifyPass {
            note: None,
            photos: vec![],
            position: Some(gridwork_core::geo::LatLon::new(31.315, 120.5808)),
        };
        c.act(Role::Worker, far, t(15, 0), t(15, 0));
        let v = fold_case(&c.events, "32050800100101", Some(&catalog)).unwrap();
        assert_eq!(v.history.verification_on_time, Some(true));
        assert!(v.history.verification_flagged);
    }

    #[test]
    fn the_server_counts_the_deadline_with_its_own_calendar() {
        let mut c = Case::new();
        c.push(
            Role::Worker,
            reported("32050800100199"),
            MONDAY_9AM,
            MONDAY_9AM + 5_000,
        );
        c.act(
            Role::Supervisor,
            Action::Register { note: None },
            MONDAY_9AM + 60_000,
            MONDAY_9AM + 70_000,
        );
        // The tablet claims ten days for a two-working-hour category, and synced an
        // hour after it dispatched offline.
        c.act(
            Role::Supervisor,
            Action::Dispatch {
                department: "sanitation".into(),
                deadline_ms: MONDAY_9AM + 240 * HOUR,
                note: None,
            },
            MONDAY_9AM + 2 * 60_000,
            MONDAY_9AM + HOUR,
        );
        let v = c.view();
        assert_eq!(v.case.status, Status::Dispatched);
        assert_eq!(v.cell, "32050800100101");
        assert_eq!(v.claimed_cell.as_deref(), Some("32050800100199"));
        assert_eq!(v.received_ms, MONDAY_9AM + 5_000);
        assert_eq!(v.updated_ms, MONDAY_9AM + HOUR);
        // Two working hours from 09:02 (when it happened, before it arrived).
        let ours = MONDAY_9AM + 2 * 60_000 + 2 * HOUR;
        assert_eq!(v.deadline_ms, Some(ours));
        assert_eq!(v.case.deadline_ms, Some(MONDAY_9AM + 240 * HOUR));
        assert_eq!(
            v.deadline_difference_ms(),
            Some(240 * HOUR - ours + MONDAY_9AM)
        );
        assert!(v.is_overdue(ours + 1) && !v.is_overdue(ours));

        // A postponement by one working hour on the device moves ours by as much.
        let cal = catalog().calendar().clone();
        let postponed = cal.add_working_minutes(ours, 60).unwrap();
        c.act(
            Role::Supervisor,
            Action::Postpone {
                reason: "crane needed".into(),
                deadline_ms: MONDAY_9AM + 241 * HOUR,
            },
            MONDAY_9AM + 3 * 60_000,
            MONDAY_9AM + 3 * 60_000,
        );
        assert_eq!(c.view().deadline_ms, Some(postponed));
        assert_eq!(
            postponed,
            MONDAY_9AM + 4 * HOUR + 32 * 60_000,
            "13:32, after lunch"
        );

        // Suspended at 09:04, resumed at 10:04: the working minutes left run again.
        c.act(
            Role::Supervisor,
            Action::Suspend {
                reason: "road closed".into(),
                remaining_minutes: Some(14_400),
            },
            MONDAY_9AM + 4 * 60_000,
            MONDAY_9AM + 4 * 60_000,
        );
        assert_eq!(c.view().case.status, Status::Suspended);
        c.act(
            Role::Supervisor,
            Action::Resume {
                deadline_ms: Some(MONDAY_9AM + 300 * HOUR),
                note: None,
            },
            MONDAY_9AM + 64 * 60_000,
            MONDAY_9AM + 64 * 60_000,
        );
        let v = c.view();
        assert_eq!(v.case.status, Status::Dispatched);
        let left = cal
            .working_minutes_between(MONDAY_9AM + 4 * 60_000, postponed)
            .unwrap();
        assert_eq!(left, 178);
        assert_eq!(
            v.deadline_ms,
            Some(
                cal.add_working_minutes(MONDAY_9AM + 64 * 60_000, left)
                    .unwrap()
            )
        );
        // The fold itself is the core's: the device's deadline is what it claimed.
        assert_eq!(v.case.deadline_ms, Some(MONDAY_9AM + 300 * HOUR));
    }

    #[test]
    fn a_step_counts_from_when_the_server_had_it_at_the_latest_and_order_does_not_matter() {
        let mut c = Case::new();
        c.push(
            Role::Worker,
            reported("32050800100101"),
            MONDAY_9AM,
            MONDAY_9AM,
        );
        c.act(
            Role::Supervisor,
            Action::Register { note: None },
            MONDAY_9AM + 60_000,
            MONDAY_9AM + 60_000,
        );
        // A tablet clock half an hour fast: the server counts from arrival.
        c.act(
            Role::Supervisor,
            Action::Dispatch {
                department: "sanitation".into(),
                deadline_ms: MONDAY_9AM + 3 * HOUR,
                note: None,
            },
            MONDAY_9AM + 30 * 60_000,
            MONDAY_9AM + 2 * 60_000,
        );
        let v = c.view();
        assert_eq!(v.deadline_ms, Some(MONDAY_9AM + 2 * 60_000 + 2 * HOUR));
        assert_eq!(v.claimed_cell, None);
        let mut shuffled = c.events.clone();
        shuffled.reverse();
        let again = fold_case(&shuffled, "32050800100101", Some(&catalog())).unwrap();
        assert_eq!(again, v);
        // Closing runs the loop to its end by the server's times.
        c.act(
            Role::Handler,
            Action::Handle {
                note: None,
                photos: vec![gridwork_core::model::PhotoRef {
                    sha256: "a".repeat(64),
                    size: 1,
                    mime: "image/jpeg".into(),
                    thumb: None,
                }],
            },
            MONDAY_9AM + HOUR,
            MONDAY_9AM + HOUR,
        );
        c.act(
            Role::Worker,
            Action::VerifyPass {
                note: None,
                photos: vec![],
                position: None,
            },
            MONDAY_9AM + 2 * HOUR,
            MONDAY_9AM + 2 * HOUR,
        );
        c.act(
            Role::Supervisor,
            Action::Close { note: None },
            MONDAY_9AM + 3 * HOUR,
            MONDAY_9AM + 4 * HOUR,
        );
        let v = c.view();
        assert_eq!(v.case.status, Status::Closed, "{:?}", v.case.conflicts);
        assert_eq!(v.closed_ms, Some(MONDAY_9AM + 3 * HOUR));
    }

    #[test]
    fn the_timeline_is_in_fold_order_with_its_conflicts_marked() {
        let mut c = Case::new();
        let dispatch = |deadline_ms| Action::Dispatch {
            department: "sanitation".into(),
            deadline_ms,
            note: None,
        };
        c.push(
            Role::Worker,
            reported("32050800100101"),
            MONDAY_9AM,
            MONDAY_9AM + 1,
        );
        c.act(
            Role::Supervisor,
            Action::Register { note: None },
            MONDAY_9AM + 10,
            MONDAY_9AM + 11,
        );
        c.act(
            Role::Supervisor,
            dispatch(MONDAY_9AM + HOUR),
            MONDAY_9AM + 20,
            MONDAY_9AM + 21,
        );
        c.act(
            Role::Supervisor,
            dispatch(MONDAY_9AM + 2 * HOUR),
            MONDAY_9AM + 30,
            MONDAY_9AM + 99,
        );
        let ids: Vec<Uuid> = c.events.iter().map(|(e, _)| e.id).collect();
        // Delivered newest first: the timeline still follows the fold.
        let mut delivered = c.events.clone();
        delivered.reverse();
        let t = timeline(&delivered);
        assert_eq!(t.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
        assert_eq!(t[0].kind, "incident.reported");
        assert_eq!(
            (t[3].device_ms, t[3].received_ms),
            (MONDAY_9AM + 30, MONDAY_9AM + 99)
        );
        assert_eq!(
            t.iter().map(|e| e.conflict).collect::<Vec<_>>(),
            vec![false, false, false, true],
            "the second dispatch changed nothing"
        );
        assert!(t[3].conflict_reason.is_some());
        let without_second = timeline(&delivered[1..]);
        assert_eq!(without_second.len(), 3);
        assert!(without_second.iter().all(|e| !e.conflict));
        assert!(timeline(&delivered[..1]).is_empty(), "no report, no case");
    }
}
