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
    // The server figures patrols against its own city grid: the devices' one here.
    server.admin(async |s| {
        gridwork_server::admin::import_grid(s, gridwork_tests::GRID)
            .await
            .unwrap()
    });
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
    // The server folded the same events with the same code against the same grid: the
    // tablet's figures are the server's, to the metre.
    let on_server = server.admin(async |s| s.patrol(id).await.unwrap().unwrap().view);
    assert_eq!(p.stats, on_server.figures.stats);
    assert_eq!(p.coverage, on_server.figures.coverage);
    assert_eq!(p.time_in_cells, on_server.figures.time_in_cells);
    assert_eq!(p.integrity, on_server.figures.integrity);
    assert_eq!(
        (p.status, p.started_at_ms, p.finished_at_ms, p.cells.clone()),
        (
            on_server.status,
            on_server.started_at_ms,
            on_server.finished_at_ms,
            on_server.cells.clone()
        )
    );
    assert_eq!(p.check_ins.len(), on_server.check_ins.len());
    // Syncing again changes nothing.
    li.sync();
    assert_eq!(li.store.patrol(id).unwrap(), p);
}

/// A `patrol.track` whose payload the fold cannot read (the server accepts any payload
/// of a patrol's own worker) is skipped on the tablet and on the server alike, instead
/// of failing every pull of the tablet from then on.
#[test]
fn a_patrol_event_nobody_can_read_does_not_stop_a_tablets_pulls() {
    use gridwork_core::{
        clock::Hlc,
        model::{Actor, Event, Stream, GENESIS_HASH},
    };
    let server = TestServer::start();
    server.account("wang", Role::Worker, COMMUNITY);
    let t_li = server.account("li", Role::Supervisor, STREET);
    let li = Device::new("li", Role::Supervisor, "tablet-li");
    li.login(&server, &t_li);
    let grid = li.store.grid().unwrap();
    let code = grid.cells_with_prefix(COMMUNITY)[0]
        .code
        .as_str()
        .to_string();
    let id = uuid::Uuid::now_v7();
    let now = li.store.now_ms();
    let mut prev = GENESIS_HASH.to_string();
    let events: Vec<Event> = [
        (
            "patrol.started",
            serde_json::json!({"cells": [code], "started_at_ms": now}),
        ),
        (
            "patrol.track",
            serde_json::json!({"fixes": 3, "points": [[1, 2, 3]]}),
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (kind, payload))| {
        let e = Event {
            id: uuid::Uuid::now_v7(),
            stream: Stream::Patrol(id),
            kind: kind.into(),
            hlc: Hlc::new(now + i as i64, 0),
            device_id: "phone-wang".into(),
            actor: Actor::new("wang", Role::Worker),
            device_seq: i as u64 + 1,
            prev_hash: prev.clone(),
            payload,
            server_seq: None,
            signature: None,
        };
        prev = e.hash();
        e
    })
    .collect();
    let outcomes = server.admin(async |s| {
        let wang = s.account("wang").await.unwrap().unwrap();
        s.push(&wang, events).await.unwrap()
    });
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, gridwork_core::sync::wire::PushOutcome::Accepted { .. })));

    assert_eq!(li.sync().pulled, 2);
    let list = li.store.patrols().unwrap();
    assert_eq!((list.len(), list[0].id), (1, id));
    assert_eq!(list[0].status, PatrolStatus::Active);
    let on_server = server.admin(async |s| s.patrol(id).await.unwrap().unwrap().view);
    assert_eq!(on_server.malformed_events, 1);
    assert_eq!(li.store.patrol(id).unwrap().stats, on_server.figures.stats);
}
