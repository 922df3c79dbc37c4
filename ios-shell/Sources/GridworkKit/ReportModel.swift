// The report screen's state: the category picker with search over the catalogue the sync
// downloaded, the description, several photos (files from the camera or the photo library),
// the position with its accuracy, the checks before submitting, and the submit itself
// (linked to the open patrol, if any). Foundation only, tested in
// bindings/tests/swift/screens.swift.
import Foundation

/// A WGS-84 position with its accuracy.
public struct ReportPosition: Equatable, Sendable {
    /// Latitude (WGS-84, as CoreLocation gives it).
    public var lat: Double
    /// Longitude.
    public var lon: Double
    /// Horizontal accuracy in metres (nil: unknown).
    public var accuracyM: Double?
    public init(lat: Double, lon: Double, accuracyM: Double?) {
        self.lat = lat
        self.lon = lon
        self.accuracyM = accuracyM
    }
}

/// What the report screen shows.
@MainActor
public final class ReportModel: StateHolder {
    /// At most this many photos per report.
    public static let maxPhotos = 9
    /// A fix less precise than this is shown with a warning (it may still be sent).
    public static let accuracyWarningM = 50.0

    /// The catalogue (empty until the first sync downloads it).
    public private(set) var categories: [Category] = [] { didSet { changed() } }
    /// The picker's search text.
    public var query = "" { didSet { changed() } }
    /// The chosen category's code.
    public var category: String? { didSet { changed() } }
    /// What the worker saw.
    public var description = "" { didSet { changed() } }
    /// Urgent or normal.
    public var urgency: Urgency = .normal { didSet { changed() } }
    /// The photo files, in the order taken.
    public private(set) var photos: [String] = [] { didSet { changed() } }
    /// Where the problem is.
    public var position: ReportPosition? { didSet { changed() } }
    /// The checks' findings after the last `submit` (empty: none).
    public private(set) var issues: [ErrorInfo] = [] { didSet { changed() } }
    /// The core's refusal of the last submit.
    public private(set) var error: ErrorInfo? { didSet { changed() } }
    /// The last case reported from this screen.
    public private(set) var submitted: String? { didSet { changed() } }
    /// Submitting.
    public private(set) var busy = false { didSet { changed() } }

    public override init(repo: GridworkRepository) { super.init(repo: repo) }

    /// Reads the catalogue.
    public func load() async {
        do { categories = try await repo.run { try $0.categories() } } catch { self.error = ErrorInfo(error) }
    }

    /// The categories matching `query` (code prefix, Chinese or English name), in catalogue
    /// order; all of them for an empty query.
    public var matches: [Category] {
        let q = query.trimmingCharacters(in: .whitespaces).lowercased()
        if q.isEmpty { return categories }
        return categories.filter {
            $0.code.hasPrefix(q) || $0.nameZh.contains(q) || $0.nameEn.lowercased().contains(q)
        }
    }

    /// The chosen category.
    public var chosen: Category? { categories.first { $0.code == category } }

    /// Whether the position is too imprecise to trust without a look.
    public var accuracyWarning: Bool { (position?.accuracyM ?? 0) > Self.accuracyWarningM }

    /// Adds a photo file (camera or library); false when there are `maxPhotos` already.
    @discardableResult
    public func addPhoto(_ path: String) -> Bool {
        guard photos.count < Self.maxPhotos else { return false }
        photos.append(path)
        return true
    }

    /// Removes the photo at `index`.
    public func removePhoto(at index: Int) {
        guard photos.indices.contains(index) else { return }
        photos.remove(at: index)
    }

    /// The checks made before submitting, in field order (the core checks again).
    public func validate() -> [ErrorInfo] {
        var out: [ErrorInfo] = []
        if let code = category {
            if chosen == nil { out.append(ErrorInfo(code: "unknown_category", field: "category", detail: "not in the catalogue: \(code)")) }
        } else {
            out.append(.input("missing_input", "category", "pick a category"))
        }
        if description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            out.append(.input("missing_input", "description", "say what you saw"))
        }
        if photos.count > Self.maxPhotos {
            out.append(.input("too_many_photos", "photos", "at most \(Self.maxPhotos) photos"))
        }
        if photos.contains(where: { ["heic", "heif"].contains(($0 as NSString).pathExtension.lowercased()) }) {
            out.append(.input("photo_format", "photos", "HEIC photos are not accepted: save them as JPEG"))
        }
        if position == nil { out.append(.input("missing_input", "position", "no position yet")) }
        return out
    }

    /// Checks, then reports; the new case's id, or nil (`issues` or `error` say why). The form
    /// is cleared after a report.
    @discardableResult
    public func submit() async -> String? {
        issues = validate()
        guard issues.isEmpty, let category, let position else { return nil }
        busy = true
        defer { busy = false }
        error = nil
        let draftPhotos = photos
        let text = description.trimmingCharacters(in: .whitespacesAndNewlines)
        let urgency = self.urgency
        do {
            let id = try await repo.run {
                try $0.report(category: category, lat: position.lat, lon: position.lon, description: text,
                              photoPaths: draftPhotos, accuracyM: position.accuracyM, urgency: urgency,
                              patrolId: try $0.store.openPatrol())
            }
            submitted = id
            self.category = nil
            description = ""
            photos = []
            self.position = nil
            query = ""
            self.urgency = .normal
            return id
        } catch {
            self.error = ErrorInfo(error)
            return nil
        }
    }
}
