// State of the sign-in screen: server URL, user and password; errors by the core's code and
// field; the distinct "sign in required" state (the server refused the stored token). No
// Android imports: tested on the JVM against a real server (bindings/tests/kotlin/ScreensTest.kt).
package org.gridwork.kit

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.gridwork.ffi.EngineState
import org.gridwork.ffi.Identity

/** What the sign-in screen shows. */
data class SignInState(
    /** The server URL field (prefilled from the last sign-in). */
    val server: String = "",
    /** The user field (prefilled with the store's user: only that account may sign in). */
    val user: String = "",
    /** A sign-in is under way: disable the button. */
    val busy: Boolean = false,
    /** The store's account, null before the first sign-in. */
    val identity: Identity? = null,
    /** Signed in with a token the server accepts (as far as the device knows). */
    val signedIn: Boolean = false,
    /** The server refused the stored token (expired, revoked, scope changed): sign in again. */
    val signInRequired: Boolean = false,
    /** The last refusal: translate by `code`, mark the input named by `field`. */
    val error: ErrorInfo? = null,
)

/** The sign-in screen's state holder. Call [refresh] once the repository is open. */
class SignInModel(private val repo: GridworkRepository) {
    private val _state = MutableStateFlow(SignInState())

    /** The screen's state. */
    val state: StateFlow<SignInState> = _state.asStateFlow()

    /** Reads the store's identity and sync status (who, where, whether a sign-in is needed). */
    suspend fun refresh() {
        when (val o = guarded { repo.identity() to repo.syncStatusIo() }) {
            is Outcome.Ok -> {
                val (identity, status) = o.value
                _state.update {
                    it.copy(
                        identity = identity,
                        server = it.server.ifEmpty { status.server ?: "" },
                        user = it.user.ifEmpty { identity?.user ?: "" },
                        signedIn = status.signedIn && status.state != EngineState.SIGN_IN_REQUIRED,
                        signInRequired = status.state == EngineState.SIGN_IN_REQUIRED,
                    )
                }
            }
            is Outcome.Failed -> _state.update { it.copy(error = o.error) }
        }
    }

    /** The user edited the server or user field. */
    fun edit(server: String = state.value.server, user: String = state.value.user) =
        _state.update { it.copy(server = server.trim(), user = user.trim(), error = null) }

    /** Signs in; true when it worked. A missing field is refused before the network is used. */
    suspend fun signIn(password: String): Boolean {
        val s = state.value
        val missing = when {
            s.server.isBlank() -> fieldError("missing_input", "server", "the server address is missing")
            !s.server.startsWith("https://") && !s.server.startsWith("http://") ->
                fieldError("invalid_url", "server", "the server address must start with https://")
            s.user.isBlank() -> fieldError("missing_input", "user", "the user name is missing")
            password.isEmpty() -> fieldError("missing_input", "password", "the password is missing")
            else -> null
        }
        if (missing != null) {
            _state.update { it.copy(error = missing) }
            return false
        }
        _state.update { it.copy(busy = true, error = null) }
        val o = guarded { repo.signIn(s.server, s.user, password) }
        _state.update { it.copy(busy = false, error = (o as? Outcome.Failed)?.error) }
        refresh()
        return o is Outcome.Ok
    }
}

/** The stored sync status, off the caller's thread. */
internal suspend fun GridworkRepository.syncStatusIo() =
    kotlinx.coroutines.withContext(kotlinx.coroutines.Dispatchers.IO) { syncStatus() }
