// Location for the open patrol: CoreLocation fixes (WGS-84, best accuracy, background
// updates allowed while patrolling, the blue indicator shown) go to GridworkKit's
// PatrolModel, whose PatrolRecorder hands them to the core in batches every 10 seconds.
// Info.plist: NSLocationWhenInUseUsageDescription, NSLocationAlwaysAndWhenInUseUsageDescription,
// UIBackgroundModes += location.
import CoreLocation
import GridworkKit

@MainActor
final class PatrolTracker: NSObject, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    private weak var model: PatrolModel?

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        manager.distanceFilter = kCLDistanceFilterNone
        manager.activityType = .fitness
        manager.pausesLocationUpdatesAutomatically = false
    }

    /// Starts the location updates feeding `model` (when it records).
    func start(feeding model: PatrolModel) {
        self.model = model
        manager.requestWhenInUseAuthorization()
        manager.allowsBackgroundLocationUpdates = true
        manager.showsBackgroundLocationIndicator = true
        manager.startUpdatingLocation()
    }

    /// Stops the updates.
    func stop() {
        manager.stopUpdatingLocation()
        manager.allowsBackgroundLocationUpdates = false
    }

    /// The last fix, for a check-in.
    var last: CLLocation? { manager.location }

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
        Task { @MainActor in for fix in batch { self.model?.offer(fix) } }
    }
}
