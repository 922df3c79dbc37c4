// Photos for the screens (docs/photos.md): async wrappers over the core's photo calls, and
// what one photo shows — its thumbnail first, the full size on demand through `fetchPhoto`
// (resumable, hash-checked). Foundation only, tested in bindings/tests/swift/screens.swift.
import Foundation

extension GridworkRepository {
    /// What the device holds of photo `sha256` and the files to show; marks it used for the
    /// cache (the least recently used are evicted first).
    public func photoView(_ sha256: String) async throws -> PhotoView {
        try await run { try $0.store.photoView(sha256: sha256) }
    }

    /// The full photo's file: downloads it (resuming a cut download, checked against its
    /// hash) unless it is here. No answer: `Network` (call again to resume).
    public func fetchPhoto(_ sha256: String) async throws -> String {
        try await run { try $0.sync.fetchPhoto(sha256: sha256) }
    }

    /// Evicts synced photos down to the cache budget now; returns how many files went.
    @discardableResult
    public func evictPhotos() async throws -> UInt64 { try await run { try $0.store.evictPhotos() } }

    /// The store's photo settings (maximum edge at capture, cache budget, source removal).
    public func photoSettings() async throws -> PhotoSettings { try await run { try $0.store.photoSettings() } }

    /// Changes the photo settings (an edge out of range is `InvalidInput`, field `max_edge`).
    public func setPhotoSettings(_ settings: PhotoSettings) async throws {
        try await run { try $0.store.setPhotoSettings(settings: settings) }
    }
}

/// What a photo tile shows.
public enum PhotoDisplay: Equatable, Sendable {
    /// Nothing of it is here yet (the next sync brings its thumbnail).
    case placeholder
    /// The thumbnail file (or the photo itself when it has no thumbnail); tap for full size.
    case thumbnail(String)
    /// The full photo is being downloaded; the thumbnail (if any) stays shown.
    case loading(thumbnail: String?)
    /// The full photo's file.
    case full(String)
    /// The download failed (`network`: try again, it resumes); the thumbnail stays shown.
    case failed(thumbnail: String?, ErrorInfo)
}

/// One photo of a case, as its tile shows it.
public struct PhotoItem: Equatable, Sendable, Identifiable {
    /// The photo's SHA-256.
    public let sha256: String
    /// What to show.
    public var display: PhotoDisplay
    /// What the device holds of it.
    public var view: PhotoView
    public var id: String { sha256 }

    /// The tile for a photo view: the thumbnail first.
    public init(_ view: PhotoView) {
        sha256 = view.sha256
        self.view = view
        display = view.thumbnailPath.map { .thumbnail($0) } ?? .placeholder
    }

    var thumbnail: String? { view.thumbnailPath }
}
