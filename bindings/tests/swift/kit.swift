// The iOS kit's pieces below the UI, beside main.swift's scenario: opening a store whose
// key is gone (a restored backup), and the single-flight sync — a second run joins the
// first, cancel aborts the request in flight through URLSessionTransport (a real socket
// that never answers), an idle cancel is harmless.
import Foundation
#if canImport(GridworkKit)
import GridworkKit
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

let keyA = "x'" + String(repeating: "1", count: 64) + "'"
let keyB = "x'" + String(repeating: "2", count: 64) + "'"

func importSample(_ repo: GridworkRepository) throws {
    try repo.importReferenceData(
        gridGeoJson: String(contentsOf: data.appendingPathComponent("kcity-grid.geojson"), encoding: .utf8),
        catalogJson: String(contentsOf: data.appendingPathComponent("kcity-catalog.json"), encoding: .utf8))
}

func files(under url: URL) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: url.path) else { return [] }
    return e.compactMap { $0 as? String }.map { url.appendingPathComponent($0).path }.filter {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: $0, isDirectory: &isDir) && !isDir.boolValue
    }
}

func restoredStore() throws {
    let store = dir.appendingPathComponent("restored")
    do {
        let first = try StoreRecovery.open(directory: store, key: keyA, keyIsNew: true)
        check("a first start discards nothing", !first.discardedUnreadableStore)
        try first.repository.store.`init`(user: "li", role: .worker)
        try importSample(first.repository)
        _ = try first.repository.report(category: "06010", lat: 31.3005, lon: 120.6005,
                                        description: "before the backup", photoPaths: [jpeg(dir, "restored")])
    }
    let photos = files(under: store.appendingPathComponent("photos"))
    check("photos live inside the store folder (excluded from backup with it)", photos.count == 1)
    raises("an existing key that fails is reported, not acted on", { if case .StoreUnavailable = $0 { return true }; return false }) {
        _ = try StoreRecovery.open(directory: store, key: keyB, keyIsNew: false)
    }
    check("nothing deleted for it", photos.allSatisfy { FileManager.default.fileExists(atPath: $0) })
    let opened = try StoreRecovery.open(directory: store, key: keyB, keyIsNew: true)
    let fresh = try opened.repository.identity() == nil
    check("the unreadable store is discarded and a fresh one opens", opened.discardedUnreadableStore && fresh)
    check("its photos are gone with it", photos.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
}

/// A TCP server that accepts and never answers: a request to it hangs like a dead link.
final class BlackHole: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    let accepted = DispatchSemaphore(value: 0)
    init() {
        #if canImport(Glibc)
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let s = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        _ = listen(s, 8)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        fd = s
        port = UInt16(bigEndian: addr.sin_port)
        let accepted = self.accepted
        Thread {
            while true {
                let c = accept(s, nil, nil)
                if c < 0 { break }
                accepted.signal() // held open, never answered
            }
        }.start()
    }
    var url: String { "http://127.0.0.1:\(port)" }
}

/// The kit's transport; when armed, the next pull goes to the black hole instead.
final class Detour: HttpTransport, @unchecked Sendable {
    let inner: URLSessionTransport
    let server: String
    private let lock = NSLock()
    private var hole: String?
    private var _aborts = 0
    var aborts: Int { lock.lock(); defer { lock.unlock() }; return _aborts }
    init(_ inner: URLSessionTransport, server: String) { self.inner = inner; self.server = server }
    func arm(_ url: String) { lock.lock(); hole = url; lock.unlock() }
    func send(request: HttpRequest) throws -> HttpResponse {
        lock.lock()
        var to: String? = nil
        if request.method == "GET" && request.url.contains("/v1/events?") { to = hole; hole = nil }
        lock.unlock()
        guard let to else { return try inner.send(request: request) }
        var r = request
        r.url = to + request.url.dropFirst(server.count)
        return try inner.send(request: r)
    }
    func abort() { lock.lock(); _aborts += 1; lock.unlock(); inner.abort() }
}

final class Once: SyncProgressListener, @unchecked Sendable {
    let heard = DispatchSemaphore(value: 0)
    func onProgress(progress: SyncProgress) { heard.signal() }
}

func singleFlight(_ server: String) throws {
    let env = ProcessInfo.processInfo.environment
    let hole = BlackHole()
    let config = URLSessionConfiguration.ephemeral
    config.timeoutIntervalForRequest = 120
    config.timeoutIntervalForResource = 120
    let transport = Detour(URLSessionTransport(configuration: config), server: server)
    let repo = try GridworkRepository(directory: dir.appendingPathComponent("kit-w").path, transport: transport)
    try importSample(repo)
    try repo.signInToServer(server, user: env["GRIDWORK_WORKER_USER"]!, password: env["GRIDWORK_WORKER_PASSWORD"]!)
    _ = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "single flight (swift kit)")

    transport.arm(hole.url)
    final class Slot: @unchecked Sendable { var report: SyncReport? }
    let first = Slot(), second = Slot()
    let done = DispatchSemaphore(value: 0)
    Thread { first.report = try? repo.syncNow(); done.signal() }.start()
    check("the first run's pull reached a server that never answers", hole.accepted.wait(timeout: .now() + 60) == .success)
    check("a run is active", repo.isSyncing)
    let once = Once()
    Thread { second.report = try? repo.sync.run(progress: once); done.signal() }.start()
    check("a second run joins the first (hears its progress)", once.heard.wait(timeout: .now() + 60) == .success)
    repo.cancelSync()
    _ = done.wait(timeout: .now() + 60)
    _ = done.wait(timeout: .now() + 60)
    check("cancel aborted the request in flight", transport.aborts == 1 && transport.inner.inFlightCount == 0)
    check("the active run was cancelled (\(String(describing: first.report?.state)): \(first.report?.error ?? "-"))",
          first.report?.state == .cancelled)
    check("the joined caller got the same report", second.report == first.report && first.report?.pushed == 1)
    let s = try repo.syncStatus()
    check("a cancel is not a failure", s.state == .cancelled && s.consecutiveFailures == 0 && s.lastError == nil)
    check("not running after", !repo.isSyncing)
    repo.cancelSync() // idle
    check("an idle cancel does not reach the transport", transport.aborts == 1)
    let next = try repo.syncNow()
    check("the next run syncs (\(next.error ?? "-"))", next.state == .synced)
}

/// A background launch: nothing opened the store; the task handler's runner does.
func backgroundLaunch(_ server: String) throws {
    let env = ProcessInfo.processInfo.environment
    let path = dir.appendingPathComponent("bg-w").path
    // The app ran before: signed in, one report waiting. Then it was killed.
    do {
        let repo = try GridworkRepository(directory: path)
        try importSample(repo)
        try repo.signInToServer(server, user: env["GRIDWORK_WORKER_USER"]!, password: env["GRIDWORK_WORKER_PASSWORD"]!)
        _ = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "background (swift kit)")
    }
    final class Opens: @unchecked Sendable { var n = 0 }
    let opens = Opens()
    let shared = SharedRepository { opens.n += 1; return try GridworkRepository(directory: path) }
    check("not open before the task", shared.ifOpen == nil)
    let now = Date()
    let outcome = BackgroundSyncRunner.run(shared, now: now)
    check("the task opened the store and synced (\(String(describing: outcome.state)))",
          opens.n == 1 && outcome.success && outcome.state == .synced)
    check("the next task is asked for 15 minutes on", outcome.next == now.addingTimeInterval(15 * 60))
    check("nothing left to push", try shared.get().syncStatus().pendingEvents == 0 && opens.n == 1)
    BackgroundSyncRunner.expire(shared) // idle: harmless
    check("a second task reuses the open store", BackgroundSyncRunner.run(shared).success && opens.n == 1)

    let signedOut = SharedRepository { try GridworkRepository(directory: dir.appendingPathComponent("bg-none").path) }
    let none = BackgroundSyncRunner.run(signedOut)
    check("not signed in: nothing to do, not a failure", none.success && none.state == nil)
    struct Unopenable: Error {}
    let broken = SharedRepository { throw Unopenable() }
    check("a store that does not open: unsuccessful, next task still scheduled", !BackgroundSyncRunner.run(broken).success)
}

/// The phone API through the kit's async calls, offline: actions, typed timeline, grid,
/// datums, errors with codes, my cases paged, and the observers as AsyncStreams.
func phoneApi() async throws {
    let repo = try GridworkRepository(directory: dir.appendingPathComponent("phone").path)
    check("a fresh store needs a sign-in first", try repo.needsSignIn())
    try repo.store.`init`(user: "li", role: .worker)
    try importSample(repo)
    var changes = repo.caseChanges().makeAsyncIterator()
    let id = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "phone api (swift)",
                             photoPaths: [jpeg(dir, "phone-before")])
    check("the write reached the stream", await changes.next() == [id])
    let actions = try await repo.availableActions(caseId: id)
    check("a worker may fix a fresh report on the spot, with a photo",
          actions.map(\.kind) == [.selfResolve] && actions.first?.inputs.photos == .required)
    do {
        try await repo.takeAction(caseId: id, ActionRequest(kind: .selfResolve))
        check("a missing photo is refused", false)
    } catch let e as GridworkError {
        check("a missing photo has a code and a field (\(e.info))", e.info.code == "missing_photo" && e.info.field == "photos")
    }
    let done = try await repo.takeAction(caseId: id, ActionRequest(kind: .selfResolve, note: "swept",
                                                                 photos: [jpeg(dir, "phone-after")]))
    check("closed on the spot", done.status == .closed)
    check("and nothing more to do", try await repo.availableActions(caseId: id).isEmpty)
    let events = done.timeline.map(\.event)
    if case let .reported(_, description, _, _, _, _, cell, _) = events[0],
       case let .selfResolved(note, photos) = events[1] {
        check("typed timeline entries", description == "phone api (swift)" && cell == "32050800200401" &&
              note == "swept" && photos.count == 1 && FileManager.default.fileExists(atPath: photos[0].path))
    } else {
        check("typed timeline entries (\(events))", false)
    }

    let cells = try await repo.cells()
    let here = try await repo.cellAt(lat: 31.3005, lon: 120.6005)
    let outer = here?.rings.first ?? []
    check("the grid with its rings", cells.count == 60 && here?.code == "32050800200401" &&
          outer.count >= 4 && outer.first == outer.last)
    check("outside the grid", try await repo.cellAt(lat: 0, lon: 0) == nil)
    let myCells = try await repo.myCells()
    let tasks = try await repo.verificationTasks()
    check("no scope before a sign-in", myCells.isEmpty && tasks.isEmpty)
    raises("a NaN latitude names the field", { $0.info.field == "lat" && $0.info.code == "invalid_coordinate" }) {
        _ = try repo.store.cellAt(lat: .nan, lon: 120)
    }

    let p = GeoPoint(lat: 31.3005, lon: 120.6005)
    let gcj = MapDatum.toGcj02(p)
    let back = MapDatum.fromGcj02(gcj)
    check("GCJ-02 shifts and comes back", abs(gcj.lon - p.lon) > 0.001 && abs(back.lat - p.lat) < 1e-6 && abs(back.lon - p.lon) < 1e-6)
    check("BD-09 comes back", abs(MapDatum.fromBd09(MapDatum.toBd09(p)).lon - p.lon) < 1e-6)

    for n in 0..<3 { _ = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "mine \(n)") }
    let first = try await repo.myCasesPage(limit: 2)
    let second = try await repo.myCasesPage(after: first.next, limit: 2)
    check("my cases paged in SQL", first.items.count == 2 && second.items.count == 2 && second.next == nil &&
          Set((first.items + second.items).map(\.id)).count == 4)

    var patrols = repo.patrolChanges().makeAsyncIterator()
    let patrol = try repo.store.startPatrol(cells: ["32050800200401"])
    try repo.store.pausePatrol(id: patrol)
    try repo.store.finishPatrol(id: patrol)
    var heard: [PatrolEvent] = []
    for _ in 0..<3 { if let e = await patrols.next() { heard.append(e) } }
    check("patrol state as a stream", heard == [PatrolEvent(patrolId: patrol, change: .started),
                                               PatrolEvent(patrolId: patrol, change: .paused),
                                               PatrolEvent(patrolId: patrol, change: .finished)])
    var states = repo.syncStates().makeAsyncIterator()
    check("sync state before sign-in", await states.next() == .notSignedIn)
}

/// Answers 401 to everything once armed, as a server does for a revoked token.
final class Revoking: HttpTransport, @unchecked Sendable {
    let inner: URLSessionTransport
    private let lock = NSLock()
    private var refuse = false
    init(_ inner: URLSessionTransport) { self.inner = inner }
    func arm() { lock.lock(); refuse = true; lock.unlock() }
    func send(request: HttpRequest) throws -> HttpResponse {
        lock.lock(); let r = refuse; lock.unlock()
        if r {
            return HttpResponse(status: 401, headers: [HttpHeader(name: "Content-Type", value: "application/json"),
                                          HttpHeader(name: "Gridwork-Protocol", value: "1")],
                                body: Data(#"{"error":{"code":"unauthorized","message":"token revoked"}}"#.utf8))
        }
        return try inner.send(request: request)
    }
    func abort() { inner.abort() }
}

/// Sign in first on a fresh store (no placeholder user, no bundled city), then the states.
func signInFirst(_ server: String) async throws {
    let env = ProcessInfo.processInfo.environment
    let transport = Revoking(URLSessionTransport())
    let repo = try GridworkRepository(directory: dir.appendingPathComponent("first-run").path, transport: transport)
    check("a fresh store: sign in first", try repo.needsSignIn())
    var states = repo.syncStates().makeAsyncIterator()
    check("not signed in", await states.next() == .notSignedIn)
    try await repo.signIn(server: server, user: env["GRIDWORK_WORKER_USER"]!, password: env["GRIDWORK_WORKER_PASSWORD"]!)
    check("the account became the store's user", try repo.identity()?.user == env["GRIDWORK_WORKER_USER"])
    if case .idle = await states.next() { check("idle after sign-in", true) } else { check("idle after sign-in", false) }
    let report = try await repo.runSync()
    let categories = try repo.categories()
    let allCells = try repo.store.cells()
    check("the first run brings the city (\(report.error ?? "-"))", report.state == .synced &&
          !categories.isEmpty && allCells.count == 60)
    if case .syncing = await states.next() { check("syncing while it runs", true) } else { check("syncing while it runs", false) }
    _ = await states.next() // idle again
    let mine = try await repo.myCells()
    check("my cells are the account's scope", !mine.isEmpty && mine.count < 60 && mine.allSatisfy { $0.code.hasPrefix("320508002") })
    transport.arm()
    let refused = try await repo.runSync()
    check("a revoked token: sign in required", refused.state == .signInRequired)
    _ = await states.next() // syncing
    if case .signInRequired = await states.next() {
        check("the stream shows the distinct sign-in-required state", true)
    } else {
        check("the stream shows the distinct sign-in-required state", false)
    }
}
