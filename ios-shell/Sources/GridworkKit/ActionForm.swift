// The form shown before an action is taken on a case, driven by the inputs the core declares
// for it (`AvailableAction.inputs`): a note or reason, a department picked from the
// catalogue's departments (dispatch starts on the category's default one; assist needs one),
// a deadline extension in working days or hours (postpone, an application for more time),
// photos from the camera or the library, the user's position (an on-site verification) and
// the conflicting step to settle. `problems` is what the kit refuses before calling the core:
// each required input missing, named by its field (code `missing_input`). CaseDetailModel
// holds it; tested in bindings/tests/swift/screens.swift. Foundation only.
import Foundation

extension AvailableAction {
    /// Whether the action opens a form first (it takes at least one input).
    public var asksForInput: Bool {
        let i = inputs
        return [i.note, i.department, i.photos, i.position, i.extend, i.conflict].contains { $0 != .no }
    }
}

/// The filled-in inputs of one action, before it is taken.
public struct ActionForm: Sendable {
    /// The action, with the inputs it takes.
    public let action: AvailableAction
    /// The departments to pick from (loaded when the action takes a department).
    public let departments: [Department]
    /// The note or reason typed.
    public var note = ""
    /// The picked department id (dispatch: the default one until another is picked).
    public var department: String?
    /// More time asked for; nil: the category's time limit again (postpone).
    public var extend: TimeLimit?
    /// Photo files (camera or library copies): the core copies them into the store.
    public var photos: [String] = []
    /// Where the user stands (WGS-84), for an on-site verification.
    public var position: GeoPoint?
    /// The flagged step to settle (one of `action.openConflicts`).
    public var conflict: String?

    /// A form with the action's defaults: its default department, its first open conflict.
    public init(_ action: AvailableAction, departments: [Department] = []) {
        self.action = action
        self.departments = departments
        department = action.defaultDepartment
        conflict = action.openConflicts.first
    }

    /// What the kit refuses before calling the core, one per field (empty: ready).
    public var problems: [ErrorInfo] {
        let i = action.inputs
        var out: [ErrorInfo] = []
        if i.note == .required && note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            out.append(.input("missing_input", "note", "a reason is required"))
        }
        if i.department == .required && (department ?? "").isEmpty {
            out.append(.input("missing_input", "department", "pick a department"))
        }
        if i.department != .no, let d = department, !departments.isEmpty, !departments.contains(where: { $0.id == d }) {
            out.append(.input("unknown_department", "department", "no department \(d) in the catalogue"))
        }
        if i.photos == .required && photos.isEmpty { out.append(.input("missing_input", "photos", "add a photo")) }
        if i.position == .required && position == nil { out.append(.input("missing_input", "position", "no position yet")) }
        if i.conflict == .required && (conflict ?? "").isEmpty {
            out.append(.input("missing_input", "conflict", "pick the step to settle"))
        }
        if i.extend != .no, let e = extend, e.amount == 0 {
            out.append(.input("invalid_input", "extend", "the extension must be at least one day or hour"))
        }
        return out
    }

    /// The request the form makes, only what the action takes.
    public func request() -> ActionRequest {
        let i = action.inputs
        let text = note.trimmingCharacters(in: .whitespacesAndNewlines)
        return ActionRequest(
            kind: action.kind,
            note: i.note != .no && !text.isEmpty ? text : nil,
            department: i.department != .no ? department : nil,
            photos: i.photos != .no ? photos : [],
            extend: i.extend != .no ? extend : nil,
            position: i.position != .no ? position : nil,
            conflict: i.conflict != .no ? conflict : nil)
    }
}

extension TimeLimit {
    /// The number of working days or hours.
    public var amount: UInt32 {
        switch self {
        case let .workingDays(days): return days
        case let .workingHours(hours): return hours
        }
    }
}
