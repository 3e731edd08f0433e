/*
 * wasm_config.h — mbedtls configuration overlay for wasm32-wasi (MBEDTLS_USER_CONFIG_FILE): no
 * sockets, timers, assembly or CPU-specific AES, no file system (the CA bundle arrives as a buffer),
 * entropy from the WASI host through getentropy() (tls_wasm.c seeds the DRBG with it).
 */
#undef MBEDTLS_NET_C
#undef MBEDTLS_TIMING_C
#undef MBEDTLS_HAVE_ASM
#undef MBEDTLS_AESNI_C
#undef MBEDTLS_PADLOCK_C
#undef MBEDTLS_FS_IO
#undef MBEDTLS_PSA_ITS_FILE_C
#undef MBEDTLS_PSA_CRYPTO_STORAGE_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
