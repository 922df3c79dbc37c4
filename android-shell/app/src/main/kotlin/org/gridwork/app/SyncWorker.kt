// Background sync through WorkManager: a periodic job (every 15 minutes, the platform's
// minimum) and a one-off "sync now", both only with a network connection. The run itself
// is the core's (GridworkSync through the app's UrlConnectionTransport); this class maps
// its outcome onto WorkManager's retry/success/failure, publishes progress, and cancels
// the run when WorkManager stops the job (network lost, app killed, quota).
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
import kotlinx.coroutines.Job
import kotlinx.coroutines.withContext
import org.gridwork.ffi.EngineState
import java.util.concurrent.TimeUnit

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result {
        val repo = (applicationContext as GridworkApp).repository.await()
        val manual = inputData.getBoolean(KEY_MANUAL, false)
        val status = withContext(Dispatchers.IO) { repo.syncStatus() }
        // Nothing to do until sign-in; a periodic run that is not due yet waits for its turn.
        if (!status.signedIn) return Result.success()
        if (!manual && !status.due) return Result.success()
        // WorkManager cancels this coroutine when it stops the job: stop the core's run too.
        coroutineContext[Job]?.invokeOnCompletion { cause ->
            if (cause is CancellationException) repo.cancelSync()
        }
        val report = withContext(Dispatchers.IO) {
            repo.syncNow { p ->
                setProgressAsync(workDataOf("phase" to p.phase.name, "done" to p.done.toLong()))
            }
        }
        val summary = workDataOf("pushed" to report.pushed.toLong(), "pulled" to report.pulled.toLong())
        return when (report.state) {
            EngineState.SYNCED, EngineState.CANCELLED, EngineState.IDLE -> Result.success(summary)
            EngineState.RETRY_SCHEDULED -> Result.retry()
            // Sign in again / update the app: retrying would not help; the UI shows the status.
            EngineState.SIGN_IN_REQUIRED, EngineState.INCOMPATIBLE_SERVER, EngineState.DEVICE_CONFLICT,
            EngineState.NOT_SIGNED_IN -> Result.failure(summary)
        }
    }

    companion object {
        private const val KEY_MANUAL = "manual"
        private const val PERIODIC = "gridwork-sync"
        private const val NOW = "gridwork-sync-now"
        private val network = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

        /** Schedules the periodic sync (idempotent; call at start-up). */
        fun schedule(context: Context) {
            val request = PeriodicWorkRequestBuilder<SyncWorker>(15, TimeUnit.MINUTES)
                .setConstraints(network)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.KEEP, request)
        }

        /** Syncs as soon as there is a network (the sync button; after a report). */
        fun syncNow(context: Context) {
            val request = OneTimeWorkRequestBuilder<SyncWorker>()
                .setConstraints(network)
                .setInputData(workDataOf(KEY_MANUAL to true))
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .build()
            WorkManager.getInstance(context).enqueueUniqueWork(NOW, ExistingWorkPolicy.REPLACE, request)
        }
    }
}
