// Background sync with BGTaskScheduler: a processing task that needs a network connection,
// scheduled again after each run (iOS decides when it runs, typically while charging or
// idle). The run is the core's (GridworkSync through URLSessionTransport); when iOS takes
// the time back (expirationHandler) the run is cancelled before its next request, keeping
// what it finished. Info.plist: BGTaskSchedulerPermittedIdentifiers = [BackgroundSync.id],
// UIBackgroundModes = [processing, fetch, location].
import BackgroundTasks
import GridworkKit

enum BackgroundSync {
    static let id = "org.gridwork.sync"

    /// Registers the handler; call once, before the app finishes launching.
    static func register(repository: @escaping @Sendable () -> GridworkRepository?) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: id, using: nil) { task in
            guard let task = task as? BGProcessingTask, let repo = repository() else {
                task.setTaskCompleted(success: false)
                return
            }
            schedule()
            task.expirationHandler = { repo.cancelSync() }
            Task.detached(priority: .background) {
                let report = try? repo.syncNow()
                task.setTaskCompleted(success: report?.state == .synced)
            }
        }
    }

    /// Asks iOS for the next background run (at the earliest the status's next attempt).
    static func schedule(earliest: Date? = nil) {
        let request = BGProcessingTaskRequest(identifier: id)
        request.requiresNetworkConnectivity = true
        request.requiresExternalPower = false
        request.earliestBeginDate = earliest ?? Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }
}
