// Settings and sign-out, bound to the kit's SettingsModel: who is signed in where, what is not
// synced yet, photo settings (max edge at capture) and retention, and sign-out — refused while
// work waits, with the choice to sync first or sign out keeping the work on this phone (it is
// never deleted; it goes out at the next sign-in of the same account).
package org.gridwork.app

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle

@Composable
fun SettingsScreen(vm: SettingsViewModel, onSync: () -> Unit, onSignedOut: () -> Unit) {
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.load() }
    LaunchedEffect(s.signedOut) { if (s.signedOut) onSignedOut() }
    Column(Modifier.padding(16.dp)) {
        Text(stringResource(R.string.settings_title), style = MaterialTheme.typography.headlineSmall)
        s.identity?.let { Text(stringResource(R.string.settings_account, it.user, it.role.name.lowercase())) }
        s.status?.server?.let { Text(stringResource(R.string.settings_server, it)) }
        Text(stringResource(R.string.settings_unsynced, s.unsynced.toLong()))
        s.photoSettings?.let { p ->
            Text(stringResource(R.string.settings_photo_edge, p.maxEdge.toInt()))
            Column {
                listOf(1280u, 2048u, 4096u).forEach { edge ->
                    TextButton(onClick = { vm.setPhotoSettings(p.copy(maxEdge = edge)) }) { Text(stringResource(R.string.settings_photo_edge_set, edge.toInt())) }
                }
            }
        }
        Text(s.retentionDays?.let { stringResource(R.string.settings_retention_days, it.toInt()) } ?: stringResource(R.string.settings_retention_forever))
        OutlinedButton(onClick = { vm.setRetention(if (s.retentionDays == null) 90u else null) }) {
            Text(stringResource(R.string.settings_retention_toggle))
        }
        Button(onClick = { vm.signOut(false) }, modifier = Modifier.padding(top = 16.dp)) { Text(stringResource(R.string.sign_out)) }
        ErrorLine(s.error)
    }
    s.signOutBlocked?.let { (events, photos) ->
        AlertDialog(
            onDismissRequest = vm::dismissSignOut,
            title = { Text(stringResource(R.string.sign_out_blocked_title)) },
            text = { Text(stringResource(R.string.sign_out_blocked_text, events.toLong(), photos.toLong())) },
            confirmButton = { Button(onClick = onSync) { Text(stringResource(R.string.sync_now)) } },
            dismissButton = { TextButton(onClick = { vm.signOut(true) }) { Text(stringResource(R.string.sign_out_keep)) } },
        )
    }
}
