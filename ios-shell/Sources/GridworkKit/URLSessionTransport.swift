// The sync engine's HTTP exchanges through URLSession: the platform's own HTTP stack, so
// iOS's proxy settings, App Transport Security, certificate trust and per-app VPN apply.
// Foundation only (FoundationNetworking on Linux), so CI runs it against the reference
// server (bindings/tests/swift).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An `HttpTransport` for `GridworkSync`. The core calls `send` on the thread running the
/// sync and it blocks until the response is read; redirects are not followed; any status
/// code is a response.
///
/// `abort()` (called by the core when the sync run is cancelled) cancels every task in
/// flight: its `send` returns at once with `TransportFailure.Interrupted`. Give each
/// `GridworkSync` its own transport: an abort reaches all of its exchanges.
///
/// Linux caveat (tests only; iOS is unaffected): swift-corelibs-foundation 6.0.3 traps
/// (illegal instruction) on a 401 response carrying `WWW-Authenticate: Bearer`, which the
/// reference server sends for a refused token.
public final class URLSessionTransport: NSObject, HttpTransport, URLSessionTaskDelegate, @unchecked Sendable {
    private var session: URLSession!
    private let lock = NSLock()
    private var inFlight: [Int: URLSessionTask] = [:]
    private var aborted: Set<Int> = []
    private var nextId = 0

    /// How many exchanges are in flight now (diagnostics and tests).
    public var inFlightCount: Int { lock.lock(); defer { lock.unlock() }; return inFlight.count }

    public func abort() {
        lock.lock()
        let tasks = inFlight
        aborted.formUnion(tasks.keys)
        lock.unlock()
        for task in tasks.values { task.cancel() }
    }

    /// `configuration` defaults to an ephemeral session (no cookies or cache) with a 10 s
    /// request timeout and a 60 s resource timeout.
    public init(configuration: URLSessionConfiguration? = nil) {
        super.init()
        let config = configuration ?? {
            let c = URLSessionConfiguration.ephemeral
            c.timeoutIntervalForRequest = 10
            c.timeoutIntervalForResource = 60
            c.requestCachePolicy = .reloadIgnoringLocalCacheData
            return c
        }()
        session = URLSession(configuration: config, delegate: self, delegateQueue: nil)
    }

    deinit { session?.invalidateAndCancel() }

    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw TransportFailure.InvalidRequest(reason: "not a URL: \(request.url)")
        }
        var req = URLRequest(url: url)
        req.httpMethod = request.method
        for h in request.headers { req.addValue(h.value, forHTTPHeaderField: h.name) }
        if request.method == "POST" || request.method == "PUT" { req.httpBody = request.body }

        final class Outcome: @unchecked Sendable {
            var data: Data?
            var response: URLResponse?
            var error: Error?
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: req) { data, response, error in
            outcome.data = data
            outcome.response = response
            outcome.error = error
            done.signal()
        }
        lock.lock()
        let id = nextId
        nextId += 1
        inFlight[id] = task
        lock.unlock()
        task.resume()
        done.wait()
        lock.lock()
        inFlight[id] = nil
        let wasAborted = aborted.remove(id) != nil
        lock.unlock()
        if wasAborted {
            throw TransportFailure.Interrupted(reason: "aborted: the sync was cancelled")
        }

        if let error = outcome.error {
            let code = (error as? URLError)?.code
            switch code {
            case .timedOut?: throw TransportFailure.Timeout(reason: "\(error)")
            case .cannotFindHost?, .cannotConnectToHost?, .notConnectedToInternet?, .dnsLookupFailed?,
                 .secureConnectionFailed?, .serverCertificateUntrusted?, .serverCertificateHasBadDate?,
                 .serverCertificateNotYetValid?, .serverCertificateHasUnknownRoot?:
                throw TransportFailure.Connect(reason: "\(error)")
            default: throw TransportFailure.Interrupted(reason: "\(error)")
            }
        }
        guard let http = outcome.response as? HTTPURLResponse else {
            throw TransportFailure.Interrupted(reason: "no HTTP response")
        }
        let headers = http.allHeaderFields.map { HttpHeader(name: "\($0.key)", value: "\($0.value)") }
        return HttpResponse(status: UInt16(clamping: http.statusCode), headers: headers, body: outcome.data ?? Data())
    }

    /// The engine authenticates with its own `Authorization: Bearer` header: a 401 must
    /// come back as the response, not become a credential prompt. Server trust (TLS) is
    /// left to the system.
    public func urlSession(_ session: URLSession, task: URLSessionTask,
                           didReceive challenge: URLAuthenticationChallenge,
                           completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        #if canImport(FoundationNetworking)
        completionHandler(.rejectProtectionSpace, nil)
        #else
        if challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust {
            completionHandler(.performDefaultHandling, nil)
        } else {
            completionHandler(.rejectProtectionSpace, nil)
        }
        #endif
    }

    /// Follows no redirect: a 3xx goes back to the engine as the response.
    public func urlSession(_ session: URLSession, task: URLSessionTask,
                           willPerformHTTPRedirection response: HTTPURLResponse,
                           newRequest request: URLRequest,
                           completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
