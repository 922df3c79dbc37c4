// "My cases": the cases this worker reported, newest first, with a status chip and an
// overdue badge. Refreshed by the view model when the store reports a change.
package org.gridwork.app

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AssistChip
import androidx.compose.material3.Badge
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import org.gridwork.ffi.CaseSummary
import org.gridwork.ffi.Status

@Composable
fun MyCasesScreen(cases: List<CaseSummary>, onRefresh: () -> Unit) {
    Column {
        TextButton(onClick = onRefresh, modifier = Modifier.padding(horizontal = 8.dp)) { Text("Refresh") }
        LazyColumn {
            items(cases, key = { it.id }) { case ->
                CaseRow(case)
                HorizontalDivider()
            }
        }
    }
}

@Composable
private fun CaseRow(case: CaseSummary) {
    Row(
        Modifier.fillMaxWidth().padding(16.dp),
        horizontalArrangement = Arrangement.SpaceBetween,
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Column(Modifier.weight(1f)) {
            Text(case.description, style = MaterialTheme.typography.bodyLarge, maxLines = 2)
            Text(
                "${case.category} · ${case.cell ?: "outside the grid"}",
                style = MaterialTheme.typography.bodySmall,
            )
        }
        Row(verticalAlignment = Alignment.CenterVertically) {
            if (case.overdue) {
                Badge(containerColor = MaterialTheme.colorScheme.error) { Text("overdue") }
            }
            AssistChip(onClick = {}, label = { Text(label(case.status)) }, modifier = Modifier.padding(start = 8.dp))
        }
    }
}

private fun label(status: Status): String = when (status) {
    Status.REPORTED -> "reported"
    Status.REGISTERED -> "registered"
    Status.DISPATCHED -> "dispatched"
    Status.HANDLED -> "handled"
    Status.VERIFIED -> "verified"
    Status.SUSPENDED -> "suspended"
    Status.CLOSED -> "closed"
    Status.CANCELLED -> "cancelled"
}
