// vfc's own f32 matrix product around a generated microkernel. See include/vfc_gemm.h.
#define _POSIX_C_SOURCE 200809L  // runtime_internal.h: clock_gettime under -std=c11 too
#include "vfc_gemm.h"
#include "vfc_cpu.h"
#include "vfc_runtime.h"
#include "runtime_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static vfc_gemm_microkernel kernel = NULL;
static int kernel_mr = 0, kernel_nr = 0, block_kc = 0, block_mc = 0, block_nc = 0;
// The narrow kernel for the last, partial column panel (NULL: partial panels take the
// whole tile through a copy).
static vfc_gemm_microkernel edge_kernel = NULL;
static int edge_nr = 0;

void vfc_gemm_install_edge(vfc_gemm_microkernel k, int nr) {
    edge_kernel = k && kernel && nr > 0 && nr < kernel_nr ? k : NULL;
    edge_nr = edge_kernel ? nr : 0;
}

int vfc_gemm_edge_installed(int *nr) {
    if (nr) *nr = edge_nr;
    return edge_kernel != NULL;
}

void vfc_gemm_install(vfc_gemm_microkernel k, int mr, int nr) {
    kernel = k;
    kernel_mr = k ? mr : 0;
    kernel_nr = k ? nr : 0;
    if (!k || nr <= edge_nr) { edge_kernel = NULL; edge_nr = 0; }
    if (!k) { block_kc = block_mc = block_nc = 0; return; }
    // KC: a micro-panel of op(A) (MR x KC floats) fills about half of L1 and stays there
    // while the task's op(B) micro-panels stream past it from L2; a larger KC means fewer
    // passes over C (K / KC), whose tiles come from L3 when C is large. NC: the task's
    // block of op(B) (KC x NC floats) fills about half of L2. MC: rows per task, as many
    // again. Sizes from CPUID; 32 KiB and 768 KiB where it says nothing.
    int l1 = vfc_cpu_cache_bytes(1), l2 = vfc_cpu_cache_bytes(2);
    if (l1 <= 0) l1 = 32768;
    if (l2 <= 0) l2 = 786432;
    block_kc = l1 / 2 / (int)sizeof(float) / mr / 16 * 16;
    if (block_kc < 64) block_kc = 64;
    block_nc = (l2 / 2 / (int)sizeof(float) / block_kc) / nr * nr;
    if (block_nc < nr) block_nc = nr;
    block_mc = (l2 / 2 / (int)sizeof(float) / block_kc) / mr * mr;
    if (block_mc < mr) block_mc = mr;
}

int vfc_gemm_installed(int *mr, int *nr) {
    if (mr) *mr = kernel_mr;
    if (nr) *nr = kernel_nr;
    return kernel != NULL;
}

int vfc_gemm_kc(void) { return block_kc; }

static int even_k_blocks = 1;
void vfc_gemm_set_even_k_blocks(int even) { even_k_blocks = even != 0; }

// The depth of K's blocks: as few as KC allows, of equal depth rounded up to a multiple of
// 8 (the last one a little shorter), rather than KC-deep blocks and a short remainder
// (2048 = 6 x 336 + 32: the last pass over C would load and store every tile of C for 32
// multiply-adds). K alone decides, so the result does not depend on the thread count.
static int k_block(int32_t k) {
    if (!even_k_blocks || k <= block_kc) return block_kc;
    int32_t blocks = (k + block_kc - 1) / block_kc;
    int kc = (int)((k + blocks - 1) / blocks + 7) / 8 * 8;
    return kc < block_kc ? kc : block_kc;
}
int vfc_gemm_mc(void) { return block_mc; }
int vfc_gemm_nc(void) { return block_nc; }

// The packing buffers of the thread that calls the product (products may run on several
// threads at once, one per iteration of a parallel loop), grown as needed, kept.
static __thread float *pack_buffer = NULL;
static __thread size_t pack_capacity = 0;

static float *pack_space(size_t floats) {
    if (floats > pack_capacity) {
        free(pack_buffer);
        size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
        pack_buffer = aligned_alloc(64, bytes);
        pack_capacity = pack_buffer ? floats : 0;
    }
    return pack_buffer;
}

typedef struct {
    int ta, tb, mr, nr, kc, mc;
    int32_t m, n, k, lda, ldb, ldc;
    const float *a, *b;
    float *c;
    float *ap, *bp;  // packed: ap[panel][k][mr], bp[panel][k][nr], zero-padded
    int64_t a_panels, b_panels;
    // Panels packed: all of op(B)'s with tb (its rows are strided); all of op(A)'s
    // without ta when N >= 1024 (each packed float then feeds at least 1024 multiply-adds,
    // and the tile's mr rows of A, lda apart, stop evicting each other in L1); all of
    // op(B)'s when its rows conflict in L1 (conflicting_rows) and M >= 1024 (the same
    // ratio); otherwise only the last, partial panel of each operand (zero-padded to a
    // whole tile). Panels read in place (op(A) by broadcasts of single elements, any
    // strides; op(B)'s rows as vectors) save copying M*K + K*N floats per product, which
    // costs more than it saves when the other side of C is short.
    int64_t a_packed_from, b_packed_from;
    // The tile grid of the compute tasks: task (mg, ng) covers row panels
    // [mg * a_panels / m_groups, (mg + 1) * a_panels / m_groups) and likewise in columns.
    int64_t m_groups, n_groups;
    int64_t m_group_panels, n_group_panels;  // the static grid's (whole groups, a short last one); 0: dealt evenly
    _Atomic int64_t next_task;  // claimed by the pool's threads in turn (balanced schedule)
    vfc_gemm_epilogue epilogue;  // NULL: none (vfc_sgemm_fused)
    void *epilogue_context;
    int64_t row_offset;
} generated_job;

// Whether rows `ld` floats apart fall on few enough L1 sets to evict each other: with a
// row stride that is a multiple of 1 KiB, the KC rows of an op(B) micro-panel read in
// place map to at most 16 of the 64 sets of a 32 KiB 8-way L1 and do not stay there.
static int conflicting_rows(int32_t ld) { return ((int64_t)ld * (int64_t)sizeof(float)) % 1024 == 0; }

// Where K block [p0, p0 + kc) of op(A)'s packed micro-panel `panel` starts: packed op(A)
// is stored K block by K block, each holding every panel's kc x mr floats in a row, so
// that the block a task streams through L2 is contiguous (panels a whole K apart would
// fall on the same few L2 sets when K is a large power of two).
static float *packed_a(const generated_job *j, int64_t panel, int64_t p0, int kc) {
    return j->ap + p0 * j->a_panels * j->mr + panel * (int64_t)kc * j->mr;
}

// Micro-panel `panel` of op(A): rows panel*mr ..< +mr, all of K, row i of op(A) at
// a[i*lda + p] (no transpose) or a[p*lda + i].
static void pack_a(const generated_job *j, int64_t panel) {
    const int mr = j->mr;
    const int64_t row0 = panel * mr;
    int rows = j->m - row0 < mr ? (int)(j->m - row0) : mr;
    for (int64_t p0 = 0; p0 < j->k; p0 += j->kc) {
        int kc = j->k - p0 < j->kc ? (int)(j->k - p0) : j->kc;
        float *out = packed_a(j, panel, p0, kc);
        if (j->ta) {
            for (int p = 0; p < kc; p++) {
                const float *src = j->a + (p0 + p) * j->lda + row0;
                float *dst = out + p * mr;
                for (int i = 0; i < rows; i++) dst[i] = src[i];
                for (int i = rows; i < mr; i++) dst[i] = 0;
            }
        } else {
            for (int i = 0; i < rows; i++) {
                const float *src = j->a + (row0 + i) * (int64_t)j->lda + p0;
                for (int p = 0; p < kc; p++) out[p * mr + i] = src[p];
            }
            for (int i = rows; i < mr; i++)
                for (int p = 0; p < kc; p++) out[p * mr + i] = 0;
        }
    }
}

// Micro-panel `panel` of op(B): columns panel*nr ..< +nr, all of K.
static void pack_b(const generated_job *j, int64_t panel) {
    const int nr = j->nr;
    const int64_t k = j->k, col0 = panel * nr;
    float *out = j->bp + panel * k * nr;
    int cols = j->n - col0 < nr ? (int)(j->n - col0) : nr;
    if (!j->tb) {
        for (int64_t p = 0; p < k; p++) {
            const float *src = j->b + p * j->ldb + col0;
            float *dst = out + p * nr;
            for (int c = 0; c < cols; c++) dst[c] = src[c];
            for (int c = cols; c < nr; c++) dst[c] = 0;
        }
    } else {
        for (int c = 0; c < cols; c++) {
            const float *src = j->b + (col0 + c) * (int64_t)j->ldb;
            for (int64_t p = 0; p < k; p++) out[p * nr + c] = src[p];
        }
        for (int c = cols; c < nr; c++)
            for (int64_t p = 0; p < k; p++) out[p * nr + c] = 0;
    }
}

static void pack_panels(void *context, int64_t lo, int64_t hi) {
    const generated_job *j = context;
    int64_t a_count = j->a_panels - j->a_packed_from;
    for (int64_t i = lo; i < hi; i++) {
        if (i < a_count) pack_a(j, j->a_packed_from + i);
        else pack_b(j, j->b_packed_from + i - a_count);
    }
}

// One tile of C at rows i0, columns j0 over K block [p0, p0 + kc). Partial tiles go
// through a copy of the whole tile (the narrow kernel's, for a last panel that fits it),
// so that every element sees the same operations as in a full tile (and the result does
// not depend on where tile boundaries fall).
static void tile(const generated_job *j, int64_t a_panel, int64_t b_panel, int64_t p0, int kc) {
    const int mr = j->mr, nr = j->nr;
    const int64_t i0 = a_panel * mr, j0 = b_panel * nr;
    const float *ap, *bp;
    int64_t a_rs = 1, a_cs = mr, b_rs = nr;
    if (a_panel < j->a_packed_from) {
        ap = j->ta ? j->a + p0 * j->lda + i0 : j->a + i0 * j->lda + p0;
        a_rs = j->ta ? 1 : j->lda;
        a_cs = j->ta ? j->lda : 1;
    } else {
        ap = packed_a(j, a_panel, p0, kc);
    }
    if (b_panel < j->b_packed_from) {
        bp = j->b + p0 * j->ldb + j0;
        b_rs = j->ldb;
    } else {
        bp = j->bp + b_panel * (int64_t)j->k * nr + p0 * nr;
    }
    float *c = j->c + i0 * j->ldc + j0;
    int rows = j->m - i0 < mr ? (int)(j->m - i0) : mr;
    int cols = j->n - j0 < nr ? (int)(j->n - j0) : nr;
    int accumulate = p0 > 0;
    if (rows == mr && cols == nr) {
        kernel(kc, ap, a_rs, a_cs, bp, b_rs, c, j->ldc, accumulate);
        return;
    }
    // A last column panel of at most edge_nr columns runs the narrow kernel (the same
    // operations per element, on the panel's first edge_nr columns of op(B)): 197 columns
    // in 32-wide tiles leave 27 of the last tile's 32 idle, in 16-wide ones 11.
    vfc_gemm_microkernel k = kernel, narrow = edge_kernel;
    int width = nr, narrow_nr = edge_nr;
    if (narrow && narrow_nr > 0 && cols <= narrow_nr) { k = narrow; width = narrow_nr; }
    if (rows == mr && cols == width) {
        k(kc, ap, a_rs, a_cs, bp, b_rs, c, j->ldc, accumulate);
        return;
    }
    float t[mr * nr] __attribute__((aligned(64)));
    memset(t, 0, (size_t)mr * width * sizeof(float));
    if (accumulate)
        for (int r = 0; r < rows; r++) memcpy(t + r * width, c + r * j->ldc, cols * sizeof(float));
    k(kc, ap, a_rs, a_cs, bp, b_rs, t, width, accumulate);
    for (int r = 0; r < rows; r++) memcpy(c + r * j->ldc, t + r * width, cols * sizeof(float));
}

// Task t of the grid: K blocks outermost (C's tiles are revisited once per block), then
// row panels (one op(A) micro-panel stays in L1), then column panels (the task's op(B)
// block stays in L2).
// Panels [*lo, *hi) of group g of `groups` over `panels`: `per` whole panels per group, or
// dealt evenly when per is 0.
static void group_range(int64_t g, int64_t groups, int64_t panels, int64_t per, int64_t *lo, int64_t *hi) {
    if (per > 0) {
        *lo = g * per;
        *hi = *lo + per < panels ? *lo + per : panels;
    } else {
        *lo = g * panels / groups;
        *hi = (g + 1) * panels / groups;
    }
}

static void compute_task(const generated_job *j, int64_t t) {
    int64_t a_lo, a_hi, b_lo, b_hi;
    group_range(t / j->n_groups, j->m_groups, j->a_panels, j->m_group_panels, &a_lo, &a_hi);
    group_range(t % j->n_groups, j->n_groups, j->b_panels, j->n_group_panels, &b_lo, &b_hi);
    for (int64_t p0 = 0; p0 < j->k; p0 += j->kc) {
        int kc = j->k - p0 < j->kc ? (int)(j->k - p0) : j->kc;
        int last = p0 + kc >= j->k;
        for (int64_t apn = a_lo; apn < a_hi; apn++) {
            for (int64_t bpn = b_lo; bpn < b_hi; bpn++) tile(j, apn, bpn, p0, kc);
            // The task's row panel of C (mr rows, up to NC columns) is complete and still in
            // L1 or L2: its epilogue now, not in a pass of its own. Whole rows of the
            // panel, not tile by tile: rows of nr floats are too short for the
            // epilogue's vector loop (measured slower than the pass after the product).
            if (last && j->epilogue) {
                int64_t i0 = apn * j->mr, j0 = b_lo * j->nr;
                int64_t i1 = i0 + j->mr < j->m ? i0 + j->mr : j->m, j1 = b_hi * j->nr < j->n ? b_hi * j->nr : j->n;
                j->epilogue(j->epilogue_context, j->row_offset + i0, j->row_offset + i1, j0, j1);
            }
        }
    }
}

// The pool's even split of the task range.
static void compute_tasks(void *context, int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) compute_task(context, t);
}

// Each of the pool's threads claims the next task until none is left,
// so that a thread slowed by another process (or a smaller task) does not leave the rest
// waiting at the end of the product.
static void claim_tasks(void *context, int64_t lo, int64_t hi) {
    (void)lo; (void)hi;
    generated_job *j = context;
    int64_t tasks = j->m_groups * j->n_groups;
    for (;;) {
        int64_t t = atomic_fetch_add_explicit(&j->next_task, 1, memory_order_relaxed);
        if (t >= tasks) return;
        compute_task(j, t);
    }
}

static vfc_gemm_schedule schedule = VFC_GEMM_CLAIMED;
static pthread_once_t schedule_once = PTHREAD_ONCE_INIT;
static void read_schedule(void) {
    const char *env = getenv("VFC_GEMM_SCHEDULE");
    if (env && strcmp(env, "static") == 0) schedule = VFC_GEMM_STATIC;
    else if (env && strcmp(env, "grid") == 0) schedule = VFC_GEMM_GRID;
}

void vfc_gemm_set_schedule(vfc_gemm_schedule s) {
    pthread_once(&schedule_once, read_schedule);
    schedule = s;
}

// The task grid for `threads` threads, panels of each side dealt as evenly as the group
// counts allow (groups differ by at most one panel). At least the cache blocks' counts
// (MC rows, NC columns per task); among up to 2 * threads (at most 16) more groups per
// side, the grid whose last round of tasks leaves the least idle: the work of a round is
// its largest task's, ceil(tasks / threads) rounds; ties go to fewer tasks (each re-reads
// its op(B) block and op(A) rows).
static void balanced_grid(generated_job *j, int threads, int64_t mc_panels, int64_t nc_panels) {
    int64_t mg0 = (j->a_panels + mc_panels - 1) / mc_panels, ng0 = (j->b_panels + nc_panels - 1) / nc_panels;
    int64_t best_mg = mg0, best_ng = ng0, extra = 2 * threads < 16 ? 2 * threads : 16;  // a bounded search
    double best_cost = -1;
    for (int64_t mg = mg0; mg <= mg0 + extra && mg <= j->a_panels; mg++) {
        for (int64_t ng = ng0; ng <= ng0 + extra && ng <= j->b_panels; ng++) {
            int64_t tasks = mg * ng, rounds = (tasks + threads - 1) / threads;
            int64_t largest = ((j->a_panels + mg - 1) / mg) * ((j->b_panels + ng - 1) / ng);
            // Each task also pays a fixed cost (claiming it, refilling L1/L2 with its
            // blocks), counted as a quarter tile: near-ties go to fewer tasks.
            double cost = (double)rounds * (double)largest + 0.25 * (double)tasks;
            if (best_cost < 0 || cost < best_cost) { best_cost = cost; best_mg = mg; best_ng = ng; }
        }
    }
    j->m_groups = best_mg;
    j->n_groups = best_ng;
}

// The static grid (VFC_GEMM_SCHEDULE=static, kept as the baseline of gemm-scaling's A/B):
// MC rows per group, about four tasks per thread, split in index order.
static void static_grid(generated_job *j, int threads, int64_t mc_panels, int64_t nc_panels) {
    j->m_group_panels = mc_panels;
    j->m_groups = (j->a_panels + mc_panels - 1) / mc_panels;
    int64_t want = 4 * (int64_t)threads;
    int64_t n_groups = (want + j->m_groups - 1) / j->m_groups;
    if (n_groups > j->b_panels) n_groups = j->b_panels;
    if (n_groups < 1) n_groups = 1;
    int64_t per_group = (j->b_panels + n_groups - 1) / n_groups;
    if (per_group > nc_panels) per_group = nc_panels;
    j->n_group_panels = per_group;
    j->n_groups = (j->b_panels + per_group - 1) / per_group;
}

// Tiles of task t of j's grid.
static int64_t task_tiles(const generated_job *j, int64_t t) {
    int64_t a_lo, a_hi, b_lo, b_hi;
    group_range(t / j->n_groups, j->m_groups, j->a_panels, j->m_group_panels, &a_lo, &a_hi);
    group_range(t % j->n_groups, j->n_groups, j->b_panels, j->n_group_panels, &b_lo, &b_hi);
    return (a_hi - a_lo) * (b_hi - b_lo);
}

double vfc_gemm_split_excess(int32_t m, int32_t n, int threads, vfc_gemm_schedule s) {
    if (!kernel || m <= 0 || n <= 0 || threads < 1) return 0;
    generated_job j;
    memset(&j, 0, sizeof j);
    j.mr = kernel_mr; j.nr = kernel_nr;
    j.a_panels = (m + j.mr - 1) / j.mr;
    j.b_panels = (n + j.nr - 1) / j.nr;
    int64_t mc_panels = block_mc / j.mr, nc_panels = block_nc / j.nr;
    if (s == VFC_GEMM_STATIC) static_grid(&j, threads, mc_panels, nc_panels);
    else balanced_grid(&j, threads, mc_panels, nc_panels);
    int64_t tasks = j.m_groups * j.n_groups, most = 0;
    for (int i = 0; i < threads; i++) {
        // The pool's chunk of thread i (vfc_parallel_for: the first n % threads get one more).
        int64_t lo = i * (tasks / threads) + (i < tasks % threads ? i : tasks % threads);
        int64_t hi = lo + tasks / threads + (i < tasks % threads ? 1 : 0), sum = 0;
        for (int64_t t = lo; t < hi; t++) sum += task_tiles(&j, t);
        if (sum > most) most = sum;
    }
    return (double)most * threads / (double)(j.a_panels * j.b_panels);
}

void vfc_gemm_generated(int ta, int tb, int32_t m, int32_t n, int32_t k, const float *a, int32_t lda,
                        const float *b, int32_t ldb, float *c, int32_t ldc) {
    vfc_gemm_generated_fused(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, NULL, NULL, 0);
}

void vfc_gemm_generated_fused(int ta, int tb, int32_t m, int32_t n, int32_t k, const float *a, int32_t lda,
                              const float *b, int32_t ldb, float *c, int32_t ldc,
                              vfc_gemm_epilogue epilogue, void *context, int64_t row_offset) {
    if (!kernel) {
        vfc_sgemm_openblas_fused(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, epilogue, context, row_offset);
        return;
    }
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int32_t i = 0; i < m; i++) memset(c + (int64_t)i * ldc, 0, (size_t)n * sizeof(float));
        if (epilogue) epilogue(context, row_offset, row_offset + m, 0, n);
        return;
    }
    generated_job j;
    memset(&j, 0, sizeof j);
    j.ta = ta != 0; j.tb = tb != 0; j.mr = kernel_mr; j.nr = kernel_nr; j.kc = k_block(k); j.mc = block_mc;
    j.m = m; j.n = n; j.k = k; j.lda = lda; j.ldb = ldb; j.ldc = ldc; j.a = a; j.b = b; j.c = c;
    j.epilogue = epilogue;
    j.epilogue_context = context;
    j.row_offset = row_offset;
    j.a_panels = (m + j.mr - 1) / j.mr;
    j.b_panels = (n + j.nr - 1) / j.nr;
    // op(B)'s panels start on a 64-byte boundary: the microkernel loads them as aligned vectors.
    int64_t a_floats = (j.a_panels * j.mr * (int64_t)k + 15) / 16 * 16;
    int64_t floats = a_floats + j.b_panels * j.nr * (int64_t)k;
    float *space = pack_space((size_t)floats);
    if (!space) vfc_out_of_memory(floats * (int64_t)sizeof(float));
    j.ap = space;
    j.bp = space + a_floats;
    j.a_packed_from = !j.ta && n >= 1024 ? 0 : m / j.mr;
    j.b_packed_from = j.tb || (conflicting_rows(ldb) && m >= 1024) ? 0 : n / j.nr;
    vfc_parallel_for(0, (j.a_panels - j.a_packed_from) + (j.b_panels - j.b_packed_from), pack_panels, &j);
    // The grid does not change any element's operations, only who computes it.
    pthread_once(&schedule_once, read_schedule);
    int threads = vfc_inside_loop ? 1 : vfc_num_threads();
    int64_t mc_panels = j.mc / j.mr, nc_panels = block_nc / j.nr;
    switch (schedule) {
    case VFC_GEMM_CLAIMED:
        balanced_grid(&j, threads, mc_panels, nc_panels);
        atomic_init(&j.next_task, 0);
        vfc_parallel_for(0, threads, claim_tasks, &j);
        break;
    case VFC_GEMM_GRID:
        balanced_grid(&j, threads, mc_panels, nc_panels);
        vfc_parallel_for(0, j.m_groups * j.n_groups, compute_tasks, &j);
        break;
    case VFC_GEMM_STATIC:
        static_grid(&j, threads, mc_panels, nc_panels);
        vfc_parallel_for(0, j.m_groups * j.n_groups, compute_tasks, &j);
        break;
    }
}

static pthread_once_t mode_once = PTHREAD_ONCE_INIT;
static vfc_gemm_mode mode = VFC_GEMM_AUTO;

static void read_mode(void) {
    const char *env = getenv("VFC_GEMM");
    if (env && strcmp(env, "openblas") == 0) mode = VFC_GEMM_OPENBLAS;
    else if (env && strcmp(env, "vfc") == 0) mode = VFC_GEMM_VFC;
}

vfc_gemm_mode vfc_gemm_get_mode(void) {
    pthread_once(&mode_once, read_mode);
    return mode;
}

void vfc_gemm_set_mode(vfc_gemm_mode m) {
    pthread_once(&mode_once, read_mode);
    mode = m;
}

// The shape classes where vfc's kernel beat OpenBLAS in `vfc-bench gemm` (docs/codegen.md,
// "Matrix products"): every product of at least 2^22 multiply-adds (the smallest the step
// makes and the bench measured: 96x128x512) except op(B) = B^T with M < 128 and K >= 256,
// where packing (transposing) all K x N of B for so few rows costs more than the kernel
// saves; and, above 2^21, attention's per-head items (197x64x197 with or without A^T,
// 197x197x64 with B^T, one thread each; the last one's 197 columns end in the narrow
// kernel's tile). Smaller products, which were not measured, stay on OpenBLAS.
int vfc_gemm_prefers_generated(int ta, int tb, int32_t m, int32_t n, int32_t k) {
    (void)ta;
    int64_t work = (int64_t)m * n * k;
    if (work < ((int64_t)1 << 22)) return work > ((int64_t)1 << 21);
    if (tb && m < 128 && k >= 256) return 0;
    return 1;
}

int vfc_gemm_uses_generated(int ta, int tb, int32_t m, int32_t n, int32_t k) {
    if (!kernel) return 0;
    switch (vfc_gemm_get_mode()) {
    case VFC_GEMM_OPENBLAS: return 0;
    case VFC_GEMM_VFC: return 1;
    case VFC_GEMM_AUTO: return vfc_gemm_prefers_generated(ta, tb, m, n, k);
    }
    return 0;
}
