//! Evaluation (综合评价, DOMAIN.md §5; GB/T 30428.4): the figures a city judges its grid
//! work by, counted from the server's case views — the server's times, cells and
//! deadlines, never the devices' claims alone. Pure: the handler reads the views of a
//! period and an area and hands them here; docs/evaluation.md says what each figure
//! means and how it is computed.

pub mod copy;
pub mod input;
pub mod sync;

use gridwork_core::{
    model::{Role, Source},
    workflow::{Resolution, Status},
};
pub use input::{EvalCase, Evaluable, Inputs};
use serde::Serialize;
use std::{borrow::Cow, collections::BTreeMap, fmt::Write, str::FromStr};

/// What the rows of an evaluation are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// By district (the first 6 digits of the cell code).
    District,
    /// By street or town (9 digits).
    Street,
    /// By community or village (12 digits).
    Community,
    /// By unit grid cell.
    Cell,
    /// By the department the case was dispatched to.
    Department,
    /// By category.
    Category,
    /// By the worker who reported the case.
    Worker,
}

impl FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "district" => GroupBy::District,
            "street" => GroupBy::Street,
            "community" => GroupBy::Community,
            "cell" => GroupBy::Cell,
            "department" => GroupBy::Department,
            "category" => GroupBy::Category,
            "worker" => GroupBy::Worker,
            other => {
                return Err(format!(
                    "by={other:?}: one of district, street, community, cell, department, category, worker"
                ));
            }
        })
    }
}

impl GroupBy {
    fn key<'a>(self, v: &Inputs<'a>) -> Cow<'a, str> {
        let cell = v.cell;
        let area = |digits: usize| match cell.get(..digits) {
            _ if cell.is_empty() => Cow::Borrowed("(outside every cell)"),
            Some(prefix) => Cow::Borrowed(prefix),
            None => Cow::Borrowed(cell),
        };
        match self {
            GroupBy::District => area(6),
            GroupBy::Street => area(9),
            GroupBy::Community => area(12),
            GroupBy::Cell => area(cell.len().max(1)),
            GroupBy::Department => Cow::Borrowed(v.department.unwrap_or("(not dispatched)")),
            GroupBy::Category => Cow::Borrowed(v.category),
            GroupBy::Worker => worker_key(v),
        }
    }
}

/// The worker row a case counts in: its reporter, unless the report did not come from
/// a grid worker on patrol — an integration account (Open311: residents, partner
/// systems) or a hotline call or inspection entered at the centre is no worker, and
/// such cases count under their source, `(source: resident)` and so on.
fn worker_key<'a>(v: &Inputs<'a>) -> Cow<'a, str> {
    if v.reporter_role == Role::Integration || v.source != Source::GridWorker {
        Cow::Owned(format!("(source: {})", v.source.as_str()))
    } else {
        Cow::Borrowed(v.reporter)
    }
}

/// The figures of one group of cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Cases reported (received by the server) in the period.
    pub reported: u64,
    /// Of those, registered (立案), self-resolved ones included.
    pub registered: u64,
    /// Due to close (应结案): registered and not cancelled since.
    pub due: u64,
    /// Closed (结案).
    pub closed: u64,
    /// Closed, with the department's last feedback within the server's deadline (or
    /// without a handling clock: self-resolved on the spot).
    pub closed_on_time: u64,
    /// closed / due (结案率).
    pub closure_rate: Option<f64>,
    /// closed on time / due (按期结案率).
    pub on_time_closure_rate: Option<f64>,
    /// Dispatched to a department at least once.
    pub dispatched: u64,
    /// Handled (feedback given) at least once.
    pub handled: u64,
    /// Of the handled, sent back to the department at least once after verification.
    pub reworked: u64,
    /// reworked / handled (返工率).
    pub rework_rate: Option<f64>,
    /// Of the dispatched, postponed at least once.
    pub postponed: u64,
    /// postponed / dispatched (延期率).
    pub postponement_rate: Option<f64>,
    /// Of the dispatched, returned to the centre at least once.
    pub returned: u64,
    /// returned / dispatched (回退率).
    pub return_rate: Option<f64>,
    /// With a department now and past the server's deadline.
    pub overdue: u64,
    /// Mean working hours from the first dispatch to the last feedback, of the handled.
    pub handling_hours_mean: Option<f64>,
    /// The 90th percentile (nearest rank) of the same.
    pub handling_hours_p90: Option<f64>,
    /// Of the dispatched, postponed only after the server's deadline had passed (the
    /// postponement did not rescue them: they count as late).
    pub postponed_overdue: u64,
    /// Of the cases with an intake limit, registered or refused within it (受理及时).
    pub intake_on_time: u64,
    /// intake on time / cases with an intake limit (受理及时率).
    pub intake_on_time_rate: Option<f64>,
    /// dispatched within the dispatch limit / dispatched with one (派遣及时率).
    pub dispatch_on_time_rate: Option<f64>,
    /// signed within the signing limit / signed with one (签收及时率).
    pub sign_on_time_rate: Option<f64>,
    /// verified within the verification limit / verified with one (核查及时率).
    pub verification_on_time_rate: Option<f64>,
    /// Times the centre urged departments (催办/督办).
    pub urges: u64,
}

/// One row: a group and its figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The group (an area code, department id, category code or user), or `total`.
    pub key: String,
    /// Its figures.
    pub figures: Figures,
    /// Its patrol figures (grouped by area or worker, and the total; absent for the
    /// department and category groupings), see [`crate::patrol_evaluation`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patrols: Option<crate::patrol_evaluation::PatrolTotals>,
    /// For a worker row (and the total of a worker grouping), the sync health of the
    /// worker's devices, see [`sync`]; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<sync::WorkerSync>,
}

fn rate(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

/// The figures of the cases `views` at `now_ms`.
pub fn figures(views: &[Inputs<'_>], now_ms: i64) -> Figures {
    let mut f = Figures::default();
    let mut hours = Vec::new();
    // (on time, counted) per centre step.
    let mut steps = [(0u64, 0u64); 4];
    for v in views {
        let c = v;
        let h = v.history;
        let self_resolved = c.resolution == Some(Resolution::SelfResolved);
        f.reported += 1;
        let registered = h.registered_ms.is_some() || self_resolved;
        if registered {
            f.registered += 1;
            if c.status != Status::Cancelled {
                f.due += 1;
            }
        }
        if c.status == Status::Closed {
            f.closed += 1;
            if self_resolved || h.handled_on_time != Some(false) {
                f.closed_on_time += 1;
            }
        }
        if h.dispatched_ms.is_some() {
            f.dispatched += 1;
            f.postponed += u64::from(c.postpone_count > 0);
            f.returned += u64::from(h.returns > 0);
        }
        if h.handled_ms.is_some() {
            f.handled += 1;
            f.reworked += u64::from(c.rework_count > 0);
            if let Some(m) = h.handling_minutes {
                hours.push(m as f64 / 60.0);
            }
        }
        f.overdue += u64::from(v.is_overdue(now_ms));
        f.postponed_overdue += u64::from(h.overdue_before_postponement);
        f.urges += u64::from(h.urges);
        for (slot, on_time) in steps.iter_mut().zip([
            h.intake_on_time,
            h.dispatch_on_time,
            h.sign_on_time,
            h.verification_on_time,
        ]) {
            if let Some(ok) = on_time {
                slot.0 += u64::from(ok);
                slot.1 += 1;
            }
        }
    }
    f.intake_on_time = steps[0].0;
    f.intake_on_time_rate = rate(steps[0].0, steps[0].1);
    f.dispatch_on_time_rate = rate(steps[1].0, steps[1].1);
    f.sign_on_time_rate = rate(steps[2].0, steps[2].1);
    f.verification_on_time_rate = rate(steps[3].0, steps[3].1);
    f.closure_rate = rate(f.closed, f.due);
    f.on_time_closure_rate = rate(f.closed_on_time, f.due);
    f.rework_rate = rate(f.reworked, f.handled);
    f.postponement_rate = rate(f.postponed, f.dispatched);
    f.return_rate = rate(f.returned, f.dispatched);
    if !hours.is_empty() {
        hours.sort_by(f64::total_cmp);
        f.handling_hours_mean = Some(hours.iter().sum::<f64>() / hours.len() as f64);
        // Nearest rank: the smallest value with at least 90 % of values at or below it.
        let rank = (0.9 * hours.len() as f64).ceil() as usize;
        f.handling_hours_p90 = hours.get(rank.saturating_sub(1)).copied();
    }
    f
}

/// One row per group, in key order, then a `total` row: of full views or of the
/// evaluation copies (see [`input`]), the same figures.
pub fn evaluate<V: Evaluable>(views: &[V], by: GroupBy, now_ms: i64) -> Vec<Row> {
    let all: Vec<Inputs<'_>> = views.iter().map(Evaluable::inputs).collect();
    let mut groups: BTreeMap<Cow<'_, str>, Vec<Inputs<'_>>> = BTreeMap::new();
    for v in &all {
        groups.entry(by.key(v)).or_default().push(*v);
    }
    let mut rows: Vec<Row> = groups
        .into_iter()
        .map(|(key, vs)| Row {
            key: key.into_owned(),
            figures: figures(&vs, now_ms),
            patrols: None,
            sync: None,
        })
        .collect();
    rows.push(Row {
        key: "total".into(),
        figures: figures(&all, now_ms),
        patrols: None,
        sync: None,
    });
    rows
}

/// Adds the patrol figures to `rows` (from [`evaluate`]): each group's to its row, a
/// row with no case figures for a group that only patrolled, the total's to `total`.
/// Without `groups` (department, category), only the total row gets them.
pub fn with_patrols(
    rows: &mut Vec<Row>,
    mut groups: BTreeMap<String, crate::patrol_evaluation::PatrolTotals>,
    total: crate::patrol_evaluation::PatrolTotals,
    grouped: bool,
) {
    let Some(total_row) = rows.pop() else {
        return;
    };
    for row in rows.iter_mut() {
        row.patrols = groups
            .remove(&row.key)
            .or_else(|| grouped.then(Default::default));
    }
    rows.extend(groups.into_iter().map(|(key, p)| Row {
        key,
        figures: Figures::default(),
        patrols: Some(p),
        sync: None,
    }));
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows.push(Row {
        patrols: Some(total),
        ..total_row
    });
}

/// The rows as CSV (RFC 4180; rates as fractions with four decimals, empty when there
/// is nothing to divide by), with a header line.
pub fn to_csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "key,reported,registered,due,closed,closed_on_time,closure_rate,on_time_closure_rate,\
         dispatched,handled,reworked,rework_rate,postponed,postponement_rate,returned,\
         return_rate,overdue,handling_hours_mean,handling_hours_p90,patrols,patrol_distance_m,\
         patrol_duration_s,patrol_moving_time_s,patrol_time_in_area_s,cells_patrolled,\
         patrol_coverage,devices,last_contact_ms,events_waiting,photos_waiting,rejected_events,\
         photos_missing\r\n",
    );
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    for r in rows {
        let f = &r.figures;
        let key = if r.key.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", r.key.replace('"', "\"\""))
        } else {
            r.key.clone()
        };
        let _ = write!(
            out,
            "{key},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            f.reported,
            f.registered,
            f.due,
            f.closed,
            f.closed_on_time,
            opt(f.closure_rate),
            opt(f.on_time_closure_rate),
            f.dispatched,
            f.handled,
            f.reworked,
            opt(f.rework_rate),
            f.postponed,
            opt(f.postponement_rate),
            f.returned,
            opt(f.return_rate),
            f.overdue,
            opt(f.handling_hours_mean),
            opt(f.handling_hours_p90),
            patrol_columns(r.patrols.as_ref()),
            sync_columns(r.sync.as_ref()),
        );
    }
    out
}

/// The sync health columns of a CSV line (empty outside a worker grouping; a figure
/// no device told is empty too).
fn sync_columns(w: Option<&sync::WorkerSync>) -> String {
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    match w {
        None => ",,,,,".into(),
        Some(w) => format!(
            "{},{},{},{},{},{}",
            w.devices,
            opt(w.last_contact_ms),
            opt(w.events_waiting),
            opt(w.photos_waiting),
            w.rejected_events,
            w.photos_missing
        ),
    }
}

/// The patrol columns of a CSV line (empty without patrol figures): distances and
/// times with one decimal, coverage as a fraction with four.
fn patrol_columns(p: Option<&crate::patrol_evaluation::PatrolTotals>) -> String {
    match p {
        None => ",,,,,,".into(),
        Some(p) => format!(
            "{},{:.1},{:.1},{:.1},{:.1},{},{}",
            p.patrols,
            p.distance_m,
            p.duration_s,
            p.moving_time_s,
            p.time_in_area_s,
            p.cells_patrolled,
            p.coverage_share
                .map(|x| format!("{x:.4}"))
                .unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::projection::{fold_case, CaseView};
    use gridwork_core::{
        catalog::Catalog,
        clock::Hlc,
        model::{
            Action, Actor, Event, IncidentEvent, PhotoRef, Report, Role, Stream, GENESIS_HASH,
        },
    };
    use uuid::Uuid;

    /// 2026-11-23, a Monday, 09:00 in K city (UTC+8); the calendar works 08:30–12:00
    /// and 13:30–17:30, and exposed rubbish (06010) has two working hours.
    const MON_9: i64 = 1_795_395_600_000;
    const MIN: i64 = 60_000;

    fn at(hh: i64, mm: i64) -> i64 {
        MON_9 + ((hh - 9) * 60 + mm) * MIN
    }

    fn photo() -> Vec<PhotoRef> {
        vec![PhotoRef {
            sha256: "a".repeat(64),
            size: 1,
            mime: "image/jpeg".into(),
            thumb: None,
        }]
    }

    /// A case in `cell` reported by `worker` at 09:00, then `steps` (role, action,
    /// time), each received when it happened.
    fn case(cell: &str, worker: &str, steps: Vec<(Role, Action, i64)>) -> CaseView {
        let stream = Stream::Incident(Uuid::now_v7());
        let mut events = Vec::new();
        let mut push = |role: Role, user: &str, ev: IncidentEvent, t: i64| {
            events.push((
                Event {
                    id: Uuid::now_v7(),
                    stream,
                    kind: ev.kind().into(),
                    hlc: Hlc::new(t, 0),
                    device_id: format!("{user}-phone"),
                    actor: Actor::new(user, role),
                    device_seq: 1,
                    prev_hash: GENESIS_HASH.into(),
                    payload: ev.payload(),
                    server_seq: None,
                    signature: None,
                },
                t,
            ))
        };
        push(
            Role::Worker,
            worker,
            IncidentEvent::Reported(Report {
                category: "06010".into(),
                lat: 31.3,
                lon: 120.6,
                accuracy_m: None,
                description: "rubbish".into(),
                address: None,
                urgency: Default::default(),
                photos: vec![],
                cell: Some(cell.into()),
                patrol: None,
            }),
            MON_9,
        );
        for (role, action, t) in steps {
            let user = match role {
                Role::Worker => worker,
                Role::Supervisor => "wang",
                _ => "chen",
            };
            push(role, user, IncidentEvent::Acted(action), t);
        }
        let catalog = Catalog::from_json(include_str!("../../data/kcity-catalog.json")).unwrap();
        fold_case(&events, cell, Some(&catalog)).unwrap()
    }

    fn register(t: i64) -> (Role, Action, i64) {
        (Role::Supervisor, Action::Register { note: None }, t)
    }
    fn dispatch(t: i64) -> (Role, Action, i64) {
        let deadline_ms = at(11, 10);
        (
            Role::Supervisor,
            Action::Dispatch {
                department: "sanitation".into(),
                deadline_ms,
                note: None,
            },
            t,
        )
    }
    fn handle(t: i64) -> (Role, Action, i64) {
        (
            Role::Handler,
            Action::Handle {
                note: None,
                photos: photo(),
            },
            t,
        )
    }
    fn verify(pass: bool, t: i64) -> (Role, Action, i64) {
        let action = if pass {
            Action::VerifyPass {
                note: None,
                photos: vec![],
                position: None,
            }
        } else {
            Action::VerifyFail {
                reason: "still there".into(),
                photos: vec![],
                position: None,
            }
        };
        (Role::Worker, action, t)
    }
    fn close(t: i64) -> (Role, Action, i64) {
        (Role::Supervisor, Action::Close { note: None }, t)
    }
    fn cancel(t: i64) -> (Role, Action, i64) {
        (
            Role::Supervisor,
            Action::Cancel {
                reason: "not a case".into(),
            },
            t,
        )
    }

    /// Eight cases whose figures were counted by hand (docs/evaluation.md).
    fn fixture() -> Vec<CaseView> {
        let a = "32050800100101"; // Lanxi St
        let b = "32050800200101"; // Qiaonan St
        vec![
            // 1: on time, 1 h.
            case(
                a,
                "li",
                vec![
                    register(at(9, 5)),
                    dispatch(at(9, 10)),
                    handle(at(10, 10)),
                    verify(true, at(10, 30)),
                    close(at(10, 40)),
                ],
            ),
            // 2: late (feedback 13:40, deadline 11:10), 3 working hours.
            case(
                a,
                "li",
                vec![
                    register(at(9, 5)),
                    dispatch(at(9, 10)),
                    handle(at(13, 40)),
                    verify(true, at(14, 0)),
                    close(at(14, 10)),
                ],
            ),
            // 3: reworked, last feedback 10:40 on time, 1.5 h.
            case(
                a,
                "zhao",
                vec![
                    register(at(9, 5)),
                    dispatch(at(9, 10)),
                    handle(at(9, 40)),
                    verify(false, at(9, 50)),
                    handle(at(10, 40)),
                    verify(true, at(10, 50)),
                    close(at(11, 0)),
                ],
            ),
            // 4: postponed by one working hour (to 13:40), still with the department.
            case(
                a,
                "zhao",
                vec![
                    register(at(9, 5)),
                    dispatch(at(9, 10)),
                    (
                        Role::Supervisor,
                        Action::Postpone {
                            reason: "crane".into(),
                            deadline_ms: at(13, 40),
                        },
                        at(9, 30),
                    ),
                ],
            ),
            // 5: refused at intake (不予立案).
            case(a, "li", vec![cancel(at(9, 5))]),
            // 6: fixed on the spot.
            case(
                b,
                "sun",
                vec![(
                    Role::Worker,
                    Action::SelfResolve {
                        note: None,
                        photos: photo(),
                    },
                    at(9, 5),
                )],
            ),
            // 7: dispatched, returned to the centre.
            case(
                b,
                "sun",
                vec![
                    register(at(9, 5)),
                    dispatch(at(9, 10)),
                    (
                        Role::Supervisor,
                        Action::Return {
                            reason: "not ours".into(),
                        },
                        at(9, 20),
                    ),
                ],
            ),
            // 8: registered, then cancelled.
            case(b, "sun", vec![register(at(9, 5)), cancel(at(9, 30))]),
        ]
    }

    #[test]
    fn the_fixture_counts_as_by_hand() {
        let rows = evaluate(&fixture(), GroupBy::Street, at(18, 0));
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["320508001", "320508002", "total"]);
        let t = &rows[2].figures;
        assert_eq!(
            (t.reported, t.registered, t.due, t.closed, t.closed_on_time),
            (8, 7, 6, 4, 3)
        );
        assert_eq!(t.closure_rate, Some(4.0 / 6.0));
        assert_eq!(t.on_time_closure_rate, Some(0.5));
        assert_eq!((t.dispatched, t.handled, t.reworked), (5, 3, 1));
        assert_eq!(t.rework_rate, Some(1.0 / 3.0));
        assert_eq!((t.postponed, t.returned, t.overdue), (1, 1, 1));
        assert_eq!(t.postponement_rate, Some(0.2));
        assert_eq!(t.return_rate, Some(0.2));
        let mean = t.handling_hours_mean.unwrap();
        assert!((mean - 5.5 / 3.0).abs() < 1e-9, "{mean}");
        assert_eq!(t.handling_hours_p90, Some(3.0));
        let a = &rows[0].figures;
        assert_eq!(
            (
                a.reported,
                a.registered,
                a.due,
                a.closed,
                a.closed_on_time,
                a.overdue
            ),
            (5, 4, 4, 3, 2, 1)
        );
        let b = &rows[1].figures;
        assert_eq!(
            (
                b.reported,
                b.registered,
                b.due,
                b.closed,
                b.closed_on_time,
                b.returned,
                b.handled
            ),
            (3, 3, 2, 1, 1, 1, 0)
        );
        assert_eq!(b.rework_rate, None, "nothing handled: no rate");
        // Before the postponed deadline (13:40) case 4 is not overdue yet.
        assert_eq!(
            evaluate(&fixture(), GroupBy::Street, at(13, 0))[2]
                .figures
                .overdue,
            0
        );
    }

    #[test]
    fn groups_by_worker_department_and_category_and_writes_csv() {
        let rows = evaluate(&fixture(), GroupBy::Worker, at(18, 0));
        let by: BTreeMap<_, _> = rows
            .iter()
            .map(|r| (r.key.as_str(), r.figures.reported))
            .collect();
        assert_eq!(
            by,
            BTreeMap::from([("li", 3), ("sun", 3), ("zhao", 2), ("total", 8)])
        );
        let rows = evaluate(&fixture(), GroupBy::Department, at(18, 0));
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["(not dispatched)", "sanitation", "total"]);
        let csv = to_csv(&evaluate(&fixture(), GroupBy::Category, at(18, 0)));
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("key,reported,registered,due,closed"));
        assert_eq!(
            lines[1],
            "06010,8,7,6,4,3,0.6667,0.5000,5,3,1,0.3333,1,0.2000,1,0.2000,1,1.8333,3.0000,,,,,,,,,,,,,"
        );
        assert!(lines[2].starts_with("total,8,"));
        assert!("fly".parse::<GroupBy>().is_err());
    }

    #[test]
    fn integration_accounts_are_no_workers() {
        // A resident's report filed by the Open311 integration account (device
        // `open311:city-portal`, role integration), and a hotline call entered by the
        // supervisor: neither is a worker's.
        let mut resident = case("320508001001", "city-portal", vec![register(at(9, 5))]);
        resident.case.reporter = Actor::new("city-portal", Role::Integration);
        resident.source = Source::Resident;
        let mut hotline = case("320508001001", "wang", vec![]);
        hotline.case.reporter = Actor::new("wang", Role::Supervisor);
        hotline.source = Source::Hotline;
        let mut views = fixture();
        views.extend([resident, hotline]);
        let rows = evaluate(&views, GroupBy::Worker, at(18, 0));
        let by: BTreeMap<_, _> = rows
            .iter()
            .map(|r| (r.key.as_str(), r.figures.reported))
            .collect();
        assert_eq!(
            by,
            BTreeMap::from([
                ("(source: hotline)", 1),
                ("(source: resident)", 1),
                ("li", 3),
                ("sun", 3),
                ("zhao", 2),
                ("total", 10),
            ])
        );
        assert!(
            !by.contains_key("city-portal"),
            "no worker row for the account"
        );
    }

    #[test]
    fn the_evaluation_copy_counts_as_the_full_view() {
        let views = fixture();
        let slim: Vec<EvalCase> = views.iter().map(|v| copy::slim(v).unwrap()).collect();
        assert_eq!(
            slim.iter().map(|c| c.id).collect::<Vec<_>>(),
            views.iter().map(|v| v.case.id).collect::<Vec<_>>()
        );
        for by in [
            GroupBy::District,
            GroupBy::Street,
            GroupBy::Community,
            GroupBy::Cell,
            GroupBy::Department,
            GroupBy::Category,
            GroupBy::Worker,
        ] {
            for now in [at(13, 0), at(18, 0)] {
                assert_eq!(
                    evaluate(&slim, by, now),
                    evaluate(&views, by, now),
                    "{by:?}"
                );
            }
        }
    }

    #[test]
    fn patrol_figures_join_the_rows_and_the_csv() {
        use crate::patrol_evaluation::{patrol_figures, tests as p};
        let grid = p::fixture_grid();
        let patrols = p::fixture_patrols(&grid);
        let mut rows = evaluate(&fixture(), GroupBy::Worker, at(18, 0));
        let (groups, total) =
            patrol_figures(&patrols, GroupBy::Worker, &[String::new()], Some(&grid));
        with_patrols(&mut rows, groups, total, true);
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["li", "sun", "zhao", "total"]);
        let li = rows[0].patrols.as_ref().unwrap();
        assert_eq!((rows[0].figures.reported, li.patrols), (3, 2));
        assert_eq!(
            rows[1].patrols.as_ref().unwrap().patrols,
            0,
            "sun did not patrol"
        );
        assert_eq!(rows[3].patrols.as_ref().unwrap().patrols, 3);
        let csv = to_csv(&rows);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].ends_with(",patrols,patrol_distance_m,patrol_duration_s,patrol_moving_time_s,patrol_time_in_area_s,cells_patrolled,patrol_coverage,devices,last_contact_ms,events_waiting,photos_waiting,rejected_events,photos_missing"));
        assert!(lines[1].starts_with("li,3,"), "{csv}");
        // The sync columns are empty without sync figures.
        let li_line = lines[1].strip_suffix(",,,,,,").unwrap();
        let li_cols: Vec<&str> = li_line.rsplitn(8, ',').collect();
        // Reversed: coverage, cells, time in area, moving, duration, distance, patrols.
        assert_eq!(
            li_cols[..5],
            ["1.0000", "1", "300.0", "300.0", "300.0"],
            "{csv}"
        );
        assert!(
            (li_cols[5].parse::<f64>().unwrap() - 300.0).abs() < 3.0,
            "{csv}"
        );
        assert_eq!(li_cols[6], "2", "{csv}");
        assert!(lines[2].ends_with(",0,0.0,0.0,0.0,0.0,0,,,,,,,"), "{csv}");
        // A worker who only patrolled gets a row of their own.
        let mut rows = evaluate(&fixture()[..1], GroupBy::Worker, at(18, 0));
        let (groups, total) =
            patrol_figures(&patrols, GroupBy::Worker, &[String::new()], Some(&grid));
        with_patrols(&mut rows, groups, total, true);
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["li", "zhao", "total"]);
        assert_eq!(rows[1].figures.reported, 0);
        // By department: the total alone has patrol figures.
        let mut rows = evaluate(&fixture(), GroupBy::Department, at(18, 0));
        let (groups, total) =
            patrol_figures(&patrols, GroupBy::Department, &[String::new()], Some(&grid));
        with_patrols(&mut rows, groups, total, false);
        assert!(rows[0].patrols.is_none());
        assert_eq!(rows.last().unwrap().patrols.as_ref().unwrap().patrols, 3);
    }
}
