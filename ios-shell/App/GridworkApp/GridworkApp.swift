// The SwiftUI app: opens the process's one GridworkRepository off the main actor at launch
// (syncing through URLSessionTransport), shows sign-in first (nothing is recorded before; the
// first sync downloads the city), then the tabs: report, cases, patrol, map, sync, settings.
// Every screen binds to a GridworkKit state holder (tested on CI); background sync runs
// through BGTaskScheduler (BackgroundSync.swift). The project is generated from
// ../../project.yml (docs/mobile.md, "iOS").
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
        Task { @MainActor in await AppModel.shared.start() }
        return true
    }
}

@main
struct GridworkApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var delegate
    @ObservedObject private var app = AppModel.shared

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(app)
                .task { await app.start() }
        }
    }
}

struct RootView: View {
    @EnvironmentObject private var app: AppModel

    var body: some View {
        if !app.ready {
            VStack { ProgressView(); if let m = app.message { Text(m) } }
        } else if app.showSignIn {
            NavigationStack {
                SignInView(model: app.signIn) { Task { await app.signedIn() } }
            }
        } else {
            TabView {
                ReportView(model: app.report).tabItem { Label("Report", systemImage: "exclamationmark.bubble") }
                CasesView().tabItem { Label("Cases", systemImage: "list.bullet") }
                PatrolView(model: app.patrol).tabItem { Label("Patrol", systemImage: "figure.walk") }
                MapScreen(model: app.map).tabItem { Label("Map", systemImage: "map") }
                SyncView(model: app.sync).tabItem { Label("Sync", systemImage: "arrow.triangle.2.circlepath") }
                SettingsView(model: app.settings).tabItem { Label("Settings", systemImage: "gear") }
            }
            .overlay(alignment: .top) {
                if let m = app.message { Text(m).font(.footnote).padding(6).background(.thinMaterial) }
            }
        }
    }
}

/// The app's one set of screen states, made once the store is open.
@MainActor
final class AppModel: ObservableObject {
    static let shared = AppModel()
    /// The process's one repository, opened on first use by whoever comes first: this
    /// model or a background task handler.
    nonisolated static let store = SharedRepository { try AppModel.open() }
    /// Set (once, while opening) when a store that could not be read was replaced by a fresh one.
    nonisolated(unsafe) static var discardedUnreadableStore = false

    @Published private(set) var ready = false
    @Published var showSignIn = false
    @Published var message: String?
    private(set) var repo: GridworkRepository!
    private(set) var signIn: SignInModel!
    private(set) var myCases: CaseListModel!
    private(set) var areaCases: CaseListModel!
    private(set) var report: ReportModel!
    private(set) var patrol: PatrolModel!
    private(set) var map: MapModel!
    private(set) var patrols: PatrolListModel!
    private(set) var sync: SyncStatusModel!
    private(set) var settings: SettingsModel!
    let tracker = PatrolTracker()
    private var starting = false

    /// Opens the store and makes the screens' states; takes up an open patrol (after the app
    /// was killed or the phone restarted mid-patrol, recording resumes). Runs once.
    func start() async {
        guard !ready, !starting else { return }
        starting = true
        do {
            let repo = try await Task.detached(priority: .userInitiated) { try Self.store.get() }.value
            self.repo = repo
            signIn = SignInModel(repo: repo)
            myCases = CaseListModel(repo: repo, source: .mine)
            areaCases = CaseListModel(repo: repo, source: .area)
            report = ReportModel(repo: repo)
            patrol = PatrolModel(repo: repo)
            map = MapModel(repo: repo)
            patrols = PatrolListModel(repo: repo)
            sync = SyncStatusModel(repo: repo)
            settings = SettingsModel(repo: repo)
            if Self.discardedUnreadableStore {
                message = String(localized: "The data on this phone could not be read (it came from a backup without its key) and was reset. Sign in to get your synced cases back.")
            }
            await signIn.load()
            switch signIn.state {
            case .signedIn: showSignIn = false
            default: showSignIn = true
            }
            await patrol.load()
            if patrol.phase == .active { tracker.start(feeding: patrol) }
            ready = true
        } catch {
            message = "\(error)"
        }
        starting = false
    }

    /// After a sign-in: the first run downloads the catalogue, grid and cases.
    func signedIn() async {
        showSignIn = false
        await sync.syncNow()
        await report.load()
        await patrol.load()
    }

    /// A sync after a report, a finished patrol or "sync first" (joins a run already active).
    func syncAfterWork() async { await sync.syncNow() }

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
        // The camera's temporary files are deleted once the core has copied them.
        var photo = try opened.repository.store.photoSettings()
        if !photo.removeSources {
            photo.removeSources = true
            try opened.repository.store.setPhotoSettings(settings: photo)
        }
        return opened.repository
    }
}
