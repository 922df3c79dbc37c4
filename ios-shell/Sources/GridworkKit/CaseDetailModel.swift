// A case's screen: the typed timeline (each step with its sync state: pending, synced, or
// refused by the server with its reason), the photos (thumbnail first, full size on demand),
// the conflicts, the actions the signed-in user may take now (from the core's
// `availableActions`, never a role table of the shell) and taking one — a refusal is shown
// with the core's code, field and reason. An action that takes inputs goes through its form
// (ActionForm: begin, edit `form`, submit), checked here before the core is called. Foundation only, tested in
// bindings/tests/swift/screens.swift.
import Foundation

/// What the case screen shows.
@MainActor
public final class CaseDetailModel: StateHolder {
    /// The case.
    public let caseId: String
    /// The case as it stands (nil until loaded).
    public private(set) var detail: CaseDetail? { didSet { changed() } }
    /// Buttons: the actions the user may take now, in the core's order.
    public private(set) var actions: [AvailableAction] = [] { didSet { changed() } }
    /// The case's photos, report and later steps, in order.
    public private(set) var photos: [PhotoItem] = [] { didSet { changed() } }
    /// Why the last action (or read) was refused: `code` to translate, `field` to mark.
    public private(set) var refusal: ErrorInfo? { didSet { changed() } }
    /// An action is being taken.
    public private(set) var busy = false { didSet { changed() } }
    /// The open action form (an action that takes inputs): the view edits it in place.
    public var form: ActionForm? { didSet { changed() } }

    public init(repo: GridworkRepository, caseId: String) {
        self.caseId = caseId
        super.init(repo: repo)
    }

    /// The timeline, oldest first.
    public var timeline: [TimelineEntry] { detail?.timeline ?? [] }

    /// The steps the server refused, with its reason (they no longer count).
    public var refusedSteps: [(entry: TimelineEntry, reason: String)] {
        timeline.compactMap { e in
            if case let .rejected(reason) = e.sync { return (e, reason) }
            return nil
        }
    }

    /// Steps flagged as conflicting (two devices acted on the same state).
    public var conflicts: [Conflict] { detail?.conflicts ?? [] }

    /// Reads the case, its actions and its photos.
    public func load() async {
        let id = caseId
        do {
            let (detail, actions, views) = try await repo.run { repo -> (CaseDetail, [AvailableAction], [PhotoView]) in
                let d = try repo.store.show(id: id)
                let a = try repo.store.availableActions(id: id)
                let v = try d.photos.map { try repo.store.photoView(sha256: $0.sha256) }
                return (d, a, v)
            }
            self.detail = detail
            self.actions = actions
            let old = Dictionary(photos.map { ($0.sha256, $0) }, uniquingKeysWith: { a, _ in a })
            photos = views.map { v in
                // Keep a full photo already shown; otherwise the thumbnail first.
                if let kept = old[v.sha256], case .full = kept.display { return kept }
                return PhotoItem(v)
            }
        } catch {
            refusal = ErrorInfo(error)
        }
    }

    /// Shows photo `sha256` at full size: at once when it is here, else downloaded.
    public func showFull(_ sha256: String) async {
        guard let i = photos.firstIndex(where: { $0.sha256 == sha256 }) else { return }
        let item = photos[i]
        if item.view.state == .local, let path = item.view.path {
            photos[i].display = .full(path)
            return
        }
        photos[i].display = .loading(thumbnail: item.thumbnail)
        do {
            let path = try await repo.fetchPhoto(sha256)
            let view = try await repo.photoView(sha256)
            if let j = photos.firstIndex(where: { $0.sha256 == sha256 }) {
                photos[j].view = view
                photos[j].display = .full(path)
            }
        } catch {
            if let j = photos.firstIndex(where: { $0.sha256 == sha256 }) {
                photos[j].display = .failed(thumbnail: item.thumbnail, ErrorInfo(error))
            }
        }
    }

    /// Takes an action (`request.kind` one of `actions`); true when the core accepted it.
    /// Refused: `refusal` says why (`missing_reason` field `note`, `missing_photo` field
    /// `photos`, `unknown_department` …) and nothing changed.
    @discardableResult
    public func take(_ request: ActionRequest) async -> Bool {
        busy = true
        defer { busy = false }
        refusal = nil
        let id = caseId
        do {
            _ = try await repo.run { try $0.store.act(id: id, request: request) }
            await load()
            return true
        } catch {
            refusal = ErrorInfo(error)
            return false
        }
    }

    /// Opens the form of `action` (one of `actions`): the department list when it takes a
    /// department, the default department and the first open conflict picked.
    public func begin(_ action: AvailableAction) async {
        refusal = nil
        var departments: [Department] = []
        if action.inputs.department != .no {
            do {
                departments = try await repo.run { try $0.store.departments() }
            } catch {
                refusal = ErrorInfo(error)
            }
        }
        form = ActionForm(action, departments: departments)
    }

    /// Closes the form without acting; returns its photos (the caller deletes its copies).
    @discardableResult
    public func dismiss() -> [String] {
        let photos = form?.photos ?? []
        form = nil
        refusal = nil
        return photos
    }

    /// Takes the open form's action. A required input missing is refused here, before the
    /// core is called, with its field in `refusal` (nothing changes); a refusal of the core
    /// keeps the form open. True when the core accepted it (the form closes).
    @discardableResult
    public func submit() async -> Bool {
        guard let form else { return false }
        if let problem = form.problems.first {
            refusal = problem
            return false
        }
        let ok = await take(form.request())
        if ok { self.form = nil }
        return ok
    }

    /// Reloads when this case changes (a write, a sync pull); returns when the task ends.
    public func observeChanges() async {
        for await ids in repo.caseChanges() where ids.isEmpty || ids.contains(caseId) { await load() }
    }
}
