// The Application: opens the process's one GridworkRepository on a background thread at
// start-up, imports the bundled sample city on first run, and closes the store when the
// process is torn down (onTerminate only runs on emulators; the OS reclaims it otherwise,
// which is safe: every write is a committed SQLite transaction).
package org.gridwork.app

import android.app.Application
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineExceptionHandler
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import org.gridwork.android.StoreKey
import org.gridwork.kit.GridworkRepository
import org.gridwork.kit.StoreRecovery
import java.io.File

class GridworkApp : Application() {
    /**
     * Background scope for store work; store calls block, so it runs on Dispatchers.IO. Its
     * handler logs a failure instead of letting it crash the process (no unhandled exception
     * in a scope): the screens show errors through the kit's state holders.
     */
    val scope = CoroutineScope(
        SupervisorJob() + Dispatchers.IO +
            CoroutineExceptionHandler { _, e -> android.util.Log.e("gridwork", "background work failed", e) },
    )

    /** Completes once the store is open and initialised. */
    val repository = CompletableDeferred<GridworkRepository>()

    /** Set when the store found at start-up could not be read (its key was not on this
     *  device: restored or transferred data) and a fresh one replaced it; the UI says so. */
    @Volatile var discardedUnreadableStore = false
        private set

    override fun onCreate() {
        super.onCreate()
        scope.launch {
            repository.completeWith(runCatching { openStore() })
        }
    }

    private fun openStore(): GridworkRepository {
        // The store is encrypted (SQLCipher) with a random raw key the Android Keystore guards.
        // Sync goes through HttpURLConnection (UrlConnectionTransport, the default), so the
        // system proxy and the app's network security config apply.
        // The store folder (database + photos) is in app-private storage and excluded from
        // cloud backup and device transfer (allowBackup="false", data_extraction_rules.xml).
        val key = StoreKey.get(this)
        val opened = StoreRecovery.open(File(filesDir, "gridwork"), key.raw, keyIsNew = key.created)
        discardedUnreadableStore = opened.discardedUnreadableStore
        // No placeholder user and no bundled city: until the user signs in (the sync row;
        // the core adopts the account on a fresh store) nothing is recorded, and the first
        // sync downloads the catalogue and the grid.
        return opened.repository
    }

    override fun onTerminate() {
        if (repository.isCompleted) runCatching { repository.getCompleted().close() }
        super.onTerminate()
    }
}
