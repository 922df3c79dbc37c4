// State of the report screen: a category picker with search over the downloaded catalogue,
// a description, several photos (camera or gallery files), the position with its accuracy,
// and validation before submit (each problem names its field). Tested on the JVM against a
// real server (bindings/tests/kotlin/ScreensTest.kt).
package org.gridwork.kit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import org.gridwork.ffi.Category
import org.gridwork.ffi.ReportDraft
import org.gridwork.ffi.Urgency

/** A position fix for the report (WGS-84, as the phone's location provider gives it). */
data class ReportPosition(val lat: Double, val lon: Double, val accuracyM: Double?)

/** What the report screen shows. */
data class ReportState(
    /** The catalogue (empty before the first sync brought it). */
    val categories: List<Category> = emptyList(),
    /** The picker's search text. */
    val query: String = "",
    /** The categories matching [query] (code, Chinese or English name). */
    val matches: List<Category> = emptyList(),
    /** The picked category. */
    val category: Category? = null,
    /** The description field. */
    val description: String = "",
    /** Photo files in the order taken or picked. */
    val photos: List<String> = emptyList(),
    /** The position, once the provider gave one. */
    val position: ReportPosition? = null,
    /** The cell the position lies in (null outside the grid or before a position). */
    val cell: String? = null,
    /** Urgency. */
    val urgency: Urgency = Urgency.NORMAL,
    /** Every problem found by the last [ReportModel.validate] (empty: ready). */
    val problems: List<ErrorInfo> = emptyList(),
    /** Submitting. */
    val busy: Boolean = false,
    /** The case id of the last accepted report. */
    val reported: String? = null,
    /** The core's refusal of the last submit. */
    val error: ErrorInfo? = null,
)

/**
 * The report screen's state holder. [onReported] runs after the core accepted a report
 * (the app enqueues a sync there). [maxAccuracyM]: a fix less precise than this is refused.
 */
class ReportModel(
    private val repo: GridworkRepository,
    private val maxAccuracyM: Double = 100.0,
    private val onReported: (String) -> Unit = {},
) {
    private val _state = MutableStateFlow(ReportState())

    /** The screen's state. */
    val state: StateFlow<ReportState> = _state.asStateFlow()

    /** Reloads the catalogue (after sign-in, or when a sync brought a new one). */
    suspend fun loadCategories() {
        when (val o = guarded { withContext(Dispatchers.IO) { repo.categories() } }) {
            is Outcome.Ok -> _state.update { it.copy(categories = o.value, matches = match(o.value, it.query)) }
            is Outcome.Failed -> _state.update { it.copy(error = o.error) }
        }
    }

    /** The picker's search text changed. */
    fun search(query: String) = _state.update { it.copy(query = query, matches = match(it.categories, query)) }

    /** A category was picked. */
    fun pick(category: Category) = _state.update { it.copy(category = category, problems = drop(it.problems, "category")) }

    /** The description changed. */
    fun describe(text: String) = _state.update { it.copy(description = text, problems = drop(it.problems, "description")) }

    /** A photo file was taken or picked. */
    fun addPhoto(path: String) = _state.update { it.copy(photos = it.photos + path, problems = drop(it.problems, "photos")) }

    /** A photo was removed from the draft. */
    fun removePhoto(path: String) = _state.update { it.copy(photos = it.photos - path) }

    /** Urgency changed. */
    fun setUrgency(urgency: Urgency) = _state.update { it.copy(urgency = urgency) }

    /** The location provider gave a fix: shows its cell. */
    suspend fun setPosition(position: ReportPosition) {
        val cell = guarded { repo.cellAt(position.lat, position.lon)?.code }
        _state.update {
            it.copy(position = position, cell = (cell as? Outcome.Ok)?.value, problems = drop(it.problems, "position"))
        }
    }

    /** Checks the draft; the problems are in the state (and returned). Empty: ready to submit. */
    fun validate(): List<ErrorInfo> {
        val s = state.value
        val problems = buildList {
            if (s.category == null) add(fieldError("missing_input", "category", "pick a category"))
            if (s.description.isBlank()) add(fieldError("missing_input", "description", "describe the problem"))
            val p = s.position
            if (p == null) {
                add(fieldError("missing_input", "position", "no position yet"))
            } else if (p.accuracyM != null && p.accuracyM > maxAccuracyM) {
                add(fieldError("imprecise_position", "position", "the position is only ${p.accuracyM.toInt()} m precise"))
            }
        }
        _state.update { it.copy(problems = problems) }
        return problems
    }

    /** Validates, then reports; the case id, or null (problems or the refusal are in the state). */
    suspend fun submit(patrolId: String? = null): String? {
        if (validate().isNotEmpty()) return null
        if (repo.needsSignIn()) {
            _state.update { it.copy(error = ErrorInfo("not_signed_in", null, "sign in before reporting")) }
            return null
        }
        val s = state.value
        val p = s.position!!
        _state.update { it.copy(busy = true, error = null) }
        val o = guarded {
            withContext(Dispatchers.IO) {
                repo.store.report(
                    ReportDraft(
                        category = s.category!!.code, lat = p.lat, lon = p.lon, description = s.description.trim(),
                        urgency = s.urgency, accuracyM = p.accuracyM, address = null, photos = s.photos,
                        patrolId = patrolId ?: repo.store.openPatrol(),
                    ),
                )
            }
        }
        return when (o) {
            is Outcome.Ok -> {
                // A fresh draft for the next report; the catalogue and search stay.
                _state.update { ReportState(categories = it.categories, query = it.query, matches = it.matches, reported = o.value) }
                onReported(o.value)
                o.value
            }
            is Outcome.Failed -> {
                _state.update { it.copy(busy = false, error = o.error) }
                null
            }
        }
    }

    private fun drop(problems: List<ErrorInfo>, field: String) = problems.filter { it.field != field }

    private fun match(all: List<Category>, query: String): List<Category> {
        val q = query.trim()
        if (q.isEmpty()) return all
        return all.filter {
            it.code.startsWith(q) || it.nameZh.contains(q) || it.nameEn.contains(q, ignoreCase = true)
        }
    }
}
