// The map's content: the grid's cells with their boundaries (the account's own marked), the
// cases on the device as pins, and the own track of the open or last patrol — all stored in
// WGS-84 and converted for display: Apple Maps (and AMap, Tencent) draw China in GCJ-02, so
// MapKit overlays in China need `.gcj02`; a plain drawing (Canvas) uses `.wgs84`. Points
// outside China are the same in both. Foundation only, tested in
// bindings/tests/swift/screens.swift.
import Foundation

/// What the map draws, in the chosen datum.
@MainActor
public final class MapModel: StateHolder {
    /// The base map's datum.
    public enum Datum: Equatable, Sendable {
        /// GPS / the store (a Canvas drawing, OpenStreetMap).
        case wgs84
        /// China's map datum (MapKit's map of China, AMap, Tencent).
        case gcj02
    }

    /// One cell's outline.
    public struct Cell: Equatable, Sendable, Identifiable {
        /// Its code.
        public let code: String
        /// Its name.
        public let name: String
        /// Rings in the display datum: outer first, then holes.
        public let rings: [[GeoPoint]]
        /// One of the account's cells.
        public let mine: Bool
        public var id: String { code }
    }

    /// One case's pin.
    public struct Pin: Equatable, Sendable, Identifiable {
        /// The case id.
        public let id: String
        /// Where, in the display datum.
        public let point: GeoPoint
        /// Its status.
        public let status: Status
        /// Past its deadline.
        public let overdue: Bool
    }

    /// The datum to draw in; MapKit wants `.gcj02` (the default).
    public var datum: Datum = .gcj02 { didSet { changed() } }
    /// Cells, cases and track as stored (WGS-84).
    private var rawCells: [GridCell] = [] { didSet { changed() } }
    private var mineCodes: Set<String> = []
    private var rawCases: [CaseSummary] = [] { didSet { changed() } }
    private var rawTrack: [GeoPoint] = [] { didSet { changed() } }
    /// Why the last read failed.
    public private(set) var error: ErrorInfo? { didSet { changed() } }

    public override init(repo: GridworkRepository) { super.init(repo: repo) }

    /// Cells to draw.
    public var cells: [Cell] {
        rawCells.map { Cell(code: $0.code, name: $0.name, rings: $0.rings.map { $0.map(show) },
                            mine: mineCodes.contains($0.code)) }
    }
    /// Case pins.
    public var cases: [Pin] {
        rawCases.map { Pin(id: $0.id, point: show(GeoPoint(lat: $0.lat, lon: $0.lon)), status: $0.status, overdue: $0.overdue) }
    }
    /// The own track of the open or last patrol.
    public var track: [GeoPoint] { rawTrack.map(show) }

    /// A point in the display datum.
    public func show(_ p: GeoPoint) -> GeoPoint { datum == .gcj02 ? MapDatum.toGcj02(p) : p }
    /// A point tapped on the map back to WGS-84 (for a report).
    public func stored(_ p: GeoPoint) -> GeoPoint { datum == .gcj02 ? MapDatum.fromGcj02(p) : p }

    /// Reads cells, cases (newest 500) and the track of `patrolId` (default: the open
    /// patrol, or the latest one recorded here).
    public func load(patrolId: String? = nil) async {
        do {
            let (cells, mine, cases, track) = try await repo.run { repo -> ([GridCell], [GridCell], [CaseSummary], [GeoPoint]) in
                let page = try repo.store.list(filter: CaseFilter(), after: nil, limit: GridworkRepository.maxPage)
                let patrol = try patrolId ?? repo.store.openPatrol() ?? repo.store.patrols().first { !$0.remote }?.id
                let text = try patrol.map { try repo.store.exportPatrol(id: $0, format: .geoJson) }
                return (try repo.store.cells(), try repo.store.myCells(), page.items, text.map(Self.trackPoints) ?? [])
            }
            mineCodes = Set(mine.map(\.code))
            rawCells = cells
            rawCases = cases
            rawTrack = track
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// The positions of a patrol's GeoJSON `track` features, in order.
    nonisolated static func trackPoints(_ geojson: String) -> [GeoPoint] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(geojson.utf8)) as? [String: Any],
              let features = root["features"] as? [[String: Any]] else { return [] }
        var out: [GeoPoint] = []
        for f in features {
            guard (f["properties"] as? [String: Any])?["kind"] as? String == "track",
                  let g = f["geometry"] as? [String: Any] else { continue }
            let coords: [[Double]]
            switch g["type"] as? String {
            case "LineString": coords = g["coordinates"] as? [[Double]] ?? []
            case "Point": coords = (g["coordinates"] as? [Double]).map { [$0] } ?? []
            default: coords = []
            }
            out += coords.filter { $0.count >= 2 }.map { GeoPoint(lat: $0[1], lon: $0[0]) }
        }
        return out
    }
}
