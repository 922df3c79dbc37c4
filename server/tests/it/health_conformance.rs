//! Per-device sync health and the unresolved-conflict filter on every backend (run by
//! the `conformance!` macro in conformance.rs).

use crate::common::*;
use gridwork_core::{
    model::{Action, ConflictDecision, Role, Stream},
    sync::wire::{DeviceState, PushOutcome},
};
use gridwork_server::{
    health::{Contact, Via},
    query,
    storage::Storage,
};
use std::sync::Arc;

fn contact(device: &str, at_ms: i64, via: Via, state: Option<DeviceState>) -> Contact {
    Contact {
        device_id: device.into(),
        at_ms,
        via,
        client: state.as_ref().and_then(|s| s.client.clone()),
        state,
    }
}

pub async fn devices_keep_their_last_contact_rejections_and_photos(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let (a, b) = ("a".repeat(64), "b".repeat(64));
    let report = phone.report_with_photos(Some("32050800101"), &[(&a, 10), (&b, 20)]);
    let case = report.stream;
    // A worker may not register: quarantined.
    let refused = phone.act(case, register());
    let outcomes = s.push(&li, vec![report, refused]).await.unwrap();
    assert!(matches!(outcomes[0], PushOutcome::Accepted { .. }));
    assert!(matches!(outcomes[1], PushOutcome::Rejected { .. }));

    let reported = DeviceState {
        outbox: Some(2),
        photos: Some(1),
        head: Some(4),
        client: Some("gridwork-core/9.9".into()),
        incarnation: None,
    };
    s.record_contact(&contact("phone-li", 1_000, Via::Push, Some(reported)))
        .await
        .unwrap();
    // A later contact without the header keeps the figures reported before.
    s.record_contact(&contact("phone-li", 2_000, Via::Pull, None))
        .await
        .unwrap();
    s.photos_complete(std::slice::from_ref(&a)).await.unwrap();

    let all = s.device_records().await.unwrap();
    let r = all.iter().find(|d| d.device_id == "phone-li").unwrap();
    assert_eq!(r.owner, "li");
    assert_eq!(r.server_head, 2);
    assert_eq!(r.last_contact_ms, Some(2_000));
    assert_eq!(r.last_via.as_deref(), Some("pull"));
    assert_eq!(r.client.as_deref(), Some("gridwork-core/9.9"));
    assert_eq!(r.reported_ms, Some(1_000));
    assert_eq!(
        (r.outbox, r.photos_waiting, r.local_head),
        (Some(2), Some(1), Some(4))
    );
    assert_eq!(r.rejected, 1);
    assert_eq!(r.unconfirmed_photos, vec![b.clone()]);
    // The console's own devices are not listed.
    assert!(all.iter().all(|d| !d.device_id.starts_with("console:")));
}

pub async fn the_conflict_filter_finds_unresolved_conflicts_only(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let (li, wang) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "wang").await,
    );
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let calm = phone.report(Some("32050800101"));
    let torn = phone.report(Some("32050800101"));
    let (calm_id, torn_id) = (calm.stream, torn.stream);
    push_ok(s.as_ref(), &li, vec![calm, torn]).await;
    // Registered twice: the second is a conflict.
    let first = tablet.act(torn_id, register());
    let second = tablet.act(torn_id, register());
    let flagged = second.id;
    push_ok(s.as_ref(), &wang, vec![first, second]).await;
    let ids = |params: &'static [(&'static str, &'static str)]| {
        let s = s.clone();
        let wang = wang.clone();
        async move {
            let pairs: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let f = query::parse(&pairs, &wang, 0).unwrap();
            let page = s.list_cases(&f).await.unwrap();
            page.views
                .iter()
                .map(|v| Stream::Incident(v.case.id))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(&[("conflict", "true")]).await, vec![torn_id]);
    assert_eq!(ids(&[("conflict", "false")]).await, vec![calm_id]);

    let resolve = tablet.act(
        torn_id,
        Action::ResolveConflict {
            event_id: flagged,
            decision: ConflictDecision::Dismissed,
            note: None,
        },
    );
    push_ok(s.as_ref(), &wang, vec![resolve]).await;
    assert!(ids(&[("conflict", "true")]).await.is_empty());
    let view = s.case_view(torn_id.id()).await.unwrap().unwrap();
    assert!(view.case.conflicts[0].is_resolved());
    // A rebuild keeps the column equal to the incremental result.
    s.rebuild_cases().await.unwrap();
    assert!(ids(&[("conflict", "true")]).await.is_empty());
    assert_eq!(ids(&[("conflict", "false")]).await.len(), 2);
}

async fn push_ok(
    s: &dyn Storage,
    who: &gridwork_server::account::Account,
    events: Vec<gridwork_core::model::Event>,
) {
    for o in s.push(who, events).await.unwrap() {
        assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
    }
}
