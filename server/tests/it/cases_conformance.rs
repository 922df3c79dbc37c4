//! The supervisor API's case lists on every backend (run by the `conformance!` macro in
//! conformance.rs): scope, each filter, CJK search, keyset pages, the server's overdue.

use crate::common::*;
use gridwork_core::{
    model::{Action, Event, Role, Stream},
    sync::wire::PushOutcome,
};
use gridwork_server::{
    account::Account,
    query::{self, CaseFilter, Cursor},
    storage::Storage,
};
use std::{collections::BTreeSet, sync::Arc};
use uuid::Uuid;

const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The filter the API would make of these parameters for `who`.
fn filter(who: &Account, params: &[(&str, &str)]) -> CaseFilter {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    query::parse(&pairs, who, now_ms()).unwrap()
}

async fn ids(s: &dyn Storage, who: &Account, params: &[(&str, &str)]) -> BTreeSet<Uuid> {
    let page = s.list_cases(&filter(who, params)).await.unwrap();
    assert!(!page.more, "{params:?}: fits one page");
    page.views.iter().map(|v| v.case.id).collect()
}

async fn push_all(s: &dyn Storage, who: &Account, events: Vec<Event>) {
    for o in s.push(who, events).await.unwrap() {
        assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
    }
}

fn set(streams: &[&Stream]) -> BTreeSet<Uuid> {
    streams.iter().map(|s| s.id()).collect()
}

pub async fn case_lists_keep_to_the_scope_and_filter_in_sql(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let (li, zhao, wang, chen) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "zhao").await,
        account(s.as_ref(), "wang").await,
        account(s.as_ref(), "chen").await,
    );
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut other = Device::new("phone-zhao", "zhao", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let bin = phone.report(Some("32050800101"));
    let rubbish = phone.report_with(Some("32050800102"), |r| {
        r.description = "暴露垃圾堆在桥边".into();
        r.address = Some("Renmin Road 5".into());
    });
    let cover = phone.report_with(Some("32050800101"), |r| {
        r.category = "01001".into();
        r.description = "Manhole COVER missing".into();
    });
    let theirs = other.report_with(Some("32050800201"), |r| {
        r.description = "桥下垃圾".into();
    });
    let (bin_s, rubbish_s, cover_s, theirs_s) =
        (bin.stream, rubbish.stream, cover.stream, theirs.stream);
    push_all(s.as_ref(), &zhao, vec![theirs]).await;
    // Received a moment later than zhao's report.
    let early = now_ms() + 1;
    while now_ms() <= early {
        tokio::task::yield_now().await;
    }
    push_all(s.as_ref(), &li, vec![bin, rubbish, cover]).await;
    let (bin, rubbish, cover, theirs) = (bin_s, rubbish_s, cover_s, theirs_s);
    let dispatch = Action::Dispatch {
        department: "water".into(),
        deadline_ms: now_ms() + 3_600_000,
        note: None,
    };
    push_all(
        s.as_ref(),
        &wang,
        vec![
            tablet.act(cover, register()),
            tablet.act(cover, dispatch),
            tablet.act(bin, register()),
        ],
    )
    .await;

    // Scope: each worker sees their street, the supervisor everything, the handler
    // (departments become actors in issue 10) its scope.
    assert_eq!(
        ids(s.as_ref(), &li, &[]).await,
        set(&[&bin, &rubbish, &cover])
    );
    assert_eq!(ids(s.as_ref(), &zhao, &[]).await, set(&[&theirs]));
    let all = set(&[&bin, &rubbish, &cover, &theirs]);
    assert_eq!(ids(s.as_ref(), &wang, &[]).await, all);
    assert_eq!(ids(s.as_ref(), &chen, &[]).await, all);
    // Area.
    assert_eq!(
        ids(s.as_ref(), &wang, &[("area", "32050800101")]).await,
        set(&[&bin, &cover])
    );
    assert_eq!(
        ids(s.as_ref(), &li, &[("area", "32050800102")]).await,
        set(&[&rubbish])
    );
    assert!(ids(s.as_ref(), &wang, &[("area", "32050800103")])
        .await
        .is_empty());
    // Status, category, department.
    assert_eq!(
        ids(s.as_ref(), &wang, &[("status", "reported")]).await,
        set(&[&rubbish, &theirs])
    );
    assert_eq!(
        ids(s.as_ref(), &wang, &[("status", "registered,dispatched")]).await,
        set(&[&bin, &cover])
    );
    assert_eq!(
        ids(s.as_ref(), &wang, &[("category", "01001")]).await,
        set(&[&cover])
    );
    assert_eq!(
        ids(s.as_ref(), &wang, &[("department", "water")]).await,
        set(&[&cover])
    );
    assert!(ids(s.as_ref(), &wang, &[("department", "sanitation")])
        .await
        .is_empty());
    // Text: Chinese substrings of two characters, any case, the address too.
    assert_eq!(
        ids(s.as_ref(), &wang, &[("q", "垃圾")]).await,
        set(&[&rubbish, &theirs])
    );
    assert_eq!(
        ids(s.as_ref(), &li, &[("q", "垃圾")]).await,
        set(&[&rubbish])
    );
    assert_eq!(
        ids(s.as_ref(), &wang, &[("q", "桥边")]).await,
        set(&[&rubbish])
    );
    assert_eq!(
        ids(s.as_ref(), &wang, &[("q", "manhole cover")]).await,
        set(&[&cover])
    );
    assert_eq!(
        ids(s.as_ref(), &wang, &[("q", "renmin")]).await,
        set(&[&rubbish])
    );
    assert!(ids(s.as_ref(), &wang, &[("q", "%")]).await.is_empty());
    assert!(ids(s.as_ref(), &wang, &[("q", "_")]).await.is_empty());
    // Received between (the server's receive time, not the devices').
    let from = early.to_string();
    assert_eq!(
        ids(s.as_ref(), &wang, &[("reported_from", &from)]).await,
        set(&[&bin, &rubbish, &cover])
    );
    assert_eq!(
        ids(s.as_ref(), &wang, &[("reported_to", &from)]).await,
        set(&[&theirs])
    );
    // Filters combine.
    assert_eq!(
        ids(
            s.as_ref(),
            &li,
            &[("q", "垃圾"), ("status", "reported"), ("area", "320508001")]
        )
        .await,
        set(&[&rubbish])
    );
    // The timeline's events, in server order with their receive times.
    let events = s.case_events(cover.id()).await.unwrap();
    assert_eq!(events.len(), 3);
    assert!(events
        .windows(2)
        .all(|w| w[0].0.server_seq < w[1].0.server_seq));
    assert!(events.iter().all(|(_, at)| *at >= early));
    assert!(s.case_events(Uuid::now_v7()).await.unwrap().is_empty());
}

pub async fn case_lists_page_without_gaps_or_repeats(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let wang = account(s.as_ref(), "wang").await;
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut before = BTreeSet::new();
    // Several pushes of several reports: many cases share a receive time, so the id
    // decides their order.
    for _ in 0..5 {
        let batch: Vec<Event> = (0..5).map(|_| phone.report(Some("32050800101"))).collect();
        before.extend(batch.iter().map(|e| e.stream.id()));
        push_all(s.as_ref(), &li, batch).await;
    }
    let mut seen = Vec::new();
    let mut last: Option<(i64, Uuid)> = None;
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = vec![("limit", "7".to_string())];
        if let Some(n) = &next {
            params.push(("next", n.clone()));
        }
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = s.list_cases(&filter(&wang, &params)).await.unwrap();
        pages += 1;
        assert!(page.views.len() <= 7);
        for v in &page.views {
            let key = (v.received_ms, v.case.id);
            assert!(last.is_none_or(|l| key < l), "newest first, strictly");
            last = Some(key);
            seen.push(v.case.id);
        }
        if pages == 1 {
            // New cases arrive between pages: they are newer than every listed one, so
            // they belong before the first page and the walk neither skips nor repeats.
            let batch: Vec<Event> = (0..4).map(|_| phone.report(Some("32050800101"))).collect();
            push_all(s.as_ref(), &li, batch).await;
        }
        if !page.more {
            break;
        }
        let v = page.views.last().unwrap();
        next = Some(
            Cursor {
                received_ms: v.received_ms,
                id: v.case.id,
            }
            .encode(),
        );
    }
    assert_eq!(pages, 4, "25 cases in pages of 7");
    assert_eq!(seen.len(), 25, "no repeats");
    assert_eq!(seen.iter().copied().collect::<BTreeSet<_>>(), before);
    // A fresh walk sees all 29; a page of exactly the rest says no more.
    let page = s
        .list_cases(&filter(&wang, &[("limit", "29")]))
        .await
        .unwrap();
    assert_eq!((page.views.len(), page.more), (29, false));
    let page = s
        .list_cases(&filter(&wang, &[("limit", "28")]))
        .await
        .unwrap();
    assert_eq!((page.views.len(), page.more), (28, true));
}

pub async fn overdue_is_the_servers_deadline_by_the_servers_clock(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    gridwork_server::admin::import_catalog(s.as_ref(), CATALOG)
        .await
        .unwrap();
    let li = account(s.as_ref(), "li").await;
    let wang = account(s.as_ref(), "wang").await;
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let (late, waiting) = (
        phone.report(Some("32050800101")),
        phone.report(Some("32050800101")),
    );
    let (late_s, waiting_s) = (late.stream, waiting.stream);
    push_all(s.as_ref(), &li, vec![late, waiting]).await;
    let (late, waiting) = (late_s, waiting_s);
    // The tablet dispatched long ago (its clock is in the past) claiming a deadline ten
    // days from now: by the server's calendar the two working hours ran out long ago.
    let device_deadline = now_ms() + 10 * 24 * 3_600_000;
    push_all(
        s.as_ref(),
        &wang,
        vec![
            tablet.act(late, register()),
            tablet.act(
                late,
                Action::Dispatch {
                    department: "sanitation".into(),
                    deadline_ms: device_deadline,
                    note: None,
                },
            ),
            tablet.act(waiting, register()),
        ],
    )
    .await;
    let view = s.case_view(late.id()).await.unwrap().unwrap();
    assert_eq!(view.case.deadline_ms, Some(device_deadline));
    assert!(!view.case.is_overdue(now_ms()), "by the device it is not");
    assert_eq!(
        ids(s.as_ref(), &wang, &[("overdue", "true")]).await,
        set(&[&late])
    );
    assert_eq!(
        ids(s.as_ref(), &wang, &[("overdue", "false")]).await,
        set(&[&waiting])
    );
    assert_eq!(
        ids(
            s.as_ref(),
            &wang,
            &[("overdue", "true"), ("status", "registered")]
        )
        .await,
        BTreeSet::new()
    );
}
