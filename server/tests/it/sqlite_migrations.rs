//! Frozen SQLite server databases of every earlier schema version (2 to 11) upgrade to
//! the current one and then equal a fresh database, with their data readable.
//!
//! `server/tests/fixtures/sqlite_vN.sql` is the schema a database of version N has (its
//! `sqlite_master` statements in creation order). They were written on 2026-12-01 by
//! [`write_sqlite_fixtures`] from the steps as they stood then, not from the code each
//! version shipped with. Checked with `git log -S 'const NAME' -- FILE` and
//! `git show <commit>:FILE` (FILE being `server/src/storage/sqlite.rs` or a step file
//! under `sqlite/`): SCHEMA_V2, 1→2, devices' 9→10 and evaluation's 11→12 carry the
//! text they were introduced with; 2→3 (the token `issued-by-admin` update), 3→4
//! (`cases.search`, `cases_received`) and signing's 11→12 (`signed_from`) were edited
//! in place after they were introduced, and patrols' 4→5 took `IF NOT EXISTS` (which
//! `sqlite_master` does not keep); the other steps were renamed when merges renumbered
//! them, so their first commit is not found by name and they were not checked. The
//! fixtures therefore freeze today's steps; from now on a step must never be edited in
//! place, and this test fails if one is (the fresh database takes the edited step, the
//! frozen one does not).
//!
//! Regenerate a missing fixture (an existing one is never rewritten) with
//! `cargo test -p gridwork-server --test it sqlite_migrations::write_sqlite_fixtures -- --ignored`.

use crate::common::*;
use gridwork_core::{model::Role, sync::wire::PushOutcome};
use gridwork_server::{
    account::{token_digest, verify_password},
    storage::{sqlite::SqliteStorage, Storage},
};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The version a database has after every step.
const CURRENT: i64 = 12;

/// The steps of `SqliteStorage::open`, in order: the version each starts from, the
/// source file and the constant holding its SQL.
const STEPS: &[(i64, &str, &str)] = &[
    (2, "sqlite.rs", "MIGRATE_2_TO_3"),
    (3, "sqlite.rs", "MIGRATE_3_TO_4"),
    (4, "sqlite/patrols.rs", "MIGRATE_4_TO_5"),
    (5, "sqlite/open311.rs", "MIGRATE_5_TO_6"),
    (6, "sqlite.rs", "MIGRATE_6_TO_7"),
    (7, "sqlite/health.rs", "MIGRATE_7_TO_8"),
    (8, "sqlite.rs", "MIGRATE_8_TO_9"),
    (9, "sqlite/devices.rs", "MIGRATE_9_TO_10"),
    (10, "sqlite/evaluation.rs", "MIGRATE_10_TO_11"),
    (10, "sqlite/map.rs", "MIGRATE_10_TO_11"),
    (11, "sqlite/evaluation.rs", "MIGRATE_11_TO_12"),
    (11, "sqlite/signing.rs", "MIGRATE_11_TO_12"),
];

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(version: i64) -> PathBuf {
    manifest().join(format!("tests/fixtures/sqlite_v{version}.sql"))
}

/// The SQL of `const {name}: &str = "...";` in `server/src/storage/{file}`.
fn step_sql(file: &str, name: &str) -> String {
    let text = std::fs::read_to_string(manifest().join("src/storage").join(file)).unwrap();
    let start = format!("const {name}: &str = \"");
    let from = text
        .find(&start)
        .unwrap_or_else(|| panic!("{name} in {file}"))
        + start.len();
    let len = text[from..].find("\n\";").unwrap();
    text[from..from + len].to_string()
}

/// `sqlite_master`'s statements in creation order (internal tables and automatic
/// indexes, which have no SQL, left out).
fn master_sql(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL
               AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

/// `sqlite_master` as `(type, name, sql with whitespace normalised)`, sorted by name.
fn schema(path: &Path) -> Vec<(String, String, String)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name, type",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            let sql: String = r.get(2)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                sql.split_whitespace().collect::<Vec<_>>().join(" "),
            ))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn user_version(path: &Path) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

/// Writes `sqlite_vN.sql` for every N from 2 to 11 that has none yet: version 2's
/// tables, then the steps up to N, as `sqlite_master` holds them.
#[test]
#[ignore = "writes the frozen fixtures; run by hand when a version is added"]
fn write_sqlite_fixtures() {
    for version in 2..CURRENT {
        let path = fixture(version);
        if path.exists() {
            continue;
        }
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&step_sql("sqlite.rs", "SCHEMA_V2"))
            .unwrap();
        for (at, file, name) in STEPS {
            if *at < version {
                conn.execute_batch(&step_sql(file, name)).unwrap();
            }
        }
        let mut out = format!(
            "-- The tables of a gridwork server SQLite database of schema version {version}.\n\
             -- Frozen 2026-12-01 from the steps as they stood (see\n\
             -- server/tests/it/sqlite_migrations.rs); never edit.\n"
        );
        for sql in master_sql(&conn) {
            out.push_str(&sql);
            out.push_str(";\n");
        }
        std::fs::write(&path, out).unwrap();
    }
}

/// What the source database holds, to read back from every upgraded one.
struct Held {
    dir: tempfile::TempDir,
    token: String,
    photo: String,
    case: uuid::Uuid,
    events: Vec<uuid::Uuid>,
}

/// A current database with accounts, a token, accepted events (one with a photo) and
/// so a case, made through the Storage API.
async fn source() -> Held {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open(&dir.path().join("source.db"))
        .await
        .unwrap();
    accounts(&s).await;
    let token = gridwork_server::admin::issue_token(&s, "li", "phone-li")
        .await
        .unwrap();
    let li = account(&s, "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let photo = "b".repeat(64);
    let report = d.report_with_photos(Some("32050800101"), &[(&photo, 10)]);
    let case = report.stream.id();
    let second = d.report(Some("32050800102"));
    let events = vec![report.id, second.id];
    for outcome in s.push(&li, vec![report, second]).await.unwrap() {
        assert!(
            matches!(outcome, PushOutcome::Accepted { .. }),
            "{outcome:?}"
        );
    }
    Held {
        dir,
        token,
        photo,
        case,
        events,
    }
}

/// Copies the source's rows into the tables the version-N database at `target` has,
/// the columns it has. A table with a required column the source lacks stays empty
/// (version 11's `case_eval.copy`: the upgrade fills the table again).
fn copy_rows(target: &Path, source: &Path) {
    let conn = Connection::open(target).unwrap();
    conn.execute("ATTACH DATABASE ?1 AS src", [source.to_str().unwrap()])
        .unwrap();
    let columns = |schema: &str, table: &str| -> Vec<(String, bool)> {
        let mut stmt = conn
            .prepare(&format!("PRAGMA {schema}.table_info({table})"))
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                let not_null: bool = r.get(3)?;
                let default: Option<String> = r.get(4)?;
                let pk: i64 = r.get(5)?;
                Ok((r.get(1)?, not_null && default.is_none() && pk == 0))
            })
            .unwrap();
        rows.map(Result::unwrap).collect()
    };
    let mut stmt = conn
        .prepare(
            "SELECT name FROM main.sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )
        .unwrap();
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for table in tables {
        let theirs: Vec<String> = columns("src", &table).into_iter().map(|c| c.0).collect();
        let ours = columns("main", &table);
        if ours
            .iter()
            .any(|(c, required)| *required && !theirs.contains(c))
        {
            continue;
        }
        let shared: Vec<&str> = ours
            .iter()
            .map(|c| c.0.as_str())
            .filter(|c| theirs.iter().any(|t| t == c))
            .collect();
        let list = shared.join(", ");
        conn.execute_batch(&format!(
            "INSERT INTO main.{table} ({list}) SELECT {list} FROM src.{table}"
        ))
        .unwrap();
    }
}

/// Every frozen version, with data, upgrades to the current schema, equals a fresh
/// database's schema and reads its data back through the Storage API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_frozen_versions_upgrade_to_the_fresh_schema() {
    let held = source().await;
    let source_db = held.dir.path().join("source.db");
    let fresh_db = held.dir.path().join("fresh.db");
    drop(SqliteStorage::open(&fresh_db).await.unwrap());
    let fresh = schema(&fresh_db);
    let original = SqliteStorage::open(&source_db).await.unwrap();
    let view = original.case_view(held.case).await.unwrap().unwrap();
    let li_hash = account(&original, "li").await.password_hash;
    drop(original);
    for version in 2..CURRENT {
        let path = held.dir.path().join(format!("v{version}.db"));
        {
            let sql = std::fs::read_to_string(fixture(version)).unwrap();
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&sql).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        copy_rows(&path, &source_db);
        let s = SqliteStorage::open(&path).await.unwrap();
        assert_eq!(user_version(&path), CURRENT, "version {version}");
        let upgraded = schema(&path);
        let only_upgraded: Vec<_> = upgraded.iter().filter(|e| !fresh.contains(e)).collect();
        let only_fresh: Vec<_> = fresh.iter().filter(|e| !upgraded.contains(e)).collect();
        assert!(
            upgraded == fresh,
            "version {version} upgraded is not a fresh database: only upgraded \
             {only_upgraded:#?}, only fresh {only_fresh:#?}"
        );
        let li = account(&s, "li").await;
        assert_eq!(li.password_hash, li_hash, "version {version}");
        assert!(
            verify_password("pw-li", li.password_hash.as_deref().unwrap()),
            "li signs in (version {version})"
        );
        let owner = s
            .account_by_token(&token_digest(&held.token), 0)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the token resolves (version {version})"));
        assert_eq!(
            (owner.account.user.as_str(), owner.device_id.as_str()),
            ("li", "phone-li")
        );
        let pulled = s.pull(&li, 0, 100).await.unwrap();
        let ids: Vec<_> = pulled.events.iter().map(|e| e.id).collect();
        assert_eq!(ids, held.events, "pull (version {version})");
        assert!(s.blob_referenced(&held.photo, "li").await.unwrap());
        assert_eq!(s.case_view(held.case).await.unwrap().as_ref(), Some(&view));
        let wang = account(&s, "wang").await;
        let filter = gridwork_server::query::parse(&[], &wang, 0).unwrap();
        let listed: Vec<_> = s
            .list_cases(&filter)
            .await
            .unwrap()
            .views
            .iter()
            .map(|v| v.case.id)
            .collect();
        assert!(listed.contains(&held.case), "listed (version {version})");
    }
}
