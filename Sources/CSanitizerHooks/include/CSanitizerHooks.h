#ifndef EPKI_SANITIZER_HOOKS_H
#define EPKI_SANITIZER_HOOKS_H

/// Tells ThreadSanitizer about a lock it cannot see. Swift's Synchronization.Mutex takes its lock with the standard
/// library's atomics and futex calls, and neither is instrumented, so TSan sees no order between two critical sections
/// of one Mutex and reports their accesses as races. Built with -fsanitize=thread, these call TSan's annotation
/// interface (happens-before edges through `address`); otherwise they do nothing.
void epki_sanitizer_acquired(const void *address);
void epki_sanitizer_releasing(const void *address);

#endif
