// Records the open patrol while the screen is off: a foreground service of type "location"
// (Android stops location updates to background apps otherwise) that feeds fixes to the
// kit's PatrolRecorder, which hands them to the core in batches every 10 seconds. Fixes come
// through LocationManagerCompat with a LocationListenerCompat — GPS once a second when it is
// on, the network provider as the fallback when GPS is off or switched off during the patrol
// (and back to GPS when it returns). WGS-84, no Google Play services. The patrol itself is
// started, paused and resumed by the kit's PatrolModel (PatrolScreen); this service takes up
// the open patrol, stops its updates on PAUSE and flushes + finishes on FINISH.
package org.gridwork.app

import android.Manifest
import android.annotation.SuppressLint
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.Service
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.content.pm.ServiceInfo
import android.location.Location
import android.location.LocationManager
import android.os.Build
import android.os.IBinder
import android.os.Looper
import androidx.core.app.ServiceCompat
import androidx.core.content.ContextCompat
import androidx.core.location.LocationListenerCompat
import androidx.core.location.LocationManagerCompat
import androidx.core.location.LocationRequestCompat
import kotlinx.coroutines.launch
import org.gridwork.ffi.FixProvider
import org.gridwork.ffi.GpsFix
import org.gridwork.kit.PatrolRecorder
import org.gridwork.kit.SyncTrigger

class PatrolService : Service() {
    private var recorder: PatrolRecorder? = null
    private var provider: String? = null

    private val listener = object : LocationListenerCompat {
        override fun onLocationChanged(location: Location) = offer(location)

        // GPS switched off mid-patrol: go on with the network provider; back to GPS when it returns.
        override fun onProviderDisabled(name: String) {
            if (name == LocationManager.GPS_PROVIDER) listen()
        }

        override fun onProviderEnabled(name: String) {
            if (name == LocationManager.GPS_PROVIDER && provider != LocationManager.GPS_PROVIDER) listen()
        }
    }

    override fun onBind(intent: Intent?): IBinder? = null

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        val app = application as GridworkApp
        when (intent?.action) {
            ACTION_FINISH -> {
                // Stop the fixes, flush the last batch, then finish: in this order, on one thread.
                stopUpdates()
                val rec = recorder
                recorder = null
                app.scope.launch {
                    val repo = app.repository.await()
                    runCatching { if (rec != null) repo.finishPatrol(rec) else repo.store.openPatrol()?.let { repo.store.finishPatrol(it) } }
                    SyncWorker.syncNow(this@PatrolService, SyncTrigger.PATROL_FINISHED)
                    stopSelf()
                }
                return START_NOT_STICKY
            }
            ACTION_PAUSE -> {
                // Stop the updates, flush the last fixes, then pause (in this order: a paused
                // patrol refuses fixes); the patrol screen sees PAUSED through the kit's
                // patrol observer. A resume starts the service again.
                stopUpdates()
                val rec = recorder
                recorder = null
                app.scope.launch {
                    val repo = app.repository.await()
                    runCatching { rec?.close() }
                    runCatching { repo.store.openPatrol()?.let { repo.store.pausePatrol(it) } }
                }
                ServiceCompat.stopForeground(this, ServiceCompat.STOP_FOREGROUND_REMOVE)
                stopSelf()
                return START_NOT_STICKY
            }
        }
        if (!startInForeground()) {
            // No location permission (revoked in settings, or a sticky restart the system
            // does not allow to use location): stop instead of crashing; the open patrol
            // stays open and the patrol screen takes it up.
            stopSelf()
            return START_NOT_STICKY
        }
        app.scope.launch {
            val repo = app.repository.await()
            // Takes up the patrol the kit started (or the one left open after a kill).
            if (recorder == null && repo.store.openPatrol() != null) recorder = repo.startPatrol(emptyList())
            if (recorder == null) stopSelf() else ContextCompat.getMainExecutor(this@PatrolService).execute { listen() }
        }
        return START_STICKY // restarted after being killed: the open patrol is taken up again
    }

    /** (Re)subscribes to GPS when it is on, else to the network provider. Main thread. */
    @SuppressLint("MissingPermission") // checked in startInForeground
    private fun listen() {
        val lm = getSystemService(LocationManager::class.java)
        val next = if (lm.isProviderEnabled(LocationManager.GPS_PROVIDER)) LocationManager.GPS_PROVIDER else LocationManager.NETWORK_PROVIDER
        if (next == provider) return
        stopUpdates()
        provider = next
        val request = LocationRequestCompat.Builder(1_000L)
            .setQuality(LocationRequestCompat.QUALITY_HIGH_ACCURACY)
            .build()
        LocationManagerCompat.requestLocationUpdates(lm, next, request, listener, Looper.getMainLooper())
    }

    private fun stopUpdates() {
        LocationManagerCompat.removeUpdates(getSystemService(LocationManager::class.java), listener)
        provider = null
    }

    private fun offer(location: Location) {
        val mock = if (Build.VERSION.SDK_INT >= 31) location.isMock else @Suppress("DEPRECATION") location.isFromMockProvider
        recorder?.offer(
            GpsFix(
                timeMs = location.time,
                lat = location.latitude,
                lon = location.longitude,
                accuracyM = if (location.hasAccuracy()) location.accuracy.toDouble() else 50.0,
                speedMps = if (location.hasSpeed()) location.speed.toDouble() else null,
                bearingDeg = if (location.hasBearing()) location.bearing.toDouble() else null,
                altitudeM = if (location.hasAltitude()) location.altitude else null,
                provider = if (location.provider == LocationManager.GPS_PROVIDER) FixProvider.GPS else FixProvider.NETWORK,
                mock = mock,
            ),
        )
    }

    override fun onDestroy() {
        stopUpdates()
        val rec = recorder
        recorder = null
        // Destroyed without a finish (the system reclaimed us): flush and leave the patrol
        // open; START_STICKY or the patrol screen takes it up.
        if (rec != null) (application as GridworkApp).scope.launch { runCatching { rec.close() } }
        super.onDestroy()
    }

    /**
     * Goes foreground with type `location` (Android 10+; on 14+ this needs
     * FOREGROUND_SERVICE_LOCATION in the manifest and a granted location permission, or
     * it throws). Returns false when it may not.
     */
    private fun startInForeground(): Boolean {
        val fine = ContextCompat.checkSelfPermission(this, Manifest.permission.ACCESS_FINE_LOCATION) ==
            PackageManager.PERMISSION_GRANTED
        if (!fine) return false
        val nm = getSystemService(NotificationManager::class.java)
        if (Build.VERSION.SDK_INT >= 26) {
            nm.createNotificationChannel(NotificationChannel(CHANNEL, getString(R.string.patrol_channel), NotificationManager.IMPORTANCE_LOW))
        }
        val notification = (if (Build.VERSION.SDK_INT >= 26) Notification.Builder(this, CHANNEL) else @Suppress("DEPRECATION") Notification.Builder(this))
            .setContentTitle(getString(R.string.patrol_notification_title))
            .setContentText(getString(R.string.patrol_notification_text))
            .setSmallIcon(android.R.drawable.ic_menu_mylocation)
            .setOngoing(true)
            .build()
        return try {
            ServiceCompat.startForeground(this, NOTIFICATION_ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_LOCATION)
            true
        } catch (e: RuntimeException) { // SecurityException, ForegroundServiceStartNotAllowedException (12+)
            false
        }
    }

    companion object {
        private const val CHANNEL = "patrol"
        private const val NOTIFICATION_ID = 1
        private const val ACTION_FINISH = "org.gridwork.app.FINISH_PATROL"
        private const val ACTION_PAUSE = "org.gridwork.app.PAUSE_PATROL"

        /** Records the open patrol (started or resumed by the kit) in the foreground. */
        fun start(context: Context) {
            val intent = Intent(context, PatrolService::class.java)
            if (Build.VERSION.SDK_INT >= 26) context.startForegroundService(intent) else context.startService(intent)
        }

        /** Flushes, pauses the open patrol and stops recording (a plain startService: the app is visible). */
        fun pause(context: Context) {
            context.startService(Intent(context, PatrolService::class.java).setAction(ACTION_PAUSE))
        }

        /**
         * Flushes the last fixes, finishes the patrol, asks for a sync and stops. A plain
         * startService (the app is visible when the patrol screen's Finish is pressed):
         * finishing needs no foreground start, so it works even after the location permission
         * was revoked (startForegroundService would oblige a startForeground that then throws).
         */
        fun finish(context: Context) {
            context.startService(Intent(context, PatrolService::class.java).setAction(ACTION_FINISH))
        }
    }
}
