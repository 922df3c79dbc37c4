// The single activity: two tabs (Report, My cases) and the patrol toggle, shown disabled
// until the core's patrol API exists.
package org.gridwork.app

import android.os.Bundle
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
            PatrolToggle()
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

/** Disabled until the core exposes patrols (start/stop, track points). */
@Composable
private fun PatrolToggle() {
    Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
        Switch(checked = false, onCheckedChange = null, enabled = false)
        Spacer(Modifier.width(12.dp))
        Text("Patrol — available when the patrol API lands", style = MaterialTheme.typography.bodyMedium)
    }
}
