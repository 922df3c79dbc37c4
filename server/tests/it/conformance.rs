//! One conformance suite, run against every storage backend. The PostgreSQL runs
//! need GRIDWORK_TEST_PG (a connection URL); without it they pass without running, and
//! the test `postgres_suite_skipped_without_GRIDWORK_TEST_PG` says so by its name in the
//! test list (libtest shows a passing test's stderr only with `--nocapture`).

use crate::cases_conformance::*;
use crate::catalog_conformance::*;
use crate::common::*;
use crate::evaluation_conformance::*;
use crate::health_conformance::*;
use crate::map_conformance::*;
use crate::patrols_conformance::*;
use crate::posts_conformance::*;
use gridwork_core::{
    model::{Action, Role, Stream},
    sync::wire::PushOutcome,
};
use gridwork_server::{account::token_digest, storage::Storage};
use std::{collections::BTreeSet, sync::Arc};
use uuid::Uuid;

fn accepted(o: &PushOutcome) -> i64 {
    match o {
        PushOutcome::Accepted { server_seq } => *server_seq,
        other => panic!("expected accepted, got {other:?}"),
    }
}

fn rejected(o: &PushOutcome) -> &str {
    match o {
        PushOutcome::Rejected { reason } => reason,
        other => panic!("expected rejected, got {other:?}"),
    }
}

pub async fn duplicates_get_the_first_result(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let e1 = d.report(Some("32050800101"));
    let e2 = d.report(Some("32050800299")); // outside li's scope
    let first = s.push(&li, vec![e1.clone(), e2.clone()]).await.unwrap();
    let seq = accepted(&first[0]);
    let reason = rejected(&first[1]).to_string();
    assert!(reason.contains("outside your area"), "{reason}");
    let again = s.push(&li, vec![e1.clone(), e2.clone()]).await.unwrap();
    assert_eq!(again[0], PushOutcome::Duplicate { server_seq: seq });
    assert_eq!(again[1], PushOutcome::Rejected { reason });
    // The same id with other content is refused and changes nothing.
    let mut forged = e1.clone();
    forged.payload["description"] = "edited".into();
    assert!(rejected(&s.push(&li, vec![forged]).await.unwrap()[0]).contains("different content"));
    let page = s.pull(&li, 0, 100).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].payload, e1.payload);
    assert_eq!(page.events[0].server_seq, Some(seq));
}

pub async fn chains_must_link(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let e1 = d.report(Some("32050800101"));
    let e2 = d.report(Some("32050800102"));
    let e3 = d.report(Some("32050800103"));
    // Skipping e1: a device's first event must be device_seq 1 from the genesis hash.
    let r = s.push(&li, vec![e2.clone()]).await.unwrap();
    assert!(rejected(&r[0]).contains("broken hash chain"));
    // A chain break does not move the head: e1, then e3 (gap) fails, e2 could not be
    // re-sent (its id is quarantined), so the device is stuck as it should be.
    let r = s.push(&li, vec![e1.clone(), e3.clone()]).await.unwrap();
    accepted(&r[0]);
    assert!(rejected(&r[1]).contains("broken hash chain"));
    // An edited event breaks the link of the next one.
    let mut d2 = Device::new("phone-li-2", "li", Role::Worker);
    let a = d2.report(Some("32050800101"));
    let mut b = d2.report(Some("32050800101"));
    let mut a_edited = a.clone();
    a_edited.payload["description"] = "changed after the fact".into();
    let r = s.push(&li, vec![a_edited]).await.unwrap();
    accepted(&r[0]);
    b.server_seq = None;
    let r = s.push(&li, vec![b]).await.unwrap();
    assert!(rejected(&r[0]).contains("broken hash chain"));
    // Events rejected for other reasons stay in the chain: the next one links to them.
    let mut d3 = Device::new("phone-li-3", "li", Role::Worker);
    let out = d3.report(Some("32050800201"));
    let next = d3.report(Some("32050800101"));
    let r = s.push(&li, vec![out, next]).await.unwrap();
    rejected(&r[0]);
    accepted(&r[1]);
    let q = s.quarantine("phone-li-3").await.unwrap();
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.contains("outside your area"));
}

pub async fn actors_and_roles_are_checked(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let wang = account(s.as_ref(), "wang").await;
    // Events made by zhao pushed with li's token.
    let mut d = Device::new("phone-x", "zhao", Role::Worker);
    let r = s
        .push(&li, vec![d.report(Some("32050800101"))])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("pushed as another user"));
    assert!(s.quarantine("phone-x").await.unwrap().is_empty());
    // li claiming the supervisor role: her own event, so it is quarantined and keeps
    // its chain place (a role changed while the device was offline loses nothing).
    let mut d = Device::new("phone-y", "li", Role::Supervisor);
    let claimed = d.report(Some("32050800101"));
    let r = s.push(&li, vec![claimed]).await.unwrap();
    assert!(rejected(&r[0]).contains("pushed with another role"));
    d.actor.role = Role::Worker;
    accepted(
        &s.push(&li, vec![d.report(Some("32050800101"))])
            .await
            .unwrap()[0],
    );
    assert_eq!(s.quarantine("phone-y").await.unwrap().len(), 1);
    // A worker may never dispatch; a supervisor may.
    let mut w = Device::new("phone-li", "li", Role::Worker);
    let report = w.report(Some("32050800101"));
    let case = report.stream;
    accepted(&s.push(&li, vec![report]).await.unwrap()[0]);
    let dispatch = Action::Dispatch {
        department: "sanitation".into(),
        deadline_ms: 1_800_000_000_000,
        note: None,
    };
    let r = s
        .push(&li, vec![w.act(case, dispatch.clone())])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("may not dispatch"));
    let mut sup = Device::new("desk-wang", "wang", Role::Supervisor);
    let r = s
        .push(
            &wang,
            vec![sup.act(case, register()), sup.act(case, dispatch)],
        )
        .await
        .unwrap();
    accepted(&r[0]);
    accepted(&r[1]);
    // Closing a dispatched case is not a valid transition, but it is a collision with
    // work elsewhere, not a forbidden act: accepted, the fold flags it.
    accepted(&s.push(&wang, vec![sup.act(case, close())]).await.unwrap()[0]);
    // A handler may not report.
    let chen = account(s.as_ref(), "chen").await;
    let mut h = Device::new("phone-chen", "chen", Role::Handler);
    let r = s
        .push(&chen, vec![h.report(Some("32050800101"))])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("may not report"));
}

/// The reported bug: zhao pushing li's events must neither record them nor move
/// phone-li's chain, so li's own later push of them is judged on its merits.
pub async fn impostors_leave_no_trace(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let zhao = account(s.as_ref(), "zhao").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let e1 = d.report(Some("32050800101"));
    let e2 = d.report(Some("32050800299")); // outside li's scope: quarantined for li
    let e3 = d.report(Some("32050800102"));
    // zhao pushes them first, twice: refused every time, nothing kept.
    for _ in 0..2 {
        let r = s
            .push(&zhao, vec![e1.clone(), e2.clone(), e3.clone()])
            .await
            .unwrap();
        for o in &r {
            assert!(rejected(o).contains("pushed as another user"), "{o:?}");
        }
    }
    assert!(s.quarantine("phone-li").await.unwrap().is_empty());
    // li's own push is judged on its merits.
    let r = s
        .push(&li, vec![e1.clone(), e2.clone(), e3.clone()])
        .await
        .unwrap();
    let seq1 = accepted(&r[0]);
    let reason2 = rejected(&r[1]).to_string();
    assert!(reason2.contains("outside your area"), "{reason2}");
    let seq3 = accepted(&r[2]);
    // li's duplicates get their first results again.
    let again = s
        .push(&li, vec![e1.clone(), e2.clone(), e3.clone()])
        .await
        .unwrap();
    assert_eq!(again[0], PushOutcome::Duplicate { server_seq: seq1 });
    assert_eq!(again[1], PushOutcome::Rejected { reason: reason2 });
    assert_eq!(again[2], PushOutcome::Duplicate { server_seq: seq3 });
    // zhao re-pushing them, as they are or re-signed as his own, learns nothing:
    // neither server_seq nor the quarantine reason.
    let r = s.push(&zhao, vec![e1.clone(), e2.clone()]).await.unwrap();
    assert!(r
        .iter()
        .all(|o| rejected(o).contains("pushed as another user")));
    let mut z = Device::new("phone-zhao", "zhao", Role::Worker);
    let mut own1 = z.report(Some("32050800201"));
    own1.id = e1.id;
    let mut own2 = z.report(Some("32050800201"));
    own2.id = e2.id;
    let r = s.push(&zhao, vec![own1, own2]).await.unwrap();
    for o in &r {
        let reason = rejected(o);
        assert!(reason.contains("pushed as another user"), "{reason}");
        assert!(
            !reason.contains("outside") && !reason.contains("content"),
            "{reason}"
        );
    }
    // zhao's own events naming li's device: refused, li's chain untouched.
    let mut fake = Device::new("phone-li", "zhao", Role::Worker);
    fake.seq = 3;
    fake.prev = e3.hash();
    let r = s
        .push(&zhao, vec![fake.report(Some("32050800201"))])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("belongs to another account"));
    accepted(
        &s.push(&li, vec![d.report(Some("32050800103"))])
            .await
            .unwrap()[0],
    );
    let q = s.quarantine("phone-li").await.unwrap();
    assert_eq!(q.len(), 1, "only li's own rejected event is kept");
    assert_eq!(q[0].event.id, e2.id);
    // Nothing zhao sent is served: li sees her three accepted events, zhao none of them.
    let page = s.pull(&li, 0, 100).await.unwrap();
    assert_eq!(page.events.len(), 3);
    assert!(page.events.iter().all(|e| e.actor.user == "li"));
    assert!(s.pull(&zhao, 0, 100).await.unwrap().events.is_empty());
}

/// A device belongs to the account whose event first extended its chain.
pub async fn devices_belong_to_their_first_account(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let wang = account(s.as_ref(), "wang").await;
    // A chain break does not claim a device.
    let mut w = Device::new("phone-shared", "wang", Role::Supervisor);
    let mut skipped = w.report(Some("32050800101"));
    skipped.device_seq = 5;
    assert!(rejected(&s.push(&wang, vec![skipped]).await.unwrap()[0]).contains("broken"));
    // li's first linked event (even a quarantined one) claims it.
    let mut l = Device::new("phone-shared", "li", Role::Worker);
    let r = s
        .push(&li, vec![l.report(Some("32050800201"))])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("outside your area"));
    let mut w = Device::new("phone-shared", "wang", Role::Supervisor);
    let r = s
        .push(&wang, vec![w.report(Some("32050800101"))])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("belongs to another account"));
    accepted(
        &s.push(&li, vec![l.report(Some("32050800101"))])
            .await
            .unwrap()[0],
    );
    // Kept: wang's chain break (his own event, from before li claimed the device) and
    // li's out-of-area report; not kept: wang's refused event.
    let q = s.quarantine("phone-shared").await.unwrap();
    let authors: Vec<_> = q.iter().map(|q| q.event.actor.user.as_str()).collect();
    assert_eq!(authors, ["li", "wang"]);
}

pub async fn sign_in_binds_a_device_to_its_account(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let (li, zhao) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "zhao").await,
    );
    let issue = |user: &'static str, device: &'static str| {
        let s = s.clone();
        async move { gridwork_server::admin::issue_token(s.as_ref(), user, device).await }
    };
    // li signs in on phone-li before it sent anything: the device is hers from now on.
    issue("li", "phone-li").await.unwrap();
    let err = issue("zhao", "phone-li").await.unwrap_err();
    assert!(
        matches!(&err, gridwork_server::StorageError::DeviceTaken(d) if d == "phone-li"),
        "{err}"
    );
    // zhao's event under li's device id is refused and leaves no trace ...
    let mut fake = Device::new("phone-li", "zhao", Role::Worker);
    let r = s
        .push(&zhao, vec![fake.report(Some("32050800201"))])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("belongs to another account"));
    assert!(s.quarantine("phone-li").await.unwrap().is_empty());
    // ... so li's own chain starts at 1, and she may sign in there again.
    let mut d = Device::new("phone-li", "li", Role::Worker);
    accepted(
        &s.push(&li, vec![d.report(Some("32050800101"))])
            .await
            .unwrap()[0],
    );
    accepted(
        &s.push(&li, vec![d.report(Some("32050800101"))])
            .await
            .unwrap()[0],
    );
    issue("li", "phone-li").await.unwrap();
    // A device claimed by its first event (the old rule) keeps that owner.
    let mut z = Device::new("phone-zhao", "zhao", Role::Worker);
    accepted(
        &s.push(&zhao, vec![z.report(Some("32050800201"))])
            .await
            .unwrap()[0],
    );
    assert!(matches!(
        issue("li", "phone-zhao").await,
        Err(gridwork_server::StorageError::DeviceTaken(_))
    ));
    issue("zhao", "phone-zhao").await.unwrap();
    // A refused sign-in issued no token.
    assert!(issue("nobody", "phone-new").await.is_err());
    issue("zhao", "phone-new").await.unwrap();
}

pub async fn unbound_tokens_bind_to_their_first_device(s: Arc<dyn Storage>) {
    use gridwork_server::admin::issue_token;
    accounts(s.as_ref()).await;
    issue_token(s.as_ref(), "wang", "desk-wang").await.unwrap();
    let t = issue_token(s.as_ref(), "li", "").await.unwrap();
    let d = token_digest(&t);
    assert_eq!(
        s.account_by_token(&d, 0).await.unwrap().unwrap().device_id,
        ""
    );
    // Another account's device cannot be bound, and the token stays unbound.
    assert!(matches!(
        s.bind_token(&d, "desk-wang").await,
        Err(gridwork_server::StorageError::DeviceTaken(_))
    ));
    assert_eq!(
        s.account_by_token(&d, 0).await.unwrap().unwrap().device_id,
        ""
    );
    assert_eq!(s.bind_token(&d, "phone-li").await.unwrap(), "phone-li");
    assert_eq!(s.bind_token(&d, "phone-li-2").await.unwrap(), "phone-li");
    assert_eq!(
        s.account_by_token(&d, 0).await.unwrap().unwrap().device_id,
        "phone-li"
    );
    // The device is li's now.
    assert!(matches!(
        issue_token(s.as_ref(), "zhao", "phone-li").await,
        Err(gridwork_server::StorageError::DeviceTaken(_))
    ));
    assert!(issue_token(s.as_ref(), "li", "bad/name").await.is_err());
}

pub async fn tokens_expire_and_account_changes_revoke_them(s: Arc<dyn Storage>) {
    use gridwork_server::admin::{add_user, issue_token};
    accounts(s.as_ref()).await;
    let by = |token: &str, after: i64| {
        let (s, digest) = (s.clone(), token_digest(token));
        async move { s.account_by_token(&digest, after).await.unwrap() }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let t = issue_token(s.as_ref(), "li", "phone-li").await.unwrap();
    assert!(by(&t, now - 60_000).await.is_some());
    // Issued before the cut-off: expired.
    assert!(by(&t, now + 60_000).await.is_none());
    // Storing the same account unchanged keeps its tokens (zhao has no password).
    let z = issue_token(s.as_ref(), "zhao", "phone-zhao").await.unwrap();
    add_user(s.as_ref(), "zhao", Role::Worker, "320508002", None)
        .await
        .unwrap();
    assert!(by(&z, 0).await.is_some());
    // A scope change revokes ...
    add_user(
        s.as_ref(),
        "zhao",
        Role::Worker,
        "320508002,320508003",
        None,
    )
    .await
    .unwrap();
    assert!(by(&z, 0).await.is_none());
    // ... and so does a role change ...
    let z = issue_token(s.as_ref(), "zhao", "phone-zhao").await.unwrap();
    add_user(
        s.as_ref(),
        "zhao",
        Role::Handler,
        "320508002,320508003",
        None,
    )
    .await
    .unwrap();
    assert!(by(&z, 0).await.is_none());
    // ... and a new password (even the same one: it is hashed anew).
    let other = issue_token(s.as_ref(), "wang", "desk-wang").await.unwrap();
    add_user(s.as_ref(), "li", Role::Worker, "320508001", Some("pw-li"))
        .await
        .unwrap();
    assert!(by(&t, 0).await.is_none());
    // Only that account's tokens go.
    assert!(by(&other, 0).await.is_some());
    // The devices stay bound: li signs in again on her phone.
    let t = issue_token(s.as_ref(), "li", "phone-li").await.unwrap();
    assert_eq!(by(&t, 0).await.unwrap().device_id, "phone-li");
}

pub async fn scope_decides_what_is_accepted(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let wang = account(s.as_ref(), "wang").await;
    let mut sup = Device::new("desk-wang", "wang", Role::Supervisor);
    // A report outside every cell: only an everywhere scope may send it.
    accepted(&s.push(&wang, vec![sup.report(None)]).await.unwrap()[0]);
    let mut w = Device::new("phone-li", "li", Role::Worker);
    let r = s.push(&li, vec![w.report(None)]).await.unwrap();
    assert!(rejected(&r[0]).contains("outside every grid cell"));
    // An action on a case in another area is refused, in li's own area accepted.
    let far = sup.report(Some("32050800201"));
    let near = sup.report(Some("32050800105"));
    let (far_case, near_case) = (far.stream, near.stream);
    s.push(&wang, vec![far, near]).await.unwrap();
    let verify = Action::VerifyPass {
        note: None,
        photos: vec![],
        position: None,
    };
    let r = s
        .push(
            &li,
            vec![
                w.act(far_case, verify.clone()),
                w.act(near_case, verify.clone()),
            ],
        )
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("not in your scope"));
    accepted(&r[1]);
    // An action on a case the server never saw reported.
    let r = s
        .push(&li, vec![w.act(Stream::Incident(Uuid::now_v7()), verify)])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("unknown case"));
    // A malformed payload is rejected but keeps its chain place.
    let bad = w.event(
        Stream::Incident(Uuid::now_v7()),
        "incident.reported",
        serde_json::json!({"lat": "north"}),
    );
    let ok = w.report(Some("32050800101"));
    let r = s.push(&li, vec![bad, ok]).await.unwrap();
    assert!(rejected(&r[0]).contains("malformed"));
    accepted(&r[1]);
}

pub async fn patrols_are_scoped_by_their_cells(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let zhao = account(s.as_ref(), "zhao").await;
    let wang = account(s.as_ref(), "wang").await;
    let mut w = Device::new("phone-li", "li", Role::Worker);
    let patrol = Stream::Patrol(Uuid::now_v7());
    let r = s
        .push(
            &li,
            vec![
                w.event(
                    patrol,
                    "patrol.started",
                    serde_json::json!({"cells": ["32050800101"]}),
                ),
                w.event(
                    patrol,
                    "patrol.track",
                    serde_json::json!({"points": [[1, 2, 3]]}),
                ),
                w.event(
                    patrol,
                    "patrol.track",
                    serde_json::json!({"cells": ["32050800201"]}),
                ),
                w.event(patrol, "incident.reported", serde_json::json!({})),
            ],
        )
        .await
        .unwrap();
    accepted(&r[0]);
    accepted(&r[1]);
    assert!(rejected(&r[2]).contains("not in your scope"));
    assert!(rejected(&r[3]).contains("malformed"));
    assert_eq!(s.pull(&li, 0, 100).await.unwrap().events.len(), 2);
    assert_eq!(s.pull(&wang, 0, 100).await.unwrap().events.len(), 2);
    assert_eq!(s.pull(&zhao, 0, 100).await.unwrap().events.len(), 0);
}

pub async fn pull_serves_the_scope_in_pages(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let zhao = account(s.as_ref(), "zhao").await;
    let wang = account(s.as_ref(), "wang").await;
    let mut sup = Device::new("desk-wang", "wang", Role::Supervisor);
    let mut events = Vec::new();
    for i in 0..10 {
        let cell = if i % 2 == 0 {
            "32050800101"
        } else {
            "32050800201"
        };
        events.push(sup.report(Some(cell)));
    }
    events.push(sup.report(None));
    s.push(&wang, events).await.unwrap();
    // li sees the five reports of 320508001, paging by 2 past zhao's area.
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let page = s.pull(&li, after, 2).await.unwrap();
        assert!(page.events.len() <= 2);
        assert!(page.next_after >= after);
        seen.extend(
            page.events
                .iter()
                .map(|e| e.payload["cell"].as_str().unwrap().to_string()),
        );
        after = page.next_after;
        if !page.more {
            break;
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|c| c.starts_with("320508001")));
    assert_eq!(
        after, 11,
        "the cursor ends at the top even past events out of scope"
    );
    assert_eq!(s.pull(&zhao, 0, 100).await.unwrap().events.len(), 5);
    assert_eq!(s.pull(&wang, 0, 100).await.unwrap().events.len(), 11);
    // Quarantined events are served to nobody, not even their author.
    let mut w = Device::new("phone-li", "li", Role::Worker);
    s.push(&li, vec![w.report(Some("32050800201"))])
        .await
        .unwrap();
    let page = s.pull(&li, 11, 100).await.unwrap();
    assert!(page.events.is_empty());
    assert!(!page.more);
    assert_eq!(page.next_after, 11);
}

pub async fn accounts_tokens_and_settings(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    assert_eq!(li.role, Role::Worker);
    assert_eq!(li.scope, vec!["320508001".to_string()]);
    assert!(li.password_hash.is_some());
    assert!(s.account("nobody").await.unwrap().is_none());
    let token = gridwork_server::admin::issue_token(s.as_ref(), "li", "phone")
        .await
        .unwrap();
    let owner = s
        .account_by_token(&token_digest(&token), 0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.account, li);
    assert_eq!(owner.device_id, "phone");
    assert!(
        s.account_by_token(&token, 0).await.unwrap().is_none(),
        "only the digest is stored"
    );
    assert!(
        gridwork_server::admin::issue_token(s.as_ref(), "nobody", "phone")
            .await
            .is_err()
    );
    assert_eq!(s.setting("catalog").await.unwrap(), None);
    s.put_setting("catalog", "{\"a\":1}").await.unwrap();
    s.put_setting("catalog", "{\"a\":2}").await.unwrap();
    assert_eq!(
        s.setting("catalog").await.unwrap().as_deref(),
        Some("{\"a\":2}")
    );
}

/// 20 devices push while 5 readers pull: every reader ends with exactly the set of
/// accepted events, none skipped by a late commit.
pub async fn concurrent_pushes_never_hide_events_from_pulls(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let wang = Arc::new(account(s.as_ref(), "wang").await);
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut pushers = Vec::new();
    for p in 0..20 {
        let (s, wang, done) = (s.clone(), wang.clone(), done.clone());
        pushers.push(tokio::spawn(async move {
            let mut d = Device::new(&format!("desk-{p}"), "wang", Role::Supervisor);
            let mut seqs = Vec::new();
            for _ in 0..8 {
                let batch: Vec<_> = (0..3).map(|_| d.report(Some("32050800101"))).collect();
                for o in s.push(&wang, batch).await.unwrap() {
                    seqs.push(accepted(&o));
                }
                tokio::task::yield_now().await;
            }
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            seqs
        }));
    }
    let mut pullers = Vec::new();
    for _ in 0..5 {
        let (s, wang, done) = (s.clone(), wang.clone(), done.clone());
        pullers.push(tokio::spawn(async move {
            let mut after = 0;
            let mut seen = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst) == 20;
                let page = s.pull(&wang, after, 7).await.unwrap();
                for e in &page.events {
                    let seq = e.server_seq.unwrap();
                    assert!(seq > after);
                    seen.push(seq);
                }
                after = page.next_after;
                if finished && !page.more {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut all = BTreeSet::new();
    for p in pushers {
        all.extend(p.await.unwrap());
    }
    assert_eq!(all.len(), 20 * 8 * 3);
    for p in pullers {
        let seen = p.await.unwrap();
        let set: BTreeSet<i64> = seen.iter().copied().collect();
        assert_eq!(set.len(), seen.len(), "no event served twice to one reader");
        assert_eq!(set, all, "every reader saw every accepted event");
    }
}

/// The sample grid (60 cells of streets 320508001 to 320508003).
const GRID: &str = include_str!("../../../data/kcity-grid.geojson");

/// A report at a point, claiming a cell.
fn report_at(
    d: &mut Device,
    lat: f64,
    lon: f64,
    claim: Option<&str>,
) -> gridwork_core::model::Event {
    d.report_with(claim, |r| {
        r.lat = lat;
        r.lon = lon;
    })
}

pub async fn the_server_grid_decides_a_reports_cell(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    gridwork_server::admin::import_grid(s.as_ref(), GRID)
        .await
        .unwrap();
    let li = account(s.as_ref(), "li").await; // worker of street 320508001
    let zhao = account(s.as_ref(), "zhao").await; // worker of street 320508002
    let mut d = Device::new("phone-li", "li", Role::Worker);
    // A point in Qiaonan St (320508002) claiming a Lanxi St cell; 0,0; latitude 999.
    let elsewhere = report_at(&mut d, 31.30603, 120.59483, Some("32050800100101"));
    let r = s.push(&li, vec![elsewhere]).await.unwrap();
    assert!(rejected(&r[0]).contains("32050800200101"), "{r:?}");
    let nowhere = report_at(&mut d, 0.0, 0.0, Some("32050800100101"));
    let wild = report_at(&mut d, 999.0, 120.58, Some("32050800100101"));
    let r = s.push(&li, vec![nowhere, wild]).await.unwrap();
    assert!(rejected(&r[0]).contains("outside every grid cell"), "{r:?}");
    assert!(rejected(&r[1]).contains("invalid coordinate"), "{r:?}");
    // zhao reports in his own street while his phone claims one of li's cells: the
    // server files it under the cell the point lies in, so zhao's area sees it and
    // li's does not.
    let mut z = Device::new("phone-zhao", "zhao", Role::Worker);
    let e = report_at(&mut z, 31.30603, 120.59483, Some("32050800100101"));
    let id = e.id;
    accepted(&s.push(&zhao, vec![e]).await.unwrap()[0]);
    let ids = |p: gridwork_core::sync::wire::PullResponse| {
        p.events.into_iter().map(|e| e.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(s.pull(&zhao, 0, 100).await.unwrap()), vec![id]);
    assert!(ids(s.pull(&li, 0, 100).await.unwrap()).is_empty());
    // A new grid is picked up by the next push (its version changed).
    let moved = GRID.replace("32050800200101", "32050800100199");
    gridwork_server::admin::import_grid(s.as_ref(), &moved)
        .await
        .unwrap();
    let e = report_at(&mut d, 31.30603, 120.59483, None);
    accepted(&s.push(&li, vec![e]).await.unwrap()[0]);
}

pub async fn a_patrol_belongs_to_the_worker_who_started_it(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let zhao = account(s.as_ref(), "zhao").await;
    let mut w = Device::new("phone-li", "li", Role::Worker);
    let mut z = Device::new("phone-zhao", "zhao", Role::Worker);
    let patrol = Stream::Patrol(Uuid::now_v7());
    let start = w.event(
        patrol,
        "patrol.started",
        serde_json::json!({"cells": ["32050800101"]}),
    );
    let track = w.event(
        patrol,
        "patrol.track",
        serde_json::json!({"points": [[1, 2, 3]]}),
    );
    accepted(&s.push(&li, vec![start, track]).await.unwrap()[0]);
    // zhao adds his own cell to li's patrol (to pull li's track) and finishes it.
    let join = z.event(
        patrol,
        "patrol.started",
        serde_json::json!({"cells": ["32050800201"]}),
    );
    let finish = z.event(patrol, "patrol.finished", serde_json::json!({}));
    let r = s.push(&zhao, vec![join, finish]).await.unwrap();
    assert!(rejected(&r[0]).contains("another worker"), "{r:?}");
    assert!(rejected(&r[1]).contains("another worker"), "{r:?}");
    assert!(s.pull(&zhao, 0, 100).await.unwrap().events.is_empty());
    assert_eq!(s.pull(&li, 0, 100).await.unwrap().events.len(), 2);
    // A patrol must start before anything is recorded in it.
    let stray = w.event(
        Stream::Patrol(Uuid::now_v7()),
        "patrol.track",
        serde_json::json!({"points": []}),
    );
    assert!(rejected(&s.push(&li, vec![stray]).await.unwrap()[0]).contains("unknown patrol"));
}

pub async fn oversized_texts_and_wild_clocks_are_quarantined(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let long = d.report_with(Some("32050800101"), |r| r.description = "长".repeat(4001));
    let r = s.push(&li, vec![long]).await.unwrap();
    assert!(rejected(&r[0]).contains("at most 4000"), "{r:?}");
    // Wall time 9e15 ms: it would sort first everywhere and drag every clock along.
    let saved = d.wall;
    d.wall = 9_000_000_000_000_000;
    let future = d.report(Some("32050800101"));
    d.wall = saved;
    let r = s.push(&li, vec![future]).await.unwrap();
    assert!(rejected(&r[0]).contains("clock is wrong"), "{r:?}");
    // Nothing of it is served.
    assert!(s.pull(&li, 0, 100).await.unwrap().events.is_empty());
    assert_eq!(s.quarantine("phone-li").await.unwrap().len(), 2);
}

pub async fn a_devices_quarantine_is_bounded(s: Arc<dyn Storage>) {
    use gridwork_server::storage::MAX_QUARANTINE_PER_DEVICE;
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let n = MAX_QUARANTINE_PER_DEVICE as usize;
    let far: Vec<_> = (0..n).map(|_| d.report(Some("32050800201"))).collect();
    for batch in far.chunks(500) {
        for o in s.push(&li, batch.to_vec()).await.unwrap() {
            assert!(rejected(&o).contains("not in your scope"));
        }
    }
    let one_more = d.report(Some("32050800201"));
    let r = s.push(&li, vec![one_more]).await.unwrap();
    assert!(rejected(&r[0]).contains("not kept"), "{r:?}");
    assert_eq!(s.quarantine("phone-li").await.unwrap().len(), n);
}

pub async fn uploads_need_an_accepted_reference(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let (a, b) = ("a".repeat(64), "b".repeat(64));
    let ok = d.report_with_photos(Some("32050800101"), &[(&a, 10)]);
    let far = d.report_with_photos(Some("32050800201"), &[(&b, 10)]);
    let r = s.push(&li, vec![ok, far]).await.unwrap();
    accepted(&r[0]);
    rejected(&r[1]);
    assert!(s.blob_referenced(&a, "li").await.unwrap());
    assert!(!s.blob_referenced(&a, "zhao").await.unwrap());
    assert!(
        !s.blob_referenced(&b, "li").await.unwrap(),
        "a rejected report's photo"
    );
}

/// The sample catalogue (06010 exposed rubbish: two working hours).
const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");

pub async fn the_case_view_is_the_cores_fold_and_a_rebuild_equals_it(s: Arc<dyn Storage>) {
    use gridwork_core::{model::PhotoRef, workflow::Status};
    accounts(s.as_ref()).await;
    gridwork_server::admin::import_catalog(s.as_ref(), CATALOG)
        .await
        .unwrap();
    let li = account(s.as_ref(), "li").await;
    let wang = account(s.as_ref(), "wang").await;
    let chen = account(s.as_ref(), "chen").await;
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let mut laptop = Device::new("laptop-wang", "wang", Role::Supervisor);
    let mut handler = Device::new("phone-chen", "chen", Role::Handler);
    let reports: Vec<_> = (0..3).map(|_| phone.report(Some("32050800101"))).collect();
    let cases: Vec<Stream> = reports.iter().map(|e| e.stream).collect();
    for o in s.push(&li, reports).await.unwrap() {
        accepted(&o);
    }
    // The tablet dispatches case 0 claiming ten days; the laptop, offline, dispatched
    // it too: a conflict every replica flags alike.
    let dispatch = |deadline_ms| Action::Dispatch {
        department: "sanitation".into(),
        deadline_ms,
        note: None,
    };
    let ten_days = tablet.wall + 2000 + 240 * 3_600_000;
    let steps = vec![
        tablet.act(cases[0], register()),
        tablet.act(cases[0], dispatch(ten_days)),
        tablet.act(
            cases[1],
            Action::Cancel {
                reason: "duplicate".into(),
            },
        ),
    ];
    for o in s.push(&wang, steps).await.unwrap() {
        accepted(&o);
    }
    laptop.wall = tablet.wall + 10_000;
    let late = laptop.act(cases[0], dispatch(laptop.wall + 3_600_000));
    accepted(&s.push(&wang, vec![late]).await.unwrap()[0]);
    handler.wall = laptop.wall + 20_000;
    let handled = handler.act(
        cases[0],
        Action::Handle {
            note: None,
            photos: vec![PhotoRef {
                sha256: "c".repeat(64),
                size: 9,
                mime: "image/jpeg".into(),
                thumb: None,
            }],
        },
    );
    accepted(&s.push(&chen, vec![handled]).await.unwrap()[0]);

    let views = s.case_views().await.unwrap();
    assert_eq!(views.len(), 3);
    let view = |stream: Stream| {
        views
            .iter()
            .find(|v| v.case.id == stream.id())
            .unwrap()
            .clone()
    };
    let first = view(cases[0]);
    assert_eq!(first.case.status, Status::Handled);
    assert_eq!(first.case.conflicts.len(), 1, "the laptop's dispatch");
    assert_eq!(first.cell, "32050800101");
    assert_eq!(first.case.deadline_ms, Some(ten_days), "the device's claim");
    let ours = first.deadline_ms.unwrap();
    assert!(
        ours < ten_days - 200 * 3_600_000,
        "two working hours by the server's calendar, not ten days: {ours}"
    );
    assert_eq!(first.deadline_difference_ms(), Some(ten_days - ours));
    assert!(first.received_ms > 0 && first.updated_ms >= first.received_ms);
    assert_eq!(view(cases[1]).case.status, Status::Cancelled);
    assert_eq!(view(cases[2]).case.status, Status::Reported);
    assert_eq!(
        s.case_view(cases[2].id()).await.unwrap(),
        Some(view(cases[2]))
    );
    assert_eq!(s.case_view(Uuid::now_v7()).await.unwrap(), None);
    // A rejected step changes nothing.
    let mut stranger = Device::new("phone-zhao", "zhao", Role::Worker);
    let zhao = account(s.as_ref(), "zhao").await;
    let far = stranger.act(cases[2], register());
    rejected(&s.push(&zhao, vec![far]).await.unwrap()[0]);
    // Rebuilt from the events, the view is the same.
    assert_eq!(s.rebuild_cases().await.unwrap(), 3);
    assert_eq!(s.case_views().await.unwrap(), views);
}

pub async fn evaluation_reads_the_views_of_a_period_and_an_area(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let (li, zhao) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "zhao").await,
    );
    let mut a = Device::new("phone-li", "li", Role::Worker);
    let mut b = Device::new("phone-zhao", "zhao", Role::Worker);
    let before = now_ms();
    let ours: Vec<_> = (0..3).map(|_| a.report(Some("32050800101"))).collect();
    let theirs = b.report(Some("32050800201"));
    s.push(&li, ours.clone()).await.unwrap();
    s.push(&zhao, vec![theirs]).await.unwrap();
    let after = now_ms() + 1;
    let ids = |views: Vec<gridwork_server::projection::CaseView>| {
        views
            .into_iter()
            .map(|v| v.case.id)
            .collect::<BTreeSet<_>>()
    };
    let mine: BTreeSet<_> = ours.iter().map(|e| e.stream.id()).collect();
    assert_eq!(
        ids(s
            .case_views_received("320508001", before, after)
            .await
            .unwrap()),
        mine
    );
    assert_eq!(
        s.case_views_received("", before, after)
            .await
            .unwrap()
            .len(),
        4
    );
    assert!(s
        .case_views_received("", after, after + 1000)
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .case_views_received("", before - 1000, before)
        .await
        .unwrap()
        .is_empty());
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Always listed, so a run without PostgreSQL shows that its suite did not run. With
/// GRIDWORK_TEST_PG set it checks the URL answers instead.
#[allow(non_snake_case)]
#[tokio::test]
async fn postgres_suite_skipped_without_GRIDWORK_TEST_PG() {
    let Some(url) = crate::common::pg_url(
        "the PostgreSQL conformance suite (postgres_backend::* pass without running)",
    ) else {
        return;
    };
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
}

use crate::common::both_backends;

// Four threads: `concurrent_pushes_never_hide_events_from_pulls` needs pushes and pulls
// running at once.
both_backends!(
    workers = 4;
    duplicates_get_the_first_result,
    chains_must_link,
    actors_and_roles_are_checked,
    impostors_leave_no_trace,
    devices_belong_to_their_first_account,
    sign_in_binds_a_device_to_its_account,
    tokens_expire_and_account_changes_revoke_them,
    unbound_tokens_bind_to_their_first_device,
    scope_decides_what_is_accepted,
    patrols_are_scoped_by_their_cells,
    pull_serves_the_scope_in_pages,
    accounts_tokens_and_settings,
    concurrent_pushes_never_hide_events_from_pulls,
    the_server_grid_decides_a_reports_cell,
    a_patrol_belongs_to_the_worker_who_started_it,
    oversized_texts_and_wild_clocks_are_quarantined,
    a_devices_quarantine_is_bounded,
    uploads_need_an_accepted_reference,
    the_case_view_is_the_cores_fold_and_a_rebuild_equals_it,
    evaluation_reads_the_views_of_a_period_and_an_area,
    case_lists_keep_to_the_scope_and_filter_in_sql,
    case_lists_page_without_gaps_or_repeats,
    overdue_is_the_servers_deadline_by_the_servers_clock,
    the_patrol_view_is_the_cores_fold_and_a_rebuild_equals_it,
    patrol_lists_keep_to_the_scope_filter_and_page,
    posts_and_departments_keep_to_their_own_steps_and_cases,
    the_map_counts_cells_and_clusters_cases_in_sql,
    devices_keep_their_last_contact_rejections_and_photos,
    the_conflict_filter_finds_unresolved_conflicts_only,
    old_scheme_codes_stay_apart_by_kind,
    evaluation_copies_count_as_the_full_views_and_rebuild_equals_push,
    worker_rows_carry_their_devices_sync_health,
);

/// A PostgreSQL database made before uploads needed a reference learns the references
/// of the events it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_without_blob_refs_learn_them() {
    let Some(s) = crate::common::postgres("blob_refs_migration").await else {
        return;
    };
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let a = "a".repeat(64);
    let e = d.report_with_photos(Some("32050800101"), &[(&a, 10)]);
    accepted(&s.push(&li, vec![e]).await.unwrap()[0]);
    drop(s);
    let s = without_table("gw_test_blob_refs_migration", "blob_refs").await;
    assert!(s.blob_referenced(&a, "li").await.unwrap());
    assert!(!s.blob_referenced(&a, "zhao").await.unwrap());
}

/// A SQLite database of schema version 3 (before the server kept a case view) gets its
/// case view folded from the events it holds when it is opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_databases_of_version_3_get_their_case_view() {
    use gridwork_server::storage::sqlite::SqliteStorage;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = SqliteStorage::open(&path).await.unwrap();
    accounts(&s).await;
    let li = account(&s, "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let e = d.report(Some("32050800101"));
    let id = e.stream.id();
    accepted(&s.push(&li, vec![e]).await.unwrap()[0]);
    let before = s.case_view(id).await.unwrap().unwrap();
    drop(s);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        // Version 3 had neither the case view nor the later steps' tables and columns.
        conn.execute_batch(
            "DROP TABLE case_eval; DROP TABLE cases; DROP TABLE open311_keys; DROP TABLE open311_requests;
             DROP TABLE open311_outbox; DROP TABLE device_health; DROP TABLE device_photos;
             DROP TABLE audit; ALTER TABLE accounts DROP COLUMN department;
             ALTER TABLE accounts DROP COLUMN disabled;
             ALTER TABLE accounts DROP COLUMN last_sign_in_ms;
             DROP INDEX tokens_device; ALTER TABLE tokens DROP COLUMN last_used_ms;
             ALTER TABLE devices DROP COLUMN wipe_requested_ms;
             ALTER TABLE devices DROP COLUMN wipe_requested_by;
             ALTER TABLE devices DROP COLUMN wiped_ms;
             ALTER TABLE devices DROP COLUMN public_key;
             ALTER TABLE devices DROP COLUMN flagged;
             ALTER TABLE devices DROP COLUMN flagged_ms;
             ALTER TABLE devices DROP COLUMN signed_from;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let s = SqliteStorage::open(&path).await.unwrap();
    assert_eq!(s.case_view(id).await.unwrap(), Some(before));
    assert_eq!(
        searched(&s, "OVERFLOWING").await,
        vec![id],
        "searchable too"
    );
}

/// The cases a supervisor's text search for `q` lists.
async fn searched(s: &dyn Storage, q: &str) -> Vec<Uuid> {
    let wang = account(s, "wang").await;
    let f = gridwork_server::query::parse(&[("q".into(), q.into())], &wang, 0).unwrap();
    let page = s.list_cases(&f).await.unwrap();
    page.views.iter().map(|v| v.case.id).collect()
}

/// Likewise a PostgreSQL database without the case view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_without_a_case_view_get_one() {
    let Some(s) = crate::common::postgres("case_view_migration").await else {
        return;
    };
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let e = d.report(Some("32050800101"));
    let id = e.stream.id();
    accepted(&s.push(&li, vec![e]).await.unwrap()[0]);
    let before = s.case_view(id).await.unwrap().unwrap();
    drop(s);
    let s = without_table("gw_test_case_view_migration", "cases").await;
    assert_eq!(s.case_view(id).await.unwrap(), Some(before));
    assert_eq!(
        searched(&s, "OVERFLOWING").await,
        vec![id],
        "searchable too"
    );
}

/// Drops `table` from the PostgreSQL test schema `schema` (as a database made before
/// it existed) and connects again, which upgrades it.
async fn without_table(
    schema: &str,
    table: &str,
) -> gridwork_server::storage::postgres::PostgresStorage {
    let url = std::env::var("GRIDWORK_TEST_PG").unwrap();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP TABLE {schema}.{table}"))
        .await
        .unwrap();
    gridwork_server::storage::postgres::PostgresStorage::connect(&url, Some(schema))
        .await
        .unwrap()
}
