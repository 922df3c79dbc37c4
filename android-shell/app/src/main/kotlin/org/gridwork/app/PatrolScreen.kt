// The patrol screen, bound to the kit's PatrolModel: a cell picker (the account's cells),
// start / pause / resume / finish, check-in at the current position, and the live distance
// and coverage (refreshed on each fix batch the recording service stores). Starting asks for
// precise location with approximate (Android 12+) and notifications on 13+. A button opens the
// list of the worker's patrols (PatrolListScreen).
package org.gridwork.app

import android.os.Build
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.kit.LocationGrant
import org.gridwork.kit.LocationPermissions
import org.gridwork.kit.PatrolPhase

@Composable
fun PatrolScreen(vm: PatrolViewModel, onHistory: () -> Unit) {
    val s by vm.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    // A patrol needs a GPS track: approximate location alone does not start one.
    val startPermission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { granted ->
        if (LocationPermissions.grant(granted) == LocationGrant.PRECISE) vm.start()
    }
    val checkInPermission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { granted ->
        val grant = LocationPermissions.grant(granted)
        if (grant != LocationGrant.NONE) currentLocation(context, grant) { loc -> loc?.let { vm.checkIn(it.latitude, it.longitude, null, null) } }
    }
    Column(Modifier.padding(16.dp)) {
        when (s.phase) {
            PatrolPhase.NONE -> {
                Text(stringResource(R.string.patrol_pick_cells), style = MaterialTheme.typography.titleMedium)
                if (s.cells.isEmpty()) Text(stringResource(R.string.patrol_no_cells))
                LazyColumn(Modifier.heightIn(max = 320.dp)) {
                    items(s.cells, key = { it.code }) { c ->
                        Row(verticalAlignment = Alignment.CenterVertically) {
                            Checkbox(checked = c.code in s.selected, onCheckedChange = { vm.toggle(c.code) })
                            Text("${c.code} ${c.name}")
                        }
                    }
                }
                Button(enabled = !s.busy, onClick = { startPermission.launch(LocationPermissions.forPatrol(Build.VERSION.SDK_INT).toTypedArray()) }) {
                    Text(stringResource(R.string.patrol_start))
                }
                s.finished?.let { f ->
                    Text(stringResource(R.string.patrol_finished_summary, f.stats.distanceM / 1000, f.checkIns.size), Modifier.padding(top = 8.dp))
                }
            }
            PatrolPhase.ACTIVE, PatrolPhase.PAUSED -> {
                Text(stringResource(if (s.phase == PatrolPhase.ACTIVE) R.string.patrol_recording else R.string.patrol_paused),
                    style = MaterialTheme.typography.titleMedium)
                Text(stringResource(R.string.patrol_distance, s.distanceM / 1000))
                Text(stringResource(R.string.patrol_fixes, s.fixCount.toLong(), s.checkIns))
                s.coverage.forEach { Text(stringResource(R.string.patrol_coverage, it.cellId, it.coveredShare * 100)) }
                Row(Modifier.padding(top = 8.dp)) {
                    if (s.phase == PatrolPhase.ACTIVE) OutlinedButton(onClick = vm::pause) { Text(stringResource(R.string.patrol_pause)) }
                    else OutlinedButton(onClick = vm::resume) { Text(stringResource(R.string.patrol_resume)) }
                    OutlinedButton(onClick = { checkInPermission.launch(LocationPermissions.forReport().toTypedArray()) },
                        modifier = Modifier.padding(start = 8.dp)) { Text(stringResource(R.string.patrol_check_in)) }
                    Button(onClick = vm::finish, modifier = Modifier.padding(start = 8.dp)) { Text(stringResource(R.string.patrol_finish)) }
                }
            }
        }
        ErrorLine(s.error)
        OutlinedButton(onClick = onHistory, modifier = Modifier.padding(top = 16.dp)) { Text(stringResource(R.string.patrols_open)) }
    }
}
