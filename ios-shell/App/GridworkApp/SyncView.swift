// Sync status: binds to GridworkKit's SyncStatusModel — the state (not signed in, syncing
// with progress, idle with what waits, the distinct "sign in required"), every run heard
// (push-only and background runs too), the last report, the cases with refused steps and
// those with conflicts, sync now and cancel.
import SwiftUI
import GridworkKit

struct SyncView: View {
    @EnvironmentObject private var app: AppModel
    @StateObject private var bound: Bound<SyncStatusModel>

    init(model: SyncStatusModel) { _bound = StateObject(wrappedValue: Bound(model)) }

    var body: some View {
        let m = bound.model
        NavigationStack {
            List {
                Section("State") {
                    switch m.ui {
                    case .notSignedIn: Text("Not signed in")
                    case .signInRequired:
                        Text("Sign in again: the server no longer accepts this phone's sign-in.").foregroundStyle(.orange)
                        Button("Sign in") { app.showSignIn = true }
                    case .syncing:
                        HStack { ProgressView(); Text("Syncing…") }
                        if let p = m.progress { Text(progressText(p)) }
                        Button("Cancel", role: .destructive) { m.cancel() }
                    case let .idle(s):
                        Text("\(Int(s.pendingEvents)) steps and \(Int(s.pendingPhotos)) photos waiting")
                        if let last = s.lastSuccessMs {
                            Text("Last synced \(Date(timeIntervalSince1970: Double(last) / 1000).formatted())")
                        }
                        if s.state == .cancelled { Text("The last run was cancelled.") }
                        if let e = s.lastError { Text(e.message).foregroundStyle(.red) }
                        Button("Sync now") { Task { await m.syncNow() } }
                    }
                }
                if let r = m.lastReport {
                    Section("Last run") {
                        Text("Sent \(Int(r.pushed)), received \(Int(r.pulled)), photos \(Int(r.uploadedPhotos))")
                        if r.rejected > 0 { Text("\(Int(r.rejected)) refused by the server").foregroundStyle(.orange) }
                    }
                }
                if !m.rejected.isEmpty {
                    Section("Refused by the server") {
                        ForEach(m.rejected, id: \.id) { c in NavigationLink(value: c.id) { CaseRow(c: c) } }
                    }
                }
                if !m.conflicts.isEmpty {
                    Section("Conflicts") {
                        ForEach(m.conflicts, id: \.id) { c in NavigationLink(value: c.id) { CaseRow(c: c) } }
                    }
                }
            }
            .navigationTitle("Sync")
            .navigationDestination(for: String.self) { id in CaseDetailView(model: CaseDetailModel(repo: app.repo, caseId: id)) }
            .task { await m.load() }
            .task { await m.observe() }
        }
    }

    private func progressText(_ p: SyncProgress) -> String {
        let phase: String
        switch p.phase {
        case .push: phase = String(localized: "Sending")
        case .upload: phase = String(localized: "Uploading photos")
        case .pull: phase = String(localized: "Receiving")
        }
        if let total = p.total { return "\(phase) \(p.done)/\(total)" }
        return "\(phase) \(p.done)"
    }
}
