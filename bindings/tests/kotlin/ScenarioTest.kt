// End-to-end scenario through the generated Kotlin bindings and the Android shell's
// GridworkRepository, PatrolRecorder and UrlConnectionTransport (the same scenario as the
// Python and Swift tests): the case loop, a patrol, and a worker and a supervisor syncing
// through the reference server started by bindings/tests/foreign.rs. Run on a desktop JVM
// with JNA by .ci/run-binding-tests.sh.
import org.gridwork.ffi.*
import org.gridwork.kit.GridworkRepository
import org.gridwork.kit.UrlConnectionTransport
import java.io.File
import java.nio.file.Files
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlin.system.exitProcess

const val CELL = "32050800200401"

var passed = 0
var failed = 0

fun check(name: String, ok: Boolean) {
    if (ok) { passed++; println("ok: $name") } else { failed++; println("FAIL: $name") }
}

inline fun <reified E : Throwable> raises(name: String, block: () -> Unit) {
    try {
        block()
        check("$name (no error)", false)
    } catch (e: Throwable) {
        check("$name (${e::class.simpleName}: ${e.message})", e is E)
    }
}

fun jpeg(dir: File, tag: String): String {
    val f = File(dir, "$tag.jpg")
    f.writeBytes(byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte()) + tag.toByteArray())
    return f.path
}

class Recorder : StoreObserver {
    val calls = mutableListOf<List<String>>()
    override fun onCasesChanged(caseIds: List<String>) { synchronized(calls) { calls.add(caseIds) } }
}

fun main() {
    val data = File(System.getenv("GRIDWORK_DATA_DIR") ?: "data")
    val dir = Files.createTempDirectory("gridwork-kt-").toFile()
    try {
        scenario(data, dir)
        patrolScenario(data, dir)
        val server = System.getenv("GRIDWORK_SERVER_URL")
        if (server != null) syncScenario(data, dir, server) else println("SKIPPED sync: GRIDWORK_SERVER_URL not set")
    } catch (e: Throwable) {
        check("scenario threw $e", false)
        e.printStackTrace()
    } finally {
        dir.deleteRecursively()
    }
    println("kotlin: $passed passed, $failed failed")
    if (failed > 0 || passed == 0) exitProcess(1)
}

fun scenario(data: File, dir: File) {
    GridworkRepository.open(File(dir, "store").path).use { repo ->
        check("identity before init is null", repo.identity() == null)
        repo.store.init("li", Role.WORKER)
        val (cells, categories) = repo.importReferenceData(
            File(data, "kcity-grid.geojson").readText(), File(data, "kcity-catalog.json").readText())
        check("imports", cells == 60u && categories > 0u)
        val department = repo.categories().single { it.code == "06010" }.department
        check("departments", repo.store.departments().any { it.id == department })

        val recorder = Recorder()
        val token = repo.store.addObserver(recorder)
        val changes = mutableListOf<List<String>>()
        val handle = repo.observe { changes.add(it) }

        // Through the repository's background thread, as a screen would.
        val id = repo.submit {
            it.report("06010", 31.3005, 120.6005, "暴露垃圾 by the canal", listOf(jpeg(dir, "before")))
        }.get()
        check("observer got the new case", recorder.calls == listOf(listOf(id)) && changes == listOf(listOf(id)))

        val page = repo.store.list(CaseFilter(), null, 50u)
        check("list", page.items.map { it.id } == listOf(id) && page.next == null)
        val row = page.items.single()
        check("row", row.status == Status.REPORTED && row.cell?.startsWith("320508") == true && !row.overdue)
        check("my cases", repo.myCases().map { it.id } == listOf(id))

        raises<GridworkException.NotPermitted>("a worker may not register") {
            repo.act(id, ActionKind.REGISTER)
        }
        repo.act(id, ActionKind.REGISTER, asRole = Role.SUPERVISOR)
        val dispatched = repo.act(id, ActionKind.DISPATCH, department = department, asRole = Role.SUPERVISOR)
        check("dispatched with a deadline", dispatched.status == Status.DISPATCHED && dispatched.deadlineMs != null)
        repo.act(id, ActionKind.HANDLE, note = "cleared", photoPaths = listOf(jpeg(dir, "after")), asRole = Role.HANDLER)
        repo.act(id, ActionRequest(kind = ActionKind.VERIFY_PASS))
        val closed = repo.act(id, ActionKind.CLOSE, asRole = Role.SUPERVISOR)

        check("closed", closed.status == Status.CLOSED && closed.resolution == Resolution.CLOSED)
        check("timeline kinds", closed.timeline.map { it.kind } == listOf(
            "incident.reported", "incident.registered", "incident.dispatched",
            "incident.handled", "incident.verified", "incident.closed"))
        check("timeline roles", closed.timeline.map { it.actor.role } == listOf(
            Role.WORKER, Role.SUPERVISOR, Role.SUPERVISOR, Role.HANDLER, Role.WORKER, Role.SUPERVISOR))
        check("timeline pending sync", closed.timeline.all { it.sync == SyncState.Pending })
        check("photos in the store", closed.photos.size == 2 && closed.photos.all { File(it.path).isFile })
        check("show equals act's answer", repo.case(id) == closed)
        val counts = repo.counts()
        check("counts", counts[Status.CLOSED] == 1uL && counts[Status.REPORTED] == 0uL)
        check("log intact", repo.store.verifyLog().intact)
        check("observer saw every write", recorder.calls == List(6) { listOf(id) })

        check("remove observer", repo.store.removeObserver(token) && !repo.store.removeObserver(token))
        handle.close()
        repo.report("06010", 31.3005, 120.6005, "second")
        check("removed observers are not called", recorder.calls.size == 6 && changes.size == 6)

        // Bad input: typed errors, nothing written.
        val before = repo.cases().size
        raises<GridworkException.InvalidInput>("NaN latitude") {
            repo.report("06010", Double.NaN, 120.6005, "nan")
        }
        raises<GridworkException.UnknownCategory>("unknown category") {
            repo.report("99999", 31.3005, 120.6005, "x")
        }
        raises<GridworkException.Photo>("missing photo") {
            repo.report("06010", 31.3005, 120.6005, "x", listOf(File(dir, "missing.jpg").path))
        }
        check("nothing written by refused reports", repo.cases().size == before)
        raises<GridworkException.InvalidInput>("bad case id") { repo.case("not-a-case-id") }
        raises<GridworkException.NotFound>("unknown case") { repo.case("0190a4e1-0000-7000-8000-000000000000") }
    }
    val enc = File(dir, "enc").path
    GridworkRepository.open(enc, "secret").store.init("li", Role.WORKER)
    check("encrypted store has no plain SQLite header",
        !File(enc, "gridwork.db").readBytes().copyOf(15).contentEquals("SQLite format 3".toByteArray()))
    raises<GridworkException.StoreUnavailable>("encrypted store refused without its key") {
        GridworkRepository.open(enc, null)
    }
    raises<GridworkException.StoreUnavailable>("encrypted store refused with a wrong key") {
        GridworkRepository.open(enc, "wrong")
    }
    check("encrypted store opens with its key", GridworkRepository.open(enc, "secret").identity()?.user == "li")
}

fun walk(t0: Long, n: Int): List<GpsFix> = (0 until n).map { i ->
    GpsFix(timeMs = t0 + i * 1000L, lat = 31.2995 + i * 0.00001, lon = 120.6005, accuracyM = 5.0,
        speedMps = 1.1, bearingDeg = 0.0, provider = FixProvider.GPS)
}

fun patrolScenario(data: File, dir: File) {
    GridworkRepository.open(File(dir, "patrol").path, transport = null).use { repo ->
        repo.store.init("li", Role.WORKER)
        repo.importReferenceData(File(data, "kcity-grid.geojson").readText(), File(data, "kcity-catalog.json").readText())
        val batches = mutableListOf<Result<FixBatchReport>>()
        // A long timer: the test flushes by hand; the app keeps the 10 s default.
        val recorder = repo.startPatrol(listOf(CELL), batchMillis = 3_600_000) { synchronized(batches) { batches.add(it) } }
        check("open patrol", repo.store.openPatrol() == recorder.patrolId)
        walk(System.currentTimeMillis() - 100_000, 100).forEachIndexed { i, fix ->
            recorder.offer(fix)
            if (i % 10 == 9) recorder.flush()
        }
        check("ten batches of ten", batches.size == 10 && batches.all { it.getOrNull()?.stored == 10u })
        repo.store.checkIn(recorder.patrolId, 31.3, 120.6005, "shop 12", jpeg(dir, "door"))
        val case = repo.report("06010", 31.3005, 120.6005, "on patrol", patrolId = recorder.patrolId)
        val p = repo.finishPatrol(recorder)
        check("patrol finished", p.status == PatrolStatus.FINISHED && repo.store.openPatrol() == null)
        check("patrol fixes", p.stats.fixCount == 100uL)
        check("patrol distance ${p.stats.distanceM}", p.stats.distanceM in 100.0..120.0)
        check("patrol trusted", p.integrity.verdict == Verdict.TRUSTED)
        check("patrol coverage", p.coverage.single().cellId == CELL && p.coverage.single().coveredShare > 0.0)
        check("patrol check-in", p.checkIns.single().note == "shop 12" && File(p.checkIns.single().photo!!.path).isFile)
        check("patrol incidents", p.incidents == listOf(case))
        raises<GridworkException.Workflow>("no fixes after finish") {
            repo.store.addFixes(p.id, walk(System.currentTimeMillis(), 1))
        }
        check("gpx export", repo.store.exportPatrol(p.id, PatrolExportFormat.GPX).contains("<trkpt"))
    }
}

class Progress : SyncProgressListener {
    val updates = mutableListOf<SyncProgress>()
    override fun onProgress(progress: SyncProgress) { synchronized(updates) { updates.add(progress) } }
}

/** UrlConnectionTransport whose next push waits until released or aborted (to cancel mid-run). */
class GatedTransport : HttpTransport {
    private val inner = UrlConnectionTransport()
    @Volatile var gate: Pair<CountDownLatch, CountDownLatch>? = null
    @Volatile private var waiting: CountDownLatch? = null
    @Volatile private var aborted = false
    @Volatile var aborts = 0
    override fun send(request: HttpRequest): HttpResponse {
        val g = gate
        if (g != null && request.method == "POST" && request.url.endsWith("/v1/events")) {
            gate = null
            aborted = false
            waiting = g.second
            g.first.countDown()
            g.second.await(30, TimeUnit.SECONDS)
            waiting = null
            if (aborted) throw TransportFailure.Interrupted("aborted")
        }
        return inner.send(request)
    }
    override fun abort() {
        aborts++
        aborted = true
        waiting?.countDown()
        inner.abort()
    }
}

fun syncScenario(data: File, dir: File, server: String) {
    val env = System.getenv()
    val transport = GatedTransport()
    val worker = GridworkRepository.open(File(dir, "sync-w").path, transport = transport)
    val boss = GridworkRepository.open(File(dir, "sync-s").path, transport = null) // built-in
    try {
        for ((repo, who) in listOf(worker to "WORKER", boss to "SUPERVISOR")) {
            // No placeholder user: each store takes its account's identity at sign-in.
            repo.importReferenceData(File(data, "kcity-grid.geojson").readText(), File(data, "kcity-catalog.json").readText())
        }
        check("not signed in", worker.syncStatus().state == EngineState.NOT_SIGNED_IN)
        raises<GridworkException.SignInRequired>("a bad token is refused") { worker.signInWithToken(server, "nope") }
        val signed = worker.signInToServer(server, env["GRIDWORK_WORKER_USER"]!!, env["GRIDWORK_WORKER_PASSWORD"]!!)
        check("signed in as worker", signed.role == Role.WORKER)
        boss.signInWithToken(server, env["GRIDWORK_SUPERVISOR_TOKEN_KOTLIN"]!!)

        val recorder = worker.startPatrol(listOf(CELL))
        walk(System.currentTimeMillis() - 30_000, 30).forEach { recorder.offer(it) }
        val id = worker.report("06010", 31.3005, 120.6005, "bin overflowing (kotlin)",
            listOf(jpeg(dir, "bin-kotlin")), patrolId = recorder.patrolId)
        worker.finishPatrol(recorder)
        val pending = worker.syncStatus()
        check("pending before sync", pending.due && pending.pendingEvents >= 3uL && pending.pendingPhotos == 1uL)

        val progress = Progress()
        val r = worker.sync.run(progress)
        check("worker synced (${r.error})", r.state == EngineState.SYNCED && r.pushed == pending.pendingEvents && r.rejected == 0uL)
        check("photo uploaded", r.uploadedPhotos == 1uL)
        val phases = progress.updates.map { it.phase }.distinct()
        check("progress phases $phases", phases == listOf(SyncPhase.PUSH, SyncPhase.UPLOAD, SyncPhase.PULL))
        check("timeline synced", worker.case(id).timeline.all { it.sync == SyncState.Synced })

        val seen = mutableListOf<List<String>>()
        val handle = boss.observe { synchronized(seen) { seen.add(it) } }
        var bossPhases = listOf<SyncPhase>()
        val b = boss.syncNow { p -> bossPhases = bossPhases + p.phase }
        check("supervisor pulled the case (${b.error})", b.state == EngineState.SYNCED && id in b.changedCases)
        check("supervisor observer told", seen.any { id in it })
        check("supervisor progress", SyncPhase.PULL in bossPhases)
        handle.close()
        boss.act(id, ActionKind.REGISTER)
        check("registration pushed", boss.syncNow().pushed == 1uL)
        val back = worker.syncNow()
        check("worker pulled the registration", id in back.changedCases && worker.case(id).status == Status.REGISTERED)

        // Cancel from this thread while the run is inside the transport.
        worker.report("06010", 31.3005, 120.6005, "cancelled mid-run")
        val entered = CountDownLatch(1)
        val release = CountDownLatch(1)
        transport.gate = entered to release
        var cancelled: SyncReport? = null
        val runner = thread { cancelled = worker.syncNow() }
        check("run entered the transport", entered.await(30, TimeUnit.SECONDS))
        worker.cancelSync() // aborts the exchange through the transport: no release needed
        runner.join(60_000)
        check("cancel aborted the exchange", transport.aborts == 1)
        check("run cancelled", cancelled?.state == EngineState.CANCELLED && worker.syncStatus().state == EngineState.CANCELLED)
        worker.cancelSync() // idle: nothing to abort, the next run is not affected
        check("idle cancel does not reach the transport", transport.aborts == 1)
        check("next run syncs", worker.syncNow().state == EngineState.SYNCED)
        worker.sync.logout()
        check("signed out", !worker.syncStatus().signedIn)
    } finally {
        worker.close()
        boss.close()
    }
}
