//! The database's incarnation (docs/sync-protocol.md, "After a server restore"): made
//! with every database on both backends, kept across opens, changed by a restore; a
//! push or pull naming another one is answered 409 `server_restored` and stores
//! nothing; a `pg_dump` of a database restores with `pg_restore` and a server opens it.

use super::common::{self, Device};
use gridwork_core::{model::Role, sync::wire::DEVICE_STATE_HEADER};
use gridwork_server::{incarnation, storage::postgres::PostgresStorage, Storage};

async fn incarnation_is_made_kept_and_renewed(
    s: &dyn Storage,
    reopen: impl AsyncFnOnce() -> Box<dyn Storage>,
) {
    let first = incarnation::current(s).await.unwrap();
    assert_ne!(first, "0");
    assert_eq!(first.len(), 32, "{first}");
    let again = reopen().await;
    assert_eq!(incarnation::current(again.as_ref()).await.unwrap(), first);
    let renewed = incarnation::renew(s).await.unwrap();
    assert_ne!(renewed, first);
    assert_eq!(incarnation::current(again.as_ref()).await.unwrap(), renewed);
}

#[tokio::test]
async fn sqlite_databases_have_an_incarnation_a_restore_changes() {
    let (s, dir) = common::sqlite().await;
    let path = dir.path().join("server.db");
    incarnation_is_made_kept_and_renewed(s.as_ref(), async || {
        Box::new(
            gridwork_server::storage::sqlite::SqliteStorage::open(&path)
                .await
                .unwrap(),
        ) as Box<dyn Storage>
    })
    .await;
}

#[tokio::test]
async fn postgres_databases_have_an_incarnation_a_restore_changes() {
    let Some(s) = common::postgres("incarnation").await else {
        return;
    };
    let url = common::pg_url("incarnation").unwrap();
    incarnation_is_made_kept_and_renewed(s.as_ref(), async || {
        Box::new(
            PostgresStorage::connect(&url, Some("gw_test_incarnation"))
                .await
                .unwrap(),
        ) as Box<dyn Storage>
    })
    .await;
}

#[tokio::test]
async fn a_push_or_pull_naming_another_incarnation_is_refused_before_anything_is_stored() {
    let live = common::live(Default::default()).await;
    let token = live.token("li").await;
    let current = incarnation::current(live.state.storage.as_ref())
        .await
        .unwrap();
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let body = serde_json::json!({ "events": [phone.report(Some("32050800101"))] });
    let http = crate::common::http_client();
    let push = |state: Option<String>| {
        let mut req = http
            .post(format!("{}/v1/events", live.base))
            .bearer_auth(&token)
            .header("Gridwork-Protocol", "1")
            .json(&body);
        if let Some(state) = state {
            req = req.header(DEVICE_STATE_HEADER, state);
        }
        req.send()
    };
    let stale = push(Some("outbox=1; incarnation=0123abcd".into()))
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    let text = stale.text().await.unwrap();
    assert!(text.contains("server_restored"), "{text}");
    let pulled = http
        .get(format!("{}/v1/events?after=0", live.base))
        .bearer_auth(&token)
        .header("Gridwork-Protocol", "1")
        .header(DEVICE_STATE_HEADER, "incarnation=0123abcd")
        .send()
        .await
        .unwrap();
    assert_eq!(pulled.status(), 409);
    assert!(live.state.storage.case_views().await.unwrap().is_empty());

    // Without one (a first sync), and with the right one: served, and named.
    let first = push(None).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        first
            .headers()
            .get("gridwork-incarnation")
            .unwrap()
            .to_str()
            .unwrap(),
        current
    );
    let again = push(Some(format!("incarnation={current}"))).await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("duplicate"));
    assert_eq!(live.state.storage.case_views().await.unwrap().len(), 1);
}

fn pg_bin(name: &str) -> Option<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|d| d.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}

#[tokio::test]
async fn a_pg_dump_restores_and_the_server_opens_it_with_its_data() {
    let Some(s) = common::postgres("dump").await else {
        return;
    };
    let (Some(pg_dump), Some(pg_restore)) = (pg_bin("pg_dump"), pg_bin("pg_restore")) else {
        assert!(
            !std::env::var("GRIDWORK_REQUIRE_PG").is_ok_and(|v| v == "1"),
            "GRIDWORK_REQUIRE_PG=1 but no pg_dump/pg_restore under /usr/lib/postgresql/*/bin"
        );
        eprintln!("SKIPPED: no pg_dump under /usr/lib/postgresql/*/bin");
        return;
    };
    let url = common::pg_url("dump").unwrap();
    common::accounts(s.as_ref()).await;
    let li = common::account(s.as_ref(), "li").await;
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let events = vec![
        phone.report(Some("32050800101")),
        phone.report(Some("32050800102")),
    ];
    s.push(&li, events).await.unwrap();
    let before = incarnation::current(s.as_ref()).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("gridwork.dump");
    let ok = std::process::Command::new(&pg_dump)
        .args(["--format=custom", "--schema=gw_test_dump", "--file"])
        .arg(&dump)
        .arg(&url)
        .status()
        .unwrap();
    assert!(ok.success());
    // A fresh database to restore into.
    let (admin, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    admin
        .batch_execute("DROP DATABASE IF EXISTS gridwork_restored_dump")
        .await
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE gridwork_restored_dump")
        .await
        .unwrap();
    drop(admin);
    let _ = task.await;
    let (base, _) = url.rsplit_once('/').unwrap();
    let restored_url = format!("{base}/gridwork_restored_dump");
    let ok = std::process::Command::new(&pg_restore)
        .args(["--no-owner", "--dbname"])
        .arg(&restored_url)
        .arg(&dump)
        .status()
        .unwrap();
    assert!(ok.success());

    let r = PostgresStorage::connect(&restored_url, Some("gw_test_dump"))
        .await
        .unwrap();
    assert_eq!(r.case_views().await.unwrap().len(), 2);
    assert!(r.account("li").await.unwrap().is_some());
    // The dump carries the incarnation; `gridwork admin new-incarnation` changes it.
    assert_eq!(incarnation::current(&r).await.unwrap(), before);
    assert_ne!(incarnation::renew(&r).await.unwrap(), before);
}
