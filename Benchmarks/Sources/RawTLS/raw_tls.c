#define _GNU_SOURCE
#include "raw_tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Threads start together, warm up, then count within [start, end) of the shared monotonic clock. */
typedef struct {
    double start;
    double end;
    atomic_int failedSetup;
    char error[256];
    pthread_mutex_t lock;
} window_t;

static void set_error(window_t *w, const char *text) {
    pthread_mutex_lock(&w->lock);
    if (w->error[0] == 0) snprintf(w->error, sizeof w->error, "%s", text);
    pthread_mutex_unlock(&w->lock);
}

/* ---- raw signing ---- */

typedef struct {
    window_t *window;
    EVP_PKEY *key;
    size_t messageLength;
    long count;
    double cpu;
} sign_arg;

static void *sign_thread(void *p) {
    sign_arg *a = p;
    pthread_setname_np(pthread_self(), "rawtls-sign");  /* a profile tells the sides apart by thread name */
    unsigned char message[512];
    unsigned char signature[1024];
    for (size_t i = 0; i < sizeof message; i++) message[i] = (unsigned char)(i * 7 + 1);
    double cpuStart = 0;
    int counting = 0;
    long n = 0;
    for (;;) {
        double t = now_seconds(CLOCK_MONOTONIC);
        if (t >= a->window->end) break;
        if (!counting && t >= a->window->start) {
            counting = 1;
            cpuStart = now_seconds(CLOCK_THREAD_CPUTIME_ID);
        }
        message[0] = (unsigned char)n;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t length = sizeof signature;
        if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, a->key) != 1 ||
            EVP_DigestSign(ctx, signature, &length, message, a->messageLength) != 1) {
            EVP_MD_CTX_free(ctx);
            set_error(a->window, "EVP_DigestSign failed");
            atomic_store(&a->window->failedSetup, 1);
            return NULL;
        }
        EVP_MD_CTX_free(ctx);
        if (counting) n++;
    }
    a->count = n;
    a->cpu = now_seconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    return NULL;
}

raw_tls_result raw_sign_loop(const char *keyPEM, int threads, size_t messageLength, double warmup, double seconds) {
    raw_tls_result result;
    memset(&result, 0, sizeof result);
    if (threads < 1 || threads > RAW_TLS_MAX_THREADS || messageLength > 512) {
        snprintf(result.error, sizeof result.error, "bad arguments");
        return result;
    }
    BIO *bio = BIO_new_mem_buf(keyPEM, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) {
        snprintf(result.error, sizeof result.error, "the key is not an unencrypted PEM private key");
        return result;
    }
    window_t window;
    memset(&window, 0, sizeof window);
    pthread_mutex_init(&window.lock, NULL);
    window.start = now_seconds(CLOCK_MONOTONIC) + warmup;
    window.end = window.start + seconds;
    pthread_t ids[RAW_TLS_MAX_THREADS];
    sign_arg args[RAW_TLS_MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        args[i] = (sign_arg){ .window = &window, .key = key, .messageLength = messageLength };
        pthread_create(&ids[i], NULL, sign_thread, &args[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        result.operations += args[i].count;
        result.cpuSeconds += args[i].cpu;
    }
    EVP_PKEY_free(key);
    result.seconds = seconds;
    result.ok = !atomic_load(&window.failedSetup);
    memcpy(result.error, window.error, sizeof result.error);
    pthread_mutex_destroy(&window.lock);
    return result;
}

/* ---- HTTPS load ---- */

typedef struct {
    window_t *window;
    SSL_CTX *ctx;
    const char *host;
    int port;
    const char *request;
    size_t requestLength;
    long expectStatus;
    long ok;
    long failures;
    long status;
    double latencySum;
    double latencyMax;
    long *histogram;      /* LATENCY_BUCKETS counts of LATENCY_BUCKET seconds each */
    double cpu;
    double totalCPU;
} load_arg;

enum { LATENCY_BUCKETS = 100000 };
static const double LATENCY_BUCKET = 10e-6;

/* The latency below which `fraction` of the answers fell, from the merged histogram (upper edge of the bucket). */
static double latency_quantile(const long *histogram, long total, double fraction) {
    if (total <= 0) return 0;
    long rank = (long)(fraction * (double)total + 0.999999);
    long seen = 0;
    for (int i = 0; i < LATENCY_BUCKETS; i++) {
        seen += histogram[i];
        if (seen >= rank) return (i + 1) * LATENCY_BUCKET;
    }
    return LATENCY_BUCKETS * LATENCY_BUCKET;
}

static SSL *connect_tls(load_arg *a) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)a->port);
    inet_pton(AF_INET, a->host, &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return NULL;
    }
    SSL *ssl = SSL_new(a->ctx);
    SSL_set_fd(ssl, fd);
    SSL_set1_host(ssl, a->host);
    if (SSL_connect(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    return ssl;
}

static void close_tls(SSL *ssl) {
    if (!ssl) return;
    int fd = SSL_get_fd(ssl);
    SSL_free(ssl);
    close(fd);
}

/* Reads one HTTP/1.1 response with Content-Length; returns its status, or -1 on a broken connection. */
static long read_response(SSL *ssl, char *buffer, size_t capacity) {
    size_t have = 0;
    char *headerEnd = NULL;
    while (!headerEnd) {
        if (have == capacity) return -1;
        int n = SSL_read(ssl, buffer + have, (int)(capacity - have));
        if (n <= 0) return -1;
        have += (size_t)n;
        headerEnd = memmem(buffer, have, "\r\n\r\n", 4);
    }
    long status = 0;
    if (sscanf(buffer, "HTTP/1.%*d %ld", &status) != 1) return -1;
    size_t length = 0;
    char *field = strcasestr(buffer, "\ncontent-length:");
    if (field && field < headerEnd) length = (size_t)strtoul(field + 16, NULL, 10);
    size_t bodyHave = have - (size_t)(headerEnd + 4 - buffer);
    while (bodyHave < length) {
        int n = SSL_read(ssl, buffer, (int)capacity);
        if (n <= 0) return -1;
        bodyHave += (size_t)n;
    }
    return status;
}

static void *load_thread(void *p) {
    load_arg *a = p;
    pthread_setname_np(pthread_self(), "rawtls-load");
    char buffer[65536];
    SSL *ssl = NULL;
    int counting = 0;
    double cpuStart = 0;
    for (;;) {
        double t = now_seconds(CLOCK_MONOTONIC);
        if (t >= a->window->end) break;
        if (!counting && t >= a->window->start) {
            counting = 1;
            cpuStart = now_seconds(CLOCK_THREAD_CPUTIME_ID);
        }
        if (!ssl) {
            ssl = connect_tls(a);
            if (!ssl) {
                if (counting) a->failures++;
                else {
                    set_error(a->window, "cannot open a TLS connection to the service");
                    atomic_store(&a->window->failedSetup, 1);
                    return NULL;
                }
                continue;
            }
        }
        double sent = now_seconds(CLOCK_MONOTONIC);
        long status = -1;
        if (SSL_write(ssl, a->request, (int)a->requestLength) == (int)a->requestLength) status = read_response(ssl, buffer, sizeof buffer);
        double latency = now_seconds(CLOCK_MONOTONIC) - sent;
        if (status < 0) {
            close_tls(ssl);
            ssl = NULL;
        }
        if (!counting) continue;
        if (status == a->expectStatus) {
            a->ok++;
            a->latencySum += latency;
            if (latency > a->latencyMax) a->latencyMax = latency;
            long bucket = (long)(latency / LATENCY_BUCKET);
            a->histogram[bucket < LATENCY_BUCKETS ? bucket : LATENCY_BUCKETS - 1]++;
        } else {
            a->failures++;
            if (a->status == 0) a->status = status;
        }
    }
    a->cpu = counting ? now_seconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart : 0;
    close_tls(ssl);
    a->totalCPU = now_seconds(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

raw_tls_result raw_https_load(const char *host, int port, const char *caFile, const char *certFile, const char *keyFile,
                              const char *request, size_t requestLength, long expectStatus, int connections, double warmup, double seconds) {
    raw_tls_result result;
    memset(&result, 0, sizeof result);
    if (connections < 1 || connections > RAW_TLS_MAX_THREADS) {
        snprintf(result.error, sizeof result.error, "bad number of connections");
        return result;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, caFile, NULL) != 1 || SSL_CTX_use_certificate_file(ctx, certFile, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) != 1) {
        snprintf(result.error, sizeof result.error, "cannot set up the client's TLS context (CA, certificate or key file)");
        SSL_CTX_free(ctx);
        return result;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    window_t window;
    memset(&window, 0, sizeof window);
    pthread_mutex_init(&window.lock, NULL);
    window.start = now_seconds(CLOCK_MONOTONIC) + warmup;
    window.end = window.start + seconds;
    pthread_t ids[RAW_TLS_MAX_THREADS];
    load_arg *args = calloc((size_t)connections, sizeof(load_arg));
    long *histograms = calloc((size_t)connections * LATENCY_BUCKETS, sizeof(long));
    long *merged = calloc(LATENCY_BUCKETS, sizeof(long));
    for (int i = 0; i < connections; i++) {
        args[i] = (load_arg){ .window = &window, .ctx = ctx, .host = host, .port = port, .request = request, .requestLength = requestLength,
                              .expectStatus = expectStatus, .histogram = histograms + (size_t)i * LATENCY_BUCKETS };
        pthread_create(&ids[i], NULL, load_thread, &args[i]);
    }
    for (int i = 0; i < connections; i++) {
        pthread_join(ids[i], NULL);
        result.operations += args[i].ok;
        result.failures += args[i].failures;
        result.cpuSeconds += args[i].cpu;
        result.totalCPUSeconds += args[i].totalCPU;
        result.latencySum += args[i].latencySum;
        if (args[i].latencyMax > result.latencyMax) result.latencyMax = args[i].latencyMax;
        if (!result.status && args[i].status) result.status = args[i].status;
        for (int b = 0; b < LATENCY_BUCKETS; b++) merged[b] += args[i].histogram[b];
    }
    result.latencyP50 = latency_quantile(merged, result.operations, 0.50);
    result.latencyP99 = latency_quantile(merged, result.operations, 0.99);
    free(merged);
    free(histograms);
    free(args);
    SSL_CTX_free(ctx);
    result.seconds = seconds;
    result.ok = !atomic_load(&window.failedSetup);
    memcpy(result.error, window.error, sizeof result.error);
    pthread_mutex_destroy(&window.lock);
    return result;
}
