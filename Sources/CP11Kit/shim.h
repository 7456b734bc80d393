#ifndef EPKI_CP11KIT_SHIM_H
#define EPKI_CP11KIT_SHIM_H
/* p11-kit's pkcs11.h (CRYPTOKI_COMPAT) renames fields with macros such as `#define value pValue`:
   include it last and nothing after it. */
#include <stdlib.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#endif
