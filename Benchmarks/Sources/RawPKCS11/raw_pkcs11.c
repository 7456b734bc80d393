/* The raw PKCS#11 reference loop of PKICoreBenchmarks (see raw_pkcs11.h).
 *
 * Note: p11-kit's pkcs11.h (CRYPTOKI_COMPAT) #defines words such as `value`, `count`, `parameter` and `reserved`;
 * this file uses none of them as identifiers. */
#define _GNU_SOURCE
#include "raw_pkcs11.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST *functions;
static CK_SLOT_ID slot;
static char userPIN[128];
static CK_SESSION_HANDLE sessions[RAW_PKCS11_MAX_THREADS];
static int sessionOpen[RAW_PKCS11_MAX_THREADS];

/* 32 fixed bytes standing in for a precomputed SHA-256 digest: the token signs them as given. */
static const CK_BYTE digest[32] = {
    0x5c, 0x1d, 0x0f, 0x3a, 0x8e, 0x41, 0x27, 0x93, 0xb2, 0x6a, 0xc4, 0x11, 0x7e, 0xd9, 0x50, 0x08,
    0x9f, 0x33, 0xa7, 0x62, 0x1b, 0xe8, 0x04, 0xcd, 0x75, 0x2e, 0x98, 0x46, 0xf1, 0x0a, 0xbb, 0x39,
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double threadCPU(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void padded(char *out, size_t outLength, const CK_UTF8CHAR *field, size_t fieldLength) {
    size_t n = fieldLength;
    while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == 0)) n--;
    if (n >= outLength) n = outLength - 1;
    memcpy(out, field, n);
    out[n] = 0;
}

int raw_pkcs11_open(const char *modulePath, const char *tokenLabel, const char *pin, char *error, size_t errorLength) {
    functions = p11_kit_module_load(modulePath, 0);
    if (functions == NULL) {
        snprintf(error, errorLength, "p11_kit_module_load(%s): %s", modulePath, p11_kit_message() ? p11_kit_message() : "?");
        return 0;
    }
    CK_RV rv = p11_kit_module_initialize(functions);
    if (rv != CKR_OK) {
        snprintf(error, errorLength, "p11_kit_module_initialize(%s) returned 0x%lx", modulePath, (unsigned long)rv);
        return 0;
    }
    CK_ULONG slotCount = 0;
    rv = functions->C_GetSlotList(CK_TRUE, NULL, &slotCount);
    if (rv != CKR_OK || slotCount == 0) {
        snprintf(error, errorLength, "C_GetSlotList returned 0x%lx, %lu slots", (unsigned long)rv, (unsigned long)slotCount);
        return 0;
    }
    CK_SLOT_ID *slots = calloc(slotCount, sizeof(CK_SLOT_ID));
    rv = functions->C_GetSlotList(CK_TRUE, slots, &slotCount);
    int found = 0;
    for (CK_ULONG i = 0; rv == CKR_OK && i < slotCount && !found; i++) {
        CK_TOKEN_INFO info;
        if (functions->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
        char label[sizeof(info.label) + 1];
        padded(label, sizeof(label), info.label, sizeof(info.label));
        if (strcmp(label, tokenLabel) == 0) {
            slot = slots[i];
            found = 1;
        }
    }
    free(slots);
    if (!found) {
        snprintf(error, errorLength, "no token labelled '%s' in %s", tokenLabel, modulePath);
        return 0;
    }
    snprintf(userPIN, sizeof(userPIN), "%s", pin);
    return 1;
}

/* The session of thread `index`: opened on first use and kept (closing the application's last session would
   log it out of the token). */
static CK_RV session(int index, CK_SESSION_HANDLE *out) {
    if (!sessionOpen[index]) {
        CK_RV rv = functions->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &sessions[index]);
        if (rv != CKR_OK) return rv;
        sessionOpen[index] = 1;
        /* Login state belongs to the application and token, not the session: the first C_Login covers every
           session, and epki's own login in this process already counts. */
        rv = functions->C_Login(sessions[index], CKU_USER, (CK_UTF8CHAR *)userPIN, strlen(userPIN));
        if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return rv;
    }
    *out = sessions[index];
    return CKR_OK;
}

typedef struct {
    int index;
    const char *keyLabel;
    int mechanism;
    double seconds;
    double warmup;
    pthread_barrier_t *barrier;
    /* out */
    long signatures;
    double elapsed;
    double cpu;
    size_t signatureLength;
    CK_RV rv;
    const char *failed;
} worker;

static void *run(void *argument) {
    worker *w = argument;
    CK_SESSION_HANDLE handle;
    CK_OBJECT_HANDLE key = 0;
    CK_ULONG found = 0;
    w->rv = session(w->index, &handle);
    if (w->rv != CKR_OK) { w->failed = "C_OpenSession/C_Login"; goto wait; }

    CK_OBJECT_CLASS keyClass = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE template[2] = {
        {CKA_CLASS, &keyClass, sizeof(keyClass)},
        {CKA_LABEL, (void *)w->keyLabel, strlen(w->keyLabel)},
    };
    w->rv = functions->C_FindObjectsInit(handle, template, 2);
    if (w->rv != CKR_OK) { w->failed = "C_FindObjectsInit"; goto wait; }
    w->rv = functions->C_FindObjects(handle, &key, 1, &found);
    functions->C_FindObjectsFinal(handle);
    if (w->rv != CKR_OK || found != 1) { w->failed = "C_FindObjects (no private key with that label)"; if (w->rv == CKR_OK) w->rv = CKR_GENERAL_ERROR; goto wait; }

wait:
    /* Every thread passes the barrier, failed or not, so that the others are not left waiting. */
    pthread_barrier_wait(w->barrier);
    if (w->rv != CKR_OK) return NULL;

    CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_MECHANISM mechanism;
    if (w->mechanism == RAW_PKCS11_ECDSA) {
        mechanism.mechanism = CKM_ECDSA;
        mechanism.pParameter = NULL;
        mechanism.ulParameterLen = 0;
    } else {
        mechanism.mechanism = CKM_RSA_PKCS_PSS;
        mechanism.pParameter = &pss;
        mechanism.ulParameterLen = sizeof(pss);
    }
    CK_BYTE signature[1024];
    double start = now();
    double warmupEnd = start + w->warmup;
    int measuring = 0;
    long done = 0;
    double deadline = 0, t = start, measuredStart = start, cpuStart = 0;
    for (;;) {
        CK_RV rv = functions->C_SignInit(handle, &mechanism, key);
        if (rv != CKR_OK) { w->rv = rv; w->failed = "C_SignInit"; return NULL; }
        CK_ULONG signatureLength = sizeof(signature);
        rv = functions->C_Sign(handle, (CK_BYTE_PTR)digest, sizeof(digest), signature, &signatureLength);
        if (rv != CKR_OK) { w->rv = rv; w->failed = "C_Sign"; return NULL; }
        w->signatureLength = signatureLength;
        t = now();
        if (measuring) {
            done++;
            if (t >= deadline) break;
        } else if (t >= warmupEnd) {
            measuring = 1;
            cpuStart = threadCPU();
            measuredStart = t;
            deadline = t + w->seconds;
        }
    }
    w->signatures = done;
    w->elapsed = t - measuredStart;
    w->cpu = threadCPU() - cpuStart;
    return NULL;
}

raw_pkcs11_result raw_pkcs11_sign_rate(const char *keyLabel, int mechanism, int threads, double seconds, double warmupSeconds) {
    raw_pkcs11_result result;
    memset(&result, 0, sizeof(result));
    if (functions == NULL) {
        snprintf(result.error, sizeof(result.error), "raw_pkcs11_open was not called");
        return result;
    }
    if (threads < 1 || threads > RAW_PKCS11_MAX_THREADS) {
        snprintf(result.error, sizeof(result.error), "threads must be 1 to %d", RAW_PKCS11_MAX_THREADS);
        return result;
    }
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads);
    worker workers[RAW_PKCS11_MAX_THREADS];
    pthread_t ids[RAW_PKCS11_MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        memset(&workers[i], 0, sizeof(worker));
        workers[i].index = i;
        workers[i].keyLabel = keyLabel;
        workers[i].mechanism = mechanism;
        workers[i].seconds = seconds;
        workers[i].warmup = warmupSeconds;
        workers[i].barrier = &barrier;
        pthread_create(&ids[i], NULL, run, &workers[i]);
    }
    result.ok = 1;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        if (workers[i].rv != CKR_OK) {
            if (result.ok) {
                snprintf(result.error, sizeof(result.error), "thread %d: %s returned 0x%lx", i,
                         workers[i].failed ? workers[i].failed : "?", (unsigned long)workers[i].rv);
            }
            result.ok = 0;
            continue;
        }
        result.signatures += workers[i].signatures;
        result.rate += workers[i].elapsed > 0 ? (double)workers[i].signatures / workers[i].elapsed : 0;
        result.seconds += workers[i].elapsed / threads;
        result.cpuSeconds += workers[i].cpu;
        result.signatureLength = workers[i].signatureLength;
    }
    pthread_barrier_destroy(&barrier);
    return result;
}

void raw_pkcs11_close(void) {
    if (functions == NULL) return;
    for (int i = 0; i < RAW_PKCS11_MAX_THREADS; i++) {
        if (sessionOpen[i]) functions->C_CloseSession(sessions[i]);
        sessionOpen[i] = 0;
    }
    p11_kit_module_finalize(functions);
    p11_kit_module_release(functions);
    functions = NULL;
}
