//! The centre's posts, departments as actors, applications and approvals, and time
//! limits that follow the rules (issue #10 points 1–3 and 9), on real stores.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{
    model::Role,
    store::{ActionKind::*, ActionRequest},
    workflow::{Status, WorkflowError},
    Error, Store,
};
use rusqlite::Connection;

const HOUR: i64 = 3_600_000;

fn as_(kind: gridwork_core::store::ActionKind, role: Role) -> ActionRequest {
    as_role(act(kind), role)
}

fn noted(kind: gridwork_core::store::ActionKind, role: Role, note: &str) -> ActionRequest {
    as_role(with_note(kind, note), role)
}

fn refused(result: gridwork_core::Result<gridwork_core::workflow::Case>) -> WorkflowError {
    match result {
        Err(Error::Workflow(e)) => e,
        other => panic!("expected a workflow refusal, got {other:?}"),
    }
}

/// A store whose user is `user` in `role`, for `department` when given.
fn device(user: &str, role: Role, department: Option<&str>) -> Device {
    let dev = Device::new(user, role, &format!("phone-{user}"));
    dev.store.set_department(department).unwrap();
    dev
}

#[test]
fn each_post_takes_its_own_steps_and_no_other() {
    let dev = Device::new("li", Role::Worker, "phone-li");
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    // The dispatcher and the shift lead do not register; the intake operator checks
    // and registers, and may not dispatch.
    for role in [Role::Dispatcher, Role::ShiftLead, Role::Handler] {
        let before = snapshot(&dev.store);
        let e = refused(dev.store.act(id, &as_(Register, role)));
        assert!(matches!(e, WorkflowError::NotPermitted { .. }), "{e}");
        assert_eq!(snapshot(&dev.store), before, "nothing written");
    }
    let checked = dev
        .store
        .act(id, &noted(Check, Role::Intake, "confirmed by phone"))
        .unwrap();
    assert!(checked.checked_at_ms.is_some());
    assert_eq!(checked.status, Status::Reported);
    dev.store.act(id, &as_(Register, Role::Intake)).unwrap();
    let e = refused(dev.store.act(id, &as_(Dispatch, Role::Intake)));
    assert_eq!(e.to_string(), "a intake may not dispatch a case");
    // After registration the intake operator may no longer void the case: that is
    // the shift lead's.
    let e = refused(dev.store.act(id, &noted(Cancel, Role::Intake, "dup")));
    assert!(matches!(e, WorkflowError::PostNotPermitted { .. }), "{e}");
    let case = dev.store.act(id, &as_(Dispatch, Role::Dispatcher)).unwrap();
    assert_eq!(case.status, Status::Dispatched);
    // The dispatcher urges; the department sees it on the case.
    let urged = dev
        .store
        .act(id, &noted(Supervise, Role::Dispatcher, "past due soon"))
        .unwrap();
    assert_eq!(urged.urge_count, 1);
    let e = refused(
        dev.store
            .act(id, &noted(Postpone, Role::Dispatcher, "rain")),
    );
    assert!(matches!(e, WorkflowError::NotPermitted { .. }), "{e}");
    dev.store
        .act(id, &noted(Postpone, Role::ShiftLead, "rain"))
        .unwrap();
}

#[test]
fn dispatch_defaults_to_the_categorys_department_and_routes_by_area() {
    let dev = Device::new("li", Role::Worker, "phone-li");
    let (_, _, cell) = dev.point_in_first_cell();
    let v: serde_json::Value = serde_json::from_str(CATALOG).unwrap();
    let other = v["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .find(|d| *d != dev.department())
        .unwrap();
    let v2 = {
        let mut v = v.clone();
        let cats = v["categories"].as_array_mut().unwrap();
        let rubbish = cats.iter_mut().find(|c| c["code"] == "06010").unwrap();
        rubbish["area_departments"] = serde_json::json!({ &cell[..9]: other });
        v
    };
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    dev.store.act(id, &as_(Register, Role::Intake)).unwrap();
    let case = dev.store.act(id, &as_(Dispatch, Role::Dispatcher)).unwrap();
    assert_eq!(case.department, Some(dev.department()));
    dev.store.import_catalog(&v2.to_string()).unwrap();
    let id = dev.store.report(&dev.draft("rubbish again")).unwrap();
    dev.store.act(id, &as_(Register, Role::Intake)).unwrap();
    let case = dev.store.act(id, &as_(Dispatch, Role::Dispatcher)).unwrap();
    assert_eq!(case.department.as_deref(), Some(other.as_str()), "属地");
}

#[test]
fn a_department_acts_only_on_its_own_cases_and_applies_to_the_shift_lead() {
    let dev = device("li", Role::Worker, None);
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    dev.store.act(id, &as_(Register, Role::Intake)).unwrap();
    dev.store.act(id, &as_(Dispatch, Role::Dispatcher)).unwrap();
    let dept = dev.department();

    // Another department's handler: refused, nothing written.
    dev.store.set_department(Some("not-ours")).unwrap();
    let before = snapshot(&dev.store);
    let e = refused(dev.store.act(id, &as_(Sign, Role::Handler)));
    assert!(matches!(e, WorkflowError::WrongDepartment { .. }), "{e}");
    assert_eq!(snapshot(&dev.store), before);

    dev.store.set_department(Some(&dept)).unwrap();
    let signed = dev.store.act(id, &as_(Sign, Role::Handler)).unwrap();
    assert!(signed.signed_at_ms.is_some());
    let detail = dev.store.case(id).unwrap();
    let sign = detail.timeline.last().unwrap();
    assert_eq!(sign.actor.department.as_deref(), Some(dept.as_str()));
    // A department's application changes nothing until the shift lead decides.
    let deadline = signed.deadline_ms.unwrap();
    let applied = dev
        .store
        .act(id, &noted(ApplyPostpone, Role::Handler, "parts on order"))
        .unwrap();
    assert_eq!(applied.deadline_ms, Some(deadline));
    assert_eq!(applied.application.as_ref().unwrap().by, "li");
    let e = refused(dev.store.act(id, &noted(ApplyReturn, Role::Handler, "x")));
    assert_eq!(e, WorkflowError::ApplicationPending);
    // The applicant may not approve their own application, in whatever role.
    let before = snapshot(&dev.store);
    let e = refused(dev.store.act(id, &as_(Approve, Role::ShiftLead)));
    assert!(matches!(e, WorkflowError::OwnApplication { .. }), "{e}");
    assert_eq!(snapshot(&dev.store), before);
    // Another user (the shift lead) approves: the deadline moves.
    dev.store.init("zhou", Role::ShiftLead).unwrap();
    let e = refused(dev.store.act(id, &as_(Approve, Role::Dispatcher)));
    assert!(matches!(e, WorkflowError::NotPermitted { .. }), "{e}");
    let approved = dev.store.act(id, &act(Approve)).unwrap();
    assert!(approved.deadline_ms.unwrap() > deadline);
    assert_eq!(approved.postpone_count, 1);
    assert!(approved.application.is_none());
    assert!(!approved.overdue_before_postponement);
    let e = refused(dev.store.act(id, &noted(Refuse, Role::ShiftLead, "no")));
    assert!(matches!(e, WorkflowError::NoApplication { .. }), "{e}");

    // A return applied for, refused: the case stays with the department.
    dev.store.init("li", Role::Handler).unwrap();
    dev.store.set_department(Some(&dept)).unwrap();
    dev.store
        .act(id, &noted(ApplyReturn, Role::Handler, "not ours"))
        .unwrap();
    dev.store.init("zhou", Role::ShiftLead).unwrap();
    let e = refused(dev.store.act(id, &act(Refuse)));
    assert_eq!(e, WorkflowError::MissingReason { action: "refuse" });
    let case = dev
        .store
        .act(id, &with_note(Refuse, "it is yours"))
        .unwrap();
    assert_eq!(case.status, Status::Dispatched);
    assert_eq!(case.department.as_deref(), Some(dept.as_str()));
}

#[test]
fn a_postponement_after_the_deadline_does_not_rescue_the_case() {
    let dev = Device::new("zhou", Role::Supervisor, "tablet");
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    dev.store.act(id, &act(Register)).unwrap();
    let case = dev.store.act(id, &act(Dispatch)).unwrap();
    dev.clock.set(case.deadline_ms.unwrap() + HOUR);
    let late = dev.store.act(id, &with_note(Postpone, "rain")).unwrap();
    assert!(late.deadline_ms.unwrap() > dev.clock.get());
    assert!(late.overdue_before_postponement);
}

#[test]
fn urgency_selects_the_urgent_limit_and_natural_time_counts_every_hour() {
    let dev = Device::new("zhou", Role::Supervisor, "tablet");
    let mut v: serde_json::Value = serde_json::from_str(CATALOG).unwrap();
    for c in v["categories"].as_array_mut().unwrap() {
        if c["code"] == "06010" {
            c["urgent_time_limit"] = serde_json::json!({"value": 1, "unit": "working_hours"});
            c["natural_time"] = serde_json::json!(true);
        }
    }
    dev.store.import_catalog(&v.to_string()).unwrap();
    let limit = dev
        .store
        .catalog()
        .unwrap()
        .unwrap()
        .get("06010")
        .unwrap()
        .time_limit;
    // Friday 2026-11-27 17:00 local: a working-hours limit would run into Monday.
    let friday_5pm = MONDAY_9AM + 4 * 24 * HOUR + 8 * HOUR;
    dev.clock.set(friday_5pm);
    let mut draft = dev.draft("rubbish");
    let id = dev.store.report(&draft).unwrap();
    dev.store.act(id, &act(Register)).unwrap();
    let case = dev.store.act(id, &act(Dispatch)).unwrap();
    assert_eq!(
        case.deadline_ms,
        Some(friday_5pm + i64::from(limit.value()) * HOUR),
        "natural hours"
    );
    draft.urgency = gridwork_core::model::Urgency::Urgent;
    let id = dev.store.report(&draft).unwrap();
    dev.store.act(id, &act(Register)).unwrap();
    let case = dev.store.act(id, &act(Dispatch)).unwrap();
    assert_eq!(
        case.deadline_ms,
        Some(friday_5pm + HOUR),
        "the urgent limit"
    );
}

/// The schema of version 2, frozen as released (shared with migrations.rs).
const SCHEMA_V2: &str = include_str!("fixtures/schema_v2.sql");

#[test]
fn a_legacy_supervisor_store_keeps_working_as_every_centre_post() {
    // A supervisor's store as an earlier version wrote it: schema 2, role supervisor.
    let wang = Device::new("wang", Role::Supervisor, "tablet-wang");
    let id = wang.store.report(&wang.draft("rubbish")).unwrap();
    wang.store.act(id, &act(Register)).unwrap();
    let src = wang.store.db().path().to_path_buf();
    let old = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(old.path().join("gridwork.db")).unwrap();
        conn.execute_batch(SCHEMA_V2).unwrap();
        conn.execute("ATTACH ?1 AS src", [src.display().to_string()])
            .unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO meta SELECT * FROM src.meta
                WHERE key NOT IN ('signing_key', 'signing_since');
             INSERT INTO events SELECT seq, id, stream, kind, hlc_wall, hlc_counter,
                device_id, actor_user, actor_role, device_seq, prev_hash, hash, payload,
                server_seq, rejected FROM src.events;
             INSERT INTO cells SELECT * FROM src.cells;
             INSERT INTO categories SELECT * FROM src.categories;",
        )
        .unwrap();
    }
    let store = Store::open(old.path()).unwrap();
    assert_eq!(store.identity().unwrap().unwrap().role, Role::Supervisor);
    // Dispatch (the dispatcher's), a postponement (the shift lead's), verification and
    // closing (the intake operator's): the supervisor holds every post.
    store.act(id, &act(Dispatch)).unwrap();
    store.act(id, &with_note(Postpone, "rain")).unwrap();
    store.act(id, &act(Urge)).unwrap();
    let case = store
        .act(id, &with_note(Return, "wrong department"))
        .unwrap();
    assert_eq!(case.status, Status::Registered);
    assert!(store.verify_log().unwrap().is_intact());
}

#[test]
fn verification_on_site_needs_a_photo_and_a_position_and_far_ones_show() {
    let dev = Device::new("li", Role::Worker, "phone-li");
    let mut v: serde_json::Value = serde_json::from_str(CATALOG).unwrap();
    v["centre_limits"] = serde_json::json!({ "verification_radius_m": 100 });
    dev.store.import_catalog(&v.to_string()).unwrap();
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    dev.store.act(id, &as_(Register, Role::Supervisor)).unwrap();
    dev.store.act(id, &as_(Dispatch, Role::Supervisor)).unwrap();
    let mut handle = as_(Handle, Role::Handler);
    handle.photos = vec![dev.photo("after")];
    dev.store.act(id, &handle).unwrap();
    let before = snapshot(&dev.store);
    let (lat, lon, _) = dev.point_in_first_cell();
    // No photo, or no position: refused, nothing written.
    let mut no_photo = act(VerifyPass);
    no_photo.position = Some((lat, lon));
    assert!(matches!(
        dev.store.act(id, &no_photo),
        Err(Error::InvalidInput { .. })
    ));
    let mut no_position = act(VerifyPass);
    no_position.photos = vec![dev.photo("check")];
    assert!(matches!(
        dev.store.act(id, &no_position),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(snapshot(&dev.store), before);
    // A kilometre north: recorded, and far.
    let mut far = act(VerifyFail);
    far.note = Some("still there".into());
    far.photos = vec![dev.photo("check")];
    far.position = Some((lat + 0.009, lon));
    let case = dev.store.act(id, &far).unwrap();
    assert!(case.verification_distance_m.unwrap() > 900.0);
    assert!(case.verification_far(100));
    let mut handle = as_(Handle, Role::Handler);
    handle.photos = vec![dev.photo("after again")];
    dev.store.act(id, &handle).unwrap();
    let mut near = act(VerifyPass);
    near.photos = vec![dev.photo("check again")];
    near.position = Some((lat, lon));
    let case = dev.store.act(id, &near).unwrap();
    assert!(case.verification_distance_m.unwrap() < 1.0);
    assert!(!case.verification_far(100));
}
