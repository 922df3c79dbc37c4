// The Android kit's decisions below the UI, on a desktop JVM: the sync scheduler's
// WorkManager policies, opening a store whose key is gone (a restored backup), and the
// single-flight sync — a second run joins the first, cancel aborts the request in flight
// through UrlConnectionTransport (a real socket that never answers), an idle cancel is
// harmless. Run by .ci/run-binding-tests.sh beside ScenarioTest.kt.
package kit

import org.gridwork.ffi.*
import org.gridwork.kit.EnqueuePolicy
import org.gridwork.kit.GridworkRepository
import org.gridwork.kit.StoreRecovery
import org.gridwork.kit.SyncScheduler
import org.gridwork.kit.SyncTrigger
import org.gridwork.kit.UrlConnectionTransport
import org.gridwork.kit.WorkOutcome
import org.gridwork.kit.WorkState
import org.gridwork.kit.MapDatum
import org.gridwork.kit.PatrolEvent
import org.gridwork.kit.SyncUiState
import org.gridwork.kit.availableActions
import org.gridwork.kit.caseChanges
import org.gridwork.kit.caseDetail
import org.gridwork.kit.cellAt
import org.gridwork.kit.cells
import org.gridwork.kit.info
import org.gridwork.kit.myCasesPage
import org.gridwork.kit.myCells
import org.gridwork.kit.needsSignIn
import org.gridwork.kit.patrolChanges
import org.gridwork.kit.signIn
import org.gridwork.kit.runSync
import org.gridwork.kit.syncStates
import org.gridwork.kit.takeAction
import org.gridwork.kit.verificationTasks
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlin.system.exitProcess

var passed = 0
var failed = 0

fun check(name: String, ok: Boolean) {
    if (ok) { passed++; println("ok: $name") } else { failed++; println("FAIL: $name") }
}

fun main() {
    val data = File(System.getenv("GRIDWORK_DATA_DIR") ?: "data")
    val dir = Files.createTempDirectory("gridwork-kit-").toFile()
    try {
        schedulerDecisions()
        permissionRules()
        restoredStore(dir)
        val server = System.getenv("GRIDWORK_SERVER_URL")
        if (server != null) singleFlight(data, dir, server) else println("SKIPPED single flight: GRIDWORK_SERVER_URL not set")
        phoneApi(data, dir)
        if (server != null) signInFirst(dir, server) else println("SKIPPED sign-in first: GRIDWORK_SERVER_URL not set")
    } catch (e: Throwable) {
        check("kit test threw $e", false)
        e.printStackTrace()
    } finally {
        dir.deleteRecursively()
    }
    println("kotlin kit: $passed passed, $failed failed")
    if (failed > 0 || passed == 0) exitProcess(1)
}

fun report(state: EngineState) = SyncReport(
    pushed = 0uL, duplicates = 0uL, rejected = 0uL, uploadedPhotos = 0uL, uploadedBytes = 0uL,
    failedPhotos = emptyList(), pulled = 0uL, changedCases = emptyList(), state = state,
    error = null, nextAttemptMs = null, referenceUpdated = false,
)

fun status(signedIn: Boolean, due: Boolean) = SyncStatus(
    server = "https://grid.example.cn", signedIn = signedIn, state = EngineState.IDLE, cursor = 0L,
    lastSuccessMs = null, lastError = null, nextAttemptMs = null, consecutiveFailures = 0u,
    pendingEvents = 1uL, pendingPhotos = 0uL, rejectedEvents = 0uL, due = due,
)

fun schedulerDecisions() {
    // A report while an upload runs: a follow-up after it, never a REPLACE that cancels it.
    check("running → append a follow-up", SyncScheduler.policy(listOf(WorkState.RUNNING)) == EnqueuePolicy.APPEND_OR_REPLACE)
    check("waiting for the network → keep it", SyncScheduler.policy(listOf(WorkState.ENQUEUED)) == EnqueuePolicy.KEEP)
    check("running with a follow-up → keep", SyncScheduler.policy(listOf(WorkState.RUNNING, WorkState.BLOCKED)) == EnqueuePolicy.KEEP)
    check("nothing unfinished → keep (enqueues)", SyncScheduler.policy(listOf(WorkState.SUCCEEDED, WorkState.FAILED)) == EnqueuePolicy.KEEP)
    check("no work yet → keep", SyncScheduler.policy(emptyList()) == EnqueuePolicy.KEEP)
    check("no policy cancels work", EnqueuePolicy.values().none { it.name == "REPLACE" })
    check("periodic waits for due", !SyncScheduler.shouldRun(status(true, false), SyncTrigger.PERIODIC) &&
        SyncScheduler.shouldRun(status(true, true), SyncTrigger.PERIODIC))
    check("a report or network return runs even before due",
        SyncScheduler.shouldRun(status(true, false), SyncTrigger.REPORT) &&
            SyncScheduler.shouldRun(status(true, false), SyncTrigger.NETWORK_RETURNED))
    check("nothing runs before sign-in", SyncTrigger.values().none { SyncScheduler.shouldRun(status(false, true), it) })
    check("outcomes", SyncScheduler.outcome(report(EngineState.SYNCED)) == WorkOutcome.SUCCESS &&
        SyncScheduler.outcome(report(EngineState.CANCELLED)) == WorkOutcome.SUCCESS &&
        SyncScheduler.outcome(report(EngineState.RETRY_SCHEDULED)) == WorkOutcome.RETRY &&
        SyncScheduler.outcome(report(EngineState.SIGN_IN_REQUIRED)) == WorkOutcome.FAILURE &&
        SyncScheduler.outcome(report(EngineState.WIPED)) == WorkOutcome.FAILURE)
}

fun jpeg(dir: File, tag: String): String {
    val f = File(dir, "$tag.jpg")
    f.writeBytes(byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte()) + tag.toByteArray())
    return f.path
}

const val KEY_A = "x'1111111111111111111111111111111111111111111111111111111111111111'"
const val KEY_B = "x'2222222222222222222222222222222222222222222222222222222222222222'"

fun restoredStore(dir: File) {
    val store = File(dir, "restored")
    StoreRecovery.open(store, KEY_A, keyIsNew = true, transport = null).let { first ->
        check("a first start discards nothing", !first.discardedUnreadableStore)
        first.repository.use { repo ->
            repo.store.init("li", Role.WORKER)
            val data = File(System.getenv("GRIDWORK_DATA_DIR") ?: "data")
            repo.importReferenceData(File(data, "kcity-grid.geojson").readText(), File(data, "kcity-catalog.json").readText())
            repo.report("06010", 31.3005, 120.6005, "before the backup", listOf(jpeg(dir, "restored")))
        }
    }
    val photos = File(store, "photos").walkTopDown().filter { it.isFile }.toList()
    check("photos live inside the store folder (excluded from backup with it)", photos.size == 1)
    // Same device, key still there but wrong/unreadable for now: thrown, nothing deleted.
    var threw = false
    try {
        StoreRecovery.open(store, KEY_B, keyIsNew = false, transport = null).repository.close()
    } catch (e: GridworkException.StoreUnavailable) {
        threw = true
    }
    check("an existing key that fails is reported, not acted on", threw && photos.all { it.isFile })
    // The folder came back from a backup, the key did not (a new one was just made).
    val opened = StoreRecovery.open(store, KEY_B, keyIsNew = true, transport = null)
    opened.repository.use { repo ->
        check("the unreadable store is discarded and a fresh one opens",
            opened.discardedUnreadableStore && repo.identity() == null)
        check("its photos are gone with it", photos.none { it.exists() })
    }
    StoreRecovery.open(store, KEY_B, keyIsNew = false, transport = null).repository.use {
        check("the fresh store opens with its key afterwards", it.identity() == null)
    }
}

/** A TCP server that accepts and never answers: a request to it hangs like a dead link. */
class BlackHole : AutoCloseable {
    private val socket = ServerSocket(0)
    private val held = mutableListOf<Socket>()
    val accepted = CountDownLatch(1)
    val url = "http://127.0.0.1:${socket.localPort}"
    init {
        thread(isDaemon = true) {
            while (true) {
                val s = runCatching { socket.accept() }.getOrNull() ?: break
                synchronized(held) { held.add(s) }
                accepted.countDown()
            }
        }
    }
    override fun close() {
        socket.close()
        synchronized(held) { held.forEach { runCatching { it.close() } } }
    }
}

/** The kit's transport; when armed, the next pull goes to [hole] instead. */
class Detour(val inner: UrlConnectionTransport, private val server: String) : HttpTransport {
    @Volatile var hole: String? = null
    @Volatile var aborts = 0
    override fun send(request: HttpRequest): HttpResponse {
        val to = hole
        if (to != null && request.method == "GET" && request.url.contains("/v1/events?")) {
            hole = null
            return inner.send(request.copy(url = to + request.url.removePrefix(server)))
        }
        return inner.send(request)
    }
    override fun abort() {
        aborts++
        inner.abort()
    }
}

fun singleFlight(data: File, dir: File, server: String) {
    val env = System.getenv()
    val transport = Detour(UrlConnectionTransport(readTimeoutMs = 120_000), server)
    BlackHole().use { hole ->
        GridworkRepository.open(File(dir, "kit-w").path, transport = transport).use { repo ->
            repo.importReferenceData(File(data, "kcity-grid.geojson").readText(), File(data, "kcity-catalog.json").readText())
            repo.signInToServer(server, env["GRIDWORK_WORKER_USER"]!!, env["GRIDWORK_WORKER_PASSWORD"]!!)
            repo.report("06010", 31.3005, 120.6005, "single flight (kotlin kit)")

            transport.hole = hole.url
            var first: SyncReport? = null
            var second: SyncReport? = null
            val a = thread { first = repo.syncNow() }
            check("the first run's pull reached a server that never answers", hole.accepted.await(60, TimeUnit.SECONDS))
            check("a run is active", repo.isSyncing())
            val joined = CountDownLatch(1)
            val b = thread { second = repo.syncNow { joined.countDown() } }
            check("a second run joins the first (hears its progress)", joined.await(60, TimeUnit.SECONDS))
            repo.cancelSync()
            a.join(60_000)
            b.join(60_000)
            check("cancel aborted the request in flight", transport.aborts == 1 && transport.inner.inFlight() == 0)
            check("the active run was cancelled (${first?.state}: ${first?.error})", first?.state == EngineState.CANCELLED)
            check("the joined caller got the same report", second == first && first?.pushed == 1uL)
            val s = repo.syncStatus()
            check("a cancel is not a failure", s.state == EngineState.CANCELLED && s.consecutiveFailures == 0u && s.lastError == null)
            check("not running after", !repo.isSyncing())

            repo.cancelSync() // idle
            check("an idle cancel does not reach the transport", transport.aborts == 1)
            val next = repo.syncNow()
            check("the next run syncs (${next.error})", next.state == EngineState.SYNCED)
        }
    }
}

fun permissionRules() {
    val lp = org.gridwork.kit.LocationPermissions
    check("a report asks FINE with COARSE", lp.forReport().toSet() == setOf(lp.FINE, lp.COARSE))
    check("a patrol asks notifications on 13+ only", lp.NOTIFICATIONS in lp.forPatrol(33) && lp.NOTIFICATIONS !in lp.forPatrol(32))
    check("nothing asks for background location", lp.BACKGROUND !in lp.forPatrol(35))
    val approximate = lp.grant(mapOf(lp.FINE to false, lp.COARSE to true))
    check("approximate only → network provider", approximate == org.gridwork.kit.LocationGrant.APPROXIMATE &&
        lp.provider(approximate, gpsEnabled = true) == lp.NETWORK_PROVIDER)
    check("precise → GPS when on", lp.provider(lp.grant(mapOf(lp.FINE to true, lp.COARSE to true)), true) == lp.GPS_PROVIDER)
    check("denied → no provider", lp.provider(lp.grant(emptyMap()), true) == null)
}

/** The phone API through the kit's coroutines, offline: actions, typed timeline, grid, datums, errors, Flows. */
fun phoneApi(data: File, dir: File) = runBlocking {
    GridworkRepository.open(File(dir, "phone").path, transport = null).use { repo ->
        check("a fresh store needs a sign-in first", repo.needsSignIn())
        repo.store.init("li", Role.WORKER)
        repo.importReferenceData(File(data, "kcity-grid.geojson").readText(), File(data, "kcity-catalog.json").readText())
        val changes = async { repo.caseChanges().take(2).toList() }
        settle()
        val id = repo.report("06010", 31.3005, 120.6005, "phone api (kotlin)", listOf(jpeg(dir, "phone-before")))
        val actions = repo.availableActions(id)
        check("a worker may fix a fresh report on the spot, with a photo",
            actions.map { it.kind } == listOf(ActionKind.SELF_RESOLVE) && actions[0].inputs.photos == InputNeed.REQUIRED)
        val refused = runCatching { repo.takeAction(id, ActionRequest(kind = ActionKind.SELF_RESOLVE)) }.exceptionOrNull()
        val info = (refused as? GridworkException)?.info()
        check("a missing photo has a code and a field ($info)", info != null && info.code == "missing_photo" && info.field == "photos")
        val done = repo.takeAction(id, ActionRequest(kind = ActionKind.SELF_RESOLVE, note = "swept", photos = listOf(jpeg(dir, "phone-after"))))
        check("closed on the spot", done.status == Status.CLOSED && repo.availableActions(id).isEmpty())
        check("both writes reached the Flow", changes.await() == listOf(listOf(id), listOf(id)))
        val events = repo.caseDetail(id).timeline.map { it.event }
        val reported = events[0] as? CaseEvent.Reported
        val resolved = events[1] as? CaseEvent.SelfResolved
        check("typed timeline entries", reported != null && reported.description == "phone api (kotlin)" &&
            reported.cell == CELL_KIT && resolved != null && resolved.note == "swept" && resolved.photos.size == 1 &&
            File(resolved.photos[0].path).isFile)

        val cells = repo.cells()
        val here = repo.cellAt(31.3005, 120.6005)
        check("the grid with its rings", cells.size == 60 && here != null && here.code == CELL_KIT &&
            here.rings[0].first() == here.rings[0].last() && repo.cellAt(0.0, 0.0) == null)
        check("no scope before a sign-in: no cells are mine", repo.myCells().isEmpty() && repo.verificationTasks().isEmpty())
        val nan = runCatching { repo.cellAt(Double.NaN, 120.0) }.exceptionOrNull() as? GridworkException
        check("a NaN latitude names the field", nan?.info()?.field == "lat")

        val p = GeoPoint(31.3005, 120.6005)
        val gcj = MapDatum.toGcj02(p)
        val back = MapDatum.fromGcj02(gcj)
        check("GCJ-02 shifts and comes back", Math.abs(gcj.lon - p.lon) > 0.001 &&
            Math.abs(back.lat - p.lat) < 1e-6 && Math.abs(back.lon - p.lon) < 1e-6)
        check("BD-09 comes back", Math.abs(MapDatum.fromBd09(MapDatum.toBd09(p)).lat - p.lat) < 1e-6)

        repeat(3) { repo.report("06010", 31.3005, 120.6005, "mine $it") }
        val first = repo.myCasesPage(limit = 2u)
        val second = repo.myCasesPage(first.next, 2u)
        check("my cases paged in SQL", first.items.size == 2 && second.items.size == 2 && second.next == null &&
            (first.items + second.items).map { it.id }.toSet().size == 4)

        val patrolEvents = async { repo.patrolChanges().take(3).toList() }
        settle()
        val patrol = repo.store.startPatrol(listOf(CELL_KIT))
        repo.store.pausePatrol(patrol)
        repo.store.finishPatrol(patrol)
        check("patrol state as a Flow", patrolEvents.await() == listOf(
            PatrolEvent(patrol, PatrolChange.STARTED), PatrolEvent(patrol, PatrolChange.PAUSED),
            PatrolEvent(patrol, PatrolChange.FINISHED)))
        check("sync state before sign-in", repo.syncStates().first() == SyncUiState.NotSignedIn)
    }
}

const val CELL_KIT = "32050800200401"

/** Answers 401 to everything once [refuse] is set, as a server does for a revoked token. */
class Revoking(private val inner: UrlConnectionTransport) : HttpTransport {
    @Volatile var refuse = false
    override fun send(request: HttpRequest): HttpResponse =
        if (refuse) HttpResponse(401u, listOf(HttpHeader("Content-Type", "application/json"), HttpHeader("Gridwork-Protocol", "1")),
            """{"error":{"code":"unauthorized","message":"token revoked"}}""".toByteArray())
        else inner.send(request)
    override fun abort() = inner.abort()
}

/** Sign in first on a fresh store (no placeholder user, no bundled city), then the sync states. */
fun signInFirst(dir: File, server: String) = runBlocking {
    val env = System.getenv()
    val transport = Revoking(UrlConnectionTransport())
    GridworkRepository.open(File(dir, "first-run").path, transport = transport).use { repo ->
        check("a fresh store: sign in first", repo.needsSignIn())
        val states = mutableListOf<SyncUiState>()
        val collecting = async { repo.syncStates().collect { synchronized(states) { states.add(it) } } }
        settle()
        repo.signIn(server, env["GRIDWORK_WORKER_USER"]!!, env["GRIDWORK_WORKER_PASSWORD"]!!)
        check("the account became the store's user", repo.identity()?.user == env["GRIDWORK_WORKER_USER"])
        val report = repo.runSync()
        check("the first run brings the city (${report.error})", report.state == EngineState.SYNCED &&
            repo.categories().isNotEmpty() && repo.store.cells().size == 60)
        val mine = repo.myCells()
        check("my cells are the account's scope", mine.isNotEmpty() && mine.size < 60 && mine.all { it.code.startsWith("320508002") })
        transport.refuse = true
        val refused = repo.runSync()
        check("a revoked token: sign in required", refused.state == EngineState.SIGN_IN_REQUIRED)
        settle() // the collector drains what the observer sent before `runSync` returned
        val seen = synchronized(states) { states.toList() }
        check("the Flow showed syncing then the distinct sign-in-required state ($seen)",
            seen.first() == SyncUiState.NotSignedIn && seen.any { it is SyncUiState.Syncing } &&
                seen.last() is SyncUiState.SignInRequired)
        collecting.cancel()
        collecting.join() // the observer is removed before the repository closes
    }
}

/**
 * Lets runBlocking's one-thread event loop run what is queued: a collector started with
 * `async` and the callbackFlow producer it launches (which registers the observer) run in
 * turn before the test goes on.
 */
suspend fun settle() = repeat(3) { yield() }
