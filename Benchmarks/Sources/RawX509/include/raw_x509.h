#ifndef EPKI_BENCH_RAW_X509_H
#define EPKI_BENCH_RAW_X509_H
/* The reference side of the NPKD import benchmark (section npkdimport), in C over OpenSSL 3 (libcrypto): what parsing
   and verifying the same certificates and CRLs costs with nothing around it.
   - raw_x509_parse_verify: d2i_X509 of every Document Signer certificate and X509_verify with its CSCA's key (each
     CSCA parsed once);
   - raw_crl_parse_verify: d2i_X509_CRL of one CRL, X509_CRL_verify with its CSCA's key, and a walk over its entries.
   Plain C types only. */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int ok;            /* 1 on success; else `error` says what failed */
    long parsed;       /* certificates (or CRL entries) read */
    long verified;     /* signatures that verified */
    double seconds;    /* wall time */
    double cpuSeconds; /* CPU time of the calling thread */
    double verifyCPUSeconds; /* raw_x509_parse_verify: CPU time of a second pass, X509_verify alone over the parsed certificates */
    char error[256];
} raw_x509_result;

/* `issuers`: `issuerCount` DER certificates laid end to end, `issuerOffsets[i]..issuerOffsets[i+1]` each (count + 1
   offsets); `certificates` likewise with `certificateOffsets`, and `issuerIndex[j]` the issuer of certificate j.
   The timed pass parses and verifies each certificate; then, untimed, all are parsed and kept, and a second timed pass
   runs X509_verify alone (`verifyCPUSeconds`): the signature arithmetic without OpenSSL's decoders. */
raw_x509_result raw_x509_parse_verify(const unsigned char *issuers, const size_t *issuerOffsets, size_t issuerCount,
                                      const unsigned char *certificates, const size_t *certificateOffsets,
                                      const int *issuerIndex, size_t certificateCount);

/* One DER CRL and the DER certificate of its issuer. `parsed` counts the entries (each serial number read). */
raw_x509_result raw_crl_parse_verify(const unsigned char *crl, size_t crlLength, const unsigned char *issuer, size_t issuerLength);

#ifdef __cplusplus
}
#endif
#endif
