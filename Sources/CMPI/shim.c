// Open MPI behind the plain C interface of include/shim.h (see there). Debian's libopenmpi-dev
// installs mpi.h under the multiarch include directory as openmpi/mpi.h.
#define _GNU_SOURCE
#include "shim.h"

#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <openmpi/mpi.h>

static int initialized = 0;

static MPI_Datatype datatype(vfc_mpi_type t) {
    switch (t) {
    case VFC_MPI_FLOAT: return MPI_FLOAT;
    case VFC_MPI_DOUBLE: return MPI_DOUBLE;
    case VFC_MPI_INT64: return MPI_INT64_T;
    case VFC_MPI_BYTE: return MPI_BYTE;
    }
    return MPI_BYTE;
}

static size_t type_size(vfc_mpi_type t) {
    switch (t) {
    case VFC_MPI_FLOAT: return 4;
    case VFC_MPI_DOUBLE: return 8;
    case VFC_MPI_INT64: return 8;
    case VFC_MPI_BYTE: return 1;
    }
    return 1;
}

void vfc_mpi_error_string(int code, char *out, int out_size) {
    if (!out || out_size <= 0) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", code);
    snprintf(out, (size_t)out_size, "%s", text);
}

int vfc_mpi_init(char *error, int error_size) {
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) {
        vfc_mpi_error_string(rc, error, error_size);
        return rc;
    }
    initialized = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return 0;
}

int vfc_mpi_initialized(void) { return initialized; }

int vfc_mpi_rank(void) {
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int vfc_mpi_size(void) {
    int s = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &s);
    return s;
}

// MPI counts are ints: longer buffers go in pieces of at most INT_MAX elements.
int vfc_mpi_allreduce(void *buffer, int64_t count, vfc_mpi_type type, vfc_mpi_op op) {
    char *p = buffer;
    while (count > 0) {
        int n = count > INT_MAX ? INT_MAX : (int)count;
        int rc = MPI_Allreduce(MPI_IN_PLACE, p, n, datatype(type), op == VFC_MPI_MAX ? MPI_MAX : MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        p += (size_t)n * type_size(type);
        count -= n;
    }
    return 0;
}

int vfc_mpi_bcast(void *buffer, int64_t count, vfc_mpi_type type, int root) {
    char *p = buffer;
    while (count > 0) {
        int n = count > INT_MAX ? INT_MAX : (int)count;
        int rc = MPI_Bcast(p, n, datatype(type), root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        p += (size_t)n * type_size(type);
        count -= n;
    }
    return 0;
}

int vfc_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

void vfc_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

int vfc_mpi_finalize(void) {
    if (!initialized) return 0;
    initialized = 0;
    return MPI_Finalize();
}

int vfc_affinity_cores(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
}
