// The phone API for the screens, as coroutines: suspend wrappers that run the blocking core
// calls on Dispatchers.IO, Flows for case changes, patrol state and sync status, the
// sign-in-first flow, the map datums and the errors' stable codes. Plain Kotlin/JVM with
// kotlinx.coroutines (no Android SDK), compiled and tested on a desktop JVM
// (bindings/tests/kotlin/KitTest.kt). See docs/mobile.md, "Phone API".
package org.gridwork.kit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.withContext
import org.gridwork.ffi.ActionRequest
import org.gridwork.ffi.AvailableAction
import org.gridwork.ffi.CaseDetail
import org.gridwork.ffi.CasePage
import org.gridwork.ffi.CaseSummary
import org.gridwork.ffi.EngineState
import org.gridwork.ffi.GeoPoint
import org.gridwork.ffi.GridCell
import org.gridwork.ffi.GridworkException
import org.gridwork.ffi.PageCursor
import org.gridwork.ffi.PatrolChange
import org.gridwork.ffi.PatrolObserver
import org.gridwork.ffi.SignedIn
import org.gridwork.ffi.StoreObserver
import org.gridwork.ffi.SyncReport
import org.gridwork.ffi.SyncStatus
import org.gridwork.ffi.SyncStatusObserver
import org.gridwork.ffi.bd09ToWgs84
import org.gridwork.ffi.gcj02ToWgs84
import org.gridwork.ffi.wgs84ToBd09
import org.gridwork.ffi.wgs84ToGcj02

private suspend fun <T> io(block: () -> T): T = withContext(Dispatchers.IO) { block() }

// --- Sign in first --------------------------------------------------------------------------

/**
 * Signs in to [server] with a password. On a fresh store the core adopts the account (user and
 * role) as the store's identity: nothing is recorded before this. A store of another user is
 * refused (`SignInRequired`, code `wrong_user`) and keeps its work.
 */
suspend fun GridworkRepository.signIn(server: String, user: String, password: String): SignedIn =
    io { signInToServer(server, user, password) }

/** Signs in with a token the operator issued (adopting the account on a fresh store). */
suspend fun GridworkRepository.signInToken(server: String, token: String): SignedIn =
    io { signInWithToken(server, token) }

/** Whether the app must show the sign-in screen first (no identity yet: nothing to record as). */
fun GridworkRepository.needsSignIn(): Boolean = identity() == null

// --- Cases ----------------------------------------------------------------------------------

/** The actions the signed-in user may take on [caseId] now, with the inputs each needs. */
suspend fun GridworkRepository.availableActions(caseId: String): List<AvailableAction> =
    io { store.availableActions(caseId) }

/** Takes one of [availableActions] (its `kind` in [request]); the case as it now stands. */
suspend fun GridworkRepository.takeAction(caseId: String, request: ActionRequest): CaseDetail =
    io { store.act(caseId, request) }

/** A case with its typed timeline (`TimelineEntry.event`). */
suspend fun GridworkRepository.caseDetail(caseId: String): CaseDetail = io { store.show(caseId) }

/** One page of the signed-in user's own cases (paged in SQL); pass the last page's `next`. */
suspend fun GridworkRepository.myCasesPage(after: PageCursor? = null, limit: UInt = 50u): CasePage =
    io { store.myCases(after, limit) }

/** The signed-in worker's verification tasks (handled cases to check on site). */
suspend fun GridworkRepository.verificationTasks(): List<CaseSummary> = io { store.verificationTasks() }

// --- The grid ---------------------------------------------------------------------------------

/** Every cell with its rings (WGS-84), for the map. */
suspend fun GridworkRepository.cells(): List<GridCell> = io { store.cells() }

/** The signed-in account's cells, for the patrol's cell picker. */
suspend fun GridworkRepository.myCells(): List<GridCell> = io { store.myCells() }

/** The cell a WGS-84 point lies in, or null outside the grid. */
suspend fun GridworkRepository.cellAt(lat: Double, lon: Double): GridCell? = io { store.cellAt(lat, lon) }

/** Map datums: what a Chinese base map (GCJ-02, or Baidu's BD-09) needs, and back. */
object MapDatum {
    /** WGS-84 (GPS, the store) to GCJ-02 (AMap, Tencent). */
    fun toGcj02(p: GeoPoint): GeoPoint = wgs84ToGcj02(p)

    /** A point picked on a GCJ-02 map back to WGS-84 (before `report`). */
    fun fromGcj02(p: GeoPoint): GeoPoint = gcj02ToWgs84(p)

    /** WGS-84 to BD-09 (Baidu). */
    fun toBd09(p: GeoPoint): GeoPoint = wgs84ToBd09(p)

    /** BD-09 back to WGS-84. */
    fun fromBd09(p: GeoPoint): GeoPoint = bd09ToWgs84(p)
}

// --- Observers as Flows -----------------------------------------------------------------------

/** The ids of the cases each write or sync changed (an empty list: reference data changed). */
fun GridworkRepository.caseChanges(): Flow<List<String>> = callbackFlow {
    val token = store.addObserver(object : StoreObserver {
        override fun onCasesChanged(caseIds: List<String>) {
            trySend(caseIds)
        }
    })
    awaitClose { store.removeObserver(token) }
}

/** One patrol change: which patrol and what happened. */
data class PatrolEvent(val patrolId: String, val change: PatrolChange)

/** Patrol starts, pauses, resumes, finishes, fix batches and check-ins. */
fun GridworkRepository.patrolChanges(): Flow<PatrolEvent> = callbackFlow {
    val token = store.addPatrolObserver(object : PatrolObserver {
        override fun onPatrolChanged(patrolId: String, change: PatrolChange) {
            trySend(PatrolEvent(patrolId, change))
        }
    })
    awaitClose { store.removePatrolObserver(token) }
}

/** What the sync row shows. [SignInRequired] is distinct: the token expired or was revoked. */
sealed class SyncUiState {
    /** Never signed in on this device: show the sign-in screen. */
    object NotSignedIn : SyncUiState()

    /** The server refused the token: ask the user to sign in again; nothing is retried. */
    data class SignInRequired(val status: SyncStatus) : SyncUiState()

    /** A run is active (a push-only run after a report included). */
    data class Syncing(val status: SyncStatus) : SyncUiState()

    /** Idle: synced, pending work, a retry scheduled, cancelled or a problem to show. */
    data class Idle(val status: SyncStatus) : SyncUiState()

    companion object {
        /** The state for a status, and whether a run is active. */
        fun of(status: SyncStatus, running: Boolean): SyncUiState = when {
            status.state == EngineState.SIGN_IN_REQUIRED -> SignInRequired(status)
            running -> Syncing(status)
            !status.signedIn -> NotSignedIn
            else -> Idle(status)
        }
    }
}

/** The sync status (the current one first), after every run start and end, sign-in and sign-out. */
fun GridworkRepository.syncStatuses(): Flow<Pair<SyncStatus, Boolean>> = callbackFlow {
    val token = sync.addStatusObserver(object : SyncStatusObserver {
        override fun onSyncStatus(status: SyncStatus, running: Boolean) {
            trySend(status to running)
        }
    })
    awaitClose { sync.removeStatusObserver(token) }
}

/** [syncStatuses] as the sync row's state. */
fun GridworkRepository.syncStates(): Flow<SyncUiState> =
    syncStatuses().map { (s, running) -> SyncUiState.of(s, running) }.distinctUntilChanged()

/** One sync run off the main thread (joins an active one). */
suspend fun GridworkRepository.runSync(): SyncReport = io { syncNow() }

// --- Errors -----------------------------------------------------------------------------------

/** An error's stable code (translate by it), the input field it is about, and the English text. */
data class ErrorInfo(val code: String, val field: String?, val detail: String)

/** The code, field and message of a core error. */
fun GridworkException.info(): ErrorInfo = when (this) {
    is GridworkException.InvalidInput -> ErrorInfo(code, field, detail)
    is GridworkException.NotPermitted -> ErrorInfo(code, field, detail)
    is GridworkException.Workflow -> ErrorInfo(code, field, detail)
    is GridworkException.NotFound -> ErrorInfo(code, field, detail)
    is GridworkException.NotInitialized -> ErrorInfo(code, field, detail)
    is GridworkException.UnknownCategory -> ErrorInfo(code, field, detail)
    is GridworkException.Photo -> ErrorInfo(code, field, detail)
    is GridworkException.StoreUnavailable -> ErrorInfo(code, field, detail)
    is GridworkException.EncryptionUnavailable -> ErrorInfo(code, field, detail)
    is GridworkException.Interrupted -> ErrorInfo(code, field, detail)
    is GridworkException.Network -> ErrorInfo(code, field, detail)
    is GridworkException.SignInRequired -> ErrorInfo(code, field, detail)
    is GridworkException.IncompatibleServer -> ErrorInfo(code, field, detail)
    is GridworkException.DeviceConflict -> ErrorInfo(code, field, detail)
    is GridworkException.Internal -> ErrorInfo(code, field, detail)
}
