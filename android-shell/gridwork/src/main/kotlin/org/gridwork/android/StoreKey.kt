// The key for the encrypted store, kept safe by the Android Keystore: a random 256-bit
// key is generated once, encrypted (AES-256-GCM) under a non-exportable Keystore key
// and stored in no-backup storage; `key()` unwraps it for `GridworkStore.open` as a raw
// SQLCipher key (x'…'), so opening the store skips the passphrase derivation (PBKDF2,
// 256,000 rounds: most of a second on a budget phone) that a random key does not need.
// Losing the key (app data cleared, or a store folder restored/transferred to a device
// that never had its key) makes the store unreadable: `get` says when the key was
// created just now, and the app opens the store through StoreRecovery, which then
// replaces the unreadable store with a fresh one. What was synced comes back from the
// server; what was not is gone, as PIPL expects of a wiped device.
package org.gridwork.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** Creates, wraps and unwraps the store's key. */
object StoreKey {
    private const val KEYSTORE = "AndroidKeyStore"
    private const val ALIAS = "gridwork-store-wrapping-key"
    private const val FILE = "gridwork-store.key"
    private const val TRANSFORMATION = "AES/GCM/NoPadding"
    private const val IV_BYTES = 12
    private const val TAG_BITS = 128

    /** The key as a raw SQLCipher key, and whether it was created by this call. */
    class Key(val raw: String, val created: Boolean)

    /**
     * The store key as a raw SQLCipher key, `x'` + 64 hex digits + `'`, created on first
     * use ([Key.created]: pass it to `StoreRecovery.open`). Blocking (Keystore operations
     * can take tens of milliseconds): call off the main thread.
     */
    @Synchronized
    fun get(context: Context): Key {
        val file = File(context.noBackupFilesDir, FILE)
        if (file.exists()) return Key(raw(unwrap(file.readBytes())), created = false)
        val fresh = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val tmp = File(file.path + ".tmp")
        tmp.writeBytes(wrap(fresh))
        check(tmp.renameTo(file)) { "cannot store the wrapped store key" }
        return Key(raw(fresh), created = true)
    }

    /** [get]'s key only. */
    fun key(context: Context): String = get(context).raw

    private fun raw(secret: ByteArray) = "x'" + secret.joinToString("") { "%02x".format(it) } + "'"

    private fun wrappingKey(): SecretKey {
        val ks = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        (ks.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    /** IV (12 bytes) followed by the ciphertext and tag. */
    private fun wrap(secret: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        return cipher.iv + cipher.doFinal(secret)
    }

    private fun unwrap(blob: ByteArray): ByteArray {
        require(blob.size > IV_BYTES) { "wrapped store key is truncated" }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(TAG_BITS, blob, 0, IV_BYTES))
        return cipher.doFinal(blob, IV_BYTES, blob.size - IV_BYTES)
    }
}
