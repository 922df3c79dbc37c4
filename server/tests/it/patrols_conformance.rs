//! The server's patrol view on every backend (run by the `conformance!` macro in
//! conformance.rs): the core's fold and figures, updated by each push, a rebuild equal
//! to it, and patrol lists kept to the scope with filters and keyset pages.

use crate::common::*;
use gridwork_core::{
    geo::Grid,
    model::{Event, Role, Stream},
    patrol::{Fix, FixFlags, PatrolStatus, Provider, TrackPoint},
    sync::wire::PushOutcome,
};
use gridwork_server::{
    account::Account,
    patrol_query::{self, PatrolFilter},
    patrols::fold_patrol_view,
    storage::Storage,
};
use std::{collections::BTreeSet, sync::Arc};
use uuid::Uuid;

pub const GRID_TEXT: &str = include_str!("../../../data/kcity-grid.geojson");

/// A walk east through the middle of `cell` at 1.2 m/s, one synced point every 5 s,
/// starting `from_s` seconds after `t0`.
pub fn walk(grid: &Grid, cell: &str, t0: i64, from_s: i64, n: i64) -> Vec<TrackPoint> {
    let c = grid.cell(cell).unwrap();
    // The mean of the ring's corners: the middle of the sample city's four-sided cells.
    let ring: Vec<_> = c.polygon.exterior().coords().skip(1).collect();
    let n_c = ring.len() as f64;
    let (cx, cy) = (
        ring.iter().map(|p| p.x).sum::<f64>() / n_c,
        ring.iter().map(|p| p.y).sum::<f64>() / n_c,
    );
    let m_per_deg = 111_320.0 * cy.to_radians().cos();
    (0..n)
        .map(|k| {
            let s = from_s + 5 * k;
            TrackPoint::new(Fix {
                time_ms: t0 + s * 1000,
                lat: cy,
                lon: cx - 0.001 + s as f64 * 1.2 / m_per_deg,
                accuracy_m: 5.0,
                speed_mps: None,
                bearing_deg: None,
                altitude_m: None,
                provider: Provider::Gps,
                mock: false,
            })
        })
        .collect()
}

fn track(points: &[TrackPoint], fixes: usize) -> serde_json::Value {
    serde_json::json!({"fixes": fixes, "points": points, "tolerance_m": 5.0})
}

async fn push_ok(s: &dyn Storage, who: &Account, events: Vec<Event>) {
    for o in s.push(who, events).await.unwrap() {
        assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
    }
}

fn filter(who: &Account, params: &[(&str, &str)]) -> PatrolFilter {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    patrol_query::parse(&pairs, who).unwrap()
}

async fn listed(s: &dyn Storage, who: &Account, params: &[(&str, &str)]) -> Vec<Uuid> {
    let page = s.list_patrols(&filter(who, params)).await.unwrap();
    assert!(!page.more, "{params:?}: fits one page");
    page.patrols.iter().map(|p| p.view.id).collect()
}

pub async fn the_patrol_view_is_the_cores_fold_and_a_rebuild_equals_it(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    gridwork_server::admin::import_grid(s.as_ref(), GRID_TEXT)
        .await
        .unwrap();
    let grid = Grid::from_geojson(GRID_TEXT).unwrap();
    let (li, zhao) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "zhao").await,
    );
    let cell = "32050800100101";
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let id = Uuid::now_v7();
    let patrol = Stream::Patrol(id);
    let t0 = phone.wall;
    let start = phone.event(
        patrol,
        "patrol.started",
        serde_json::json!({"cells": [cell], "started_at_ms": t0}),
    );
    let mut first = walk(&grid, cell, t0, 0, 30);
    first[7].flags = FixFlags::SPEED;
    let one = phone.event(patrol, "patrol.track", track(&first, 150));
    push_ok(s.as_ref(), &li, vec![start.clone(), one.clone()]).await;
    let early = s.patrol(id).await.unwrap().unwrap();
    assert_eq!(early.view.status, PatrolStatus::Active);
    assert_eq!(early.view.fix_count, 150);
    assert_eq!(early.points.len(), 30);

    // The rest arrives in a later push: the view follows.
    let second = walk(&grid, cell, t0, 150, 30);
    let two = phone.event(patrol, "patrol.track", track(&second, 150));
    let check_in = phone.event(
        patrol,
        "patrol.checkin",
        serde_json::json!({"time_ms": t0 + 200_000, "lat": second[0].fix.lat,
            "lon": second[0].fix.lon, "note": "shop 12"}),
    );
    let finish = phone.event(
        patrol,
        "patrol.finished",
        serde_json::json!({"finished_at_ms": t0 + 295_000}),
    );
    let rest = vec![two, check_in, finish];
    push_ok(s.as_ref(), &li, rest.clone()).await;
    // Someone else's step on li's patrol is refused and changes nothing.
    let mut stranger = Device::new("phone-zhao", "zhao", Role::Worker);
    let bogus = stranger.event(patrol, "patrol.paused", serde_json::json!({}));
    assert!(matches!(
        s.push(&zhao, vec![bogus]).await.unwrap()[0],
        PushOutcome::Rejected { .. }
    ));

    let p = s.patrol(id).await.unwrap().unwrap();
    let v = &p.view;
    assert_eq!(
        (v.worker.as_str(), v.device_id.as_str()),
        ("li", "phone-li")
    );
    assert_eq!(v.status, PatrolStatus::Finished);
    assert_eq!(
        (v.started_at_ms, v.finished_at_ms),
        (t0, Some(t0 + 295_000))
    );
    assert_eq!((v.fix_count, v.synced_points), (300, 60));
    assert_eq!(v.figures.stats.fix_count, 300);
    assert_eq!(v.figures.integrity.flagged, 1);
    assert!(v.figures.stats.distance_m > 300.0, "{:?}", v.figures.stats);
    assert_eq!(v.figures.coverage.len(), 1);
    assert!(v.figures.coverage[0].covered_share > 0.0);
    assert_eq!(v.figures.time_in_cells[0].cell_id, cell);
    assert_eq!(v.check_ins.len(), 1);
    assert!(v.received_ms > 0 && v.updated_ms >= v.received_ms);
    // Exactly the core's fold and figures of the accepted events.
    let mut accepted: Vec<(Event, i64)> = vec![(start, v.received_ms), (one, v.received_ms)];
    accepted.extend(rest.into_iter().map(|e| (e, v.updated_ms)));
    let direct = fold_patrol_view(id, &accepted, Some(&grid)).unwrap();
    assert_eq!(direct.view, *v);
    assert_eq!(direct.points, p.points);

    // zhao's patrol in his own street.
    let mut other = Device::new("phone-zhao-2", "zhao", Role::Worker);
    let theirs = Stream::Patrol(Uuid::now_v7());
    let z0 = other.wall;
    let zs = vec![
        other.event(
            theirs,
            "patrol.started",
            serde_json::json!({"cells": ["32050800200101"]}),
        ),
        other.event(
            theirs,
            "patrol.track",
            track(&walk(&grid, "32050800200101", z0, 0, 10), 50),
        ),
    ];
    push_ok(s.as_ref(), &zhao, zs).await;
    let views = s.patrol_views().await.unwrap();
    assert_eq!(views.len(), 2);
    let z = views.iter().find(|v| v.id == theirs.id()).unwrap();
    assert_eq!(
        (z.worker.as_str(), z.status),
        ("zhao", PatrolStatus::Active)
    );
    assert_eq!(s.patrol(Uuid::now_v7()).await.unwrap(), None);

    // Rebuilt from the events, the view is the same.
    assert_eq!(s.rebuild_patrols().await.unwrap(), 2);
    assert_eq!(s.patrol_views().await.unwrap(), views);
    assert_eq!(s.patrol(id).await.unwrap().unwrap(), p);
}

pub async fn patrol_lists_keep_to_the_scope_filter_and_page(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    gridwork_server::admin::import_grid(s.as_ref(), GRID_TEXT)
        .await
        .unwrap();
    let grid = Grid::from_geojson(GRID_TEXT).unwrap();
    let (li, zhao, wang) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "zhao").await,
        account(s.as_ref(), "wang").await,
    );
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut other = Device::new("phone-zhao", "zhao", Role::Worker);
    // zhao's patrols start after all of li's.
    other.wall += 100 * 3_600_000;
    let mut ids = Vec::new();
    let mut starts = Vec::new();
    // Five of li's patrols in Lanxi St (cells 01 and 02 of community 001), two of zhao's.
    for k in 0..7 {
        let (d, who, cell) = if k < 5 {
            let cell = if k % 2 == 0 {
                "32050800100101"
            } else {
                "32050800100102"
            };
            (&mut phone, &li, cell)
        } else {
            (&mut other, &zhao, "32050800200101")
        };
        d.wall += 3_600_000;
        let t0 = d.wall;
        let p = Stream::Patrol(Uuid::now_v7());
        let events = vec![
            d.event(
                p,
                "patrol.started",
                serde_json::json!({"cells": [cell], "started_at_ms": t0}),
            ),
            d.event(p, "patrol.track", track(&walk(&grid, cell, t0, 0, 12), 60)),
        ];
        push_ok(s.as_ref(), who, events).await;
        ids.push(p.id());
        starts.push(t0);
    }
    let set = |v: Vec<Uuid>| v.into_iter().collect::<BTreeSet<_>>();
    let all: BTreeSet<Uuid> = ids.iter().copied().collect();
    assert_eq!(set(listed(s.as_ref(), &wang, &[]).await), all);
    assert_eq!(
        set(listed(s.as_ref(), &li, &[]).await),
        set(ids[..5].to_vec())
    );
    assert_eq!(
        set(listed(s.as_ref(), &zhao, &[]).await),
        set(ids[5..].to_vec())
    );
    assert_eq!(
        set(listed(s.as_ref(), &wang, &[("area", "320508002")]).await),
        set(ids[5..].to_vec())
    );
    assert_eq!(
        set(listed(s.as_ref(), &wang, &[("cell", "32050800100102")]).await),
        set(vec![ids[1], ids[3]])
    );
    assert_eq!(
        set(listed(s.as_ref(), &wang, &[("worker", "zhao")]).await),
        set(ids[5..].to_vec())
    );
    let (from, to) = (starts[1].to_string(), starts[3].to_string());
    assert_eq!(
        set(listed(
            s.as_ref(),
            &wang,
            &[("started_from", &from), ("started_to", &to)]
        )
        .await),
        set(vec![ids[1], ids[2]])
    );
    // Newest start first, in pages of two without gaps or repeats.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut params = vec![("limit", "2".to_string())];
        if let Some(n) = &next {
            params.push(("next", n.clone()));
        }
        let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = s.list_patrols(&filter(&wang, &refs)).await.unwrap();
        assert!(page.patrols.len() <= 2);
        assert!(
            page.patrols.iter().all(|p| p.points.is_empty()),
            "no points unless asked"
        );
        seen.extend(page.patrols.iter().map(|p| p.view.id));
        let Some(last) = page.patrols.last().filter(|_| page.more) else {
            break;
        };
        next = Some(
            gridwork_server::query::Cursor {
                received_ms: last.view.started_at_ms,
                id: last.view.id,
            }
            .encode(),
        );
    }
    let newest_first: Vec<Uuid> = ids.iter().rev().copied().collect();
    assert_eq!(seen, newest_first);
    let with_track = s
        .list_patrols(&filter(&wang, &[("track", "true"), ("limit", "1")]))
        .await
        .unwrap();
    assert_eq!(with_track.patrols[0].points.len(), 12);
    // Evaluation reads the patrols started in a period within an area.
    let started = s
        .patrols_started("320508001", starts[0], starts[2])
        .await
        .unwrap();
    assert_eq!(
        started.iter().map(|p| p.view.id).collect::<Vec<_>>(),
        vec![ids[0], ids[1]]
    );
    assert_eq!(started[0].points.len(), 12);
    assert_eq!(s.patrols_started("", 0, i64::MAX).await.unwrap().len(), 7);
}
