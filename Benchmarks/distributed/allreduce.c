// The bandwidth of an in-place MPI_Allreduce (float sum) of the size of a model's gradient,
// as vfc's data-parallel step makes it: Benchmarks/distributed/README in RESULTS.md.
//   mpicc -O2 -o /tmp/allreduce Benchmarks/distributed/allreduce.c
//   mpirun -np 2 /tmp/allreduce 5700000 20
// Prints the median and minimum time over REPS calls (after a barrier each) and the
// algorithm bandwidth 2 (N-1)/N * bytes / time of the ring model.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long count = argc > 1 ? atol(argv[1]) : 5700000;
    int reps = argc > 2 ? atoi(argv[2]) : 20;
    float *buffer = malloc(sizeof(float) * count);
    for (long i = 0; i < count; i++) buffer[i] = (float)(i % 7) * 1e-3f;
    double *times = malloc(sizeof(double) * reps);
    for (int r = -2; r < reps; r++) {  // two warm-up calls
        MPI_Barrier(MPI_COMM_WORLD);
        double t = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        t = MPI_Wtime() - t;
        double slowest;
        MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (r >= 0) times[r] = slowest;
    }
    qsort(times, reps, sizeof(double), compare);
    double median = times[reps / 2], bytes = 4.0 * count;
    if (rank == 0) {
        printf("allreduce of %ld floats (%.1f MB) on %d ranks: median %.3f ms, min %.3f ms; ring bus bandwidth %.2f GB/s\n",
               count, bytes / 1e6, size, median * 1e3, times[0] * 1e3, 2.0 * (size - 1) / size * bytes / median / 1e9);
    }
    free(times);
    free(buffer);
    MPI_Finalize();
    return 0;
}
