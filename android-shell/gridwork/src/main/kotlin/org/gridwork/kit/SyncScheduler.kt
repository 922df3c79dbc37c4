// The background sync decisions, kept free of WorkManager so CI runs them on a desktop JVM
// (bindings/tests/kotlin/KitTest.kt): which ExistingWorkPolicy a new "sync now" request takes
// given the unique work already there, whether a woken worker should run at all, and what
// its run's outcome tells WorkManager. The app's SyncWorker maps WorkInfo.State and
// ExistingWorkPolicy by name (same spellings) and does only what this object says.
package org.gridwork.kit

import org.gridwork.ffi.EngineState
import org.gridwork.ffi.SyncReport
import org.gridwork.ffi.SyncStatus

/** Why a sync is asked for. */
enum class SyncTrigger { REPORT, BUTTON, SIGN_IN, PATROL_FINISHED, NETWORK_RETURNED, PERIODIC }

/** WorkManager's `WorkInfo.State`, by name. */
enum class WorkState { ENQUEUED, RUNNING, SUCCEEDED, FAILED, BLOCKED, CANCELLED }

/** The two `ExistingWorkPolicy` values the app uses, by name. `REPLACE` is never used: it
 *  cancels the run in flight, upload included. */
enum class EnqueuePolicy { KEEP, APPEND_OR_REPLACE }

/** What a worker returns to WorkManager. */
enum class WorkOutcome { SUCCESS, RETRY, FAILURE }

/** The sync scheduling rules (see docs/mobile.md, "Background sync"). */
object SyncScheduler {
    /** The unique one-off work every trigger enqueues into. */
    const val UNIQUE_NOW = "gridwork-sync-now"

    /** The unique periodic work (KEEP: scheduling it again changes nothing). */
    const val UNIQUE_PERIODIC = "gridwork-sync"

    /**
     * The policy for a new one-off sync request, given the states of the requests already
     * under [UNIQUE_NOW]:
     * - one is waiting (ENQUEUED, e.g. for the network to come back, or BLOCKED behind the
     *   running one): KEEP — when it runs it sends everything on disk, this report too;
     * - one is RUNNING and none waits: APPEND_OR_REPLACE — a follow-up run after it (the run
     *   in flight may be past its push), without cancelling its upload; if it has already
     *   failed or was cancelled, the new request starts afresh;
     * - nothing unfinished: KEEP (enqueues the request).
     */
    fun policy(existing: Collection<WorkState>): EnqueuePolicy = when {
        existing.any { it == WorkState.ENQUEUED || it == WorkState.BLOCKED } -> EnqueuePolicy.KEEP
        existing.any { it == WorkState.RUNNING } -> EnqueuePolicy.APPEND_OR_REPLACE
        else -> EnqueuePolicy.KEEP
    }

    /**
     * Whether a woken worker should run: only when signed in; a periodic wake-up only when
     * the engine says a run is due (its backoff respected); any other trigger always.
     */
    fun shouldRun(status: SyncStatus, trigger: SyncTrigger): Boolean = when {
        !status.signedIn -> false
        trigger == SyncTrigger.PERIODIC -> status.due
        else -> true
    }

    /**
     * What a run's result tells WorkManager: a passing failure is retried with backoff;
     * sign-in, update-the-app, device-conflict and wiped states wait for the user; a
     * cancelled run (WorkManager stopped it or the user did) is not an error.
     */
    fun outcome(report: SyncReport): WorkOutcome = when (report.state) {
        EngineState.SYNCED, EngineState.IDLE, EngineState.CANCELLED -> WorkOutcome.SUCCESS
        EngineState.RETRY_SCHEDULED -> WorkOutcome.RETRY
        EngineState.NOT_SIGNED_IN, EngineState.SIGN_IN_REQUIRED, EngineState.INCOMPATIBLE_SERVER,
        EngineState.DEVICE_CONFLICT, EngineState.WIPED -> WorkOutcome.FAILURE
    }
}
