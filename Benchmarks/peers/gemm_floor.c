// The GEMM floor of a training step: times cblas_sgemm of the system OpenBLAS (the library
// vfc calls) at each shape of the step and prints the summed time.
//   gemm_floor THREADS < shapes    (lines: M N K TRANSA TRANSB COUNT; TRANS 0 or 1)
// Prints one JSON object: corename, threads, floor_s (sum of COUNT x the median time of one
// call), flops, gflops (flops / floor_s).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern char *openblas_get_corename(void);
extern void openblas_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    openblas_set_num_threads(threads);
    long m, n, k, ta, tb, count;
    double floor_s = 0, flops = 0;
    while (scanf("%ld %ld %ld %ld %ld %ld", &m, &n, &k, &ta, &tb, &count) == 6) {
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
        for (long i = 0; i < m * k; i++) a[i] = (float)((i % 7) - 3) * 0.01f;
        for (long i = 0; i < k * n; i++) b[i] = (float)((i % 5) - 2) * 0.01f;
        int lda = ta ? m : k, ldb = tb ? k : n;
        double one = 2.0 * m * n * k;
        // Enough calls per sample for ~2 ms, 9 samples, median.
        int reps = (int)(2e-3 / (one / 50e9)) + 1;
        if (reps > 1000) reps = 1000;
        double samples[9];
        for (int s = -2; s < 9; s++) {
            double t0 = now();
            for (int r = 0; r < reps; r++)
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                            m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
            if (s >= 0) samples[s] = (now() - t0) / reps;
        }
        qsort(samples, 9, sizeof(double), cmp);
        floor_s += samples[4] * count;
        flops += one * count;
        free(a); free(b); free(c);
    }
    printf("{\"corename\": \"%s\", \"threads\": %d, \"floor_s\": %.9g, \"flops\": %.17g, \"gflops\": %.6g}\n",
           openblas_get_corename(), threads, floor_s, flops, flops / floor_s * 1e-9);
    return 0;
}
