// The thin SwiftUI app: opens the process's one GridworkRepository off the main actor at
// launch (syncing through URLSessionTransport), signs in before anything is recorded (the
// first sync downloads the city), and shows the Report and My cases tabs, the patrol toggle and the sync button;
// background sync runs through BGTaskScheduler (BackgroundSync.swift). Add these files to an iOS App target that depends on the local GridworkKit package
// (see docs/mobile.md).
import SwiftUI
import UIKit
import GridworkKit

/// Launch work that must happen before the app finishes launching, also when iOS launches
/// it in the background (a BGTask, a location relaunch) with no scene: register the
/// background task handlers, schedule the next ones, and take up an open patrol.
final class AppDelegate: NSObject, UIApplicationDelegate {
    func application(_ application: UIApplication,
                     didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil) -> Bool {
        BackgroundSync.register(AppModel.store)
        BackgroundSync.schedule()
        Task { @MainActor in await AppModel.resumeOpenPatrol() }
        return true
    }
}

@main
struct GridworkApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var delegate
    @StateObject private var model = AppModel()

    var body: some Scene {
        WindowGroup {
            TabView {
                ReportView().tabItem { Label("Report", systemImage: "exclamationmark.bubble") }
                MyCasesView().tabItem { Label("My cases", systemImage: "list.bullet") }
            }
            .environmentObject(model)
            .task { await model.start() }
        }
    }
}

/// App-wide state. Store calls block, so they run in `repository.run { ... }` (a detached
/// task); results are published on the main actor.
@MainActor
final class AppModel: ObservableObject {
    @Published var categories: [GridworkKit.Category] = []
    @Published var myCases: [CaseSummary] = []
    @Published var message: String?
    @Published var busy = false
    @Published var syncStatus: SyncStatus?
    private(set) var repository: GridworkRepository?
    private var observation: ObservationToken?
    /// The process's one repository, opened on first use by whoever comes first: this
    /// model, a background task handler, the patrol resume at launch.
    nonisolated static let store = SharedRepository { try AppModel.open() }
    /// The one patrol tracker (the launch resume and the screens share it).
    static let tracker = PatrolTracker()
    /// Set (once, while opening) when a store that could not be read replaced by a fresh one.
    nonisolated(unsafe) static var discardedUnreadableStore = false
    var patrol: PatrolTracker { Self.tracker }

    /// At launch: an open patrol (the app was killed or the phone restarted while
    /// patrolling) is taken up and recording resumes (`startPatrol` takes up the open one).
    static func resumeOpenPatrol() async {
        guard let repo = try? await Task.detached(priority: .userInitiated, operation: { try store.get() }).value
        else { return }
        let open: String? = (try? await repo.run { try $0.store.openPatrol() }) ?? nil
        guard open != nil, tracker.patrolId == nil else { return }
        try? await tracker.start(repository: repo, cells: [])
    }

    func start() async {
        guard repository == nil else { return }
        do {
            let repo = try await Task.detached(priority: .userInitiated) { try Self.store.get() }.value
            repository = repo
            if Self.discardedUnreadableStore {
                message = "The data on this phone could not be read (it came from a backup without its key) and was reset. Sign in to get your synced cases back."
            }
            observation = repo.observe { [weak self] _ in
                Task { @MainActor in await self?.refresh() }
            }
            categories = try await repo.run { try $0.categories() }
            syncStatus = try await repo.run { try $0.syncStatus() }
            await refresh()
        } catch {
            message = "\(error)"
        }
    }

    private nonisolated static func open() throws -> GridworkRepository {
        let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("gridwork")
        // The store is encrypted (SQLCipher) with a random raw key kept in the Keychain
        // (this device only). StoreRecovery replaces a store whose key is not on this
        // device (restored from a backup) with a fresh one, and excludes the folder
        // (database and photos) from backups.
        let key = try StoreKey.get()
        let opened = try StoreRecovery.open(directory: dir, key: key.raw, keyIsNew: key.created,
                                            transport: URLSessionTransport())
        discardedUnreadableStore = opened.discardedUnreadableStore
        // No placeholder user and no bundled city: until the user signs in the core records
        // nothing, and the first sync downloads the catalogue and the grid.
        return opened.repository
    }

    /// Signs in to a sync server (the store takes the account's name and role).
    func signIn(server: String, user: String, password: String) async {
        guard let repo = repository else { return }
        do {
            // A fresh store takes the account (user and role) at sign-in.
            let signed = try await repo.signIn(server: server, user: user, password: password)
            message = "Signed in as \(signed.user)"
            await sync()
        } catch { message = "\(error)" }
    }

    /// The sync button: one run now, off the main actor.
    func sync() async {
        guard let repo = repository else { return }
        do {
            let report = try await repo.run { try $0.syncNow() }
            message = report.error ?? "Synced: \(report.pushed) sent, \(report.pulled) received"
            syncStatus = try await repo.run { try $0.syncStatus() }
        } catch { message = "\(error)" }
    }

    /// The patrol toggle.
    func setPatrolling(_ on: Bool, cells: [String]) async {
        guard let repo = repository else { return }
        defer { objectWillChange.send() } // the tracker is a nested object
        do {
            if on {
                try await patrol.start(repository: repo, cells: cells)
            } else if let detail = try await patrol.finish(repository: repo) {
                message = String(format: "Patrol: %.0f m, %d fixes", detail.stats.distanceM, detail.stats.fixCount)
                await sync()
            }
        } catch { message = "\(error)" }
    }

    func refresh() async {
        guard let repo = repository else { return }
        do { myCases = try await repo.run { try $0.myCases() } } catch { message = "\(error)" }
    }

    func report(category: String, lat: Double, lon: Double, accuracy: Double?, description: String, photo: String?) async {
        guard let repo = repository else { return }
        busy = true
        defer { busy = false }
        do {
            let id = try await repo.run {
                try $0.report(category: category, lat: lat, lon: lon, description: description,
                              photoPaths: photo.map { [$0] } ?? [], accuracyM: accuracy,
                              patrolId: try $0.store.openPatrol())
            }
            message = "Reported (\(id.prefix(8)))"
        } catch let error as GridworkError {
            message = "\(error)"
        } catch {
            message = "\(error)"
        }
    }
}
