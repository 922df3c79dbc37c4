//! One batch of fixes from the device, from the platform's callback to recordable track
//! points: validated, flagged in arrival order, then sorted and deduplicated.
//!
//! This is the function the store calls for each `patrol.track` batch; it only composes
//! [`normalize_batch`](super::normalize_batch) and [`assess_batch`](super::assess_batch)
//! so that flags computed in arrival order stay attached to their fixes after sorting.

use serde::{Deserialize, Serialize};

use super::fix::{check_batch, normalize_batch, Fix, TrackPoint};
use super::integrity::{assess_batch, IntegrityPolicy, IntegrityState};
use super::PatrolError;

/// What ingesting the next batch of a patrol needs from the batches before it. Keep one
/// per patrol next to its track; a new patrol starts from [`IngestState::default`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IngestState {
    /// The latest fix time recorded so far, for duplicate detection.
    pub last_time_ms: Option<i64>,
    /// The integrity check's memory.
    pub integrity: IntegrityState,
}

/// A batch ready to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestedBatch {
    /// The kept fixes with their flags, quantised, in increasing time, unique times.
    pub points: Vec<TrackPoint>,
    /// Fixes dropped as duplicates (same time as another in the batch or as the last
    /// recorded fix).
    pub dropped_duplicates: usize,
    /// Kept points earlier than the last recorded fix (late arrivals; see
    /// [`NormalizedBatch::earlier_than_existing`](super::NormalizedBatch::earlier_than_existing)).
    pub earlier_than_existing: usize,
    /// The state to store for the next batch.
    pub state: IngestState,
}

/// Validates the policy and the batch (refusing it whole on any error), quantises it, flags each fix in
/// arrival order against `state`, then sorts and deduplicates it as
/// [`normalize_batch`](super::normalize_batch) does.
///
/// `received_at_ms` is the device clock when the platform handed over the batch. Feeding
/// a patrol's batches in order through this function yields the same flags as assessing
/// the whole patrol at once.
pub fn ingest_batch(
    state: &IngestState,
    fixes_in_arrival_order: Vec<Fix>,
    received_at_ms: i64,
    policy: &IntegrityPolicy,
) -> Result<IngestedBatch, PatrolError> {
    policy.validate()?;
    check_batch(&fixes_in_arrival_order)?;
    let quantized: Vec<Fix> = fixes_in_arrival_order.iter().map(Fix::quantized).collect();
    let assessment = assess_batch(&state.integrity, &quantized, Some(received_at_ms), policy);
    let batch_last = quantized.iter().map(|f| f.time_ms).max();
    let normalized = normalize_batch(state.last_time_ms, quantized)?;
    let points = normalized
        .fixes
        .into_iter()
        .zip(normalized.arrival_index)
        .map(|(fix, i)| TrackPoint {
            fix,
            flags: assessment.flags[i],
        })
        .collect();
    Ok(IngestedBatch {
        points,
        dropped_duplicates: normalized.dropped_duplicates,
        earlier_than_existing: normalized.earlier_than_existing,
        state: IngestState {
            last_time_ms: state.last_time_ms.max(batch_last),
            integrity: assessment.state,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::integrity::FixFlags;
    use crate::patrol::testkit::{fix_at, walk};

    const T0: i64 = 1_700_000_000_000;

    #[test]
    fn flags_follow_their_fixes_through_the_sort() {
        let mut fixes = walk(T0, 10, 1.4);
        fixes[3] = fix_at(fixes[3].time_ms, 0.0, 3_000.0, &fixes[3]);
        fixes.swap(3, 8); // the jump now arrives late, and out of order
        let policy = IntegrityPolicy::default();
        let out = ingest_batch(&IngestState::default(), fixes, T0 + 10_000, &policy).unwrap();
        let times: Vec<i64> = out.points.iter().map(|p| p.fix.time_ms).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
        let jumped = out
            .points
            .iter()
            .find(|p| p.fix.time_ms == T0 + 3_000)
            .unwrap();
        assert!(jumped
            .flags
            .contains(FixFlags::TELEPORT | FixFlags::TIME_BACKWARDS));
        assert_eq!(out.state.last_time_ms, Some(T0 + 9_000));
    }

    #[test]
    fn batches_chain_through_the_state() {
        let fixes = walk(T0, 20, 1.4);
        let policy = IntegrityPolicy::default();
        let first = ingest_batch(
            &IngestState::default(),
            fixes[..10].to_vec(),
            T0 + 10_000,
            &policy,
        )
        .unwrap();
        // The second batch repeats the last fix of the first and then continues.
        let second = ingest_batch(&first.state, fixes[9..].to_vec(), T0 + 20_000, &policy).unwrap();
        assert_eq!(second.dropped_duplicates, 1);
        assert_eq!(second.points.len(), 10);
        assert!(second.points.iter().all(|p| p.flags.is_empty()));
    }

    #[test]
    fn an_invalid_fix_refuses_the_batch_and_leaves_the_state_alone() {
        let mut fixes = walk(T0, 5, 1.4);
        fixes[4].lat = f64::NAN;
        let err = ingest_batch(
            &IngestState::default(),
            fixes,
            T0,
            &IntegrityPolicy::default(),
        );
        assert!(matches!(
            err,
            Err(PatrolError::InvalidFix { index: Some(4), .. })
        ));
    }
}
