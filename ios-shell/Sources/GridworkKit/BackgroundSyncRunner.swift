// What a background sync task does, without BackgroundTasks (so CI runs it on Linux):
// the app's BGAppRefreshTask and BGProcessingTask handlers call `run`, which opens the
// store itself when the system launched the app only for the task (no scene, no UI, so
// nothing else opened it), skips when not signed in, syncs (joining a run already active),
// and says when to ask for the next task. The task's expirationHandler calls `expire`,
// which cancels the run and aborts its request in flight.
import Foundation

/// Opens the process's one repository on first use, from any thread; the app's model and
/// the background task handlers share it.
public final class SharedRepository: @unchecked Sendable {
    private let lock = NSLock()
    private var repo: GridworkRepository?
    private let open: @Sendable () throws -> GridworkRepository

    /// `open` runs once, on the first `get()` (then again only if it threw).
    public init(open: @escaping @Sendable () throws -> GridworkRepository) { self.open = open }

    /// The repository, opening it now if needed. Blocks (SQLite): call off the main actor.
    public func get() throws -> GridworkRepository {
        lock.lock(); defer { lock.unlock() }
        if let repo { return repo }
        let opened = try open()
        repo = opened
        return opened
    }

    /// The repository if it is open already.
    public var ifOpen: GridworkRepository? { lock.lock(); defer { lock.unlock() }; return repo }
}

/// One background sync task's work.
public enum BackgroundSyncRunner {
    /// How a task ended.
    public struct Outcome: Sendable, Equatable {
        /// For `setTaskCompleted(success:)`: the run synced, or there was nothing to do.
        public let success: Bool
        /// The run's state, or nil when it did not run (not signed in, store unavailable).
        public let state: EngineState?
        /// When to ask for the next task (`earliestBeginDate`): the engine's next attempt
        /// when it is later than `minimumInterval` from now.
        public let next: Date
    }

    /// Runs one sync for a background task. Never throws: a failure is an unsuccessful
    /// outcome (the next task is still scheduled).
    public static func run(_ shared: SharedRepository, now: Date = Date(),
                           minimumInterval: TimeInterval = 15 * 60) -> Outcome {
        let earliest = now.addingTimeInterval(minimumInterval)
        guard let repo = try? shared.get() else {
            return Outcome(success: false, state: nil, next: earliest)
        }
        guard let status = try? repo.syncStatus(), status.signedIn else {
            return Outcome(success: true, state: nil, next: earliest)
        }
        guard let report = try? repo.syncNow() else {
            return Outcome(success: false, state: nil, next: earliest)
        }
        let retry = report.nextAttemptMs.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        let ok = report.state == .synced || report.state == .idle
        return Outcome(success: ok, state: report.state, next: max(earliest, retry ?? earliest))
    }

    /// The task's time is up: cancels the active run (its request in flight is aborted);
    /// `run` then returns with state `.cancelled`.
    public static func expire(_ shared: SharedRepository) {
        shared.ifOpen?.cancelSync()
    }
}
