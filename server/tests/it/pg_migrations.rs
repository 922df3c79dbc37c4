//! The PostgreSQL schema upgrades: a database of the first released schema
//! (`tests/fixtures/postgres_v1.sql`) and one of the schema before device
//! administration (`postgres_v2.sql`, the statements the build at e554258 ran), both
//! frozen from the history of server/src/storage/postgres*.rs, each holding accounts, a
//! device's token, accepted and quarantined events, a case with photos, a patrol and a
//! setting, is opened by this build and then has exactly the columns, indexes and
//! constraints of a fresh database, reads back as the database its rows came from, and
//! goes on accepting pushes. Runs when GRIDWORK_TEST_PG is set (fails without it when
//! GRIDWORK_REQUIRE_PG=1).

use crate::common::{accounts, close, pg_url, postgres, register, Device};
use gridwork_core::{
    model::{Role, Stream},
    sync::wire::PushOutcome,
};
use gridwork_server::storage::{postgres::PostgresStorage, Storage};
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

/// The frozen schemas: the first released one, and the one before device administration.
/// Never edit the files.
const FROZEN: [(&str, &str); 2] = [
    ("v1", include_str!("../fixtures/postgres_v1.sql")),
    ("v2", include_str!("../fixtures/postgres_v2.sql")),
];

async fn client(url: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// The columns, indexes and constraints of `schema`, with the schema's name taken out.
async fn catalog_of(c: &Client, schema: &str) -> Vec<String> {
    let queries = [
        "SELECT 'column', table_name::text, column_name::text, data_type::text,
                is_nullable::text, coalesce(column_default, ''), is_identity::text,
                coalesce(identity_generation, '')::text
         FROM information_schema.columns WHERE table_schema = $1",
        "SELECT 'index', tablename::text, indexname::text, indexdef, '', '', '', ''
         FROM pg_indexes WHERE schemaname = $1",
        "SELECT 'constraint', cl.relname::text, co.conname::text, co.contype::text,
                pg_get_constraintdef(co.oid), '', '', ''
         FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
         JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = $1",
    ];
    let mut out = Vec::new();
    for q in queries {
        for row in c.query(q, &[&schema]).await.unwrap() {
            let cells: Vec<String> = (0..8).map(|i| row.get::<_, String>(i)).collect();
            out.push(cells.join(" | ").replace(&format!("{schema}."), ""));
        }
    }
    out.sort();
    out
}

/// Everything the server serves from a database, as text, for comparing two.
async fn view(s: &dyn Storage, cases: &[Uuid], patrol: Uuid) -> Vec<String> {
    let wang = s.account("wang").await.unwrap().unwrap();
    let li = s.account("li").await.unwrap().unwrap();
    let mut out = vec![
        format!("{:?}", li),
        format!("{:?}", s.account_by_token("d-li", -1).await.unwrap()),
        format!("{:?}", s.pull(&wang, 0, 1000).await.unwrap()),
        format!("{:?}", s.pull(&li, 0, 1000).await.unwrap()),
        format!("{:?}", s.device_head("phone-li").await.unwrap()),
        format!("{:?}", s.quarantine("phone-zhao").await.unwrap()),
        format!("{:?}", s.patrol(patrol).await.unwrap()),
        format!(
            "{:?}",
            s.blob_referenced(&"a".repeat(64), "li").await.unwrap()
        ),
        format!("{:?}", s.setting("retention.note").await.unwrap()),
    ];
    for id in cases {
        out.push(format!("{:?}", s.case_view(*id).await.unwrap()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_of_earlier_schemas_upgrade_to_a_fresh_ones_and_read_back() {
    let Some(url) = pg_url("PostgreSQL schema upgrade") else {
        return;
    };
    // What a server of the first release held, made by today's build.
    let Some(src) = postgres("pg_v1_source").await else {
        return;
    };
    accounts(src.as_ref()).await;
    src.put_setting("retention.note", "kept").await.unwrap();
    src.add_token("li", "d-li", "phone-li").await.unwrap();
    let li = src.account("li").await.unwrap().unwrap();
    let wang = src.account("wang").await.unwrap().unwrap();
    let zhao = src.account("zhao").await.unwrap().unwrap();
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let cell = "32050800100101";
    let a = phone.report_with_photos(Some(cell), &[(&"a".repeat(64), 10)]);
    let b = phone.report(Some(cell));
    let patrol = Uuid::now_v7();
    let started = phone.event(
        Stream::Patrol(patrol),
        "patrol.started",
        serde_json::json!({"cells": [cell], "started_at_ms": phone.wall}),
    );
    let finished = phone.event(
        Stream::Patrol(patrol),
        "patrol.finished",
        serde_json::json!({"finished_at_ms": phone.wall + 60_000}),
    );
    let cases = [a.stream.id(), b.stream.id()];
    for o in src
        .push(&li, vec![a.clone(), b, started, finished])
        .await
        .unwrap()
    {
        assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
    }
    let steps = vec![
        tablet.act(a.stream, register()),
        tablet.act(a.stream, close()),
    ];
    for o in src.push(&wang, steps).await.unwrap() {
        assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
    }
    // zhao's report in li's cell, outside his scope: quarantined.
    let mut other = Device::new("phone-zhao", "zhao", Role::Worker);
    let refused = src
        .push(&zhao, vec![other.report(Some(cell))])
        .await
        .unwrap();
    assert!(
        matches!(refused[0], PushOutcome::Rejected { .. }),
        "{refused:?}"
    );
    let expected = view(src.as_ref(), &cases, patrol).await;
    assert!(
        !expected
            .iter()
            .any(|v| ["None", "[]", "false"].contains(&v.as_str())),
        "the source holds all it should: {expected:?}"
    );

    let c = client(&url).await;
    let Some(fresh) = postgres("pg_fresh").await else {
        return;
    };
    drop(fresh);
    let fresh = catalog_of(&c, "gw_test_pg_fresh").await;
    let next = phone.report(Some(cell));
    let held = src.pull(&wang, 0, 1000).await.unwrap().events.len() as i64;
    for (version, ddl) in FROZEN {
        let to = format!("gw_test_pg_{version}_frozen");
        let upgraded = freeze_and_open(&c, &url, ddl, "gw_test_pg_v1_source", &to).await;
        assert_eq!(
            catalog_of(&c, &to).await,
            fresh,
            "the upgraded {version} schema is not a fresh one"
        );
        assert_eq!(
            view(&upgraded, &cases, patrol).await,
            expected,
            "{version} reads back differently"
        );

        // It goes on: li's next event is accepted after the old ones, and only once.
        let li = upgraded.account("li").await.unwrap().unwrap();
        let outcome = upgraded.push(&li, vec![next.clone()]).await.unwrap();
        let PushOutcome::Accepted { server_seq } = outcome[0] else {
            panic!("{version}: {outcome:?}");
        };
        assert!(
            server_seq > held,
            "{version}: {server_seq} after {held} events"
        );
        assert!(matches!(
            upgraded.push(&li, vec![next.clone()]).await.unwrap()[0],
            PushOutcome::Duplicate { .. }
        ));
    }
}

/// Makes schema `to` of the frozen `ddl`, copies into it every row and column of `from`
/// that the frozen schema has (identity sequences where the old server left them), and
/// opens it with this build, which upgrades it.
async fn freeze_and_open(
    c: &Client,
    url: &str,
    ddl: &str,
    from: &str,
    to: &str,
) -> PostgresStorage {
    c.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {to} CASCADE; CREATE SCHEMA {to}; SET search_path = {to};
         {ddl}"
    ))
    .await
    .unwrap();
    // Accounts first: tokens refer to them.
    let tables: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1
             ORDER BY table_name <> 'accounts', table_name",
            &[&to],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let columns = |schema: String, table: String| async move {
        c.query(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = $2",
            &[&schema, &table],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
    };
    for table in tables {
        let theirs = columns(from.to_string(), table.clone()).await;
        let list: Vec<String> = columns(to.to_string(), table.clone())
            .await
            .into_iter()
            .filter(|c| theirs.contains(c))
            .map(|c| format!("\"{c}\""))
            .collect();
        let list = list.join(", ");
        // A row the frozen schema's own statements wrote (a migration marker) stays.
        c.batch_execute(&format!(
            "INSERT INTO {to}.{table} ({list}) OVERRIDING SYSTEM VALUE
             SELECT {list} FROM {from}.{table} ON CONFLICT DO NOTHING"
        ))
        .await
        .unwrap();
    }
    let identities = c
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = $1 AND is_identity = 'YES'",
            &[&to],
        )
        .await
        .unwrap();
    for row in identities {
        let (table, column): (String, String) = (row.get(0), row.get(1));
        c.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{to}.{table}', '{column}'),
                           (SELECT max(\"{column}\") FROM {to}.{table}))"
        ))
        .await
        .unwrap();
    }
    PostgresStorage::connect(url, Some(to)).await.unwrap()
}
