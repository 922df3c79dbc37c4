// Opening the store when its key may be gone. The store's key lives only in this device's
// Keychain (`…ThisDeviceOnly`, never in a backup), so a store folder that arrives without
// it — a backup restored to a new phone, app data copied by hand — can never be opened
// again, and the app would fail at every launch. This opener tells that case apart from a
// store that merely fails to open now, and sets up a fresh store for it, deleting the
// unreadable one (its photos with it: they are in the same folder). What was synced comes
// back from the server after sign-in. Foundation only (tested on Linux in bindings/tests/swift).
import Foundation

/// Opens a store folder with a device-bound key.
public enum StoreRecovery {
    /// The opened repository, and whether an unreadable store was discarded to open it.
    public struct Opened: Sendable {
        public let repository: GridworkRepository
        public let discardedUnreadableStore: Bool
    }

    /// Opens the store in `directory` with `key`. `keyIsNew` says the key was created just
    /// now (none was stored on this device): then any store already in `directory` was
    /// written under another key and is deleted before a fresh store is opened — the app
    /// should say so and ask the user to sign in. With a key that existed before, a failure
    /// to open is thrown as is (`GridworkError.StoreUnavailable`) and nothing is deleted.
    /// The folder is excluded from iCloud/iTunes backups on Apple platforms.
    public static func open(directory: URL, key: String, keyIsNew: Bool,
                            transport: HttpTransport? = nil) throws -> Opened {
        let fm = FileManager.default
        let leftover = keyIsNew && !((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).isEmpty
        if leftover { try fm.removeItem(at: directory) }
        let repo = try GridworkRepository(directory: directory.path, encryptionKey: key, transport: transport)
        try excludeFromBackup(directory)
        return Opened(repository: repo, discardedUnreadableStore: leftover)
    }

    /// Marks the store folder (database, photos) as excluded from backups: setting
    /// `isExcludedFromBackup` on a directory excludes everything in it. The store is
    /// encrypted with a key that never leaves the device, so a backup of it could never be
    /// opened anyway, and its photos are not encrypted. No-op where there are no backups
    /// (Linux).
    public static func excludeFromBackup(_ directory: URL) throws {
        #if canImport(Darwin)
        var url = directory
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try url.setResourceValues(values)
        #endif
    }
}
