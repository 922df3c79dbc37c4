// Case detail: the case, its typed timeline, its photos (thumbnails first; a tap downloads
// and shows the full photo), its conflicts, and one button per action the core permits now
// (CaseDetailModel: availableActions). An action that takes inputs opens its form (the kit's
// ActionForm: department, extension, note, photos, position); a refusal shows the core's reason.
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
import android.os.CancellationSignal
import androidx.activity.result.PickVisualMediaRequest
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.FilterChip
import androidx.compose.material3.InputChip
import androidx.compose.material3.RadioButton
import androidx.compose.runtime.DisposableEffect
import androidx.compose.ui.Alignment
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.input.KeyboardType
import org.gridwork.ffi.ActionRequest
import org.gridwork.ffi.CaseEvent
import org.gridwork.ffi.GeoPoint
import org.gridwork.ffi.InputNeed
import org.gridwork.ffi.TimeLimit
import org.gridwork.kit.ActionForm
import org.gridwork.kit.ErrorInfo
import org.gridwork.kit.LocationGrant
import org.gridwork.kit.LocationPermissions
import org.gridwork.kit.PhotoItem
import org.gridwork.kit.amount
import org.gridwork.kit.asksForInput
import java.util.Locale
import java.text.DateFormat
import java.util.Date

@Composable
fun CaseDetailScreen(vm: CaseDetailViewModel, caseId: String) {
    LaunchedEffect(caseId) { vm.open(caseId) }
    val s by vm.state.collectAsStateWithLifecycle()
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
            Row { s.actions.forEach { a -> OutlinedButton(onClick = { if (a.asksForInput) vm.begin(a) else vm.take(ActionRequest(kind = a.kind)) },
                enabled = !s.busy, modifier = Modifier.padding(end = 8.dp)) { Text(actionLabel(a.kind)) } } }
            if (s.form == null) ErrorLine(s.error)
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
    s.form?.let { form -> ActionDialog(form, s.error, vm) }
    fullPhoto?.let { sha -> s.photos.firstOrNull { it.view.sha256 == sha }?.let { FullPhoto(it) { fullPhoto = null } } }
}

/**
 * The form of the action being taken (the kit's ActionForm), one input per input the core
 * declares: the note or reason, a department picked from the catalogue's, an extension in
 * working days or hours, photos from the camera (TakePicture into a FileProvider cache file)
 * or the gallery (PickMultipleVisualMedia, copied to cache files), the position, the step to
 * settle. The kit refuses a missing required input with its field before calling the core.
 */
@Composable
private fun ActionDialog(form: ActionForm, error: ErrorInfo?, vm: CaseDetailViewModel) {
    val context = LocalContext.current
    val i = form.action.inputs
    val zh = Locale.getDefault().language == "zh"
    var pending by remember { mutableStateOf<File?>(null) }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { ok ->
        val f = pending
        if (ok && f != null) vm.edit { it.copy(photos = it.photos + f.path) } else f?.delete()
        pending = null
    }
    val gallery = rememberLauncherForActivityResult(ActivityResultContracts.PickMultipleVisualMedia(MAX_ACTION_PHOTOS)) { uris ->
        val copies = uris.mapNotNull { copyToCache(context, it) }
        vm.edit { it.copy(photos = it.photos + copies) }
    }
    val fixRequest = remember { arrayOfNulls<CancellationSignal>(1) }
    DisposableEffect(Unit) { onDispose { fixRequest[0]?.cancel() } }
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { results ->
        val grant = LocationPermissions.grant(results)
        if (grant != LocationGrant.NONE) {
            fixRequest[0]?.cancel()
            fixRequest[0] = currentLocation(context, grant) { loc ->
                if (loc != null) vm.edit { it.copy(position = GeoPoint(loc.latitude, loc.longitude)) }
            }
        }
    }
    fun marked(field: String) = error?.field == field
    AlertDialog(onDismissRequest = vm::dismiss, title = { Text(actionLabel(form.action.kind)) },
        text = {
            Column(Modifier.verticalScroll(rememberScrollState())) {
                if (i.note != InputNeed.NO) {
                    OutlinedTextField(form.note, { t -> vm.edit { it.copy(note = t) } }, isError = marked("note"),
                        label = { Text(stringResource(if (i.note == InputNeed.REQUIRED) R.string.field_reason_required else R.string.field_note)) })
                }
                if (i.department != InputNeed.NO) {
                    Text(stringResource(R.string.action_department), style = MaterialTheme.typography.labelLarge,
                        color = if (marked("department")) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface)
                    form.departments.forEach { d ->
                        Row(Modifier.fillMaxWidth().selectable(selected = form.department == d.id, role = Role.RadioButton,
                            onClick = { vm.edit { it.copy(department = d.id) } }), verticalAlignment = Alignment.CenterVertically) {
                            RadioButton(selected = form.department == d.id, onClick = null)
                            Text(if (zh) d.nameZh else d.nameEn, Modifier.padding(start = 8.dp))
                            if (d.id == form.action.defaultDepartment) {
                                Text(stringResource(R.string.action_department_default), style = MaterialTheme.typography.labelSmall,
                                    modifier = Modifier.padding(start = 8.dp))
                            }
                        }
                    }
                }
                if (i.extend != InputNeed.NO) ExtendInput(form.extend, marked("extend")) { e -> vm.edit { it.copy(extend = e) } }
                if (i.photos != InputNeed.NO) {
                    Row {
                        OutlinedButton(onClick = {
                            val file = File(File(context.cacheDir, "camera").apply { mkdirs() }, "${UUID.randomUUID()}.jpg")
                            pending = file
                            camera.launch(FileProvider.getUriForFile(context, "${context.packageName}.photos", file))
                        }) { Text(stringResource(R.string.report_take_photo)) }
                        OutlinedButton(onClick = { gallery.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly)) },
                            modifier = Modifier.padding(start = 8.dp)) { Text(stringResource(R.string.report_pick_photos)) }
                    }
                    Row {
                        form.photos.forEachIndexed { n, p ->
                            InputChip(selected = false, onClick = { vm.removePhoto(p) }, label = { Text(stringResource(R.string.report_photo_n, n + 1)) })
                        }
                    }
                    if (i.photos == InputNeed.REQUIRED && form.photos.isEmpty()) {
                        Text(stringResource(R.string.action_photo_required), style = MaterialTheme.typography.labelSmall,
                            color = if (marked("photos")) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface)
                    }
                }
                if (i.position != InputNeed.NO) {
                    OutlinedButton(onClick = { permission.launch(LocationPermissions.forReport().toTypedArray()) }) {
                        Text(form.position?.let { stringResource(R.string.action_position, it.lat, it.lon) }
                            ?: stringResource(R.string.report_get_position))
                    }
                }
                if (i.conflict != InputNeed.NO) {
                    Text(stringResource(R.string.action_conflict_step), style = MaterialTheme.typography.labelLarge)
                    form.action.openConflicts.forEach { c ->
                        Row(Modifier.fillMaxWidth().selectable(selected = form.conflict == c, role = Role.RadioButton,
                            onClick = { vm.edit { it.copy(conflict = c) } }), verticalAlignment = Alignment.CenterVertically) {
                            RadioButton(selected = form.conflict == c, onClick = null)
                            Text(c.take(8), Modifier.padding(start = 8.dp))
                        }
                    }
                }
                ErrorLine(error)
            }
        },
        confirmButton = { Button(onClick = { vm.submit() }) { Text(actionLabel(form.action.kind)) } },
        dismissButton = { TextButton(onClick = vm::dismiss) { Text(stringResource(R.string.cancel)) } })
}

/** More time: a number of working days or hours; empty asks for the category's limit again. */
@Composable
private fun ExtendInput(extend: TimeLimit?, marked: Boolean, onChange: (TimeLimit?) -> Unit) {
    var text by remember { mutableStateOf(extend?.amount()?.toString().orEmpty()) }
    var hours by remember { mutableStateOf(extend is TimeLimit.WorkingHours) }
    fun emit() {
        val n = text.trim().toUIntOrNull()
        onChange(n?.let { if (hours) TimeLimit.WorkingHours(it) else TimeLimit.WorkingDays(it) })
    }
    OutlinedTextField(text, { t -> text = t.filter(Char::isDigit); emit() }, isError = marked, singleLine = true,
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
        label = { Text(stringResource(R.string.action_extend)) },
        supportingText = { Text(stringResource(R.string.action_extend_hint)) })
    Row {
        FilterChip(selected = !hours, onClick = { hours = false; emit() }, label = { Text(stringResource(R.string.action_extend_days)) })
        FilterChip(selected = hours, onClick = { hours = true; emit() }, label = { Text(stringResource(R.string.action_extend_hours)) },
            modifier = Modifier.padding(start = 8.dp))
    }
}

private const val MAX_ACTION_PHOTOS = 4

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
