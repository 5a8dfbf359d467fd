// The reading half of state.c: a safetensors file in memory and its header's entries,
// parsed by a small JSON scanner (no JSON library). Private to the runtime.
#ifndef VFC_SAFETENSORS_READ_H
#define VFC_SAFETENSORS_READ_H

#include "vfc_state.h"

#include <stddef.h>
#include <stdint.h>

/// One tensor of the header.
typedef struct {
    char *name;
    int dtype;  // VFC_DTYPE_*, or -1: a dtype this reader does not load
    int rank;
    int64_t shape[VFC_MAX_RANK];
    uint64_t begin, end;  // data_offsets, within the data after the header
} vfc_safetensors_entry;

/// A whole file read into memory.
typedef struct {
    unsigned char *bytes;
    size_t size;
    vfc_safetensors_entry *entries;
    size_t count;
    uint64_t data_start;
} vfc_safetensors;

/// The safetensors element type names, by VFC_DTYPE_*.
extern const char *const vfc_safetensors_dtype_names[5];

/// Reads and parses `path`; 0, or -1 with a message naming the file.
int vfc_safetensors_open(const char *path, vfc_safetensors *f, char *error, size_t size);
void vfc_safetensors_close(vfc_safetensors *f);

/// Writes the message to `error` (when not NULL) and returns -1: the error convention of
/// the vfc_state_* functions.
int vfc_safetensors_fail(char *error, size_t size, const char *format, ...);

#endif
