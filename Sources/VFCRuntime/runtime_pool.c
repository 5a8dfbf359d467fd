// vfc runtime: the thread pool and parallel-for. See include/vfc_runtime.h.
#define _POSIX_C_SOURCE 200809L  // clock_gettime, CLOCK_MONOTONIC under -std=c11 too
#include "vfc_runtime.h"
#include "runtime_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

_Thread_local int vfc_inside_loop = 0;

// vfc_pool_set_accounting: per-thread CPU time in loop bodies, on the thread's own clock;
// the busiest thread's time in each loop (the loop's critical path) summed over loops.
static _Atomic int accounting = 0;
static _Atomic int64_t busy_ns[VFC_MAX_THREADS];
static _Atomic int64_t loop_ns[VFC_MAX_THREADS];  // the current loop's, per thread
static _Atomic int64_t critical_ns = 0, loops = 0, wakeups = 0;  // wakeups: loops that woke a sleeping worker

static int64_t thread_cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// Loops inside a body count as the outer loop's time (on one thread they are not marked
// vfc_inside_loop, and would otherwise count twice).
static _Thread_local int accounting_depth = 0;

static void run_body(int index, vfc_loop_body body, void *context, int64_t lo, int64_t hi) {
    if (accounting_depth > 0 || !atomic_load_explicit(&accounting, memory_order_relaxed)) {
        body(context, lo, hi);
        return;
    }
    int64_t t0 = thread_cpu_ns();
    accounting_depth++;
    body(context, lo, hi);
    accounting_depth--;
    int64_t dt = thread_cpu_ns() - t0;
    atomic_fetch_add_explicit(&busy_ns[index], dt, memory_order_relaxed);
    atomic_store_explicit(&loop_ns[index], dt, memory_order_relaxed);
}

// After a loop's threads are done (their stores are ordered before job_pending's release).
static void account_loop(int threads) {
    if (accounting_depth > 0 || !atomic_load_explicit(&accounting, memory_order_relaxed)) return;
    int64_t most = 0;
    for (int i = 0; i < threads; i++) {
        int64_t t = atomic_exchange_explicit(&loop_ns[i], 0, memory_order_relaxed);
        if (t > most) most = t;
    }
    atomic_fetch_add_explicit(&critical_ns, most, memory_order_relaxed);
    atomic_fetch_add_explicit(&loops, 1, memory_order_relaxed);
}

void vfc_pool_set_accounting(int on) {
    for (int i = 0; i < VFC_MAX_THREADS; i++) {
        atomic_store(&busy_ns[i], 0);
        atomic_store(&loop_ns[i], 0);
    }
    atomic_store(&critical_ns, 0);
    atomic_store(&loops, 0);
    atomic_store(&wakeups, 0);
    atomic_store(&accounting, on != 0);
}

int64_t vfc_pool_busy_ns(int thread) {
    return thread >= 0 && thread < VFC_MAX_THREADS ? atomic_load(&busy_ns[thread]) : 0;
}

int64_t vfc_pool_critical_ns(void) { return atomic_load(&critical_ns); }

// VFC_POOL_REPORT=1: accounting from the pool's start, and at exit one line on standard
// error with the loops' busy critical path and each thread's busy time.
static void pool_report(void) {
    fprintf(stderr, "vfc pool: %d thread(s), %lld loops (%lld woke a sleeping worker), busy critical path %.1f ms, busy per thread",
            active_threads, (long long)atomic_load(&loops), (long long)atomic_load(&wakeups), atomic_load(&critical_ns) * 1e-6);
    for (int i = 0; i < pool_threads; i++) fprintf(stderr, " %.1f", atomic_load(&busy_ns[i]) * 1e-6);
    fprintf(stderr, " ms\n");
}

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

// Spins until done(arg) holds or spin_ns pass; returns whether it holds.
static int spin_until(int (*done)(void *), void *arg) {
    int64_t deadline = 0;
    for (int i = 0;; i++) {
        if (done(arg)) return 1;
        if (spin_ns == 0) return 0;
        if ((i & 63) == 63) {
            int64_t now = vfc_monotonic_ns();
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
    vfc_inside_loop = 1;
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
        if (lo < hi) run_body(index, job_body, job_context, lo, hi);

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
    const char *report = getenv("VFC_POOL_REPORT");
    if (report && atoi(report) > 0) {
        vfc_pool_set_accounting(1);
        atexit(pool_report);
    }
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
    if (vfc_inside_loop) {
        body(context, begin, end);
        return;
    }
    if (threads == 1 || end - begin == 1) {
        run_body(0, body, context, begin, end);
        account_loop(1);
        return;
    }
    pthread_mutex_lock(&job_lock);
    threads = active_threads;  // settled: vfc_set_num_threads waits for job_lock
    if (threads == 1) {
        pthread_mutex_unlock(&job_lock);
        run_body(0, body, context, begin, end);
        account_loop(1);
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
    if (sleeping_workers > 0) {
        pthread_cond_broadcast(&work_ready);
        if (atomic_load_explicit(&accounting, memory_order_relaxed)) atomic_fetch_add_explicit(&wakeups, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&pool_lock);

    int64_t lo, hi;
    chunk(0, threads, begin, end, &lo, &hi);
    vfc_inside_loop = 1;
    if (lo < hi) run_body(0, body, context, lo, hi);
    vfc_inside_loop = 0;

    if (!spin_until(workers_done, NULL)) {
        pthread_mutex_lock(&pool_lock);
        while (atomic_load_explicit(&job_pending, memory_order_acquire) > 0) pthread_cond_wait(&work_done, &pool_lock);
        pthread_mutex_unlock(&pool_lock);
    }
    account_loop(threads);
    pthread_mutex_unlock(&job_lock);
}
