//! A patrol's integrity in words: what each flag on a fix means and why the verdict is
//! what it is (docs/patrols.md explains the thresholds).

use crate::lang::{Lang, Msg};
use gridwork_core::patrol::{FlagCounts, IntegrityPolicy, IntegritySummary, Verdict};

/// Each flag set on some fix, with how many fixes carry it:
/// `2 faster than on foot or by bicycle (speed)`.
pub fn flag_reasons(lang: Lang, counts: &FlagCounts) -> Vec<String> {
    let policy = IntegrityPolicy::default();
    let accuracy = format!(
        "{} ({})",
        lang.say(Msg::FlagLowAccuracy, &[]),
        lang.pick(
            &format!("worse than {:.0} m", policy.max_accuracy_m),
            &format!("差于 {:.0} 米", policy.max_accuracy_m)
        )
    );
    let rows = [
        (counts.speed, lang.say(Msg::FlagSpeed, &[]), "speed"),
        (
            counts.teleport,
            lang.say(Msg::FlagTeleport, &[]),
            "teleport",
        ),
        (counts.mock, lang.say(Msg::FlagMock, &[]), "mock"),
        (
            counts.time_backwards,
            lang.say(Msg::FlagTimeBackwards, &[]),
            "time_backwards",
        ),
        (
            counts.clock_skew,
            lang.say(Msg::FlagClockSkew, &[]),
            "clock_skew",
        ),
        (counts.low_accuracy, accuracy, "low_accuracy"),
    ];
    rows.into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, words, name)| format!("{n} {words} ({name})"))
        .collect()
}

/// The counts of `after` not yet in `before`: the flags a batch added.
pub fn added(before: &FlagCounts, after: &FlagCounts) -> FlagCounts {
    FlagCounts {
        speed: after.speed.saturating_sub(before.speed),
        teleport: after.teleport.saturating_sub(before.teleport),
        mock: after.mock.saturating_sub(before.mock),
        time_backwards: after.time_backwards.saturating_sub(before.time_backwards),
        clock_skew: after.clock_skew.saturating_sub(before.clock_skew),
        low_accuracy: after.low_accuracy.saturating_sub(before.low_accuracy),
    }
}

/// The verdict and its reason: `questionable: 3 of 10 fixes flagged (more than 10%) …`.
pub fn verdict(lang: Lang, s: &IntegritySummary) -> String {
    let policy = IntegrityPolicy::default();
    let pct = |share: f64| format!("{:.0}", share * 100.0);
    match s.verdict {
        Verdict::Trusted => lang.say(Msg::Trusted, &[&s.flagged, &s.total]),
        Verdict::Questionable => lang.say(
            Msg::Questionable,
            &[&s.flagged, &s.total, &pct(policy.questionable_share)],
        ),
        Verdict::Untrusted if s.per_flag.mock > 0 => {
            lang.say(Msg::UntrustedMock, &[&s.per_flag.mock])
        }
        Verdict::Untrusted => lang.say(
            Msg::UntrustedShare,
            &[&s.flagged, &s.total, &pct(policy.untrusted_share)],
        ),
    }
}
