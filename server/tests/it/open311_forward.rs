//! Open311 forwarding: cases of chosen categories go to another gridwork's Open311 on
//! loopback through the durable outbox, once each, retried after a failure.

use super::open311::{city, encode, form, serve, FORM, HOME};
use crate::common::*;
use gridwork_core::model::{Role, Source};
use gridwork_server::{
    admin,
    open311::{forward::Forwarder, ForwardOptions},
    storage::{open311::OutboxState, Storage},
};
use serde_json::Value;
use std::{sync::Arc, time::Duration};

/// Runs a forwarding round on a thread of its own (the forwarder blocks).
async fn round(f: &Arc<Forwarder>) -> gridwork_server::open311::forward::Round {
    let f = f.clone();
    tokio::task::spawn_blocking(move || f.run_once().unwrap())
        .await
        .unwrap()
}

async fn forwards_each_case_once_and_retries_until_the_target_answers(s: Arc<dyn Storage>) {
    // Our city, with a resident's case and a worker's, and one from a partner.
    let key = city(s.as_ref()).await;
    admin::add_user(s.as_ref(), "partner", Role::Integration, "*", None)
        .await
        .unwrap();
    let partner_key = admin::issue_open311_key(s.as_ref(), "partner", Source::Open311Partner)
        .await
        .unwrap();
    let (ours, _ours_blobs) = serve(
        s.clone(),
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await;
    let c = crate::common::http_client();
    let file = |k: String, code: &'static str| {
        let c = c.clone();
        let url = format!("{ours}/open311/v2/requests.json");
        async move {
            let v: Value = c
                .post(url)
                .header("content-type", FORM)
                .body(encode(&form(Some(&k), code, HOME, "bin")))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            uuid::Uuid::parse_str(v[0]["service_request_id"].as_str().unwrap()).unwrap()
        }
    };
    let resident = file(key.clone(), "06010").await;
    let from_partner = file(partner_key, "06010").await;
    let other_category = file(key, "01001").await;

    // The other city's system: a gridwork on a port nobody listens on yet.
    let spare = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target_addr = spare.local_addr().unwrap();
    drop(spare);
    let target = format!("http://{target_addr}/open311/v2");
    let (them, _dir) = sqlite().await;
    admin::import_catalog(
        them.as_ref(),
        include_str!("../../../data/kcity-catalog.json"),
    )
    .await
    .unwrap();
    admin::import_grid(
        them.as_ref(),
        include_str!("../../../data/kcity-grid.geojson"),
    )
    .await
    .unwrap();
    admin::add_user(them.as_ref(), "kcity", Role::Integration, "*", None)
        .await
        .unwrap();
    let their_key = admin::issue_open311_key(them.as_ref(), "kcity", Source::Open311Partner)
        .await
        .unwrap();

    let mut options = ForwardOptions::new(&target, &their_key, vec!["06010".into()]);
    options.retry_base = Duration::from_millis(1);
    options.retry_max = Duration::from_millis(1);
    options.timeout = Duration::from_secs(10);
    let (s2, handle) = (s.clone(), tokio::runtime::Handle::current());
    let f = Arc::new(
        tokio::task::spawn_blocking(move || Forwarder::new(s2, options, handle).unwrap())
            .await
            .unwrap(),
    );

    // Down: the attempt fails and stays pending.
    let r = round(&f).await;
    assert_eq!(
        (r.queued, r.sent, r.failed, r.skipped),
        (2, 0, 1, 1),
        "{r:?}"
    );
    let entry = &s.outbox_entries(resident).await.unwrap()[0];
    assert_eq!(
        (entry.state.clone(), entry.attempts),
        (OutboxState::Pending, 1)
    );
    assert!(
        entry.error.as_deref().unwrap().contains("no connection"),
        "{entry:?}"
    );
    assert_eq!(
        s.outbox_entries(from_partner).await.unwrap()[0].state,
        OutboxState::Skipped
    );
    assert!(s.outbox_entries(other_category).await.unwrap().is_empty());

    // Up: the retry goes through, and the target's request id is recorded.
    let (their_base, _their_blobs) = serve(
        them.clone(),
        tokio::net::TcpListener::bind(target_addr).await.unwrap(),
    )
    .await;
    let mut sent = 0;
    for _ in 0..200 {
        sent += round(&f).await.sent;
        if sent > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(sent, 1);
    let entry = &s.outbox_entries(resident).await.unwrap()[0];
    assert_eq!(
        (entry.state.clone(), entry.attempts),
        (OutboxState::Sent, 2)
    );
    let remote = entry.remote_id.clone().unwrap();
    let theirs = them.case_views().await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].case.id.to_string(), remote);
    assert_eq!(theirs[0].source, Source::Open311Partner);
    let wang_token = admin::issue_token(s.as_ref(), "wang", "web-wang")
        .await
        .unwrap();
    let detail: Value = c
        .get(format!("{ours}/v1/cases/{resident}"))
        .bearer_auth(wang_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["forwarded"][0]["remote_id"], remote.as_str());
    assert_eq!(detail["forwarded"][0]["state"], "sent");

    // Never twice: more rounds send nothing, and the target still holds one case.
    for _ in 0..3 {
        assert_eq!(round(&f).await, Default::default());
    }
    assert_eq!(them.case_views().await.unwrap().len(), 1);
    let listed: Vec<Value> = c
        .get(format!("{their_base}/open311/v2/requests.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_forwards_each_case_once_and_retries_until_the_target_answers() {
    let (s, _dir) = sqlite().await;
    forwards_each_case_once_and_retries_until_the_target_answers(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_forwards_each_case_once_and_retries_until_the_target_answers() {
    let Some(s) = postgres("open311_forwarding").await else {
        return;
    };
    forwards_each_case_once_and_retries_until_the_target_answers(s).await;
}
