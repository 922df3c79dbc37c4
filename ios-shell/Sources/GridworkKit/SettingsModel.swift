// Settings and sign-out: who is signed in where, the work not yet synced, the photo settings
// and retention, and a sign-out that never loses work — with unsynced work it asks first,
// and signing out keeps it on the phone, shown as waiting; the next sign-in of the same user
// pushes it (another user is refused: SignInModel shows `wrong_user`). Foundation only,
// tested in bindings/tests/swift/screens.swift.
import Foundation

/// What the settings screen shows.
@MainActor
public final class SettingsModel: StateHolder {
    /// The sign-out flow.
    public enum SignOut: Equatable, Sendable {
        /// Nothing asked.
        case none
        /// Unsynced work exists: "sync first" or "sign out and keep it on this phone".
        case confirmUnsynced(events: UInt64, photos: UInt64)
        /// Signed out; this much work stays on the phone until the same user signs in.
        case signedOut(keptEvents: UInt64, keptPhotos: UInt64)
    }

    /// Who uses the store.
    public private(set) var identity: Identity? { didSet { changed() } }
    /// The sync server.
    public private(set) var server: String? { didSet { changed() } }
    /// Signed in now.
    public private(set) var signedIn = false { didSet { changed() } }
    /// Steps not yet sent.
    public private(set) var pendingEvents: UInt64 = 0 { didSet { changed() } }
    /// Photos not yet uploaded.
    public private(set) var pendingPhotos: UInt64 = 0 { didSet { changed() } }
    /// Photo settings.
    public private(set) var photo: PhotoSettings? { didSet { changed() } }
    /// Days closed cases stay on the phone (nil: for ever).
    public private(set) var retentionDays: UInt32? { didSet { changed() } }
    /// The sign-out flow's state.
    public private(set) var signOut: SignOut = .none { didSet { changed() } }
    /// Why the last change was refused (`field` names the setting).
    public private(set) var error: ErrorInfo? { didSet { changed() } }

    public override init(repo: GridworkRepository) { super.init(repo: repo) }

    /// Reads everything the screen shows.
    public func load() async {
        do {
            let (identity, status, photo, retention) = try await repo.run {
                (try $0.identity(), try $0.syncStatus(), try $0.store.photoSettings(), try $0.store.retention())
            }
            self.identity = identity
            server = status.server
            signedIn = status.signedIn
            pendingEvents = status.pendingEvents
            pendingPhotos = status.pendingPhotos
            self.photo = photo
            retentionDays = retention
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// The sign-out button: signs out at once when everything is synced, otherwise asks.
    public func requestSignOut() async {
        await load()
        if pendingEvents > 0 || pendingPhotos > 0 {
            signOut = .confirmUnsynced(events: pendingEvents, photos: pendingPhotos)
        } else {
            await confirmSignOut()
        }
    }

    /// Signs out keeping the unsynced work (the core forgets only the token).
    public func confirmSignOut() async {
        do {
            try await repo.run { try $0.sync.logout() }
            await load()
            signOut = .signedOut(keptEvents: pendingEvents, keptPhotos: pendingPhotos)
        } catch {
            self.error = ErrorInfo(error)
        }
    }

    /// Keeps the user signed in (to sync first).
    public func cancelSignOut() { signOut = .none }

    /// Changes the photo settings (edge 0 or 640…8192 px).
    public func setPhoto(_ settings: PhotoSettings) async {
        do {
            try await repo.setPhotoSettings(settings)
            error = nil
        } catch {
            self.error = ErrorInfo(error)
        }
        await load()
    }

    /// Changes how long closed cases stay (1…3650 days, nil: for ever).
    public func setRetention(days: UInt32?) async {
        do {
            try await repo.run { try $0.store.setRetention(days: days) }
            error = nil
        } catch {
            self.error = ErrorInfo(error)
        }
        await load()
    }
}
