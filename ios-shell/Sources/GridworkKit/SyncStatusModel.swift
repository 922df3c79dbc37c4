// The sync screen's state: the engine's state folded as the kit's `SyncUiState` (not signed
// in, syncing, idle, the distinct sign-in required), heard from the status observer — so a
// run started elsewhere (a background task, the push after a report) shows too —, the
// progress of a run started here (phase, done of total), its report, the cases with steps
// the server refused and those with conflicts, and cancel. Foundation only, tested in
// bindings/tests/swift/screens.swift.
import Foundation

/// What the sync screen shows.
@MainActor
public final class SyncStatusModel: StateHolder {
    /// The engine's state as the screen shows it.
    public private(set) var ui: SyncUiState = .notSignedIn { didSet { changed() } }
    /// The last progress of the run started here (nil when none is running).
    public private(set) var progress: SyncProgress? { didSet { changed() } }
    /// The phases the last run went through, in order (push, upload, pull).
    public private(set) var phases: [SyncPhase] = [] { didSet { changed() } }
    /// The last run's report.
    public private(set) var lastReport: SyncReport? { didSet { changed() } }
    /// Runs heard ending since the screen opened, wherever they were started.
    public private(set) var runsHeard = 0 { didSet { changed() } }
    /// Cases with a step the server refused.
    public private(set) var rejected: [CaseSummary] = [] { didSet { changed() } }
    /// Cases with conflicting steps (two devices acted on the same state).
    public private(set) var conflicts: [CaseSummary] = [] { didSet { changed() } }
    /// A local failure (the store, not the network: a network failure is in the status).
    public private(set) var error: ErrorInfo? { didSet { changed() } }

    public override init(repo: GridworkRepository) { super.init(repo: repo) }

    /// The current status.
    public var status: SyncStatus? {
        switch ui {
        case .notSignedIn: return nil
        case let .signInRequired(s), let .syncing(s), let .idle(s): return s
        }
    }

    /// Reads the status and the refused and conflicting cases.
    public func load() async {
        do {
            let (status, running, rejected, conflicts) = try await repo.run { repo in
                (try repo.syncStatus(), repo.isSyncing, try repo.cases(CaseFilter(rejected: true)),
                 try repo.cases().filter { $0.conflictCount > 0 })
            }
            ui = SyncUiState(status, running: running)
            self.rejected = rejected
            self.conflicts = conflicts
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// Follows the status observer until the calling task is cancelled: every run start and
    /// end (push-only runs and background runs included), sign-in and sign-out.
    public func observe() async {
        var wasSyncing = false
        for await state in repo.syncStates() {
            ui = state
            if case .syncing = state {
                wasSyncing = true
            } else if wasSyncing {
                wasSyncing = false
                runsHeard += 1
                await load()
            }
        }
    }

    /// One run now (joins an active one), with progress.
    public func syncNow() async {
        let box = PhaseBox()
        progress = nil
        phases = []
        if let s = status { ui = .syncing(s) }
        do {
            let report = try await repo.run { repo in
                try repo.syncNow { p in
                    box.add(p)
                    Task { @MainActor [weak self] in self?.progress = p }
                }
            }
            phases = box.phases
            lastReport = report
            progress = nil
            await load()
        } catch {
            self.error = ErrorInfo(error)
            await load()
        }
    }

    /// Cancels the active run, whoever started it (its request in flight is aborted).
    public func cancel() { repo.cancelSync() }
}

/// The phases a run's listener heard, from the syncing thread.
private final class PhaseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [SyncPhase] = []
    func add(_ p: SyncProgress) {
        lock.lock()
        if seen.last != p.phase { seen.append(p.phase) }
        lock.unlock()
    }
    var phases: [SyncPhase] { lock.lock(); defer { lock.unlock() }; return seen }
}
