// The map: binds to GridworkKit's MapModel — cells (the account's highlighted), case pins and
// the own track, drawn with MapKit for SwiftUI (iOS 17: MapPolygon, MapPolyline, Annotation).
// Apple Maps draws China in GCJ-02, so the model converts the stored WGS-84 points (`.gcj02`,
// the default; points outside China do not move); the switch shows the raw WGS-84 points.
import SwiftUI
import MapKit
import GridworkKit

struct MapScreen: View {
    @StateObject private var bound: Bound<MapModel>

    init(model: MapModel) { _bound = StateObject(wrappedValue: Bound(model)) }

    var body: some View {
        let m = bound.model
        NavigationStack {
            Map {
                ForEach(m.cells) { c in
                    if let outer = c.rings.first {
                        MapPolygon(coordinates: outer.map(coordinate))
                            .foregroundStyle(c.mine ? Color.blue.opacity(0.15) : Color.gray.opacity(0.05))
                            .stroke(c.mine ? Color.blue : Color.gray, lineWidth: 1)
                    }
                }
                if m.track.count > 1 {
                    MapPolyline(coordinates: m.track.map(coordinate)).stroke(.green, lineWidth: 3)
                }
                ForEach(m.cases) { p in
                    Annotation(label(p.status), coordinate: coordinate(p.point)) {
                        Image(systemName: "mappin.circle.fill").foregroundStyle(p.overdue ? .red : .orange)
                    }
                }
                UserAnnotation()
            }
            .safeAreaInset(edge: .bottom) {
                Picker("Datum", selection: Binding(get: { m.datum }, set: { m.datum = $0 })) {
                    Text("China map (GCJ-02)").tag(MapModel.Datum.gcj02)
                    Text("GPS (WGS-84)").tag(MapModel.Datum.wgs84)
                }
                .pickerStyle(.segmented).padding()
            }
            .navigationTitle("Map")
            .task { await m.load() }
        }
    }
}

private func coordinate(_ p: GeoPoint) -> CLLocationCoordinate2D { CLLocationCoordinate2D(latitude: p.lat, longitude: p.lon) }
