// vfc runtime: thread pool, parallel-for, aligned buffers. See include/vfc_runtime.h.
#include "vfc_runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <malloc.h>

#define VFC_MAX_THREADS 256

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work_done = PTHREAD_COND_INITIALIZER;
static int requested_threads = 0;
static int pool_threads = 1;    // workers started (including the caller)
static int active_threads = 1;  // how many of them parallel loops use

// The job in flight: one at a time (the caller holds `job_lock` while it runs).
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static vfc_loop_body job_body;
static void *job_context;
static int64_t job_begin, job_end;
static uint64_t job_generation = 0;
static int job_pending = 0;

static __thread int inside_loop = 0;

static void chunk(int index, int count, int64_t begin, int64_t end, int64_t *lo, int64_t *hi) {
    int64_t n = end - begin;
    int64_t base = n / count, extra = n % count;
    *lo = begin + index * base + (index < extra ? index : extra);
    *hi = *lo + base + (index < extra ? 1 : 0);
}

static void *worker(void *arg) {
    int index = (int)(intptr_t)arg;
    uint64_t seen = 0;
    inside_loop = 1;
    for (;;) {
        pthread_mutex_lock(&pool_lock);
        while (job_generation == seen) pthread_cond_wait(&work_ready, &pool_lock);
        seen = job_generation;
        vfc_loop_body body = job_body;
        void *context = job_context;
        int64_t begin = job_begin, end = job_end;
        int active = active_threads;
        pthread_mutex_unlock(&pool_lock);
        if (index >= active) continue;  // not part of this loop

        int64_t lo, hi;
        chunk(index, active, begin, end, &lo, &hi);
        if (lo < hi) body(context, lo, hi);

        pthread_mutex_lock(&pool_lock);
        if (--job_pending == 0) pthread_cond_signal(&work_done);
        pthread_mutex_unlock(&pool_lock);
    }
    return NULL;
}

static int default_threads(void) {
    const char *env = getenv("VFC_THREADS");
    int n = env && atoi(env) >= 1 ? atoi(env) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    return n > VFC_MAX_THREADS ? VFC_MAX_THREADS : n;
}

static void start_pool(void) {
    // Workers for the larger of the default and the requested count, so that a later
    // vfc_set_num_threads up to that count needs no new threads.
    int n = default_threads();
    if (requested_threads > n) n = requested_threads;
    pool_threads = n;
    active_threads = requested_threads >= 1 && requested_threads <= n ? requested_threads : default_threads();
    for (int i = 1; i < n; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker, (void *)(intptr_t)i) != 0) {
            pool_threads = i;  // run with the threads that did start
            if (active_threads > i) active_threads = i;
            pthread_attr_destroy(&attr);
            break;
        }
        pthread_attr_destroy(&attr);
    }
}

int vfc_num_threads(void) {
    pthread_once(&pool_once, start_pool);
    return active_threads;
}

int vfc_set_num_threads(int threads) {
    if (threads < 1 || threads > VFC_MAX_THREADS) return -1;
    pthread_mutex_lock(&job_lock);  // not while a loop runs
    pthread_mutex_lock(&pool_lock);
    requested_threads = threads;
    int started = pool_threads;
    pthread_mutex_unlock(&pool_lock);
    int ok = 0;
    if (pthread_once(&pool_once, start_pool) == 0 && threads <= pool_threads) {
        pthread_mutex_lock(&pool_lock);
        active_threads = threads;
        pthread_mutex_unlock(&pool_lock);
    } else if (threads > started) {
        ok = -1;  // the pool is running with fewer workers than asked for
    }
    pthread_mutex_unlock(&job_lock);
    return ok;
}

void vfc_parallel_for(int64_t begin, int64_t end, vfc_loop_body body, void *context) {
    if (end <= begin) return;
    int threads = vfc_num_threads();
    if (inside_loop || threads == 1 || end - begin == 1) {
        body(context, begin, end);
        return;
    }
    pthread_mutex_lock(&job_lock);
    threads = active_threads;  // settled: vfc_set_num_threads waits for job_lock
    if (threads == 1) {
        pthread_mutex_unlock(&job_lock);
        body(context, begin, end);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    job_body = body;
    job_context = context;
    job_begin = begin;
    job_end = end;
    job_pending = threads - 1;  // the active workers other than the caller
    job_generation++;
    pthread_cond_broadcast(&work_ready);
    pthread_mutex_unlock(&pool_lock);

    int64_t lo, hi;
    chunk(0, threads, begin, end, &lo, &hi);
    inside_loop = 1;
    if (lo < hi) body(context, lo, hi);
    inside_loop = 0;

    pthread_mutex_lock(&pool_lock);
    while (job_pending > 0) pthread_cond_wait(&work_done, &pool_lock);
    pthread_mutex_unlock(&pool_lock);
    pthread_mutex_unlock(&job_lock);
}

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

// ---------------------------------------------------------------------------- profiling

#include <time.h>

typedef struct { int64_t inclusive, exclusive, calls; } prof_counter;
static prof_counter *prof_table = NULL;
static int64_t prof_count = 0;
#define VFC_PROF_DEPTH 64
// The open sites of the calling thread: start time and time spent in nested sites.
static __thread struct { int64_t id, start, nested; } prof_stack[VFC_PROF_DEPTH];
static __thread int prof_depth = 0;

static int64_t prof_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void vfc_prof_reset(int64_t count) {
    free(prof_table);
    prof_table = count > 0 ? calloc((size_t)count, sizeof(prof_counter)) : NULL;
    prof_count = prof_table ? count : 0;
}

void vfc_prof_begin(int64_t id) {
    if (inside_loop || prof_depth >= VFC_PROF_DEPTH) { prof_depth++; return; }
    prof_stack[prof_depth].id = id;
    prof_stack[prof_depth].nested = 0;
    prof_stack[prof_depth].start = prof_now();
    prof_depth++;
}

void vfc_prof_end(int64_t id) {
    int64_t t = prof_now();
    prof_depth--;
    if (inside_loop || prof_depth >= VFC_PROF_DEPTH || prof_depth < 0) { if (prof_depth < 0) prof_depth = 0; return; }
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
