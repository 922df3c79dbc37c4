// The single activity: Navigation Compose between the screens, each bound to its view model
// (ViewModels.kt) and so to a tested kit state holder. The first screen is the sign-in until
// the store has an account; a bottom bar reaches cases, report, patrol, map, sync and
// settings; a case row opens its detail; the patrol screen opens the list of the worker's
// patrols, a patrol row its detail and the map with its track.
package org.gridwork.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.viewModels
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController

class MainActivity : ComponentActivity() {
    private val signIn: SignInViewModel by viewModels()
    private val cases: CaseListViewModel by viewModels()
    private val detail: CaseDetailViewModel by viewModels()
    private val report: ReportViewModel by viewModels()
    private val patrol: PatrolViewModel by viewModels()
    private val map: MapViewModel by viewModels()
    private val patrols: PatrolListViewModel by viewModels()
    private val sync: SyncViewModel by viewModels()
    private val settings: SettingsViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        SyncWorker.schedule(this)
        setContent { MaterialTheme { App() } }
    }

    @Composable
    private fun App() {
        val nav = rememberNavController()
        val signedIn = signIn.state.collectAsStateWithLifecycle().value.identity != null
        val current by nav.currentBackStackEntryAsState()
        Scaffold(bottomBar = { if (signedIn) BottomBar(nav, current?.destination?.route) }) { padding ->
            Box(Modifier.padding(padding)) {
                NavHost(nav, startDestination = Routes.SIGN_IN) {
                    composable(Routes.SIGN_IN) {
                        SignInScreen(signIn) { nav.navigate(Routes.CASES) { popUpTo(Routes.SIGN_IN) { inclusive = true } } }
                    }
                    composable(Routes.CASES) { CasesScreen(cases) { id -> nav.navigate("${Routes.CASE}/$id") } }
                    composable("${Routes.CASE}/{id}") { entry ->
                        CaseDetailScreen(detail, entry.arguments?.getString("id").orEmpty())
                    }
                    composable(Routes.REPORT) { ReportScreen(report) }
                    composable(Routes.PATROL) { PatrolScreen(patrol) { patrols.reload(); nav.navigate(Routes.PATROLS) } }
                    composable(Routes.PATROLS) { PatrolListScreen(patrols) { id -> nav.navigate("${Routes.PATROLS}/$id") } }
                    composable("${Routes.PATROLS}/{id}") { entry ->
                        PatrolDetailScreen(patrols, entry.arguments?.getString("id").orEmpty()) { id ->
                            map.showPatrol(id)
                            nav.navigate(Routes.MAP) { launchSingleTop = true }
                        }
                    }
                    composable(Routes.MAP) { MapScreen(map) }
                    composable(Routes.SYNC) {
                        SyncScreen(sync, onSignIn = { signIn.refresh(); nav.navigate(Routes.SIGN_IN) },
                            onOpen = { id -> nav.navigate("${Routes.CASE}/$id") })
                    }
                    composable(Routes.SETTINGS) {
                        SettingsScreen(settings, onSync = { settings.dismissSignOut(); nav.navigate(Routes.SYNC) },
                            onSignedOut = { signIn.refresh(); nav.navigate(Routes.SIGN_IN) { popUpTo(0) } })
                    }
                }
            }
        }
    }

    @Composable
    private fun BottomBar(nav: NavHostController, route: String?) {
        NavigationBar {
            listOf(
                Routes.CASES to R.string.nav_cases, Routes.REPORT to R.string.nav_report, Routes.PATROL to R.string.nav_patrol,
                Routes.MAP to R.string.nav_map, Routes.SYNC to R.string.nav_sync, Routes.SETTINGS to R.string.nav_settings,
            ).forEach { (r, label) ->
                NavigationBarItem(selected = route == r, onClick = {
                    nav.navigate(r) { launchSingleTop = true; popUpTo(Routes.CASES) }
                }, icon = {}, label = { Text(stringResource(label)) })
            }
        }
    }
}

/** Navigation routes. */
object Routes {
    const val SIGN_IN = "sign-in"
    const val CASES = "cases"
    const val CASE = "case"
    const val REPORT = "report"
    const val PATROL = "patrol"
    const val PATROLS = "patrols"
    const val MAP = "map"
    const val SYNC = "sync"
    const val SETTINGS = "settings"
}
