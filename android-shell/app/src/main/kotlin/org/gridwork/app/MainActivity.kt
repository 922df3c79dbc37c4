// The single activity: the patrol toggle (PatrolService), the sync row (sign-in, sync
// button through WorkManager) and two tabs (Report, My cases).
package org.gridwork.app

import android.os.Build
import android.os.Bundle
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedTextField
import androidx.compose.runtime.mutableStateOf
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.viewModels
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Switch
import androidx.compose.material3.Tab
import androidx.compose.material3.TabRow
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.kit.LocationGrant
import org.gridwork.kit.LocationPermissions

class MainActivity : ComponentActivity() {
    private val viewModel: CasesViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent { MaterialTheme { Main(viewModel) } }
    }
}

@Composable
private fun Main(viewModel: CasesViewModel) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    var tab by remember { mutableIntStateOf(0) }
    Scaffold { padding ->
        Column(Modifier.fillMaxSize().padding(padding)) {
            PatrolToggle(state.patrolling, viewModel::setPatrolling)
            SyncRow(state, viewModel::signIn, viewModel::syncNow)
            TabRow(selectedTabIndex = tab) {
                Tab(selected = tab == 0, onClick = { tab = 0 }, text = { Text("Report") })
                Tab(selected = tab == 1, onClick = { tab = 1 }, text = { Text("My cases (${state.myCases.size})") })
            }
            when (tab) {
                0 -> ReportScreen(state, viewModel::report)
                else -> MyCasesScreen(state.myCases, onRefresh = viewModel::refresh)
            }
        }
    }
}

/** Starts/finishes the patrol; the location permission is asked for first. */
@Composable
private fun PatrolToggle(patrolling: Boolean, onChange: (Boolean) -> Unit) {
    // FINE with COARSE (Android 12+), notifications on 13+; no background location: the
    // patrol's foreground service of type "location" is started while the app is visible.
    // A patrol needs a GPS track, so approximate location alone does not start one.
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { granted ->
        if (LocationPermissions.grant(granted) == LocationGrant.PRECISE) onChange(true)
    }
    Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
        Switch(checked = patrolling, onCheckedChange = { on ->
            if (!on) onChange(false)
            else permission.launch(LocationPermissions.forPatrol(Build.VERSION.SDK_INT).toTypedArray())
        })
        Spacer(Modifier.width(12.dp))
        Text(if (patrolling) "Patrolling — track recorded" else "Patrol", style = MaterialTheme.typography.bodyMedium)
    }
}

/** Sign-in form until signed in, then the sync button and what waits to be sent. */
@Composable
private fun SyncRow(state: UiState, onSignIn: (String, String, String) -> Unit, onSync: () -> Unit) {
    var server by remember { mutableStateOf("https://") }
    var user by remember { mutableStateOf("") }
    var password by remember { mutableStateOf("") }
    Row(Modifier.padding(horizontal = 16.dp), verticalAlignment = Alignment.CenterVertically) {
        if (state.signedIn) {
            Button(onClick = onSync) { Text("Sync") }
            Spacer(Modifier.width(12.dp))
            Text("${state.pendingEvents} waiting to send", style = MaterialTheme.typography.bodySmall)
        } else {
            Column(Modifier.weight(1f)) {
                OutlinedTextField(server, { server = it }, label = { Text("Server") }, singleLine = true)
                OutlinedTextField(user, { user = it }, label = { Text("User") }, singleLine = true)
                OutlinedTextField(password, { password = it }, label = { Text("Password") }, singleLine = true,
                    visualTransformation = PasswordVisualTransformation())
                Button(onClick = { onSignIn(server, user, password) }) { Text("Sign in") }
            }
        }
    }
}
