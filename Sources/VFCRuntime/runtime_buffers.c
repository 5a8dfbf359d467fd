// vfc runtime: aligned buffers with a cache of freed ones, the arena plans of functions
// whose buffer sizes depend on run-time dims, and the errors compiled code reports. See
// include/vfc_runtime.h.
#include "vfc_runtime.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Freed buffers are kept for reuse, keyed by size: a compiled step allocates the same
// intermediates on every call, and fresh pages from the kernel (first-touch faults) would
// otherwise cost more than the kernels that fill them.
#define VFC_CACHE_SLOTS 256
#define VFC_CACHE_BYTES ((size_t)1 << 30)

typedef struct { void *pointer; size_t size; } cached_block;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cached_block cache[VFC_CACHE_SLOTS];
static int cache_count = 0;
static size_t cache_bytes = 0;
// The largest block that did not fit the cache's budget (a training step's arena: it is
// freed last, when the cache already holds the step's other blocks) is kept on its own, so
// that calling the step again does not fault its pages in anew.
static cached_block large = {NULL, 0};

// Sizes of live buffers, so vfc_free knows how large a block is.
typedef struct { void *pointer; size_t size; } live_block;
static live_block *live = NULL;
static size_t live_capacity = 0, live_count = 0;

static size_t rounded_size(int64_t bytes) {
    size_t size = ((size_t)bytes + 63) & ~(size_t)63;
    return size == 0 ? 64 : size;
}

static void remember(void *p, size_t size) {
    if (live_count == live_capacity) {
        size_t n = live_capacity ? 2 * live_capacity : 256;
        live_block *grown = realloc(live, n * sizeof *live);
        if (!grown) return;  // the block is then freed, not cached
        live = grown;
        live_capacity = n;
    }
    live[live_count++] = (live_block){p, size};
}

static void *take_block(size_t size) {
    void *p = NULL;
    pthread_mutex_lock(&cache_lock);
    for (int i = cache_count - 1; i >= 0; i--) {
        if (cache[i].size == size) {
            p = cache[i].pointer;
            cache[i] = cache[--cache_count];
            cache_bytes -= size;
            break;
        }
    }
    if (!p && large.pointer && large.size == size) {
        p = large.pointer;
        large = (cached_block){NULL, 0};
    }
    if (!p) p = aligned_alloc(64, size);
    if (p) remember(p, size);
    pthread_mutex_unlock(&cache_lock);
    return p;
}

void *vfc_alloc(int64_t bytes) {
    if (bytes < 0) return NULL;
    size_t size = rounded_size(bytes);
    void *p = take_block(size);
    if (p) memset(p, 0, size);
    return p;
}

void vfc_out_of_memory(int64_t bytes) {
    fprintf(stderr, "vfc: error: out of memory allocating %lld bytes for a compiled kernel\n", (long long)bytes);
    exit(1);
}

void vfc_index_error(const char *format, int64_t index, int64_t position) {
    fflush(stdout);
    fprintf(stderr, format, (long long)index, (long long)position);
    fputc('\n', stderr);
    exit(1);
}

void vfc_index_error_sized(const char *format, int64_t index, int64_t position, int64_t size) {
    fflush(stdout);
    fprintf(stderr, format, (long long)index, (long long)position, (long long)size);
    fputc('\n', stderr);
    exit(1);
}

static int poison = 0;

void vfc_set_poison(int on) { poison = on; }

void *vfc_alloc_uninit(int64_t bytes) {
    if (bytes < 0) return NULL;
    size_t size = rounded_size(bytes);
    void *p = take_block(size);
    if (p && poison) memset(p, 0xFF, size);
    return p;
}

void vfc_trim_heap(void) { malloc_trim(0); }

void *vfc_alloc_arena(int64_t bytes) {
    void *p = vfc_alloc_uninit(bytes);
    if (!p) vfc_out_of_memory(bytes);
    return p;
}

void vfc_free(void *buffer) {
    if (!buffer) return;
    pthread_mutex_lock(&cache_lock);
    size_t size = 0;
    for (size_t i = live_count; i > 0; i--) {
        if (live[i - 1].pointer == buffer) {
            size = live[i - 1].size;
            live[i - 1] = live[--live_count];
            break;
        }
    }
    if (size && cache_count < VFC_CACHE_SLOTS && cache_bytes + size <= VFC_CACHE_BYTES) {
        cache[cache_count++] = (cached_block){buffer, size};
        cache_bytes += size;
        buffer = NULL;
    } else if (size && size >= large.size) {
        void *previous = large.pointer;
        large = (cached_block){buffer, size};
        buffer = previous;
    }
    pthread_mutex_unlock(&cache_lock);
    free(buffer);
}

// Arena plans placed when the function is called (vfc_arena_plan).
// The same placement as the compiler's for fixed sizes (MemoryPlan.place): the largest slot
// first (ties: earlier first use, then lower index), each at the lowest 64-byte-aligned
// offset free of the slots already placed that are live at one instruction with it.

static int64_t aligned(int64_t n) { return (n + 63) & ~(int64_t)63; }

static int64_t slot_first(const int64_t *lifetimes, int64_t i) { return lifetimes[2 * i]; }
static int64_t slot_last(const int64_t *lifetimes, int64_t i) { return lifetimes[2 * i + 1]; }

typedef struct { int64_t size, first, index; } order_key;

static int by_placement_order(const void *a, const void *b) {
    const order_key *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

typedef struct { int64_t start, end; } range;

static int by_start(const void *a, const void *b) {
    const range *x = a, *y = b;
    return x->start < y->start ? -1 : (x->start > y->start);
}

// Places `count` slots; returns the arena's size, or -1 when out of memory.
static int64_t place(int64_t count, const int64_t *sizes, const int64_t *lifetimes, int64_t *offsets) {
    order_key *order = malloc((size_t)(count > 0 ? count : 1) * sizeof *order);
    range *busy = malloc((size_t)(count > 0 ? count : 1) * sizeof *busy);
    if (!order || !busy) {
        free(order);
        free(busy);
        return -1;
    }
    for (int64_t i = 0; i < count; i++) order[i] = (order_key){sizes[i], slot_first(lifetimes, i), i};
    qsort(order, (size_t)count, sizeof *order, by_placement_order);
    int64_t total = 0;
    for (int64_t k = 0; k < count; k++) {
        int64_t i = order[k].index, first = slot_first(lifetimes, i), last = slot_last(lifetimes, i);
        int64_t size = aligned(sizes[i]), n = 0;
        for (int64_t m = 0; m < k; m++) {
            int64_t j = order[m].index;
            if (first <= slot_last(lifetimes, j) && slot_first(lifetimes, j) <= last) {
                busy[n++] = (range){offsets[j], offsets[j] + aligned(sizes[j])};
            }
        }
        qsort(busy, (size_t)n, sizeof *busy, by_start);
        int64_t offset = 0;
        for (int64_t r = 0; r < n; r++) {
            if (busy[r].start >= offset + size) break;
            if (busy[r].end > offset) offset = busy[r].end;
        }
        offsets[i] = offset;
        if (offset + size > total) total = offset + size;
    }
    free(order);
    free(busy);
    return total;
}

// The last plans made, so that calling a function again with the same sizes (the same
// batch size) costs a comparison and a copy. Keyed by content, not by address: a JIT
// module's tables may be unloaded and their addresses reused.
#define VFC_ARENA_PLANS 4

typedef struct {
    int64_t count, total;
    int64_t *sizes, *lifetimes, *offsets;
} arena_plan;

static pthread_mutex_t plans_lock = PTHREAD_MUTEX_INITIALIZER;
static arena_plan plans[VFC_ARENA_PLANS];
static int next_plan = 0;

static int matches(const arena_plan *p, int64_t count, const int64_t *sizes, const int64_t *lifetimes) {
    size_t bytes = (size_t)count * sizeof(int64_t);
    return p->sizes && p->count == count && memcmp(p->sizes, sizes, bytes) == 0 && memcmp(p->lifetimes, lifetimes, 2 * bytes) == 0;
}

static void remember_plan(int64_t count, const int64_t *sizes, const int64_t *lifetimes, const int64_t *offsets, int64_t total) {
    size_t bytes = (size_t)count * sizeof(int64_t);
    arena_plan p = {count, total, malloc(bytes ? bytes : 1), malloc(bytes ? 2 * bytes : 1), malloc(bytes ? bytes : 1)};
    if (!p.sizes || !p.lifetimes || !p.offsets) {
        free(p.sizes);
        free(p.lifetimes);
        free(p.offsets);
        return;  // not cached; the plan is still returned
    }
    memcpy(p.sizes, sizes, bytes);
    memcpy(p.lifetimes, lifetimes, 2 * bytes);
    memcpy(p.offsets, offsets, bytes);
    arena_plan *old = &plans[next_plan];
    free(old->sizes);
    free(old->lifetimes);
    free(old->offsets);
    *old = p;
    next_plan = (next_plan + 1) % VFC_ARENA_PLANS;
}

int64_t vfc_arena_plan(int64_t count, const int64_t *sizes, const int64_t *lifetimes, int64_t *offsets) {
    if (count <= 0) return 0;
    pthread_mutex_lock(&plans_lock);
    for (int i = 0; i < VFC_ARENA_PLANS; i++) {
        if (matches(&plans[i], count, sizes, lifetimes)) {
            memcpy(offsets, plans[i].offsets, (size_t)count * sizeof(int64_t));
            int64_t total = plans[i].total;
            pthread_mutex_unlock(&plans_lock);
            return total;
        }
    }
    pthread_mutex_unlock(&plans_lock);
    int64_t total = place(count, sizes, lifetimes, offsets);
    if (total < 0) vfc_out_of_memory((int64_t)count * 64);
    pthread_mutex_lock(&plans_lock);
    remember_plan(count, sizes, lifetimes, offsets, total);
    pthread_mutex_unlock(&plans_lock);
    return total;
}
