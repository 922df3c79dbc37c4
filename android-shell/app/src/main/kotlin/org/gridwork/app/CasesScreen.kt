// My cases and my area's cases: two tabs over the kit's CaseListModel (MINE: the user's own
// reports, keyset-paged in SQL; AREA: every case of the account's scope on the device, with a
// search filter). A row opens the case detail; "load more" fetches the next page.
package org.gridwork.app

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AssistChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Tab
import androidx.compose.material3.TabRow
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.ffi.CaseFilter
import org.gridwork.ffi.CaseSummary
import org.gridwork.kit.CaseListKind
import org.gridwork.kit.CaseListState

@Composable
fun CasesScreen(vm: CaseListViewModel, onOpen: (String) -> Unit) {
    val (mine, area) = vm.state.collectAsStateWithLifecycle().value
    var tab by rememberSaveable { mutableIntStateOf(0) }
    var search by rememberSaveable { mutableStateOf("") }
    Column {
        TabRow(selectedTabIndex = tab) {
            Tab(tab == 0, { tab = 0 }, text = { Text(stringResource(R.string.cases_mine)) })
            Tab(tab == 1, { tab = 1 }, text = { Text(stringResource(R.string.cases_area)) })
        }
        if (tab == 1) {
            OutlinedTextField(search, { search = it; vm.setAreaFilter(CaseFilter(search = it.ifBlank { null })) },
                label = { Text(stringResource(R.string.cases_search)) }, singleLine = true,
                modifier = Modifier.fillMaxWidth().padding(8.dp))
        }
        CaseList(if (tab == 0) mine else area, onOpen) { vm.loadMore(if (tab == 0) CaseListKind.MINE else CaseListKind.AREA) }
    }
}

@Composable
private fun CaseList(s: CaseListState, onOpen: (String) -> Unit, onMore: () -> Unit) {
    LazyColumn {
        if (s.items.isEmpty() && !s.loading) item { Text(stringResource(R.string.cases_none), Modifier.padding(16.dp)) }
        items(s.items, key = { it.id }) { CaseRow(it, onOpen) }
        item {
            ErrorLine(s.error, Modifier.padding(16.dp))
            if (!s.endReached) TextButton(onClick = onMore, enabled = !s.loading) { Text(stringResource(R.string.cases_more)) }
        }
    }
}

@Composable
private fun CaseRow(c: CaseSummary, onOpen: (String) -> Unit) {
    Column(Modifier.fillMaxWidth().clickable { onOpen(c.id) }.padding(horizontal = 16.dp, vertical = 8.dp)) {
        Text(c.description.ifBlank { c.category }, style = MaterialTheme.typography.bodyLarge)
        androidx.compose.foundation.layout.Row {
            AssistChip(onClick = { onOpen(c.id) }, label = { Text(statusLabel(c.status)) })
            if (c.overdue) AssistChip(onClick = { onOpen(c.id) }, label = { Text(stringResource(R.string.case_overdue)) })
            if (c.reportRejected || c.rejectedCount > 0u) {
                AssistChip(onClick = { onOpen(c.id) }, label = { Text(stringResource(R.string.case_rejected)) })
            }
            if (c.conflictCount > 0u) AssistChip(onClick = { onOpen(c.id) }, label = { Text(stringResource(R.string.case_conflict)) })
        }
    }
}
