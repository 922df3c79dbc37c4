// The report screen: category picker, description, a camera photo (saved as a JPEG file the
// core copies into its store) and the current position from CoreLocation (WGS-84); the
// patrol toggle (PatrolTracker) and the sync button with the sign-in form.
import SwiftUI
import CoreLocation
import UIKit
import GridworkKit

struct ReportView: View {
    @EnvironmentObject private var model: AppModel
    @StateObject private var location = OneShotLocation()
    @State private var category = ""
    @State private var text = ""
    @State private var photoPath: String?
    @State private var showCamera = false
    @State private var server = "https://"
    @State private var user = ""
    @State private var password = ""

    var body: some View {
        NavigationStack {
            Form {
                Section {
                    // No cells are assigned on the device yet: the patrol records the track;
                    // coverage is computed for the cells a supervisor assigns.
                    Toggle(model.patrol.patrolId == nil ? "Patrol" : "Patrolling (\(model.patrol.fixes) fixes)",
                           isOn: Binding(get: { model.patrol.patrolId != nil },
                                         set: { on in Task { await model.setPatrolling(on, cells: []) } }))
                }
                Section("Sync") {
                    if model.syncStatus?.signedIn == true {
                        Button("Sync now") { Task { await model.sync() } }
                        Text("\(model.syncStatus?.pendingEvents ?? 0) waiting to send").font(.footnote)
                    } else {
                        TextField("Server", text: $server).textInputAutocapitalization(.never)
                        TextField("User", text: $user).textInputAutocapitalization(.never)
                        SecureField("Password", text: $password)
                        Button("Sign in") { Task { await model.signIn(server: server, user: user, password: password) } }
                    }
                }
                Section("Problem") {
                    Picker("Category", selection: $category) {
                        ForEach(model.categories, id: \.code) { c in
                            Text("\(c.code) \(c.nameZh) · \(c.nameEn)").tag(c.code)
                        }
                    }
                    TextField("What did you see?", text: $text, axis: .vertical).lineLimit(3...6)
                }
                Section("Evidence") {
                    Button(photoPath == nil ? "Take photo" : "Photo taken ✓ (retake)") { showCamera = true }
                        .disabled(!UIImagePickerController.isSourceTypeAvailable(.camera))
                    Button(location.label) { location.request() }
                }
                Section {
                    Button("Report") {
                        guard let fix = location.fix else { return }
                        Task {
                            await model.report(category: category, lat: fix.coordinate.latitude,
                                               lon: fix.coordinate.longitude,
                                               accuracy: fix.horizontalAccuracy >= 0 ? fix.horizontalAccuracy : nil,
                                               description: text, photo: photoPath)
                        }
                    }
                    .disabled(model.busy || location.fix == nil || category.isEmpty)
                    if let message = model.message { Text(message).font(.footnote) }
                }
            }
            .navigationTitle("Report")
            .onAppear { if category.isEmpty { category = model.categories.first?.code ?? "" } }
            .sheet(isPresented: $showCamera) { CameraView { photoPath = $0 } }
        }
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
            return String(format: "%.5f, %.5f (±%.0f m)", f.coordinate.latitude, f.coordinate.longitude, f.horizontalAccuracy)
        }
        return failure ?? "Get location"
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

/// The system camera; hands back the path of a JPEG written to the temporary folder.
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

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let parent: CameraView
        init(_ parent: CameraView) { self.parent = parent }

        func imagePickerController(_ picker: UIImagePickerController,
                                   didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            if let image = info[.originalImage] as? UIImage, let jpeg = image.jpegData(compressionQuality: 0.8) {
                let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).jpg")
                if (try? jpeg.write(to: url)) != nil { parent.onPhoto(url.path) }
            }
            parent.dismiss()
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { parent.dismiss() }
    }
}
