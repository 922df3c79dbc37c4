// The patrol list and patrol detail screens: the signed-in worker's patrols on this device,
// open and finished, newest first (`patrols()`, other workers' pulled patrols left out), each
// with its figures from `patrol(id:)` — date, cells, distance, duration, coverage, check-ins —
// read a page at a time (a figure is a fold of the track, not a column). Opening one keeps its
// whole PatrolDetail; the map screen draws its track (MapModel.load(patrolId:)). Foundation
// only, tested in bindings/tests/swift/screens.swift.
import Foundation

/// One row of the patrol list.
public struct PatrolRow: Sendable, Identifiable {
    /// The patrol id.
    public let id: String
    /// Where it stands.
    public let status: PatrolStatus
    /// Start, unix ms (the row's date).
    public let startedAtMs: Int64
    /// End, unix ms; nil while open.
    public let finishedAtMs: Int64?
    /// The assigned cell codes.
    public let cells: [String]
    /// Metres walked.
    public let distanceM: Double
    /// First to last fix, seconds.
    public let durationS: Double
    /// Covered share of the assigned cells together (area-weighted), 0 to 1.
    public let coverage: Double
    /// Check-ins made.
    public let checkIns: Int

    /// The row of a patrol's figures.
    public init(_ d: PatrolDetail) {
        id = d.id
        status = d.status
        startedAtMs = d.startedAtMs
        finishedAtMs = d.finishedAtMs
        cells = d.cells
        distanceM = d.stats.distanceM
        durationS = d.stats.durationS
        let area = d.coverage.reduce(0) { $0 + $1.areaM2 }
        coverage = area > 0 ? d.coverage.reduce(0) { $0 + $1.coveredM2 } / area : 0
        checkIns = d.checkIns.count
    }
}

/// What the patrol list (and an opened patrol's detail) shows.
@MainActor
public final class PatrolListModel: StateHolder {
    /// The rows read so far, newest first.
    public private(set) var rows: [PatrolRow] = [] { didSet { changed() } }
    /// Every patrol has been read.
    public private(set) var endReached = false { didSet { changed() } }
    /// The opened patrol, with every figure (coverage per cell, check-ins, integrity).
    public private(set) var opened: PatrolDetail? { didSet { changed() } }
    /// The last failure.
    public private(set) var error: ErrorInfo? { didSet { changed() } }
    private var ids: [String] = []
    private let pageSize: Int

    /// `pageSize` patrols' figures are read per page.
    public init(repo: GridworkRepository, pageSize: Int = 20) {
        self.pageSize = pageSize
        super.init(repo: repo)
    }

    /// Reads the list again from the top (after a patrol finished, a sync).
    public func reload() async {
        error = nil
        do {
            ids = try await repo.run { repo -> [String] in
                guard let me = try repo.identity()?.user else { return [] }
                return try repo.store.patrols().filter { $0.worker == me }.map(\.id)
            }
            rows = []
            endReached = false
            await loadMore()
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// Reads the next page's figures.
    public func loadMore() async {
        let from = rows.count
        let page = Array(ids.dropFirst(from).prefix(pageSize))
        do {
            let more = try await repo.run { repo in try page.map { PatrolRow(try repo.store.patrol(id: $0)) } }
            rows += more
            endReached = from + page.count >= ids.count
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// Opens patrol `id`'s detail.
    public func open(_ id: String) async {
        do {
            opened = try await repo.run { try $0.store.patrol(id: id) }
            error = nil
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// Back to the list.
    public func close() { opened = nil }
}
