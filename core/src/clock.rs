//! Hybrid logical clock (HLC).
//!
//! Device clocks are wrong in the field: set by hand, jumping back after a reboot, hours
//! off. Events must still order causally, so each event carries an HLC timestamp: the
//! largest wall-clock time seen so far (milliseconds) plus a counter that breaks ties.
//! A clock that jumps backwards keeps the last wall time and bumps the counter; an event
//! received from another device pushes the clock forward so that anything done after
//! seeing it sorts after it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How far ahead of the local wall clock a remote timestamp may pull this clock.
///
/// A device whose clock is set a year ahead must not drag every other replica into the
/// future: beyond this bound the remote time is still ordered, but not adopted.
pub const MAX_FORWARD_DRIFT_MS: i64 = 24 * 60 * 60 * 1000;

/// A hybrid logical clock timestamp. Orders by wall time, then counter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (UTC), the largest physical time seen.
    pub wall_ms: i64,
    /// Tie-breaker for events at the same `wall_ms`.
    pub counter: u32,
}

impl Hlc {
    /// A timestamp from its parts.
    pub const fn new(wall_ms: i64, counter: u32) -> Self {
        Self { wall_ms, counter }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.wall_ms, self.counter)
    }
}

/// The clock state of one device: the last timestamp it issued or observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    /// A clock that resumes after `last` (as persisted in the store).
    pub fn new(last: Hlc) -> Self {
        Self { last }
    }

    /// The last timestamp issued or observed.
    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A fresh timestamp for a local event, given the device's wall clock.
    ///
    /// Always strictly greater than every timestamp issued or observed before, even
    /// when `physical_ms` went backwards.
    pub fn tick(&mut self, physical_ms: i64) -> Hlc {
        self.last = if physical_ms > self.last.wall_ms {
            Hlc::new(physical_ms, 0)
        } else {
            self.bump(self.last.wall_ms, self.last.counter)
        };
        self.last
    }

    /// Take a remote timestamp into account, so that later local events sort after it.
    ///
    /// A remote time more than [`MAX_FORWARD_DRIFT_MS`] ahead of `physical_ms` is not
    /// adopted (the clock only moves to that bound).
    pub fn observe(&mut self, remote: Hlc, physical_ms: i64) {
        let bound = physical_ms.saturating_add(MAX_FORWARD_DRIFT_MS);
        let remote = if remote.wall_ms > bound {
            Hlc::new(bound, 0)
        } else {
            remote
        };
        if remote > self.last {
            self.last = remote;
        }
    }

    fn bump(&self, wall_ms: i64, counter: u32) -> Hlc {
        match counter.checked_add(1) {
            Some(c) => Hlc::new(wall_ms, c),
            // Four billion events in one millisecond cannot happen on a phone; if the
            // counter ever saturates, borrow the next millisecond instead of wrapping.
            None => Hlc::new(wall_ms.saturating_add(1), 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_jumping_back_hours_still_orders_events() {
        let mut clock = HlcClock::default();
        let a = clock.tick(1_000_000_000);
        // The user sets the phone back three hours.
        let b = clock.tick(1_000_000_000 - 3 * 3_600_000);
        let c = clock.tick(1_000_000_000 - 3 * 3_600_000 + 10);
        assert!(a < b && b < c);
        assert_eq!(b.wall_ms, a.wall_ms);
        // Once the wall clock passes the old time again, it is used as is.
        let d = clock.tick(1_000_000_500);
        assert_eq!(d, Hlc::new(1_000_000_500, 0));
    }

    #[test]
    fn observed_remote_events_sort_before_later_local_ones() {
        let mut clock = HlcClock::default();
        clock.tick(5_000);
        let remote = Hlc::new(9_000, 7);
        clock.observe(remote, 5_001);
        let next = clock.tick(5_002);
        assert!(next > remote);
    }

    #[test]
    fn a_remote_clock_far_in_the_future_is_not_adopted() {
        let mut clock = HlcClock::default();
        let now = 1_700_000_000_000;
        clock.observe(Hlc::new(now + 365 * 86_400_000, 0), now);
        assert_eq!(clock.last().wall_ms, now + MAX_FORWARD_DRIFT_MS);
    }

    #[test]
    fn counter_saturation_moves_to_next_millisecond() {
        let mut clock = HlcClock::new(Hlc::new(10, u32::MAX));
        assert_eq!(clock.tick(0), Hlc::new(11, 0));
    }
}
