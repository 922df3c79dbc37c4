//! Property: any delivery order of the same set of events gives the same projection,
//! in the pure fold and in a store that receives them: every order of a small case
//! exhaustively, random orders in random batches, and random orders with events
//! delivered again (replays) — the store then still holds each event once.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{model::Event, model::Role, store::ActionKind::*, workflow};
use proptest::prelude::*;
use std::sync::OnceLock;

/// Events of a busy case made on three devices, with concurrent, conflicting steps.
fn scenario() -> &'static Vec<Event> {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let worker = Device::new("li", Role::Worker, "phone-1");
        let sup_a = Device::new("wang", Role::Supervisor, "tablet-a");
        let sup_b = Device::new("zhao", Role::Supervisor, "tablet-b");
        let id = worker.store.report(&worker.draft("rubbish")).unwrap();
        sup_a
            .store
            .apply_remote(&worker.store.all_events().unwrap())
            .unwrap();
        sup_b
            .store
            .apply_remote(&worker.store.all_events().unwrap())
            .unwrap();
        // Both register and dispatch offline; one also cancels.
        sup_a.store.act(id, &act(Register)).unwrap();
        let mut d = act(Dispatch);
        d.department = Some(sup_a.department());
        sup_a.store.act(id, &d).unwrap();
        sup_b.clock.advance(500);
        sup_b.store.act(id, &act(Register)).unwrap();
        sup_b
            .store
            .act(id, &with_note(Cancel, "looks like a duplicate"))
            .unwrap();
        worker.clock.advance(900);
        let mut all = worker.store.all_events().unwrap();
        for dev in [&sup_a, &sup_b] {
            for e in dev.store.all_events().unwrap() {
                if !all.iter().any(|x| x.id == e.id) {
                    all.push(e);
                }
            }
        }
        all
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_delivery_order_gives_the_same_projection(perm in Just(()).prop_perturb(|_, mut rng| {
        let mut order: Vec<usize> = (0..scenario().len()).collect();
        for i in (1..order.len()).rev() {
            let j = (rng.next_u32() as usize) % (i + 1);
            order.swap(i, j);
        }
        order
    }), split in 1usize..6) {
        let events = scenario();
        let expected = workflow::fold(events).unwrap();
        prop_assert!(!expected.conflicts.is_empty(), "the scenario has conflicts");
        let shuffled: Vec<Event> = perm.iter().map(|&i| events[i].clone()).collect();
        prop_assert_eq!(&workflow::fold(&shuffled).unwrap(), &expected);
        // A store receiving them in that order, in batches, ends the same way.
        let dev = Device::new("obs", Role::Supervisor, "observer");
        for batch in shuffled.chunks(split) {
            dev.store.apply_remote(batch).unwrap();
        }
        let id = expected.id;
        prop_assert_eq!(dev.store.case(id).unwrap().case, expected);
    }
}

/// Every permutation of `0..n`, in lexicographic order (Heap's algorithm would do, but
/// the next-permutation step reads more plainly).
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut p: Vec<usize> = (0..n).collect();
    let mut out = vec![p.clone()];
    loop {
        let Some(i) = (0..n.saturating_sub(1)).rev().find(|&i| p[i] < p[i + 1]) else {
            return out;
        };
        let j = (i + 1..n).rev().find(|&j| p[j] > p[i]).unwrap();
        p.swap(i, j);
        p[i + 1..].reverse();
        out.push(p.clone());
    }
}

#[test]
fn every_delivery_order_of_a_small_case_gives_the_same_projection() {
    let events = scenario();
    let expected = workflow::fold(events).unwrap();
    let orders = permutations(events.len());
    assert_eq!(orders.len(), 120, "five events, every order");
    for order in orders {
        let shuffled: Vec<Event> = order.iter().map(|&i| events[i].clone()).collect();
        assert_eq!(workflow::fold(&shuffled).unwrap(), expected, "{order:?}");
        let dev = Device::new("obs", Role::Supervisor, "observer");
        for e in &shuffled {
            dev.store.apply_remote(std::slice::from_ref(e)).unwrap();
        }
        assert_eq!(
            dev.store.case(expected.id).unwrap().case,
            expected,
            "{order:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Events delivered in any order, some of them several times (a page fetched again
    /// after a lost answer, the same event in two overlapping pages), in batches of any
    /// size: the store holds each event once and ends with the same case.
    #[test]
    fn duplicated_and_replayed_deliveries_change_nothing(
        order in Just(()).prop_perturb(|_, mut rng| {
            let n = scenario().len();
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, (rng.next_u32() as usize) % (i + 1));
            }
            // Replay up to n events, each at a random later place.
            for _ in 0..(rng.next_u32() as usize) % (n + 1) {
                let k = (rng.next_u32() as usize) % order.len();
                let at = k + (rng.next_u32() as usize) % (order.len() - k + 1);
                order.insert(at, order[k]);
            }
            order
        }),
        split in 1usize..5,
    ) {
        let events = scenario();
        let expected = workflow::fold(events).unwrap();
        let delivered: Vec<Event> = order.iter().map(|&i| events[i].clone()).collect();
        let dev = Device::new("obs", Role::Supervisor, "observer");
        for batch in delivered.chunks(split) {
            dev.store.apply_remote(batch).unwrap();
        }
        prop_assert_eq!(dev.store.case(expected.id).unwrap().case, expected);
        let held = dev.store.all_events().unwrap();
        prop_assert_eq!(held.len(), events.len(), "each event once");
        prop_assert!(dev.store.verify_log().unwrap().is_intact());
    }
}
