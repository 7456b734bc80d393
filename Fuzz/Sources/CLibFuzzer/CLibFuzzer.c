// Declarations only: the definitions come from libFuzzer at link time.
#include "CLibFuzzer.h"
