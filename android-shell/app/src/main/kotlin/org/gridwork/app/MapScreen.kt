// The map, drawn on a Compose Canvas from the kit's MapModel: every cell's outline (the
// account's cells filled), the cases as dots (overdue in red), the own patrol track as a line.
// No map SDK, no Google Play services, no tile server: the projection is the kit's
// MapProjection (tested on CI). A switch shows the points in GCJ-02 (what a Chinese base map
// would draw) instead of WGS-84.
package org.gridwork.app

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.drawscope.Fill
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.kit.Datum

@Composable
fun MapScreen(vm: MapViewModel) {
    val s by vm.state.collectAsStateWithLifecycle()
    val outline = MaterialTheme.colorScheme.outline
    val mine = MaterialTheme.colorScheme.primary.copy(alpha = 0.15f)
    val track = MaterialTheme.colorScheme.primary
    Column {
        Row(Modifier.padding(8.dp), verticalAlignment = Alignment.CenterVertically) {
            Switch(checked = s.datum == Datum.GCJ02, onCheckedChange = { vm.show(if (it) Datum.GCJ02 else Datum.WGS84) })
            Text(stringResource(if (s.datum == Datum.GCJ02) R.string.map_gcj02 else R.string.map_wgs84), Modifier.padding(start = 8.dp))
        }
        ErrorLine(s.error)
        Canvas(Modifier.fillMaxSize().padding(8.dp)) {
            val proj = s.projection(size.width, size.height) ?: return@Canvas
            fun at(p: org.gridwork.ffi.GeoPoint) = proj.toCanvas(p).let { (x, y) -> Offset(x, y) }
            for (c in s.cells) {
                if (c.ring.size < 3) continue
                val path = Path().apply {
                    moveTo(at(c.ring[0]).x, at(c.ring[0]).y)
                    c.ring.drop(1).forEach { val o = at(it); lineTo(o.x, o.y) }
                    close()
                }
                if (c.mine) drawPath(path, mine, style = Fill)
                drawPath(path, outline, style = Stroke(width = 1f))
            }
            for (stretch in s.track) {
                for (i in 1 until stretch.size) drawLine(track, at(stretch[i - 1]), at(stretch[i]), strokeWidth = 4f)
            }
            for (c in s.cases) drawCircle(if (c.overdue) Color.Red else Color(0xFFFF8F00), radius = 6f, center = at(c.at))
        }
    }
}
