#ifndef EPKI_BENCH_RAW_PCSC_H
#define EPKI_BENCH_RAW_PCSC_H
/* The reference side of the card benchmark: SCardTransmit in a tight loop over a list of APDUs given as bytes,
   straight through pcsc-lite, on the calling thread. Plain C types only, so Swift never sees the PC/SC headers
   through this target (epki's SmartCard module has its own view of them). */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int ok;                      /* 1 on success; else `error` says what failed */
    long apdus;                  /* round trips completed */
    double seconds;              /* wall time of the loop (CLOCK_MONOTONIC) */
    double threadCPUSeconds;     /* CPU time (user + system) of the calling thread over the loop */
    double processCPUSeconds;    /* CPU time of the whole process over the loop (the virtual chip's thread included) */
    long responseBytes;          /* bytes received, status words included */
    char error[256];
} raw_pcsc_result;

/* Establishes its own context (SCARD_SCOPE_SYSTEM) and connects to the card in `reader`, shared, T=0 or T=1, as
   epki's PCSCTransport does. Returns 1, or 0 with a message in `error`. */
int raw_pcsc_connect(const char *reader, char *error, size_t errorLength);

/* Sends `count` APDUs in order: command i is commands[offsets[i] ..< offsets[i] + lengths[i]]. Each response must
   end in 90 00, else the loop stops and the result says which command failed. The response buffer is allocated
   once, before the loop. */
raw_pcsc_result raw_pcsc_transmit_all(const uint8_t *commands, const size_t *offsets, const size_t *lengths, long count);

/* Disconnects (SCARD_LEAVE_CARD) and releases the context. */
void raw_pcsc_disconnect(void);

#ifdef __cplusplus
}
#endif
#endif
