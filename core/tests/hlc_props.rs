//! Property: the hybrid logical clock stays monotonic whatever the device's wall clock
//! does (jumps back hours, jumps ahead, stands still, runs near the counter's limit) and
//! whatever it observes from other devices; a local event always sorts after every
//! remote event the device saw, unless that remote time lies beyond the drift bound.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::clock::{Hlc, HlcClock, MAX_FORWARD_DRIFT_MS};
use proptest::prelude::*;

/// One thing that happens to the clock.
#[derive(Debug, Clone)]
enum Step {
    /// The wall clock moves by this many ms (negative: set back) and an event is made.
    Tick(i64),
    /// An event from another device arrives, stamped this far from the wall clock.
    Observe { offset_ms: i64, counter: u32 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        // Mostly small steps, sometimes hours back or days ahead, sometimes standing still.
        4 => (0i64..2_000).prop_map(Step::Tick),
        1 => (-10 * 3_600_000i64..0).prop_map(Step::Tick),
        1 => (0i64..3 * 86_400_000).prop_map(Step::Tick),
        1 => Just(Step::Tick(0)),
        2 => (-3_600_000i64..2 * MAX_FORWARD_DRIFT_MS, prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()])
            .prop_map(|(offset_ms, counter)| Step::Observe { offset_ms, counter }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ticks_only_go_forward_and_follow_what_was_seen(
        start in 1_600_000_000_000i64..1_900_000_000_000,
        steps in prop::collection::vec(step(), 1..80),
    ) {
        let mut clock = HlcClock::new(Hlc::default());
        let mut wall = start;
        let mut last_issued: Option<Hlc> = None;
        let mut seen_max: Option<Hlc> = None;
        for step in steps {
            match step {
                Step::Tick(dt) => {
                    wall += dt;
                    let before = clock.last();
                    let t = clock.tick(wall);
                    prop_assert!(t > before, "tick {t} not after {before}");
                    if let Some(prev) = last_issued {
                        prop_assert!(t > prev, "tick {t} not after earlier tick {prev}");
                    }
                    if let Some(seen) = seen_max {
                        prop_assert!(t > seen, "tick {t} not after observed {seen}");
                    }
                    last_issued = Some(t);
                }
                Step::Observe { offset_ms, counter } => {
                    let remote = Hlc::new(wall + offset_ms, counter);
                    let before = clock.last();
                    clock.observe(remote, wall);
                    prop_assert!(clock.last() >= before, "observing moved the clock back");
                    prop_assert!(
                        clock.last().wall_ms <= (wall + MAX_FORWARD_DRIFT_MS).max(before.wall_ms),
                        "a remote time beyond the drift bound was adopted"
                    );
                    if offset_ms <= MAX_FORWARD_DRIFT_MS {
                        seen_max = Some(seen_max.map_or(remote, |s| s.max(remote)));
                    }
                }
            }
        }
    }

    #[test]
    fn a_clock_resumed_from_its_persisted_state_keeps_going_forward(
        last_wall in 1_600_000_000_000i64..1_900_000_000_000,
        last_counter in any::<u32>(),
        back_ms in 0i64..86_400_000,
    ) {
        // The store persists the last timestamp; after a restart with the wall clock
        // set back, the next event still sorts after it.
        let persisted = Hlc::new(last_wall, last_counter);
        let mut clock = HlcClock::new(persisted);
        let t = clock.tick(last_wall - back_ms);
        prop_assert!(t > persisted);
    }
}
