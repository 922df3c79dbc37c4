//! The PostgreSQL schema upgrades. `tests/fixtures/pg/<commit>.sql` holds, for every
//! commit that changed the statements `PostgresStorage::connect()` runs, exactly those
//! statements (extracted from that commit's source by `tests/fixtures/pg/extract.py`)
//! and the rows of a database of that time: accounts with passwords, a device's token
//! and an administrator's token of the time, accepted events of a phone and a tablet, a
//! closed case with a photo, a patrol, a quarantined event and a setting. Each is
//! restored into its own schema and opened by this build, and then has exactly the
//! columns, indexes and constraints of a fresh database, serves the rows it holds (the
//! same pull, chain heads, quarantine, tokens and passwords, and case and patrol views
//! equal to a fold of its events by this build), and goes on numbering events after
//! the old ones. Runs when GRIDWORK_TEST_PG is set (fails without it when
//! GRIDWORK_REQUIRE_PG=1).
//!
//! When `connect()`'s statements change, freeze the state before the change: commit
//! it, then run `write_pg_fixtures` (below; it freezes every state of the history but
//! the current one, leaving the frozen files as they are) and add the new file to
//! [`FROZEN`].

use crate::common::{accounts, close, pg_url, postgres, register, Device};
use gridwork_core::{
    model::{Role, Stream},
    sync::wire::PushOutcome,
};
use gridwork_server::storage::{postgres::PostgresStorage, Storage};
use std::collections::BTreeSet;
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

/// Every earlier state of the PostgreSQL schema, oldest first, by the commit that made
/// it. Never edit the files.
const FROZEN: [(&str, &str); 27] = [
    ("bb0ab2b", include_str!("../fixtures/pg/bb0ab2b.sql")),
    ("f934411", include_str!("../fixtures/pg/f934411.sql")),
    ("e3c4193", include_str!("../fixtures/pg/e3c4193.sql")),
    ("e34c7cf", include_str!("../fixtures/pg/e34c7cf.sql")),
    ("7bfe0fa", include_str!("../fixtures/pg/7bfe0fa.sql")),
    ("bd00464", include_str!("../fixtures/pg/bd00464.sql")),
    ("afe5873", include_str!("../fixtures/pg/afe5873.sql")),
    ("4fb09d3", include_str!("../fixtures/pg/4fb09d3.sql")),
    ("8d12e35", include_str!("../fixtures/pg/8d12e35.sql")),
    ("bf2abe2", include_str!("../fixtures/pg/bf2abe2.sql")),
    ("e42c762", include_str!("../fixtures/pg/e42c762.sql")),
    ("16bd5a5", include_str!("../fixtures/pg/16bd5a5.sql")),
    ("3e4ec6b", include_str!("../fixtures/pg/3e4ec6b.sql")),
    ("368baed", include_str!("../fixtures/pg/368baed.sql")),
    ("ae89db8", include_str!("../fixtures/pg/ae89db8.sql")),
    ("edf82b3", include_str!("../fixtures/pg/edf82b3.sql")),
    ("e554258", include_str!("../fixtures/pg/e554258.sql")),
    ("db665d9", include_str!("../fixtures/pg/db665d9.sql")),
    ("930887a", include_str!("../fixtures/pg/930887a.sql")),
    ("282b3d8", include_str!("../fixtures/pg/282b3d8.sql")),
    ("e55d4b3", include_str!("../fixtures/pg/e55d4b3.sql")),
    ("92ab519", include_str!("../fixtures/pg/92ab519.sql")),
    ("a1e4c3a", include_str!("../fixtures/pg/a1e4c3a.sql")),
    ("6eb8a58", include_str!("../fixtures/pg/6eb8a58.sql")),
    ("2315df4", include_str!("../fixtures/pg/2315df4.sql")),
    ("450b805", include_str!("../fixtures/pg/450b805.sql")),
    ("ac188dc", include_str!("../fixtures/pg/ac188dc.sql")),
];

/// The photo of the closed case, and the tokens in every fixture (stored by digest).
const PHOTO: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKENS: [&str; 2] = ["d-li", "d-wang-admin"];

async fn client(url: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// The columns (with their collations), indexes and constraints of `schema`, with the
/// schema's name taken out.
async fn catalog_of(c: &Client, schema: &str) -> BTreeSet<String> {
    let queries = [
        "SELECT 'column', table_name::text, column_name::text,
                data_type::text || coalesce(' COLLATE ' || collation_name::text, ''),
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
    let mut out = BTreeSet::new();
    for q in queries {
        for row in c.query(q, &[&schema]).await.unwrap() {
            let cells: Vec<String> = (0..8).map(|i| row.get::<_, String>(i)).collect();
            out.insert(cells.join(" | ").replace(&format!("{schema}."), ""));
        }
    }
    out
}

/// Rows of `sql` (text columns) in `schema`, each joined with " | ".
async fn rows(c: &Client, schema: &str, sql: &str) -> Vec<String> {
    c.batch_execute(&format!("SET search_path = {schema}"))
        .await
        .unwrap();
    let out = c.query(sql, &[]).await.unwrap();
    out.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.get::<_, String>(i))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

/// The case and patrol views the server serves, as text.
async fn views(s: &dyn Storage, cases: &[Uuid], patrols: &[Uuid]) -> Vec<String> {
    let mut out = Vec::new();
    for id in cases {
        out.push(format!("{:?}", s.case_view(*id).await.unwrap()));
    }
    for id in patrols {
        out.push(format!("{:?}", s.patrol(*id).await.unwrap()));
    }
    out
}

/// Every row of the tables the server folds from the events, as JSON.
async fn derived_rows(c: &Client, schema: &str) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["cases", "case_eval", "patrols", "patrol_cells"] {
        let sql = format!("SELECT to_jsonb(t)::text FROM {table} t ORDER BY 1");
        out.extend(rows(c, schema, &sql).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_of_every_earlier_schema_upgrade_to_a_fresh_one_and_read_back() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pg");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|f| f.unwrap().file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".sql").map(String::from))
        .collect();
    files.sort();
    let mut listed: Vec<String> = FROZEN.iter().map(|f| f.0.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every frozen file is in FROZEN");
    let Some(url) = pg_url("PostgreSQL schema upgrade") else {
        return;
    };
    let c = client(&url).await;
    let Some(fresh) = postgres("pg_fresh").await else {
        return;
    };
    drop(fresh);
    let fresh = catalog_of(&c, "gw_test_pg_fresh").await;
    let mut failed = Vec::new();
    for (commit, sql) in FROZEN {
        let problems = upgrade(&c, &url, commit, sql, &fresh).await;
        if !problems.is_empty() {
            failed.push(format!("{commit}:\n    {}", problems.join("\n    ")));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} frozen PostgreSQL databases do not upgrade:\n{}",
        failed.len(),
        FROZEN.len(),
        failed.join("\n")
    );
}

/// Restores the fixture of `commit`, opens it with this build and returns what differs
/// from what it should be.
async fn upgrade(
    c: &Client,
    url: &str,
    commit: &str,
    sql: &str,
    fresh: &BTreeSet<String>,
) -> Vec<String> {
    let schema = format!("gw_test_pg_at_{commit}");
    c.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};
         SET search_path = {schema}; {sql}"
    ))
    .await
    .unwrap();
    // What the old server held, read with SQL before this build touches it.
    let held = rows(c, &schema, "SELECT id FROM events ORDER BY server_seq").await;
    let last: i64 = c
        .query_one("SELECT max(server_seq) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    let heads = rows(
        c,
        &schema,
        "SELECT device_id, last_seq::text, last_hash FROM devices ORDER BY device_id",
    )
    .await;
    let quarantined = rows(
        c,
        &schema,
        "SELECT device_id, id FROM quarantine ORDER BY device_id, device_seq",
    )
    .await;
    let password = rows(
        c,
        &schema,
        "SELECT password_hash FROM accounts WHERE name = 'li'",
    )
    .await;
    let tokens = rows(
        c,
        &schema,
        "SELECT digest, name, CASE device_id WHEN 'issued-by-admin' THEN '' ELSE device_id END
         FROM tokens ORDER BY digest",
    )
    .await;

    let s = match PostgresStorage::connect(url, Some(&schema)).await {
        Ok(s) => s,
        Err(e) => return vec![format!("does not open: {e}")],
    };
    let mut problems = Vec::new();
    macro_rules! check {
        ($ok:expr, $what:expr $(,)?) => {
            if !$ok {
                problems.push($what);
            }
        };
    }
    // A storage call that fails ends the checks of this database.
    macro_rules! ok {
        ($call:expr, $what:literal) => {
            match $call.await {
                Ok(v) => v,
                Err(e) => {
                    problems.push(format!("{}: {e}", $what));
                    return problems;
                }
            }
        };
    }
    let catalog = catalog_of(c, &schema).await;
    for missing in fresh.difference(&catalog) {
        check!(false, format!("lacks  {missing}"));
    }
    for extra in catalog.difference(fresh) {
        check!(false, format!("has    {extra}"));
    }

    let wang = s.account("wang").await.unwrap().unwrap();
    let li = s.account("li").await.unwrap().unwrap();
    check!(
        li.role == Role::Worker
            && li.scope == ["320508001"]
            && li.password_hash.as_ref() == password.first(),
        format!("li reads back as {li:?}"),
    );
    let pulled = s.pull(&wang, 0, 1000).await.unwrap().events;
    let ids: Vec<String> = pulled.iter().map(|e| e.id.to_string()).collect();
    check!(ids == held, format!("pull gives {ids:?}, held {held:?}"));
    let (mut served, mut served_q) = (Vec::new(), Vec::new());
    let devices: BTreeSet<&str> = heads
        .iter()
        .chain(&quarantined)
        .map(|r| r.split(" | ").next().unwrap())
        .collect();
    for device in devices {
        if let Some((seq, hash)) = s.device_head(device).await.unwrap() {
            served.push(format!("{device} | {seq} | {hash}"));
        }
        for q in s.quarantine(device).await.unwrap() {
            served_q.push(format!("{device} | {}", q.event.id));
        }
    }
    check!(
        served == heads,
        format!("chain heads {served:?}, held {heads:?}")
    );
    check!(
        served_q == quarantined,
        format!("quarantine {served_q:?}, held {quarantined:?}"),
    );
    check!(!quarantined.is_empty(), "no quarantined event".into());
    let mut owners = Vec::new();
    for t in TOKENS {
        if let Some(o) = s.account_by_token(t, -1).await.unwrap() {
            owners.push(format!("{t} | {} | {}", o.account.user, o.device_id));
        }
    }
    check!(
        owners == tokens,
        format!("tokens resolve to {owners:?}, held {tokens:?}")
    );
    check!(
        s.blob_referenced(PHOTO, "li").await.unwrap(),
        "the case's photo is not known".into(),
    );
    check!(
        s.setting("retention.note").await.unwrap().as_deref() == Some("kept"),
        "the setting is lost".into(),
    );

    // The views it serves are the ones this build folds from the events it holds.
    let mut cases = BTreeSet::new();
    let mut patrols = BTreeSet::new();
    for e in &pulled {
        match e.stream {
            Stream::Incident(id) => cases.insert(id),
            Stream::Patrol(id) => patrols.insert(id),
        };
    }
    let (cases, patrols): (Vec<_>, Vec<_>) =
        (cases.into_iter().collect(), patrols.into_iter().collect());
    let before = views(&s, &cases, &patrols).await;
    let derived = derived_rows(c, &schema).await;
    check!(
        cases.len() == 2 && patrols.len() == 1 && !before.iter().any(|v| v == "None"),
        format!("views {before:?}"),
    );
    ok!(s.rebuild_cases(), "rebuild of the case views");
    ok!(s.rebuild_patrols(), "rebuild of the patrol views");
    let after = views(&s, &cases, &patrols).await;
    check!(
        before == after,
        format!("views {before:?}\n    folded again {after:?}")
    );
    // So are the columns the upgrade filled in (map point, conflicts, search text,
    // evaluation copy, patrol cells).
    let again = derived_rows(c, &schema).await;
    check!(
        derived.len() == again.len(),
        format!(
            "{} derived rows, {} folded again",
            derived.len(),
            again.len()
        )
    );
    for (old, new) in derived.iter().zip(&again) {
        check!(
            old == new,
            format!("upgraded {old}\n    folded again {new}")
        );
    }
    // The case list and its text search read the upgraded columns.
    let query = [("q".to_string(), "bin".to_string())];
    let filter = gridwork_server::query::parse(&query, &wang, 0).unwrap();
    let listed = s.list_cases(&filter).await;
    check!(
        listed.as_ref().is_ok_and(|p| p.views.len() == 2),
        format!("case search {listed:?}"),
    );

    // It goes on: the next event is numbered after the old ones, and taken only once.
    let mut phone = Device::new("phone-li-2", "li", Role::Worker);
    let next = phone.report(Some("32050800100101"));
    let outcome = ok!(s.push(&li, vec![next.clone()]), "the next push");
    check!(
        matches!(outcome[0], PushOutcome::Accepted { server_seq } if server_seq > last),
        format!("the next push after {last}: {outcome:?}"),
    );
    let again = ok!(s.push(&li, vec![next.clone()]), "the push again");
    check!(
        matches!(again[0], PushOutcome::Duplicate { .. }),
        format!("the push again: {again:?}"),
    );
    let page = ok!(s.pull(&wang, last, 1000), "the pull after");
    check!(
        page.events.len() == 1 && page.events[0].id == next.id,
        format!("the pull after {last}: {:?}", page.events),
    );
    problems
}

/// Freezes every earlier state of `connect()`'s statements that has no fixture yet:
/// `GRIDWORK_TEST_PG=... cargo test -p gridwork-server --test it write_pg_fixtures --
/// --ignored` (needs git history, python3 and pg_dump). The rows are made by this build
/// in a scratch schema, copied into the columns the old schema has (settings the old
/// server did not write left out), and the old statements run again over them, as the
/// old server did at each start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn write_pg_fixtures() {
    let url = pg_url("write_pg_fixtures").expect("GRIDWORK_TEST_PG");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("server/tests/fixtures/pg");
    let extract = |args: &[&str]| {
        let out = std::process::Command::new("python3")
            .arg(dir.join("extract.py"))
            .args(args)
            .current_dir(&root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let body = |s: &str| s.lines().skip(2).collect::<Vec<_>>().join("\n");
    let current = body(&extract(&["HEAD"]));
    let src = source().await;
    let c = client(&url).await;
    for line in extract(&["--states"]).lines() {
        let commit = line.split(' ').next().unwrap();
        let file = dir.join(format!("{commit}.sql"));
        let ddl = extract(&[commit]);
        if body(&ddl) == current || std::fs::metadata(&file).is_ok_and(|m| m.len() > 0) {
            continue;
        }
        let to = format!("gw_freeze_{commit}");
        copy_rows(&c, &ddl, &src, &to).await;
        let dump = std::process::Command::new(pg_dump())
            .args(["--data-only", "--inserts", "--no-owner", "-n", &to, &url])
            .output()
            .unwrap();
        assert!(
            dump.status.success(),
            "{}",
            String::from_utf8_lossy(&dump.stderr)
        );
        let inserts: Vec<String> = String::from_utf8(dump.stdout)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("INSERT") || l.starts_with("SELECT pg_catalog.setval"))
            .map(|l| l.replace(&format!("{to}."), ""))
            .collect();
        std::fs::write(
            &file,
            format!(
                "{ddl}-- The rows (write_pg_fixtures in server/tests/it/pg_migrations.rs), in place\n\
                 -- of the settings the statements above wrote.\nDELETE FROM settings;\n{}\n",
                inserts.join("\n")
            ),
        )
        .unwrap();
        eprintln!("froze {}", file.display());
    }
}

fn pg_dump() -> std::path::PathBuf {
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap()
        .map(|d| d.unwrap().path().join("bin/pg_dump"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
        .pop()
        .expect("pg_dump under /usr/lib/postgresql/*/bin")
}

/// A database made by this build holding what every fixture holds; returns its schema.
async fn source() -> String {
    let src = postgres("pg_freeze_source").await.unwrap();
    accounts(src.as_ref()).await;
    src.put_setting("retention.note", "kept").await.unwrap();
    src.add_token("li", "d-li", "phone-li").await.unwrap();
    let li = src.account("li").await.unwrap().unwrap();
    let wang = src.account("wang").await.unwrap().unwrap();
    let zhao = src.account("zhao").await.unwrap().unwrap();
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let cell = "32050800100101";
    let a = phone.report_with_photos(Some(cell), &[(PHOTO, 10)]);
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
    let steps = vec![
        tablet.act(a.stream, register()),
        tablet.act(a.stream, close()),
    ];
    for o in src.push(&li, vec![a, b, started, finished]).await.unwrap() {
        assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
    }
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
    drop(src);
    let schema = "gw_test_pg_freeze_source".to_string();
    // An administrator's token as servers before e34c7cf issued them.
    client(&pg_url("source").unwrap())
        .await
        .batch_execute(&format!(
            "INSERT INTO {schema}.tokens (digest, name, device_id, created_ms)
             VALUES ('d-wang-admin', 'wang', 'issued-by-admin', 1)"
        ))
        .await
        .unwrap();
    schema
}

/// Makes schema `to` of the old statements `ddl`, copies into it the rows and columns
/// of `from` that it has, and runs `ddl` again over them.
async fn copy_rows(c: &Client, ddl: &str, from: &str, to: &str) {
    c.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {to} CASCADE; CREATE SCHEMA {to}; SET search_path = {to}; {ddl}"
    ))
    .await
    .unwrap();
    let columns = |schema: String, table: String| async move {
        c.query(
            "SELECT column_name::text, is_nullable = 'NO' AND column_default IS NULL
               AND is_identity = 'NO'
             FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
             ORDER BY ordinal_position",
            &[&schema, &table],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, bool>(1)))
        .collect::<Vec<_>>()
    };
    let tables: Vec<String> = rows(
        c,
        to,
        &format!(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = '{to}'
             ORDER BY table_name <> 'accounts', table_name"
        ),
    )
    .await;
    for table in tables {
        let theirs: Vec<String> = columns(from.to_string(), table.clone())
            .await
            .into_iter()
            .map(|c| c.0)
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let (mut names, mut values) = (Vec::new(), Vec::new());
        for (column, required) in columns(to.to_string(), table.clone()).await {
            let value = if theirs.contains(&column) {
                format!("s.\"{column}\"")
            } else if (table.as_str(), column.as_str()) == ("case_eval", "copy") {
                // The evaluation's JSON copy of the case view (before 2315df4).
                format!("(SELECT v.view FROM {from}.cases v WHERE v.id = s.id)")
            } else if required {
                panic!("{to}: no value for {table}.{column}");
            } else {
                continue;
            };
            names.push(format!("\"{column}\""));
            values.push(value);
        }
        // Settings only servers of that time wrote: their own statements write them.
        let only = if table == "settings" {
            "WHERE s.key NOT LIKE 'migration.%' AND s.key <> 'server.incarnation'"
        } else {
            ""
        };
        c.batch_execute(&format!(
            "INSERT INTO {to}.{table} ({}) OVERRIDING SYSTEM VALUE
             SELECT {} FROM {from}.{table} s {only} ON CONFLICT DO NOTHING",
            names.join(", "),
            values.join(", ")
        ))
        .await
        .unwrap();
    }
    let identities = rows(
        c,
        to,
        &format!(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = '{to}' AND is_identity = 'YES'"
        ),
    )
    .await;
    for row in identities {
        let (table, column) = row.split_once(" | ").unwrap();
        c.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{to}.{table}', '{column}'),
                           coalesce((SELECT max(\"{column}\") FROM {to}.{table}), 1),
                           (SELECT count(*) > 0 FROM {to}.{table}))"
        ))
        .await
        .unwrap();
    }
    // Servers that unbound the administrators' tokens at start issued them unbound.
    if ddl.contains("migration.unbound_admin_tokens") {
        c.batch_execute(&format!(
            "UPDATE {to}.tokens SET device_id = '' WHERE device_id = 'issued-by-admin'"
        ))
        .await
        .unwrap();
    }
    c.batch_execute(&format!("SET search_path = {to}; {ddl}"))
        .await
        .unwrap();
}
