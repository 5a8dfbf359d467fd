// vfc runtime: thread pool, parallel-for, aligned buffers. See include/vfc_runtime.h.
#define _POSIX_C_SOURCE 200809L  // clock_gettime, CLOCK_MONOTONIC under -std=c11 too
#include "vfc_runtime.h"
#include "vfc_cpu.h"
#include "vfc_gemm.h"

// Weak: `vfc compile` objects may link runtime.c alone (products then stay on OpenBLAS,
// without the check of its kernel); vfc itself links cpu.c and gemm.c too.
#pragma weak vfc_blas_setup
#pragma weak vfc_gemm_uses_generated
#pragma weak vfc_gemm_generated
#pragma weak vfc_gemm_generated_fused

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
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

// The job in flight: one at a time (the caller holds `job_lock` while it runs). Its fields
// are written before `job_generation` is released and read after it is acquired.
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static vfc_loop_body job_body;
static void *job_context;
static int64_t job_begin, job_end;
static int job_threads;
static _Atomic uint64_t job_generation = 0;
static _Atomic int job_pending = 0;
static int sleeping_workers = 0;  // under pool_lock

static __thread int inside_loop = 0;

// Workers, and the caller waiting for them, spin this long before sleeping on a condition
// variable: a training step runs thousands of parallel loops back to back, and waking a
// sleeping thread (a futex round trip) costs tens of microseconds each time. VFC_SPIN_US
// sets it (0: sleep at once, for machines shared with other busy processes).
static int64_t spin_ns = 100000;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// Spins until done(arg) holds or spin_ns pass; returns whether it holds.
static int spin_until(int (*done)(void *), void *arg) {
    int64_t deadline = 0;
    for (int i = 0;; i++) {
        if (done(arg)) return 1;
        if (spin_ns == 0) return 0;
        if ((i & 63) == 63) {
            int64_t now = monotonic_ns();
            if (deadline == 0) deadline = now + spin_ns;
            else if (now >= deadline) return 0;
        }
        cpu_relax();
    }
}

static int new_job(void *seen) {
    return atomic_load_explicit(&job_generation, memory_order_acquire) != *(const uint64_t *)seen;
}

static int workers_done(void *unused) {
    (void)unused;
    return atomic_load_explicit(&job_pending, memory_order_acquire) == 0;
}

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
        uint64_t generation;
        if (spin_until(new_job, &seen)) {
            generation = atomic_load_explicit(&job_generation, memory_order_acquire);
        } else {
            // The generation is checked again under the lock the caller takes to wake
            // sleepers after publishing a job, so no wake-up is lost.
            pthread_mutex_lock(&pool_lock);
            sleeping_workers++;
            while ((generation = atomic_load_explicit(&job_generation, memory_order_acquire)) == seen)
                pthread_cond_wait(&work_ready, &pool_lock);
            sleeping_workers--;
            pthread_mutex_unlock(&pool_lock);
        }
        seen = generation;
        int active = job_threads;
        if (index >= active) continue;  // not part of this loop

        int64_t lo, hi;
        chunk(index, active, job_begin, job_end, &lo, &hi);
        if (lo < hi) job_body(job_context, lo, hi);

        if (atomic_fetch_sub_explicit(&job_pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool_lock);
            pthread_cond_signal(&work_done);
            pthread_mutex_unlock(&pool_lock);
        }
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
    const char *spin = getenv("VFC_SPIN_US");
    if (spin && atoi(spin) >= 0) spin_ns = (int64_t)atoi(spin) * 1000;
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
    job_body = body;
    job_context = context;
    job_begin = begin;
    job_end = end;
    job_threads = threads;
    atomic_store_explicit(&job_pending, threads - 1, memory_order_relaxed);  // the workers besides the caller
    atomic_fetch_add_explicit(&job_generation, 1, memory_order_release);
    pthread_mutex_lock(&pool_lock);
    if (sleeping_workers > 0) pthread_cond_broadcast(&work_ready);
    pthread_mutex_unlock(&pool_lock);

    int64_t lo, hi;
    chunk(0, threads, begin, end, &lo, &hi);
    inside_loop = 1;
    if (lo < hi) body(context, lo, hi);
    inside_loop = 0;

    if (!spin_until(workers_done, NULL)) {
        pthread_mutex_lock(&pool_lock);
        while (atomic_load_explicit(&job_pending, memory_order_acquire) > 0) pthread_cond_wait(&work_done, &pool_lock);
        pthread_mutex_unlock(&pool_lock);
    }
    pthread_mutex_unlock(&job_lock);
}

// Matrix products on the pool. OpenBLAS is set to one thread and each product is split
// over the pool's threads instead, so that one set of threads does all the work: OpenBLAS's
// own workers spin for a while after every call (about 2^28 cycles by default) and then
// compete with the pool's loops for the cores (the tiny training step ran 10-18 % faster
// with one set of threads). Products inside a parallel loop body (a batch of them, one per
// iteration) call OpenBLAS directly on the calling thread.
typedef int blasint_t;
extern void cblas_sgemm(int, int, int, blasint_t, blasint_t, blasint_t, float, const float *, blasint_t,
                        const float *, blasint_t, float, float *, blasint_t);
extern void cblas_dgemm(int, int, int, blasint_t, blasint_t, blasint_t, double, const double *, blasint_t,
                        const double *, blasint_t, double, double *, blasint_t);
// Weak: another BLAS (or an OpenBLAS built without threads) may not have it.
extern void openblas_set_num_threads(int) __attribute__((weak));

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void single_threaded_blas(void) {
    if (vfc_blas_setup) vfc_blas_setup();  // the right kernel before the first product
    if (openblas_set_num_threads) openblas_set_num_threads(1);
}

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
// A product is cut into one part per 2^21 multiply-adds, at most VFC_GEMM_MAX_PARTS, each
// part whole 16-wide tiles (OpenBLAS's register tiles) of C's longer side. The cut depends
// on the shape only, never on the thread count: OpenBLAS picks different kernels (with
// different summation orders) for different part sizes (measured: 6x512x512 cut in two
// halves differs from the whole in 2792 of 3072 elements), so cutting by the thread count
// would make results depend on it.
#define VFC_GEMM_PART_WORK_LOG2 21
#define VFC_GEMM_MAX_PARTS 16
#define VFC_GEMM_SPLIT_ALIGN 16

typedef struct {
    int double_precision, ta, tb, split_rows, parts;
    blasint_t m, n, k, lda, ldb, ldc;
    const void *a, *b;
    void *c;
    vfc_gemm_epilogue epilogue;  // vfc_sgemm_fused: applied to each part after its call
    void *epilogue_context;
    int64_t row_offset;
} gemm_job;

static void gemm_part(const gemm_job *j, blasint_t lo, blasint_t hi) {
    // Rows lo..<hi of C (split_rows) or its columns lo..<hi.
    size_t size = j->double_precision ? sizeof(double) : sizeof(float);
    const char *a = j->a, *b = j->b;
    char *c = j->c;
    blasint_t m = j->m, n = j->n;
    if (j->split_rows) {
        a += (j->ta ? (size_t)lo : (size_t)lo * j->lda) * size;  // rows of op(A): columns of A^T
        c += (size_t)lo * j->ldc * size;
        m = hi - lo;
    } else {
        b += (j->tb ? (size_t)lo * j->ldb : (size_t)lo) * size;  // columns of op(B): rows of B^T
        c += (size_t)lo * size;
        n = hi - lo;
    }
    int ta = j->ta ? TRANS : NO_TRANS, tb = j->tb ? TRANS : NO_TRANS;
    if (j->double_precision)
        cblas_dgemm(ROW_MAJOR, ta, tb, m, n, j->k, 1, (const double *)a, j->lda, (const double *)b, j->ldb, 0, (double *)c, j->ldc);
    else
        cblas_sgemm(ROW_MAJOR, ta, tb, m, n, j->k, 1, (const float *)a, j->lda, (const float *)b, j->ldb, 0, (float *)c, j->ldc);
    if (j->epilogue) {
        if (j->split_rows) j->epilogue(j->epilogue_context, j->row_offset + lo, j->row_offset + hi, 0, n);
        else j->epilogue(j->epilogue_context, j->row_offset, j->row_offset + m, lo, hi);
    }
}

static void gemm_parts(void *context, int64_t lo, int64_t hi) {
    const gemm_job *j = context;
    blasint_t extent = j->split_rows ? j->m : j->n;
    blasint_t blocks = (extent + VFC_GEMM_SPLIT_ALIGN - 1) / VFC_GEMM_SPLIT_ALIGN;
    for (int64_t p = lo; p < hi; p++) {
        // Part boundaries: multiples of the alignment, the last part taking the rest.
        blasint_t from = (blasint_t)(blocks * p / j->parts) * VFC_GEMM_SPLIT_ALIGN;
        blasint_t to = (blasint_t)(blocks * (p + 1) / j->parts) * VFC_GEMM_SPLIT_ALIGN;
        if (to > extent) to = extent;
        if (from < to) gemm_part(j, from, to);
    }
}

static void gemm(gemm_job *j) {
    pthread_once(&blas_once, single_threaded_blas);
    int64_t parts = ((int64_t)j->m * j->n * j->k) >> VFC_GEMM_PART_WORK_LOG2;
    blasint_t extent = j->m >= j->n ? j->m : j->n;
    blasint_t blocks = (extent + VFC_GEMM_SPLIT_ALIGN - 1) / VFC_GEMM_SPLIT_ALIGN;
    if (parts > VFC_GEMM_MAX_PARTS) parts = VFC_GEMM_MAX_PARTS;
    if (parts > blocks) parts = blocks;
    j->split_rows = parts <= 1 || j->m >= j->n;
    j->parts = parts < 1 ? 1 : (int)parts;
    // The parts run on the pool's threads, or one after another on this thread (inside a
    // loop body, or with one thread): the same calls either way.
    vfc_parallel_for(0, j->parts, gemm_parts, j);
}

void vfc_gemm_openblas(int ta, int tb, int32_t m, int32_t n, int32_t k, const float *a, int32_t lda,
                       const float *b, int32_t ldb, float *c, int32_t ldc) {
    gemm_job j = {0, ta != 0, tb != 0, 1, 1, m, n, k, lda, ldb, ldc, a, b, c, NULL, NULL, 0};
    gemm(&j);
}

void vfc_sgemm(int ta, int tb, int32_t m, int32_t n, int32_t k, const float *a, int32_t lda,
               const float *b, int32_t ldb, float *c, int32_t ldc) {
    if (vfc_gemm_uses_generated && vfc_gemm_uses_generated(ta, tb, m, n, k)) vfc_gemm_generated(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
    else vfc_gemm_openblas(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
}

void vfc_sgemm_openblas_fused(int ta, int tb, int32_t m, int32_t n, int32_t k, const float *a, int32_t lda,
                              const float *b, int32_t ldb, float *c, int32_t ldc,
                              vfc_gemm_epilogue epilogue, void *context, int64_t row_offset) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int32_t i = 0; i < m; i++) memset(c + (int64_t)i * ldc, 0, (size_t)n * sizeof(float));
        if (epilogue) epilogue(context, row_offset, row_offset + m, 0, n);
        return;
    }
    gemm_job j = {0, ta != 0, tb != 0, 1, 1, m, n, k, lda, ldb, ldc, a, b, c, epilogue, context, row_offset};
    gemm(&j);
}

// The product first, then its epilogue in one parallel pass over C (the default), or, with
// VFC_GEMM_EPILOGUE=store, the epilogue applied to each part of C as the product completes
// it. The results are the same either way; the default is the one Benchmarks/RESULTS.md
// ("Fused epilogues") measured faster on the developers' machine, where the step's products
// stay in L3 and the pass reads them back cheaply.
static pthread_once_t epilogue_mode_once = PTHREAD_ONCE_INIT;
static int epilogue_as_pass = 1;
static void read_epilogue_mode(void) {
    const char *env = getenv("VFC_GEMM_EPILOGUE");
    epilogue_as_pass = !(env && strcmp(env, "store") == 0);
}

void vfc_gemm_set_epilogue_pass(int pass) {
    pthread_once(&epilogue_mode_once, read_epilogue_mode);
    epilogue_as_pass = pass != 0;
}

typedef struct {
    vfc_gemm_epilogue epilogue;
    void *context;
    int64_t row_offset, n;
} epilogue_pass;

static void epilogue_rows(void *context, int64_t lo, int64_t hi) {
    const epilogue_pass *p = context;
    p->epilogue(p->context, p->row_offset + lo, p->row_offset + hi, 0, p->n);
}

void vfc_sgemm_fused(int ta, int tb, int32_t m, int32_t n, int32_t k, const float *a, int32_t lda,
                     const float *b, int32_t ldb, float *c, int32_t ldc,
                     vfc_gemm_epilogue epilogue, void *context, int64_t row_offset) {
    pthread_once(&epilogue_mode_once, read_epilogue_mode);
    if (epilogue_as_pass && m > 0 && n > 0) {
        if (k > 0) vfc_sgemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
        else for (int32_t i = 0; i < m; i++) memset(c + (int64_t)i * ldc, 0, (size_t)n * sizeof(float));
        epilogue_pass p = {epilogue, context, row_offset, n};
        vfc_parallel_for(0, m, epilogue_rows, &p);
        return;
    }
    if (vfc_gemm_generated_fused && vfc_gemm_uses_generated && vfc_gemm_uses_generated(ta, tb, m, n, k))
        vfc_gemm_generated_fused(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, epilogue, context, row_offset);
    else
        vfc_sgemm_openblas_fused(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, epilogue, context, row_offset);
}

void vfc_dgemm(int ta, int tb, int32_t m, int32_t n, int32_t k, const double *a, int32_t lda,
               const double *b, int32_t ldb, double *c, int32_t ldc) {
    gemm_job j = {1, ta != 0, tb != 0, 1, 1, m, n, k, lda, ldb, ldc, a, b, c, NULL, NULL, 0};
    gemm(&j);
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
