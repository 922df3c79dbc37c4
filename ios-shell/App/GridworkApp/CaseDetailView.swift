// A case: binds to GridworkKit's CaseDetailModel — the typed timeline with each step's sync
// state (a step the server refused shows its reason), conflicts, photos (thumbnail first,
// full size on tap through fetchPhoto) and the buttons of `availableActions` with the inputs
// each asks for (the kit's ActionForm: department, extension, note, photos from the camera or
// the library, position); a refusal shows the core's reason.
import SwiftUI
import PhotosUI
import UIKit
import GridworkKit

struct CaseDetailView: View {
    @StateObject private var bound: Bound<CaseDetailModel>
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
                        Button(actionTitle(a.kind)) {
                            Task { if a.asksForInput { await m.begin(a) } else { await m.take(ActionRequest(kind: a.kind)) } }
                        }.disabled(m.busy)
                    }
                    if m.form == nil { ErrorLine(error: m.refusal) }
                }
            }
        }
        .navigationTitle("Case")
        .task { await m.load() }
        .task { await m.observeChanges() }
        .sheet(isPresented: Binding(get: { m.form != nil }, set: { if !$0 { removeFiles(m.dismiss()) } })) {
            ActionFormView(bound: bound) {}
        }
        .sheet(item: Binding(get: { fullPhoto.map(PathBox.init) }, set: { fullPhoto = $0?.path })) { box in
            FullPhoto(path: box.path)
        }
    }
}

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

/// The form of the action being taken (the kit's `ActionForm`, edited in place in
/// `model.form`): one input per input the core declares — the note or reason, a department
/// picked from the catalogue's, an extension in working days or hours, photos from the camera
/// or the library, the position, the step to settle. The kit refuses a missing required input
/// with its field before calling the core. Picked copies are deleted when the form is
/// cancelled; the core deletes them once it took them (PhotoSettings.removeSources).
struct ActionFormView: View {
    @EnvironmentObject private var app: AppModel
    @ObservedObject var bound: Bound<CaseDetailModel>
    let done: () -> Void
    @State private var picked: [PhotosPickerItem] = []
    @State private var showCamera = false
    @State private var extendText = ""
    @State private var extendHours = false

    var body: some View {
        let m = bound.model
        NavigationStack {
            if let form = m.form {
                Form { fields(m, form) }
                    .navigationTitle(actionTitle(form.action.kind))
                    .toolbar {
                        ToolbarItem(placement: .cancellationAction) {
                            Button("Cancel") { removeFiles(m.dismiss()); done() }
                        }
                        ToolbarItem(placement: .confirmationAction) {
                            Button(actionTitle(form.action.kind)) { Task { if await m.submit() { done() } } }.disabled(m.busy)
                        }
                    }
                    .sheet(isPresented: $showCamera) { CameraView { path in m.form?.photos.append(path) } }
            } else {
                ProgressView()
            }
        }
    }

    @ViewBuilder
    private func fields(_ m: CaseDetailModel, _ form: ActionForm) -> some View {
        let i = form.action.inputs
        if i.note != .no {
            Section {
                let note = Binding(get: { m.form?.note ?? "" }, set: { m.form?.note = $0 })
                if i.note == .required {
                    TextField("Reason (required)", text: note, axis: .vertical)
                } else {
                    TextField("Note", text: note, axis: .vertical)
                }
                ErrorLine(error: m.refusal, field: "note")
            }
        }
        if i.department != .no {
            Section {
                Picker("Department", selection: Binding(get: { m.form?.department ?? "" }, set: { m.form?.department = $0 })) {
                    ForEach(form.departments, id: \.id) { d in
                        Text(verbatim: departmentName(d)).tag(d.id)
                    }
                }
                .pickerStyle(.inline)
                if let d = form.action.defaultDepartment, let dept = form.departments.first(where: { $0.id == d }) {
                    Text("Default for this category: \(departmentName(dept))").font(.caption)
                }
                ErrorLine(error: m.refusal, field: "department")
            }
        }
        if i.extend != .no {
            Section("More time") {
                TextField("Empty: the category's time limit again", text: $extendText).keyboardType(.numberPad)
                Picker("Unit", selection: $extendHours) {
                    Text("Working days").tag(false)
                    Text("Working hours").tag(true)
                }
                .pickerStyle(.segmented)
                ErrorLine(error: m.refusal, field: "extend")
            }
            .onChange(of: extendText) { _, _ in m.form?.extend = typedExtension() }
            .onChange(of: extendHours) { _, _ in m.form?.extend = typedExtension() }
        }
        if i.photos != .no {
            Section {
                ForEach(Array(form.photos.enumerated()), id: \.element) { n, path in
                    Text("Photo \(Int(n + 1))")
                        .swipeActions { Button("Remove", role: .destructive) { m.form?.photos.removeAll { $0 == path }; removeFiles([path]) } }
                }
                Button("Take photo") { showCamera = true }
                    .disabled(!UIImagePickerController.isSourceTypeAvailable(.camera))
                PhotosPicker(selection: $picked, maxSelectionCount: 4, matching: .images) {
                    Text("From the photo library")
                }
                .onChange(of: picked) { _, items in
                    Task { let paths = await savePicked(items); m.form?.photos += paths; picked = [] }
                }
                if i.photos == .required { Text("At least one photo is required.").font(.caption) }
                ErrorLine(error: m.refusal, field: "photos")
            }
        }
        if i.position != .no {
            Section {
                Button("Use my position") {
                    if let fix = app.tracker.last {
                        m.form?.position = GeoPoint(lat: fix.coordinate.latitude, lon: fix.coordinate.longitude)
                    }
                }
                if let p = form.position { Text(verbatim: String(format: "%.5f, %.5f", p.lat, p.lon)).font(.caption) }
                ErrorLine(error: m.refusal, field: "position")
            }
        }
        if i.conflict != .no {
            Picker("Step to settle", selection: Binding(get: { m.form?.conflict ?? "" }, set: { m.form?.conflict = $0 })) {
                ForEach(form.action.openConflicts, id: \.self) { Text(verbatim: String($0.prefix(8))).tag($0) }
            }
        }
        if let e = m.refusal, !["note", "department", "extend", "photos", "position"].contains(e.field ?? "") {
            ErrorLine(error: e)
        }
    }

    /// The extension typed: a number of working days or hours, nil when empty.
    private func typedExtension() -> TimeLimit? {
        guard let n = UInt32(extendText.trimmingCharacters(in: .whitespaces)) else { return nil }
        return extendHours ? .workingHours(hours: n) : .workingDays(days: n)
    }
}

/// A department's name in the user's language.
func departmentName(_ d: Department) -> String {
    Locale.current.language.languageCode == .chinese ? d.nameZh : d.nameEn
}

/// Deletes photo copies the core never took (a cancelled form, a removed photo).
func removeFiles(_ paths: [String]) {
    for p in paths { try? FileManager.default.removeItem(atPath: p) }
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
