// The app's one handle on the gridwork core: owns the process's single GridworkStore and
// offers blocking wrappers for the screens plus `async` helpers that run them off the main
// actor. Foundation only (no UIKit, SwiftUI or CoreLocation), so CI compiles and runs it
// with the generated bindings on Linux (bindings/tests/swift).
import Foundation

/// Every method except the `async` ones and `observe` BLOCKS on SQLite: call it off the
/// main thread, or use `run { ... }` which hops to a detached task. Open one repository per
/// process and keep it for the app's lifetime; the store closes when the last reference
/// goes. Errors are the generated `GridworkError` cases.
public final class GridworkRepository: @unchecked Sendable {
    /// Largest page the core serves.
    public static let maxPage: UInt32 = 500

    /// The generated store object, for calls this class does not wrap.
    public let store: GridworkStore
    /// The store's sync client (through `transport`, or the core's built-in HTTP client).
    public let sync: GridworkSync

    /// Opens (creating if needed) the store folder `directory`, encrypted (SQLCipher) with
    /// `encryptionKey` when given; a wrong key throws `GridworkError.StoreUnavailable`.
    /// `transport` is the HTTP stack sync uses (the app passes a `URLSessionTransport`);
    /// nil uses the core's built-in client.
    public init(directory: String, encryptionKey: String? = nil, transport: HttpTransport? = nil) throws {
        store = try GridworkStore.open(path: directory, encryptionKey: encryptionKey)
        sync = try GridworkSync(store: store, transport: transport)
    }

    /// Runs `body` on a detached task (off the main actor) and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable (GridworkRepository) throws -> T) async throws -> T {
        try await Task.detached(priority: .userInitiated) { try body(self) }.value
    }

    /// Who is signed in on this device, or nil before the first sign-in
    /// (`signInToServer` or the async `signIn` in PhoneApi.swift): the app shows its sign-in
    /// screen first and the core adopts the server's account as the store's user — there is
    /// no placeholder user.
    public func identity() throws -> Identity? { try store.identity() }

    /// Imports the grid (GeoJSON text) and the catalogue (JSON text); returns the counts.
    @discardableResult
    public func importReferenceData(gridGeoJson: String, catalogJson: String) throws -> (cells: UInt32, categories: UInt32) {
        (try store.importGrid(geojson: gridGeoJson), try store.importCatalog(json: catalogJson))
    }

    /// The catalogue's categories, for the report screen's picker.
    public func categories() throws -> [Category] { try store.categories() }

    /// Reports a problem at a WGS-84 position with photo files (paths the app can read);
    /// returns the new case id.
    public func report(category: String, lat: Double, lon: Double, description: String,
                       photoPaths: [String] = [], accuracyM: Double? = nil,
                       urgency: Urgency = .normal, patrolId: String? = nil) throws -> String {
        try store.report(draft: ReportDraft(
            category: category, lat: lat, lon: lon, description: description,
            urgency: urgency, accuracyM: accuracyM, photos: photoPaths, patrolId: patrolId))
    }

    /// Every case matching `filter`, newest first, fetched page by page.
    public func cases(_ filter: CaseFilter = CaseFilter()) throws -> [CaseSummary] {
        var out: [CaseSummary] = []
        var after: PageCursor? = nil
        repeat {
            let page = try store.list(filter: filter, after: after, limit: Self.maxPage)
            out += page.items
            after = page.next
        } while after != nil
        return out
    }

    /// The cases the signed-in user reported, for the "my cases" screen.
    /// Paged in SQL by the core (`myCases`); a screen shows one page at a time with
    /// `myCasesPage`.
    public func myCases() throws -> [CaseSummary] {
        var out: [CaseSummary] = []
        var after: PageCursor? = nil
        repeat {
            let page = try store.myCases(after: after, limit: Self.maxPage)
            out += page.items
            after = page.next
        } while after != nil
        return out
    }

    /// A case with its timeline.
    public func caseDetail(id: String) throws -> CaseDetail { try store.show(id: id) }

    /// Takes a workflow action, optionally in another role; returns the case as it stands.
    @discardableResult
    public func act(id: String, _ kind: ActionKind, note: String? = nil, department: String? = nil,
                    photoPaths: [String] = [], asRole: Role? = nil) throws -> CaseDetail {
        try store.act(id: id, request: ActionRequest(
            kind: kind, note: note, department: department, photos: photoPaths, asRole: asRole))
    }

    /// Cases per status (every status, zeros included).
    public func counts(_ filter: CaseFilter = CaseFilter()) throws -> [Status: UInt64] {
        Dictionary(uniqueKeysWithValues: try store.counts(filter: filter).map { ($0.status, $0.count) })
    }

    /// Calls `listener` with the ids of changed cases after each write made through this
    /// store (an empty list: reference data changed). It runs on the writing thread: hop to
    /// the main actor before touching UI. Cancel the returned token to stop.
    public func observe(_ listener: @escaping @Sendable ([String]) -> Void) -> ObservationToken {
        let id = store.addObserver(observer: ClosureObserver(listener))
        return ObservationToken { [store] in _ = store.removeObserver(token: id) }
    }

    /// Stops a long read running on another thread (it throws `Interrupted`).
    public func interrupt() { store.interrupt() }

    // MARK: Patrols

    /// Starts a patrol of `cells` (or takes up the one left open, e.g. after the app was
    /// killed) and returns a recorder batching fixes into it every `batchSeconds`.
    public func startPatrol(cells: [String], batchSeconds: Double = 10,
                            onBatch: @escaping @Sendable (Result<FixBatchReport, Error>) -> Void = { _ in }) throws -> PatrolRecorder {
        let id = try store.openPatrol() ?? store.startPatrol(cells: cells)
        return PatrolRecorder(store: store, patrolId: id, batchSeconds: batchSeconds, onBatch: onBatch)
    }

    /// Flushes the recorder's last fixes and finishes its patrol; returns the figures.
    public func finishPatrol(_ recorder: PatrolRecorder) throws -> PatrolDetail {
        recorder.close()
        try store.finishPatrol(id: recorder.patrolId)
        return try store.patrol(id: recorder.patrolId)
    }

    // MARK: Sync (every call blocks on the network: call off the main actor)

    /// Signs the store's user in to `server` with a password (the token is kept).
    @discardableResult
    public func signInToServer(_ server: String, user: String, password: String) throws -> SignedIn {
        try sync.loginWithPassword(server: server, user: user, password: password)
    }

    /// Signs in with a token the operator issued.
    @discardableResult
    public func signInWithToken(_ server: String, token: String) throws -> SignedIn {
        try sync.loginWithToken(server: server, token: token)
    }

    /// One sync run; `onProgress` runs on the syncing thread after each batch and page.
    /// Single-flight: called while a run is active (a background task, another screen) it
    /// joins that run — `onProgress` hears its latest update at once — and returns its report.
    @discardableResult
    public func syncNow(onProgress: (@Sendable (SyncProgress) -> Void)? = nil) throws -> SyncReport {
        try sync.run(progress: onProgress.map { ClosureProgress($0) })
    }

    /// The stored sync status (no network).
    public func syncStatus() throws -> SyncStatus { try sync.status() }

    /// Stops the active run from any thread, whoever started it: the request in flight is
    /// aborted through the transport (`URLSessionTransport.abort` cancels its task) and the
    /// run returns `.cancelled`, keeping every batch it finished. Does nothing when idle.
    public func cancelSync() { sync.cancel() }

    /// Whether a sync run is active now (a `syncNow` would join it).
    public var isSyncing: Bool { sync.isRunning() }
}

/// A `SyncProgressListener` that forwards to a closure.
final class ClosureProgress: SyncProgressListener, @unchecked Sendable {
    private let f: @Sendable (SyncProgress) -> Void
    init(_ f: @escaping @Sendable (SyncProgress) -> Void) { self.f = f }
    func onProgress(progress: SyncProgress) { f(progress) }
}

/// A `StoreObserver` that forwards to a closure.
final class ClosureObserver: StoreObserver, @unchecked Sendable {
    private let listener: @Sendable ([String]) -> Void
    init(_ listener: @escaping @Sendable ([String]) -> Void) { self.listener = listener }
    func onCasesChanged(caseIds: [String]) { listener(caseIds) }
}

/// Keeps an observer registered until `cancel()` (or until it is released).
public final class ObservationToken: @unchecked Sendable {
    private var onCancel: (() -> Void)?
    private let lock = NSLock()
    init(_ onCancel: @escaping () -> Void) { self.onCancel = onCancel }
    /// Removes the observer; later calls do nothing.
    public func cancel() {
        lock.lock()
        let f = onCancel
        onCancel = nil
        lock.unlock()
        f?()
    }
    deinit { cancel() }
}
