// The app's one handle on the gridwork core: owns the process's single GridworkStore and
// offers blocking wrappers for the screens, plus an executor-backed `submit` for callers
// without coroutines. Plain Kotlin/JVM (no Android SDK), so CI compiles and runs it with the
// generated bindings on a desktop JVM (bindings/tests/kotlin).
package org.gridwork.kit

import org.gridwork.ffi.ActionKind
import org.gridwork.ffi.ActionRequest
import org.gridwork.ffi.CaseDetail
import org.gridwork.ffi.CaseFilter
import org.gridwork.ffi.CaseSummary
import org.gridwork.ffi.Category
import org.gridwork.ffi.GridworkStore
import org.gridwork.ffi.GridworkSync
import org.gridwork.ffi.HttpTransport
import org.gridwork.ffi.Identity
import org.gridwork.ffi.PageCursor
import org.gridwork.ffi.PatrolDetail
import org.gridwork.ffi.ReportDraft
import org.gridwork.ffi.Role
import org.gridwork.ffi.SignedIn
import org.gridwork.ffi.Status
import org.gridwork.ffi.StoreObserver
import org.gridwork.ffi.SyncProgress
import org.gridwork.ffi.SyncProgressListener
import org.gridwork.ffi.SyncReport
import org.gridwork.ffi.SyncStatus
import org.gridwork.ffi.Urgency
import java.util.concurrent.Callable
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.Future
import java.util.concurrent.TimeUnit

/**
 * Every method except [submit] and [observe] BLOCKS on SQLite: call it from a background
 * thread (`withContext(Dispatchers.IO) { repo.report(...) }`) or through [submit].
 * Open one repository per process (an Application-scoped singleton) and [close] it when
 * the process shuts down. Errors are the generated `GridworkException` subclasses.
 */
class GridworkRepository private constructor(
    /** The generated store object, for calls this class does not wrap. */
    val store: GridworkStore,
    /** The store's sync client (its own HTTP transport, or the built-in one). */
    val sync: GridworkSync,
    private val executor: ExecutorService,
) : AutoCloseable {

    companion object {
        /** Largest page the core serves. */
        const val MAX_PAGE: UInt = 500u

        /**
         * Opens (creating if needed) the store folder [dir], encrypted (SQLCipher) with
         * [encryptionKey] when given; a wrong key fails with
         * `GridworkException.StoreUnavailable`.
         */
        fun open(
            dir: String,
            encryptionKey: String? = null,
            transport: HttpTransport? = UrlConnectionTransport(),
        ): GridworkRepository {
            val store = GridworkStore.open(dir, encryptionKey)
            val sync = GridworkSync(store, transport)
            val executor = Executors.newSingleThreadExecutor { r ->
                Thread(r, "gridwork-store").apply { isDaemon = true }
            }
            return GridworkRepository(store, sync, executor)
        }
    }

    /** Runs [block] on the repository's background thread; `get()` the result. */
    fun <T> submit(block: (GridworkRepository) -> T): Future<T> =
        executor.submit(Callable { block(this) })

    /**
     * Who is signed in on this device, or null before the first sign-in ([signInToServer] or
     * the suspend `signIn` in PhoneApi.kt): the app shows its sign-in screen first, and the
     * core adopts the server's account as the store's user — there is no placeholder user.
     */
    fun identity(): Identity? = store.identity()

    /** Imports the grid (GeoJSON text) and the catalogue (JSON text); returns the counts. */
    fun importReferenceData(gridGeoJson: String, catalogJson: String): Pair<UInt, UInt> =
        Pair(store.importGrid(gridGeoJson), store.importCatalog(catalogJson))

    /** The catalogue's categories, for the report screen's picker. */
    fun categories(): List<Category> = store.categories()

    /**
     * Reports a problem at a WGS-84 position with photo files (paths the app can read, e.g.
     * the camera's output file); returns the new case id.
     */
    fun report(
        category: String,
        lat: Double,
        lon: Double,
        description: String,
        photoPaths: List<String> = emptyList(),
        accuracyM: Double? = null,
        urgency: Urgency = Urgency.NORMAL,
        patrolId: String? = null,
    ): String = store.report(
        ReportDraft(
            category = category,
            lat = lat,
            lon = lon,
            description = description,
            urgency = urgency,
            accuracyM = accuracyM,
            photos = photoPaths,
            patrolId = patrolId,
        ),
    )

    /** Every case matching [filter], newest first, fetched page by page. */
    fun cases(filter: CaseFilter = CaseFilter()): List<CaseSummary> {
        val out = mutableListOf<CaseSummary>()
        var after: PageCursor? = null
        do {
            val page = store.list(filter, after, MAX_PAGE)
            out += page.items
            after = page.next
        } while (after != null)
        return out
    }

    /**
     * The cases the signed-in user reported, for the "my cases" screen: paged in SQL by the
     * core (`myCases`), page by page; a screen shows one page at a time with `myCasesPage`.
     */
    fun myCases(): List<CaseSummary> {
        val out = mutableListOf<CaseSummary>()
        var after: PageCursor? = null
        do {
            val page = store.myCases(after, MAX_PAGE)
            out += page.items
            after = page.next
        } while (after != null)
        return out
    }

    /** Cases past their handling deadline (the overdue badge count). */
    fun overdueCount(): Int = cases(CaseFilter(overdue = true)).size

    /** A case with its timeline. */
    fun case(id: String): CaseDetail = store.show(id)

    /** Takes a workflow action; returns the case as it now stands. */
    fun act(id: String, request: ActionRequest): CaseDetail = store.act(id, request)

    /** Takes a workflow action by kind, optionally in another [asRole]. */
    fun act(
        id: String,
        kind: ActionKind,
        note: String? = null,
        department: String? = null,
        photoPaths: List<String> = emptyList(),
        asRole: Role? = null,
    ): CaseDetail = store.act(
        id,
        ActionRequest(kind = kind, note = note, department = department, photos = photoPaths, asRole = asRole),
    )

    /** Cases per status (every status, zeros included). */
    fun counts(filter: CaseFilter = CaseFilter()): Map<Status, ULong> =
        store.counts(filter).associate { it.status to it.count }

    /**
     * Calls [listener] with the ids of changed cases after each write made through this
     * repository (an empty list: reference data changed). The listener runs on the writing
     * thread: post to the main thread before touching UI. Close the handle to stop.
     */
    fun observe(listener: (List<String>) -> Unit): AutoCloseable {
        val token = store.addObserver(object : StoreObserver {
            override fun onCasesChanged(caseIds: List<String>) = listener(caseIds)
        })
        return AutoCloseable { store.removeObserver(token) }
    }

    /** Stops a long read running on another thread (it throws `Interrupted`). */
    fun interrupt() = store.interrupt()

    // --- Patrols -------------------------------------------------------------------------

    /**
     * Starts a patrol of [cells] (or takes up the one left open, e.g. after the process was
     * killed) and returns a [PatrolRecorder] batching fixes into it every [batchMillis].
     */
    fun startPatrol(
        cells: List<String>,
        batchMillis: Long = 10_000,
        onBatch: (Result<org.gridwork.ffi.FixBatchReport>) -> Unit = {},
    ): PatrolRecorder {
        val id = store.openPatrol() ?: store.startPatrol(cells)
        return PatrolRecorder(store, id, batchMillis, onBatch)
    }

    /** Flushes [recorder]'s last fixes and finishes its patrol; returns the figures. */
    fun finishPatrol(recorder: PatrolRecorder): PatrolDetail {
        recorder.close()
        store.finishPatrol(recorder.patrolId)
        return store.patrol(recorder.patrolId)
    }

    // --- Sync (every call blocks on the network: call from a worker thread) ---------------

    /** Signs the store's user in to [server] with a password (the token is kept). */
    fun signInToServer(server: String, user: String, password: String): SignedIn =
        sync.loginWithPassword(server, user, password)

    /** Signs in with a token the operator issued. */
    fun signInWithToken(server: String, token: String): SignedIn = sync.loginWithToken(server, token)

    /**
     * One sync run; [onProgress] runs on the syncing thread after each batch and page.
     * Single-flight: called while a run is active (a background job, another screen) it
     * joins that run — [onProgress] hears its latest update at once — and returns its report.
     */
    fun syncNow(onProgress: ((SyncProgress) -> Unit)? = null): SyncReport =
        sync.run(onProgress?.let { f -> object : SyncProgressListener { override fun onProgress(progress: SyncProgress) = f(progress) } })

    /** The stored sync status (no network): state, pending counts, when a retry is due. */
    fun syncStatus(): SyncStatus = sync.status()

    /**
     * Stops the active run from any thread, whoever started it: the request in flight is
     * aborted through the transport ([UrlConnectionTransport.abort] disconnects it) and the
     * run returns `CANCELLED`, keeping every batch it finished. Does nothing when idle.
     */
    fun cancelSync() = sync.cancel()

    /** Whether a sync run is active now (a [syncNow] would join it). */
    fun isSyncing(): Boolean = sync.isRunning()

    /** Stops the background thread and frees the store. Call once, at shutdown. */
    override fun close() {
        executor.shutdown()
        executor.awaitTermination(5, TimeUnit.SECONDS)
        sync.close()
        store.close()
    }
}
