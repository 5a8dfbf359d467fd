// vfc runtime: aligned buffers with a cache of freed ones, and the errors compiled code
// reports. See include/vfc_runtime.h.
#include "vfc_runtime.h"

#include <malloc.h>
#include <pthread.h>
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
// One block larger than the cache's budget (a training step's arena) is kept on its own,
// so that calling the step again does not fault its pages in anew.
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
    } else if (size > VFC_CACHE_BYTES) {
        void *previous = large.pointer;
        large = (cached_block){buffer, size};
        buffer = previous;
    }
    pthread_mutex_unlock(&cache_lock);
    free(buffer);
}
