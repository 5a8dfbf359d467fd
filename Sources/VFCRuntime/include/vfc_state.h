// Named buffers for code compiled by `vfc compile`: the header it writes declares, per entry
// point, a struct of buffer pointers and dims (`vfc_NAME_args`) and a table describing its
// fields (`vfc_NAME_layout`). These functions fill such a struct from safetensors files by
// tensor name (a `vfc init` state, a batch), allocate the rest, check it before a call, and
// write it back. Link the runtime_*.c files and state.c (plain C11 + POSIX).
#ifndef VFC_STATE_H
#define VFC_STATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What a field of an args struct is: an argument of the function, a param it reads (and,
/// when donated, updates in place), or an output buffer of its own.
enum { VFC_ROLE_INPUT = 1, VFC_ROLE_PARAM = 2, VFC_ROLE_OUTPUT = 4, VFC_ROLE_ALL = 7 };

/// Element types (safetensors F32, F64, I32, I64, U8; BOOL is read as U8).
enum { VFC_DTYPE_F32 = 0, VFC_DTYPE_F64 = 1, VFC_DTYPE_I32 = 2, VFC_DTYPE_I64 = 3, VFC_DTYPE_U8 = 4 };

#define VFC_MAX_RANK 8

/// One buffer pointer of an args struct.
typedef struct {
    /// The tensor's name in a checkpoint or batch file (`blocks.0.norm1.weight`).
    const char *name;
    /// Where the pointer lives in the struct (offsetof).
    size_t offset;
    int role;
    int dtype;
    int rank;
    /// Each extent: >= 0 a fixed size, -(k + 1) the value of dim k of the layout.
    int64_t shape[VFC_MAX_RANK];
} vfc_field;

/// One symbolic dim of an args struct (an int64_t field, e.g. the batch size B).
typedef struct {
    const char *name;
    size_t offset;
    /// The value the object was compiled for (--bind); -1 when any value is accepted.
    int64_t compiled;
} vfc_dim;

/// The fields and dims of one entry point's args struct.
typedef struct {
    const char *function;
    const vfc_field *fields;
    size_t field_count;
    const vfc_dim *dims;
    size_t dim_count;
} vfc_layout;

/// Fills the fields of `args` whose role is in `roles` from the tensors of the same name in
/// the safetensors file `path`: each must have the field's dtype and shape; a symbolic dim
/// still 0 in `args` takes its extent from the first tensor that uses it, later ones must
/// agree. A NULL pointer gets a new 64-byte aligned buffer (vfc_alloc; vfc_state_free frees
/// it); a non-NULL one is overwritten. Fields the file lacks and tensors no field names
/// are left alone. Returns the number of fields filled, or -1 with a message in `error`
/// (which may be NULL) naming the file and the tensor.
int vfc_state_load(const char *path, const vfc_layout *layout, void *args, int roles,
                   char *error, size_t error_size);

/// Gives every still-NULL field whose role is in `roles` a zeroed buffer of its shape (the
/// dims must be set). Returns 0, or -1 with a message.
int vfc_state_alloc(const vfc_layout *layout, void *args, int roles, char *error, size_t error_size);

/// Whether `args` can be passed to the entry point: every field set, every dim set and
/// equal to the value compiled for. Returns 0, or -1 with a message.
int vfc_state_check(const vfc_layout *layout, const void *args, char *error, size_t error_size);

/// Writes the fields whose role is in `roles` (NULL ones are skipped) to the safetensors
/// file `path`, by name, atomically (a temporary file in the same folder, then rename).
/// Returns the number of tensors written, or -1 with a message.
int vfc_state_save(const char *path, const vfc_layout *layout, const void *args, int roles,
                   char *error, size_t error_size);

/// Frees the buffers of the fields whose role is in `roles` and sets them to NULL.
void vfc_state_free(const vfc_layout *layout, void *args, int roles);

/// The number of elements of field `index` under the dims of `args` (-1 if a dim is unset).
int64_t vfc_field_count(const vfc_layout *layout, const void *args, size_t index);

#ifdef __cplusplus
}
#endif

#endif
