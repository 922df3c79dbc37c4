// Which runtime permissions the report and patrol screens ask for, and what a grant allows,
// as plain data (permission names are strings) so CI tests it on a desktop JVM. The app
// passes the lists to ActivityResultContracts.RequestMultiplePermissions and the result
// map back to [LocationPermissions.grant].
package org.gridwork.kit

/** How precisely the app may locate the worker. */
enum class LocationGrant {
    /** ACCESS_FINE_LOCATION: GPS. */
    PRECISE,

    /** Only ACCESS_COARSE_LOCATION (Android 12+ lets the user choose "approximate"):
     *  the network provider, about 1–3 km; a report still goes in, with its accuracy. */
    APPROXIMATE,

    /** Neither. */
    NONE,
}

/** The permission rules of Android 12–15 (docs/mobile.md, "Platform fixes"). */
object LocationPermissions {
    const val FINE = "android.permission.ACCESS_FINE_LOCATION"
    const val COARSE = "android.permission.ACCESS_COARSE_LOCATION"
    const val BACKGROUND = "android.permission.ACCESS_BACKGROUND_LOCATION"
    const val NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
    const val GPS_PROVIDER = "gps"
    const val NETWORK_PROVIDER = "network"

    /**
     * For a report's position: FINE together with COARSE. On Android 12+ a request for FINE
     * alone is ignored (no dialog, nothing granted) when the app targets 31+.
     */
    fun forReport(): List<String> = listOf(FINE, COARSE)

    /**
     * For a patrol: the location pair, plus notifications on Android 13+ (the foreground
     * service's notification is hidden otherwise). Never BACKGROUND: the patrol runs in a
     * foreground service of type `location` started from the visible app, which keeps the
     * while-in-use grant; background location must be asked for separately and only where
     * a feature needs it, which none does.
     */
    fun forPatrol(sdkInt: Int): List<String> =
        forReport() + (if (sdkInt >= 33) listOf(NOTIFICATIONS) else emptyList())

    /** What the dialog's answer allows. */
    fun grant(results: Map<String, Boolean>): LocationGrant = when {
        results[FINE] == true -> LocationGrant.PRECISE
        results[COARSE] == true -> LocationGrant.APPROXIMATE
        else -> LocationGrant.NONE
    }

    /** The LocationManager provider to ask, or null when none may be used. */
    fun provider(grant: LocationGrant, gpsEnabled: Boolean): String? = when (grant) {
        LocationGrant.PRECISE -> if (gpsEnabled) GPS_PROVIDER else NETWORK_PROVIDER
        LocationGrant.APPROXIMATE -> NETWORK_PROVIDER // GPS_PROVIDER needs FINE
        LocationGrant.NONE -> null
    }
}
