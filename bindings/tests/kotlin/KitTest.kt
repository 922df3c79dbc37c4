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
            repo.signIn("li", Role.WORKER)
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
            repo.signIn(env["GRIDWORK_WORKER_USER"]!!, Role.WORKER)
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
