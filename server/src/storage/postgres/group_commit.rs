//! Group commit on PostgreSQL (docs/group-commit.md): pushes are handed to one
//! committer per storage, which runs every push waiting for it in one transaction,
//! each in its own savepoint, under one take of the push lock, and commits them with
//! one fsync. A push that fails is rolled back to its savepoint and answered with its
//! error; the others of its batch are committed. Nothing is answered before the
//! batch's `COMMIT` returned, so an acknowledged push is on disk.
//!
//! The batch's transaction takes the transaction-scoped push lock before it writes
//! anything and holds it until it commits, exactly as a single push did: across every
//! server process in front of the database, transactions that hand out `server_seq`
//! are serial, so commit order is `server_seq` order and a pull that sees `server_seq`
//! N sees every event below N.

use super::{
    cached::{CachedTx, Statements},
    current, now_ms, patrols, push_one, Projector, PUSH_LOCK,
};
use crate::{
    account::Account,
    storage::{settings::Reference, touched_cases},
    StorageError,
};
use gridwork_core::{catalog::Catalog, geo::Grid, model::Event, sync::wire::PushOutcome};
use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    task::Poll,
};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{Client, Config, NoTls};

/// The most units one transaction takes: bounds how long a batch holds the push lock
/// (and how much one failed commit answers with an error).
const MAX_BATCH: usize = 1024;

/// One push ([`crate::Storage::push`]), judged and stored in its own savepoint.
struct Unit {
    account: Account,
    events: Vec<Event>,
    reply: oneshot::Sender<Result<Vec<PushOutcome>, StorageError>>,
}

/// What the committer has committed since the storage was connected (for tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Transactions committed, one per batch.
    pub batches: u64,
    /// Pushes in those transactions, failed ones included.
    pub units: u64,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    units: AtomicU64,
}

/// What the committer needs of the storage — not the storage itself, whose
/// handles hold the queue: the queue closes when the last handle is dropped, and the
/// committer ends once it has answered the batch it was running.
struct Shared {
    config: Config,
    reference: Arc<Reference>,
    views: Arc<AtomicBool>,
}

/// The queue to the committer of one storage.
pub(super) struct Committer {
    queue: mpsc::UnboundedSender<Unit>,
    counters: Arc<Counters>,
}

impl Committer {
    /// Starts the committer: a thread of its own (`gridwork-pg-commit`) running a
    /// one-thread runtime with its own connection to `config`'s database, kept between
    /// batches (and made again when it was lost). On a thread of its own the batch's
    /// round trips do not queue behind the requests the server's runtime is serving.
    pub(super) fn start(
        config: Config,
        reference: Arc<Reference>,
        views: Arc<AtomicBool>,
    ) -> Result<Self, StorageError> {
        let (queue, units) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let shared = Shared {
            config,
            reference,
            views,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let task_counters = counters.clone();
        std::thread::Builder::new()
            .name("gridwork-pg-commit".into())
            .spawn(move || runtime.block_on(run(shared, units, task_counters)))?;
        Ok(Committer { queue, counters })
    }

    /// Pushes `events` in the next group transaction; answers once that is committed.
    pub(super) async fn push(
        &self,
        account: Account,
        events: Vec<Event>,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        // Queued before the first await: a caller polled once is in the queue.
        let (reply, answer) = oneshot::channel();
        let gone = || StorageError::Task("the group committer stopped".into());
        let unit = Unit {
            account,
            events,
            reply,
        };
        self.queue.send(unit).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    pub(super) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            units: self.counters.units.load(Ordering::Relaxed),
        }
    }
}

fn batch_failed(why: &str) -> StorageError {
    StorageError::Task(format!(
        "group commit failed, nothing of this batch is acknowledged: {why}"
    ))
}

/// Until the queue closes: takes the first unit waiting and runs it as a batch with
/// every other one queued by the time the push lock is held.
async fn run(shared: Shared, mut units: mpsc::UnboundedReceiver<Unit>, counters: Arc<Counters>) {
    // The connection kept between batches, with the statements prepared on it.
    let mut kept: Option<(Client, Statements)> = None;
    while let Some(first) = units.recv().await {
        let (mut conn, statements) = match kept.take() {
            Some((conn, statements)) if !conn.is_closed() => (conn, statements),
            _ => match connect(&shared.config).await {
                Ok(conn) => (conn, Statements::default()),
                Err(e) => {
                    let _ = first.reply.send(Err(e));
                    continue;
                }
            },
        };
        let mut batch = vec![first];
        match run_batch(&mut conn, &statements, &mut batch, &mut units, &shared).await {
            Ok(answers) => {
                counters.batches.fetch_add(1, Ordering::Relaxed);
                counters
                    .units
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (unit, answer) in batch.into_iter().zip(answers) {
                    let _ = unit.reply.send(answer);
                }
            }
            Err(e) => {
                let why = e.to_string();
                for unit in batch {
                    let _ = unit.reply.send(Err(batch_failed(&why)));
                }
            }
        }
        kept = Some((conn, statements));
    }
}

async fn connect(config: &Config) -> Result<Client, StorageError> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// One transaction: the push lock, then every unit queued by then (up to
/// [`MAX_BATCH`], appended to `batch`), each in its own savepoint, then `COMMIT`.
/// Returns each unit's answer, in `batch`'s order; Err when the batch is given up (its
/// transaction is rolled back when dropped).
async fn run_batch(
    conn: &mut Client,
    statements: &Statements,
    batch: &mut Vec<Unit>,
    units: &mut mpsc::UnboundedReceiver<Unit>,
    shared: &Shared,
) -> Result<Vec<Result<Vec<PushOutcome>, StorageError>>, StorageError> {
    let tx = conn.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
        &[&PUSH_LOCK],
    )
    .await?;
    while batch.len() < MAX_BATCH {
        match units.try_recv() {
            Ok(unit) => batch.push(unit),
            Err(_) => break,
        }
    }
    let mut context = Context {
        shared,
        reference: None,
        projector: None,
    };
    let cached = CachedTx::new(&tx, statements);
    let mut answers = Vec::with_capacity(batch.len());
    for unit in batch.iter() {
        tx.batch_execute("SAVEPOINT unit").await?;
        let push = push_unit(&cached, &mut context, &unit.account, &unit.events);
        let answer = catch_unwind(push).await;
        if answer.is_ok() {
            tx.batch_execute("RELEASE unit").await?;
        } else {
            tx.batch_execute("ROLLBACK TO unit; RELEASE unit").await?;
        }
        answers.push(answer);
    }
    tx.commit().await?;
    Ok(answers)
}

/// What the units of one batch share: the reference settings (read once, under the
/// lock) and the projector's prepared statements.
struct Context<'a> {
    shared: &'a Shared,
    reference: Option<Settings>,
    projector: Option<Projector>,
}

/// The grid and the catalogue, when set.
type Settings = (Option<Arc<Grid>>, Option<Arc<Catalog>>);

/// One push, as it was when it was a transaction of its own: each event judged and
/// stored (seeing the units before it in the batch), then the cases and patrols it
/// touched folded again.
async fn push_unit(
    tx: &CachedTx<'_, '_>,
    context: &mut Context<'_>,
    account: &Account,
    events: &[Event],
) -> Result<Vec<PushOutcome>, StorageError> {
    if context.reference.is_none() {
        let reference = &context.shared.reference;
        context.reference = Some((
            current::<Grid>(tx, &reference.grid).await?,
            current::<Catalog>(tx, &reference.catalog).await?,
        ));
    }
    let (grid, catalog) = context.reference.clone().unwrap_or_default();
    let received_ms = now_ms();
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        outcomes.push(
            push_one(
                tx,
                account,
                event,
                grid.as_deref(),
                catalog.as_deref(),
                received_ms,
            )
            .await?,
        );
    }
    if context.shared.views.load(Ordering::Relaxed) {
        let touched = touched_cases(events, &outcomes);
        if !touched.is_empty() {
            if context.projector.is_none() {
                context.projector = Some(Projector::prepare(tx).await?);
            }
            if let Some(projector) = &context.projector {
                for stream in &touched {
                    projector.project(tx, stream, catalog.as_deref()).await?;
                }
            }
        }
        patrols::project_touched(tx, events, &outcomes, grid.as_deref()).await?;
    }
    Ok(outcomes)
}

/// A push that panics is answered with an error and rolled back like a failed one:
/// the committer, which every push goes through, must outlive it.
async fn catch_unwind<T>(
    unit: impl Future<Output = Result<T, StorageError>>,
) -> Result<T, StorageError> {
    let mut unit = std::pin::pin!(unit);
    std::future::poll_fn(move |cx| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unit.as_mut().poll(cx)))
            .unwrap_or_else(|_| {
                Poll::Ready(Err(StorageError::Task(
                    "a write panicked; nothing of it stored".into(),
                )))
            })
    })
    .await
}
