// State of the sync status screen: the engine's state (a distinct "sign in required"), what
// waits to be sent, a run's progress, push-only runs (after a report) included, the cases
// whose events the server refused (rejected) and the cases with conflicts, and cancel.
// Tested on the JVM against a real server (bindings/tests/kotlin/ScreensTest.kt).
package org.gridwork.kit

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.gridwork.ffi.CaseFilter
import org.gridwork.ffi.CaseSummary
import org.gridwork.ffi.SyncProgress
import org.gridwork.ffi.SyncReport

/** What the sync screen shows. */
data class SyncScreenState(
    /** Not signed in, sign in required, syncing or idle (with the stored status). */
    val ui: SyncUiState = SyncUiState.NotSignedIn,
    /** A run this screen started is active (the observer says so for runs started elsewhere). */
    val running: Boolean = false,
    /** The active run's latest progress (phase, done of total, bytes); null when idle. */
    val progress: SyncProgress? = null,
    /** The last run's report (state, pushed, pulled, rejected, error). */
    val lastReport: SyncReport? = null,
    /** Cases with events the server refused (shown with `rejection`). */
    val rejected: List<CaseSummary> = emptyList(),
    /** Cases with a conflict to resolve (two offline actions that did not fit). */
    val conflicts: List<CaseSummary> = emptyList(),
    /** A local failure (the store), not a failed exchange: those are in [lastReport]. */
    val error: ErrorInfo? = null,
)

/** The sync screen's state holder; one per screen, the repository's sync client is shared. */
class SyncStatusModel(private val repo: GridworkRepository) {
    private val _state = MutableStateFlow(SyncScreenState())

    /** The screen's state. */
    val state: StateFlow<SyncScreenState> = _state.asStateFlow()

    /** Follows the engine's status (every run, sign-in and sign-out) until [scope] ends. */
    fun observe(scope: CoroutineScope): Job = scope.launch {
        repo.syncStates().collect { ui -> _state.update { it.copy(ui = ui) } }
    }

    /** Reads the status and the rejected and conflicted cases. */
    suspend fun refresh() {
        val o = guarded {
            withContext(Dispatchers.IO) {
                val ui = SyncUiState.of(repo.syncStatus(), repo.isSyncing())
                Triple(ui, repo.cases(CaseFilter(rejected = true)), repo.cases().filter { it.conflictCount > 0u })
            }
        }
        when (o) {
            is Outcome.Ok -> _state.update { it.copy(ui = o.value.first, rejected = o.value.second, conflicts = o.value.third) }
            is Outcome.Failed -> _state.update { it.copy(error = o.error) }
        }
    }

    /** Runs a sync (joins an active one), with progress in the state; the report. */
    suspend fun syncNow(): SyncReport? {
        _state.update { it.copy(running = true, progress = null, error = null) }
        val o = guarded { withContext(Dispatchers.IO) { repo.syncNow { p -> _state.update { it.copy(progress = p) } } } }
        _state.update { it.copy(running = false, progress = null, lastReport = (o as? Outcome.Ok)?.value ?: it.lastReport,
            error = (o as? Outcome.Failed)?.error) }
        refresh()
        return (o as? Outcome.Ok)?.value
    }

    /** Cancels the active run, whoever started it (the request in flight is aborted). */
    fun cancel() = repo.cancelSync()
}
