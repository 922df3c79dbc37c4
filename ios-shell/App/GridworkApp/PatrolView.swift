// The patrol screen: binds to GridworkKit's PatrolModel — the cell picker (the account's
// cells), start / pause / resume / finish, check-in at the current position, and the live
// distance and coverage per cell; a link opens the worker's patrols (PatrolListView).
import SwiftUI
import GridworkKit

struct PatrolView: View {
    @EnvironmentObject private var app: AppModel
    @StateObject private var bound: Bound<PatrolModel>
    @State private var note = ""

    init(model: PatrolModel) { _bound = StateObject(wrappedValue: Bound(model)) }

    var body: some View {
        let m = bound.model
        NavigationStack {
            Form {
                if m.phase == .idle || m.phase == .finished {
                    Section("Cells to patrol") {
                        if m.cells.isEmpty { Text("Your cells arrive with the first sync.").foregroundStyle(.secondary) }
                        ForEach(m.cells, id: \.code) { c in
                            Toggle(isOn: Binding(get: { m.selected.contains(c.code) },
                                                 set: { on in if on { m.selected.insert(c.code) } else { m.selected.remove(c.code) } })) {
                                Text(verbatim: c.name.isEmpty ? c.code : "\(c.name) (\(c.code))")
                            }
                        }
                        ErrorLine(error: m.error, field: "cells")
                    }
                    Button("Start patrol") {
                        Task { await m.start(); if m.phase == .active { app.tracker.start(feeding: m) } }
                    }
                } else {
                    Section("Now") {
                        if m.phase == .active { Text("Recording") } else { Text("Paused") }
                        Text("Distance: \(Int(m.distanceM)) m")
                        Text("Fixes: \(m.fixesOffered)")
                        ForEach(m.coverage, id: \.cellId) { c in
                            Text(verbatim: "\(c.cellId): \(Int(c.coveredShare * 100)) %")
                        }
                    }
                    Section {
                        if m.phase == .active {
                            Button("Pause") { Task { await m.pause() } }
                        } else {
                            Button("Resume") { Task { await m.resume() } }
                        }
                        Button("Finish patrol", role: .destructive) {
                            Task { await m.finish(); app.tracker.stop(); await app.syncAfterWork() }
                        }
                    }
                    Section("Check in") {
                        TextField("Note", text: $note)
                        Button("I am here") {
                            guard let fix = app.tracker.last else { return }
                            Task {
                                await m.checkIn(lat: fix.coordinate.latitude, lon: fix.coordinate.longitude,
                                                note: note.isEmpty ? nil : note)
                                note = ""
                            }
                        }
                        Text("Check-ins: \(m.detail?.checkIns.count ?? 0)")
                    }
                }
                if m.phase == .finished, let d = m.detail {
                    Section("Last patrol") {
                        Text("Distance: \(Int(d.stats.distanceM)) m")
                        Text("Fixes: \(Int(d.stats.fixCount))")
                    }
                }
                ErrorLine(error: m.error)
                Section {
                    NavigationLink("My patrols") { PatrolListView(model: app.patrols) }
                }
            }
            .navigationTitle("Patrol")
            .task { await m.load(); if m.phase == .active { app.tracker.start(feeding: m) } }
        }
    }
}
