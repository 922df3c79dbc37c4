// SwiftUI's side of the kit's state holders: `Bound` turns a holder's `onChange` into
// `objectWillChange`, so a view with `@StateObject var x = Bound(model)` redraws when the
// holder's state changes. The holders (GridworkKit/*Model.swift) are tested on CI; this file
// only forwards.
import SwiftUI
import GridworkKit

@MainActor
final class Bound<Model: StateHolder>: ObservableObject {
    let model: Model
    init(_ model: Model) {
        self.model = model
        model.onChange = { [weak self] in self?.objectWillChange.send() }
    }
}

/// The text for an error: by its stable code (translated), else the core's English detail.
func message(_ e: ErrorInfo) -> String {
    switch e.code {
    case "missing_input": return String(localized: "Please fill in this field.")
    case "invalid_server": return String(localized: "This is not a server address (https://…).")
    case "unauthorized": return String(localized: "Wrong user name or password.")
    case "wrong_user": return String(localized: "This phone holds another user's work. Sign in as that user.")
    case "device_conflict": return String(localized: "This phone is registered to another account.")
    case "network": return String(localized: "No connection to the server. Try again later.")
    case "incompatible_server": return String(localized: "The server does not speak gridwork's protocol.")
    case "missing_reason": return String(localized: "A reason is needed.")
    case "missing_photo": return String(localized: "A photo is needed.")
    case "unknown_department": return String(localized: "Unknown department.")
    case "unknown_category": return String(localized: "Unknown category.")
    case "not_permitted", "post_not_permitted": return String(localized: "Your role may not do this.")
    case "invalid_transition": return String(localized: "Not possible in the case's current state.")
    case "too_many_photos": return String(localized: "Too many photos.")
    case "photo_format": return String(localized: "HEIC photos are not accepted.")
    case "photo_unreadable": return String(localized: "The photo could not be read.")
    case "patrol_state": return String(localized: "The patrol is not open.")
    case "not_initialized": return String(localized: "Sign in first.")
    default: return e.detail
    }
}

/// A status's label.
func label(_ s: Status) -> String {
    switch s {
    case .reported: return String(localized: "Reported")
    case .registered: return String(localized: "Registered")
    case .dispatched: return String(localized: "Dispatched")
    case .handled: return String(localized: "Handled")
    case .verified: return String(localized: "Verified")
    case .suspended: return String(localized: "Suspended")
    case .closed: return String(localized: "Closed")
    case .cancelled: return String(localized: "Cancelled")
    }
}

/// An error line under a field.
struct ErrorLine: View {
    let error: ErrorInfo?
    var field: String? = nil
    var body: some View {
        if let error, field == nil || error.field == field {
            Text(message(error)).font(.footnote).foregroundStyle(.red)
        }
    }
}
