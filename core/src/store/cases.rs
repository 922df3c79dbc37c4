//! Cases on the device: reporting, workflow actions, the case view with its timeline,
//! lists and counts, and folding events that came from elsewhere.

use super::{
    case_types::{ActionKind, ActionRequest, CaseDetail, ReportDraft, SyncState, TimelineEntry},
    photos, Store,
};
use crate::{
    calendar::TimeLimit,
    catalog::LookupError,
    db::{self, events::StoredEvent, CaseSummary, ListFilter, Page, PageCursor},
    error::{Error, Result},
    geo::validate_point,
    model::{
        Action, Actor, Event, Exception, IncidentEvent, PhotoRef, Report, Role, Stream,
        MAX_DESCRIPTION_CHARS, MAX_NOTE_CHARS,
    },
    workflow::{self, Case, Status},
};
use rusqlite::Connection;
use std::collections::BTreeMap;
use uuid::Uuid;

fn check_text(field: &'static str, text: &str, max: usize) -> Result<()> {
    let n = text.chars().count();
    if text.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if n > max {
        return Err(Error::invalid(
            field,
            format!("{n} characters; at most {max}"),
        ));
    }
    Ok(())
}

impl Store {
    /// Records a new report and returns the case id. Everything is checked first;
    /// on any error nothing is written.
    pub fn report(&self, draft: &ReportDraft) -> Result<Uuid> {
        validate_point(draft.lat, draft.lon)?;
        if let Some(acc) = draft.accuracy_m {
            if !acc.is_finite() || acc < 0.0 {
                return Err(Error::invalid(
                    "accuracy",
                    format!("{acc} is not a distance in metres"),
                ));
            }
        }
        check_text("description", &draft.description, MAX_DESCRIPTION_CHARS)?;
        if let Some(a) = &draft.address {
            check_text("address", a, 500)?;
        }
        let reference = self.reference()?;
        let catalog = reference
            .catalog
            .as_ref()
            .ok_or_else(|| Error::UnknownCategory(draft.category.clone()))?;
        // Stored as the catalogue's reference: the bare code, or `kind/code` where a
        // component and an event share the code (old scheme).
        let category = match catalog.resolve(&draft.category) {
            Ok(c) => catalog.reference(c),
            Err(LookupError::Ambiguous { code }) => return Err(Error::AmbiguousCategory(code)),
            Err(_) => return Err(Error::UnknownCategory(draft.category.clone())),
        };
        let settings = self.photo_settings()?;
        let staged = draft
            .photos
            .iter()
            .map(|p| photos::stage(p, settings.max_edge))
            .collect::<Result<Vec<_>>>()?;
        let cell = reference
            .grid
            .locate(draft.lat, draft.lon)
            .map(|c| c.code.as_str().to_string());
        let report = Report {
            category,
            lat: draft.lat,
            lon: draft.lon,
            accuracy_m: draft.accuracy_m,
            description: draft.description.trim().to_string(),
            address: draft.address.as_ref().map(|a| a.trim().to_string()),
            urgency: draft.urgency,
            photos: staged.iter().map(|s| s.reference.clone()).collect(),
            cell,
            patrol: draft.patrol,
        };
        let id = Uuid::now_v7();
        self.record(Stream::Incident(id), None, &staged, |tx, _, actor| {
            // A report made while the worker patrols belongs to that patrol.
            let patrol = match report.patrol {
                Some(p) => Some(p),
                None => super::patrols::rows::open_patrol_of(tx, &actor.user)?,
            };
            Ok(IncidentEvent::Reported(Report { patrol, ..report }))
        })?;
        if settings.remove_sources {
            photos::remove_sources(&draft.photos);
        }
        Ok(id)
    }

    /// Takes a workflow action on a case and returns the new state. A step the user may
    /// not take is refused with [`Error::Workflow`] and changes nothing.
    pub fn act(&self, case_id: Uuid, request: &ActionRequest) -> Result<Case> {
        if let Some(note) = &request.note {
            if note.chars().count() > MAX_NOTE_CHARS {
                return Err(Error::invalid(
                    "note",
                    format!("at most {MAX_NOTE_CHARS} characters"),
                ));
            }
        }
        let settings = self.photo_settings()?;
        let staged = request
            .photos
            .iter()
            .map(|p| photos::stage(p, settings.max_edge))
            .collect::<Result<Vec<_>>>()?;
        let reference = self.reference()?;
        let photo_refs: Vec<PhotoRef> = staged.iter().map(|s| s.reference.clone()).collect();
        let now = self.now_ms();
        self.record(
            Stream::Incident(case_id),
            request.as_role,
            &staged,
            |_, case, _| {
                let case = case.ok_or_else(|| Error::NotFound {
                    what: "case",
                    id: case_id.to_string(),
                })?;
                let action = build_action(
                    request,
                    case,
                    photo_refs.clone(),
                    reference.catalog.as_ref(),
                    now,
                )?;
                Ok(IncidentEvent::Acted(action))
            },
        )
        .and_then(|case| {
            case.ok_or_else(|| Error::NotFound {
                what: "case",
                id: case_id.to_string(),
            })
        })
        .inspect(|_| {
            if settings.remove_sources {
                photos::remove_sources(&request.photos);
            }
        })
    }

    /// Appends one incident event built by `make` from the current case, in one
    /// transaction with the photos and the projection. The workflow check runs against
    /// the case as folded inside the transaction.
    fn record(
        &self,
        stream: Stream,
        as_role: Option<Role>,
        staged: &[photos::StagedPhoto],
        make: impl FnOnce(&Connection, Option<&Case>, &Actor) -> Result<IncidentEvent>,
    ) -> Result<Option<Case>> {
        let mut written = Vec::new();
        let result = self.db.write(|tx| {
            let identity = self.require_identity(tx)?;
            let actor = Store::actor(&identity, as_role);
            let events = db::stream_events(tx, &stream)?;
            // The step is judged against the case as every replica has it: without the
            // events the server refused.
            let plain: Vec<Event> = events
                .into_iter()
                .filter(|s| s.rejected.is_none())
                .map(|s| s.event)
                .collect();
            let current = workflow::fold(&plain);
            if current.is_none() {
                if let Some(reason) = db::incidents::report_rejection(tx, &stream.id())? {
                    return Err(Error::invalid(
                        "case",
                        format!(
                            "the server refused this report ({reason}); it is kept on this \
                             device only and takes no further steps"
                        ),
                    ));
                }
            }
            let event = make(tx, current.as_ref(), &actor)?;
            match (&event, &current) {
                (IncidentEvent::Reported(_), _) => workflow::check_report(&actor)?,
                (IncidentEvent::Acted(action), Some(case)) => {
                    workflow::check(case, action, &actor)?
                }
                (IncidentEvent::Acted(_), None) => {
                    return Err(Error::NotFound {
                        what: "case",
                        id: stream.id().to_string(),
                    })
                }
            }
            let now = self.now_ms();
            for photo in staged {
                photos::keep(tx, &self.photos_dir, photo, now, &mut written)?;
            }
            let hlc = self.tick(tx)?;
            db::append_local(
                tx,
                stream,
                event.kind(),
                hlc,
                &identity.device_id,
                &actor,
                event.payload(),
            )?;
            db::refold_case(tx, &stream)
        });
        if result.is_err() {
            photos::discard(&self.photos_dir, &written);
        }
        result
    }

    /// A case with its timeline.
    pub fn case(&self, id: Uuid) -> Result<CaseDetail> {
        let now = self.now_ms();
        self.db.read(|conn| {
            let not_found = || Error::NotFound {
                what: "case",
                id: id.to_string(),
            };
            let case = db::incidents::load_case(conn, &id)?.ok_or_else(not_found)?;
            let events = db::stream_events(conn, &Stream::Incident(id))?;
            let timeline = timeline(&case, events);
            let report_rejected = db::incidents::report_rejection(conn, &id)?;
            Ok(CaseDetail {
                overdue: report_rejected.is_none() && case.is_overdue(now),
                case,
                timeline,
                report_rejected,
            })
        })
    }

    /// A page of cases matching `filter`, newest first.
    pub fn list(&self, filter: &ListFilter, after: Option<PageCursor>, limit: u32) -> Result<Page> {
        let now = self.now_ms();
        self.db
            .read(|conn| db::list(conn, filter, after, limit, now))
    }

    /// Every case matching `filter` (all pages), newest first.
    pub fn list_all(&self, filter: &ListFilter) -> Result<Vec<CaseSummary>> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self.list(filter, after, db::incidents::MAX_PAGE_SIZE)?;
            out.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// The signed-in worker's verification tasks (核查任务), newest first: handled cases
    /// waiting for verification on site that are this worker's to verify — the ones
    /// they reported, and those that came another way (resident, hotline, Open311, an
    /// inspection: reported by someone who is not a worker) in the cells this device
    /// pulls, that is the worker's own cells (docs/workflow.md, "Verification on
    /// site"). Read from the store alone, so it works offline after a pull. Empty for
    /// any other role.
    pub fn verification_tasks(&self) -> Result<Vec<CaseSummary>> {
        let Some(me) = self.identity()? else {
            return Ok(Vec::new());
        };
        if me.role != Role::Worker {
            return Ok(Vec::new());
        }
        let handled = self.list_all(&ListFilter {
            status: Some(Status::Handled),
            ..ListFilter::default()
        })?;
        let mut out = Vec::new();
        for item in handled {
            if item.report_rejected {
                continue;
            }
            let mine =
                item.reporter == me.user || self.case(item.id)?.case.reporter.role != Role::Worker;
            if mine {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Number of cases per status among those matching `filter`. A case whose report
    /// the server refused is in no status and not counted here (see
    /// [`Store::rejected_cases`]).
    pub fn counts(&self, filter: &ListFilter) -> Result<BTreeMap<Status, u64>> {
        let now = self.now_ms();
        self.db.read(|conn| db::counts(conn, filter, now))
    }

    /// Number of cases matching `filter` that hold an event the server refused (a
    /// rejected step or a rejected report).
    pub fn rejected_cases(&self, filter: &ListFilter) -> Result<u64> {
        let now = self.now_ms();
        self.db
            .read(|conn| db::incidents::rejected_cases(conn, filter, now))
    }

    /// Every event in the store, in local arrival order (for export and tests), but those a
    /// retention purge emptied.
    pub fn all_events(&self) -> Result<Vec<Event>> {
        self.db.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {} FROM events WHERE purged = 0 ORDER BY seq",
                db::events::EVENT_COLUMNS
            ))?;
            let rows = stmt.query_map([], db::events::row_to_stored)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row??.event);
            }
            Ok(out)
        })
    }

    /// Stores events that came from elsewhere (sync, a test, an import) and folds the
    /// cases they touch again. Events already here are skipped. Returns how many were new.
    pub fn apply_remote(&self, events: &[Event]) -> Result<usize> {
        self.db
            .write(|tx| apply_remote_in(self, tx, events).map(|(new, _)| new))
    }
}

/// The body of [`Store::apply_remote`], for callers that already hold a transaction.
/// Returns how many events were new and the cases they changed (each once, in id order).
/// Patrol events of other devices rebuild those patrols (see `patrols::remote`).
pub(crate) fn apply_remote_in(
    store: &Store,
    tx: &Connection,
    events: &[Event],
) -> Result<(usize, Vec<Uuid>)> {
    let mut touched = std::collections::BTreeSet::new();
    // Incident streams all of whose events in this batch were new here, with those
    // events: folded from memory when the store holds nothing else of theirs.
    let mut fresh: std::collections::HashMap<Stream, Option<Vec<Event>>> =
        std::collections::HashMap::new();
    let mut new = 0;
    let own_device = super::meta_get(tx, "device_id")?;
    // The clock takes the latest new event into account once: observing is a maximum,
    // so once for the batch is the same as once for each.
    let mut latest = None;
    for event in events {
        let stored = db::insert_remote(tx, event, own_device.as_deref())?;
        if stored == db::Stored::New {
            new += 1;
            latest = latest.max(Some(event.hlc));
        }
        if stored != db::Stored::Known {
            touched.insert(event.stream);
        }
        if matches!(event.stream, Stream::Incident(_)) {
            let slot = fresh
                .entry(event.stream)
                .or_insert_with(|| Some(Vec::new()));
            match (stored, slot.as_mut()) {
                (db::Stored::New, Some(list)) => list.push(event.clone()),
                _ => *slot = None,
            }
        }
    }
    if let Some(hlc) = latest {
        store.observe(tx, hlc)?;
    }
    let mut changed = Vec::with_capacity(touched.len());
    let mut search = db::SearchRows::default();
    for stream in touched {
        match stream {
            Stream::Incident(_) => {
                let case = match fresh.get_mut(&stream).and_then(Option::as_mut) {
                    Some(events) => db::fold_new_case(tx, &stream, events, &mut search)?,
                    None => db::refold_case_into(tx, &stream, &mut search)?,
                };
                if let Some(case) = case {
                    changed.push(case.id);
                }
            }
            Stream::Patrol(id) => {
                super::patrols::remote::rebuild(tx, id)?;
            }
        }
    }
    // Last, so the search index takes the batch's rows as one segment.
    search.write(tx)?;
    Ok((new, changed))
}

/// Builds the workflow action a request asks for on `case` at `now`: the department
/// checked against the catalogue (by default the category's, routed by area where the
/// catalogue says so), the dispatch deadline by the category's limit for the case's
/// urgency, counted on the catalogue's working calendar (or in natural time), a
/// postponement's and an application's deadlines, a suspension's remaining minutes and
/// a resumption's new deadline. Shared by the device (`Store::act`) and the server's
/// console actions, so both build the very same events.
pub fn build_action(
    req: &ActionRequest,
    case: &Case,
    photos: Vec<PhotoRef>,
    catalog: Option<&crate::catalog::Catalog>,
    now: i64,
) -> Result<Action> {
    let note = req.note.clone().filter(|n| !n.trim().is_empty());
    let reason = || note.clone().unwrap_or_default();
    let calendar = catalog
        .map(|c| c.calendar().clone())
        .unwrap_or_else(crate::calendar::WorkingCalendar::china_default);
    let category = || {
        catalog
            .and_then(|c| c.get(case.category()))
            .ok_or_else(|| Error::UnknownCategory(case.category().to_string()))
    };
    let known_department = |d: &str| catalog.is_some_and(|c| c.department(d).is_some());
    let postponed = |extend: Option<TimeLimit>| -> Result<i64> {
        let category = category()?;
        let extend = extend.unwrap_or_else(|| category.limit_for(case.urgency()));
        let from = case.deadline_ms.unwrap_or(now).max(now);
        Ok(category.deadline(&calendar, from, &extend)?)
    };
    let remaining = || -> Result<Option<i64>> {
        case.deadline_ms
            .filter(|_| case.status == Status::Dispatched)
            .map(|d| calendar.working_minutes_between(now, d))
            .transpose()
            .map_err(Into::into)
    };
    let apply = |exception: Exception| -> Result<Action> {
        let deadline_ms = catalog
            .and_then(|c| c.centre_limits().approval)
            .map(|l| calendar.deadline(now, &l))
            .transpose()?;
        Ok(Action::Apply {
            exception,
            reason: reason(),
            extend: req.extend.filter(|_| exception == Exception::Postpone),
            deadline_ms,
        })
    };
    Ok(match req.kind {
        ActionKind::Register => Action::Register { note },
        ActionKind::Cancel => Action::Cancel { reason: reason() },
        ActionKind::Dispatch => {
            let category = category()?;
            let department = match &req.department {
                Some(d) => d.clone(),
                None => category.department_for(case.cell()).to_string(),
            };
            if !known_department(&department) {
                return Err(Error::UnknownDepartment(department));
            }
            let limit = category.limit_for(case.urgency());
            Action::Dispatch {
                department,
                deadline_ms: category.deadline(&calendar, now, &limit)?,
                note,
            }
        }
        ActionKind::Handle => Action::Handle { note, photos },
        ActionKind::VerifyPass | ActionKind::VerifyFail => {
            let position = req
                .position
                .map(|(lat, lon)| {
                    crate::geo::validate_point(lat, lon)?;
                    Ok::<_, Error>(crate::geo::LatLon::new(lat, lon))
                })
                .transpose()?;
            if catalog.is_some_and(|c| c.centre_limits().verification_radius_m.is_some()) {
                if photos.is_empty() {
                    return Err(Error::invalid(
                        "photo",
                        "verification on site needs a photo",
                    ));
                }
                if position.is_none() {
                    return Err(Error::invalid(
                        "position",
                        "verification on site needs the verifier's position",
                    ));
                }
            }
            match req.kind {
                ActionKind::VerifyPass => Action::VerifyPass {
                    note,
                    photos,
                    position,
                },
                _ => Action::VerifyFail {
                    reason: reason(),
                    photos,
                    position,
                },
            }
        }
        ActionKind::Close => Action::Close { note },
        ActionKind::Return => Action::Return { reason: reason() },
        ActionKind::Postpone => Action::Postpone {
            reason: reason(),
            deadline_ms: postponed(req.extend)?,
        },
        ActionKind::Suspend => Action::Suspend {
            reason: reason(),
            remaining_minutes: remaining()?,
        },
        ActionKind::Resume => Action::Resume {
            deadline_ms: match case.deadline_ms.and(case.suspended_from) {
                Some(Status::Dispatched) => {
                    let remaining = case_remaining_minutes(case);
                    Some(calendar.add_working_minutes(now, remaining)?)
                }
                _ => None,
            },
            note,
        },
        ActionKind::SelfResolve => Action::SelfResolve { note, photos },
        ActionKind::Reopen => Action::Reopen { reason: reason() },
        ActionKind::Check => Action::Check { note },
        ActionKind::Sign => Action::Sign { note },
        ActionKind::ApplyReturn => apply(Exception::Return)?,
        ActionKind::ApplyPostpone => apply(Exception::Postpone)?,
        ActionKind::ApplySuspend => apply(Exception::Suspend)?,
        ActionKind::Approve => {
            let pending = case.application.as_ref().ok_or_else(|| {
                Error::Workflow(crate::workflow::WorkflowError::NoApplication { action: "approve" })
            })?;
            let (deadline_ms, remaining_minutes) = match pending.exception {
                Exception::Postpone => (Some(postponed(pending.extend)?), None),
                Exception::Suspend => (None, remaining()?),
                Exception::Return => (None, None),
            };
            Action::Approve {
                note,
                deadline_ms,
                remaining_minutes,
            }
        }
        ActionKind::Refuse => Action::Refuse { reason: reason() },
        ActionKind::Urge | ActionKind::Supervise => Action::Urge {
            note,
            supervise: req.kind == ActionKind::Supervise,
        },
        ActionKind::Assist => {
            let department = req
                .department
                .clone()
                .ok_or_else(|| Error::invalid("department", "assist needs a department (--to)"))?;
            if !known_department(&department) {
                return Err(Error::UnknownDepartment(department));
            }
            Action::Assist {
                departments: vec![department],
                note,
            }
        }
        ActionKind::ResolveConflict => Action::ResolveConflict {
            event_id: req.conflict.ok_or_else(|| {
                Error::invalid(
                    "conflict",
                    "resolving a conflict needs the flagged event's id (--conflict)",
                )
            })?,
            decision: crate::model::ConflictDecision::Dismissed,
            note,
        },
    })
}

/// Working minutes that were left when the case was suspended (0 if unknown).
fn case_remaining_minutes(case: &Case) -> i64 {
    case.remaining_minutes.unwrap_or(0).max(0)
}

fn timeline(case: &Case, events: Vec<StoredEvent>) -> Vec<TimelineEntry> {
    events
        .into_iter()
        .map(|s| {
            let e = s.event;
            TimelineEntry {
                conflict: case.conflicts.iter().any(|c| c.event_id == e.id),
                sync: match (s.rejected, e.server_seq) {
                    (Some(reason), _) => SyncState::Rejected(reason),
                    (None, Some(_)) => SyncState::Synced,
                    (None, None) => SyncState::Pending,
                },
                event_id: e.id,
                kind: e.kind,
                at_ms: e.hlc.wall_ms,
                actor: e.actor,
                device_id: e.device_id,
                payload: e.payload,
            }
        })
        .collect()
}
