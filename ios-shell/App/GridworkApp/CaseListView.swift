// "My cases" and "my area's cases": binds to two GridworkKit CaseListModels (paged in SQL,
// reloaded on every change a write or a pull makes); a row opens the case.
import SwiftUI
import GridworkKit

struct CasesView: View {
    @EnvironmentObject private var app: AppModel
    @State private var area = false

    var body: some View {
        NavigationStack {
            VStack {
                Picker("Cases", selection: $area) {
                    Text("My cases").tag(false)
                    Text("My area").tag(true)
                }
                .pickerStyle(.segmented).padding(.horizontal)
                if area { CaseList(model: app.areaCases, searchable: true) } else { CaseList(model: app.myCases, searchable: false) }
            }
            .navigationTitle(area ? String(localized: "My area") : String(localized: "My cases"))
            .navigationDestination(for: String.self) { id in CaseDetailView(model: CaseDetailModel(repo: app.repo, caseId: id)) }
        }
    }
}

struct CaseList: View {
    @StateObject private var bound: Bound<CaseListModel>
    let searchable: Bool

    init(model: CaseListModel, searchable: Bool) {
        _bound = StateObject(wrappedValue: Bound(model))
        self.searchable = searchable
    }

    var body: some View {
        let m = bound.model
        List {
            if searchable {
                TextField("Search", text: Binding(get: { m.search }, set: { m.search = $0 }))
                    .onSubmit { Task { await m.reload() } }
                Picker("Status", selection: Binding(get: { m.status }, set: { m.status = $0; Task { await m.reload() } })) {
                    Text("All").tag(Status?.none)
                    ForEach([Status.reported, .registered, .dispatched, .handled, .verified, .suspended, .closed, .cancelled], id: \.self) {
                        Text(label($0)).tag(Status?.some($0))
                    }
                }
            }
            ForEach(m.items, id: \.id) { c in
                NavigationLink(value: c.id) { CaseRow(c: c) }
            }
            if m.hasMore {
                Button("More") { Task { await m.loadMore() } }
            }
            if m.items.isEmpty && !m.loading {
                Text("No cases yet.").foregroundStyle(.secondary)
            }
            ErrorLine(error: m.error)
        }
        .refreshable { await m.reload() }
        .task { await m.reload() }
        .task { await m.observeChanges() }
    }
}

struct CaseRow: View {
    let c: CaseSummary
    var body: some View {
        HStack {
            VStack(alignment: .leading) {
                Text(c.description).lineLimit(2)
                Text(verbatim: "\(c.category) · \(c.cell ?? "—")").font(.caption).foregroundStyle(.secondary)
            }
            Spacer()
            if c.rejectedCount > 0 { Image(systemName: "exclamationmark.triangle").foregroundStyle(.orange) }
            if c.conflictCount > 0 { Image(systemName: "arrow.triangle.branch").foregroundStyle(.purple) }
            if c.overdue {
                Text("Overdue").font(.caption2).padding(4).background(Color.red.opacity(0.2)).clipShape(Capsule())
            }
            Text(label(c.status)).font(.caption).padding(4).background(Color.secondary.opacity(0.15)).clipShape(Capsule())
        }
    }
}
