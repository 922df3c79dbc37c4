/* The one LibTomCrypt configuration, included (-include) by SQLCipher and by every
 * LibTomCrypt unit so that struct layouts agree: only what SQLCipher's LibTomCrypt
 * provider registers and calls. */
#ifndef GRIDWORK_LTC_CONFIG_H
#define GRIDWORK_LTC_CONFIG_H

#define LTC_NOTHING
/* Cipher and mode for the pages. */
#define LTC_RIJNDAEL
#define LTC_CBC_MODE
/* Page HMAC and key derivation (SQLCipher 4 defaults to SHA-512; 1 and 256 for older
 * compatibility settings). */
#define LTC_SHA1
#define LTC_SHA256
#define LTC_SHA512
#define LTC_HASH_HELPERS
#define LTC_HMAC
#define LTC_PKCS_5
/* Random IVs and salts: Fortuna, seeded from /dev/urandom. */
#define LTC_FORTUNA
#define LTC_RNG_GET_BYTES
#define LTC_DEVRANDOM
#define LTC_TRY_URANDOM_FIRST
/* The library's own locks, for its descriptor tables and the PRNG. */
#define LTC_PTHREAD
/* No self-tests, no bignum maths, no inline assembly (portable to every ABI we build). */
#define LTC_NO_TEST
#define LTC_NO_MATH
#define LTC_NO_ASM
#define LTC_CLEAN_STACK
/* A bad argument returns CRYPT_INVALID_ARG instead of aborting the process. */
#define ARGTYPE 4

#endif
