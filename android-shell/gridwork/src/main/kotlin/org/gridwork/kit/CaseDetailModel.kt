// State of the case detail screen: the case with its typed timeline, its photos (thumbnail
// first, the full photo on demand through fetchPhoto), the actions the signed-in user may take
// now (`availableActions`, never a role table of the shell's own) and taking one — a refusal
// is shown with the core's code, field and reason. An action that takes inputs is taken
// through its form (ActionForm: begin, edit, submit), checked here before the core is called. Tested on the JVM against a real server.
package org.gridwork.kit

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridwork.ffi.ActionRequest
import org.gridwork.ffi.InputNeed
import org.gridwork.ffi.AvailableAction
import org.gridwork.ffi.CaseDetail
import org.gridwork.ffi.PhotoState
import org.gridwork.ffi.PhotoView

/** One photo on the detail screen. */
data class PhotoItem(
    /** What the device holds: show `thumbnailPath` in the strip, `path` full size. */
    val view: PhotoView,
    /** The full photo is being downloaded. */
    val loadingFull: Boolean = false,
    /** The last download failure (`network`: try again, it resumes). */
    val error: ErrorInfo? = null,
) {
    /** The file to show in the strip, or null (show a placeholder). */
    val thumbnail: String? get() = view.thumbnailPath ?: view.path

    /** The full photo's file, once here. */
    val full: String? get() = view.path.takeIf { view.state == PhotoState.LOCAL }
}

/** What the case detail screen shows. */
data class CaseDetailState(
    /** The case, its timeline (`timeline[i].event` is typed) and conflicts. */
    val case: CaseDetail? = null,
    /** The case's photos and every timeline photo, in timeline order, once each. */
    val photos: List<PhotoItem> = emptyList(),
    /** The buttons to show, in the core's order. */
    val actions: List<AvailableAction> = emptyList(),
    /** An action is being taken. */
    val busy: Boolean = false,
    /** The last refusal or failure (the core's reason in `detail`). */
    val error: ErrorInfo? = null,
    /** The open action form (an action that takes inputs), or null. */
    val form: ActionForm? = null,
)

/** The detail of case [caseId]. */
class CaseDetailModel(private val repo: GridworkRepository, val caseId: String) {
    private val _state = MutableStateFlow(CaseDetailState())

    /** The screen's state. */
    val state: StateFlow<CaseDetailState> = _state.asStateFlow()

    /** Loads (again) the case, its actions and what the device holds of its photos. */
    suspend fun load() {
        val o = guarded {
            val case = repo.caseDetail(caseId)
            val hashes = (case.photos.map { it.sha256 } + case.timeline.flatMap { photosOf(it.event) }).distinct()
            Triple(case, repo.availableActions(caseId), hashes.map { repo.photoView(it) })
        }
        when (o) {
            is Outcome.Ok -> {
                val (case, actions, views) = o.value
                _state.update { s ->
                    val old = s.photos.associateBy { it.view.sha256 }
                    s.copy(case = case, actions = actions,
                        photos = views.map { v -> old[v.sha256]?.copy(view = v) ?: PhotoItem(v) })
                }
            }
            is Outcome.Failed -> _state.update { it.copy(error = o.error) }
        }
    }

    /** Opens photo [sha256] full size: downloads it unless it is here. */
    suspend fun openFull(sha256: String) {
        setPhoto(sha256) { it.copy(loadingFull = true, error = null) }
        when (val o = guarded { repo.fetchPhoto(sha256); repo.photoView(sha256) }) {
            is Outcome.Ok -> setPhoto(sha256) { it.copy(view = o.value, loadingFull = false) }
            is Outcome.Failed -> setPhoto(sha256) { it.copy(loadingFull = false, error = o.error) }
        }
    }

    /** Takes an action; true when the core accepted it. A refusal is kept in `error`. */
    suspend fun take(request: ActionRequest): Boolean {
        _state.update { it.copy(busy = true, error = null) }
        val o = guarded { repo.takeAction(caseId, request) }
        _state.update { it.copy(busy = false, error = (o as? Outcome.Failed)?.error) }
        if (o is Outcome.Ok) load()
        return o is Outcome.Ok
    }

    /**
     * Opens the form of [action] (one of `actions`): its department list when it takes a
     * department, the default department and the first open conflict picked.
     */
    suspend fun begin(action: AvailableAction) {
        val departments = if (action.inputs.department == InputNeed.NO) Outcome.Ok(emptyList())
        else guarded { withContext(Dispatchers.IO) { repo.store.departments() } }
        _state.update {
            it.copy(error = (departments as? Outcome.Failed)?.error,
                form = ActionForm(action, departments = (departments as? Outcome.Ok)?.value.orEmpty()))
        }
    }

    /** Changes the open form (typing a note, picking a department, adding a photo …). */
    fun edit(change: (ActionForm) -> ActionForm) = _state.update { s -> s.copy(form = s.form?.let(change), error = null) }

    /** Closes the form without acting; returns its photos (the caller deletes its copies). */
    fun dismiss(): List<String> {
        val photos = _state.value.form?.photos.orEmpty()
        _state.update { it.copy(form = null, error = null) }
        return photos
    }

    /**
     * Takes the open form's action. A required input missing is refused here, before the
     * core is called, with its field in `error` (and nothing changes); a refusal of the
     * core keeps the form open. True when the core accepted it (the form closes).
     */
    suspend fun submit(): Boolean {
        val form = _state.value.form ?: return false
        form.problems.firstOrNull()?.let { p ->
            _state.update { it.copy(error = p) }
            return false
        }
        val ok = take(form.request())
        if (ok) _state.update { it.copy(form = null) }
        return ok
    }

    private fun setPhoto(sha256: String, change: (PhotoItem) -> PhotoItem) = _state.update { s ->
        s.copy(photos = s.photos.map { if (it.view.sha256 == sha256) change(it) else it })
    }
}

/** The photo hashes a timeline event carries. */
internal fun photosOf(event: org.gridwork.ffi.CaseEvent): List<String> = when (event) {
    is org.gridwork.ffi.CaseEvent.Reported -> event.photos.map { it.sha256 }
    is org.gridwork.ffi.CaseEvent.Handled -> event.photos.map { it.sha256 }
    is org.gridwork.ffi.CaseEvent.SelfResolved -> event.photos.map { it.sha256 }
    is org.gridwork.ffi.CaseEvent.Verified -> event.photos.map { it.sha256 }
    is org.gridwork.ffi.CaseEvent.VerificationFailed -> event.photos.map { it.sha256 }
    else -> emptyList()
}
