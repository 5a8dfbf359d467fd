// What the runtime's files share and do not export in include/: the pool's loop flag and
// the clock. Define _POSIX_C_SOURCE 200809L before including it (clock_gettime).
#ifndef VFC_RUNTIME_INTERNAL_H
#define VFC_RUNTIME_INTERNAL_H

#include <stdint.h>
#include <time.h>

// True on a pool worker, and on the caller while it runs its own part of a loop: nested
// loops then run inline, and profiling skips the sites inside them.
extern _Thread_local int vfc_inside_loop;

// Nanoseconds of the monotonic clock.
static inline int64_t vfc_monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

#endif
