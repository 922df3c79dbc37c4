// Photos for the screens, as coroutines (issue #13, point 2): what the device holds of a photo
// (thumbnail first), the full photo on demand (downloaded through the sync client: resumable,
// hash-checked), the cache budget and the capture settings. Plain Kotlin/JVM, tested on CI
// (bindings/tests/kotlin/ScreensTest.kt). See docs/photos.md.
package org.gridwork.kit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridwork.ffi.PhotoSettings
import org.gridwork.ffi.PhotoView

/** What the device holds of photo [sha256] (`Local`, `ThumbnailOnly`, `Downloading`, `Missing`); marks it used. */
suspend fun GridworkRepository.photoView(sha256: String): PhotoView =
    withContext(Dispatchers.IO) { store.photoView(sha256) }

/**
 * Downloads the full photo [sha256] unless it is here (a cut download resumes) and returns its
 * path. No answer: `GridworkException.Network` (call again to resume).
 */
suspend fun GridworkRepository.fetchPhoto(sha256: String): String =
    withContext(Dispatchers.IO) { sync.fetchPhoto(sha256) }

/** Applies the cache budget now (evicts synced photos, least recently used first); how many files went. */
suspend fun GridworkRepository.evictPhotos(): ULong = withContext(Dispatchers.IO) { store.evictPhotos() }

/** Maximum edge at capture, cache budget, whether the camera's temporary file is removed. */
suspend fun GridworkRepository.photoSettings(): PhotoSettings = withContext(Dispatchers.IO) { store.photoSettings() }

/** Changes the photo settings (invalid values: `InvalidInput` with the field). */
suspend fun GridworkRepository.setPhotoSettings(settings: PhotoSettings) =
    withContext(Dispatchers.IO) { store.setPhotoSettings(settings) }
