// Settings and sign-out: binds to GridworkKit's SettingsModel — who is signed in where, the
// work not yet synced, photo size and cache budget, retention, and a sign-out that asks first
// when work is unsynced and keeps it on the phone (shown as waiting).
import SwiftUI
import GridworkKit

struct SettingsView: View {
    @EnvironmentObject private var app: AppModel
    @StateObject private var bound: Bound<SettingsModel>

    init(model: SettingsModel) { _bound = StateObject(wrappedValue: Bound(model)) }

    var body: some View {
        let m = bound.model
        NavigationStack {
            Form {
                Section("Account") {
                    Text(verbatim: m.identity?.user ?? "—")
                    Text(verbatim: m.server ?? "—").font(.footnote)
                    Text("\(Int(m.pendingEvents)) steps and \(Int(m.pendingPhotos)) photos not yet sent")
                }
                if let p = m.photo {
                    Section("Photos") {
                        Picker("Largest edge", selection: Binding(get: { p.maxEdge }, set: { e in
                            var s = p; s.maxEdge = e; let settings = s; Task { await m.setPhoto(settings) }
                        })) {
                            ForEach([UInt32(1280), 2048, 4096], id: \.self) { Text("\(Int($0)) px").tag($0) }
                        }
                        Picker("Cache", selection: Binding(get: { p.cacheBudgetBytes }, set: { b in
                            var s = p; s.cacheBudgetBytes = b; let settings = s; Task { await m.setPhoto(settings) }
                        })) {
                            ForEach([UInt64(128), 256, 1024].map { $0 << 20 }, id: \.self) { Text("\(Int($0 >> 20)) MB").tag($0) }
                        }
                    }
                }
                Section("Keep closed cases") {
                    Picker("Keep closed cases", selection: Binding(get: { m.retentionDays ?? 0 }, set: { d in
                        Task { await m.setRetention(days: d == 0 ? nil : d) }
                    })) {
                        Text("For ever").tag(UInt32(0))
                        ForEach([UInt32(30), 90, 365], id: \.self) { Text("\(Int($0)) days").tag($0) }
                    }
                }
                Section {
                    switch m.signOut {
                    case .none:
                        Button("Sign out", role: .destructive) { Task { await m.requestSignOut() } }
                    case let .confirmUnsynced(events, photos):
                        Text("\(Int(events)) steps and \(Int(photos)) photos are not sent yet. They stay on this phone and are sent when you sign in again.")
                        Button("Sync first") { m.cancelSignOut(); Task { await app.syncAfterWork() } }
                        Button("Sign out and keep them", role: .destructive) { Task { await m.confirmSignOut() } }
                    case let .signedOut(events, photos):
                        Text("Signed out. \(Int(events)) steps and \(Int(photos)) photos kept on this phone.")
                        Button("Sign in") { app.showSignIn = true }
                    }
                    ErrorLine(error: m.error)
                }
            }
            .navigationTitle("Settings")
            .task { await m.load() }
        }
    }
}
