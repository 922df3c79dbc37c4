// Case detail: the case, its typed timeline, its photos (thumbnails first; a tap downloads
// and shows the full photo), its conflicts, and one button per action the core permits now
// (CaseDetailModel: availableActions). An action needing a note asks for it; a refusal shows
// the core's reason.
package org.gridwork.app

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.platform.LocalContext
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.FileProvider
import java.io.File
import java.util.UUID
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.ffi.ActionRequest
import org.gridwork.ffi.AvailableAction
import org.gridwork.ffi.CaseEvent
import org.gridwork.ffi.InputNeed
import org.gridwork.kit.PhotoItem
import java.text.DateFormat
import java.util.Date

@Composable
fun CaseDetailScreen(vm: CaseDetailViewModel, caseId: String) {
    LaunchedEffect(caseId) { vm.open(caseId) }
    val s by vm.state.collectAsStateWithLifecycle()
    var asking by remember { mutableStateOf<AvailableAction?>(null) }
    var fullPhoto by remember { mutableStateOf<String?>(null) }
    val case = s.case
    LazyColumn(Modifier.padding(16.dp)) {
        if (case == null) {
            item { if (s.error != null) ErrorLine(s.error) else Text(stringResource(R.string.loading)) }
            return@LazyColumn
        }
        item {
            Text(case.description, style = MaterialTheme.typography.titleMedium)
            Text("${statusLabel(case.status)} · ${case.category} · ${case.cell.orEmpty()}")
            case.reportRejected?.let { Text(stringResource(R.string.case_report_rejected, it), color = MaterialTheme.colorScheme.error) }
            if (case.conflicts.isNotEmpty()) {
                Text(stringResource(R.string.case_conflicts, case.conflicts.size), color = MaterialTheme.colorScheme.error)
                case.conflicts.forEach { Text("· ${it.actor.user}: ${it.kind} — ${it.reason}") }
            }
        }
        item {
            LazyRow { items(s.photos, key = { it.view.sha256 }) { p -> Thumbnail(p) { vm.openFull(p.view.sha256); fullPhoto = p.view.sha256 } } }
        }
        item {
            Row { s.actions.forEach { a -> OutlinedButton(onClick = { if (needsInput(a)) asking = a else vm.take(ActionRequest(kind = a.kind)) },
                enabled = !s.busy, modifier = Modifier.padding(end = 8.dp)) { Text(actionLabel(a.kind)) } } }
            ErrorLine(s.error)
        }
        item { Text(stringResource(R.string.case_timeline), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(top = 12.dp)) }
        items(case.timeline, key = { it.eventId }) { t ->
            Column(Modifier.padding(vertical = 4.dp)) {
                Text("${DateFormat.getDateTimeInstance().format(Date(t.atMs))} · ${t.actor.user}", style = MaterialTheme.typography.labelSmall)
                Text(eventText(t.event))
                if (t.conflict) Text(stringResource(R.string.case_conflict), color = MaterialTheme.colorScheme.error)
                if (t.sync is org.gridwork.ffi.SyncState.Pending) Text(stringResource(R.string.case_not_sent), style = MaterialTheme.typography.labelSmall)
                (t.sync as? org.gridwork.ffi.SyncState.Rejected)?.let {
                    Text(stringResource(R.string.case_step_rejected, it.reason), color = MaterialTheme.colorScheme.error)
                }
            }
        }
    }
    asking?.let { a -> InputDialog(a, onDismiss = { asking = null }) { note, photos -> asking = null
        vm.take(ActionRequest(kind = a.kind, note = note, department = a.defaultDepartment, photos = photos,
            conflict = a.openConflicts.firstOrNull())) } }
    fullPhoto?.let { sha -> s.photos.firstOrNull { it.view.sha256 == sha }?.let { FullPhoto(it) { fullPhoto = null } } }
}

/** Actions the dialog asks inputs for: a note/reason or photos (required or optional, per the core). */
private fun needsInput(a: AvailableAction) =
    a.inputs.note != InputNeed.NO || a.inputs.photos != InputNeed.NO

/** Asks for the note and the photos (camera into a FileProvider cache file) an action takes. */
@Composable
private fun InputDialog(a: AvailableAction, onDismiss: () -> Unit, onOk: (String?, List<String>) -> Unit) {
    val context = LocalContext.current
    var note by remember { mutableStateOf("") }
    var photos by remember { mutableStateOf(listOf<String>()) }
    var pending by remember { mutableStateOf<File?>(null) }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { ok ->
        val f = pending
        if (ok && f != null) photos = photos + f.path else f?.delete()
        pending = null
    }
    AlertDialog(onDismissRequest = onDismiss, title = { Text(actionLabel(a.kind)) },
        text = {
            Column {
                if (a.inputs.note != InputNeed.NO) {
                    OutlinedTextField(note, { note = it }, label = { Text(stringResource(R.string.field_note)) })
                }
                if (a.inputs.photos != InputNeed.NO) {
                    OutlinedButton(onClick = {
                        val file = File(File(context.cacheDir, "camera").apply { mkdirs() }, "${UUID.randomUUID()}.jpg")
                        pending = file
                        camera.launch(FileProvider.getUriForFile(context, "${context.packageName}.photos", file))
                    }) { Text(stringResource(R.string.report_take_photo)) }
                    photos.forEachIndexed { i, _ -> Text(stringResource(R.string.report_photo_n, i + 1)) }
                }
            }
        },
        confirmButton = { Button(onClick = { onOk(note.ifBlank { null }, photos) }) { Text(stringResource(R.string.ok)) } },
        dismissButton = { TextButton(onClick = { photos.forEach { File(it).delete() }; onDismiss() }) { Text(stringResource(R.string.cancel)) } })
}

@Composable
private fun Thumbnail(p: PhotoItem, onClick: () -> Unit) {
    val path = p.thumbnail
    val bitmap = remember(path) { path?.let { runCatching { BitmapFactory.decodeFile(it) }.getOrNull() } }
    Column(Modifier.padding(4.dp).size(96.dp).clickable(onClick = onClick)) {
        if (bitmap != null) Image(bitmap.asImageBitmap(), contentDescription = stringResource(R.string.photo))
        else Text(stringResource(R.string.photo_not_here))
    }
}

@Composable
private fun FullPhoto(p: PhotoItem, onClose: () -> Unit) {
    val bitmap = remember(p.full) { p.full?.let { runCatching { BitmapFactory.decodeFile(it) }.getOrNull() } }
    AlertDialog(onDismissRequest = onClose, confirmButton = { TextButton(onClick = onClose) { Text(stringResource(R.string.close)) } },
        text = {
            when {
                bitmap != null -> Image(bitmap.asImageBitmap(), contentDescription = stringResource(R.string.photo), modifier = Modifier.fillMaxWidth())
                p.loadingFull -> CircularProgressIndicator()
                else -> ErrorLine(p.error)
            }
        })
}

@Composable
private fun eventText(e: CaseEvent): String = when (e) {
    is CaseEvent.Reported -> stringResource(R.string.event_reported, e.description)
    is CaseEvent.Registered -> stringResource(R.string.event_registered)
    is CaseEvent.Dispatched -> stringResource(R.string.event_dispatched, e.department)
    is CaseEvent.Handled -> stringResource(R.string.event_handled, e.note.orEmpty())
    is CaseEvent.Verified -> stringResource(R.string.event_verified)
    is CaseEvent.Closed -> stringResource(R.string.event_closed)
    is CaseEvent.SelfResolved -> stringResource(R.string.event_self_resolved, e.note.orEmpty())
    is CaseEvent.ConflictResolved -> stringResource(R.string.event_conflict_resolved)
    else -> stringResource(R.string.event_other, e::class.simpleName.orEmpty())
}
