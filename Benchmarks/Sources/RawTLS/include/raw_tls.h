#ifndef EPKI_BENCH_RAW_TLS_H
#define EPKI_BENCH_RAW_TLS_H
/* The two reference sides of the SOD service benchmark, in C over OpenSSL 3 (libssl, libcrypto):
   - raw_sign_loop: EVP_DigestSign (SHA-256 + ECDSA) in a tight loop with the Document Signer's own key, on N threads;
   - raw_https_load: the line's side, N keep-alive HTTPS connections with a client certificate (mutual TLS), each
     posting the same request in a loop and reading the answer, so the load generator costs as little as a client can.
   Plain C types only. */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { RAW_TLS_MAX_THREADS = 256 };

typedef struct {
    int ok;               /* 1 on success; else `error` says what failed */
    long operations;      /* signatures, or requests answered with the expected status, in the measured window */
    long failures;        /* requests answered with another status, or connection errors */
    double seconds;       /* wall time of the measured window */
    double cpuSeconds;    /* CPU time (user + system) of the threads over the window, summed */
    double totalCPUSeconds; /* CPU time of the threads over their whole life (warm-up, connecting), summed */
    double latencySum;    /* seconds, over the answered requests */
    double latencyMax;
    double latencyP50;    /* seconds, from a histogram of 10 µs buckets (the last one holds everything from 1 s) */
    double latencyP99;
    long status;          /* the first other status seen, for the error text */
    char error[256];
} raw_tls_result;

/* Signs `messageLength` bytes (a SignedAttributes-sized message) with EVP_DigestSign + SHA-256 under the PEM
   private key `keyPEM` (unencrypted PKCS#8), on `threads` threads for `warmup` then `seconds` seconds of wall time. */
raw_tls_result raw_sign_loop(const char *keyPEM, int threads, size_t messageLength, double warmup, double seconds);

/* `connections` threads, each one TLS connection (client certificate `certFile`/`keyFile`, server checked against
   `caFile`) to host:port, posting `request` (a complete HTTP/1.1 request with Content-Length and keep-alive) again
   and again; a broken connection is opened anew. Counts answers with status `expectStatus` (200 for SODs; 400 for a
   request the service refuses, the cost of a request without signing) after `warmup` seconds for `seconds`. */
raw_tls_result raw_https_load(const char *host, int port, const char *caFile, const char *certFile, const char *keyFile,
                              const char *request, size_t requestLength, long expectStatus, int connections, double warmup, double seconds);

#ifdef __cplusplus
}
#endif
#endif
