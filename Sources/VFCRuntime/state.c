// Safetensors files into and out of the args structs of `vfc compile` headers. See
// include/vfc_state.h. Plain C11 + POSIX (open, fsync, rename); reading is
// safetensors_read.c.
#define _POSIX_C_SOURCE 200809L
#include "safetensors_read.h"
#include "vfc_runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const size_t dtype_sizes[] = {4, 8, 4, 8, 1};

static void *field_pointer(const void *args, const vfc_field *f) {
    void *p;
    memcpy(&p, (const char *)args + f->offset, sizeof p);
    return p;
}

static void set_field_pointer(void *args, const vfc_field *f, void *p) {
    memcpy((char *)args + f->offset, &p, sizeof p);
}

static int64_t dim_value(const vfc_layout *layout, const void *args, size_t k) {
    int64_t v;
    memcpy(&v, (const char *)args + layout->dims[k].offset, sizeof v);
    return v;
}

int64_t vfc_field_count(const vfc_layout *layout, const void *args, size_t index) {
    const vfc_field *f = &layout->fields[index];
    int64_t n = 1;
    for (int i = 0; i < f->rank; i++) {
        int64_t e = f->shape[i];
        if (e < 0) {
            size_t k = (size_t)(-e - 1);
            if (k >= layout->dim_count || (e = dim_value(layout, args, k)) <= 0) return -1;
        }
        n *= e;
    }
    return n;
}

// ---- load, alloc, check, free -----------------------------------------------------------

static void shape_text(const vfc_layout *layout, const vfc_field *f, char *out, size_t size) {
    size_t n = (size_t)snprintf(out, size, "%s[", vfc_safetensors_dtype_names[f->dtype]);
    for (int i = 0; i < f->rank && n < size; i++) {
        int64_t e = f->shape[i];
        if (e >= 0) n += (size_t)snprintf(out + n, size - n, "%s%lld", i ? ", " : "", (long long)e);
        else n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "", layout->dims[-e - 1].name);
    }
    if (n < size) snprintf(out + n, size - n, "]");
}

int vfc_state_load(const char *path, const vfc_layout *layout, void *args, int roles,
                   char *error, size_t error_size) {
    vfc_safetensors file;
    if (vfc_safetensors_open(path, &file, error, error_size) != 0) return -1;
    int filled = 0;
    for (size_t i = 0; i < layout->field_count; i++) {
        const vfc_field *f = &layout->fields[i];
        if (!(f->role & roles)) continue;
        const vfc_safetensors_entry *e = NULL;
        for (size_t j = 0; j < file.count && !e; j++) if (strcmp(file.entries[j].name, f->name) == 0) e = &file.entries[j];
        if (!e) continue;
        char want[256];
        shape_text(layout, f, want, sizeof want);
        int ok = e->dtype == f->dtype && e->rank == f->rank;
        for (int k = 0; ok && k < f->rank; k++) {
            int64_t x = f->shape[k];
            if (x >= 0) {
                ok = e->shape[k] == x;
                continue;
            }
            size_t d = (size_t)(-x - 1);
            int64_t v = dim_value(layout, args, d);
            if (v == 0 && e->shape[k] > 0) {
                v = e->shape[k];
                memcpy((char *)args + layout->dims[d].offset, &v, sizeof v);
            }
            ok = e->shape[k] == v;
        }
        if (!ok) {
            vfc_safetensors_close(&file);
            return vfc_safetensors_fail(error, error_size, "%s: tensor '%s' is not %s (dims as set so far)", path, f->name, want);
        }
        uint64_t bytes = (uint64_t)vfc_field_count(layout, args, i) * dtype_sizes[f->dtype];
        if (e->end - e->begin != bytes) {
            vfc_safetensors_close(&file);
            return vfc_safetensors_fail(error, error_size, "%s: tensor '%s' has %llu data bytes, %s needs %llu", path, f->name,
                        (unsigned long long)(e->end - e->begin), want, (unsigned long long)bytes);
        }
        void *p = field_pointer(args, f);
        if (!p) {
            p = vfc_alloc((int64_t)(bytes ? bytes : 1));
            if (!p) {
                vfc_safetensors_close(&file);
                return vfc_safetensors_fail(error, error_size, "%s: out of memory for tensor '%s'", path, f->name);
            }
            set_field_pointer(args, f, p);
        }
        memcpy(p, file.bytes + file.data_start + e->begin, (size_t)bytes);
        filled++;
    }
    vfc_safetensors_close(&file);
    return filled;
}

int vfc_state_alloc(const vfc_layout *layout, void *args, int roles, char *error, size_t error_size) {
    for (size_t i = 0; i < layout->field_count; i++) {
        const vfc_field *f = &layout->fields[i];
        if (!(f->role & roles) || field_pointer(args, f)) continue;
        int64_t n = vfc_field_count(layout, args, i);
        if (n < 0) return vfc_safetensors_fail(error, error_size, "@%s: '%s' needs a dim that is not set yet", layout->function, f->name);
        void *p = vfc_alloc(n * (int64_t)dtype_sizes[f->dtype] + 1);
        if (!p) return vfc_safetensors_fail(error, error_size, "@%s: out of memory for '%s'", layout->function, f->name);
        set_field_pointer(args, f, p);
    }
    return 0;
}

int vfc_state_check(const vfc_layout *layout, const void *args, char *error, size_t error_size) {
    for (size_t k = 0; k < layout->dim_count; k++) {
        const vfc_dim *d = &layout->dims[k];
        int64_t v = dim_value(layout, args, k);
        if (v <= 0) return vfc_safetensors_fail(error, error_size, "@%s: dim %s is not set", layout->function, d->name);
        if (d->compiled >= 0 && v != d->compiled)
            return vfc_safetensors_fail(error, error_size, "@%s: dim %s is %lld, the object was compiled for %s=%lld",
                        layout->function, d->name, (long long)v, d->name, (long long)d->compiled);
    }
    for (size_t i = 0; i < layout->field_count; i++)
        if (!field_pointer(args, &layout->fields[i]))
            return vfc_safetensors_fail(error, error_size, "@%s: buffer '%s' is not set", layout->function, layout->fields[i].name);
    return 0;
}

void vfc_state_free(const vfc_layout *layout, void *args, int roles) {
    for (size_t i = 0; i < layout->field_count; i++) {
        const vfc_field *f = &layout->fields[i];
        if (!(f->role & roles)) continue;
        vfc_free(field_pointer(args, f));
        set_field_pointer(args, f, NULL);
    }
}

// ---- save --------------------------------------------------------------------------------

// Appends to a growing string; 0 when out of memory.
typedef struct {
    char *text;
    size_t length, capacity;
} growing;

static int append(growing *g, const char *format, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, format);
        int n = vsnprintf(g->text ? g->text + g->length : NULL, g->text ? g->capacity - g->length : 0, format, ap);
        va_end(ap);
        if (n < 0) return 0;
        if (g->text && g->length + (size_t)n < g->capacity) {
            g->length += (size_t)n;
            return 1;
        }
        size_t cap = (g->capacity + (size_t)n + 1) * 2;
        char *bigger = realloc(g->text, cap);
        if (!bigger) return 0;
        g->text = bigger;
        g->capacity = cap;
    }
}

static int write_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        p += w;
        n -= (size_t)w;
    }
    return 1;
}

int vfc_state_save(const char *path, const vfc_layout *layout, const void *args, int roles,
                   char *error, size_t error_size) {
    growing h = {0};
    uint64_t offset = 0;
    int count = 0, ok = append(&h, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t i = 0; ok && i < layout->field_count; i++) {
        const vfc_field *f = &layout->fields[i];
        if (!(f->role & roles) || !field_pointer(args, f)) continue;
        int64_t n = vfc_field_count(layout, args, i);
        if (n < 0) {
            free(h.text);
            return vfc_safetensors_fail(error, error_size, "@%s: '%s' needs a dim that is not set", layout->function, f->name);
        }
        uint64_t bytes = (uint64_t)n * dtype_sizes[f->dtype];
        ok = append(&h, ",\"");
        for (const char *c = f->name; ok && *c; c++) ok = append(&h, (*c == '"' || *c == '\\') ? "\\%c" : "%c", *c);
        ok = ok && append(&h, "\":{\"dtype\":\"%s\",\"shape\":[", vfc_safetensors_dtype_names[f->dtype]);
        for (int k = 0; ok && k < f->rank; k++) {
            int64_t e = f->shape[k] >= 0 ? f->shape[k] : dim_value(layout, args, (size_t)(-f->shape[k] - 1));
            ok = append(&h, "%s%lld", k ? "," : "", (long long)e);
        }
        ok = ok && append(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset, (unsigned long long)(offset + bytes));
        offset += bytes;
        count++;
    }
    ok = ok && append(&h, "}");
    while (ok && h.length % 8 != 0) ok = append(&h, " ");
    if (!ok) {
        free(h.text);
        return vfc_safetensors_fail(error, error_size, "%s: out of memory", path);
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) {
        free(h.text);
        return vfc_safetensors_fail(error, error_size, "%s: out of memory", path);
    }
    // open(O_EXCL) rather than mkstemp: the file gets the usual 0666 & ~umask mode.
    static unsigned counter;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, plen + 32, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int e = errno;
        free(h.text);
        free(tmp);
        return vfc_safetensors_fail(error, error_size, "cannot write '%s': %s", path, strerror(e));
    }
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)h.length >> (8 * i));
    ok = write_all(fd, len, 8) && write_all(fd, h.text, h.length);
    free(h.text);
    for (size_t i = 0; ok && i < layout->field_count; i++) {
        const vfc_field *f = &layout->fields[i];
        if (!(f->role & roles) || !field_pointer(args, f)) continue;
        ok = write_all(fd, field_pointer(args, f), (size_t)vfc_field_count(layout, args, i) * dtype_sizes[f->dtype]);
    }
    int e = errno;
    if (ok && fsync(fd) != 0) { ok = 0; e = errno; }
    if (close(fd) != 0 && ok) { ok = 0; e = errno; }
    if (ok && rename(tmp, path) != 0) { ok = 0; e = errno; }
    if (!ok) unlink(tmp);
    free(tmp);
    if (!ok) return vfc_safetensors_fail(error, error_size, "cannot write '%s': %s", path, strerror(e));
    return count;
}
