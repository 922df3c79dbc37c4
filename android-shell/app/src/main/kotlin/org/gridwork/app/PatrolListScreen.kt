// The worker's patrols, bound to the kit's PatrolListModel: one row per patrol, open or
// finished, newest first, with its date, cells, distance, duration, coverage and check-ins
// (read a page at a time); a row opens the patrol's detail (coverage per cell, check-ins with
// their notes, the integrity verdict), from which the map screen draws its track.
package org.gridwork.app

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.ffi.PatrolStatus
import org.gridwork.ffi.Verdict
import org.gridwork.kit.PatrolRow
import java.text.DateFormat
import java.util.Date

@Composable
fun PatrolListScreen(vm: PatrolListViewModel, onOpen: (String) -> Unit) {
    val s by vm.state.collectAsStateWithLifecycle()
    LazyColumn(Modifier.padding(16.dp)) {
        item { Text(stringResource(R.string.patrols_title), style = MaterialTheme.typography.titleMedium) }
        if (s.rows.isEmpty() && !s.loading) item { Text(stringResource(R.string.patrols_none)) }
        items(s.rows, key = { it.id }) { row ->
            PatrolRowView(row, Modifier.fillMaxWidth().clickable { onOpen(row.id) }.padding(vertical = 8.dp))
            HorizontalDivider()
        }
        if (!s.endReached && s.rows.isNotEmpty()) {
            item { OutlinedButton(onClick = vm::loadMore, enabled = !s.loading) { Text(stringResource(R.string.cases_more)) } }
        }
        item { ErrorLine(s.error) }
    }
}

@Composable
private fun PatrolRowView(row: PatrolRow, modifier: Modifier) {
    Column(modifier) {
        Text("${DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT).format(Date(row.startedAtMs))} · ${patrolStatusLabel(row.status)}",
            style = MaterialTheme.typography.labelLarge)
        Text(row.cells.joinToString(", "), style = MaterialTheme.typography.bodySmall)
        Text(stringResource(R.string.patrols_figures, row.distanceM / 1000, row.durationS / 60, row.coverage * 100, row.checkIns))
    }
}

@Composable
fun PatrolDetailScreen(vm: PatrolListViewModel, id: String, onMap: (String) -> Unit) {
    LaunchedEffect(id) { vm.open(id) }
    val s by vm.state.collectAsStateWithLifecycle()
    val d = s.opened?.takeIf { it.id == id }
    LazyColumn(Modifier.padding(16.dp)) {
        if (d == null) {
            item { if (s.error != null) ErrorLine(s.error) else Text(stringResource(R.string.loading)) }
            return@LazyColumn
        }
        item {
            val fmt = DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT)
            Text(stringResource(R.string.patrol_detail_title, fmt.format(Date(d.startedAtMs))), style = MaterialTheme.typography.titleMedium)
            Text(patrolStatusLabel(d.status))
            d.finishedAtMs?.let { Text(stringResource(R.string.patrol_detail_finished, fmt.format(Date(it)))) }
            Text(stringResource(R.string.patrol_distance, d.stats.distanceM / 1000))
            Text(stringResource(R.string.patrol_detail_duration, d.stats.durationS / 60, d.stats.movingTimeS / 60))
            Text(stringResource(R.string.patrol_fixes, d.stats.fixCount.toLong(), d.checkIns.size))
            Text(stringResource(when (d.integrity.verdict) {
                Verdict.TRUSTED -> R.string.patrol_verdict_trusted
                Verdict.QUESTIONABLE -> R.string.patrol_verdict_questionable
                Verdict.UNTRUSTED -> R.string.patrol_verdict_untrusted
            }))
            OutlinedButton(onClick = { onMap(d.id) }, modifier = Modifier.padding(vertical = 8.dp)) { Text(stringResource(R.string.patrol_show_track)) }
        }
        items(d.coverage, key = { it.cellId }) { Text(stringResource(R.string.patrol_coverage, it.cellId, it.coveredShare * 100)) }
        item { Text(stringResource(R.string.patrol_detail_check_ins), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(top = 8.dp)) }
        items(d.checkIns, key = { it.timeMs }) { c ->
            val at = "%.5f, %.5f".format(c.lat, c.lon)
            Text("${DateFormat.getTimeInstance(DateFormat.SHORT).format(Date(c.timeMs))} · $at${c.note?.let { " — $it" }.orEmpty()}")
        }
    }
}

@Composable
private fun patrolStatusLabel(s: PatrolStatus): String = stringResource(
    when (s) {
        PatrolStatus.ACTIVE -> R.string.patrol_recording
        PatrolStatus.PAUSED -> R.string.patrol_paused
        PatrolStatus.FINISHED -> R.string.patrol_status_finished
    },
)
