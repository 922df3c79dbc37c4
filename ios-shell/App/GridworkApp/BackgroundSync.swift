// Background sync with BGTaskScheduler: an app-refresh task (short, frequent: iOS runs it
// when it predicts the app will be used) and a processing task (longer, needs network; iOS
// runs it when the phone is idle, often charging). Both handlers are registered in
// `application(_:didFinishLaunchingWithOptions:)`, before launch finishes — as
// BGTaskScheduler.register requires — so that when iOS launches the app in the background
// only to run a task (no scene, no view, AppModel.start never runs) the handler exists and
// opens the store itself (SharedRepository). The work is GridworkKit's
// BackgroundSyncRunner (tested on CI). Info.plist: BGTaskSchedulerPermittedIdentifiers =
// [org.gridwork.sync.refresh, org.gridwork.sync.processing], UIBackgroundModes = [fetch,
// processing, location].
import BackgroundTasks
import GridworkKit

enum BackgroundSync {
    static let refreshId = "org.gridwork.sync.refresh"
    static let processingId = "org.gridwork.sync.processing"

    /// Registers both handlers; call once, before the app finishes launching.
    static func register(_ shared: SharedRepository) {
        for id in [refreshId, processingId] {
            BGTaskScheduler.shared.register(forTaskWithIdentifier: id, using: nil) { task in
                handle(task, shared)
            }
        }
    }

    private static func handle(_ task: BGTask, _ shared: SharedRepository) {
        // When iOS takes the time back: cancel the run (its request is aborted).
        task.expirationHandler = { BackgroundSyncRunner.expire(shared) }
        let box = TaskBox(task)
        Task.detached(priority: .background) {
            let outcome = BackgroundSyncRunner.run(shared)
            schedule(earliest: outcome.next)
            box.task.setTaskCompleted(success: outcome.success)
        }
    }

    /// Asks iOS for the next tasks (at the earliest `earliest`, default 15 minutes).
    static func schedule(earliest: Date? = nil) {
        let at = earliest ?? Date(timeIntervalSinceNow: 15 * 60)
        let refresh = BGAppRefreshTaskRequest(identifier: refreshId)
        refresh.earliestBeginDate = at
        try? BGTaskScheduler.shared.submit(refresh)
        let processing = BGProcessingTaskRequest(identifier: processingId)
        processing.requiresNetworkConnectivity = true
        processing.requiresExternalPower = false
        processing.earliestBeginDate = at
        try? BGTaskScheduler.shared.submit(processing)
    }
}

/// Carries the task into the detached task (BGTask is not Sendable).
private final class TaskBox: @unchecked Sendable {
    let task: BGTask
    init(_ task: BGTask) { self.task = task }
}
