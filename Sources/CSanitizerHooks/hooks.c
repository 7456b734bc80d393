#include "CSanitizerHooks.h"

#if defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define EPKI_THREAD_SANITIZER 1
#  endif
#endif
#if !defined(EPKI_THREAD_SANITIZER) && defined(__SANITIZE_THREAD__)
#  define EPKI_THREAD_SANITIZER 1
#endif

#ifdef EPKI_THREAD_SANITIZER
// From compiler-rt's sanitizer/tsan_interface.h: an acquire after the lock, a release before the unlock.
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);

void epki_sanitizer_acquired(const void *address) { __tsan_acquire((void *)address); }
void epki_sanitizer_releasing(const void *address) { __tsan_release((void *)address); }
#else
void epki_sanitizer_acquired(const void *address) { (void)address; }
void epki_sanitizer_releasing(const void *address) { (void)address; }
#endif
