//! Group commit (docs/group-commit.md): the writes on the hot path — pushes and the
//! contact every push and pull records — are handed to one committer thread, which
//! runs every unit waiting for it in one transaction, each in its own savepoint, and
//! commits them with one fsync. A unit that fails is rolled back to its savepoint and
//! answered with its error; the others of its batch are committed. Nothing is answered
//! before the batch's commit returned, so an acknowledged push is on disk.
//!
//! The committer holds the one writer connection (the same mutex as every other write)
//! for the whole batch: transactions stay serial, `server_seq` is handed out in commit
//! order, and a pull, reading a committed snapshot, sees a batch whole or not at all.

use super::{poisoned, Inner};
use crate::StorageError;
use rusqlite::{Transaction, TransactionBehavior};
use std::{
    any::Any,
    sync::{mpsc, Arc},
    thread::JoinHandle,
};

/// The most units one transaction takes: bounds how long a batch holds the writer
/// (and how much one failed commit answers with an error).
const MAX_BATCH: usize = 1024;

type Output = Box<dyn Any + Send>;
type Work = Box<dyn FnOnce(&Transaction<'_>) -> Result<Output, StorageError> + Send>;

struct Unit {
    work: Work,
    reply: tokio::sync::oneshot::Sender<Result<Output, StorageError>>,
}

/// The committer thread and the queue to it; dropping it lets the thread finish the
/// batch it runs and waits for it (the writer connection is closed afterwards).
pub(super) struct Committer {
    queue: Option<mpsc::Sender<Unit>>,
    thread: Option<JoinHandle<()>>,
}

impl Committer {
    /// Starts the committer over `inner`'s writer connection.
    pub(super) fn start(inner: Arc<Inner>) -> Result<Self, StorageError> {
        let (queue, units) = mpsc::channel::<Unit>();
        let thread = std::thread::Builder::new()
            .name("gridwork-commit".into())
            .spawn(move || run(&inner, &units))?;
        Ok(Committer {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Runs `work` in the next group transaction; answers once that is committed.
    pub(super) async fn commit<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let unit = Unit {
            work: Box::new(move |tx| work(tx).map(|t| Box::new(t) as Output)),
            reply,
        };
        let gone = || StorageError::Task("the committer thread stopped".into());
        self.queue
            .as_ref()
            .ok_or_else(gone)?
            .send(unit)
            .map_err(|_| gone())?;
        let out = answer.await.map_err(|_| gone())??;
        out.downcast::<T>()
            .map(|t| *t)
            .map_err(|_| StorageError::Task("a committed unit answered the wrong type".into()))
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.queue.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Until the queue closes: takes the first unit waiting, then every other one queued
/// by the time the writer is had (up to [`MAX_BATCH`]), and runs them as one batch.
fn run(inner: &Inner, units: &mpsc::Receiver<Unit>) {
    while let Ok(first) = units.recv() {
        let conn = inner.writer.lock().map_err(poisoned);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match units.try_recv() {
                Ok(unit) => batch.push(unit),
                Err(_) => break,
            }
        }
        let mut conn = match conn {
            Ok(conn) => conn,
            Err(e) => {
                fail_all(batch, &e.to_string());
                continue;
            }
        };
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                fail_all(batch, &e.to_string());
                continue;
            }
        };
        let mut done = Vec::with_capacity(batch.len());
        let mut broken = None;
        for unit in batch {
            if broken.is_some() {
                done.push((unit.reply, None));
                continue;
            }
            match run_unit(&tx, unit.work) {
                Ok(result) => done.push((unit.reply, Some(result))),
                Err(e) => {
                    broken = Some(e.to_string());
                    done.push((unit.reply, None));
                }
            }
        }
        let outcome = match broken {
            Some(e) => {
                drop(tx);
                Err(e)
            }
            None => tx.commit().map_err(|e| e.to_string()),
        };
        drop(conn);
        for (reply, result) in done {
            let answer = match (&outcome, result) {
                (Ok(()), Some(result)) => result,
                (Err(e), _) => Err(batch_failed(e)),
                (Ok(()), None) => Err(batch_failed("the batch was given up")),
            };
            let _ = reply.send(answer);
        }
    }
}

fn batch_failed(why: &str) -> StorageError {
    StorageError::Task(format!(
        "group commit failed, nothing of this batch stored: {why}"
    ))
}

/// Runs one unit in its own savepoint: kept when it succeeds, rolled back when it fails
/// (its error is its answer). Err only when the savepoint itself cannot be handled: the
/// transaction is then in no known state and the batch is given up.
fn run_unit(
    tx: &Transaction<'_>,
    work: Work,
) -> Result<Result<Output, StorageError>, rusqlite::Error> {
    tx.execute_batch("SAVEPOINT unit")?;
    // A unit that panics is answered with an error and rolled back like a failed one:
    // the committer thread, which every write goes through, must outlive it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(tx)))
        .unwrap_or_else(|_| {
            Err(StorageError::Task(
                "a write panicked; nothing of it stored".into(),
            ))
        });
    if result.is_ok() {
        tx.execute_batch("RELEASE unit")?;
    } else {
        tx.execute_batch("ROLLBACK TO unit; RELEASE unit")?;
    }
    Ok(result)
}

fn fail_all(batch: Vec<Unit>, why: &str) {
    for unit in batch {
        let _ = unit.reply.send(Err(batch_failed(why)));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::super::SqliteStorage;
    use crate::StorageError;
    use std::future::Future;

    fn put(
        key: &'static str,
    ) -> impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), StorageError> {
        move |tx| {
            tx.execute("INSERT INTO settings (key, value) VALUES (?1, 'v')", [key])?;
            Ok(())
        }
    }

    async fn keys(s: &SqliteStorage) -> Vec<String> {
        s.read(|conn| {
            Ok(conn
                .prepare("SELECT key FROM settings WHERE key LIKE 'gc-%' ORDER BY key")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .await
        .unwrap()
    }

    /// Three units queued while the writer is busy run as one batch; the one that
    /// fails leaves nothing behind and is answered with its error, the two beside it
    /// are committed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_unit_does_not_spoil_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(&dir.path().join("server.db"))
            .await
            .unwrap();
        // The writer is held until all three units are queued, so the committer takes
        // them in one batch.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (held, is_held) = std::sync::mpsc::channel::<()>();
        let inner = s.inner.clone();
        let holder = std::thread::spawn(move || {
            let _writer = inner.writer.lock().unwrap();
            held.send(()).unwrap();
            released.recv().unwrap();
        });
        is_held.recv().unwrap();
        let mut a = std::pin::pin!(s.committer.commit(put("gc-a")));
        let mut b = std::pin::pin!(s.committer.commit(|tx| {
            put("gc-b")(tx)?;
            Err::<(), _>(StorageError::Invalid("refused".into()))
        }));
        let mut c = std::pin::pin!(s.committer.commit(put("gc-c")));
        // A first poll queues a unit; none can be answered while the writer is held.
        std::future::poll_fn(|cx| {
            assert!(a.as_mut().poll(cx).is_pending());
            assert!(b.as_mut().poll(cx).is_pending());
            assert!(c.as_mut().poll(cx).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
        release.send(()).unwrap();
        let (a, b, c) = (a.await, b.await, c.await);
        holder.join().unwrap();
        assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
        assert!(matches!(b, Err(StorageError::Invalid(_))), "{b:?}");
        assert_eq!(keys(&s).await, ["gc-a", "gc-c"]);
    }

    /// A unit that panics is answered with an error and leaves nothing behind; the
    /// committer goes on serving the writes after it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_unit_does_not_stop_the_committer() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(&dir.path().join("server.db"))
            .await
            .unwrap();
        let panicked = s
            .committer
            .commit(|tx| {
                put("gc-p")(tx)?;
                panic!("a bug in a write");
                #[allow(unreachable_code)]
                Ok::<(), StorageError>(())
            })
            .await;
        assert!(
            matches!(panicked, Err(StorageError::Task(_))),
            "{panicked:?}"
        );
        s.committer.commit(put("gc-q")).await.unwrap();
        assert_eq!(keys(&s).await, ["gc-q"]);
    }
}
