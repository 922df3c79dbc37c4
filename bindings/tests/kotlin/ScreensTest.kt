// The Android kit's screen state holders (org.gridwork.kit *Model) against the real reference
// server bindings/tests/foreign.rs starts: what each screen shows through each flow — sign-in
// (refusals by code and field), report with several photos (search, validation, accuracy),
// sync with progress, cancel, a rejected report, paged lists, case detail (thumbnail first,
// full photo on demand, the permitted actions, a refusal with the core's reason), a conflict
// shown, patrol with check-in and live figures, the map with a datum switch, sign in required,
// and sign-out that keeps unsynced work. One worker store and two supervisor stores are shared
// by the flows (each sign-in is a round trip the run pays for). No mocks of the core.
package screens

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.gridwork.ffi.*
import org.gridwork.kit.*
import java.io.File
import java.nio.file.Files
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess

var passed = 0
var failed = 0

fun check(name: String, ok: Boolean) {
    if (ok) { passed++; println("ok: $name") } else { failed++; println("FAIL: $name") }
}

const val CELL = "32050800200401"

/** A cell of street 320508001, outside the worker's scope (320508002). */
val OUTSIDE = ReportPosition(31.30606, 120.58079, 6.0)

fun photo(dir: File, tag: String): String {
    val f = File(dir, "$tag.jpg")
    f.writeBytes(byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte()) + tag.toByteArray())
    return f.path
}

/**
 * The kit's transport with two switches: [holdNextPull] parks the next pull until the run is
 * cancelled (abort), as a dead link would; [refuse] answers 401 as for a revoked token.
 */
class Gate(private val inner: UrlConnectionTransport) : HttpTransport {
    @Volatile var holdNextPull = false
    @Volatile var refuse = false
    val held = CountDownLatch(1)
    private val released = CountDownLatch(1)

    override fun send(request: HttpRequest): HttpResponse {
        if (refuse) {
            return HttpResponse(401u, listOf(HttpHeader("Content-Type", "application/json"), HttpHeader("Gridwork-Protocol", "1")),
                """{"error":{"code":"unauthorized","message":"token revoked"}}""".toByteArray())
        }
        if (holdNextPull && request.method == "GET" && request.url.contains("/v1/events?")) {
            holdNextPull = false
            held.countDown()
            released.await(60, TimeUnit.SECONDS)
            throw TransportFailure.Interrupted("aborted: the sync was cancelled")
        }
        return inner.send(request)
    }

    override fun abort() {
        released.countDown()
        inner.abort()
    }
}

fun main() {
    val server = System.getenv("GRIDWORK_SERVER_URL")
    if (server == null) {
        println("SKIPPED screens: GRIDWORK_SERVER_URL not set (run through bindings/tests/foreign.rs)")
        return
    }
    val dir = Files.createTempDirectory("gridwork-screens-").toFile()
    try {
        runBlocking { screens(dir, server) }
    } catch (e: Throwable) {
        check("screens test threw $e", false)
        e.printStackTrace()
    } finally {
        dir.deleteRecursively()
    }
    println("kotlin screens: $passed passed, $failed failed")
    if (failed > 0 || passed == 0) exitProcess(1)
}

suspend fun settle() = repeat(3) { yield() }

suspend fun kotlinx.coroutines.CoroutineScope.screens(dir: File, server: String) {
    val env = System.getenv()
    val worker = env["GRIDWORK_WORKER_USER"]!!
    val workerPw = env["GRIDWORK_WORKER_PASSWORD"]!!
    val supervisor = env["GRIDWORK_SUPERVISOR_USER"]!!
    val supervisorPw = env["GRIDWORK_SUPERVISOR_PASSWORD"]!!
    val gate = Gate(UrlConnectionTransport())
    val w = GridworkRepository.open(File(dir, "w").path, transport = gate)
    val a = GridworkRepository.open(File(dir, "a").path, transport = UrlConnectionTransport())
    val b = GridworkRepository.open(File(dir, "b").path, transport = UrlConnectionTransport())
    try {
        // --- Sign-in ---------------------------------------------------------------------
        val signIn = SignInModel(w)
        signIn.refresh()
        check("a fresh phone shows the sign-in screen", signIn.state.value.identity == null && !signIn.state.value.signedIn)
        signIn.edit(server = "", user = worker)
        check("no server: the server field is marked", !signIn.signIn(workerPw) && signIn.state.value.error?.field == "server")
        signIn.edit(server = server)
        val wrong = signIn.signIn("not-the-password")
        val refusal = signIn.state.value.error
        check("a wrong password is refused by code (${refusal?.code}), nothing adopted",
            !wrong && refusal != null && refusal.code.isNotEmpty() && signIn.state.value.identity == null)
        check("the right password signs in as the account", signIn.signIn(workerPw) &&
            signIn.state.value.identity?.user == worker && signIn.state.value.signedIn && signIn.state.value.error == null)

        // --- Sync: the first run brings the city ------------------------------------------
        val sync = SyncStatusModel(w)
        val following = sync.observe(this)
        settle()
        val first = sync.syncNow()
        check("the first sync brings catalogue and grid (${first?.error})", first?.state == EngineState.SYNCED && first.referenceUpdated)

        // --- Report with photos -----------------------------------------------------------
        var reportedHook: String? = null
        val report = ReportModel(w, onReported = { reportedHook = it })
        report.loadCategories()
        report.search("暴露")
        val byZh = report.state.value.matches
        report.search("exposed RUB")
        val byEn = report.state.value.matches
        report.search("06010")
        check("category search by Chinese, English and code", byZh.any { it.code == "06010" } &&
            byEn.any { it.code == "06010" } && report.state.value.matches.map { it.code } == listOf("06010") &&
            byZh.size < report.state.value.categories.size)
        check("an empty draft names each missing field",
            report.submit() == null && report.state.value.problems.map { it.field }.toSet() == setOf("category", "description", "position"))
        report.pick(report.state.value.matches.single())
        report.describe("rubbish by the canal (screens)")
        report.setPosition(ReportPosition(31.3000, 120.6018, 350.0))
        check("an imprecise fix is refused before submit",
            report.submit() == null && report.state.value.problems.map { it.code } == listOf("imprecise_position"))
        report.setPosition(ReportPosition(31.3000, 120.6018, 6.0))
        check("the position shows its cell", report.state.value.cell == CELL && report.state.value.problems.isEmpty())
        val shots = listOf(photo(dir, "before-1"), photo(dir, "before-2"))
        shots.forEach(report::addPhoto)
        val caseId = report.submit()
        check("the report is recorded with both photos and the draft cleared", caseId != null && reportedHook == caseId &&
            report.state.value.photos.isEmpty() && report.state.value.category == null && report.state.value.reported == caseId &&
            w.store.show(caseId).photos.size == 2)

        // --- Sync with progress, then cancel ----------------------------------------------
        gate.holdNextPull = true
        // On another thread: this one blocks on the latch while the run is parked in the pull.
        val running = async(Dispatchers.IO) { sync.syncNow() }
        check("the run reached the pull", gate.held.await(60, TimeUnit.SECONDS))
        val during = sync.state.value
        check("during the run: syncing with progress (${during.progress})", during.running &&
            during.progress?.let { it.phase == SyncPhase.UPLOAD || it.phase == SyncPhase.PUSH } == true)
        sync.cancel()
        val cancelled = running.await()
        check("cancel: the run stops, what it sent is kept", cancelled?.state == EngineState.CANCELLED &&
            cancelled.pushed == 1uL && cancelled.uploadedPhotos == 2uL && !sync.state.value.running &&
            sync.state.value.progress == null)
        val after = sync.syncNow()
        check("the next run completes", after?.state == EngineState.SYNCED &&
            (sync.state.value.ui as? SyncUiState.Idle)?.status?.pendingEvents == 0uL)

        // --- A report the server refuses (outside the account's scope) ---------------------
        report.pick(report.state.value.categories.first { it.code == "06010" })
        report.describe("outside my streets")
        report.setPosition(OUTSIDE)
        val outside = report.submit()!!
        val r = sync.syncNow()
        check("the server refuses it: shown as rejected", r?.rejected == 1uL &&
            sync.state.value.rejected.map { it.id } == listOf(outside) && sync.state.value.rejected[0].reportRejected)

        // --- Lists, paged ---------------------------------------------------------------------
        val mine = CaseListModel(w, CaseListKind.MINE, pageSize = 1u)
        mine.reload()
        val page1 = mine.state.value
        mine.loadMore()
        mine.loadMore()
        // The other languages' tests report as the same worker on other devices: their
        // cases come down too, so the pages are read to the end.
        while (!mine.state.value.endReached && mine.state.value.error == null) mine.loadMore()
        val all = mine.state.value.items
        check("my cases page by page", page1.items.size == 1 && !page1.endReached && all.size >= 2 &&
            all.map { it.id }.distinct().size == all.size && all.map { it.id }.containsAll(listOf(caseId, outside)) &&
            all.all { it.reporter == worker } && all.zipWithNext().all { (x, y) -> x.reportedAtMs >= y.reportedAtMs })
        val area = CaseListModel(w, CaseListKind.AREA)
        area.setFilter(CaseFilter(cellPrefix = CELL))
        val inCell = area.state.value.items
        check("my area's cases, filtered by cell", caseId in inCell.map { it.id } && outside !in inCell.map { it.id } &&
            inCell.all { it.cell == CELL })

        // --- Case detail on a supervisor's tablet ---------------------------------------------
        for (repo in listOf(a, b)) {
            val m = SignInModel(repo)
            m.edit(server = server, user = supervisor)
            check("a supervisor signs in", m.signIn(supervisorPw))
            repo.runSync()
        }
        // The tablet's pull brought the small photos whole; a cache budget of 0 evicts every
        // synced full photo (settings screen + the kit's evictPhotos), as a full cache would.
        val tabletSettings = SettingsModel(a)
        tabletSettings.load()
        tabletSettings.setPhotoSettings(tabletSettings.state.value.photoSettings!!.copy(cacheBudgetBytes = 0uL))
        check("photo settings through the kit; setting the budget evicted at once, nothing is left to evict",
            a.photoSettings().cacheBudgetBytes == 0uL && tabletSettings.state.value.error == null && a.evictPhotos() == 0uL)
        val detail = CaseDetailModel(a, caseId!!)
        detail.load()
        val d = detail.state.value
        check("the detail shows the typed timeline", (d.case?.timeline?.firstOrNull()?.event as? CaseEvent.Reported)?.description ==
            "rubbish by the canal (screens)")
        check("photos: listed, not downloaded yet (${d.photos.map { it.view.state }})",
            d.photos.size == 2 && d.photos.all { it.full == null })
        val sha = d.photos[0].view.sha256
        detail.openFull(sha)
        val opened = detail.state.value.photos.first { it.view.sha256 == sha }
        val bytes = opened.full?.let { File(it).readBytes() }
        check("full size on demand, the bytes taken", bytes != null && !opened.loadingFull &&
            shots.any { File(it).readBytes().contentEquals(bytes) })
        check("the actions are the core's", ActionKind.REGISTER in d.actions.map { it.kind } &&
            ActionKind.CLOSE !in d.actions.map { it.kind })
        val refused = detail.take(ActionRequest(kind = ActionKind.CLOSE))
        val why = detail.state.value.error
        check("a refused action is shown with the core's reason ($why)", !refused && why?.code == "invalid_transition" &&
            why.detail.isNotEmpty() && detail.state.value.case?.status == Status.REPORTED)
        check("act on a case", detail.take(ActionRequest(kind = ActionKind.REGISTER)) &&
            detail.state.value.case?.status == Status.REGISTERED && detail.state.value.error == null &&
            ActionKind.REGISTER !in detail.state.value.actions.map { it.kind })

        // --- A conflict: the other tablet registered offline too ---------------------------------
        val other = CaseDetailModel(b, caseId)
        other.load()
        check("the other tablet registers offline", other.take(ActionRequest(kind = ActionKind.REGISTER)))
        a.runSync()
        b.runSync()
        sync.syncNow()
        val conflict = CaseDetailModel(w, caseId)
        conflict.load()
        check("the conflict is shown on the sync screen and the case", sync.state.value.conflicts.map { it.id } == listOf(caseId) &&
            conflict.state.value.case?.conflicts?.size == 1)

        actionForm(detail, caseId, a, b)

        // --- Patrol with check-in ---------------------------------------------------------------
        val patrol = PatrolModel(w)
        patrol.load()
        check("the cell picker holds my cells", patrol.state.value.cells.isNotEmpty() &&
            patrol.state.value.cells.all { it.code.startsWith("320508002") } && patrol.state.value.cells.any { it.code == CELL })
        check("no cell picked: refused", patrol.start() == null && patrol.state.value.error?.field == "cells")
        patrol.toggle(CELL)
        val pid = patrol.start()!!
        val live = patrol.observe(this)
        settle()
        check("started", patrol.state.value.phase == PatrolPhase.ACTIVE)
        val t0 = System.currentTimeMillis() - 120_000
        w.store.addFixes(pid, (0 until 12).map { i ->
            GpsFix(timeMs = t0 + i * 3000L, lat = 31.2995 + i * 0.00003, lon = 120.6010, accuracyM = 5.0,
                speedMps = 1.1, bearingDeg = 0.0, altitudeM = null, provider = FixProvider.GPS, mock = false)
        })
        settle()
        patrol.refresh() // the observer refreshes too; this makes the check independent of its timing
        val moving = patrol.state.value
        check("live distance and coverage (${moving.distanceM} m)", moving.distanceM > 30.0 && moving.fixCount == 12uL &&
            (moving.coverage.firstOrNull { it.cellId == CELL }?.coveredShare ?: 0.0) > 0.0)
        check("pause", patrol.pause() && patrol.state.value.phase == PatrolPhase.PAUSED)
        check("resume", patrol.resume() && patrol.state.value.phase == PatrolPhase.ACTIVE)
        check("check-in", patrol.checkIn(31.2999, 120.6010, "at the canal", photo(dir, "here")) && patrol.state.value.checkIns == 1)
        val done = patrol.finish()
        check("finish shows the figures", done != null && done.stats.distanceM > 30.0 && patrol.state.value.phase == PatrolPhase.NONE)
        live.cancel()
        patrolList(w, pid, done)

        // --- Map ----------------------------------------------------------------------------------
        val map = MapModel(w)
        map.load(pid)
        val m = map.state.value
        val myCell = m.cells.firstOrNull { it.code == CELL }
        check("map: cells with geometry, mine marked, cases, own track", m.cells.size == 60 && myCell?.mine == true &&
            myCell.ring.size > 3 && m.cases.any { it.id == caseId } && m.track.singleOrNull()?.size == 12)
        val proj = m.projection(1000f, 800f)!!
        val fits = (m.cells.flatMap { it.ring } + m.track.flatten()).map(proj::toCanvas).all { (x, y) -> x in -0.5f..1000.5f && y in -0.5f..800.5f }
        map.show(Datum.GCJ02)
        val g = map.state.value
        val shift = g.track[0][0].lon - m.track[0][0].lon
        check("GCJ-02 for display shifts everything the same way", fits && g.datum == Datum.GCJ02 && shift > 0.001 &&
            Math.abs((g.cells.first { it.code == CELL }.ring[0].lon - myCell!!.ring[0].lon) - shift) < 1e-4)

        // --- Sign in required -----------------------------------------------------------------------
        gate.refuse = true
        val denied = sync.syncNow()
        settle()
        signIn.refresh()
        check("a revoked token: sign in required, distinct", denied?.state == EngineState.SIGN_IN_REQUIRED &&
            sync.state.value.ui is SyncUiState.SignInRequired && signIn.state.value.signInRequired && !signIn.state.value.signedIn)
        gate.refuse = false
        check("signing in again clears it", signIn.signIn(workerPw) && !signIn.state.value.signInRequired)

        // --- Settings / sign-out: unsynced work is kept ------------------------------------------
        val waiting = w.report("06010", 31.3000, 120.6018, "not synced yet")
        val settings = SettingsModel(w)
        // What waits: this report, and the patrol's steps, fixes and check-in photo.
        val before = w.syncStatus()
        val blocked = settings.signOut()
        check("sign-out with unsynced work is refused and says how much (${settings.state.value.signOutBlocked})",
            !blocked && before.pendingEvents >= 1uL &&
            settings.state.value.signOutBlocked == (before.pendingEvents to before.pendingPhotos) && !settings.state.value.signedOut)
        val out = settings.signOut(keepUnsynced = true)
        check("signing out keeping it: the work stays, shown as waiting", out && settings.state.value.signedOut &&
            settings.state.value.status?.pendingEvents == before.pendingEvents &&
            settings.state.value.unsynced == before.pendingEvents + before.pendingPhotos &&
            settings.state.value.identity?.user == worker && w.store.show(waiting).timeline.all { it.sync is SyncState.Pending })
        val switch = SignInModel(w)
        switch.refresh()
        switch.edit(server = server, user = supervisor)
        val switched = switch.signIn(supervisorPw)
        // Refused by the core (wrong_user) or by the server, which binds a device id to its
        // first account (device_conflict): either way nothing is lost.
        check("another account cannot take over the store (${switch.state.value.error?.code})", !switched &&
            switch.state.value.error?.code in setOf("wrong_user", "device_conflict") && w.syncStatus().pendingEvents == before.pendingEvents &&
            w.identity()?.user == worker)
        switch.edit(user = worker)
        check("the same account signs back in and the work goes out", switch.signIn(workerPw) &&
            sync.syncNow()?.state == EngineState.SYNCED && w.syncStatus().pendingEvents == 0uL &&
            w.store.show(waiting).timeline.all { it.sync is SyncState.Synced })
        following.cancel()
        following.join()
    } finally {
        w.close()
        a.close()
        b.close()
    }
}

/** The action form: a required input missing is refused by the kit; a picked department reaches the server. */
suspend fun actionForm(detail: CaseDetailModel, caseId: String, a: GridworkRepository, b: GridworkRepository) {
    // --- An action's inputs, through the kit's form -------------------------------------------
    // A reason the action requires, left empty: refused by the kit with its field, before the core.
    val reasonAction = detail.state.value.actions.first { it.inputs.note == InputNeed.REQUIRED }
    val stepsBefore = a.store.show(caseId).timeline.size
    val pendingBefore = a.syncStatus().pendingEvents
    detail.begin(reasonAction)
    val sentEmpty = detail.submit()
    val missing = detail.state.value.error
    check("a missing reason is refused by the kit with its field, nothing changes (${reasonAction.kind}: $missing)",
        !sentEmpty && missing?.code == "missing_input" && missing.field == "note" && detail.state.value.form != null &&
        a.store.show(caseId).timeline.size == stepsBefore && a.syncStatus().pendingEvents == pendingBefore &&
        detail.state.value.case?.status == Status.REGISTERED)
    detail.dismiss()
    // Dispatch to a department the supervisor picks (not the category's default).
    val dispatch = detail.state.value.actions.first { it.kind == ActionKind.DISPATCH }
    detail.begin(dispatch)
    val form = detail.state.value.form
    val chosen = form?.departments?.firstOrNull { it.id != dispatch.defaultDepartment }?.id
    check("dispatch: the form lists the departments, the default one picked first ($chosen)",
        form != null && chosen != null && form.department == dispatch.defaultDepartment && dispatch.asksForInput)
    detail.edit { it.copy(department = chosen) }
    check("dispatch to the picked department", detail.submit() && detail.state.value.form == null &&
        detail.state.value.case?.status == Status.DISPATCHED)
    a.runSync()
    b.runSync()
    val seen = CaseDetailModel(b, caseId)
    seen.load()
    check("the dispatch reached the server: the other tablet's timeline shows the picked department",
        seen.state.value.case?.timeline?.any { (it.event as? CaseEvent.Dispatched)?.department == chosen && it.sync is SyncState.Synced } == true)
    // More time: an extension of zero is refused by the kit; 30 working days reach the core
    // (the category's own limit, asked for without one, is 2 working hours).
    val postpone = detail.state.value.actions.firstOrNull { it.kind == ActionKind.POSTPONE }
    check("postpone is offered with an extension input", postpone?.inputs?.extend == InputNeed.OPTIONAL)
    if (postpone == null) return
    detail.begin(postpone)
    detail.edit { it.copy(note = "the street is closed for works", extend = TimeLimit.WorkingDays(0u)) }
    val zero = detail.submit()
    check("an extension of zero days is refused by the kit (${detail.state.value.error})",
        !zero && detail.state.value.error?.field == "extend" && detail.state.value.case?.status == Status.DISPATCHED)
    detail.edit { it.copy(extend = TimeLimit.WorkingDays(30u)) }
    val postponedOk = detail.submit()
    val steps = detail.state.value.case?.timeline.orEmpty()
    val dispatched = steps.firstNotNullOfOrNull { it.event as? CaseEvent.Dispatched }
    val postponed = steps.firstNotNullOfOrNull { it.event as? CaseEvent.Postponed }
    check("postponed by the 30 working days asked for", postponedOk && dispatched != null && postponed != null &&
        postponed.deadlineMs - dispatched.deadlineMs >= 20L * 86_400_000)
}

/** The patrol list and detail show the finished patrol [pid] with the figures [done] had. */
suspend fun patrolList(w: GridworkRepository, pid: String, done: PatrolDetail?) {
    // --- Patrol list and detail ---------------------------------------------------------------
    val patrols = PatrolListModel(w, pageSize = 1)
    patrols.reload()
    val firstPage = patrols.state.value.rows.size
    while (!patrols.state.value.endReached && patrols.state.value.error == null) patrols.loadMore()
    val row = patrols.state.value.rows.firstOrNull { it.id == pid }
    check("patrol list: the finished patrol with its figures ($row)", firstPage == 1 && row != null &&
        row.status == PatrolStatus.FINISHED && row.cells == listOf(CELL) && row.finishedAtMs != null &&
        row.distanceM == done?.stats?.distanceM && row.durationS >= 30.0 && row.coverage > 0.0 && row.checkIns == 1 &&
        patrols.state.value.rows.zipWithNext().all { (x, y) -> x.startedAtMs >= y.startedAtMs })
    patrols.open(pid)
    check("patrol detail: its check-in and coverage", patrols.state.value.opened?.checkIns?.singleOrNull()?.note == "at the canal" &&
        patrols.state.value.opened?.coverage?.any { it.cellId == CELL } == true)
}
