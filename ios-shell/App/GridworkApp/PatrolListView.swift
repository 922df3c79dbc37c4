// The worker's patrols: binds to GridworkKit's PatrolListModel — one row per patrol, open or
// finished, newest first, with its date, cells, distance, duration, coverage and check-ins
// (read a page at a time); a row opens the patrol's detail (coverage per cell, check-ins with
// their notes, the integrity verdict) and "Show on the map" draws its track on a map of its own
// (a MapModel of the same repository, `load(patrolId:)`; the map tab's model keeps its own view).
import SwiftUI
import GridworkKit

struct PatrolListView: View {
    @StateObject private var bound: Bound<PatrolListModel>

    init(model: PatrolListModel) { _bound = StateObject(wrappedValue: Bound(model)) }

    var body: some View {
        let m = bound.model
        List {
            if m.rows.isEmpty { Text("No patrols yet.").foregroundStyle(.secondary) }
            ForEach(m.rows) { row in
                NavigationLink {
                    PatrolDetailView(bound: bound, id: row.id)
                } label: {
                    PatrolRowView(row: row)
                }
            }
            if !m.endReached && !m.rows.isEmpty {
                Button("Load more") { Task { await m.loadMore() } }
            }
            ErrorLine(error: m.error)
        }
        .navigationTitle("My patrols")
        .task { await m.reload() }
        .refreshable { await m.reload() }
    }
}

struct PatrolRowView: View {
    let row: PatrolRow
    var body: some View {
        VStack(alignment: .leading) {
            Text(verbatim: "\(date(row.startedAtMs)) · \(patrolStatus(row.status))").font(.headline)
            Text(verbatim: row.cells.joined(separator: ", ")).font(.caption)
            Text(verbatim: figures(distanceM: row.distanceM, durationS: row.durationS, coverage: row.coverage, checkIns: row.checkIns))
                .font(.footnote).foregroundStyle(.secondary)
        }
    }
}

struct PatrolDetailView: View {
    @ObservedObject var bound: Bound<PatrolListModel>
    let id: String
    @State private var trackMap: MapModel?

    var body: some View {
        let m = bound.model
        List {
            if let d = m.opened, d.id == id {
                Section {
                    Text(verbatim: "\(date(d.startedAtMs)) · \(patrolStatus(d.status))")
                    if let end = d.finishedAtMs { Text("Finished \(date(end))") }
                    Text(verbatim: figures(distanceM: d.stats.distanceM, durationS: d.stats.durationS,
                                           coverage: PatrolRow(d).coverage, checkIns: d.checkIns.count))
                    Text(verdict(d.integrity.verdict))
                    Button("Show on the map") {
                        Task {
                            let map = MapModel(repo: m.repo)
                            await map.load(patrolId: d.id)
                            trackMap = map
                        }
                    }
                }
                Section("Coverage") {
                    ForEach(d.coverage, id: \.cellId) { c in
                        Text(verbatim: "\(c.cellId): \(Int(c.coveredShare * 100)) %")
                    }
                }
                Section("Check-ins") {
                    ForEach(d.checkIns, id: \.timeMs) { c in
                        Text(verbatim: "\(date(c.timeMs)) · \(String(format: "%.5f, %.5f", c.lat, c.lon))\(c.note.map { " — \($0)" } ?? "")")
                    }
                }
            } else {
                ProgressView()
            }
            ErrorLine(error: m.error)
        }
        .navigationTitle("Patrol")
        .task { await m.open(id) }
        .sheet(isPresented: Binding(get: { trackMap != nil }, set: { if !$0 { trackMap = nil } })) {
            if let trackMap { MapScreen(model: trackMap) }
        }
    }
}

private func date(_ ms: Int64) -> String {
    Date(timeIntervalSince1970: Double(ms) / 1000).formatted(date: .abbreviated, time: .shortened)
}

private func figures(distanceM: Double, durationS: Double, coverage: Double, checkIns: Int) -> String {
    String(format: String(localized: "%.2f km · %lld min · %lld %% covered · %lld check-ins"),
           distanceM / 1000, Int(durationS / 60), Int(coverage * 100), checkIns)
}

private func patrolStatus(_ s: PatrolStatus) -> String {
    switch s {
    case .active: return String(localized: "Recording")
    case .paused: return String(localized: "Paused")
    case .finished: return String(localized: "Finished")
    }
}

private func verdict(_ v: Verdict) -> String {
    switch v {
    case .trusted: return String(localized: "Track trusted")
    case .questionable: return String(localized: "Track questionable: look at its flagged points")
    case .untrusted: return String(localized: "Track untrusted (mock locations or many flagged points)")
    }
}
