// The report screen: category picker, description, a camera photo (written by the camera app
// into a cache file the core then copies into the store) and the current position from the
// platform's LocationManager (GPS/network, WGS-84; no Google Play services needed).
package org.gridwork.app

import android.annotation.SuppressLint
import android.content.Context
import android.location.Location
import android.location.LocationManager
import android.os.CancellationSignal
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ExposedDropdownMenuBox
import androidx.compose.material3.ExposedDropdownMenuDefaults
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
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.core.content.FileProvider
import androidx.core.location.LocationManagerCompat
import org.gridwork.kit.LocationGrant
import org.gridwork.kit.LocationPermissions
import java.io.File
import java.util.UUID

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ReportScreen(
    state: UiState,
    onReport: (category: String, lat: Double, lon: Double, accuracyM: Double?, description: String, photo: String?) -> Unit,
) {
    val context = LocalContext.current
    var category by remember { mutableStateOf(state.categories.firstOrNull()?.code.orEmpty()) }
    var pickerOpen by remember { mutableStateOf(false) }
    var description by remember { mutableStateOf("") }
    var photo by remember { mutableStateOf<File?>(null) }
    var pending by remember { mutableStateOf<File?>(null) }
    var location by remember { mutableStateOf<Location?>(null) }

    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { ok ->
        if (ok) photo = pending
    }
    // One pending fix request at a time; cancelled when the screen goes away.
    val fixRequest = remember { arrayOfNulls<CancellationSignal>(1) }
    DisposableEffect(Unit) { onDispose { fixRequest[0]?.cancel() } }
    // Android 12+: FINE together with COARSE; the user may grant only "approximate".
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { results ->
        val grant = LocationPermissions.grant(results)
        if (grant != LocationGrant.NONE) {
            fixRequest[0]?.cancel()
            fixRequest[0] = currentLocation(context, grant) { location = it }
        }
    }

    Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState())) {
        ExposedDropdownMenuBox(expanded = pickerOpen, onExpandedChange = { pickerOpen = it }) {
            val selected = state.categories.firstOrNull { it.code == category }
            OutlinedTextField(
                value = selected?.let { "${it.code} ${it.nameZh} · ${it.nameEn}" } ?: "Choose a category",
                onValueChange = {},
                readOnly = true,
                label = { Text("Category") },
                trailingIcon = { ExposedDropdownMenuDefaults.TrailingIcon(pickerOpen) },
                modifier = Modifier.menuAnchor().fillMaxWidth(),
            )
            ExposedDropdownMenu(expanded = pickerOpen, onDismissRequest = { pickerOpen = false }) {
                state.categories.forEach { c ->
                    DropdownMenuItem(
                        text = { Text("${c.code} ${c.nameZh} · ${c.nameEn}") },
                        onClick = { category = c.code; pickerOpen = false },
                    )
                }
            }
        }
        OutlinedTextField(
            value = description,
            onValueChange = { description = it },
            label = { Text("What did you see?") },
            modifier = Modifier.fillMaxWidth().padding(top = 8.dp),
            minLines = 3,
        )
        OutlinedButton(
            onClick = {
                val dir = File(context.cacheDir, "camera").apply { mkdirs() }
                val file = File(dir, "${UUID.randomUUID()}.jpg")
                pending = file
                camera.launch(FileProvider.getUriForFile(context, "${context.packageName}.photos", file))
            },
            modifier = Modifier.padding(top = 8.dp),
        ) { Text(if (photo == null) "Take photo" else "Photo taken ✓ (retake)") }
        OutlinedButton(
            onClick = { permission.launch(LocationPermissions.forReport().toTypedArray()) },
            modifier = Modifier.padding(top = 8.dp),
        ) {
            Text(location?.let { "%.5f, %.5f (±%.0f m)".format(it.latitude, it.longitude, it.accuracy) } ?: "Get location")
        }
        Button(
            enabled = !state.busy && location != null && category.isNotEmpty(),
            onClick = {
                val here = location ?: return@Button
                onReport(
                    category, here.latitude, here.longitude,
                    if (here.hasAccuracy()) here.accuracy.toDouble() else null,
                    description, photo?.path,
                )
            },
            modifier = Modifier.padding(top = 16.dp),
        ) { Text("Report") }
        state.message?.let { Text(it, modifier = Modifier.padding(top = 8.dp)) }
    }
}

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
private fun currentLocation(context: Context, grant: LocationGrant, onFix: (Location?) -> Unit): CancellationSignal? {
    val manager = context.getSystemService(Context.LOCATION_SERVICE) as LocationManager
    val provider = LocationPermissions.provider(grant, manager.isProviderEnabled(LocationManager.GPS_PROVIDER))
        ?: return null
    val signal = CancellationSignal()
    LocationManagerCompat.getCurrentLocation(
        manager, provider, signal, ContextCompat.getMainExecutor(context),
    ) { onFix(it) }
    return signal
}
