//! Proof of patrol: flags on fixes that could not have been where or when they say, and a
//! verdict on a whole patrol.
//!
//! A supervisor relies on a patrol log as evidence that a cell was walked. Fixes are
//! never deleted for looking wrong: each gets [`FixFlags`], track maths leaves the
//! implausible ones out, and [`summarize`] turns the counts into a [`Verdict`]. Flags are
//! evidence for a person to look at, not an accusation; `docs/patrols.md` explains each.
//!
//! Fixes arrive in batches, so assessment is incremental: [`assess_batch`] takes the
//! [`IntegrityState`] left by the batch before and returns the state for the next one.
//! Assessing a patrol batch by batch gives exactly the flags of assessing it in one go.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use serde::{Deserialize, Serialize};

use super::fix::Fix;
use super::local::{check_positive, haversine_m};
use super::PatrolError;

/// Integrity flags on one fix, as bits (JSON: the number).
///
/// Unknown bits (from a newer version) are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FixFlags(u16);

impl FixFlags {
    /// The implied speed from the last plausible fix is above
    /// [`IntegrityPolicy::max_speed_mps`] (faster than a patrol on foot or by bicycle).
    pub const SPEED: FixFlags = FixFlags(1 << 0);
    /// A jump no one makes: more than [`IntegrityPolicy::teleport_distance_m`] within
    /// [`IntegrityPolicy::teleport_window_s`], or faster than
    /// [`IntegrityPolicy::teleport_speed_mps`].
    pub const TELEPORT: FixFlags = FixFlags(1 << 1);
    /// The platform marked the fix as coming from a mock-location app.
    pub const MOCK: FixFlags = FixFlags(1 << 2);
    /// The fix is earlier than the fix that arrived just before it.
    pub const TIME_BACKWARDS: FixFlags = FixFlags(1 << 3);
    /// The fix's time is more than [`IntegrityPolicy::max_clock_skew_s`] away from the
    /// device clock when it was received (a stale fix, or a clock set wrong).
    pub const CLOCK_SKEW: FixFlags = FixFlags(1 << 4);
    /// The fix's accuracy is worse than [`IntegrityPolicy::max_accuracy_m`].
    pub const LOW_ACCURACY: FixFlags = FixFlags(1 << 5);

    /// Flags that take a fix out of track maths (distance, coverage, time per cell).
    /// [`CLOCK_SKEW`](Self::CLOCK_SKEW) is not among them: the position is fine, the
    /// device clock is what is in doubt.
    pub const EXCLUDED_FROM_TRACK: FixFlags = FixFlags(
        Self::SPEED.0
            | Self::TELEPORT.0
            | Self::MOCK.0
            | Self::TIME_BACKWARDS.0
            | Self::LOW_ACCURACY.0,
    );

    /// Every known flag with its name, as used in GPX, GeoJSON and the docs.
    pub const NAMED: [(FixFlags, &'static str); 6] = [
        (Self::SPEED, "speed"),
        (Self::TELEPORT, "teleport"),
        (Self::MOCK, "mock"),
        (Self::TIME_BACKWARDS, "time_backwards"),
        (Self::CLOCK_SKEW, "clock_skew"),
        (Self::LOW_ACCURACY, "low_accuracy"),
    ];

    /// No flags.
    pub const fn empty() -> FixFlags {
        FixFlags(0)
    }

    /// Flags from raw bits, keeping bits this version does not know.
    pub const fn from_bits_retain(bits: u16) -> FixFlags {
        FixFlags(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// True when no flag is set.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// True when every flag of `other` is set.
    pub const fn contains(self, other: FixFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any flag of `other` is set.
    pub const fn intersects(self, other: FixFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Sets the flags of `other`.
    pub fn insert(&mut self, other: FixFlags) {
        self.0 |= other.0;
    }

    /// True unless a flag in [`EXCLUDED_FROM_TRACK`](Self::EXCLUDED_FROM_TRACK) is set.
    pub const fn is_plausible(self) -> bool {
        !self.intersects(Self::EXCLUDED_FROM_TRACK)
    }

    /// Names of the known flags that are set, in bit order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMED
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, name)| name)
    }
}

impl BitOr for FixFlags {
    type Output = FixFlags;
    fn bitor(self, rhs: FixFlags) -> FixFlags {
        FixFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for FixFlags {
    fn bitor_assign(&mut self, rhs: FixFlags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for FixFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FixFlags(")?;
        let mut first = true;
        for name in self.names() {
            write!(f, "{}{name}", if first { "" } else { " | " })?;
            first = false;
        }
        let unknown = self.0 & !FixFlags::NAMED.iter().fold(0, |acc, (f, _)| acc | f.0);
        if unknown != 0 {
            write!(f, "{}{unknown:#x}", if first { "" } else { " | " })?;
        }
        write!(f, ")")
    }
}

/// The thresholds of the integrity check; [`Default`] gives the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntegrityPolicy {
    /// Above this implied speed a fix gets [`FixFlags::SPEED`]. Default 8 m/s (29 km/h,
    /// fast cycling).
    pub max_speed_mps: f64,
    /// Speeds are checked both from the latest plausible fix and over a baseline of at
    /// least this many seconds, so that GPS noise (absorbed by the allowance below) cannot
    /// hide a sustained ride. Default 10 s.
    pub speed_window_s: f64,
    /// A jump of more than this many metres… Default 500 m.
    pub teleport_distance_m: f64,
    /// …within this many seconds gets [`FixFlags::TELEPORT`]. Default 10 s.
    pub teleport_window_s: f64,
    /// Above this implied speed a fix gets [`FixFlags::TELEPORT`] whatever the time
    /// between. Default 50 m/s (180 km/h).
    pub teleport_speed_mps: f64,
    /// A fix whose time is further than this from the device clock at receipt gets
    /// [`FixFlags::CLOCK_SKEW`]. Default 300 s.
    pub max_clock_skew_s: f64,
    /// A fix less accurate than this gets [`FixFlags::LOW_ACCURACY`]. Default 100 m.
    pub max_accuracy_m: f64,
    /// GPS noise allowance: before computing a speed, the distance between two fixes is
    /// reduced by the sum of their accuracies, but by no more than this. Default 50 m.
    pub max_noise_allowance_m: f64,
    /// A patrol with more than this share of flagged fixes is
    /// [`Verdict::Questionable`]. Default 0.05.
    pub questionable_share: f64,
    /// A patrol with more than this share of flagged fixes, or any mock fix, is
    /// [`Verdict::Untrusted`]. Default 0.20.
    pub untrusted_share: f64,
}

impl Default for IntegrityPolicy {
    fn default() -> Self {
        IntegrityPolicy {
            max_speed_mps: 8.0,
            speed_window_s: 10.0,
            teleport_distance_m: 500.0,
            teleport_window_s: 10.0,
            teleport_speed_mps: 50.0,
            max_clock_skew_s: 300.0,
            max_accuracy_m: 100.0,
            max_noise_allowance_m: 50.0,
            questionable_share: 0.05,
            untrusted_share: 0.20,
        }
    }
}

impl IntegrityPolicy {
    /// Checks every threshold is a finite number > 0 and the shares are within 0 ..= 1
    /// (a NaN threshold would silently flag nothing).
    pub fn validate(&self) -> Result<(), PatrolError> {
        let positive = [
            ("max_speed_mps", self.max_speed_mps),
            ("speed_window_s", self.speed_window_s),
            ("teleport_distance_m", self.teleport_distance_m),
            ("teleport_window_s", self.teleport_window_s),
            ("teleport_speed_mps", self.teleport_speed_mps),
            ("max_clock_skew_s", self.max_clock_skew_s),
            ("max_accuracy_m", self.max_accuracy_m),
        ];
        for (name, value) in positive {
            check_positive(name, value)?;
        }
        if !(self.max_noise_allowance_m >= 0.0 && self.max_noise_allowance_m.is_finite()) {
            return Err(PatrolError::InvalidParameter {
                name: "max_noise_allowance_m",
                problem: "must be a finite number >= 0",
            });
        }
        for (name, share) in [
            ("questionable_share", self.questionable_share),
            ("untrusted_share", self.untrusted_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(PatrolError::InvalidParameter {
                    name,
                    problem: "must be within 0 ..= 1",
                });
            }
        }
        Ok(())
    }
}

/// The most recent plausible fixes [`IntegrityState`] keeps (enough for the speed window
/// at 25 fixes a second).
const MAX_RECENT: usize = 256;

/// What assessing the next batch needs to know about the fixes before it. Store it with
/// the patrol; start a patrol with [`IntegrityState::default`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IntegrityState {
    /// Recent fixes without a flag in [`FixFlags::EXCLUDED_FROM_TRACK`], oldest first:
    /// those within [`IntegrityPolicy::speed_window_s`] of the latest, plus the last one
    /// before them. Implied speeds are measured from these. At most 256.
    pub recent_plausible: Vec<Fix>,
    /// The time of the last fix in arrival order, whatever its flags.
    pub previous_time_ms: Option<i64>,
}

/// The result of [`assess_batch`].
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// One entry per fix, in the order given.
    pub flags: Vec<FixFlags>,
    /// The state to pass with the next batch.
    pub state: IntegrityState,
}

/// Flags each fix of a batch, in the order the fixes arrived from the platform (not
/// sorted: [`FixFlags::TIME_BACKWARDS`] is about that order).
///
/// `received_at_ms` is the device clock when the batch was received, for
/// [`FixFlags::CLOCK_SKEW`]; pass `None` when there is no such time (fixes imported from
/// a file), and that flag is not checked.
///
/// Implied speeds are measured from plausible fixes only (so one bad fix does not make
/// the next good one look bad): the distance, less the noise allowance, over the time
/// between (at least one second), both from the latest plausible fix and from one at
/// least [`IntegrityPolicy::speed_window_s`] earlier.
pub fn assess_batch(
    state: &IntegrityState,
    fixes_in_arrival_order: &[Fix],
    received_at_ms: Option<i64>,
    policy: &IntegrityPolicy,
) -> Assessment {
    let mut state = state.clone();
    let flags = fixes_in_arrival_order
        .iter()
        .map(|fix| assess_one(&mut state, fix, received_at_ms, policy))
        .collect();
    Assessment { flags, state }
}

/// [`assess_batch`] for fixes received at one time (or none), from a fresh state.
pub fn assess(
    fixes_in_arrival_order: &[Fix],
    received_at_ms: Option<i64>,
    policy: &IntegrityPolicy,
) -> Vec<FixFlags> {
    assess_batch(
        &IntegrityState::default(),
        fixes_in_arrival_order,
        received_at_ms,
        policy,
    )
    .flags
}

/// Metres beyond the noise allowance between two fixes, and seconds between them.
fn excess_and_seconds(from: &Fix, to: &Fix, policy: &IntegrityPolicy) -> (f64, f64) {
    let distance = haversine_m(from.lat, from.lon, to.lat, to.lon);
    let allowance = (from.accuracy_m + to.accuracy_m).min(policy.max_noise_allowance_m);
    let dt_s = (to.time_ms as f64 - from.time_ms as f64).abs() / 1000.0;
    ((distance - allowance).max(0.0), dt_s)
}

fn assess_one(
    state: &mut IntegrityState,
    fix: &Fix,
    received_at_ms: Option<i64>,
    policy: &IntegrityPolicy,
) -> FixFlags {
    let mut flags = FixFlags::empty();
    if fix.mock {
        flags |= FixFlags::MOCK;
    }
    if fix.accuracy_m > policy.max_accuracy_m {
        flags |= FixFlags::LOW_ACCURACY;
    }
    if state.previous_time_ms.is_some_and(|t| fix.time_ms < t) {
        flags |= FixFlags::TIME_BACKWARDS;
    }
    if let Some(received) = received_at_ms {
        let skew_s = (fix.time_ms as f64 - received as f64).abs() / 1000.0;
        if skew_s > policy.max_clock_skew_s {
            flags |= FixFlags::CLOCK_SKEW;
        }
    }
    let window_ms = (policy.speed_window_s * 1000.0) as i64;
    if let (Some(first), Some(latest)) = (
        state.recent_plausible.first(),
        state.recent_plausible.last(),
    ) {
        let (excess, dt_s) = excess_and_seconds(latest, fix, policy);
        let speed = excess / dt_s.max(1.0);
        let baseline = state
            .recent_plausible
            .iter()
            .rev()
            .find(|f| f.time_ms <= fix.time_ms.saturating_sub(window_ms))
            .unwrap_or(first);
        let (excess_long, dt_long) = excess_and_seconds(baseline, fix, policy);
        let speed_long = excess_long / dt_long.max(1.0);
        if speed > policy.max_speed_mps || speed_long > policy.max_speed_mps {
            flags |= FixFlags::SPEED;
        }
        let jump = excess > policy.teleport_distance_m && dt_s <= policy.teleport_window_s;
        if jump || speed > policy.teleport_speed_mps {
            flags |= FixFlags::TELEPORT;
        }
    }

    state.previous_time_ms = Some(fix.time_ms);
    let later = state
        .recent_plausible
        .last()
        .is_none_or(|latest| fix.time_ms >= latest.time_ms);
    if flags.is_plausible() && later {
        let recent = &mut state.recent_plausible;
        recent.push(*fix);
        let cutoff = fix.time_ms.saturating_sub(window_ms);
        let stale = recent
            .iter()
            .skip(1)
            .take_while(|f| f.time_ms <= cutoff)
            .count();
        let excess_len = recent.len().saturating_sub(MAX_RECENT);
        recent.drain(..stale.max(excess_len));
    }
    flags
}

/// How far a patrol log can be taken as proof that the patrol happened as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// At most [`IntegrityPolicy::questionable_share`] of fixes flagged, none mocked.
    Trusted,
    /// More than [`IntegrityPolicy::questionable_share`] of fixes flagged: look at the
    /// flags before relying on the log.
    Questionable,
    /// A mock fix, or more than [`IntegrityPolicy::untrusted_share`] of fixes flagged:
    /// the log is no proof of patrol without other evidence.
    Untrusted,
}

/// How many fixes carry each flag (a fix with two flags counts under both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FlagCounts {
    /// Fixes with [`FixFlags::SPEED`].
    pub speed: usize,
    /// Fixes with [`FixFlags::TELEPORT`].
    pub teleport: usize,
    /// Fixes with [`FixFlags::MOCK`].
    pub mock: usize,
    /// Fixes with [`FixFlags::TIME_BACKWARDS`].
    pub time_backwards: usize,
    /// Fixes with [`FixFlags::CLOCK_SKEW`].
    pub clock_skew: usize,
    /// Fixes with [`FixFlags::LOW_ACCURACY`].
    pub low_accuracy: usize,
}

impl FlagCounts {
    /// Counts one fix's flags.
    pub fn add(&mut self, flags: FixFlags) {
        let counters = [
            (FixFlags::SPEED, &mut self.speed),
            (FixFlags::TELEPORT, &mut self.teleport),
            (FixFlags::MOCK, &mut self.mock),
            (FixFlags::TIME_BACKWARDS, &mut self.time_backwards),
            (FixFlags::CLOCK_SKEW, &mut self.clock_skew),
            (FixFlags::LOW_ACCURACY, &mut self.low_accuracy),
        ];
        for (flag, counter) in counters {
            if flags.contains(flag) {
                *counter += 1;
            }
        }
    }
}

/// The integrity of a whole patrol at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntegritySummary {
    /// Fixes assessed.
    pub total: usize,
    /// Fixes with at least one flag.
    pub flagged: usize,
    /// Fixes per flag.
    pub per_flag: FlagCounts,
    /// `flagged / total`, 0 when there are no fixes.
    pub flagged_share: f64,
    /// The verdict under the policy given.
    pub verdict: Verdict,
}

/// Counts the flags of a patrol's fixes and gives the verdict under `policy`: any mock
/// fix or a flagged share above `untrusted_share` is untrusted; a share above
/// `questionable_share` is questionable; otherwise trusted (a patrol with no fixes is
/// trusted: there is nothing to doubt, and nothing to prove either).
pub fn summarize(
    flags: impl IntoIterator<Item = FixFlags>,
    policy: &IntegrityPolicy,
) -> IntegritySummary {
    let mut total = 0;
    let mut flagged = 0;
    let mut per_flag = FlagCounts::default();
    for f in flags {
        total += 1;
        if !f.is_empty() {
            flagged += 1;
        }
        per_flag.add(f);
    }
    let flagged_share = if total == 0 {
        0.0
    } else {
        flagged as f64 / total as f64
    };
    let verdict = if per_flag.mock > 0 || flagged_share > policy.untrusted_share {
        Verdict::Untrusted
    } else if flagged_share > policy.questionable_share {
        Verdict::Questionable
    } else {
        Verdict::Trusted
    };
    IntegritySummary {
        total,
        flagged,
        per_flag,
        flagged_share,
        verdict,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::testkit::{fix_at, walk};
    use crate::patrol::Fix;

    const T0: i64 = 1_700_000_000_000;

    fn policy() -> IntegrityPolicy {
        IntegrityPolicy::default()
    }

    /// Flags as a phone would get them: each fix received a second after it was taken.
    fn live(fixes: &[Fix]) -> Vec<FixFlags> {
        let mut state = IntegrityState::default();
        fixes
            .iter()
            .flat_map(|f| {
                let a = assess_batch(&state, &[*f], Some(f.time_ms + 1000), &policy());
                state = a.state;
                a.flags
            })
            .collect()
    }

    #[test]
    fn an_honest_walk_is_not_flagged() {
        let fixes = walk(T0, 600, 1.4);
        let flags = live(&fixes);
        assert!(flags.iter().all(|f| f.is_empty()), "{flags:?}");
        assert_eq!(summarize(flags, &policy()).verdict, Verdict::Trusted);
    }

    #[test]
    fn a_motorbike_ride_is_flagged_speed_but_a_bicycle_is_not() {
        let bike = walk(T0, 120, 6.5);
        assert!(live(&bike).iter().all(|f| f.is_empty()));
        let motorbike = walk(T0, 120, 14.0);
        let flags = live(&motorbike);
        let speeding = flags.iter().filter(|f| f.contains(FixFlags::SPEED)).count();
        assert!(speeding > 100, "{speeding} of 120 flagged");
        assert!(flags.iter().all(|f| !f.contains(FixFlags::TELEPORT)));
    }

    #[test]
    fn a_jump_is_flagged_teleport_and_the_walk_after_it_is_not() {
        let mut fixes = walk(T0, 60, 1.4);
        let at = fixes[30];
        fixes[30] = fix_at(at.time_ms, 0.0, 2_000.0, &at); // 2 km north, then back
        let flags = live(&fixes);
        assert!(flags[30].contains(FixFlags::TELEPORT | FixFlags::SPEED));
        assert!(!flags[30].is_plausible());
        let others: Vec<_> = flags.iter().enumerate().filter(|(i, _)| *i != 30).collect();
        assert!(others.iter().all(|(_, f)| f.is_empty()), "{others:?}");
    }

    #[test]
    fn gps_noise_within_the_reported_accuracy_is_not_flagged() {
        let mut fixes = walk(T0, 20, 1.4);
        for (i, f) in fixes.iter_mut().enumerate() {
            *f = fix_at(f.time_ms, if i % 2 == 0 { 12.0 } else { -12.0 }, 0.0, f);
            f.accuracy_m = 15.0;
        }
        assert!(live(&fixes).iter().all(|f| f.is_empty()));
    }

    #[test]
    fn mock_low_accuracy_backwards_and_skewed_fixes_are_flagged() {
        let mut fixes = walk(T0, 10, 1.4);
        fixes[2].mock = true;
        fixes[4].accuracy_m = 150.0;
        fixes.swap(6, 7);
        let flags = live(&fixes);
        assert_eq!(flags[2], FixFlags::MOCK);
        assert_eq!(flags[4], FixFlags::LOW_ACCURACY);
        assert_eq!(flags[6], FixFlags::empty());
        assert_eq!(flags[7], FixFlags::TIME_BACKWARDS);
        let skewed = assess(&fixes[..1], Some(T0 + 301_000), &policy());
        assert_eq!(skewed[0], FixFlags::CLOCK_SKEW);
        assert!(
            skewed[0].is_plausible(),
            "a skewed clock does not move the fix"
        );
    }

    #[test]
    fn batch_by_batch_gives_the_same_flags_as_all_at_once() {
        let mut fixes = walk(T0, 300, 1.4);
        fixes[50] = fix_at(fixes[50].time_ms, 900.0, 0.0, &fixes[50]);
        fixes[120].mock = true;
        fixes.swap(200, 201);
        let whole = assess(&fixes, Some(T0 + 300_000), &policy());
        let mut state = IntegrityState::default();
        let mut pieces = Vec::new();
        for chunk in fixes.chunks(7) {
            let a = assess_batch(&state, chunk, Some(T0 + 300_000), &policy());
            pieces.extend(a.flags);
            state = a.state;
        }
        assert_eq!(pieces, whole);
    }

    #[test]
    fn verdicts_follow_the_documented_thresholds() {
        let p = policy();
        let clean = std::iter::repeat_n(FixFlags::empty(), 95);
        let s = summarize(clean.clone().chain([FixFlags::SPEED; 5]), &p);
        assert_eq!(
            (s.flagged, s.per_flag.speed, s.verdict),
            (5, 5, Verdict::Trusted)
        );
        let s = summarize(clean.clone().chain([FixFlags::SPEED; 6]), &p);
        assert_eq!(s.verdict, Verdict::Questionable);
        let s = summarize(clean.clone().chain([FixFlags::MOCK]), &p);
        assert_eq!(s.verdict, Verdict::Untrusted);
        let s = summarize(
            std::iter::repeat_n(FixFlags::empty(), 79).chain([FixFlags::LOW_ACCURACY; 21]),
            &p,
        );
        assert_eq!(s.verdict, Verdict::Untrusted);
        let s = summarize([], &p);
        assert_eq!(
            (s.total, s.flagged_share, s.verdict),
            (0, 0.0, Verdict::Trusted)
        );
    }

    #[test]
    fn a_policy_with_a_meaningless_threshold_is_refused() {
        assert!(policy().validate().is_ok());
        let nan = IntegrityPolicy {
            max_speed_mps: f64::NAN,
            ..policy()
        };
        assert!(matches!(
            nan.validate(),
            Err(PatrolError::InvalidParameter {
                name: "max_speed_mps",
                ..
            })
        ));
        let share = IntegrityPolicy {
            untrusted_share: 1.5,
            ..policy()
        };
        assert!(share.validate().is_err());
    }

    #[test]
    fn a_long_ride_keeps_only_a_short_memory() {
        let fixes = walk(T0, 3_600, 1.4);
        let a = assess_batch(&IntegrityState::default(), &fixes, None, &policy());
        assert!(a.flags.iter().all(|f| f.is_empty()));
        let kept = &a.state.recent_plausible;
        assert_eq!(kept.len(), 11, "the last 10 s and the one before");
        assert_eq!(kept[0].time_ms, T0 + 3_589_000);
    }

    #[test]
    fn flags_print_and_serialize_compactly() {
        let f = FixFlags::SPEED | FixFlags::MOCK;
        assert_eq!(format!("{f:?}"), "FixFlags(speed | mock)");
        assert_eq!(f.names().collect::<Vec<_>>(), ["speed", "mock"]);
        assert_eq!(serde_json::to_string(&f).unwrap(), "5");
        let future: FixFlags = serde_json::from_str("1025").unwrap();
        assert_eq!(future.bits(), 1025);
        assert_eq!(format!("{future:?}"), "FixFlags(speed | 0x400)");
    }
}
