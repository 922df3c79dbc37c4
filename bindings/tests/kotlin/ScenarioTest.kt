// End-to-end scenario through the generated Kotlin bindings and the Android shell's
// GridworkRepository (the same scenario as the Python and Swift tests), run on a desktop
// JVM with JNA by .ci/run-binding-tests.sh.
import org.gridwork.ffi.*
import org.gridwork.kit.GridworkRepository
import java.io.File
import java.nio.file.Files
import kotlin.system.exitProcess

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
    } finally {
        dir.deleteRecursively()
    }
    println("kotlin: $passed passed, $failed failed")
    if (failed > 0 || passed == 0) exitProcess(1)
}

fun scenario(data: File, dir: File) {
    GridworkRepository.open(File(dir, "store").path).use { repo ->
        check("identity before init is null", repo.identity() == null)
        repo.signIn("li", Role.WORKER, "phone-1")
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
    raises<GridworkException.EncryptionUnavailable>("encryption key refused") {
        GridworkRepository.open(File(dir, "enc").path, "secret")
    }
}
