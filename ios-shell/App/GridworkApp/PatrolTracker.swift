// Records the open patrol: CoreLocation fixes (WGS-84, best accuracy, background updates
// allowed while patrolling) go to GridworkKit's PatrolRecorder, which hands them to the
// core in batches every 10 seconds. Info.plist: NSLocationWhenInUseUsageDescription,
// NSLocationAlwaysAndWhenInUseUsageDescription, UIBackgroundModes += location.
import CoreLocation
import GridworkKit

@MainActor
final class PatrolTracker: NSObject, ObservableObject, CLLocationManagerDelegate {
    @Published private(set) var patrolId: String?
    @Published private(set) var fixes = 0
    private let manager = CLLocationManager()
    private var recorder: PatrolRecorder?

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        manager.distanceFilter = kCLDistanceFilterNone
        manager.activityType = .fitness
        manager.pausesLocationUpdatesAutomatically = false
    }

    /// Starts (or takes up) a patrol of `cells` and starts recording.
    func start(repository: GridworkRepository, cells: [String]) async throws {
        let recorder = try await repository.run { try $0.startPatrol(cells: cells) }
        self.recorder = recorder
        patrolId = recorder.patrolId
        manager.requestWhenInUseAuthorization()
        manager.allowsBackgroundLocationUpdates = true
        manager.showsBackgroundLocationIndicator = true
        manager.startUpdatingLocation()
    }

    /// Stops recording, flushes the last batch and finishes the patrol.
    func finish(repository: GridworkRepository) async throws -> PatrolDetail? {
        manager.stopUpdatingLocation()
        manager.allowsBackgroundLocationUpdates = false
        guard let recorder else { return nil }
        self.recorder = nil
        patrolId = nil
        return try await repository.run { try $0.finishPatrol(recorder) }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        let batch = locations.filter { $0.horizontalAccuracy >= 0 }.map { l in
            GpsFix(timeMs: Int64(l.timestamp.timeIntervalSince1970 * 1000),
                   lat: l.coordinate.latitude, lon: l.coordinate.longitude,
                   accuracyM: l.horizontalAccuracy,
                   speedMps: l.speed >= 0 ? l.speed : nil,
                   bearingDeg: l.course >= 0 ? l.course : nil,
                   altitudeM: l.verticalAccuracy >= 0 ? l.ellipsoidalAltitude : nil,
                   provider: .fused,
                   mock: l.sourceInformation?.isSimulatedBySoftware ?? false)
        }
        Task { @MainActor in
            for fix in batch { self.recorder?.offer(fix) }
            self.fixes += batch.count
        }
    }
}
