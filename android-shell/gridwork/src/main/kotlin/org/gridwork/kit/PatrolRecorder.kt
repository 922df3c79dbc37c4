// Records a patrol's fixes in batches: the location callback hands each fix to `offer`
// (cheap, any thread), and every `batchMillis` (10 s) the fixes gathered so far go to the
// core in one `addFixes` call on the recorder's own thread. Plain Kotlin/JVM: the Android
// app feeds it from LocationManager, CI feeds it synthetic fixes (bindings/tests/kotlin).
package org.gridwork.kit

import org.gridwork.ffi.FixBatchReport
import org.gridwork.ffi.GpsFix
import org.gridwork.ffi.GridworkStore
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledFuture
import java.util.concurrent.TimeUnit

/**
 * Batches fixes for the open patrol [patrolId]. [onBatch] hears each stored batch (or the
 * error that refused it; a refused batch is dropped: the core refuses a batch only for
 * invalid values, and retrying would not help). Call [close] to flush and stop; it does not
 * finish the patrol.
 */
class PatrolRecorder(
    private val store: GridworkStore,
    val patrolId: String,
    batchMillis: Long = 10_000,
    private val onBatch: (Result<FixBatchReport>) -> Unit = {},
) : AutoCloseable {
    private val pending = mutableListOf<GpsFix>()
    private val thread = Executors.newSingleThreadScheduledExecutor { r ->
        Thread(r, "gridwork-patrol").apply { isDaemon = true }
    }
    private val tick: ScheduledFuture<*> =
        thread.scheduleWithFixedDelay({ flushNow() }, batchMillis, batchMillis, TimeUnit.MILLISECONDS)

    /** Queues one fix (from the location callback). */
    fun offer(fix: GpsFix) {
        synchronized(pending) { pending.add(fix) }
    }

    /** Sends the queued fixes now, on the recorder's thread; returns when they are stored. */
    fun flush() {
        thread.submit { flushNow() }.get()
    }

    private fun flushNow() {
        val batch = synchronized(pending) {
            if (pending.isEmpty()) return
            pending.toList().also { pending.clear() }
        }
        onBatch(runCatching { store.addFixes(patrolId, batch) })
    }

    /** Flushes what is queued and stops the timer. */
    override fun close() {
        tick.cancel(false)
        flush()
        thread.shutdown()
    }
}
