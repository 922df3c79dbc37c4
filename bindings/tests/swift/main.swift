// End-to-end scenario through the generated Swift bindings and the iOS shell's
// GridworkRepository (the same scenario as the Python and Kotlin tests), compiled and run in
// the Linux Swift chroot by .ci/run-binding-tests.sh.
import Foundation

var passed = 0
var failed = 0

func check(_ name: String, _ ok: Bool) {
    if ok { passed += 1; print("ok: \(name)") } else { failed += 1; print("FAIL: \(name)") }
}

func raises(_ name: String, _ matches: (GridworkError) -> Bool, _ body: () throws -> Void) {
    do {
        try body()
        check("\(name) (no error)", false)
    } catch let e as GridworkError {
        check("\(name) (\(e))", matches(e))
    } catch {
        check("\(name) (unexpected \(error))", false)
    }
}

func jpeg(_ dir: URL, _ tag: String) -> String {
    let url = dir.appendingPathComponent("\(tag).jpg")
    _ = FileManager.default.createFile(atPath: url.path, contents: Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data(tag.utf8))
    return url.path
}

final class Recorder: StoreObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _calls: [[String]] = []
    var calls: [[String]] { lock.lock(); defer { lock.unlock() }; return _calls }
    func onCasesChanged(caseIds: [String]) { lock.lock(); _calls.append(caseIds); lock.unlock() }
}

final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var _items: [[String]] = []
    var items: [[String]] { lock.lock(); defer { lock.unlock() }; return _items }
    func add(_ x: [String]) { lock.lock(); _items.append(x); lock.unlock() }
}

let data = URL(fileURLWithPath: ProcessInfo.processInfo.environment["GRIDWORK_DATA_DIR"] ?? "data")
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gridwork-swift-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }

func scenario() async throws {
    let repo = try GridworkRepository(directory: dir.appendingPathComponent("store").path)
    check("identity before init is nil", try repo.identity() == nil)
    try repo.signIn(user: "li", role: .worker, deviceId: "phone-1")
    let imported = try repo.importReferenceData(
        gridGeoJson: String(contentsOf: data.appendingPathComponent("kcity-grid.geojson"), encoding: .utf8),
        catalogJson: String(contentsOf: data.appendingPathComponent("kcity-catalog.json"), encoding: .utf8))
    check("imports", imported.cells == 60 && imported.categories > 0)
    let department = try repo.categories().first { $0.code == "06010" }!.department
    check("departments", try repo.store.departments().contains { $0.id == department })

    let recorder = Recorder()
    let token = repo.store.addObserver(observer: recorder)
    let changes = Box()
    let observation = repo.observe { changes.add($0) }

    // Off the main actor, as a screen would.
    let before = jpeg(dir, "before")
    let id = try await repo.run {
        try $0.report(category: "06010", lat: 31.3005, lon: 120.6005,
                      description: "暴露垃圾 by the canal", photoPaths: [before])
    }
    check("observer got the new case", recorder.calls == [[id]] && changes.items == [[id]])

    let page = try repo.store.list(filter: CaseFilter(), after: nil, limit: 50)
    check("list", page.items.map { $0.id } == [id] && page.next == nil)
    let row = page.items[0]
    check("row", row.status == .reported && (row.cell ?? "").hasPrefix("320508") && !row.overdue)
    check("my cases", try repo.myCases().map { $0.id } == [id])

    raises("a worker may not register", { if case .NotPermitted = $0 { return true }; return false }) {
        try repo.act(id: id, .register)
    }
    try repo.act(id: id, .register, asRole: .supervisor)
    let dispatched = try repo.act(id: id, .dispatch, department: department, asRole: .supervisor)
    check("dispatched with a deadline", dispatched.status == .dispatched && dispatched.deadlineMs != nil)
    try repo.act(id: id, .handle, note: "cleared", photoPaths: [jpeg(dir, "after")], asRole: .handler)
    _ = try repo.store.act(id: id, request: ActionRequest(kind: .verifyPass))
    let closed = try repo.act(id: id, .close, asRole: .supervisor)

    check("closed", closed.status == .closed && closed.resolution == .closed)
    check("timeline kinds", closed.timeline.map { $0.kind } == [
        "incident.reported", "incident.registered", "incident.dispatched",
        "incident.handled", "incident.verified", "incident.closed"])
    check("timeline roles", closed.timeline.map { $0.actor.role } == [
        .worker, .supervisor, .supervisor, .handler, .worker, .supervisor])
    check("timeline pending sync", closed.timeline.allSatisfy { $0.sync == .pending })
    check("photos in the store", closed.photos.count == 2
        && closed.photos.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
    check("show equals act's answer", try repo.caseDetail(id: id) == closed)
    let counts = try repo.counts()
    check("counts", counts[.closed] == 1 && counts[.reported] == 0)
    check("log intact", try repo.store.verifyLog().intact)
    check("observer saw every write", recorder.calls == Array(repeating: [id], count: 6))

    check("remove observer", repo.store.removeObserver(token: token) && !repo.store.removeObserver(token: token))
    observation.cancel()
    _ = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "second")
    check("removed observers are not called", recorder.calls.count == 6 && changes.items.count == 6)

    // Bad input: typed errors, nothing written.
    let count = try repo.cases().count
    raises("NaN latitude", { if case .InvalidInput = $0 { return true }; return false }) {
        _ = try repo.report(category: "06010", lat: .nan, lon: 120.6005, description: "nan")
    }
    raises("unknown category", { if case .UnknownCategory = $0 { return true }; return false }) {
        _ = try repo.report(category: "99999", lat: 31.3005, lon: 120.6005, description: "x")
    }
    raises("missing photo", { if case .Photo = $0 { return true }; return false }) {
        _ = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "x",
                            photoPaths: [dir.appendingPathComponent("missing.jpg").path])
    }
    check("nothing written by refused reports", try repo.cases().count == count)
    raises("bad case id", { if case .InvalidInput = $0 { return true }; return false }) {
        _ = try repo.caseDetail(id: "not-a-case-id")
    }
    raises("unknown case", { if case .NotFound = $0 { return true }; return false }) {
        _ = try repo.caseDetail(id: "0190a4e1-0000-7000-8000-000000000000")
    }
    raises("encryption key refused", { if case .EncryptionUnavailable = $0 { return true }; return false }) {
        _ = try GridworkRepository(directory: dir.appendingPathComponent("enc").path, encryptionKey: "secret")
    }
}

do {
    try await scenario()
} catch {
    check("scenario threw \(error)", false)
}
print("swift: \(passed) passed, \(failed) failed")
exit(failed == 0 && passed > 0 ? 0 : 1)
