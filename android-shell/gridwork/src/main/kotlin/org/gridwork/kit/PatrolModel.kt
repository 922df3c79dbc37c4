// State of the patrol screen: the cell picker (the account's cells, `myCells`), start / pause /
// resume / finish, check-in, and the live figures (distance, coverage of each picked cell)
// refreshed on each patrol change the core reports (a fix batch from the recording service
// included). The recording itself is PatrolRecorder's, fed by the app's foreground service.
// Tested on the JVM (bindings/tests/kotlin/ScreensTest.kt).
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
import org.gridwork.ffi.CellCoverage
import org.gridwork.ffi.GridCell
import org.gridwork.ffi.PatrolChange
import org.gridwork.ffi.PatrolDetail
import org.gridwork.ffi.PatrolStatus

/** Where the patrol screen is. */
enum class PatrolPhase {
    /** No open patrol: pick cells and start. */
    NONE,

    /** Recording. */
    ACTIVE,

    /** Paused: fixes are not recorded until resumed. */
    PAUSED,
}

/** What the patrol screen shows. */
data class PatrolState(
    /** The account's cells, for the picker (empty before the first sign-in). */
    val cells: List<GridCell> = emptyList(),
    /** The picked cell codes. */
    val selected: Set<String> = emptySet(),
    /** The open patrol, if any. */
    val patrolId: String? = null,
    /** Where it stands. */
    val phase: PatrolPhase = PatrolPhase.NONE,
    /** Distance walked so far, metres. */
    val distanceM: Double = 0.0,
    /** Coverage of each cell of the patrol. */
    val coverage: List<CellCoverage> = emptyList(),
    /** Fixes recorded. */
    val fixCount: ULong = 0uL,
    /** Check-ins made. */
    val checkIns: Int = 0,
    /** The figures of the patrol just finished (the summary card). */
    val finished: PatrolDetail? = null,
    /** A step under way. */
    val busy: Boolean = false,
    /** The last refusal (e.g. `cells` missing, a patrol not open). */
    val error: ErrorInfo? = null,
)

/** The patrol screen's state holder. */
class PatrolModel(private val repo: GridworkRepository) {
    private val _state = MutableStateFlow(PatrolState())

    /** The screen's state. */
    val state: StateFlow<PatrolState> = _state.asStateFlow()

    /** Loads the cell picker and takes up an open patrol (after a restart). */
    suspend fun load() {
        when (val o = guarded { withContext(Dispatchers.IO) { repo.store.myCells() to repo.store.openPatrol() } }) {
            is Outcome.Ok -> {
                _state.update { it.copy(cells = o.value.first, patrolId = o.value.second) }
                refresh()
            }
            is Outcome.Failed -> _state.update { it.copy(error = o.error) }
        }
    }

    /**
     * Refreshes the figures on every patrol change until [scope] ends; a patrol finished
     * elsewhere (the recording service flushes and finishes it) shows its figures.
     */
    fun observe(scope: CoroutineScope): Job = scope.launch {
        repo.patrolChanges().collect { e ->
            if (e.change == PatrolChange.FINISHED && e.patrolId == state.value.patrolId) {
                val detail = step { withContext(Dispatchers.IO) { repo.store.patrol(e.patrolId) } }
                _state.update { it.copy(patrolId = null, phase = PatrolPhase.NONE, finished = detail ?: it.finished, selected = emptySet()) }
            } else {
                refresh()
            }
        }
    }

    /** Picks or unpicks a cell (before the start). */
    fun toggle(code: String) = _state.update {
        it.copy(selected = if (code in it.selected) it.selected - code else it.selected + code, error = null)
    }

    /** Starts a patrol of the picked cells; its id, or null (the error is in the state). */
    suspend fun start(): String? {
        val cells = state.value.selected.toList()
        if (cells.isEmpty()) {
            _state.update { it.copy(error = fieldError("missing_input", "cells", "pick at least one cell")) }
            return null
        }
        val id = step { withContext(Dispatchers.IO) { repo.store.startPatrol(cells) } } ?: return null
        _state.update { it.copy(patrolId = id, finished = null) }
        refresh()
        return id
    }

    /** Pauses the open patrol. */
    suspend fun pause() = onOpen { repo.store.pausePatrol(it) }

    /** Resumes it. */
    suspend fun resume() = onOpen { repo.store.resumePatrol(it) }

    /** Checks in at a WGS-84 position, with an optional note and photo file. */
    suspend fun checkIn(lat: Double, lon: Double, note: String? = null, photo: String? = null) =
        onOpen { repo.store.checkIn(it, lat, lon, note, photo) }

    /** Finishes the open patrol (the recorder was flushed first by its owner); the figures. */
    suspend fun finish(): PatrolDetail? {
        val id = state.value.patrolId ?: return null
        val detail = step {
            withContext(Dispatchers.IO) {
                repo.store.finishPatrol(id)
                repo.store.patrol(id)
            }
        } ?: return null
        _state.update { it.copy(patrolId = null, phase = PatrolPhase.NONE, finished = detail, selected = emptySet()) }
        return detail
    }

    /** Reads the open patrol's figures. */
    suspend fun refresh() {
        val id = state.value.patrolId ?: return
        val detail = step { withContext(Dispatchers.IO) { repo.store.patrol(id) } } ?: return
        _state.update {
            it.copy(
                phase = when (detail.status) {
                    PatrolStatus.ACTIVE -> PatrolPhase.ACTIVE
                    PatrolStatus.PAUSED -> PatrolPhase.PAUSED
                    PatrolStatus.FINISHED -> PatrolPhase.NONE
                },
                patrolId = id.takeIf { detail.status != PatrolStatus.FINISHED },
                selected = detail.cells.toSet(),
                distanceM = detail.stats.distanceM,
                coverage = detail.coverage,
                fixCount = detail.stats.fixCount,
                checkIns = detail.checkIns.size,
            )
        }
    }

    private suspend fun onOpen(block: (String) -> Unit): Boolean {
        val id = state.value.patrolId
        if (id == null) {
            _state.update { it.copy(error = ErrorInfo("patrol_not_open", null, "no patrol is open")) }
            return false
        }
        step { withContext(Dispatchers.IO) { block(id) } } ?: return false
        refresh()
        return true
    }

    private suspend fun <T> step(block: suspend () -> T): T? {
        _state.update { it.copy(busy = true, error = null) }
        val o = guarded(block)
        _state.update { it.copy(busy = false, error = (o as? Outcome.Failed)?.error ?: it.error) }
        return (o as? Outcome.Ok)?.value
    }
}
