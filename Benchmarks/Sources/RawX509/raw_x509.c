#define _GNU_SOURCE
#include "raw_x509.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fail(raw_x509_result *result, const char *what) {
    unsigned long code = ERR_peek_last_error();
    char reason[160] = "";
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    snprintf(result->error, sizeof result->error, "%s%s%s", what, reason[0] ? ": " : "", reason);
    ERR_clear_error();
}

raw_x509_result raw_x509_parse_verify(const unsigned char *issuers, const size_t *issuerOffsets, size_t issuerCount,
                                      const unsigned char *certificates, const size_t *certificateOffsets,
                                      const int *issuerIndex, size_t certificateCount) {
    raw_x509_result result;
    memset(&result, 0, sizeof result);
    double wallStart = now_seconds(CLOCK_MONOTONIC), cpuStart = now_seconds(CLOCK_THREAD_CPUTIME_ID);
    EVP_PKEY **keys = calloc(issuerCount ? issuerCount : 1, sizeof *keys);
    X509 **parsedIssuers = calloc(issuerCount ? issuerCount : 1, sizeof *parsedIssuers);
    if (keys == NULL || parsedIssuers == NULL) {
        fail(&result, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < issuerCount; i++) {
        const unsigned char *p = issuers + issuerOffsets[i];
        parsedIssuers[i] = d2i_X509(NULL, &p, (long)(issuerOffsets[i + 1] - issuerOffsets[i]));
        if (parsedIssuers[i] == NULL || (keys[i] = X509_get0_pubkey(parsedIssuers[i])) == NULL) {
            fail(&result, "an issuer certificate cannot be read");
            goto done;
        }
    }
    for (size_t j = 0; j < certificateCount; j++) {
        const unsigned char *p = certificates + certificateOffsets[j];
        X509 *certificate = d2i_X509(NULL, &p, (long)(certificateOffsets[j + 1] - certificateOffsets[j]));
        if (certificate == NULL) {
            fail(&result, "a certificate cannot be read");
            goto done;
        }
        result.parsed++;
        int index = issuerIndex[j];
        if (index >= 0 && (size_t)index < issuerCount && X509_verify(certificate, keys[index]) == 1) result.verified++;
        X509_free(certificate);
    }
    result.seconds = now_seconds(CLOCK_MONOTONIC) - wallStart;
    result.cpuSeconds = now_seconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    X509 **parsed = calloc(certificateCount ? certificateCount : 1, sizeof *parsed);
    if (parsed == NULL) {
        fail(&result, "out of memory");
        goto done;
    }
    for (size_t j = 0; j < certificateCount; j++) {
        const unsigned char *p = certificates + certificateOffsets[j];
        parsed[j] = d2i_X509(NULL, &p, (long)(certificateOffsets[j + 1] - certificateOffsets[j]));
    }
    double verifyStart = now_seconds(CLOCK_THREAD_CPUTIME_ID);
    long again = 0;
    for (size_t j = 0; j < certificateCount; j++) {
        int index = issuerIndex[j];
        if (parsed[j] != NULL && index >= 0 && (size_t)index < issuerCount && X509_verify(parsed[j], keys[index]) == 1) again++;
    }
    result.verifyCPUSeconds = now_seconds(CLOCK_THREAD_CPUTIME_ID) - verifyStart;
    for (size_t j = 0; j < certificateCount; j++) X509_free(parsed[j]);
    free(parsed);
    if (again != result.verified) {
        fail(&result, "the second pass verified a different number of certificates");
        goto done;
    }
    ERR_clear_error();
    result.ok = 1;
    goto cleanup;
done:
    result.seconds = now_seconds(CLOCK_MONOTONIC) - wallStart;
    result.cpuSeconds = now_seconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
cleanup:
    if (parsedIssuers != NULL) {
        for (size_t i = 0; i < issuerCount; i++) X509_free(parsedIssuers[i]);
    }
    free(parsedIssuers);
    free(keys);
    return result;
}

raw_x509_result raw_crl_parse_verify(const unsigned char *crl, size_t crlLength, const unsigned char *issuer, size_t issuerLength) {
    raw_x509_result result;
    memset(&result, 0, sizeof result);
    double wallStart = now_seconds(CLOCK_MONOTONIC), cpuStart = now_seconds(CLOCK_THREAD_CPUTIME_ID);
    const unsigned char *p = issuer;
    X509 *issuerCertificate = d2i_X509(NULL, &p, (long)issuerLength);
    X509_CRL *list = NULL;
    if (issuerCertificate == NULL) {
        fail(&result, "the issuer certificate cannot be read");
        goto done;
    }
    p = crl;
    list = d2i_X509_CRL(NULL, &p, (long)crlLength);
    if (list == NULL) {
        fail(&result, "the CRL cannot be read");
        goto done;
    }
    if (X509_CRL_verify(list, X509_get0_pubkey(issuerCertificate)) == 1) result.verified = 1;
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(list);
    long entries = 0;
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
        const X509_REVOKED *entry = sk_X509_REVOKED_value(revoked, i);
        if (X509_REVOKED_get0_serialNumber(entry) != NULL && X509_REVOKED_get0_revocationDate(entry) != NULL) entries++;
    }
    result.parsed = entries;
    ERR_clear_error();
    result.ok = 1;
done:
    result.seconds = now_seconds(CLOCK_MONOTONIC) - wallStart;
    result.cpuSeconds = now_seconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    X509_CRL_free(list);
    X509_free(issuerCertificate);
    return result;
}
