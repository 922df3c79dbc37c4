// The base of the screens' state holders (SignInModel, CaseListModel, CaseDetailModel,
// ReportModel, PatrolModel, MapModel, SyncStatusModel, SettingsModel). Each lives on the main
// actor, runs the blocking core calls off it (`GridworkRepository.run`) and says when its
// state changed through `onChange`. Not the Observation module: Debian's Swift 6.0.3 on CI
// ships a libswiftObservation.so that does not link (undefined
// `swift::threading::fatal`), and Combine does not exist on Linux. The app turns `onChange`
// into SwiftUI updates (App/GridworkApp/Bound.swift). Foundation only.
import Foundation

/// A screen's state on the main actor. `onChange` runs after each change of a published
/// property (a SwiftUI wrapper calls `objectWillChange.send()` from it).
@MainActor
public class StateHolder {
    /// Called on the main actor after the state changed.
    public var onChange: (@MainActor () -> Void)?

    /// The repository the holder reads and writes through.
    public let repo: GridworkRepository

    init(repo: GridworkRepository) { self.repo = repo }

    /// Tells the screen to draw again.
    func changed() { onChange?() }
}

extension ErrorInfo {
    /// The code, field and message of any error: a core `GridworkError` as it is, anything
    /// else as `internal`.
    public init(_ error: Error) {
        if let e = error as? GridworkError {
            self = e.info
        } else {
            self.init(code: "internal", field: nil, detail: "\(error)")
        }
    }

    /// A check made by the kit before calling the core (codes of its own, documented in
    /// docs/mobile.md: `missing_input`, `invalid_server`, `too_many_photos`, `photo_format`).
    static func input(_ code: String, _ field: String, _ detail: String) -> ErrorInfo {
        ErrorInfo(code: code, field: field, detail: detail)
    }
}
