//! Property, on both backends: however the devices' pushes interleave, however their
//! chains are cut into batches, and however often a batch is replayed (a push whose
//! answer was lost is sent again), the server holds every event exactly once and its
//! case view equals the core's fold of the same events.
//!
//! Every interleaving and every way of batching two offline tablets' conflicting steps
//! is tried; the replays are drawn from a seeded generator, so a failure names its seed.

use crate::common::{account, accounts, register, Device};
use gridwork_core::{
    model::{Action, Event, Role, Stream},
    sync::wire::PushOutcome,
    workflow,
};
use gridwork_server::storage::Storage;
use std::{collections::BTreeMap, sync::Arc};

/// A small seeded generator (xorshift64*), enough to place replays reproducibly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Every way to interleave two sequences, keeping each one's own order.
fn interleavings<T: Clone>(a: &[T], b: &[T]) -> Vec<Vec<T>> {
    if a.is_empty() {
        return vec![b.to_vec()];
    }
    if b.is_empty() {
        return vec![a.to_vec()];
    }
    let mut out = Vec::new();
    for mut rest in interleavings(&a[1..], b) {
        rest.insert(0, a[0].clone());
        out.push(rest);
    }
    for mut rest in interleavings(a, &b[1..]) {
        rest.insert(0, b[0].clone());
        out.push(rest);
    }
    out
}

/// Every way to cut a chain of `n` events into consecutive batches: the batches' sizes.
fn batch_shapes(n: usize) -> Vec<Vec<usize>> {
    (0..1u32 << (n - 1))
        .map(|cuts| {
            let mut sizes = vec![1];
            for i in 1..n {
                if cuts & (1 << (i - 1)) != 0 {
                    sizes.push(0);
                }
                *sizes.last_mut().unwrap() += 1;
            }
            sizes
        })
        .collect()
}

/// `events` cut into batches of the given sizes.
fn cut(events: Vec<Event>, sizes: &[usize]) -> Vec<Vec<Event>> {
    let mut it = events.into_iter();
    sizes
        .iter()
        .map(|&n| it.by_ref().take(n).collect())
        .collect()
}

fn all_accepted(outcomes: &[PushOutcome]) -> bool {
    outcomes
        .iter()
        .all(|o| matches!(o, PushOutcome::Accepted { .. }))
}

fn dispatch(deadline_ms: i64) -> Action {
    Action::Dispatch {
        department: "sanitation".into(),
        deadline_ms,
        note: None,
    }
}

/// Every accepted event of one stream the server serves, by id, with how often.
async fn served(s: &dyn Storage, stream: Stream) -> BTreeMap<uuid::Uuid, usize> {
    let wang = account(s, "wang").await;
    let mut seen = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = s.pull(&wang, after, 500).await.unwrap();
        for e in page.events.iter().filter(|e| e.stream == stream) {
            *seen.entry(e.id).or_insert(0) += 1;
        }
        after = page.next_after;
        if !page.more {
            return seen;
        }
    }
}

pub async fn any_delivery_gives_one_copy_and_the_cores_fold(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    gridwork_server::admin::import_catalog(
        s.as_ref(),
        include_str!("../../../data/kcity-catalog.json"),
    )
    .await
    .unwrap();
    let li = account(s.as_ref(), "li").await;
    let wang = account(s.as_ref(), "wang").await;
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut tablet_a = Device::new("tablet-a", "wang", Role::Supervisor);
    let mut tablet_b = Device::new("tablet-b", "wang", Role::Supervisor);
    let mut rng = Rng(0x5eed_0f0d_e11e_4100);
    let mut trials = 0;
    for shape_a in batch_shapes(3) {
        for shape_b in batch_shapes(2) {
            let tags_a: Vec<(char, usize)> = (0..shape_a.len()).map(|i| ('a', i)).collect();
            let tags_b: Vec<(char, usize)> = (0..shape_b.len()).map(|i| ('b', i)).collect();
            for order in interleavings(&tags_a, &tags_b) {
                trials += 1;
                // Each delivery gets its own case: the same events only arrive once.
                // The worker reports; both tablets pulled it and act offline: A
                // registers, dispatches and closes too early, B registers and cancels.
                let report = phone.report(Some("32050800101"));
                let case = report.stream;
                assert!(all_accepted(
                    &s.push(&li, vec![report.clone()]).await.unwrap()
                ));
                tablet_a.wall = tablet_a.wall.max(phone.wall + 10_000);
                let a = vec![
                    tablet_a.act(case, register()),
                    tablet_a.act(case, dispatch(tablet_a.wall + 7_200_000)),
                    tablet_a.act(case, Action::Close { note: None }),
                ];
                tablet_b.wall = tablet_a.wall - 1500;
                let b = vec![
                    tablet_b.act(case, register()),
                    tablet_b.act(
                        case,
                        Action::Cancel {
                            reason: "duplicate".into(),
                        },
                    ),
                ];
                let mut all = vec![report];
                all.extend(a.iter().cloned());
                all.extend(b.iter().cloned());
                workflow::sort_events(&mut all);
                let expected = workflow::fold(&all).unwrap();
                assert!(!expected.conflicts.is_empty(), "the tablets' steps collide");

                let batches = [cut(a, &shape_a), cut(b, &shape_b)];
                let batch = |(dev, i): (char, usize)| batches[usize::from(dev == 'b')][i].clone();
                let mut pushed = Vec::new();
                let mut first = BTreeMap::new();
                for step in order.iter().copied() {
                    let events = batch(step);
                    let outcomes = s.push(&wang, events.clone()).await.unwrap();
                    assert!(all_accepted(&outcomes), "{outcomes:?}");
                    for (e, o) in events.iter().zip(&outcomes) {
                        first.insert(e.id, o.clone());
                    }
                    pushed.push(step);
                    // A lost answer: a device sends one of its earlier batches again,
                    // and hears the first answer again.
                    if rng.below(2) == 0 {
                        let again = batch(pushed[rng.below(pushed.len())]);
                        let replay = s.push(&wang, again.clone()).await.unwrap();
                        for (e, o) in again.iter().zip(&replay) {
                            let PushOutcome::Accepted { server_seq } = first[&e.id] else {
                                unreachable!("only accepted outcomes are kept")
                            };
                            assert_eq!(o, &PushOutcome::Duplicate { server_seq }, "a replay");
                        }
                    }
                }
                let what = format!("batches {shape_a:?}/{shape_b:?} in order {order:?}");
                let copies = served(s.as_ref(), case).await;
                assert_eq!(copies.len(), all.len(), "every event is held: {what}");
                assert!(
                    copies.values().all(|&n| n == 1),
                    "exactly once: {what} {copies:?}"
                );
                let view = s.case_view(case.id()).await.unwrap().unwrap();
                assert_eq!(view.case, expected, "{what}");
            }
        }
    }
    assert_eq!(trials, 37, "every interleaving of every batching was tried");
    // And a rebuild from the events agrees with what the pushes left.
    let before = s.case_views().await.unwrap();
    s.rebuild_cases().await.unwrap();
    assert_eq!(s.case_views().await.unwrap(), before);
}

mod sqlite_backend {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn any_delivery_gives_one_copy_and_the_cores_fold() {
        let (s, _dir) = crate::common::sqlite().await;
        super::any_delivery_gives_one_copy_and_the_cores_fold(s).await;
    }
}

mod postgres_backend {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn any_delivery_gives_one_copy_and_the_cores_fold() {
        let Some(s) = crate::common::postgres("delivery_orders").await else {
            return;
        };
        super::any_delivery_gives_one_copy_and_the_cores_fold(s).await;
    }
}
