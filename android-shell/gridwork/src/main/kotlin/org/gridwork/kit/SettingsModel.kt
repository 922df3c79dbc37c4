// State of the settings screen: who is signed in and where, what is not synced yet, photo
// settings and retention, and sign-out. Unsynced work is never lost: signing out with work
// waiting is refused until the user confirms to keep it on the phone (the token is forgotten,
// the work stays pending and shown, and goes out at the next sign-in of the same account;
// another account cannot sign in on this store). Tested on the JVM.
package org.gridwork.kit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import org.gridwork.ffi.Identity
import org.gridwork.ffi.PhotoSettings
import org.gridwork.ffi.SyncStatus

/** What the settings screen shows. */
data class SettingsState(
    val identity: Identity? = null,
    /** The stored status: server, signed in, pending events and photos, rejected events. */
    val status: SyncStatus? = null,
    val photoSettings: PhotoSettings? = null,
    /** Days closed cases stay on the phone (null: for ever). */
    val retentionDays: UInt? = null,
    /** A sign-out was refused because this much work waits (events, photos): ask to keep it. */
    val signOutBlocked: Pair<ULong, ULong>? = null,
    /** Signed out (the sign-in screen comes next; the store and its work stay). */
    val signedOut: Boolean = false,
    val error: ErrorInfo? = null,
) {
    /** Events and photos not on the server yet. */
    val unsynced: ULong get() = (status?.pendingEvents ?: 0uL) + (status?.pendingPhotos ?: 0uL)
}

/** The settings screen's state holder. */
class SettingsModel(private val repo: GridworkRepository) {
    private val _state = MutableStateFlow(SettingsState())

    /** The screen's state. */
    val state: StateFlow<SettingsState> = _state.asStateFlow()

    /** Reads identity, status and settings. */
    suspend fun load() {
        val o = guarded {
            withContext(Dispatchers.IO) {
                listOf(repo.identity(), repo.syncStatus(), repo.store.photoSettings(), repo.store.retention())
            }
        }
        when (o) {
            is Outcome.Ok -> _state.update {
                it.copy(identity = o.value[0] as Identity?, status = o.value[1] as SyncStatus,
                    photoSettings = o.value[2] as PhotoSettings, retentionDays = o.value[3] as UInt?)
            }
            is Outcome.Failed -> _state.update { it.copy(error = o.error) }
        }
    }

    /**
     * Signs out. With unsynced work and not [keepUnsynced], refuses (`signOutBlocked` says how
     * much waits: offer "sync first" or "sign out and keep it on this phone"). Never deletes.
     */
    suspend fun signOut(keepUnsynced: Boolean = false): Boolean {
        load()
        val s = state.value
        val status = s.status ?: return false
        if (!keepUnsynced && s.unsynced > 0uL) {
            _state.update { it.copy(signOutBlocked = status.pendingEvents to status.pendingPhotos) }
            return false
        }
        val o = guarded { withContext(Dispatchers.IO) { repo.sync.logout() } }
        _state.update { it.copy(signOutBlocked = null, signedOut = o is Outcome.Ok, error = (o as? Outcome.Failed)?.error) }
        load()
        return o is Outcome.Ok
    }

    /** The user closed the "work waits" question without choosing. */
    fun dismissSignOut() = _state.update { it.copy(signOutBlocked = null) }

    /** Changes the photo settings (max edge at capture, cache budget). */
    suspend fun setPhotoSettings(settings: PhotoSettings) {
        val o = guarded { repo.setPhotoSettings(settings) }
        _state.update { it.copy(error = (o as? Outcome.Failed)?.error) }
        load()
    }

    /** Changes how long closed cases stay (1–3650 days, null: for ever). */
    suspend fun setRetention(days: UInt?) {
        val o = guarded { withContext(Dispatchers.IO) { repo.store.setRetention(days) } }
        _state.update { it.copy(error = (o as? Outcome.Failed)?.error) }
        load()
    }
}
