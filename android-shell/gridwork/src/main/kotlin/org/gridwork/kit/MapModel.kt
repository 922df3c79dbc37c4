// State of the map screen: the grid's cells with their geometry, the cases held on the device,
// and the own patrol track, in the datum the screen draws (WGS-84 as stored, or GCJ-02 for a
// Chinese base map), plus the projection that fits them onto a canvas. The app draws it on a
// Compose Canvas itself (no map SDK, no tile server). Tested on the JVM.
package org.gridwork.kit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import org.gridwork.ffi.CaseFilter
import org.gridwork.ffi.GeoPoint
import org.gridwork.ffi.GridCell
import org.gridwork.ffi.PatrolExportFormat
import org.gridwork.ffi.Status

/** The datum the map draws in. */
enum class Datum {
    /** As stored (GPS). */
    WGS84,

    /** China's GCJ-02 (AMap, Tencent): what a Chinese base map expects. */
    GCJ02,
}

/** A cell as drawn: its outer ring in the display datum. */
data class MapCell(val code: String, val name: String, val ring: List<GeoPoint>, val mine: Boolean)

/** A case as drawn. */
data class MapCase(val id: String, val at: GeoPoint, val status: Status, val overdue: Boolean)

/** Fits a bounding box onto a canvas of [width] × [height] (north up, aspect kept). */
data class MapProjection(
    val minLat: Double, val minLon: Double, val maxLat: Double, val maxLon: Double,
    val width: Float, val height: Float,
) {
    private val kx = Math.cos(Math.toRadians((minLat + maxLat) / 2))
    private val scale: Double = run {
        val w = ((maxLon - minLon) * kx).coerceAtLeast(1e-9)
        val h = (maxLat - minLat).coerceAtLeast(1e-9)
        minOf(width / w, height / h)
    }

    /** Canvas x, y of [p] (y grows downwards). */
    fun toCanvas(p: GeoPoint): Pair<Float, Float> =
        ((p.lon - minLon) * kx * scale).toFloat() to (height - (p.lat - minLat) * scale).toFloat()
}

/** What the map shows. */
data class MapState(
    val datum: Datum = Datum.WGS84,
    val cells: List<MapCell> = emptyList(),
    val cases: List<MapCase> = emptyList(),
    /** The own patrol's track, one list per continuous stretch. */
    val track: List<List<GeoPoint>> = emptyList(),
    val error: ErrorInfo? = null,
) {
    /** A projection fitting every cell, case and track point onto a canvas. */
    fun projection(width: Float, height: Float): MapProjection? {
        val all = cells.flatMap { it.ring } + cases.map { it.at } + track.flatten()
        if (all.isEmpty()) return null
        return MapProjection(all.minOf { it.lat }, all.minOf { it.lon }, all.maxOf { it.lat }, all.maxOf { it.lon }, width, height)
    }
}

/** The map's state holder. */
class MapModel(private val repo: GridworkRepository) {
    private val _state = MutableStateFlow(MapState())
    private var raw = Raw(emptyList(), emptySet(), emptyList(), emptyList())

    private data class Raw(val cells: List<GridCell>, val mine: Set<String>, val cases: List<MapCase>, val track: List<List<GeoPoint>>)

    /** The map's state. */
    val state: StateFlow<MapState> = _state.asStateFlow()

    /** Loads cells, cases and the track of [patrolId] (or the open patrol, or the latest one). */
    suspend fun load(patrolId: String? = null) {
        val o = guarded {
            withContext(Dispatchers.IO) {
                val cells = repo.store.cells()
                val mine = repo.store.myCells().map { it.code }.toSet()
                val cases = repo.cases(CaseFilter()).map { MapCase(it.id, GeoPoint(it.lat, it.lon), it.status, it.overdue) }
                val id = patrolId ?: repo.store.openPatrol() ?: repo.store.patrols().firstOrNull { !it.remote }?.id
                val track = id?.let { trackOf(repo.store.exportPatrol(it, PatrolExportFormat.GEO_JSON)) } ?: emptyList()
                Raw(cells, mine, cases, track)
            }
        }
        when (o) {
            is Outcome.Ok -> { raw = o.value; show(state.value.datum) }
            is Outcome.Failed -> _state.update { it.copy(error = o.error) }
        }
    }

    /** Switches the display datum (WGS-84 ↔ GCJ-02); the store keeps WGS-84. */
    fun show(datum: Datum) {
        val f: (GeoPoint) -> GeoPoint = if (datum == Datum.GCJ02) MapDatum::toGcj02 else { p -> p }
        _state.value = MapState(
            datum = datum,
            cells = raw.cells.map { c -> MapCell(c.code, c.name, c.rings.firstOrNull().orEmpty().map(f), c.code in raw.mine) },
            cases = raw.cases.map { it.copy(at = f(it.at)) },
            track = raw.track.map { s -> s.map(f) },
        )
    }

    companion object {
        private val line = Regex(""""coordinates"\s*:\s*\[\s*(\[[^\[\]]*\](?:\s*,\s*\[[^\[\]]*\])*)\s*\]""")
        private val pair = Regex("""\[\s*(-?[0-9.eE+-]+)\s*,\s*(-?[0-9.eE+-]+)\s*\]""")

        /** The LineStrings of a patrol's GeoJSON export (`[lon, lat]` pairs), as WGS-84 points. */
        fun trackOf(geojson: String): List<List<GeoPoint>> = line.findAll(geojson).mapNotNull { m ->
            val points = pair.findAll(m.groupValues[1]).map { GeoPoint(it.groupValues[2].toDouble(), it.groupValues[1].toDouble()) }.toList()
            points.takeIf { it.size >= 2 }
        }.toList()
    }
}
