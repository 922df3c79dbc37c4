// State for the screens: categories, my cases and the last report result. Every store call
// runs on Dispatchers.IO (they block on SQLite); the store observer triggers a refresh.
package org.gridwork.app

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.gridwork.ffi.CaseSummary
import org.gridwork.ffi.Category
import org.gridwork.ffi.GridworkException
import org.gridwork.kit.GridworkRepository
import org.gridwork.kit.SyncTrigger

/** What the UI shows. */
data class UiState(
    val categories: List<Category> = emptyList(),
    val myCases: List<CaseSummary> = emptyList(),
    val message: String? = null,
    val busy: Boolean = false,
    val patrolling: Boolean = false,
    val signedIn: Boolean = false,
    val pendingEvents: ULong = 0uL,
)

class CasesViewModel(app: Application) : AndroidViewModel(app) {
    private val gridwork = app as GridworkApp
    private val _state = MutableStateFlow(UiState())
    val state: StateFlow<UiState> = _state
    private var observation: AutoCloseable? = null

    init {
        viewModelScope.launch {
            val repo = gridwork.repository.await()
            // Called on the writing thread: hop back into the view model's scope.
            observation = repo.observe { viewModelScope.launch { refresh() } }
            val categories = withContext(Dispatchers.IO) { repo.categories() }
            val patrolling = withContext(Dispatchers.IO) { repo.store.openPatrol() != null }
            _state.value = _state.value.copy(
                categories = categories,
                patrolling = patrolling,
                message = if (gridwork.discardedUnreadableStore) {
                    "The data on this phone could not be read (it came from a backup or another phone, " +
                        "without its key) and was reset. Sign in to get your synced cases back."
                } else {
                    null
                },
            )
            SyncWorker.schedule(getApplication())
            refresh()
        }
    }

    private suspend fun repo(): GridworkRepository = gridwork.repository.await()

    /** Reloads "my cases" and the sync status. */
    fun refresh() {
        viewModelScope.launch {
            val (cases, status) = withContext(Dispatchers.IO) { repo().myCases() to repo().syncStatus() }
            _state.value = _state.value.copy(myCases = cases, signedIn = status.signedIn, pendingEvents = status.pendingEvents)
        }
    }

    /** The patrol toggle: PatrolService records; finishing flushes, finishes and syncs. */
    fun setPatrolling(on: Boolean) {
        if (on) PatrolService.start(getApplication(), cells = emptyList()) else PatrolService.finish(getApplication())
        _state.value = _state.value.copy(patrolling = on)
    }

    /** Signs in to a sync server; the store takes the account's name and role. */
    fun signIn(server: String, user: String, password: String) {
        viewModelScope.launch {
            val message = try {
                withContext(Dispatchers.IO) {
                    repo().signInToServer(server, user, password)
                }
                SyncWorker.syncNow(getApplication(), SyncTrigger.SIGN_IN)
                "Signed in as $user"
            } catch (e: GridworkException) {
                e.message ?: e.toString()
            }
            _state.value = _state.value.copy(message = message)
            refresh()
        }
    }

    /** The sync button: a one-off SyncWorker run as soon as there is a network. */
    fun syncNow() = SyncWorker.syncNow(getApplication(), SyncTrigger.BUTTON)

    /** Reports a problem; shows the core's message when it is refused. */
    fun report(category: String, lat: Double, lon: Double, accuracyM: Double?, description: String, photo: String?) {
        // The camera's temporary file is removed once the core has copied it into the store.
        _state.value = _state.value.copy(busy = true, message = null)
        viewModelScope.launch {
            val message = try {
                val id = withContext(Dispatchers.IO) {
                    val repo = repo()
                    repo.report(category, lat, lon, description, listOfNotNull(photo), accuracyM,
                        patrolId = repo.store.openPatrol())
                        .also { photo?.let { runCatching { java.io.File(it).delete() } } }
                }
                SyncWorker.syncNow(getApplication(), SyncTrigger.REPORT)
                "Reported (${id.take(8)})"
            } catch (e: GridworkException) {
                e.message ?: e.toString()
            }
            _state.value = _state.value.copy(busy = false, message = message)
        }
    }

    override fun onCleared() {
        observation?.close()
        super.onCleared()
    }
}
