// The thin SwiftUI app: opens the process's one GridworkRepository off the main actor at
// launch, imports the bundled sample city on first run, and shows the Report and My cases
// tabs. Add these files to an iOS App target that depends on the local GridworkKit package
// (see docs/mobile.md); the bundle needs kcity-grid.geojson and kcity-catalog.json.
import SwiftUI
import GridworkKit

@main
struct GridworkApp: App {
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
    private(set) var repository: GridworkRepository?
    private var observation: ObservationToken?

    func start() async {
        guard repository == nil else { return }
        do {
            let repo = try await Task.detached(priority: .userInitiated) { try Self.open() }.value
            repository = repo
            observation = repo.observe { [weak self] _ in
                Task { @MainActor in await self?.refresh() }
            }
            categories = try await repo.run { try $0.categories() }
            await refresh()
        } catch {
            message = "\(error)"
        }
    }

    private nonisolated static func open() throws -> GridworkRepository {
        let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("gridwork")
        // The core has no SQLCipher yet: a key would be refused with EncryptionUnavailable.
        // Once it has, pass `try StoreKey.passphrase()` here.
        let repo = try GridworkRepository(directory: dir.path, encryptionKey: nil)
        if try repo.identity() == nil {
            // Until sign-in exists (it arrives with the sync API), a demo worker on this device.
            try repo.signIn(user: "demo-worker", role: .worker, deviceId: "ios-\(UUID().uuidString.prefix(8))")
        }
        if try repo.categories().isEmpty,
           let grid = Bundle.main.url(forResource: "kcity-grid", withExtension: "geojson"),
           let catalog = Bundle.main.url(forResource: "kcity-catalog", withExtension: "json") {
            try repo.importReferenceData(
                gridGeoJson: String(contentsOf: grid, encoding: .utf8),
                catalogJson: String(contentsOf: catalog, encoding: .utf8))
        }
        return repo
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
                              photoPaths: photo.map { [$0] } ?? [], accuracyM: accuracy)
            }
            message = "Reported (\(id.prefix(8)))"
        } catch let error as GridworkError {
            message = "\(error)"
        } catch {
            message = "\(error)"
        }
    }
}
