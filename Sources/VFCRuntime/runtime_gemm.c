// vfc runtime: matrix products split over the pool's threads, and their epilogues.
// See include/vfc_runtime.h.
#include "vfc_runtime.h"
#include "vfc_cpu.h"
#include "vfc_gemm.h"

// Weak: `vfc compile` objects may link the runtime alone (products then stay on OpenBLAS,
// without the check of its kernel); vfc itself links cpu.c and gemm.c too.
#pragma weak vfc_blas_setup
#pragma weak vfc_gemm_uses_generated
#pragma weak vfc_gemm_generated
#pragma weak vfc_gemm_generated_fused

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
