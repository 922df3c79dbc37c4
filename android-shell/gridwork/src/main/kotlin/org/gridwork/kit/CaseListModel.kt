// State of the case lists: "my cases" (the signed-in user's reports, keyset-paged in SQL by
// `myCases(after, limit)`) and "my area's cases" (`list(filter, after, limit)`: every case the
// device holds for the account's scope, with the list filters). Tested on the JVM
// (bindings/tests/kotlin/ScreensTest.kt).
package org.gridwork.kit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import org.gridwork.ffi.CaseFilter
import org.gridwork.ffi.CasePage
import org.gridwork.ffi.CaseSummary
import org.gridwork.ffi.PageCursor

/** Which list. */
enum class CaseListKind {
    /** The signed-in user's own reports. */
    MINE,

    /** Every case of the account's area held on the device, filtered. */
    AREA,
}

/** What a case list shows. */
data class CaseListState(
    /** The rows loaded so far, newest first. */
    val items: List<CaseSummary> = emptyList(),
    /** The filter of an [CaseListKind.AREA] list (status, overdue, search, cell prefix). */
    val filter: CaseFilter = CaseFilter(),
    /** Loading a page: show a spinner at the end. */
    val loading: Boolean = false,
    /** No more pages: hide "load more". */
    val endReached: Boolean = false,
    /** The last failure to load. */
    val error: ErrorInfo? = null,
)

/** A paged case list. [pageSize] rows per page (the core serves at most 500). */
class CaseListModel(
    private val repo: GridworkRepository,
    /** Which list this is. */
    val kind: CaseListKind,
    private val pageSize: UInt = 50u,
) {
    private val _state = MutableStateFlow(CaseListState())
    private var next: PageCursor? = null

    /** The list's state. */
    val state: StateFlow<CaseListState> = _state.asStateFlow()

    /** Changes the area list's filter and reloads from the first page. */
    suspend fun setFilter(filter: CaseFilter) {
        _state.update { it.copy(filter = filter) }
        reload()
    }

    /** Loads the first page again (after a write or a sync changed cases). */
    suspend fun reload() {
        next = null
        _state.update { it.copy(items = emptyList(), endReached = false) }
        loadMore()
    }

    /** Appends the next page; does nothing at the end. */
    suspend fun loadMore() {
        if (state.value.endReached || state.value.loading) return
        _state.update { it.copy(loading = true, error = null) }
        val after = next
        val filter = state.value.filter
        when (val o = guarded { page(after, filter) }) {
            is Outcome.Ok -> {
                next = o.value.next
                _state.update {
                    it.copy(items = it.items + o.value.items, loading = false, endReached = o.value.next == null)
                }
            }
            is Outcome.Failed -> _state.update { it.copy(loading = false, error = o.error) }
        }
    }

    private suspend fun page(after: PageCursor?, filter: CaseFilter): CasePage = withContext(Dispatchers.IO) {
        when (kind) {
            CaseListKind.MINE -> repo.store.myCases(after, pageSize)
            CaseListKind.AREA -> repo.store.list(filter, after, pageSize)
        }
    }
}
