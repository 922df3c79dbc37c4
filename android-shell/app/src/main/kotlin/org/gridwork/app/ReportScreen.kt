// The report screen, bound to the kit's ReportModel: category search over the downloaded
// catalogue, description, several photos from the camera (TakePicture into a FileProvider
// cache file) or the gallery (PickMultipleVisualMedia, copied to cache files: the core takes
// paths), the position with its accuracy from LocationManager (WGS-84, no Google Play
// services), and the model's validation before submit.
package org.gridwork.app

import android.annotation.SuppressLint
import android.content.Context
import android.location.Location
import android.location.LocationManager
import android.net.Uri
import android.os.CancellationSignal
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.InputChip
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.core.content.FileProvider
import androidx.core.location.LocationManagerCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.kit.LocationGrant
import org.gridwork.kit.LocationPermissions
import org.gridwork.kit.ReportPosition
import java.io.File
import java.util.Locale
import java.util.UUID

@Composable
fun ReportScreen(vm: ReportViewModel) {
    val s by vm.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    var pending by remember { mutableStateOf<File?>(null) }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { ok ->
        val f = pending
        if (ok && f != null) vm.addPhoto(f.path) else f?.delete()
        pending = null
    }
    val gallery = rememberLauncherForActivityResult(ActivityResultContracts.PickMultipleVisualMedia(MAX_PHOTOS)) { uris ->
        uris.forEach { uri -> copyToCache(context, uri)?.let(vm::addPhoto) }
    }
    // One pending fix request at a time; cancelled when the screen goes away.
    val fixRequest = remember { arrayOfNulls<CancellationSignal>(1) }
    DisposableEffect(Unit) { onDispose { fixRequest[0]?.cancel() } }
    // Android 12+: FINE together with COARSE; the user may grant only "approximate".
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { results ->
        val grant = LocationPermissions.grant(results)
        if (grant != LocationGrant.NONE) {
            fixRequest[0]?.cancel()
            fixRequest[0] = currentLocation(context, grant) { loc ->
                if (loc != null) vm.setPosition(ReportPosition(loc.latitude, loc.longitude, if (loc.hasAccuracy()) loc.accuracy.toDouble() else null))
            }
        }
    }
    val zh = Locale.getDefault().language == "zh"
    fun problem(field: String) = s.problems.firstOrNull { it.field == field }

    Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState())) {
        if (s.categories.isEmpty()) Text(stringResource(R.string.report_no_catalogue))
        OutlinedTextField(s.query, vm::search, label = { Text(stringResource(R.string.report_search_category)) },
            singleLine = true, isError = problem("category") != null, modifier = Modifier.fillMaxWidth())
        s.category?.let { Text(stringResource(R.string.report_category_picked, it.code, if (zh) it.nameZh else it.nameEn)) }
        LazyColumn(Modifier.heightIn(max = 200.dp)) {
            items(s.matches, key = { it.code }) { c ->
                Text("${c.code} ${if (zh) c.nameZh else c.nameEn}", Modifier.fillMaxWidth().clickable { vm.pick(c) }.padding(8.dp))
            }
        }
        problem("category")?.let { ErrorLine(it) }
        OutlinedTextField(s.description, vm::describe, label = { Text(stringResource(R.string.field_description)) },
            isError = problem("description") != null, minLines = 3, modifier = Modifier.fillMaxWidth().padding(top = 8.dp))
        problem("description")?.let { ErrorLine(it) }
        Row(Modifier.padding(top = 8.dp)) {
            OutlinedButton(onClick = {
                val dir = File(context.cacheDir, "camera").apply { mkdirs() }
                val file = File(dir, "${UUID.randomUUID()}.jpg")
                pending = file
                camera.launch(FileProvider.getUriForFile(context, "${context.packageName}.photos", file))
            }) { Text(stringResource(R.string.report_take_photo)) }
            OutlinedButton(onClick = {
                gallery.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
            }, modifier = Modifier.padding(start = 8.dp)) { Text(stringResource(R.string.report_pick_photos)) }
        }
        Row { s.photos.forEachIndexed { i, p ->
            InputChip(selected = false, onClick = { vm.removePhoto(p) }, label = { Text(stringResource(R.string.report_photo_n, i + 1)) })
        } }
        OutlinedButton(onClick = { permission.launch(LocationPermissions.forReport().toTypedArray()) }, modifier = Modifier.padding(top = 8.dp)) {
            Text(s.position?.let { p ->
                stringResource(R.string.report_position, p.lat, p.lon, p.accuracyM?.let { "±%.0f m".format(it) } ?: "?")
            } ?: stringResource(R.string.report_get_position))
        }
        s.cell?.let { Text(stringResource(R.string.report_cell, it)) }
        problem("position")?.let { ErrorLine(it) }
        Button(enabled = !s.busy, onClick = vm::submit, modifier = Modifier.padding(top = 16.dp)) { Text(stringResource(R.string.report_submit)) }
        ErrorLine(s.error)
        s.reported?.let { Text(stringResource(R.string.report_done, it.take(8))) }
    }
}

private const val MAX_PHOTOS = 9

/** Copies a picked image into the app's cache (the core reads files, not content URIs). */
internal fun copyToCache(context: Context, uri: Uri): String? = runCatching {
    val dir = File(context.cacheDir, "picked").apply { mkdirs() }
    val file = File(dir, "${UUID.randomUUID()}.jpg")
    context.contentResolver.openInputStream(uri)?.use { input -> file.outputStream().use { input.copyTo(it) } } ?: return null
    file.path
}.getOrNull()

/**
 * One fresh fix: GPS with precise location (the network provider when GPS is off), the
 * network provider with approximate location only (GPS_PROVIDER needs FINE). Returns the
 * signal that cancels the request.
 *
 * androidx.core 1.15 has two `getCurrentLocation` overloads differing only in the signal's
 * type (android.os.CancellationSignal, and the deprecated androidx.core.os one): a bare
 * `null` matches both and does not compile, so the signal is a typed platform one.
 */
@SuppressLint("MissingPermission") // asked for just before (LocationPermissions.forReport)
internal fun currentLocation(context: Context, grant: LocationGrant, onFix: (Location?) -> Unit): CancellationSignal? {
    val manager = context.getSystemService(Context.LOCATION_SERVICE) as LocationManager
    val provider = LocationPermissions.provider(grant, manager.isProviderEnabled(LocationManager.GPS_PROVIDER))
        ?: return null
    val signal = CancellationSignal()
    LocationManagerCompat.getCurrentLocation(manager, provider, signal, ContextCompat.getMainExecutor(context)) { onFix(it) }
    return signal
}
