// Opening the store when its key may be gone. The store's key lives only on this device
// (Android Keystore / iOS Keychain, never in a backup), so a store folder that arrives
// without it — a cloud restore, a device-to-device transfer, app data copied by hand —
// can never be opened again, and the app would fail at every start. This opener tells
// that case apart from a store that merely fails to open now, and sets up a fresh store
// for it, deleting the unreadable one (its photos with it: they are in the same folder).
// What was synced comes back from the server after sign-in; what was not is gone with
// the old phone's key. Plain JVM (tested in bindings/tests/kotlin/KitTest.kt).
package org.gridwork.kit

import org.gridwork.ffi.HttpTransport
import java.io.File

/** Opens a store folder with a device-bound key. */
object StoreRecovery {
    /** The opened repository, and whether an unreadable store was discarded to open it. */
    class Opened(val repository: GridworkRepository, val discardedUnreadableStore: Boolean)

    /**
     * Opens the store in [dir] with [key]. [keyIsNew] says the key was created just now
     * (none was stored on this device): then any store already in [dir] was written under
     * another key and is deleted before a fresh store is opened — the app should say so
     * and ask the user to sign in. With a key that existed before, a failure to open is
     * thrown as is (`GridworkException.StoreUnavailable`) and nothing is deleted: it may
     * pass (storage full, file locked) and the data may still be readable.
     */
    fun open(
        dir: File,
        key: String,
        keyIsNew: Boolean,
        transport: HttpTransport? = UrlConnectionTransport(),
    ): Opened {
        val leftover = keyIsNew && (dir.listFiles()?.isNotEmpty() == true)
        if (leftover) {
            check(dir.deleteRecursively()) { "cannot delete the unreadable store in $dir" }
        }
        return Opened(GridworkRepository.open(dir.path, key, transport), leftover)
    }
}
