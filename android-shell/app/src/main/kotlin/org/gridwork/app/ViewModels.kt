// The screens' view models: each holds one of the kit's state holders (org.gridwork.kit
// *Model, tested on CI's JVM against a real server) and forwards the screen's events to it in
// viewModelScope. The repository opens in the background (GridworkApp), so each state holder
// is created once it is there; until then the screen shows the holder's initial state. Every
// launch goes through `act`, whose CoroutineExceptionHandler logs what the kit did not turn
// into an ErrorInfo (it turns every GridworkException into one): no exception escapes a scope.
package org.gridwork.app

import android.app.Application
import android.util.Log
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineExceptionHandler
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.emitAll
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.flatMapLatest
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch
import org.gridwork.ffi.ActionRequest
import org.gridwork.ffi.CaseFilter
import org.gridwork.ffi.Category
import org.gridwork.ffi.PatrolChange
import org.gridwork.ffi.PhotoSettings
import org.gridwork.ffi.Urgency
import org.gridwork.ffi.AvailableAction
import org.gridwork.kit.ActionForm
import org.gridwork.kit.CaseDetailModel
import org.gridwork.kit.CaseDetailState
import org.gridwork.kit.CaseListKind
import org.gridwork.kit.CaseListModel
import org.gridwork.kit.CaseListState
import org.gridwork.kit.Datum
import org.gridwork.kit.GridworkRepository
import org.gridwork.kit.MapModel
import org.gridwork.kit.MapState
import org.gridwork.kit.PatrolListModel
import org.gridwork.kit.PatrolListState
import org.gridwork.kit.PatrolModel
import org.gridwork.kit.PatrolState
import org.gridwork.kit.ReportModel
import org.gridwork.kit.ReportPosition
import org.gridwork.kit.ReportState
import org.gridwork.kit.SettingsModel
import org.gridwork.kit.SettingsState
import org.gridwork.kit.SignInModel
import org.gridwork.kit.SignInState
import org.gridwork.kit.SyncScreenState
import org.gridwork.kit.SyncStatusModel
import org.gridwork.kit.SyncTrigger
import org.gridwork.kit.caseChanges
import org.gridwork.kit.patrolChanges

/** A view model over one kit state holder [M] with state [S]. */
abstract class KitViewModel<M : Any, S>(app: Application, initial: S) : AndroidViewModel(app) {
    protected val gridwork = app as GridworkApp
    private val model = CompletableDeferred<M>()
    private val handler = CoroutineExceptionHandler { _, e -> Log.e("gridwork", "unexpected failure in a screen", e) }

    /** The holder's state once it exists, [initial] before. */
    val state: StateFlow<S> = flow { emitAll(stateOf(model.await())) }
        .stateIn(viewModelScope, SharingStarted.Eagerly, initial)

    init {
        act { /* creates the holder */ }
    }

    /** Creates the holder (once, when the repository is open). */
    protected abstract suspend fun create(repo: GridworkRepository): M

    /** The holder's StateFlow. */
    protected abstract fun stateOf(model: M): StateFlow<S>

    /** Runs [block] with the holder in viewModelScope; failures are logged, never thrown. */
    protected fun act(block: suspend (M) -> Unit) {
        viewModelScope.launch(handler) {
            if (!model.isCompleted) model.complete(create(gridwork.repository.await()))
            block(model.await())
        }
    }

    /** Reloads the screen when a write or a sync changed cases (until the view model goes). */
    protected fun reloadOnChanges(reload: suspend (M) -> Unit) = act { m ->
        gridwork.repository.await().caseChanges().collect { reload(m) }
    }
}

class SignInViewModel(app: Application) : KitViewModel<SignInModel, SignInState>(app, SignInState()) {
    override suspend fun create(repo: GridworkRepository) = SignInModel(repo).also { it.refresh() }
    override fun stateOf(model: SignInModel) = model.state
    fun edit(server: String, user: String) = act { it.edit(server, user) }
    fun signIn(password: String) = act { m ->
        if (m.signIn(password)) SyncWorker.syncNow(getApplication(), SyncTrigger.SIGN_IN)
    }
    fun refresh() = act { it.refresh() }
}

class CaseListViewModel(app: Application) : KitViewModel<Pair<CaseListModel, CaseListModel>, Pair<CaseListState, CaseListState>>(
    app, CaseListState() to CaseListState(),
) {
    override suspend fun create(repo: GridworkRepository) =
        (CaseListModel(repo, CaseListKind.MINE) to CaseListModel(repo, CaseListKind.AREA)).also { it.first.reload(); it.second.reload() }
    override fun stateOf(model: Pair<CaseListModel, CaseListModel>): StateFlow<Pair<CaseListState, CaseListState>> =
        kotlinx.coroutines.flow.combine(model.first.state, model.second.state) { a, b -> a to b }
            .stateIn(viewModelScope, SharingStarted.Eagerly, model.first.state.value to model.second.state.value)
    init { reloadOnChanges { it.first.reload(); it.second.reload() } }
    fun loadMore(kind: CaseListKind) = act { if (kind == CaseListKind.MINE) it.first.loadMore() else it.second.loadMore() }
    fun setAreaFilter(filter: CaseFilter) = act { it.second.setFilter(filter) }
}

/** The detail of one case; [open] picks which (the navigation argument). */
class CaseDetailViewModel(app: Application) : AndroidViewModel(app) {
    private val gridwork = app as GridworkApp
    private val handler = CoroutineExceptionHandler { _, e -> Log.e("gridwork", "unexpected failure in case detail", e) }
    private val current = kotlinx.coroutines.flow.MutableStateFlow<CaseDetailModel?>(null)

    @OptIn(kotlinx.coroutines.ExperimentalCoroutinesApi::class)
    val state: StateFlow<CaseDetailState> = current.flatMapLatest { it?.state ?: kotlinx.coroutines.flow.flowOf(CaseDetailState()) }
        .stateIn(viewModelScope, SharingStarted.Eagerly, CaseDetailState())

    fun open(caseId: String) = viewModelScope.launch(handler) {
        if (current.value?.caseId == caseId) return@launch
        val m = CaseDetailModel(gridwork.repository.await(), caseId)
        current.value = m
        m.load()
    }
    fun openFull(sha256: String) = viewModelScope.launch(handler) { current.value?.openFull(sha256) }
    /** An action without inputs, taken at once. */
    fun take(request: ActionRequest) = viewModelScope.launch(handler) {
        if (current.value?.take(request) == true) SyncWorker.syncNow(getApplication(), SyncTrigger.REPORT)
    }
    /** Opens the form of an action that takes inputs. */
    fun begin(action: AvailableAction) = viewModelScope.launch(handler) { current.value?.begin(action) }
    fun edit(change: (ActionForm) -> ActionForm) { current.value?.edit(change) }
    /** Drops a photo from the form and deletes its camera or gallery copy. */
    fun removePhoto(path: String) {
        current.value?.edit { it.copy(photos = it.photos - path) }
        runCatching { java.io.File(path).delete() }
    }
    /** Closes the form; its photo copies are deleted. */
    fun dismiss() {
        current.value?.dismiss()?.forEach { runCatching { java.io.File(it).delete() } }
    }
    fun submit() = viewModelScope.launch(handler) {
        val m = current.value ?: return@launch
        val photos = m.state.value.form?.photos.orEmpty()
        if (m.submit()) {
            // The core copied the photos into the store: the camera and gallery copies go.
            photos.forEach { runCatching { java.io.File(it).delete() } }
            SyncWorker.syncNow(getApplication(), SyncTrigger.REPORT)
        }
    }
}

class ReportViewModel(app: Application) : KitViewModel<ReportModel, ReportState>(app, ReportState()) {
    override suspend fun create(repo: GridworkRepository) = ReportModel(repo, onReported = {
        SyncWorker.syncNow(getApplication(), SyncTrigger.REPORT)
    }).also { it.loadCategories() }
    override fun stateOf(model: ReportModel) = model.state
    init { reloadOnChanges { it.loadCategories() } } // a new catalogue arrives with an empty change list
    fun search(q: String) = act { it.search(q) }
    fun pick(c: Category) = act { it.pick(c) }
    fun describe(t: String) = act { it.describe(t) }
    fun addPhoto(path: String) = act { it.addPhoto(path) }
    fun removePhoto(path: String) = act { m -> m.removePhoto(path); runCatching { java.io.File(path).delete() } }
    fun setUrgency(u: Urgency) = act { it.setUrgency(u) }
    fun setPosition(p: ReportPosition) = act { it.setPosition(p) }
    fun submit() = act { m ->
        val photos = m.state.value.photos
        // The core copied the photos into the store: the camera's temporary files go.
        if (m.submit() != null) photos.forEach { runCatching { java.io.File(it).delete() } }
    }
}

class PatrolViewModel(app: Application) : KitViewModel<PatrolModel, PatrolState>(app, PatrolState()) {
    override suspend fun create(repo: GridworkRepository) = PatrolModel(repo).also { it.load(); it.observe(viewModelScope) }
    override fun stateOf(model: PatrolModel) = model.state
    fun toggle(code: String) = act { it.toggle(code) }
    /** Starts the patrol in the kit, then the foreground service that records it. */
    fun start() = act { m -> if (m.start() != null) PatrolService.start(getApplication()) }
    /** The service flushes the last fixes, then pauses; the holder shows PAUSED from the patrol observer. */
    fun pause() = act { PatrolService.pause(getApplication()) }
    fun resume() = act { m -> if (m.resume()) PatrolService.start(getApplication()) }
    fun checkIn(lat: Double, lon: Double, note: String?, photo: String?) = act { it.checkIn(lat, lon, note, photo) }
    /** The service flushes the last fixes and finishes; the holder shows the figures on FINISHED. */
    fun finish() = act { PatrolService.finish(getApplication()) }
}

class PatrolListViewModel(app: Application) : KitViewModel<PatrolListModel, PatrolListState>(app, PatrolListState()) {
    override suspend fun create(repo: GridworkRepository) = PatrolListModel(repo).also { it.reload() }
    override fun stateOf(model: PatrolListModel) = model.state
    // A start, pause, finish, check-in or import changes the rows; a fix batch (every few
    // seconds while recording) is left to the next reload.
    init {
        act { m ->
            gridwork.repository.await().patrolChanges()
                .filter { it.change != PatrolChange.FIXES_ADDED }
                .collect { m.reload() }
        }
    }
    fun reload() = act { it.reload() }
    fun loadMore() = act { it.loadMore() }
    fun open(id: String) = act { it.open(id) }
    fun close() = act { it.close() }
}

class MapViewModel(app: Application) : KitViewModel<MapModel, MapState>(app, MapState()) {
    override suspend fun create(repo: GridworkRepository) = MapModel(repo).also { it.load() }
    override fun stateOf(model: MapModel) = model.state
    init { reloadOnChanges { it.load() } }
    fun show(d: Datum) = act { it.show(d) }
    /** Shows patrol [id]'s track (from the patrol detail screen). */
    fun showPatrol(id: String) = act { it.load(id) }
}

class SyncViewModel(app: Application) : KitViewModel<SyncStatusModel, SyncScreenState>(app, SyncScreenState()) {
    override suspend fun create(repo: GridworkRepository) = SyncStatusModel(repo).also { it.observe(viewModelScope); it.refresh() }
    override fun stateOf(model: SyncStatusModel) = model.state
    init { reloadOnChanges { it.refresh() } }
    /** The sync button: a run in the foreground (joins a background one). */
    fun syncNow() = act { it.syncNow() }
    fun cancel() = act { it.cancel() }
}

class SettingsViewModel(app: Application) : KitViewModel<SettingsModel, SettingsState>(app, SettingsState()) {
    override suspend fun create(repo: GridworkRepository) = SettingsModel(repo).also { it.load() }
    override fun stateOf(model: SettingsModel) = model.state
    fun load() = act { it.load() }
    fun signOut(keepUnsynced: Boolean) = act { it.signOut(keepUnsynced) }
    fun dismissSignOut() = act { it.dismissSignOut() }
    fun setPhotoSettings(s: PhotoSettings) = act { it.setPhotoSettings(s) }
    fun setRetention(days: UInt?) = act { it.setRetention(days) }
}
