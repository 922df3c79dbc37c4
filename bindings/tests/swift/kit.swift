// The iOS kit's pieces below the UI, beside main.swift's scenario: opening a store whose
// key is gone (a restored backup), and the single-flight sync — a second run joins the
// first, cancel aborts the request in flight through URLSessionTransport (a real socket
// that never answers), an idle cancel is harmless.
import Foundation
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
        try first.repository.signIn(user: "li", role: .worker)
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
    try repo.signIn(user: env["GRIDWORK_WORKER_USER"]!, role: .worker)
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
        try repo.signIn(user: env["GRIDWORK_WORKER_USER"]!, role: .worker)
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
