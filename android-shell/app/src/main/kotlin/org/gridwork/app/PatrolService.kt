// Records the open patrol while the screen is off: a foreground service of type "location"
// (Android stops location updates to background apps otherwise) that feeds LocationManager
// fixes — GPS, one a second, WGS-84, no Google Play services — to the shell's
// PatrolRecorder, which hands them to the core in batches every 10 seconds.
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
import android.location.LocationListener
import android.location.LocationManager
import android.os.Build
import android.os.IBinder
import android.os.Looper
import androidx.core.app.ServiceCompat
import androidx.core.content.ContextCompat
import kotlinx.coroutines.launch
import org.gridwork.ffi.FixProvider
import org.gridwork.ffi.GpsFix
import org.gridwork.kit.PatrolRecorder
import org.gridwork.kit.SyncTrigger

class PatrolService : Service(), LocationListener {
    private var recorder: PatrolRecorder? = null

    override fun onBind(intent: Intent?): IBinder? = null

    @SuppressLint("MissingPermission") // the toggle asks for location before starting us
    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        val app = application as GridworkApp
        if (intent?.action == ACTION_FINISH) {
            // Stop the fixes, flush the last batch, then finish: in this order, on one thread.
            getSystemService(LocationManager::class.java).removeUpdates(this)
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
        if (!startInForeground()) {
            // No location permission (revoked in settings, or a sticky restart the system
            // does not allow to use location): stop instead of crashing; the open patrol
            // stays open and the toggle takes it up.
            stopSelf()
            return START_NOT_STICKY
        }
        val cells = intent?.getStringArrayListExtra(EXTRA_CELLS).orEmpty()
        app.scope.launch {
            val repo = app.repository.await()
            if (recorder == null) recorder = repo.startPatrol(cells)
            val lm = getSystemService(LocationManager::class.java)
            lm.requestLocationUpdates(LocationManager.GPS_PROVIDER, 1_000L, 0f, this@PatrolService, Looper.getMainLooper())
        }
        return START_STICKY // restarted after being killed: startPatrol takes up the open patrol
    }

    override fun onLocationChanged(location: Location) {
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
        getSystemService(LocationManager::class.java).removeUpdates(this)
        val rec = recorder
        recorder = null
        // Destroyed without a finish (the system reclaimed us): flush and leave the patrol
        // open; START_STICKY or the next toggle takes it up.
        if (rec != null) (application as GridworkApp).scope.launch { rec.close() }
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
            nm.createNotificationChannel(NotificationChannel(CHANNEL, "Patrol", NotificationManager.IMPORTANCE_LOW))
        }
        val notification = (if (Build.VERSION.SDK_INT >= 26) Notification.Builder(this, CHANNEL) else @Suppress("DEPRECATION") Notification.Builder(this))
            .setContentTitle("Patrol in progress")
            .setContentText("Recording your track")
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
        private const val EXTRA_CELLS = "cells"
        private const val ACTION_FINISH = "org.gridwork.app.FINISH_PATROL"

        /** Starts (or takes up) the patrol of [cells] and records it in the foreground. */
        fun start(context: Context, cells: List<String>) {
            val intent = Intent(context, PatrolService::class.java).putStringArrayListExtra(EXTRA_CELLS, ArrayList(cells))
            if (Build.VERSION.SDK_INT >= 26) context.startForegroundService(intent) else context.startService(intent)
        }

        /**
         * Flushes the last fixes, finishes the patrol, asks for a sync and stops. A plain
         * startService (the app is visible when the toggle is switched off): finishing needs
         * no foreground start, so it works even after the location permission was revoked
         * (startForegroundService would oblige a startForeground that then throws).
         */
        fun finish(context: Context) {
            context.startService(Intent(context, PatrolService::class.java).setAction(ACTION_FINISH))
        }
    }
}
