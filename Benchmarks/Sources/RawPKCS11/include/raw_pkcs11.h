#ifndef EPKI_BENCH_RAW_PKCS11_H
#define EPKI_BENCH_RAW_PKCS11_H
/* The reference side of the PKCS#11 benchmark: C_SignInit + C_Sign in a tight loop over a precomputed
   SHA-256 digest, straight through p11-kit, one session per thread. Plain C types only, so Swift never sees
   the Cryptoki headers (their CRYPTOKI_COMPAT macros rename common words such as `value` and `count`). */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    RAW_PKCS11_ECDSA = 0,             /* CKM_ECDSA over the 32-byte digest */
    RAW_PKCS11_RSA_PSS_SHA256 = 1,    /* CKM_RSA_PKCS_PSS, hashAlg SHA-256, MGF1-SHA-256, salt 32 */
};

enum { RAW_PKCS11_MAX_THREADS = 8 };

typedef struct {
    int ok;                  /* 1 on success; else `error` says what failed */
    long signatures;         /* signatures completed in the measured window, all threads */
    double rate;             /* sum over threads of signatures / elapsed seconds */
    double seconds;          /* mean measured time per thread */
    double cpuSeconds;       /* CPU time (user + system) of the threads over their measured time, summed */
    size_t signatureLength;  /* length of the last signature (r||s for ECDSA, modulus length for RSA) */
    char error[256];
} raw_pkcs11_result;

/* Loads the module with p11_kit_module_load(path, 0) and p11_kit_module_initialize (p11-kit reference-counts
   the initialisation of a module that this process already initialised through another load), and finds the
   slot whose token has this label. Returns 1, or 0 with a message in `error`. Call once. */
int raw_pkcs11_open(const char *modulePath, const char *tokenLabel, const char *pin, char *error, size_t errorLength);

/* Signs for `warmupSeconds` and then `seconds` on `threads` threads (each with its own session, opened once and
   kept for later calls), with the private key labelled `keyLabel`. */
raw_pkcs11_result raw_pkcs11_sign_rate(const char *keyLabel, int mechanism, int threads, double seconds, double warmupSeconds);

/* Closes the sessions this side opened and releases its module reference. */
void raw_pkcs11_close(void);

#ifdef __cplusplus
}
#endif
#endif
