// Sync status, bound to the kit's SyncStatusModel: the engine's state (a distinct "sign in
// required" with a button to the sign-in screen), what waits to be sent, a run's progress
// with Cancel, the last run's figures, the cases whose events the server refused (with its
// reason) and the cases with conflicts.
package org.gridwork.app

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.ffi.SyncPhase
import org.gridwork.kit.SyncUiState

@Composable
fun SyncScreen(vm: SyncViewModel, onSignIn: () -> Unit, onOpen: (String) -> Unit) {
    val s by vm.state.collectAsStateWithLifecycle()
    Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState())) {
        when (val ui = s.ui) {
            SyncUiState.NotSignedIn -> { Text(stringResource(R.string.sync_not_signed_in)); Button(onClick = onSignIn) { Text(stringResource(R.string.sign_in)) } }
            is SyncUiState.SignInRequired -> {
                Text(stringResource(R.string.sync_sign_in_required), color = MaterialTheme.colorScheme.error)
                Button(onClick = onSignIn) { Text(stringResource(R.string.sign_in)) }
            }
            is SyncUiState.Syncing -> Text(stringResource(R.string.sync_running))
            is SyncUiState.Idle -> {
                Text(engineLabel(ui.status.state))
                ui.status.lastError?.let { Text(stringResource(R.string.sync_last_error, it.message), color = MaterialTheme.colorScheme.error) }
            }
        }
        val status = when (val ui = s.ui) {
            is SyncUiState.Idle -> ui.status
            is SyncUiState.Syncing -> ui.status
            is SyncUiState.SignInRequired -> ui.status
            SyncUiState.NotSignedIn -> null
        }
        status?.let { Text(stringResource(R.string.sync_pending, it.pendingEvents.toLong(), it.pendingPhotos.toLong())) }
        val running = s.running || s.ui is SyncUiState.Syncing
        if (running) {
            val p = s.progress
            val total = p?.total
            if (p != null && total != null && total > 0uL) LinearProgressIndicator(progress = { p.done.toFloat() / total.toFloat() }, modifier = Modifier.fillMaxWidth())
            else LinearProgressIndicator(Modifier.fillMaxWidth())
            p?.let { Text(stringResource(R.string.sync_progress, phaseLabel(it.phase), it.done.toLong(), it.bytes.toLong())) }
            OutlinedButton(onClick = vm::cancel) { Text(stringResource(R.string.cancel)) }
        } else if (s.ui !is SyncUiState.NotSignedIn && s.ui !is SyncUiState.SignInRequired) {
            Button(onClick = vm::syncNow) { Text(stringResource(R.string.sync_now)) }
        }
        s.lastReport?.let { r ->
            Text(stringResource(R.string.sync_report, engineLabel(r.state), r.pushed.toLong(), r.pulled.toLong(), r.rejected.toLong()))
        }
        ErrorLine(s.error)
        if (s.rejected.isNotEmpty()) {
            Text(stringResource(R.string.sync_rejected_title), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(top = 12.dp))
            s.rejected.forEach { c ->
                Text("${c.description} — ${c.rejection.orEmpty()}", Modifier.fillMaxWidth().clickable { onOpen(c.id) }.padding(vertical = 4.dp))
            }
        }
        if (s.conflicts.isNotEmpty()) {
            Text(stringResource(R.string.sync_conflicts_title), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(top = 12.dp))
            s.conflicts.forEach { c ->
                Row(Modifier.fillMaxWidth().clickable { onOpen(c.id) }.padding(vertical = 4.dp)) {
                    Text(stringResource(R.string.sync_conflict_row, c.description, c.conflictCount.toInt()))
                }
            }
        }
    }
}

@Composable
private fun phaseLabel(p: SyncPhase): String = stringResource(
    when (p) {
        SyncPhase.PUSH -> R.string.sync_phase_push
        SyncPhase.UPLOAD -> R.string.sync_phase_upload
        SyncPhase.PULL -> R.string.sync_phase_pull
    },
)
