// Records a patrol's fixes in batches: the location delegate hands each fix to `offer`
// (cheap, any thread), and every `batchSeconds` (10 s) the fixes gathered so far go to the
// core in one `addFixes` call on the recorder's own queue. Foundation only: the iOS app
// feeds it from CoreLocation, CI feeds it synthetic fixes (bindings/tests/swift).
import Foundation

/// Batches fixes for the open patrol `patrolId`. `onBatch` hears each stored batch or the
/// error that refused it (a refused batch is dropped: the core refuses a batch only for
/// invalid values). `close()` flushes and stops; it does not finish the patrol.
public final class PatrolRecorder: @unchecked Sendable {
    /// The patrol being recorded.
    public let patrolId: String
    private let store: GridworkStore
    private let queue = DispatchQueue(label: "org.gridwork.patrol")
    private let lock = NSLock()
    private var pending: [GpsFix] = []
    private var timer: DispatchSourceTimer?
    private let onBatch: @Sendable (Result<FixBatchReport, Error>) -> Void

    public init(store: GridworkStore, patrolId: String, batchSeconds: Double = 10,
                onBatch: @escaping @Sendable (Result<FixBatchReport, Error>) -> Void = { _ in }) {
        self.store = store
        self.patrolId = patrolId
        self.onBatch = onBatch
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + batchSeconds, repeating: batchSeconds)
        t.setEventHandler { [weak self] in self?.flushNow() }
        t.resume()
        timer = t
    }

    /// Queues one fix (from the location callback).
    public func offer(_ fix: GpsFix) {
        lock.lock(); pending.append(fix); lock.unlock()
    }

    /// Sends the queued fixes now; returns when they are stored.
    public func flush() { queue.sync { flushNow() } }

    private func flushNow() {
        lock.lock()
        let batch = pending
        pending.removeAll()
        lock.unlock()
        if batch.isEmpty { return }
        onBatch(Result { try store.addFixes(id: patrolId, fixes: batch) })
    }

    /// Flushes what is queued and stops the timer.
    public func close() {
        timer?.cancel()
        timer = nil
        flush()
    }

    deinit { timer?.cancel() }
}
