// The sign-in screen's state: server URL, user and password, the checks before the call,
// the core's refusal by code and field, and the distinct "sign in required" state (the
// server refused the stored token: expired or revoked). Foundation only, tested against the
// reference server in bindings/tests/swift/screens.swift.
import Foundation

/// What the sign-in screen shows.
@MainActor
public final class SignInModel: StateHolder {
    /// Where the device stands.
    public enum State: Equatable, Sendable {
        /// Not read yet.
        case loading
        /// Nobody signed in (a fresh store, or signed out): show the form.
        case signedOut
        /// The call is under way.
        case signingIn
        /// Signed in: the screens may record as this user.
        case signedIn(user: String, role: Role)
        /// The server refused the stored token: the form again, server and user filled in.
        case signInRequired(user: String)
    }

    /// The server's base URL (`https://…`).
    public var server = "" { didSet { changed() } }
    /// The account's name.
    public var user = "" { didSet { changed() } }
    /// The password (never stored by the kit).
    public var password = "" { didSet { changed() } }
    /// The state.
    public private(set) var state: State = .loading { didSet { changed() } }
    /// Why the last attempt failed (`field` names the input to mark), or nil.
    public private(set) var error: ErrorInfo? { didSet { changed() } }

    public override init(repo: GridworkRepository) { super.init(repo: repo) }

    /// Reads the stored identity and sync state.
    public func load() async {
        do {
            let (identity, status) = try await repo.run { (try $0.store.identity(), try $0.syncStatus()) }
            if let s = status.server, server.isEmpty { server = s }
            if let identity, user.isEmpty { user = identity.user }
            if status.state == .signInRequired, let identity {
                state = .signInRequired(user: identity.user)
            } else if status.signedIn, let identity {
                state = .signedIn(user: identity.user, role: identity.role)
            } else {
                state = .signedOut
            }
        } catch {
            self.error = ErrorInfo(error)
            state = .signedOut
        }
    }

    /// The checks made before calling the server, in field order.
    public func validate() -> [ErrorInfo] {
        var out: [ErrorInfo] = []
        let s = server.trimmingCharacters(in: .whitespaces)
        if s.isEmpty {
            out.append(.input("missing_input", "server", "the server's address is missing"))
        } else if let url = URL(string: s), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                  url.host?.isEmpty == false {
        } else {
            out.append(.input("invalid_server", "server", "not an http(s) address: \(s)"))
        }
        if user.trimmingCharacters(in: .whitespaces).isEmpty {
            out.append(.input("missing_input", "user", "the user name is missing"))
        }
        if password.isEmpty { out.append(.input("missing_input", "password", "the password is missing")) }
        return out
    }

    /// Signs in; true when it worked. A refusal keeps the form (and the store's work) as it
    /// was and sets `error`: `unauthorized` (wrong password), `wrong_user` (this phone's
    /// store belongs to someone else), `network`, `incompatible_server` …
    @discardableResult
    public func signIn() async -> Bool {
        if let first = validate().first { error = first; return false }
        let before = state
        state = .signingIn
        error = nil
        let server = self.server.trimmingCharacters(in: .whitespaces)
        let user = self.user.trimmingCharacters(in: .whitespaces)
        let password = self.password
        do {
            let signed = try await repo.signIn(server: server, user: user, password: password)
            self.password = ""
            state = .signedIn(user: signed.user, role: signed.role)
            return true
        } catch {
            self.error = ErrorInfo(error)
            state = before == .loading ? .signedOut : before
            return false
        }
    }
}
