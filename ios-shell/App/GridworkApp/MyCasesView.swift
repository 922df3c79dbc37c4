// "My cases": the cases this worker reported, newest first, with a status label and an
// overdue badge; refreshed when the store reports a change.
import SwiftUI
import GridworkKit

struct MyCasesView: View {
    @EnvironmentObject private var model: AppModel

    var body: some View {
        NavigationStack {
            List(model.myCases, id: \.id) { c in
                HStack {
                    VStack(alignment: .leading) {
                        Text(c.description).lineLimit(2)
                        Text("\(c.category) · \(c.cell ?? "outside the grid")").font(.caption)
                    }
                    Spacer()
                    if c.overdue {
                        Text("overdue").font(.caption2).padding(4)
                            .background(Color.red.opacity(0.2)).clipShape(Capsule())
                    }
                    Text(label(c.status)).font(.caption).padding(4)
                        .background(Color.secondary.opacity(0.15)).clipShape(Capsule())
                }
            }
            .refreshable { await model.refresh() }
            .navigationTitle("My cases")
        }
    }

    private func label(_ s: Status) -> String {
        switch s {
        case .reported: return "reported"
        case .registered: return "registered"
        case .dispatched: return "dispatched"
        case .handled: return "handled"
        case .verified: return "verified"
        case .suspended: return "suspended"
        case .closed: return "closed"
        case .cancelled: return "cancelled"
        }
    }
}
