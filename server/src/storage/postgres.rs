//! The PostgreSQL backend, for several stateless server processes in front of one
//! database. Pushes run in transactions that first take a transaction-scoped advisory
//! lock, so `server_seq` values (an identity column) are handed out and committed
//! strictly in order across all processes: PostgreSQL makes a transaction visible
//! before it releases its locks, so a pull that sees `server_seq` N also sees every
//! event below N. Each process groups the pushes waiting into one such transaction, a
//! savepoint each ([`group_commit`]). Pulls read in one REPEATABLE READ snapshot.

mod map;

use super::{
    case_list_sql, case_page, event_body, page, parse_event, parse_role, parse_scope_json,
    parse_view, quarantine_full, revokes,
    settings::{version_key, version_of, Cached, Parse, Reference},
    CaseFilter, CasePage, CaseRow, Dialect, Held, Quarantined, SqlArg, Storage, TokenOwner,
    MAX_QUARANTINE_PER_DEVICE,
};
use crate::mapview::{MapQuery, MapView};
use crate::projection::{fold_case, CaseView};
use crate::{
    account::Account,
    judge::{foreign_actor, judge, photo_refs, ChainHead, Known, Verdict},
    StorageError,
};
use async_trait::async_trait;

mod open311;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use gridwork_core::{catalog::Catalog, geo::Grid};
use gridwork_core::{
    model::{Event, Stream, GENESIS_HASH},
    sync::wire::{PullResponse, PushOutcome},
};
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};
use tokio_postgres::{types::ToSql, IsolationLevel, NoTls, Statement, Transaction};

mod cached;
use cached::CachedTx;
mod chained;
mod devices;
mod evaluation;
mod first_cases;
mod group_commit;
mod health;
mod patrols;
mod signing;

#[doc(hidden)]
pub use group_commit::GroupCommitStats;

/// First key of the advisory lock that serialises pushes (the second is the schema's hash).
const PUSH_LOCK: i32 = 0x4757; // "GW"
/// First key of the advisory lock that serialises schema creation.
const MIGRATE_LOCK: i32 = 0x4758;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
  server_seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  stream TEXT NOT NULL,
  device_id TEXT NOT NULL,
  device_seq BIGINT NOT NULL,
  actor_user TEXT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  received_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_stream ON events(stream);
CREATE INDEX IF NOT EXISTS events_actor ON events(actor_user, server_seq);
CREATE TABLE IF NOT EXISTS quarantine (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  device_seq BIGINT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS quarantine_device ON quarantine(device_id, device_seq);
CREATE TABLE IF NOT EXISTS devices (
  device_id TEXT PRIMARY KEY,
  last_seq BIGINT NOT NULL,
  last_hash TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS stream_cells (
  stream TEXT NOT NULL,
  cell TEXT NOT NULL,
  PRIMARY KEY (stream, cell)
);
CREATE TABLE IF NOT EXISTS accounts (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  password_hash TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
  digest TEXT PRIMARY KEY,
  name TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
  id TEXT COLLATE \"C\" PRIMARY KEY,
  cell TEXT COLLATE \"C\" NOT NULL,
  status TEXT NOT NULL,
  category TEXT NOT NULL,
  department TEXT,
  reporter TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  deadline_ms BIGINT,
  closed_ms BIGINT,
  search TEXT NOT NULL,
  view TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_cell ON cases(cell, received_ms);
CREATE INDEX IF NOT EXISTS cases_status ON cases(status, deadline_ms);
CREATE INDEX IF NOT EXISTS cases_received ON cases(received_ms, id);
";

/// Databases made before devices recorded their owner: add the column and take the
/// owner from the actor of the chain head (`''` if it cannot be found: such a device is
/// not owner-checked). A no-op once done.
const MIGRATE_OWNER: &str = "
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                 AND table_name = 'devices' AND column_name = 'owner') THEN
    ALTER TABLE devices ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    UPDATE devices d SET owner = COALESCE(
      (SELECT e.actor_user FROM events e
        WHERE e.device_id = d.device_id AND e.hash = d.last_hash LIMIT 1),
      (SELECT q.body::jsonb #>> '{actor,user}' FROM quarantine q
        WHERE q.device_id = d.device_id AND q.hash = d.last_hash LIMIT 1),
      '');
  END IF;
END $$;
";

/// Databases made before uploads needed a reference: the photos each user's accepted
/// events reference, filled from the events held. A no-op once done.
const MIGRATE_BLOB_REFS: &str = "
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
                 AND table_name = 'blob_refs') THEN
    CREATE TABLE blob_refs (
      sha256 TEXT NOT NULL,
      actor_user TEXT NOT NULL,
      PRIMARY KEY (sha256, actor_user)
    );
    INSERT INTO blob_refs (sha256, actor_user)
      SELECT DISTINCT p ->> 'sha256', e.actor_user
      FROM events e, jsonb_array_elements(
        CASE WHEN jsonb_typeof(e.body::jsonb #> '{payload,photos}') = 'array'
             THEN e.body::jsonb #> '{payload,photos}' ELSE '[]'::jsonb END) p
      WHERE p ->> 'sha256' IS NOT NULL
      ON CONFLICT DO NOTHING;
    INSERT INTO blob_refs (sha256, actor_user)
      SELECT DISTINCT e.body::jsonb #>> '{payload,photo,sha256}', e.actor_user
      FROM events e WHERE e.body::jsonb #>> '{payload,photo,sha256}' IS NOT NULL
      ON CONFLICT DO NOTHING;
  END IF;
END $$;
";

/// Tokens speak for one device: tokens `gridwork admin issue-token` issued without
/// `--device` (recorded as `issued-by-admin`) become unbound, each binding to the first
/// device it pushes for. Runs once per database (a settings row marks it done).
const MIGRATE_ADMIN_TOKENS: &str = "
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM settings WHERE key = 'migration.unbound_admin_tokens') THEN
    UPDATE tokens SET device_id = '' WHERE device_id = 'issued-by-admin';
    INSERT INTO settings (key, value) VALUES ('migration.unbound_admin_tokens', 'done');
  END IF;
END $$;
";

/// Accounts have a department and can be disabled; operators' changes are written to an
/// audit log. A no-op once done.
const MIGRATE_USERS: &str = "
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS department TEXT;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS disabled BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS last_sign_in_ms BIGINT;
CREATE TABLE IF NOT EXISTS audit (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
";

mod users;

/// The PostgreSQL storage backend.
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    reference: Arc<Reference>,
    /// Whether pushes update the case and patrol views (always, but in a benchmark's
    /// baseline: [`PostgresStorage::skip_views_for_benchmarks`]).
    views: Arc<AtomicBool>,
    /// The queue to this storage's group committer (pushes).
    committer: Arc<group_commit::Committer>,
}

fn pool_error(e: impl std::fmt::Display) -> StorageError {
    StorageError::Pool(e.to_string())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl PostgresStorage {
    /// Connects to `url` and creates the tables if missing. With `schema`, everything
    /// lives in that schema (created if missing) — how tests keep apart.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StorageError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StorageError::Invalid(format!("postgres URL: {e}")))?;
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StorageError::Invalid(format!("schema name {schema:?}")));
            }
            config.options(format!("-c search_path={schema}"));
        }
        // The committer's own connection, named (`pg_stat_activity`) after what it is.
        let mut committer_config = config.clone();
        committer_config.application_name(&match schema {
            Some(schema) => format!("gridwork-commit {schema}"),
            None => "gridwork-commit".into(),
        });
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(pool_error)?;
        let mut client = pool.get().await.map_err(pool_error)?;
        if let Some(schema) = schema {
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await?;
        }
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            &[&MIGRATE_LOCK],
        )
        .await?;
        tx.batch_execute(first_cases::DROP_FIRST_CASE_VIEW).await?;
        // A database made before the server kept its case view gets one folded from the
        // events it holds, in the same transaction.
        let had_cases: bool = tx
            .query_one("SELECT to_regclass('cases') IS NOT NULL", &[])
            .await?
            .get(0);
        let had_patrols = patrols::exists(&tx).await?;
        let had_eval = evaluation::exists(&tx).await?;
        tx.batch_execute(SCHEMA).await?;
        tx.batch_execute(patrols::SCHEMA).await?;
        tx.batch_execute(MIGRATE_OWNER).await?;
        tx.batch_execute(MIGRATE_BLOB_REFS).await?;
        tx.batch_execute(MIGRATE_ADMIN_TOKENS).await?;
        tx.batch_execute(open311::SCHEMA_OPEN311).await?;
        tx.batch_execute(map::MIGRATE_MAP_COLUMNS).await?;
        tx.batch_execute(health::MIGRATE_HEALTH).await?;
        tx.batch_execute(MIGRATE_USERS).await?;
        tx.batch_execute(devices::MIGRATE_DEVICES).await?;
        tx.batch_execute(signing::MIGRATE_SIGNING).await?;
        tx.batch_execute(crate::incarnation::POSTGRES_ENSURE)
            .await?;
        tx.batch_execute(evaluation::SCHEMA_EVAL).await?;
        tx.batch_execute(map::MAP_INDEXES).await?;
        if had_cases && !had_eval {
            evaluation::backfill(&tx).await?;
        }
        if !had_cases {
            let catalog = current::<Catalog>(&tx, &Cached::default()).await?;
            rebuild(&tx, catalog.as_deref()).await?;
        }
        if !had_patrols {
            let grid = current::<Grid>(&tx, &Cached::default()).await?;
            patrols::rebuild(&tx, grid.as_deref()).await?;
        }
        tx.commit().await?;
        let reference = Arc::new(Reference::default());
        let views = Arc::new(AtomicBool::new(true));
        let committer =
            group_commit::Committer::start(committer_config, reference.clone(), views.clone())?;
        Ok(Self {
            pool,
            reference,
            views,
            committer: Arc::new(committer),
        })
    }

    /// For tests only: how many group transactions this storage committed, and how
    /// many pushes were in them.
    #[doc(hidden)]
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.committer.stats()
    }

    /// For benchmarks only: from now on pushes judge and store events as always but
    /// leave the case and patrol views alone — the baseline that
    /// `benches/case_view.rs` measures the views' cost against, in the same run. A server
    /// never calls it (its views would fall behind its events until
    /// `gridwork admin rebuild`).
    #[doc(hidden)]
    pub fn skip_views_for_benchmarks(&self) {
        self.views.store(false, Ordering::Relaxed);
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StorageError> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// A reference setting (grid, catalogue), from the cache when its version is unchanged.
/// One stored before versions were kept gets its version recorded here.
async fn current<T: Parse>(
    tx: &Transaction<'_>,
    cache: &Cached<T>,
) -> Result<Option<Arc<T>>, StorageError> {
    let version = setting_in(tx, T::VERSION_KEY).await?;
    if let Some(value) = cache.cached(version.as_deref()) {
        return Ok(Some(value));
    }
    let text = setting_in(tx, T::KEY).await?;
    if let (None, Some(text)) = (&version, &text) {
        put_setting_in(tx, T::VERSION_KEY, &version_of(text)).await?;
    }
    cache.load(text)
}

/// Folds the case of `stream` again from its accepted events and stores its view.
async fn project_case(
    tx: &Transaction<'_>,
    stream: &str,
    catalog: Option<&Catalog>,
) -> Result<(), StorageError> {
    Projector::prepare(tx)
        .await?
        .project(tx, stream, catalog)
        .await
}

/// The statements that fold cases into the view, prepared once for a transaction that
/// projects many (a push, a rebuild): an unprepared statement costs PostgreSQL a second
/// round trip, and the statements of one case that do not wait for each other are sent
/// together (tokio-postgres pipelines concurrent requests on a connection).
struct Projector {
    events: Statement,
    cell: Statement,
    upsert: Statement,
    copy: Statement,
}

impl Projector {
    async fn prepare(tx: &Transaction<'_>) -> Result<Self, StorageError> {
        let (events, cell, upsert, copy) = tokio::try_join!(
            async {
                Ok::<_, StorageError>(
                    tx.prepare("SELECT body, received_ms FROM events WHERE stream = $1")
                        .await?,
                )
            },
            async {
                Ok(tx
                    .prepare(
                        "SELECT cell FROM stream_cells
                         WHERE stream = $1 AND cell NOT LIKE '@%' LIMIT 1",
                    )
                    .await?)
            },
            async {
                Ok(tx
                    .prepare(
                        "INSERT INTO cases (id, cell, status, category, department, reporter,
                            received_ms, updated_ms, deadline_ms, closed_ms, search, view, lat,
                            lon, photo, open_conflicts)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                            $15, $16)
                         ON CONFLICT (id) DO UPDATE SET cell = excluded.cell,
                           status = excluded.status, category = excluded.category,
                           department = excluded.department, reporter = excluded.reporter,
                           received_ms = excluded.received_ms,
                           updated_ms = excluded.updated_ms, deadline_ms = excluded.deadline_ms,
                           closed_ms = excluded.closed_ms, search = excluded.search,
                           view = excluded.view, lat = excluded.lat, lon = excluded.lon,
                           photo = excluded.photo, open_conflicts = excluded.open_conflicts",
                    )
                    .await?)
            },
            evaluation::prepare_copy(tx),
        )?;
        Ok(Projector {
            events,
            cell,
            upsert,
            copy,
        })
    }

    /// Folds the case of `stream` again from its accepted events and stores its view,
    /// its count of unresolved conflicts (which the conflicts queue's partial index reads)
    /// and its evaluation copy.
    async fn project(
        &self,
        tx: &Transaction<'_>,
        stream: &str,
        catalog: Option<&Catalog>,
    ) -> Result<(), StorageError> {
        let by_stream: [&(dyn ToSql + Sync); 1] = [&stream];
        let (rows, cell) = tokio::try_join!(
            tx.query(&self.events, &by_stream),
            tx.query_opt(&self.cell, &by_stream),
        )?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            events.push((parse_event(row.get(0), None)?, row.get::<_, i64>(1)));
        }
        let cell: String = cell.map(|r| r.get(0)).unwrap_or_default();
        let Some(view) = fold_case(&events, &cell, catalog) else {
            return Ok(());
        };
        let row = CaseRow::of(&view)?;
        let open_conflicts = view.case.open_conflicts().count() as i32;
        tokio::try_join!(
            async {
                tx.execute(
                    &self.upsert,
                    &[
                        &row.id,
                        &row.cell,
                        &row.status,
                        &row.category,
                        &row.department,
                        &row.reporter,
                        &row.received_ms,
                        &row.updated_ms,
                        &row.deadline_ms,
                        &row.closed_ms,
                        &row.search,
                        &row.view,
                        &row.lat,
                        &row.lon,
                        &row.photo,
                        &open_conflicts,
                    ],
                )
                .await
                .map_err(StorageError::from)
            },
            evaluation::write_copy(tx, &self.copy, &view),
        )?;
        Ok(())
    }
}

/// Folds every case again from the events held; returns how many there are.
async fn rebuild(tx: &Transaction<'_>, catalog: Option<&Catalog>) -> Result<u64, StorageError> {
    tx.execute("DELETE FROM cases", &[]).await?;
    tx.execute("DELETE FROM case_eval", &[]).await?;
    let streams: Vec<String> = tx
        .query(
            "SELECT DISTINCT stream FROM events WHERE stream LIKE 'incident/%'",
            &[],
        )
        .await?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    let projector = Projector::prepare(tx).await?;
    for stream in &streams {
        projector.project(tx, stream, catalog).await?;
    }
    let n: i64 = tx
        .query_one("SELECT count(*) FROM cases", &[])
        .await?
        .get(0);
    Ok(n as u64)
}

async fn setting_in(tx: &Transaction<'_>, key: &str) -> Result<Option<String>, StorageError> {
    Ok(tx
        .query_opt("SELECT value FROM settings WHERE key = $1", &[&key])
        .await?
        .map(|r| r.get(0)))
}

async fn put_setting_in(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )
    .await?;
    Ok(())
}

async fn push_one(
    tx: &CachedTx<'_, '_>,
    account: &Account,
    event: &Event,
    grid: Option<&Grid>,
    catalog: Option<&Catalog>,
    received_ms: i64,
) -> Result<PushOutcome, StorageError> {
    judge_in(tx, account, event, grid, catalog, received_ms, false).await
}

/// Judges and stores one event; with `rejudge`, one held in quarantine (see
/// [`devices::rejudge`]): judged against its own chain place, nothing stored when it
/// still fails, and the device's chain head left where it is.
async fn judge_in(
    tx: &CachedTx<'_, '_>,
    account: &Account,
    event: &Event,
    grid: Option<&Grid>,
    catalog: Option<&Catalog>,
    received_ms: i64,
    rejudge: bool,
) -> Result<PushOutcome, StorageError> {
    if let Some(reason) = foreign_actor(account, event) {
        return Ok(PushOutcome::Rejected { reason });
    }
    let hash = event.hash();
    let id = event.id.to_string();
    if !rejudge {
        if let Some(row) = tx
            .query_opt(
                "SELECT actor_user, hash, server_seq FROM events WHERE id = $1",
                &[&id],
            )
            .await?
        {
            let held = Held {
                actor_user: row.get(0),
                hash: row.get(1),
                server_seq: Some(row.get(2)),
                reason: None,
            };
            return signing::repeat(tx, account, held, event, &hash, received_ms).await;
        }
        if let Some(row) = tx
            .query_opt(
                "SELECT body, hash, reason FROM quarantine WHERE id = $1",
                &[&id],
            )
            .await?
        {
            let held = Held {
                actor_user: parse_event(row.get(0), None)?.actor.user,
                hash: row.get(1),
                server_seq: None,
                reason: Some(row.get(2)),
            };
            return signing::repeat(tx, account, held, event, &hash, received_ms).await;
        }
    }
    let device = tx
        .query_opt(
            "SELECT last_seq, last_hash, owner, public_key, signed_from FROM devices
             WHERE device_id = $1",
            &[&event.device_id],
        )
        .await?;
    let (mut head, device_owner, device_key, signed_from) = match device {
        Some(r) => (
            Some(ChainHead {
                device_seq: r.get::<_, i64>(0) as u64,
                hash: r.get(1),
            }),
            Some(r.get::<_, String>(2)).filter(|o| !o.is_empty()),
            r.get::<_, Option<String>>(3),
            r.get::<_, i64>(4).max(0) as u64,
        ),
        None => (None, None, None, 0),
    };
    if rejudge {
        head = devices::chain_place(tx, event).await?;
    }
    let stream = event.stream.to_string();
    // An incident's cell (from its accepted report) and the departments it was sent to
    // (`@name`), both its `stream_cells`, read in one statement; a patrol's owner (its
    // first actor).
    let (case_cell, case_departments, stream_owner) = match event.stream {
        Stream::Incident(_) => {
            let (departments, cells): (Vec<String>, Vec<String>) = tx
                .query(
                    "SELECT cell FROM stream_cells WHERE stream = $1 ORDER BY cell",
                    &[&stream],
                )
                .await?
                .iter()
                .map(|r| r.get::<_, String>(0))
                .partition(|cell| cell.starts_with('@'));
            (cells.into_iter().next(), departments, None)
        }
        Stream::Patrol(_) => (
            None,
            Vec::new(),
            tx.query_opt(
                "SELECT actor_user FROM events WHERE stream = $1 ORDER BY server_seq LIMIT 1",
                &[&stream],
            )
            .await?
            .map(|r| r.get(0)),
        ),
    };
    let known = Known {
        head,
        device_owner,
        case_cell,
        case_departments,
        stream_owner,
        received_ms,
        device_key,
        signed_from,
    };
    let verdict = judge(account, event, &known, grid, catalog);
    let body = event_body(event)?;
    let device_seq = event.device_seq as i64;
    let (outcome, links) = match verdict {
        Verdict::Accept { cells } => {
            let row = tx
                .query_one(
                    "INSERT INTO events (id, stream, device_id, device_seq, actor_user, hash, body, received_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING server_seq",
                    &[&id, &stream, &event.device_id, &device_seq, &event.actor.user, &hash, &body, &received_ms],
                )
                .await?;
            // Each list in one statement, whatever its length.
            if !cells.is_empty() {
                tx.execute(
                    "INSERT INTO stream_cells (stream, cell) SELECT $1, unnest($2::text[])
                     ON CONFLICT DO NOTHING",
                    &[&stream, &cells],
                )
                .await?;
            }
            let shas = photo_refs(event);
            if !shas.is_empty() {
                tx.execute(
                    "INSERT INTO blob_refs (sha256, actor_user) SELECT unnest($1::text[]), $2
                     ON CONFLICT DO NOTHING",
                    &[&shas, &event.actor.user],
                )
                .await?;
                health::link_photos(tx, event, &shas).await?;
            }
            (
                PushOutcome::Accepted {
                    server_seq: row.get(0),
                },
                true,
            )
        }
        Verdict::Reject { reason, .. } if rejudge => return Ok(PushOutcome::Rejected { reason }),
        Verdict::Reject { reason, links } => {
            let held: i64 = tx
                .query_one(
                    "SELECT count(*) FROM quarantine WHERE device_id = $1",
                    &[&event.device_id],
                )
                .await?
                .get(0);
            if held >= MAX_QUARANTINE_PER_DEVICE {
                return Ok(quarantine_full(&reason));
            }
            tx.execute(
                "INSERT INTO quarantine (id, device_id, device_seq, hash, body, reason, received_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&id, &event.device_id, &device_seq, &hash, &body, &reason, &received_ms],
            )
            .await?;
            (PushOutcome::Rejected { reason }, links)
        }
        // Not stored, the chain untouched.
        Verdict::Refuse { reason } => return Ok(PushOutcome::Rejected { reason }),
        Verdict::Flag { reason } => {
            if !rejudge {
                signing::flag(tx, &event.device_id, &reason, received_ms).await?;
            }
            return Ok(PushOutcome::Rejected { reason });
        }
    };
    if links && !rejudge {
        // The judge refused unless the device is unowned or `account`'s.
        tx.execute(
            "INSERT INTO devices (device_id, last_seq, last_hash, owner) VALUES ($1, $2, $3, $4)
             ON CONFLICT (device_id) DO UPDATE SET last_seq = excluded.last_seq,
               last_hash = excluded.last_hash, owner = excluded.owner",
            &[&event.device_id, &device_seq, &hash, &account.user],
        )
        .await?;
    }
    Ok(outcome)
}

/// Registers `device` to `user`, or claims it when it was recorded without an owner;
/// fails when it belongs to another account. The upsert locks the device's row.
async fn claim_device(tx: &Transaction<'_>, user: &str, device: &str) -> Result<(), StorageError> {
    let owner: String = tx
        .query_one(
            "INSERT INTO devices (device_id, last_seq, last_hash, owner) VALUES ($1, 0, $2, $3)
             ON CONFLICT (device_id) DO UPDATE SET owner = CASE WHEN devices.owner = ''
               THEN excluded.owner ELSE devices.owner END
             RETURNING owner",
            &[&device, &GENESIS_HASH, &user],
        )
        .await?
        .get(0);
    if owner != user {
        return Err(StorageError::DeviceTaken(device.to_string()));
    }
    Ok(())
}

fn to_account(row: &tokio_postgres::Row) -> Result<Account, StorageError> {
    Ok(Account {
        user: row.get(0),
        role: parse_role(row.get(1))?,
        scope: parse_scope_json(row.get(2))?,
        password_hash: row.get(3),
    })
}

/// The pull query for `n` prefixes, with `$1` after, `$2` user, `$3` limit, `$4..` prefixes.
fn pull_sql(n: usize) -> String {
    let prefixes: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "substr(c.cell, 1, length(${k}::text)) = ${k}::text",
                k = i + 4
            )
        })
        .collect();
    let any = if prefixes.is_empty() {
        "FALSE".to_string()
    } else {
        prefixes.join(" OR ")
    };
    format!(
        "SELECT server_seq, body FROM events e WHERE server_seq > $1 AND (actor_user = $2 OR EXISTS (
           SELECT 1 FROM stream_cells c WHERE c.stream = e.stream AND ({any})))
         ORDER BY server_seq LIMIT $3"
    )
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn push(
        &self,
        account: &Account,
        events: Vec<Event>,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        // One unit of the next group transaction (its own savepoint, under the push
        // lock), answered once that transaction committed.
        self.committer.push(account.clone(), events).await
    }

    async fn push_next(
        &self,
        account: &Account,
        event: Event,
    ) -> Result<PushOutcome, StorageError> {
        chained::push_next(self, account, event).await
    }

    async fn pull(
        &self,
        account: &Account,
        after: i64,
        limit: u32,
    ) -> Result<PullResponse, StorageError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let top: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(server_seq), 0)::BIGINT FROM events",
                &[],
            )
            .await?
            .get(0);
        let limit_i64 = i64::from(limit);
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after, &account.user, &limit_i64];
        for p in &account.scope {
            params.push(p);
        }
        let rows = tx.query(&pull_sql(account.scope.len()), &params).await?;
        tx.commit().await?;
        let events = rows
            .iter()
            .map(|r| parse_event(r.get(1), Some(r.get(0))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page(events, after, limit, top))
    }

    async fn quarantine(&self, device_id: &str) -> Result<Vec<Quarantined>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT body, reason FROM quarantine WHERE device_id = $1 ORDER BY device_seq, received_ms",
                &[&device_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Quarantined {
                    event: parse_event(r.get(0), None)?,
                    reason: r.get(1),
                })
            })
            .collect()
    }

    async fn put_account(&self, account: &Account) -> Result<(), StorageError> {
        let scope = serde_json::to_string(&account.scope)
            .map_err(|e| StorageError::Invalid(e.to_string()))?;
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let old = tx
            .query_opt(
                "SELECT name, role, scope, password_hash FROM accounts WHERE name = $1 FOR UPDATE",
                &[&account.user],
            )
            .await?
            .as_ref()
            .map(to_account)
            .transpose()?;
        tx.execute(
            "INSERT INTO accounts (name, role, scope, password_hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET role = excluded.role, scope = excluded.scope,
               password_hash = excluded.password_hash",
            &[
                &account.user,
                &account.role.as_str(),
                &scope,
                &account.password_hash,
            ],
        )
        .await?;
        if old.is_some_and(|old| revokes(&old, account)) {
            tx.execute("DELETE FROM tokens WHERE name = $1", &[&account.user])
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn account(&self, user: &str) -> Result<Option<Account>, StorageError> {
        self.client()
            .await?
            .query_opt(
                "SELECT name, role, scope, password_hash FROM accounts
                 WHERE name = $1 AND NOT disabled",
                &[&user],
            )
            .await?
            .as_ref()
            .map(to_account)
            .transpose()
    }

    async fn add_token(
        &self,
        user: &str,
        token_digest: &str,
        device_id: &str,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // The account row is locked so that it cannot change (and revoke) under us.
        let disabled: Option<bool> = tx
            .query_opt(
                "SELECT disabled FROM accounts WHERE name = $1 FOR SHARE",
                &[&user],
            )
            .await?
            .map(|r| r.get(0));
        match disabled {
            None => return Err(StorageError::NotFound(format!("no account named {user}"))),
            Some(false) => {}
            Some(true) => return Err(StorageError::Invalid(format!("account {user} is disabled"))),
        }
        if !device_id.is_empty() {
            claim_device(&tx, user, device_id).await?;
        }
        let now = now_ms();
        tx.execute(
            "INSERT INTO tokens (digest, name, device_id, created_ms) VALUES ($1, $2, $3, $4)",
            &[&token_digest, &user, &device_id, &now],
        )
        .await?;
        tx.execute(
            "UPDATE accounts SET last_sign_in_ms = $1 WHERE name = $2",
            &[&now, &user],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn bind_token(
        &self,
        token_digest: &str,
        device_id: &str,
    ) -> Result<String, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT name, device_id FROM tokens WHERE digest = $1 FOR UPDATE",
                &[&token_digest],
            )
            .await?
            .ok_or_else(|| StorageError::NotFound("no such token".into()))?;
        let (user, bound): (String, String) = (row.get(0), row.get(1));
        if !bound.is_empty() {
            return Ok(bound);
        }
        claim_device(&tx, &user, device_id).await?;
        tx.execute(
            "UPDATE tokens SET device_id = $1 WHERE digest = $2",
            &[&device_id, &token_digest],
        )
        .await?;
        tx.commit().await?;
        Ok(device_id.to_string())
    }

    async fn account_by_token(
        &self,
        token_digest: &str,
        issued_after_ms: i64,
    ) -> Result<Option<TokenOwner>, StorageError> {
        self.client()
            .await?
            .query_opt(
                "SELECT a.name, a.role, a.scope, a.password_hash, t.device_id,
                   d.wipe_requested_ms IS NOT NULL AND d.wiped_ms IS NULL, t.last_used_ms
                 FROM tokens t JOIN accounts a ON a.name = t.name
                   LEFT JOIN devices d ON d.device_id = t.device_id AND t.device_id <> ''
                 WHERE t.digest = $1 AND t.created_ms > $2 AND NOT a.disabled",
                &[&token_digest, &issued_after_ms],
            )
            .await?
            .as_ref()
            .map(|row| {
                Ok(TokenOwner {
                    account: to_account(row)?,
                    device_id: row.get(4),
                    wipe_pending: row.get::<_, Option<bool>>(5).unwrap_or(false),
                    last_used_ms: row.get(6),
                })
            })
            .transpose()
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        put_setting_in(&tx, key, value).await?;
        if let Some(version) = version_key(key) {
            put_setting_in(&tx, version, &version_of(value)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn device_head(&self, device_id: &str) -> Result<Option<(u64, String)>, StorageError> {
        Ok(self
            .client()
            .await?
            .query_opt(
                "SELECT last_seq, last_hash FROM devices WHERE device_id = $1",
                &[&device_id],
            )
            .await?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    async fn case_view(&self, id: uuid::Uuid) -> Result<Option<CaseView>, StorageError> {
        self.client()
            .await?
            .query_opt("SELECT view FROM cases WHERE id = $1", &[&id.to_string()])
            .await?
            .map(|r| parse_view(r.get(0)))
            .transpose()
    }

    async fn case_views_received(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CaseView>, StorageError> {
        self.client()
            .await?
            .query(
                "SELECT view FROM cases WHERE received_ms >= $1 AND received_ms < $2
                   AND cell >= $3 AND cell < $4 ORDER BY id",
                // A range on the cell code (served by `cases_cell`), not a function of it.
                &[&from_ms, &to_ms, &area, &format!("{area}\u{10FFFF}")],
            )
            .await?
            .iter()
            .map(|r| parse_view(r.get(0)))
            .collect()
    }

    async fn eval_views_received(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<crate::evaluation::EvalCase>, StorageError> {
        self.eval_views_in(area, from_ms, to_ms).await
    }

    async fn case_views(&self) -> Result<Vec<CaseView>, StorageError> {
        self.client()
            .await?
            .query("SELECT view FROM cases ORDER BY id", &[])
            .await?
            .iter()
            .map(|r| parse_view(r.get(0)))
            .collect()
    }

    async fn list_cases(&self, filter: &CaseFilter) -> Result<CasePage, StorageError> {
        let (sql, args) = case_list_sql(filter, Dialect::Postgres);
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|a| match a {
                SqlArg::Text(t) => t as &(dyn tokio_postgres::types::ToSql + Sync),
                SqlArg::Int(i) => i,
            })
            .collect();
        let client = self.client().await?;
        let stmt = client.prepare_cached(&sql).await?;
        let views = client
            .query(&stmt, &params)
            .await?
            .iter()
            .map(|r| parse_view(r.get(0)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(case_page(views, filter.limit))
    }

    async fn case_map(&self, query: &MapQuery) -> Result<MapView, StorageError> {
        self.map_view(query).await
    }

    async fn case_events(&self, id: uuid::Uuid) -> Result<Vec<(Event, i64)>, StorageError> {
        let stream = Stream::Incident(id).to_string();
        self.client()
            .await?
            .query(
                "SELECT body, server_seq, received_ms FROM events WHERE stream = $1
                 ORDER BY server_seq",
                &[&stream],
            )
            .await?
            .iter()
            .map(|r| Ok((parse_event(r.get(0), Some(r.get(1)))?, r.get::<_, i64>(2))))
            .collect()
    }

    async fn rebuild_cases(&self) -> Result<u64, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Pushes wait: the view is folded from one consistent set of events.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            &[&PUSH_LOCK],
        )
        .await?;
        let catalog = current::<Catalog>(&tx, &self.reference.catalog).await?;
        let n = rebuild(&tx, catalog.as_deref()).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn patrol(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<crate::patrols::ProjectedPatrol>, StorageError> {
        self.patrol_in(id).await
    }

    async fn list_patrols(
        &self,
        filter: &crate::patrol_query::PatrolFilter,
    ) -> Result<super::PatrolPage, StorageError> {
        self.list_patrols_in(filter).await
    }

    async fn patrols_started(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<crate::patrols::ProjectedPatrol>, StorageError> {
        self.patrols_started_in(area, from_ms, to_ms).await
    }

    async fn patrol_views(&self) -> Result<Vec<crate::patrols::PatrolView>, StorageError> {
        self.patrol_views_in().await
    }

    async fn rebuild_patrols(&self) -> Result<u64, StorageError> {
        self.rebuild_patrols_in().await
    }

    async fn blob_referenced(&self, sha256: &str, user: &str) -> Result<bool, StorageError> {
        Ok(self
            .client()
            .await?
            .query_opt(
                "SELECT 1 FROM blob_refs WHERE sha256 = $1 AND actor_user = $2",
                &[&sha256, &user],
            )
            .await?
            .is_some())
    }

    async fn user(&self, name: &str) -> Result<Option<super::UserRecord>, StorageError> {
        users::user(self, name).await
    }

    async fn users(&self) -> Result<Vec<super::UserListing>, StorageError> {
        users::users(self).await
    }

    async fn save_user(
        &self,
        user: &super::UserRecord,
        create: bool,
        audit: &super::AuditEntry,
    ) -> Result<(), StorageError> {
        users::save_user(self, user, create, audit).await
    }

    async fn record_audit(&self, entry: &super::AuditEntry) -> Result<(), StorageError> {
        users::record_audit(self, entry).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<super::AuditEntry>, StorageError> {
        users::audit_log(self, limit).await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.client().await?.query_one("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn device_signing(
        &self,
        device_id: &str,
    ) -> Result<Option<super::signing::DeviceSigning>, StorageError> {
        signing::device_signing(&self.client().await?, device_id).await
    }

    async fn bind_device_key(
        &self,
        device_id: &str,
        public_key: &str,
    ) -> Result<Option<String>, StorageError> {
        signing::bind_device_key(&self.client().await?, device_id, public_key).await
    }

    async fn device_admin(&self) -> Result<Vec<super::devices::DeviceAdmin>, StorageError> {
        devices::device_admin(&self.client().await?).await
    }

    async fn tokens(
        &self,
        user: Option<&str>,
    ) -> Result<Vec<super::devices::TokenRecord>, StorageError> {
        devices::tokens(&self.client().await?, user).await
    }

    async fn revoke_tokens(
        &self,
        which: &super::devices::Revoke,
        audit: &super::AuditEntry,
    ) -> Result<u64, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        devices::revoke_tokens(tx, which, audit).await
    }

    async fn token_used(&self, token_digest: &str, now_ms: i64) -> Result<(), StorageError> {
        self.client()
            .await?
            .execute(
                "UPDATE tokens SET last_used_ms = $1 WHERE digest = $2",
                &[&now_ms, &token_digest],
            )
            .await?;
        Ok(())
    }

    async fn request_wipe(
        &self,
        device_id: &str,
        audit: &super::AuditEntry,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        devices::request_wipe(tx, device_id, audit).await
    }

    async fn confirm_wipe(
        &self,
        device_id: &str,
        audit: &super::AuditEntry,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        devices::confirm_wipe(tx, device_id, audit).await
    }

    async fn rejudge(
        &self,
        device_id: &str,
        actor: &str,
    ) -> Result<super::devices::Rejudged, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        devices::rejudge(tx, &self.reference, device_id, actor).await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        Ok(self
            .client()
            .await?
            .query_opt("SELECT value FROM settings WHERE key = $1", &[&key])
            .await?
            .map(|r| r.get(0)))
    }

    async fn record_contact(&self, contact: &crate::health::Contact) -> Result<(), StorageError> {
        health::record_contact(&**self.client().await?, contact).await
    }

    async fn device_records(&self) -> Result<Vec<crate::health::DeviceRecord>, StorageError> {
        health::device_records(&**self.client().await?).await
    }

    async fn photos_complete(&self, sha256: &[String]) -> Result<(), StorageError> {
        health::photos_complete(&**self.client().await?, sha256).await
    }
}

/// For this module's unit tests: `GRIDWORK_TEST_PG`, or None (the test skips) when it
/// is not set; a failure instead when `GRIDWORK_REQUIRE_PG=1` says it must run.
#[cfg(test)]
fn test_pg_url(test: &str) -> Option<String> {
    let url = std::env::var("GRIDWORK_TEST_PG").ok();
    if url.is_none() {
        assert!(
            std::env::var("GRIDWORK_REQUIRE_PG").map_or(true, |v| v != "1"),
            "GRIDWORK_REQUIRE_PG=1 but GRIDWORK_TEST_PG is not set"
        );
        eprintln!("SKIPPED: set GRIDWORK_TEST_PG to run {test}");
    }
    url
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A database of the previous schema (before tokens were bound to devices) keeps its
    /// tokens: those issued by an operator without a device become unbound.
    #[tokio::test]
    async fn older_databases_unbind_admin_tokens_once() {
        let Some(url) = test_pg_url("older_databases_unbind_admin_tokens_once") else {
            return;
        };
        let schema = "gw_test_unit_admin_tokens";
        let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};
                 SET search_path = {schema};
                 {SCHEMA}
                 INSERT INTO accounts VALUES ('li', 'worker', '[\"\"]', NULL);
                 INSERT INTO tokens VALUES ('d-admin', 'li', 'issued-by-admin', 0),
                   ('d-login', 'li', 'phone-li', 0);"
            ))
            .await
            .unwrap();
        drop(client);
        let _ = task.await;
        let s = PostgresStorage::connect(&url, Some(schema)).await.unwrap();
        let device = |d: &'static str| {
            let s = s.clone();
            async move { s.account_by_token(d, -1).await.unwrap().unwrap().device_id }
        };
        assert_eq!(device("d-admin").await, "");
        assert_eq!(device("d-login").await, "phone-li");
        assert_eq!(s.bind_token("d-admin", "phone-2").await.unwrap(), "phone-2");
        // Connecting again changes nothing, not even a device named like the old default.
        s.add_token("li", "d-named", "issued-by-admin")
            .await
            .unwrap();
        let s = PostgresStorage::connect(&url, Some(schema)).await.unwrap();
        assert_eq!(
            s.account_by_token("d-named", -1)
                .await
                .unwrap()
                .unwrap()
                .device_id,
            "issued-by-admin"
        );
        assert_eq!(device("d-admin").await, "phone-2");
    }
}
