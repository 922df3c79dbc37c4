// Background sync through WorkManager: a periodic job (every 15 minutes, the platform's
// minimum) and one unique one-off "sync now" job per trigger (a report, the button, sign-in,
// a finished patrol), both only with a network connection — a request made offline waits
// (ENQUEUED) and runs when the network returns. The decisions are the kit's SyncScheduler
// (tested on CI): the policy for a new request given the work already there (KEEP or
// APPEND_OR_REPLACE; never REPLACE, which would cancel an upload in flight), whether a
// woken worker runs, and what its outcome tells WorkManager. The run itself is the core's
// (GridworkSync through the app's UrlConnectionTransport, single-flight).
package org.gridwork.app

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.gridwork.ffi.GridworkException
import org.gridwork.ffi.SyncProgress
import org.gridwork.ffi.SyncReport
import org.gridwork.kit.GridworkRepository
import org.gridwork.kit.SyncScheduler
import org.gridwork.kit.SyncTrigger
import org.gridwork.kit.WorkOutcome
import org.gridwork.kit.WorkState
import java.util.concurrent.TimeUnit

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result {
        val repo = (applicationContext as GridworkApp).repository.await()
        val trigger = inputData.getString(KEY_TRIGGER)
            ?.let { name -> SyncTrigger.values().firstOrNull { it.name == name } }
            ?: SyncTrigger.PERIODIC
        return try {
            val status = withContext(Dispatchers.IO) { repo.syncStatus() }
            if (!SyncScheduler.shouldRun(status, trigger)) return Result.success()
            val report = syncCancellably(repo) { p ->
                setProgressAsync(workDataOf("phase" to p.phase.name, "done" to p.done.toLong()))
            }
            val summary = workDataOf("pushed" to report.pushed.toLong(), "pulled" to report.pulled.toLong())
            when (SyncScheduler.outcome(report)) {
                WorkOutcome.SUCCESS -> Result.success(summary)
                WorkOutcome.RETRY -> Result.retry()
                WorkOutcome.FAILURE -> Result.failure(summary) // the UI shows the status
            }
        } catch (e: GridworkException) {
            Result.failure(workDataOf("error" to (e.message ?: e.toString())))
        }
    }

    /**
     * The blocking run on Dispatchers.IO. When WorkManager stops the job (network lost,
     * quota, app stopped) it cancels this coroutine; `await()` throws at once and the core's
     * run is cancelled then — its request in flight aborted through the transport. (The old
     * `invokeOnCompletion` handler only ran after the blocking call had returned, so a
     * stopped job never cancelled anything.)
     */
    private suspend fun syncCancellably(repo: GridworkRepository, onProgress: (SyncProgress) -> Unit): SyncReport =
        coroutineScope {
            val run = async(Dispatchers.IO) { repo.syncNow(onProgress) }
            try {
                run.await()
            } catch (e: CancellationException) {
                repo.cancelSync()
                throw e
            }
        }

    companion object {
        private const val KEY_TRIGGER = "trigger"
        private val network = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

        /** Schedules the periodic sync (idempotent; call at start-up). */
        fun schedule(context: Context) {
            val request = PeriodicWorkRequestBuilder<SyncWorker>(15, TimeUnit.MINUTES)
                .setConstraints(network)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .setInputData(workDataOf(KEY_TRIGGER to SyncTrigger.PERIODIC.name))
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(SyncScheduler.UNIQUE_PERIODIC, ExistingPeriodicWorkPolicy.KEEP, request)
        }

        /**
         * Syncs as soon as there is a network (a report, the button, sign-in, a finished
         * patrol), without cancelling a run in flight: the policy comes from the kit's
         * SyncScheduler given the unique work's current requests.
         */
        fun syncNow(context: Context, trigger: SyncTrigger) {
            val app = context.applicationContext as GridworkApp
            app.scope.launch {
                val wm = WorkManager.getInstance(context)
                val existing = runCatching {
                    wm.getWorkInfosForUniqueWork(SyncScheduler.UNIQUE_NOW).get()
                        .map { WorkState.valueOf(it.state.name) }
                }.getOrDefault(emptyList())
                val policy = ExistingWorkPolicy.valueOf(SyncScheduler.policy(existing).name)
                val request = OneTimeWorkRequestBuilder<SyncWorker>()
                    .setConstraints(network)
                    .setInputData(workDataOf(KEY_TRIGGER to trigger.name))
                    .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                    .build()
                wm.enqueueUniqueWork(SyncScheduler.UNIQUE_NOW, policy, request)
            }
        }
    }
}
