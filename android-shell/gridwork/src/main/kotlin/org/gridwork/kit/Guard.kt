// One place where the state holders turn a failed core call into what a screen shows: a
// GridworkException becomes its ErrorInfo (stable code, field, the core's text); anything else
// is an `internal` ErrorInfo — never an exception escaping into a coroutine scope. A
// CancellationException is rethrown (structured concurrency).
package org.gridwork.kit

import kotlinx.coroutines.CancellationException
import org.gridwork.ffi.GridworkException

/** The outcome of a guarded call: its value, or the error to show. */
sealed class Outcome<out T> {
    /** The call succeeded. */
    data class Ok<T>(val value: T) : Outcome<T>()

    /** The call failed; [error] is what the screen shows (translate by `code`). */
    data class Failed(val error: ErrorInfo) : Outcome<Nothing>()
}

/** Runs [block], turning every failure but cancellation into [Outcome.Failed]. */
suspend fun <T> guarded(block: suspend () -> T): Outcome<T> = try {
    Outcome.Ok(block())
} catch (e: CancellationException) {
    throw e
} catch (e: GridworkException) {
    Outcome.Failed(e.info())
} catch (e: Exception) {
    Outcome.Failed(ErrorInfo("internal", null, e.toString()))
}

/** An error found by a state holder before calling the core (a missing input). */
fun fieldError(code: String, field: String, detail: String) = ErrorInfo(code, field, detail)
