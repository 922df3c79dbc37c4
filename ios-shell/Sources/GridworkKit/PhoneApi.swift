// The phone API for the screens, with Swift concurrency: async wrappers that run the
// blocking core calls off the main actor, AsyncStreams for case changes, patrol state and
// sync status, the sign-in-first flow, the map datums and the errors' stable codes.
// Foundation only, compiled and tested on Linux (bindings/tests/swift/kit.swift). See
// docs/mobile.md, "Phone API".
import Foundation

extension GridworkRepository {
    // MARK: Sign in first

    /// Signs in to `server` with a password. On a fresh store the core adopts the account
    /// (user and role) as the store's identity: nothing is recorded before this. A store of
    /// another user is refused (`SignInRequired`, code `wrong_user`) and keeps its work.
    @discardableResult
    public func signIn(server: String, user: String, password: String) async throws -> SignedIn {
        try await run { try $0.signInToServer(server, user: user, password: password) }
    }

    /// Whether the app must show the sign-in screen first (no identity: nothing to record as).
    public func needsSignIn() throws -> Bool { try identity() == nil }

    // MARK: Cases

    /// The actions the signed-in user may take on `caseId` now, with the inputs each needs.
    public func availableActions(caseId: String) async throws -> [AvailableAction] {
        try await run { try $0.store.availableActions(id: caseId) }
    }

    /// Takes one of `availableActions` (its `kind` in `request`); the case as it now stands.
    @discardableResult
    public func takeAction(caseId: String, _ request: ActionRequest) async throws -> CaseDetail {
        try await run { try $0.store.act(id: caseId, request: request) }
    }

    /// One page of the signed-in user's own cases (paged in SQL); pass the last page's `next`.
    public func myCasesPage(after: PageCursor? = nil, limit: UInt32 = 50) async throws -> CasePage {
        try await run { try $0.store.myCases(after: after, limit: limit) }
    }

    /// The signed-in worker's verification tasks (handled cases to check on site).
    public func verificationTasks() async throws -> [CaseSummary] {
        try await run { try $0.store.verificationTasks() }
    }

    // MARK: The grid

    /// Every cell with its rings (WGS-84), for the map.
    public func cells() async throws -> [GridCell] { try await run { try $0.store.cells() } }

    /// The signed-in account's cells, for the patrol's cell picker.
    public func myCells() async throws -> [GridCell] { try await run { try $0.store.myCells() } }

    /// The cell a WGS-84 point lies in, or nil outside the grid.
    public func cellAt(lat: Double, lon: Double) async throws -> GridCell? {
        try await run { try $0.store.cellAt(lat: lat, lon: lon) }
    }

    // MARK: Observers as AsyncSequences

    /// The ids of the cases each write or sync changed (empty: reference data changed).
    public func caseChanges() -> AsyncStream<[String]> {
        AsyncStream { continuation in
            let token = observe { continuation.yield($0) }
            continuation.onTermination = { _ in token.cancel() }
        }
    }

    /// Patrol starts, pauses, resumes, finishes, fix batches and check-ins.
    public func patrolChanges() -> AsyncStream<PatrolEvent> {
        AsyncStream { continuation in
            let id = store.addPatrolObserver(observer: ClosurePatrolObserver { continuation.yield($0) })
            continuation.onTermination = { [store] _ in _ = store.removePatrolObserver(token: id) }
        }
    }

    /// The sync row's state: the current one first, then after every run start and end
    /// (push-only runs included), sign-in and sign-out.
    public func syncStates() -> AsyncStream<SyncUiState> {
        AsyncStream { continuation in
            let id = sync.addStatusObserver(observer: ClosureStatusObserver {
                continuation.yield(SyncUiState($0, running: $1))
            })
            continuation.onTermination = { [sync] _ in _ = sync.removeStatusObserver(token: id) }
        }
    }

    /// One sync run off the main actor (joins an active one).
    @discardableResult
    public func runSync() async throws -> SyncReport { try await run { try $0.syncNow() } }
}

/// One patrol change: which patrol and what happened.
public struct PatrolEvent: Equatable, Sendable {
    /// The patrol's id.
    public let patrolId: String
    /// What happened.
    public let change: PatrolChange

    public init(patrolId: String, change: PatrolChange) {
        self.patrolId = patrolId
        self.change = change
    }
}

/// What the sync row shows. `.signInRequired` is distinct: the token expired or was revoked.
public enum SyncUiState: Equatable, Sendable {
    /// Never signed in on this device: show the sign-in screen.
    case notSignedIn
    /// The server refused the token: ask the user to sign in again; nothing is retried.
    case signInRequired(SyncStatus)
    /// A run is active.
    case syncing(SyncStatus)
    /// Idle: synced, pending work, a retry scheduled, cancelled or a problem to show.
    case idle(SyncStatus)

    /// The state for a status, and whether a run is active.
    public init(_ status: SyncStatus, running: Bool) {
        if status.state == .signInRequired {
            self = .signInRequired(status)
        } else if running {
            self = .syncing(status)
        } else if !status.signedIn {
            self = .notSignedIn
        } else {
            self = .idle(status)
        }
    }
}

/// Map datums: what a Chinese base map (GCJ-02, or Baidu's BD-09) needs, and back.
public enum MapDatum {
    /// WGS-84 (GPS, the store) to GCJ-02 (Apple Maps in China, AMap).
    public static func toGcj02(_ p: GeoPoint) -> GeoPoint { wgs84ToGcj02(point: p) }
    /// A point picked on a GCJ-02 map back to WGS-84 (before `report`).
    public static func fromGcj02(_ p: GeoPoint) -> GeoPoint { gcj02ToWgs84(point: p) }
    /// WGS-84 to BD-09 (Baidu).
    public static func toBd09(_ p: GeoPoint) -> GeoPoint { wgs84ToBd09(point: p) }
    /// BD-09 back to WGS-84.
    public static func fromBd09(_ p: GeoPoint) -> GeoPoint { bd09ToWgs84(point: p) }
}

/// An error's stable code (translate by it), the input field it is about, and the text.
public struct ErrorInfo: Equatable, Sendable {
    /// The stable code (`missing_reason`, `invalid_input`, `unauthorized` …).
    public let code: String
    /// The input it is about (`note`, `photos`, `lat` …), when it is about one.
    public let field: String?
    /// The English message.
    public let detail: String
}

extension GridworkError {
    /// The code, field and message of a core error.
    public var info: ErrorInfo {
        switch self {
        case let .InvalidInput(code, field, detail), let .NotPermitted(code, field, detail),
             let .Workflow(code, field, detail), let .NotFound(code, field, detail),
             let .NotInitialized(code, field, detail), let .UnknownCategory(code, field, detail),
             let .Photo(code, field, detail), let .StoreUnavailable(code, field, detail),
             let .EncryptionUnavailable(code, field, detail), let .Interrupted(code, field, detail),
             let .Network(code, field, detail), let .SignInRequired(code, field, detail),
             let .IncompatibleServer(code, field, detail), let .DeviceConflict(code, field, detail),
             let .Internal(code, field, detail):
            return ErrorInfo(code: code, field: field, detail: detail)
        }
    }
}

/// A `PatrolObserver` that forwards to a closure.
final class ClosurePatrolObserver: PatrolObserver, @unchecked Sendable {
    private let f: @Sendable (PatrolEvent) -> Void
    init(_ f: @escaping @Sendable (PatrolEvent) -> Void) { self.f = f }
    func onPatrolChanged(patrolId: String, change: PatrolChange) {
        f(PatrolEvent(patrolId: patrolId, change: change))
    }
}

/// A `SyncStatusObserver` that forwards to a closure.
final class ClosureStatusObserver: SyncStatusObserver, @unchecked Sendable {
    private let f: @Sendable (SyncStatus, Bool) -> Void
    init(_ f: @escaping @Sendable (SyncStatus, Bool) -> Void) { self.f = f }
    func onSyncStatus(status: SyncStatus, running: Bool) { f(status, running) }
}
