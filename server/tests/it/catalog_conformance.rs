//! An old-scheme catalogue, whose components and events share codes, on every backend
//! (run by the `conformance!` macro in conformance.rs): reports name a shared code with
//! its kind, a bare shared code or an unknown kind is rejected, and the judge, the
//! projection's deadlines and the category filter keep the two kinds apart.

use crate::common::*;
use gridwork_core::{
    model::{Action, Role},
    sync::wire::PushOutcome,
};
use gridwork_server::{
    admin,
    api::catalog::canonical_category,
    query::{self, CaseFilter},
    storage::Storage,
};
use std::sync::Arc;

const OLD: &str = include_str!("../../../data/oldscheme-catalog.json");

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn filter(who: &gridwork_server::account::Account, category: &str) -> CaseFilter {
    let pairs = vec![("category".to_string(), category.to_string())];
    query::parse(&pairs, who, now_ms()).unwrap()
}

pub async fn old_scheme_codes_stay_apart_by_kind(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    admin::import_catalog(s.as_ref(), OLD).await.unwrap();
    let (li, wang) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "wang").await,
    );
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let cover = phone.report_with(Some("32050800101"), |r| {
        r.category = "component/0102".into()
    });
    let spoil = phone.report_with(Some("32050800101"), |r| r.category = "event/0102".into());
    let (cover_s, spoil_s) = (cover.stream, spoil.stream);
    let out = s.push(&li, vec![cover, spoil]).await.unwrap();
    assert!(
        out.iter()
            .all(|o| matches!(o, PushOutcome::Accepted { .. })),
        "{out:?}"
    );

    // A bare shared code and an unknown kind are rejected with their reasons.
    let bare = phone.report_with(Some("32050800101"), |r| r.category = "0102".into());
    let out = s.push(&li, vec![bare]).await.unwrap();
    let PushOutcome::Rejected { reason } = &out[0] else {
        panic!("{out:?}")
    };
    assert!(reason.contains("ambiguous category \"0102\""), "{reason}");
    assert!(reason.contains("component/0102 or event/0102"), "{reason}");
    let mut other = Device::new("phone-li-2", "li", Role::Worker);
    let odd = other.report_with(Some("32050800101"), |r| r.category = "animal/0102".into());
    let out = s.push(&li, vec![odd]).await.unwrap();
    let PushOutcome::Rejected { reason } = &out[0] else {
        panic!("{out:?}")
    };
    assert!(
        reason.contains("unknown category kind \"animal\""),
        "{reason}"
    );
    assert_eq!(
        s.case_views().await.unwrap().len(),
        2,
        "nothing else stored"
    );

    // The server's deadlines come from each kind's own limit: two working hours for
    // the cover, one working day for the spoil.
    let mut events = Vec::new();
    for (stream, department) in [(cover_s, "water"), (spoil_s, "sanitation")] {
        events.push(tablet.act(stream, register()));
        events.push(tablet.act(
            stream,
            Action::Dispatch {
                department: department.into(),
                deadline_ms: now_ms() + 3_600_000,
                note: None,
            },
        ));
    }
    let out = s.push(&wang, events).await.unwrap();
    assert!(
        out.iter()
            .all(|o| matches!(o, PushOutcome::Accepted { .. })),
        "{out:?}"
    );
    let view = |id| {
        let s = s.clone();
        async move { s.case_view(id).await.unwrap().unwrap() }
    };
    let (cover_v, spoil_v) = (view(cover_s.id()).await, view(spoil_s.id()).await);
    assert_eq!(cover_v.case.category(), "component/0102");
    assert_eq!(spoil_v.case.category(), "event/0102");
    let (c, e) = (cover_v.deadline_ms.unwrap(), spoil_v.deadline_ms.unwrap());
    assert!(
        e > c,
        "the event's day-long limit ends after the cover's two hours"
    );

    // The category filter keeps them apart; a bare shared code is refused.
    let catalog = gridwork_core::catalog::Catalog::from_json(OLD).unwrap();
    for (given, want) in [
        ("component/0102", cover_s.id()),
        ("event/0102", spoil_s.id()),
    ] {
        let canonical = canonical_category(Some(&catalog), given).unwrap();
        let page = s.list_cases(&filter(&wang, &canonical)).await.unwrap();
        let ids: Vec<_> = page.views.iter().map(|v| v.case.id).collect();
        assert_eq!(ids, vec![want], "{given}");
    }
    let err = canonical_category(Some(&catalog), "0102").unwrap_err();
    assert!(err.contains("ambiguous"), "{err}");
    assert_eq!(
        canonical_category(Some(&catalog), "component/0301").unwrap(),
        "0301"
    );
}
