// "My cases" and "my area's cases": one page at a time, paged in SQL by the core (keyset
// cursors: `myCases(after, limit)` for the user's own reports, `list(filter, after, limit)`
// with the account's scope as the cell prefix for the area), reloaded when a write or a
// sync pull changes cases. Foundation only, tested in bindings/tests/swift/screens.swift.
import Foundation

/// A paged list of cases.
@MainActor
public final class CaseListModel: StateHolder {
    /// Which cases.
    public enum Source: Equatable, Sendable {
        /// The signed-in user's own reports.
        case mine
        /// The cases of the account's scope (the cells it was given at sign-in), filtered
        /// by `status` and `search`.
        case area
    }

    /// Which cases this list shows.
    public let source: Source
    /// Cases per page.
    public let pageSize: UInt32
    /// Area list: only this status (nil: all).
    public var status: Status? { didSet { changed() } }
    /// Area list: words the description, address or category must contain.
    public var search = "" { didSet { changed() } }
    /// The rows loaded so far, newest first.
    public private(set) var items: [CaseSummary] = [] { didSet { changed() } }
    /// Whether `loadMore` has another page.
    public private(set) var hasMore = false { didSet { changed() } }
    /// A page is being read.
    public private(set) var loading = false { didSet { changed() } }
    /// Why the last read failed.
    public private(set) var error: ErrorInfo? { didSet { changed() } }
    private var next: PageCursor?

    public init(repo: GridworkRepository, source: Source, pageSize: UInt32 = 50) {
        self.source = source
        self.pageSize = max(1, min(pageSize, GridworkRepository.maxPage))
        super.init(repo: repo)
    }

    /// Reads the first page again (after a filter change, a pull, pull-to-refresh).
    public func reload() async {
        next = nil
        await page(replacing: true)
    }

    /// Appends the next page, if there is one.
    public func loadMore() async {
        guard hasMore, !loading else { return }
        await page(replacing: false)
    }

    /// Reloads whenever cases change (a write here, a sync pull); returns when the calling
    /// task is cancelled (SwiftUI's `.task`).
    public func observeChanges() async {
        for await _ in repo.caseChanges() { await reload() }
    }

    private func page(replacing: Bool) async {
        loading = true
        defer { loading = false }
        let after = replacing ? nil : next
        let limit = pageSize
        let source = self.source
        let status = self.status
        let search = self.search.trimmingCharacters(in: .whitespaces)
        do {
            let page: CasePage = try await repo.run { repo in
                switch source {
                case .mine:
                    return try repo.store.myCases(after: after, limit: limit)
                case .area:
                    // One scope entry (a street, a community): filter by it. The device holds
                    // only its scope's cases anyway, so several entries need no filter.
                    let scope = try repo.store.scope() ?? []
                    let filter = CaseFilter(cellPrefix: scope.count == 1 ? scope[0] : nil, status: status,
                                            search: search.isEmpty ? nil : search)
                    return try repo.store.list(filter: filter, after: after, limit: limit)
                }
            }
            items = replacing ? page.items : items + page.items
            next = page.next
            hasMore = page.next != nil
            error = nil
        } catch {
            self.error = ErrorInfo(error)
        }
    }
}
