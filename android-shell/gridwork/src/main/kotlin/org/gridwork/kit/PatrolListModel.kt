// State of the patrol list and patrol detail screens: the signed-in worker's patrols on this
// device, open and finished, newest first (`patrols()`, other workers' pulled patrols left
// out), each with its figures from `patrol(id)` — date, cells, distance, duration, coverage,
// check-ins — read a page at a time (a figure is a fold of the track, not a column). Opening
// one keeps its whole PatrolDetail; the map screen draws its track (MapModel.load(id)).
// Tested on the JVM (bindings/tests/kotlin/ScreensTest.kt).
package org.gridwork.kit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import org.gridwork.ffi.PatrolDetail
import org.gridwork.ffi.PatrolStatus

/** One row of the patrol list. */
data class PatrolRow(
    /** The patrol id (open the detail, or the map with its track). */
    val id: String,
    /** Where it stands (open patrols first in the eye: ACTIVE, PAUSED). */
    val status: PatrolStatus,
    /** Start, unix ms (the row's date). */
    val startedAtMs: Long,
    /** End, unix ms; null while open. */
    val finishedAtMs: Long?,
    /** The assigned cell codes. */
    val cells: List<String>,
    /** Metres walked. */
    val distanceM: Double,
    /** First to last fix, seconds. */
    val durationS: Double,
    /** Covered share of the assigned cells together (area-weighted), 0 to 1. */
    val coverage: Double,
    /** Check-ins made. */
    val checkIns: Int,
) {
    companion object {
        /** The row of a patrol's figures. */
        fun of(d: PatrolDetail): PatrolRow {
            val area = d.coverage.sumOf { it.areaM2 }
            return PatrolRow(
                id = d.id, status = d.status, startedAtMs = d.startedAtMs, finishedAtMs = d.finishedAtMs,
                cells = d.cells, distanceM = d.stats.distanceM, durationS = d.stats.durationS,
                coverage = if (area > 0.0) d.coverage.sumOf { it.coveredM2 } / area else 0.0,
                checkIns = d.checkIns.size,
            )
        }
    }
}

/** What the patrol list (and an opened patrol's detail) shows. */
data class PatrolListState(
    /** The rows read so far, newest first. */
    val rows: List<PatrolRow> = emptyList(),
    /** Every patrol has been read. */
    val endReached: Boolean = false,
    /** The opened patrol, with every figure (coverage per cell, check-ins, integrity). */
    val opened: PatrolDetail? = null,
    /** A read under way. */
    val loading: Boolean = false,
    /** The last failure. */
    val error: ErrorInfo? = null,
)

/** The patrol list's state holder; [pageSize] patrols' figures are read per page. */
class PatrolListModel(private val repo: GridworkRepository, private val pageSize: Int = 20) {
    private val _state = MutableStateFlow(PatrolListState())
    private var ids: List<String> = emptyList()

    /** The screen's state. */
    val state: StateFlow<PatrolListState> = _state.asStateFlow()

    /** Reads the list again from the top (after a patrol finished, a sync). */
    suspend fun reload() {
        _state.update { it.copy(loading = true, error = null) }
        val o = guarded {
            withContext(Dispatchers.IO) {
                val me = repo.identity()?.user
                repo.store.patrols().filter { me != null && it.worker == me }.map { it.id }
            }
        }
        when (o) {
            is Outcome.Ok -> {
                ids = o.value
                _state.update { it.copy(rows = emptyList(), endReached = false) }
                loadMore()
            }
            is Outcome.Failed -> _state.update { it.copy(loading = false, error = o.error) }
        }
    }

    /** Reads the next page's figures. */
    suspend fun loadMore() {
        val from = _state.value.rows.size
        val page = ids.drop(from).take(pageSize)
        _state.update { it.copy(loading = true, error = null) }
        when (val o = guarded { withContext(Dispatchers.IO) { page.map { PatrolRow.of(repo.store.patrol(it)) } } }) {
            is Outcome.Ok -> _state.update {
                it.copy(rows = it.rows + o.value, endReached = from + page.size >= ids.size, loading = false)
            }
            is Outcome.Failed -> _state.update { it.copy(loading = false, error = o.error) }
        }
    }

    /** Opens patrol [id]'s detail. */
    suspend fun open(id: String) {
        when (val o = guarded { withContext(Dispatchers.IO) { repo.store.patrol(id) } }) {
            is Outcome.Ok -> _state.update { it.copy(opened = o.value, error = null) }
            is Outcome.Failed -> _state.update { it.copy(error = o.error) }
        }
    }

    /** Back to the list. */
    fun close() = _state.update { it.copy(opened = null) }
}
