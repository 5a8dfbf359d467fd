// vfc runtime: per-site profiling counters of compiled code (vfc step --profile). See
// include/vfc_runtime.h.
#define _POSIX_C_SOURCE 200809L  // clock_gettime, CLOCK_MONOTONIC under -std=c11 too
#include "vfc_runtime.h"
#include "runtime_internal.h"

#include <stdlib.h>

typedef struct { int64_t inclusive, exclusive, calls; } prof_counter;
static prof_counter *prof_table = NULL;
static int64_t prof_count = 0;
#define VFC_PROF_DEPTH 64
// The open sites of the calling thread: start time and time spent in nested sites.
static __thread struct { int64_t id, start, nested; } prof_stack[VFC_PROF_DEPTH];
static __thread int prof_depth = 0;

void vfc_prof_reset(int64_t count) {
    free(prof_table);
    prof_table = count > 0 ? calloc((size_t)count, sizeof(prof_counter)) : NULL;
    prof_count = prof_table ? count : 0;
}

void vfc_prof_begin(int64_t id) {
    if (vfc_inside_loop || prof_depth >= VFC_PROF_DEPTH) { prof_depth++; return; }
    prof_stack[prof_depth].id = id;
    prof_stack[prof_depth].nested = 0;
    prof_stack[prof_depth].start = vfc_monotonic_ns();
    prof_depth++;
}

void vfc_prof_end(int64_t id) {
    int64_t t = vfc_monotonic_ns();
    prof_depth--;
    if (vfc_inside_loop || prof_depth >= VFC_PROF_DEPTH || prof_depth < 0) { if (prof_depth < 0) prof_depth = 0; return; }
    int64_t elapsed = t - prof_stack[prof_depth].start;
    if (prof_depth > 0) prof_stack[prof_depth - 1].nested += elapsed;
    if (id >= 0 && id < prof_count && prof_stack[prof_depth].id == id) {
        prof_table[id].inclusive += elapsed;
        prof_table[id].exclusive += elapsed - prof_stack[prof_depth].nested;
        prof_table[id].calls += 1;
    }
}

int64_t vfc_prof_read(int64_t id, int what) {
    if (id < 0 || id >= prof_count) return 0;
    switch (what) {
    case 0: return prof_table[id].inclusive;
    case 1: return prof_table[id].exclusive;
    default: return prof_table[id].calls;
    }
}
