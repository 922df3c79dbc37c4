//! Property: any delivery order of the same set of events gives the same projection,
//! in the pure fold and in a store that receives them one by one.
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
