//! Over HTTP with the reference server: a step the server refuses stops counting on the
//! phone that took it, so the phone and a real supervisor's tablet agree; and a
//! worker's patrol reaches the supervisor's tablet with its figures.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    db::ListFilter,
    model::Role,
    patrol::{Fix, Provider},
    store::{ActionKind, ActionRequest, PatrolStatus, SyncState},
    workflow::Status,
};
use gridwork_tests::{Device, TestServer};

const COMMUNITY: &str = "320508001001";
const STREET: &str = "320508001";

#[test]
fn a_register_the_server_refuses_leaves_phone_and_tablet_agreeing_the_case_is_reported() {
    let server = TestServer::start();
    let t_zhao = server.account("zhao", Role::Worker, COMMUNITY);
    let t_wang = server.account("wang", Role::Worker, COMMUNITY);
    let t_li = server.account("li", Role::Supervisor, STREET);
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    // Wang's store claims supervisor; the server knows him as a worker.
    let wang = Device::new("wang", Role::Supervisor, "phone-wang");
    let li = Device::new("li", Role::Supervisor, "tablet-li");
    zhao.login(&server, &t_zhao);
    wang.login(&server, &t_wang);
    li.login(&server, &t_li);

    let case = zhao.store.report(&zhao.draft("overflowing bin")).unwrap();
    assert_eq!(zhao.sync().pushed, 1);
    assert_eq!(wang.sync().pulled, 1);
    wang.store
        .act(case, &ActionRequest::new(ActionKind::Register))
        .unwrap();
    assert_eq!(
        wang.store.case(case).unwrap().case.status,
        Status::Registered
    );
    let r = wang.sync();
    assert_eq!((r.pushed, r.rejected), (0, 1));
    li.sync();

    let on_phone = wang.store.case(case).unwrap();
    let on_tablet = li.store.case(case).unwrap();
    assert_eq!(on_phone.case.status, Status::Reported);
    assert_eq!(on_tablet.case.status, Status::Reported);
    assert_eq!(on_phone.case, on_tablet.case);
    assert_eq!(wang.cases(), li.cases());
    // The phone says what happened to the step, with the server's reason.
    let refused: Vec<_> = on_phone
        .timeline
        .iter()
        .filter_map(|t| match &t.sync {
            SyncState::Rejected(reason) => Some((t.kind.as_str(), reason.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, "incident.registered");
    assert!(refused[0].1.contains("another role"), "{}", refused[0].1);
    let listed = wang
        .store
        .list_all(&ListFilter {
            rejected: true,
            ..ListFilter::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, case);
    assert_eq!(
        wang.store.counts(&ListFilter::default()).unwrap(),
        li.store.counts(&ListFilter::default()).unwrap()
    );

    // The real supervisor registers: no conflict on the phone, same case everywhere.
    li.store
        .act(case, &ActionRequest::new(ActionKind::Register))
        .unwrap();
    assert_eq!(li.sync().pushed, 1);
    wang.sync();
    let on_phone = wang.store.case(case).unwrap().case;
    assert_eq!(on_phone.status, Status::Registered);
    assert!(on_phone.conflicts.is_empty());
    assert_eq!(wang.cases(), li.cases());
}

#[test]
fn a_workers_patrol_reaches_the_supervisors_tablet_with_its_figures() {
    let server = TestServer::start();
    let t_wang = server.account("wang", Role::Worker, COMMUNITY);
    let t_li = server.account("li", Role::Supervisor, STREET);
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    let li = Device::new("li", Role::Supervisor, "tablet-li");
    wang.login(&server, &t_wang);
    li.login(&server, &t_li);

    let grid = wang.store.grid().unwrap();
    let cell = grid
        .cells()
        .iter()
        .find(|c| c.code.as_str().starts_with(COMMUNITY))
        .unwrap();
    let code = cell.code.as_str().to_string();
    let centre = geo::Centroid::centroid(&cell.polygon).unwrap();
    let id = wang
        .store
        .start_patrol(std::slice::from_ref(&code))
        .unwrap();
    let t0 = wang.store.now_ms();
    let m_per_deg_lon = 111_320.0 * centre.y().to_radians().cos();
    let fixes: Vec<Fix> = (0..240)
        .map(|s| Fix {
            time_ms: t0 + s * 1000,
            lat: centre.y(),
            lon: centre.x() - 0.0015 + s as f64 * 1.2 / m_per_deg_lon,
            accuracy_m: 5.0,
            speed_mps: None,
            bearing_deg: None,
            altitude_m: None,
            provider: Provider::Gps,
            mock: false,
        })
        .collect();
    for batch in fixes.chunks(10) {
        wang.store.add_fixes(id, batch.to_vec()).unwrap();
    }
    wang.store
        .check_in(id, centre.y(), centre.x(), Some("shop 12".into()), None)
        .unwrap();
    wang.store.finish_patrol(id).unwrap();
    let own = wang.store.patrol(id).unwrap();
    let r = wang.sync();
    assert_eq!(r.rejected, 0);
    assert!(r.pushed >= 4);

    assert!(li.sync().pulled >= 4);
    let list = li.store.patrols().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].id, list[0].worker.as_str()), (id, "wang"));
    assert!(list[0].remote);
    assert_eq!(list[0].status, PatrolStatus::Finished);
    assert_eq!(list[0].fix_count, 240);
    let p = li.store.patrol(id).unwrap();
    assert_eq!(p.worker, "wang");
    assert!(p.remote);
    assert!(p.stats.distance_m > 200.0, "{}", p.stats.distance_m);
    let off = (p.stats.distance_m - own.stats.distance_m).abs() / own.stats.distance_m;
    assert!(
        off < 0.05,
        "{} vs {}",
        p.stats.distance_m,
        own.stats.distance_m
    );
    assert_eq!(p.cells, vec![code]);
    assert!(p.coverage[0].covered_share > 0.0);
    assert_eq!(p.check_ins.len(), 1);
    // Syncing again changes nothing.
    li.sync();
    assert_eq!(li.store.patrol(id).unwrap(), p);
}
