//! Group commit on PostgreSQL (docs/group-commit.md): the pushes that wait while the
//! push lock is held are committed together in one transaction, and a push that fails
//! in it leaves nothing behind without taking its neighbours down.

use crate::common::{self, Device};
use gridwork_core::{
    model::{Event, Role},
    sync::wire::PushOutcome,
};
use gridwork_server::{storage::postgres::PostgresStorage, Storage, StorageError};
use std::{future::Future, pin::Pin, task::Poll};

/// The push lock's first key (`PUSH_LOCK` in server/src/storage/postgres.rs); the
/// second is the hash of the schema's name.
const PUSH_LOCK: i32 = 0x4757;

type Pending<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<PushOutcome>, StorageError>> + Send + 'a>>;

/// A connection of the test's own and a storage on a fresh `schema`, with the usual
/// accounts.
async fn fresh(url: &str, schema: &str) -> (tokio_postgres::Client, PostgresStorage) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await
        .unwrap();
    let s = PostgresStorage::connect(url, Some(schema)).await.unwrap();
    common::accounts(&s).await;
    (client, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_pushes_share_one_transaction_and_a_failing_one_spoils_none() {
    let Some(url) = common::pg_url("waiting_pushes_share_one_transaction") else {
        return;
    };
    let schema = "gw_test_group_commit";
    let (holder, s) = fresh(&url, schema).await;
    let li = common::account(&s, "li").await;
    let wang = common::account(&s, "wang").await;

    // Ten devices of li's, one report each; a push whose first event is good and whose
    // second names a device id PostgreSQL cannot store (a NUL byte): the storage fails
    // it after the first event was written; and a second push of one of the reports.
    let reports: Vec<Event> = (0..10)
        .map(|i| Device::new(&format!("phone-{i}"), "li", Role::Worker).report(Some("32050800101")))
        .collect();
    let lost = Device::new("phone-spoiled", "li", Role::Worker).report(Some("32050800101"));
    let unstorable = Device::new("phone-\0", "li", Role::Worker).report(Some("32050800101"));
    let mut pushes: Vec<Vec<Event>> = reports.iter().map(|e| vec![e.clone()]).collect();
    pushes.insert(4, vec![lost.clone(), unstorable]);
    pushes.insert(7, vec![reports[2].clone()]);

    // Another connection holds the push lock (as another server process's push would)
    // until every push is queued.
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({PUSH_LOCK}, hashtext('{schema}'))"
        ))
        .await
        .unwrap();
    assert_eq!(s.group_commit_stats().batches, 0);
    let mut waiting: Vec<Pending<'_>> = pushes
        .iter()
        .map(|events| s.push(&li, events.clone()))
        .collect();
    // A first poll queues a unit; none can be answered while the lock is held.
    std::future::poll_fn(|cx| {
        for push in &mut waiting {
            assert!(push.as_mut().poll(cx).is_pending());
        }
        Poll::Ready(())
    })
    .await;
    holder.batch_execute("COMMIT").await.unwrap();
    let mut answers = Vec::new();
    for push in waiting {
        answers.push(push.await);
    }

    // One transaction for the twelve pushes.
    let stats = s.group_commit_stats();
    assert_eq!((stats.batches, stats.units), (1, 12), "{stats:?}");

    // The failed push is answered with its error; every other one with its outcome,
    // in queue order, and the repeat of a report of the same batch is a duplicate.
    assert!(matches!(answers.remove(4), Err(StorageError::Postgres(_))));
    let repeat = answers.remove(6).unwrap();
    let mut seqs = Vec::new();
    for (answer, report) in answers.into_iter().zip(&reports) {
        match answer.unwrap()[..] {
            [PushOutcome::Accepted { server_seq }] => seqs.push((server_seq, report.id)),
            ref other => panic!("{} answered {other:?}", report.id),
        }
    }
    assert_eq!(
        repeat,
        [PushOutcome::Duplicate {
            server_seq: seqs[2].0
        }]
    );
    assert!(seqs.windows(2).all(|w| w[0].0 < w[1].0), "{seqs:?}");

    // What was committed: the ten reports; nothing of the failed push, whose device's
    // chain did not move.
    let pulled = s.pull(&wang, 0, 100).await.unwrap().events;
    let pulled: Vec<_> = pulled
        .iter()
        .map(|e| (e.server_seq.unwrap(), e.id))
        .collect();
    assert_eq!(pulled, seqs);
    assert_eq!(s.device_head("phone-spoiled").await.unwrap(), None);

    // The failed push's good event was rolled back with it: pushed again it is new.
    assert!(matches!(
        s.push(&li, vec![lost]).await.unwrap()[..],
        [PushOutcome::Accepted { .. }]
    ));
    assert_eq!(s.group_commit_stats().batches, 2);
}

/// Dropping the storage ends its committer, whose connection (named after it in
/// `pg_stat_activity`) then closes: a committer that kept the storage or its queue
/// alive would hold the connection for as long as the process runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_storage_ends_its_committer() {
    let Some(url) = common::pg_url("dropping_the_storage_ends_its_committer") else {
        return;
    };
    let schema = "gw_test_group_commit_drop";
    let (client, s) = fresh(&url, schema).await;
    let li = common::account(&s, "li").await;
    let report = Device::new("phone-1", "li", Role::Worker).report(Some("32050800101"));
    let clone = s.clone();
    assert!(matches!(
        clone.push(&li, vec![report]).await.unwrap()[..],
        [PushOutcome::Accepted { .. }]
    ));
    let name = format!("gridwork-commit {schema}");
    let sessions = || async {
        client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    assert_eq!(sessions().await, 1);
    drop(s);
    assert_eq!(sessions().await, 1, "a clone of the storage keeps it");
    drop(clone);
    // The committer's thread ends and its connection closes at once, but PostgreSQL
    // notices a moment later: wait for that, within a bound far above it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while sessions().await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the committer's connection outlived its storage"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The committer keeps one connection with the push path's statements prepared on it.
/// When that connection is lost (PostgreSQL restarted, an operator ended the session),
/// the committer connects again and prepares them again on the new one: pushes go on
/// being stored, and none is stored twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committer_whose_connection_was_lost_connects_again() {
    let Some(url) = common::pg_url("a_committer_whose_connection_was_lost_connects_again") else {
        return;
    };
    let schema = "gw_test_group_commit_lost";
    let (client, s) = fresh(&url, schema).await;
    let li = common::account(&s, "li").await;
    let wang = common::account(&s, "wang").await;
    let mut phone = Device::new("phone-1", "li", Role::Worker);
    let accepted = |answer: &[PushOutcome]| matches!(answer, [PushOutcome::Accepted { .. }]);
    let first = phone.report(Some("32050800101"));
    assert!(accepted(&s.push(&li, vec![first]).await.unwrap()));

    let name = format!("gridwork-commit {schema}");
    let ended: i64 = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(ended, 1, "the committer's session");

    // The push that meets the lost connection may fail (nothing of it acknowledged);
    // the device sends it again, as a device does, until it is stored.
    let second = phone.report(Some("32050800101"));
    let mut tries = 0;
    loop {
        tries += 1;
        match s.push(&li, vec![second.clone()]).await {
            Ok(answer) => {
                assert!(accepted(&answer), "{answer:?}");
                break;
            }
            Err(e) => assert!(tries < 3, "still failing after a new connection: {e}"),
        }
    }
    // Later pushes run on the new connection's own prepared statements.
    for _ in 0..3 {
        let next = phone.report(Some("32050800101"));
        assert!(accepted(&s.push(&li, vec![next]).await.unwrap()));
    }
    let pulled = s.pull(&wang, 0, 100).await.unwrap().events;
    assert_eq!(pulled.len(), 5, "each report once");
    assert_eq!(
        s.device_head("phone-1").await.unwrap().map(|(seq, _)| seq),
        Some(5)
    );
}
