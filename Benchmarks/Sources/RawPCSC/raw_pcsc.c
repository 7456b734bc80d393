/* The raw PC/SC reference loop of PKICoreBenchmarks (see raw_pcsc.h). */
#define _GNU_SOURCE
#include "raw_pcsc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

static SCARDCONTEXT context;
static SCARDHANDLE card;
static DWORD activeProtocol;
static int connected;
static BYTE *response;
enum { RESPONSE_CAPACITY = 65538 };

static double clockSeconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int raw_pcsc_connect(const char *reader, char *error, size_t errorLength) {
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &context);
    if (rv != SCARD_S_SUCCESS) {
        snprintf(error, errorLength, "SCardEstablishContext: %s (0x%lx)", pcsc_stringify_error(rv), (unsigned long)rv);
        return 0;
    }
    rv = SCardConnect(context, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &activeProtocol);
    if (rv != SCARD_S_SUCCESS) {
        snprintf(error, errorLength, "SCardConnect(%s): %s (0x%lx)", reader, pcsc_stringify_error(rv), (unsigned long)rv);
        SCardReleaseContext(context);
        return 0;
    }
    response = malloc(RESPONSE_CAPACITY);
    connected = 1;
    return 1;
}

raw_pcsc_result raw_pcsc_transmit_all(const uint8_t *commands, const size_t *offsets, const size_t *lengths, long count) {
    raw_pcsc_result result;
    memset(&result, 0, sizeof result);
    if (!connected) {
        snprintf(result.error, sizeof result.error, "not connected");
        return result;
    }
    const SCARD_IO_REQUEST *pci = activeProtocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    double cpuStart = clockSeconds(CLOCK_THREAD_CPUTIME_ID);
    double processStart = clockSeconds(CLOCK_PROCESS_CPUTIME_ID);
    double start = clockSeconds(CLOCK_MONOTONIC);
    long i;
    for (i = 0; i < count; i++) {
        DWORD length = RESPONSE_CAPACITY;
        LONG rv = SCardTransmit(card, pci, commands + offsets[i], (DWORD)lengths[i], NULL, response, &length);
        if (rv != SCARD_S_SUCCESS) {
            snprintf(result.error, sizeof result.error, "SCardTransmit of command %ld: %s (0x%lx)", i, pcsc_stringify_error(rv), (unsigned long)rv);
            break;
        }
        if (length < 2 || response[length - 2] != 0x90 || response[length - 1] != 0x00) {
            snprintf(result.error, sizeof result.error, "command %ld of %ld: status %02X%02X (%lu response bytes)", i, count,
                     length >= 2 ? response[length - 2] : 0, length >= 2 ? response[length - 1] : 0, (unsigned long)length);
            break;
        }
        result.responseBytes += (long)length;
    }
    result.seconds = clockSeconds(CLOCK_MONOTONIC) - start;
    result.threadCPUSeconds = clockSeconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    result.processCPUSeconds = clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - processStart;
    result.apdus = i;
    result.ok = i == count;
    return result;
}

void raw_pcsc_disconnect(void) {
    if (!connected) return;
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(context);
    free(response);
    response = NULL;
    connected = 0;
}
