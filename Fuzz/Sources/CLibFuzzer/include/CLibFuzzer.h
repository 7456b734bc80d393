#ifndef EPKI_CLIBFUZZER_H
#define EPKI_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): parses libFuzzer's flags from argv and calls
/// `callback` with every input. SwiftPM links an executable's own main, so EPKIFuzz starts libFuzzer from it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
