// A C face of the few Open MPI calls vfc's data-parallel training makes. MPI's handles
// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM) are macros over Open MPI's globals, which Swift
// cannot import; these functions take plain C types instead, and mpi.h stays out of Swift.
#ifndef VFC_CMPI_SHIM_H
#define VFC_CMPI_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Element types of the reductions and broadcasts.
typedef enum { VFC_MPI_FLOAT = 0, VFC_MPI_DOUBLE = 1, VFC_MPI_INT64 = 2, VFC_MPI_BYTE = 3 } vfc_mpi_type;
/// Reduction operators.
typedef enum { VFC_MPI_SUM = 0, VFC_MPI_MAX = 1 } vfc_mpi_op;

/// MPI_Init_thread(MPI_THREAD_FUNNELED) on MPI_COMM_WORLD with MPI_ERRORS_RETURN, so that a
/// failed call returns its code instead of aborting. Returns 0 or the MPI error code; `error`
/// (may be NULL) receives the error string.
int vfc_mpi_init(char *error, int error_size);
/// 1 between vfc_mpi_init and vfc_mpi_finalize.
int vfc_mpi_initialized(void);
int vfc_mpi_rank(void);
int vfc_mpi_size(void);
/// MPI_Allreduce(MPI_IN_PLACE, buffer, count, type, op, MPI_COMM_WORLD): 0 or an MPI code.
int vfc_mpi_allreduce(void *buffer, int64_t count, vfc_mpi_type type, vfc_mpi_op op);
/// MPI_Bcast(buffer, count, type, root, MPI_COMM_WORLD): 0 or an MPI code.
int vfc_mpi_bcast(void *buffer, int64_t count, vfc_mpi_type type, int root);
/// MPI_Barrier(MPI_COMM_WORLD): 0 or an MPI code.
int vfc_mpi_barrier(void);
/// MPI_Abort(MPI_COMM_WORLD, code): ends every rank of the job.
void vfc_mpi_abort(int code);
/// MPI_Finalize: 0 or an MPI code.
int vfc_mpi_finalize(void);
/// The cores this process may run on (its affinity mask, which mpirun narrows when it binds
/// ranks to cores); 0 when unknown. Not an MPI call: it sizes the threads of each rank.
int vfc_affinity_cores(void);
/// The text of an MPI error code.
void vfc_mpi_error_string(int code, char *out, int out_size);

#ifdef __cplusplus
}
#endif
#endif
