// The patrol screen's state: the cell picker (the account's cells from `myCells`), start /
// pause / resume / finish, check-ins, and the live figures (distance, coverage of each
// picked cell) read back from the core after each batch of fixes. An open patrol is taken
// up at launch (`load`). Location fixes come from the app (CoreLocation) through `offer`.
// Foundation only, tested in bindings/tests/swift/screens.swift.
import Foundation

/// What the patrol screen shows.
@MainActor
public final class PatrolModel: StateHolder {
    /// Where the patrol stands.
    public enum Phase: Equatable, Sendable {
        /// No open patrol: pick cells and start.
        case idle
        /// Recording.
        case active
        /// Paused: fixes are not recorded.
        case paused
        /// Just finished: `detail` holds the figures.
        case finished
    }

    /// The cells the worker may patrol (the account's scope).
    public private(set) var cells: [GridCell] = [] { didSet { changed() } }
    /// The picked cells' codes.
    public var selected: Set<String> = [] { didSet { changed() } }
    /// The phase.
    public private(set) var phase: Phase = .idle { didSet { changed() } }
    /// The open (or just finished) patrol.
    public private(set) var patrolId: String? { didSet { changed() } }
    /// Its figures (distance, times, coverage, check-ins), refreshed after each batch.
    public private(set) var detail: PatrolDetail? { didSet { changed() } }
    /// Why the last step was refused.
    public private(set) var error: ErrorInfo? { didSet { changed() } }
    /// Fixes handed to the recorder since the screen opened.
    public private(set) var fixesOffered = 0 { didSet { changed() } }
    private var recorder: PatrolRecorder?
    private let batchSeconds: Double

    /// `batchSeconds`: how often the recorder hands fixes to the core (10 s on a phone).
    public init(repo: GridworkRepository, batchSeconds: Double = 10) {
        self.batchSeconds = batchSeconds
        super.init(repo: repo)
    }

    /// Distance walked, metres.
    public var distanceM: Double { detail?.stats.distanceM ?? 0 }
    /// Share of each picked cell covered so far (0…1).
    public var coverage: [CellCoverage] { detail?.coverage ?? [] }

    /// Reads the cells and takes up an open patrol (after the app was killed or the phone
    /// restarted mid-patrol, recording goes on).
    public func load() async {
        do {
            let (cells, open) = try await repo.run { (try $0.store.myCells(), try $0.store.openPatrol()) }
            self.cells = cells
            if let open, recorder == nil {
                let detail = try await repo.run { try $0.store.patrol(id: open) }
                recorder = makeRecorder(open)
                patrolId = open
                selected = Set(detail.cells)
                self.detail = detail
                phase = detail.status == .paused ? .paused : .active
            }
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// Starts a patrol of the picked cells. Refused without a pick when the account has
    /// cells (`missing_input`, field `cells`), or by the core (one open patrol per worker).
    public func start() async {
        error = nil
        if !cells.isEmpty && selected.isEmpty {
            error = .input("missing_input", "cells", "pick the cells to patrol")
            return
        }
        let picked = cells.map(\.code).filter { selected.contains($0) }
        do {
            let id = try await repo.run { try $0.store.openPatrol() ?? $0.store.startPatrol(cells: picked) }
            recorder = makeRecorder(id)
            patrolId = id
            phase = .active
            await refresh()
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// One location fix (WGS-84); dropped unless recording.
    public func offer(_ fix: GpsFix) {
        guard phase == .active, let recorder else { return }
        recorder.offer(fix)
        fixesOffered += 1
    }

    /// Hands the fixes gathered so far to the core now and refreshes the figures.
    public func flush() async {
        guard let recorder else { return }
        await Task.detached { recorder.flush() }.value
        await refresh()
    }

    /// Pauses (the fixes so far are stored first).
    public func pause() async { await step { try $0.store.pausePatrol(id: $1) }; if error == nil { phase = .paused } }

    /// Resumes a paused patrol.
    public func resume() async { await step { try $0.store.resumePatrol(id: $1) }; if error == nil { phase = .active } }

    /// "I am here": a check-in at a WGS-84 point with an optional note and photo file.
    public func checkIn(lat: Double, lon: Double, note: String? = nil, photoPath: String? = nil) async {
        await step { _ = try $0.store.checkIn(id: $1, lat: lat, lon: lon, note: note, photoPath: photoPath) }
    }

    /// Stores the last fixes and finishes the patrol; `detail` holds its figures.
    public func finish() async {
        guard let recorder else { return }
        error = nil
        do {
            detail = try await repo.run { try $0.finishPatrol(recorder) }
            self.recorder = nil
            phase = .finished
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// Reads the figures again.
    public func refresh() async {
        guard let id = patrolId else { return }
        do { detail = try await repo.run { try $0.store.patrol(id: id) } } catch { self.error = ErrorInfo(error) }
    }

    private func step(_ body: @escaping @Sendable (GridworkRepository, String) throws -> Void) async {
        guard let id = patrolId, let recorder else { return }
        error = nil
        do {
            try await repo.run { repo in
                recorder.flush()
                try body(repo, id)
            }
            await refresh()
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    private func makeRecorder(_ id: String) -> PatrolRecorder {
        PatrolRecorder(store: repo.store, patrolId: id, batchSeconds: batchSeconds) { [weak self] _ in
            Task { @MainActor in await self?.refresh() }
        }
    }
}
