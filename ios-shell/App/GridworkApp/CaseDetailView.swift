// A case: binds to GridworkKit's CaseDetailModel — the typed timeline with each step's sync
// state (a step the server refused shows its reason), conflicts, photos (thumbnail first,
// full size on tap through fetchPhoto) and the buttons of `availableActions` with the inputs
// each asks for; a refusal shows the core's reason.
import SwiftUI
import PhotosUI
import UIKit
import GridworkKit

struct CaseDetailView: View {
    @StateObject private var bound: Bound<CaseDetailModel>
    @State private var acting: AvailableAction?
    @State private var fullPhoto: String?

    init(model: CaseDetailModel) { _bound = StateObject(wrappedValue: Bound(model)) }

    var body: some View {
        let m = bound.model
        List {
            if let d = m.detail {
                Section {
                    Text(d.description)
                    Text(verbatim: "\(d.category) · \(d.cell ?? "—")").font(.caption)
                    HStack {
                        Text(label(d.status))
                        if d.overdue { Text("Overdue").foregroundStyle(.red) }
                    }
                    if let reason = d.reportRejected {
                        Text("The server refused this report: \(reason)").foregroundStyle(.orange)
                    }
                }
            }
            if !m.photos.isEmpty {
                Section("Photos") {
                    ScrollView(.horizontal) {
                        HStack {
                            ForEach(m.photos) { p in
                                PhotoTile(item: p).onTapGesture {
                                    Task {
                                        await m.showFull(p.sha256)
                                        if case let .full(path)? = m.photos.first(where: { $0.sha256 == p.sha256 })?.display {
                                            fullPhoto = path
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if !m.conflicts.isEmpty {
                Section("Conflicts") {
                    ForEach(m.conflicts, id: \.eventId) { c in
                        Text("\(c.actor.user) on another device: \(c.kind) — \(c.reason)").font(.footnote)
                    }
                }
            }
            Section("Timeline") {
                ForEach(m.timeline, id: \.eventId) { e in TimelineRow(entry: e) }
            }
            if !m.actions.isEmpty {
                Section("Actions") {
                    ForEach(m.actions, id: \.kind) { a in
                        Button(actionTitle(a.kind)) { acting = a }.disabled(m.busy)
                    }
                    ErrorLine(error: m.refusal)
                }
            }
        }
        .navigationTitle("Case")
        .task { await m.load() }
        .task { await m.observeChanges() }
        .sheet(item: Binding(get: { acting.map(ActingBox.init) }, set: { acting = $0?.action })) { box in
            ActionForm(action: box.action, model: m) { acting = nil }
        }
        .sheet(item: Binding(get: { fullPhoto.map(PathBox.init) }, set: { fullPhoto = $0?.path })) { box in
            FullPhoto(path: box.path)
        }
    }
}

struct ActingBox: Identifiable { let action: AvailableAction; var id: String { "\(action.kind)" } }
struct PathBox: Identifiable { let path: String; var id: String { path } }

struct PhotoTile: View {
    let item: PhotoItem
    var body: some View {
        Group {
            switch item.display {
            case .placeholder: Image(systemName: "photo").frame(width: 96, height: 96)
            case let .thumbnail(path), let .full(path): FileImage(path: path)
            case let .loading(thumb): ZStack { if let thumb { FileImage(path: thumb) }; ProgressView() }
            case let .failed(thumb, e):
                ZStack { if let thumb { FileImage(path: thumb) }; Text(message(e)).font(.caption2) }
            }
        }
        .frame(width: 96, height: 96).clipped()
    }
}

struct FileImage: View {
    let path: String
    var body: some View {
        if let image = UIImage(contentsOfFile: path) {
            Image(uiImage: image).resizable().scaledToFill()
        } else {
            Image(systemName: "photo")
        }
    }
}

struct FullPhoto: View {
    let path: String
    var body: some View { FileImage(path: path).scaledToFit() }
}

struct TimelineRow: View {
    let entry: TimelineEntry
    var body: some View {
        VStack(alignment: .leading) {
            Text(eventTitle(entry.event))
            Text(verbatim: "\(entry.actor.user) · \(Date(timeIntervalSince1970: Double(entry.atMs) / 1000).formatted())")
                .font(.caption).foregroundStyle(.secondary)
            switch entry.sync {
            case .pending: Text("Waiting to be sent").font(.caption2)
            case .synced: EmptyView()
            case let .rejected(reason): Text("Refused by the server: \(reason)").font(.caption2).foregroundStyle(.orange)
            }
            if entry.conflict { Text("Conflicts with another device's step").font(.caption2).foregroundStyle(.purple) }
        }
    }
}

/// The inputs an action asks for (from `AvailableAction.inputs`), then `take`.
struct ActionForm: View {
    let action: AvailableAction
    let model: CaseDetailModel
    let done: () -> Void
    @State private var note = ""
    @State private var department = ""
    @State private var picked: [PhotosPickerItem] = []
    @State private var photos: [String] = []
    @State private var conflict = ""

    var body: some View {
        NavigationStack {
            Form {
                if action.inputs.note != .no {
                    if action.inputs.note == .required {
                        TextField("Reason (required)", text: $note, axis: .vertical)
                    } else {
                        TextField("Note", text: $note, axis: .vertical)
                    }
                }
                if action.inputs.department != .no {
                    TextField("Department", text: $department, prompt: Text(action.defaultDepartment ?? ""))
                }
                if action.inputs.photos != .no {
                    // The label closure is @Sendable: it captures the count, not the view.
                    let count = photos.count
                    PhotosPicker(selection: $picked, maxSelectionCount: 4, matching: .images) {
                        if count == 0 { Text("Add photos") } else { Text("\(count) photos") }
                    }
                    .onChange(of: picked) { _, items in Task { photos = await savePicked(items) } }
                }
                if action.inputs.conflict != .no {
                    Picker("Step to settle", selection: $conflict) {
                        ForEach(action.openConflicts, id: \.self) { Text($0).tag($0) }
                    }
                }
                ErrorLine(error: model.refusal)
                Button(actionTitle(action.kind)) {
                    Task {
                        let ok = await model.take(ActionRequest(
                            kind: action.kind, note: note.isEmpty ? nil : note,
                            department: department.isEmpty ? nil : department, photos: photos,
                            conflict: conflict.isEmpty ? nil : conflict))
                        if ok { done() }
                    }
                }
            }
            .navigationTitle(actionTitle(action.kind))
            .toolbar { Button("Cancel", action: done) }
        }
    }
}

/// Writes picked library photos to temporary JPEG files (the core copies and downsizes them).
func savePicked(_ items: [PhotosPickerItem]) async -> [String] {
    var out: [String] = []
    for item in items {
        guard let data = try? await item.loadTransferable(type: Data.self),
              let image = UIImage(data: data), let jpeg = image.jpegData(compressionQuality: 0.85) else { continue }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).jpg")
        if (try? jpeg.write(to: url)) != nil { out.append(url.path) }
    }
    return out
}

func actionTitle(_ k: ActionKind) -> String {
    switch k {
    case .register: return String(localized: "Register")
    case .cancel: return String(localized: "Cancel case")
    case .dispatch: return String(localized: "Dispatch")
    case .handle: return String(localized: "Mark handled")
    case .verifyPass: return String(localized: "Verified on site")
    case .verifyFail: return String(localized: "Not fixed")
    case .close: return String(localized: "Close")
    case .return: return String(localized: "Return")
    case .postpone: return String(localized: "Postpone")
    case .suspend: return String(localized: "Suspend")
    case .resume: return String(localized: "Resume")
    case .selfResolve: return String(localized: "Fixed it myself")
    case .reopen: return String(localized: "Reopen")
    case .check: return String(localized: "Check")
    case .sign: return String(localized: "Sign for it")
    case .applyReturn: return String(localized: "Ask to return")
    case .applyPostpone: return String(localized: "Ask for more time")
    case .applySuspend: return String(localized: "Ask to suspend")
    case .approve: return String(localized: "Approve")
    case .refuse: return String(localized: "Refuse")
    case .urge: return String(localized: "Urge")
    case .supervise: return String(localized: "Supervise")
    case .assist: return String(localized: "Ask for assistance")
    case .resolveConflict: return String(localized: "Settle the conflict")
    }
}

func eventTitle(_ e: CaseEvent) -> String {
    switch e {
    case .reported: return String(localized: "Reported")
    case .registered: return String(localized: "Registered")
    case .cancelled: return String(localized: "Cancelled")
    case .dispatched: return String(localized: "Dispatched")
    case .handled: return String(localized: "Handled")
    case .verified: return String(localized: "Verified")
    case .verificationFailed: return String(localized: "Verification failed")
    case .closed: return String(localized: "Closed")
    case .returned: return String(localized: "Returned")
    case .postponed: return String(localized: "Postponed")
    case .suspended: return String(localized: "Suspended")
    case .resumed: return String(localized: "Resumed")
    case .selfResolved: return String(localized: "Fixed on the spot")
    case .reopened: return String(localized: "Reopened")
    case .checked: return String(localized: "Checked")
    case .signed: return String(localized: "Signed for")
    case .applied: return String(localized: "Application")
    case .approved: return String(localized: "Approved")
    case .refused: return String(localized: "Refused")
    case .urged: return String(localized: "Urged")
    case .assisted: return String(localized: "Assistance asked")
    case .conflictResolved: return String(localized: "Conflict settled")
    case let .other(kind): return kind
    }
}
