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

/** What the UI shows. */
data class UiState(
    val categories: List<Category> = emptyList(),
    val myCases: List<CaseSummary> = emptyList(),
    val message: String? = null,
    val busy: Boolean = false,
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
            _state.value = _state.value.copy(categories = categories)
            refresh()
        }
    }

    private suspend fun repo(): GridworkRepository = gridwork.repository.await()

    /** Reloads "my cases". */
    fun refresh() {
        viewModelScope.launch {
            val cases = withContext(Dispatchers.IO) { repo().myCases() }
            _state.value = _state.value.copy(myCases = cases)
        }
    }

    /** Reports a problem; shows the core's message when it is refused. */
    fun report(category: String, lat: Double, lon: Double, accuracyM: Double?, description: String, photo: String?) {
        _state.value = _state.value.copy(busy = true, message = null)
        viewModelScope.launch {
            val message = try {
                val id = withContext(Dispatchers.IO) {
                    repo().report(category, lat, lon, description, listOfNotNull(photo), accuracyM)
                }
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
