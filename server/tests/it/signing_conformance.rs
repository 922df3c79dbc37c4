//! Signed devices on both backends (docs/signing.md): a device that registered a key at
//! sign-in must sign every event with it; an event whose signature does not verify is
//! refused and leaves no trace; a device that signs an event rewriting or forking the
//! history the server holds is refused and flagged, and the flag shows in the device
//! listing. Devices without a key (older clients) push unsigned events as before.

use crate::common::{account, accounts, Device};
use gridwork_core::{
    model::{signing::DeviceKey, Event, Role},
    sync::wire::PushOutcome,
};
use gridwork_server::{admin::issue_token, storage::Storage};
use std::sync::Arc;

fn accepted(o: &PushOutcome) -> i64 {
    match o {
        PushOutcome::Accepted { server_seq } => *server_seq,
        other => panic!("expected acceptance, got {other:?}"),
    }
}

fn rejected(o: &PushOutcome) -> &str {
    match o {
        PushOutcome::Rejected { reason } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn signed(key: &DeviceKey, mut e: Event) -> Event {
    key.sign(&mut e);
    e
}

const CELL: Option<&str> = Some("32050800101");

/// li signs in on `device` with a new key, as the engine does.
async fn signed_in(s: &dyn Storage, device: &str) -> DeviceKey {
    let key = DeviceKey::generate().unwrap();
    issue_token(s, "li", device).await.unwrap();
    let bound = s.bind_device_key(device, &key.public_hex()).await.unwrap();
    assert_eq!(bound.as_deref(), Some(key.public_hex().as_str()));
    key
}

async fn flag(s: &dyn Storage, device: &str) -> Option<String> {
    s.device_signing(device).await.unwrap().unwrap().flagged
}

pub async fn a_devices_first_key_is_the_one_it_keeps(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let key = signed_in(s.as_ref(), "phone-li").await;
    let other = DeviceKey::generate().unwrap();
    let bound = s
        .bind_device_key("phone-li", &other.public_hex())
        .await
        .unwrap();
    assert_eq!(bound, Some(key.public_hex()));
    // An unknown device gets no key.
    assert_eq!(
        s.bind_device_key("phone-new", &other.public_hex())
            .await
            .unwrap(),
        None
    );
    let listed = s.device_admin().await.unwrap();
    let li = listed.iter().find(|d| d.device_id == "phone-li").unwrap();
    assert!(li.signed && li.flagged.is_none());
}

pub async fn a_bad_signature_is_refused_without_a_trace(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let key = signed_in(s.as_ref(), "phone-li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    accepted(
        &s.push(&li, vec![signed(&key, d.report(CELL))])
            .await
            .unwrap()[0],
    );
    // #2 unsigned, signed by another key, or altered after signing: each refused.
    let second = d.report(CELL);
    let unsigned = second.clone();
    let forged = signed(&DeviceKey::generate().unwrap(), second.clone());
    let mut altered = signed(&key, second.clone());
    altered.payload["description"] = serde_json::json!("altered after signing");
    for (what, e) in [
        ("unsigned", unsigned),
        ("forged", forged),
        ("altered", altered),
    ] {
        let r = s.push(&li, vec![e]).await.unwrap();
        assert!(rejected(&r[0]).contains("signature"), "{what}: {r:?}");
    }
    // Nothing kept, nothing flagged, the chain where it was: the real #2 goes on.
    assert!(s.quarantine("phone-li").await.unwrap().is_empty());
    assert_eq!(flag(s.as_ref(), "phone-li").await, None);
    accepted(&s.push(&li, vec![signed(&key, second)]).await.unwrap()[0]);
}

pub async fn a_forked_or_rewritten_history_is_refused_and_flagged(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    // Another event at a place the server holds (same device_seq, other hash).
    let key = signed_in(s.as_ref(), "phone-a").await;
    let mut d = Device::new("phone-a", "li", Role::Worker);
    let one = signed(&key, d.report(CELL));
    accepted(&s.push(&li, vec![one.clone()]).await.unwrap()[0]);
    accepted(
        &s.push(&li, vec![signed(&key, d.report(CELL))])
            .await
            .unwrap()[0],
    );
    let mut fork = Device::new("phone-a", "li", Role::Worker);
    fork.seq = 1;
    fork.prev = one.hash();
    let r = s
        .push(&li, vec![signed(&key, fork.report(CELL))])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("forked history"), "{r:?}");
    assert!(flag(s.as_ref(), "phone-a")
        .await
        .unwrap()
        .contains("forked"));
    // The next place, but not continuing the chain the server holds.
    let key = signed_in(s.as_ref(), "phone-b").await;
    let mut d = Device::new("phone-b", "li", Role::Worker);
    accepted(
        &s.push(&li, vec![signed(&key, d.report(CELL))])
            .await
            .unwrap()[0],
    );
    d.prev = "ab".repeat(32);
    let r = s
        .push(&li, vec![signed(&key, d.report(CELL))])
        .await
        .unwrap();
    assert!(rejected(&r[0]).contains("does not continue"), "{r:?}");
    assert!(flag(s.as_ref(), "phone-b").await.is_some());
    // A held event signed again with other content under its id.
    let key = signed_in(s.as_ref(), "phone-c").await;
    let mut d = Device::new("phone-c", "li", Role::Worker);
    let mut one = signed(&key, d.report(CELL));
    accepted(&s.push(&li, vec![one.clone()]).await.unwrap()[0]);
    one.payload["description"] = serde_json::json!("rewritten");
    let r = s.push(&li, vec![signed(&key, one)]).await.unwrap();
    assert!(rejected(&r[0]).contains("forked history"), "{r:?}");
    assert!(flag(s.as_ref(), "phone-c").await.is_some());
    // The listing shows each flag; nothing of the forks was stored.
    let listed = s.device_admin().await.unwrap();
    for id in ["phone-a", "phone-b", "phone-c"] {
        let d = listed.iter().find(|d| d.device_id == id).unwrap();
        assert!(d.flagged.is_some() && d.flagged_ms.is_some(), "{id}");
    }
    for id in ["phone-a", "phone-b", "phone-c"] {
        assert!(s.quarantine(id).await.unwrap().is_empty(), "{id}");
    }
}

pub async fn devices_without_a_key_push_unsigned_as_before(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    issue_token(s.as_ref(), "li", "phone-old").await.unwrap();
    let mut d = Device::new("phone-old", "li", Role::Worker);
    let first = d.report(CELL);
    accepted(&s.push(&li, vec![first.clone()]).await.unwrap()[0]);
    accepted(&s.push(&li, vec![d.report(CELL)]).await.unwrap()[0]);
    let listed = s.device_admin().await.unwrap();
    let old = listed.iter().find(|d| d.device_id == "phone-old").unwrap();
    assert!(!old.signed && old.flagged.is_none());
    // Updated, it registers a key: what the server holds stays unsigned (a replay of it
    // is a duplicate), every later event must be signed.
    let key = DeviceKey::generate().unwrap();
    s.bind_device_key("phone-old", &key.public_hex())
        .await
        .unwrap();
    let r = s.push(&li, vec![first]).await.unwrap();
    assert!(matches!(r[0], PushOutcome::Duplicate { .. }), "{r:?}");
    let third = d.report(CELL);
    let r = s.push(&li, vec![third.clone()]).await.unwrap();
    assert!(rejected(&r[0]).contains("signature"), "{r:?}");
    accepted(&s.push(&li, vec![signed(&key, third)]).await.unwrap()[0]);
}

use crate::common::both_backends;

both_backends!(
    a_devices_first_key_is_the_one_it_keeps,
    a_bad_signature_is_refused_without_a_trace,
    a_forked_or_rewritten_history_is_refused_and_flagged,
    devices_without_a_key_push_unsigned_as_before,
);
