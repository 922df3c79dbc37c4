// Sign-in: binds to GridworkKit's SignInModel (state, field errors by code and field, the
// "sign in required" state with server and user filled in).
import SwiftUI
import GridworkKit

struct SignInView: View {
    @StateObject private var bound: Bound<SignInModel>
    let onSignedIn: () -> Void

    init(model: SignInModel, onSignedIn: @escaping () -> Void) {
        _bound = StateObject(wrappedValue: Bound(model))
        self.onSignedIn = onSignedIn
    }

    var body: some View {
        let m = bound.model
        Form {
            if case .signInRequired = m.state {
                Section { Text("The server no longer accepts this phone's sign-in. Sign in again; nothing on the phone is lost.") }
            }
            Section("Server") {
                TextField("https://gridwork.example.org", text: Binding(get: { m.server }, set: { m.server = $0 }))
                    .textInputAutocapitalization(.never).keyboardType(.URL).autocorrectionDisabled()
                ErrorLine(error: m.error, field: "server")
            }
            Section("Account") {
                TextField("User", text: Binding(get: { m.user }, set: { m.user = $0 }))
                    .textInputAutocapitalization(.never).autocorrectionDisabled()
                ErrorLine(error: m.error, field: "user")
                SecureField("Password", text: Binding(get: { m.password }, set: { m.password = $0 }))
                ErrorLine(error: m.error, field: "password")
            }
            Section {
                Button {
                    Task { if await m.signIn() { onSignedIn() } }
                } label: {
                    if m.state == .signingIn { ProgressView() } else { Text("Sign in") }
                }
                .disabled(m.state == .signingIn)
                if let e = m.error, e.field == nil || !["server", "user", "password"].contains(e.field!) {
                    ErrorLine(error: e)
                }
            }
        }
        .navigationTitle("Sign in")
        .task { await m.load() }
    }
}
