// The report screen: binds to GridworkKit's ReportModel — category search over the
// downloaded catalogue, description, several photos from the camera or the photo library
// (PhotosPicker), the current position with its accuracy (CoreLocation, WGS-84), the checks
// before submit shown by field, and submit (linked to an open patrol by the kit).
import SwiftUI
import PhotosUI
import CoreLocation
import UIKit
import GridworkKit

struct ReportView: View {
    @EnvironmentObject private var app: AppModel
    @StateObject private var bound: Bound<ReportModel>
    @StateObject private var location = OneShotLocation()
    @State private var showCamera = false
    @State private var picked: [PhotosPickerItem] = []

    init(model: ReportModel) { _bound = StateObject(wrappedValue: Bound(model)) }

    var body: some View {
        let m = bound.model
        NavigationStack {
            Form {
                Section("Category") {
                    TextField("Search categories", text: Binding(get: { m.query }, set: { m.query = $0 }))
                    if let c = m.chosen {
                        Text(verbatim: "\(c.code) \(c.nameZh) · \(c.nameEn)").bold()
                    }
                    ForEach(m.matches.prefix(20), id: \.code) { c in
                        Button { m.category = c.code; m.query = "" } label: {
                            Text(verbatim: "\(c.code) \(c.nameZh) · \(c.nameEn)")
                        }
                    }
                    if m.categories.isEmpty { Text("The catalogue arrives with the first sync.").foregroundStyle(.secondary) }
                    issue("category")
                }
                Section("Problem") {
                    TextField("What did you see?", text: Binding(get: { m.description }, set: { m.description = $0 }), axis: .vertical)
                        .lineLimit(3...6)
                    Toggle("Urgent", isOn: Binding(get: { m.urgency == .urgent }, set: { m.urgency = $0 ? .urgent : .normal }))
                    issue("description")
                }
                Section("Photos") {
                    ForEach(Array(m.photos.enumerated()), id: \.offset) { i, path in
                        HStack { FileImage(path: path).frame(width: 48, height: 48).clipped(); Spacer() }
                            .swipeActions { Button("Remove", role: .destructive) { m.removePhoto(at: i) } }
                    }
                    Button("Take photo") { showCamera = true }
                        .disabled(!UIImagePickerController.isSourceTypeAvailable(.camera) || m.photos.count >= ReportModel.maxPhotos)
                    PhotosPicker(selection: $picked, maxSelectionCount: ReportModel.maxPhotos, matching: .images) {
                        Text("Choose from library")
                    }
                    .onChange(of: picked) { _, items in
                        Task { for p in await savePicked(items) { m.addPhoto(p) }; picked = [] }
                    }
                    issue("photos")
                }
                Section("Position") {
                    Button(location.label) { location.request() }
                    if m.accuracyWarning { Text("The position is imprecise; check it before sending.").foregroundStyle(.orange) }
                    issue("position")
                }
                Section {
                    Button("Report") {
                        // The push after a report: a push-only run, shown on the sync screen.
                        Task { if await m.submit() != nil { await app.syncAfterWork() } }
                    }
                    .disabled(m.busy)
                    if let e = m.error { ErrorLine(error: e) }
                    if let id = m.submitted { Text("Reported (\(String(id.prefix(8))))").font(.footnote) }
                }
            }
            .navigationTitle("Report")
            .task { await m.load() }
            .onChange(of: location.fix) { _, fix in
                if let fix {
                    m.position = ReportPosition(lat: fix.coordinate.latitude, lon: fix.coordinate.longitude,
                                                accuracyM: fix.horizontalAccuracy >= 0 ? fix.horizontalAccuracy : nil)
                }
            }
            .sheet(isPresented: $showCamera) { CameraView { m.addPhoto($0) } }
        }
    }

    @ViewBuilder private func issue(_ field: String) -> some View {
        ForEach(bound.model.issues.filter { $0.field == field }, id: \.code) { ErrorLine(error: $0) }
    }
}

/// One location fix on request (when-in-use authorisation).
@MainActor
final class OneShotLocation: NSObject, ObservableObject, CLLocationManagerDelegate {
    @Published var fix: CLLocation?
    @Published var failure: String?
    private let manager = CLLocationManager()

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
    }

    var label: String {
        if let f = fix {
            return String(format: String(localized: "%.5f, %.5f (±%.0f m)"), f.coordinate.latitude, f.coordinate.longitude,
                          f.horizontalAccuracy)
        }
        return failure ?? String(localized: "Get location")
    }

    func request() {
        manager.requestWhenInUseAuthorization()
        manager.requestLocation()
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        let last = locations.last
        Task { @MainActor in self.fix = last }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        let text = error.localizedDescription
        Task { @MainActor in self.failure = text }
    }
}

/// The system camera; hands back the path of a JPEG written to the temporary folder (the
/// core copies it into the store, downsized, and deletes it: PhotoSettings.removeSources).
struct CameraView: UIViewControllerRepresentable {
    let onPhoto: (String) -> Void
    @Environment(\.dismiss) private var dismiss

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = .camera
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(self) }

    @MainActor
    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let parent: CameraView
        init(_ parent: CameraView) { self.parent = parent }

        func imagePickerController(_ picker: UIImagePickerController,
                                   didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            if let image = info[.originalImage] as? UIImage, let jpeg = image.jpegData(compressionQuality: 0.85) {
                let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).jpg")
                if (try? jpeg.write(to: url)) != nil { parent.onPhoto(url.path) }
            }
            parent.dismiss()
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { parent.dismiss() }
    }
}
