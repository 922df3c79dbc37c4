// The key for the encrypted store, kept in the iOS Keychain: a random 256-bit key created
// once, stored as a generic password readable after first unlock on this device only
// (never synced to iCloud, not in backups restored to other devices).
// The app passes it to `GridworkRepository(directory:encryptionKey:)` as a raw SQLCipher key
// (x'…'), so opening the store skips the passphrase derivation a random key does not need.
#if canImport(Security)
import Foundation
import Security

/// Creates and reads the store's key in the Keychain.
public enum StoreKey {
    private static let service = "org.gridwork.store"
    private static let account = "store-key"

    /// Why the Keychain refused.
    public struct KeychainError: Error, CustomStringConvertible {
        /// The OSStatus from Security.framework.
        public let status: OSStatus
        public var description: String { "Keychain error \(status)" }
    }

    /// The key as a raw SQLCipher key, and whether this call created it (pass it to
    /// `StoreRecovery.open`: a store folder older than its key cannot be opened).
    public struct Key: Sendable {
        public let raw: String
        public let created: Bool
    }

    /// The store key, created on first use.
    public static func get() throws -> Key {
        if let existing = try read() { return Key(raw: raw(existing), created: false) }
        let made = try key()
        return Key(raw: made, created: true)
    }

    /// The store key as a raw SQLCipher key, `x'` + 64 hex digits + `'`, created on first use.
    public static func key() throws -> String {
        if let existing = try read() { return raw(existing) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let rc = SecRandomCopyBytes(kSecRandomDefault, bytes.count, &bytes)
        guard rc == errSecSuccess else { throw KeychainError(status: rc) }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: Data(hex.utf8),
        ]
        let status = SecItemAdd(add as CFDictionary, nil)
        if status == errSecDuplicateItem, let raced = try read() { return raw(raced) }
        guard status == errSecSuccess else { throw KeychainError(status: status) }
        return raw(hex)
    }

    /// SQLCipher's spelling of a raw key.
    private static func raw(_ hex: String) -> String { "x'\(hex)'" }

    private static func read() throws -> String? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data else { throw KeychainError(status: status) }
        return String(decoding: data, as: UTF8.self)
    }
}
#endif
