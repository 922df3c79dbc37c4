//! Operators' device and token work on both backends: re-judging a quarantine after a
//! scope was fixed, tokens listed and revoked, remote wipe asked for and acknowledged,
//! and bad input that changes nothing (the state is compared before and after).

use crate::common::{account, accounts, Device};
use gridwork_core::{
    model::{Action, Role, Stream},
    sync::wire::PushOutcome,
};
use gridwork_server::{
    account::{new_token, token_digest},
    admin::{self, devices as dev, UserChange},
    health::DeviceRecord,
    storage::{
        devices::{DeviceAdmin, Revoke, TokenRecord},
        AuditEntry, Storage,
    },
    StorageError,
};
use std::{sync::Arc, time::Duration};

const TTL: Duration = Duration::from_secs(30 * 24 * 3600);

fn rejected(o: &PushOutcome) -> &str {
    match o {
        PushOutcome::Rejected { reason } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Everything these operations touch.
#[derive(Debug, PartialEq)]
struct Snapshot {
    devices: Vec<DeviceAdmin>,
    records: Vec<DeviceRecord>,
    tokens: Vec<TokenRecord>,
    audit: Vec<AuditEntry>,
    quarantine: Vec<(uuid::Uuid, String)>,
    pulled: Vec<uuid::Uuid>,
}

async fn snapshot(s: &dyn Storage, device: &str) -> Snapshot {
    let wang = account(s, "wang").await;
    Snapshot {
        devices: s.device_admin().await.unwrap(),
        records: s.device_records().await.unwrap(),
        tokens: s.tokens(None).await.unwrap(),
        audit: s.audit_log(10_000).await.unwrap(),
        quarantine: s
            .quarantine(device)
            .await
            .unwrap()
            .into_iter()
            .map(|q| (q.event.id, q.reason))
            .collect(),
        pulled: s
            .pull(&wang, 0, 1000)
            .await
            .unwrap()
            .events
            .iter()
            .map(|e| e.id)
            .collect(),
    }
}

pub async fn rejudging_accepts_what_passes_now_in_chain_order_once(s: Arc<dyn Storage>) {
    let s = s.as_ref();
    accounts(s).await;
    let li = account(s, "li").await;
    let wang = account(s, "wang").await;
    let mut w = Device::new("phone-li", "li", Role::Worker);
    let far = w.report(Some("32050800201"));
    let case = far.stream;
    let verify = w.act(
        case,
        Action::VerifyPass {
            note: None,
            photos: vec![],
            position: None,
        },
    );
    let nowhere = w.report(None);
    let near = w.report(Some("32050800101"));
    let far_again = w.report(Some("32050800202"));
    let ids = [far.id, verify.id, nowhere.id, near.id, far_again.id];
    let out = s
        .push(
            &li,
            vec![far.clone(), verify, nowhere, near, far_again.clone()],
        )
        .await
        .unwrap();
    assert!(rejected(&out[0]).contains("not in your scope") || rejected(&out[0]).contains("scope"));
    assert!(rejected(&out[1]).contains("unknown case"), "{out:?}");
    rejected(&out[2]);
    assert!(matches!(out[3], PushOutcome::Accepted { .. }));
    rejected(&out[4]);
    let top = s.pull(&wang, 0, 1000).await.unwrap().next_after;

    // Nothing passes yet: the first still fails and nothing after it is looked at.
    let r = dev::rejudge(s, "cli:root", "phone-li").await.unwrap();
    assert!(r.accepted.is_empty());
    assert_eq!(r.still_failing.unwrap().event.id, ids[0]);
    assert_eq!(r.remaining, 4);

    // The scope is widened: the report and the action on it pass, in chain order; the
    // report outside every cell still fails and the one after it stays.
    admin::change_user(
        s,
        "cli:root",
        "li",
        UserChange {
            scope: Some("320508001,320508002".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let r = dev::rejudge(s, "cli:root", "phone-li").await.unwrap();
    let accepted: Vec<_> = r.accepted.iter().map(|(id, _)| *id).collect();
    assert_eq!(accepted, [ids[0], ids[1]]);
    assert!(r.accepted[0].1 > top && r.accepted[1].1 > r.accepted[0].1);
    assert_eq!(r.still_failing.as_ref().unwrap().event.id, ids[2]);
    assert_eq!(r.remaining, 2);
    let left: Vec<_> = s
        .quarantine("phone-li")
        .await
        .unwrap()
        .iter()
        .map(|q| q.event.id)
        .collect();
    assert_eq!(left, [ids[2], ids[4]]);

    // The projection was updated in the same transaction.
    let id = match case {
        Stream::Incident(id) => id,
        Stream::Patrol(_) => unreachable!(),
    };
    let view = s
        .case_view(id)
        .await
        .unwrap()
        .expect("the case is projected");
    assert_eq!(view.cell, "32050800201");
    assert_eq!(s.case_events(id).await.unwrap().len(), 2);

    // Its author and a supervisor pull them; the chain head did not move.
    let li = account(s, "li").await;
    let pulled: Vec<_> = s
        .pull(&li, top, 1000)
        .await
        .unwrap()
        .events
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(pulled, [ids[0], ids[1]]);
    let pulled = s.pull(&wang, top, 1000).await.unwrap().events.len();
    assert_eq!(pulled, 2);
    assert_eq!(
        s.device_head("phone-li").await.unwrap(),
        Some((5, far_again.hash()))
    );

    // Exactly once: a push of the same event again is a duplicate, a second rejudging
    // accepts nothing more.
    let again = s.push(&li, vec![far]).await.unwrap();
    assert_eq!(
        again[0],
        PushOutcome::Duplicate {
            server_seq: r.accepted[0].1
        }
    );
    let r2 = dev::rejudge(s, "cli:root", "phone-li").await.unwrap();
    assert!(r2.accepted.is_empty());
    assert_eq!(s.case_events(id).await.unwrap().len(), 2);
    let audit = s.audit_log(10).await.unwrap();
    let rejudges: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "device.rejudge")
        .collect();
    assert_eq!(rejudges.len(), 3);
    assert!(rejudges[1].detail.starts_with("2 accepted"), "{rejudges:?}");
}

async fn token(s: &dyn Storage, user: &str, device: &str) -> String {
    let (token, digest) = new_token().unwrap();
    s.add_token(user, &digest, device).await.unwrap();
    token
}

async fn signed_in(s: &dyn Storage, token: &str) -> Option<gridwork_server::storage::TokenOwner> {
    s.account_by_token(&token_digest(token), 0).await.unwrap()
}

pub async fn tokens_are_listed_and_revoked_and_wipes_acknowledged(s: Arc<dyn Storage>) {
    let s = s.as_ref();
    accounts(s).await;
    let t1 = token(s, "li", "phone-li").await;
    let t2 = token(s, "li", "tablet-li").await;
    let t3 = token(s, "zhao", "phone-zhao").await;
    let t4 = token(s, "zhao", "phone-zhao").await;

    let list = dev::tokens(s, None, TTL).await.unwrap();
    assert_eq!(list.len(), 4);
    for t in &list {
        assert_eq!(t.id.len(), 12);
        assert!(t.id.chars().all(|c| c.is_ascii_hexdigit()));
        for secret in [&t1, &t2, &t3, &t4] {
            assert!(!secret.contains(&t.id), "an id is not part of the secret");
        }
        assert_eq!(t.expires_ms, t.created_ms + TTL.as_millis() as i64);
        assert!(!t.expired);
        assert_eq!(t.last_used_ms, None);
    }
    let of_li = dev::tokens(s, Some("li"), TTL).await.unwrap();
    assert_eq!(of_li.len(), 2);
    s.token_used(&token_digest(&t1), 1_767_000_000_000)
        .await
        .unwrap();
    let used = dev::tokens(s, Some("li"), TTL).await.unwrap();
    let id1 = token_digest(&t1)[..12].to_string();
    assert_eq!(
        used.iter().find(|t| t.id == id1).unwrap().last_used_ms,
        Some(1_767_000_000_000)
    );

    // One token by its id, a device's, an account's.
    assert_eq!(
        dev::revoke(s, "cli:root", &Revoke::Token(id1[..8].into()))
            .await
            .unwrap(),
        1
    );
    assert!(signed_in(s, &t1).await.is_none());
    assert!(signed_in(s, &t2).await.is_some());
    assert_eq!(
        dev::revoke(s, "wang", &Revoke::Device("phone-zhao".into()))
            .await
            .unwrap(),
        2
    );
    assert!(signed_in(s, &t3).await.is_none() && signed_in(s, &t4).await.is_none());
    assert_eq!(
        dev::revoke(s, "wang", &Revoke::User("li".into()))
            .await
            .unwrap(),
        1
    );
    assert!(signed_in(s, &t2).await.is_none());

    // A wipe: the device's token says so until the device acknowledges; then its
    // tokens are gone and it is listed as wiped. Another device is unaffected.
    let t = token(s, "li", "phone-li").await;
    let other = token(s, "zhao", "phone-zhao").await;
    assert!(!signed_in(s, &t).await.unwrap().wipe_pending);
    dev::wipe(s, "wang", "phone-li").await.unwrap();
    assert!(signed_in(s, &t).await.unwrap().wipe_pending);
    assert!(!signed_in(s, &other).await.unwrap().wipe_pending);
    let li = s
        .device_admin()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.device_id == "phone-li")
        .unwrap();
    assert!(li.wipe_requested_ms.is_some() && li.wiped_ms.is_none());
    assert_eq!(li.wipe_requested_by.as_deref(), Some("wang"));
    s.confirm_wipe(
        "phone-li",
        &gridwork_server::storage::devices::wiped_entry("phone-li", "li"),
    )
    .await
    .unwrap();
    assert!(
        signed_in(s, &t).await.is_none(),
        "the wiped device's tokens are revoked"
    );
    assert!(signed_in(s, &other).await.is_some());
    let views = dev::devices(s, Some("li"), TTL).await.unwrap();
    let ids: Vec<&str> = views.iter().map(|v| v.health.device_id.as_str()).collect();
    assert_eq!(ids, ["phone-li", "tablet-li"]);
    assert_eq!((views[0].wipe, views[1].wipe), ("wiped", "none"));
    assert!(views[0].tokens.is_empty());
    let actions: Vec<String> = s
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in ["token.revoke", "device.wipe", "device.wiped"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

pub async fn bad_device_input_changes_nothing(s: Arc<dyn Storage>) {
    let s = s.as_ref();
    accounts(s).await;
    let li = account(s, "li").await;
    let _t = token(s, "li", "phone-li").await;
    let _u = token(s, "zhao", "phone-zhao").await;
    let mut w = Device::new("phone-li", "li", Role::Worker);
    s.push(&li, vec![w.report(Some("32050800201"))])
        .await
        .unwrap();
    dev::wipe(s, "cli:root", "phone-zhao").await.unwrap();
    let before = snapshot(s, "phone-li").await;
    let failures: Vec<(&str, StorageError)> = vec![
        (
            "rejudge of an unknown device",
            dev::rejudge(s, "x", "phone-nobody").await.unwrap_err(),
        ),
        (
            "rejudge of a device without quarantine",
            dev::rejudge(s, "x", "phone-zhao").await.unwrap_err(),
        ),
        (
            "quarantine of an unknown device",
            dev::quarantine(s, "phone-nobody").await.unwrap_err(),
        ),
        (
            "wipe of an unknown device",
            dev::wipe(s, "x", "phone-nobody").await.unwrap_err(),
        ),
        (
            "wipe twice",
            dev::wipe(s, "x", "phone-zhao").await.unwrap_err(),
        ),
        (
            "revoke an unknown token",
            dev::revoke(s, "x", &Revoke::Token("00000000".into()))
                .await
                .unwrap_err(),
        ),
        (
            "revoke a short token id",
            dev::revoke(s, "x", &Revoke::Token("abc".into()))
                .await
                .unwrap_err(),
        ),
        (
            "revoke an unknown device",
            dev::revoke(s, "x", &Revoke::Device("phone-nobody".into()))
                .await
                .unwrap_err(),
        ),
        (
            "revoke an unknown user",
            dev::revoke(s, "x", &Revoke::User("nobody".into()))
                .await
                .unwrap_err(),
        ),
        (
            "revoke a user without tokens",
            dev::revoke(s, "x", &Revoke::User("wang".into()))
                .await
                .unwrap_err(),
        ),
        (
            "tokens of an unknown user",
            dev::tokens(s, Some("nobody"), TTL).await.unwrap_err(),
        ),
        (
            "devices of an unknown user",
            dev::devices(s, Some("nobody"), TTL).await.unwrap_err(),
        ),
        (
            "a wipe acknowledged that was never asked for",
            s.confirm_wipe(
                "phone-li",
                &gridwork_server::storage::devices::wiped_entry("phone-li", "li"),
            )
            .await
            .unwrap_err(),
        ),
    ];
    for (what, e) in &failures {
        assert!(
            matches!(e, StorageError::Invalid(_) | StorageError::NotFound(_)),
            "{what}: {e}"
        );
    }
    assert!(failures[1]
        .1
        .to_string()
        .contains("no events in quarantine"));
    assert!(failures[4].1.to_string().contains("asked for already"));
    assert_eq!(snapshot(s, "phone-li").await, before, "nothing changed");
}

use crate::common::both_backends;

both_backends!(
    rejudging_accepts_what_passes_now_in_chain_order_once,
    tokens_are_listed_and_revoked_and_wipes_acknowledged,
    bad_device_input_changes_nothing,
);
